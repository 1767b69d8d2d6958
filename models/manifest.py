"""The model-pack manifest: what a pack holds, and the hash check that guards it.

A pack is a folder with ``manifest.json`` and the files it names. This module is read by the
run-time engine as well as the build-time exporters, so it depends on the standard library only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
_HASH_CHUNK = 1 << 20


class Task(StrEnum):
    """What a model does, which decides the engine class that runs it."""

    TEXT = "text"
    IMAGE = "image"
    IMAGE_TEXT = "image-text"
    AUDIO = "audio"
    SPEECH = "speech"


class PackError(Exception):
    """A pack that cannot be used: missing, truncated or altered files, or a bad manifest."""


@dataclass(frozen=True)
class FileRef:
    """One file of a model, relative to the pack folder."""

    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Preprocessing:
    """How raw media become model input. Fields that do not apply to a task stay ``None``.

    Image: ``image_size`` is the square side fed to the network; ``resize`` is ``"crop"``
    (shorter side to ``resize_to``, then centre crop) or ``"squash"`` (straight to size);
    pixels in 0..255 become ``(x / 255 - mean) / std`` when ``pixel_scale`` is 255, or
    ``(x - mean) / std`` on the raw 0..255 scale when it is 1. The engine resamples bicubic
    (Pillow, antialiased) and composites transparency onto mid grey before either step.
    Audio: ``sample_rate`` in Hz; windows of ``window_seconds`` every ``hop_seconds``.
    Text: ``max_tokens`` per chunk, including special tokens.
    """

    image_size: int | None = None
    resize: str | None = None
    resize_to: int | None = None
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    pixel_scale: float | None = None
    sample_rate: int | None = None
    window_seconds: float | None = None
    hop_seconds: float | None = None
    n_mels: int | None = None
    max_tokens: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocessing:
        known = {name for name in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise PackError(f"unknown preprocessing keys: {sorted(unknown)}")
        values = dict(data)
        for key in ("mean", "std"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


@dataclass(frozen=True)
class ModelEntry:
    """One model of a pack.

    ``files`` maps a role (``"model"``, ``"tokenizer"``, ``"encoder"``, ``"labels"``...) to a file.
    ``dims`` maps each output that the engine reads to its width. ``inputs`` and ``outputs`` are
    the fixed ONNX tensor names per graph, keyed like ``files``.
    """

    id: str
    task: Task
    files: dict[str, FileRef]
    dims: dict[str, int]
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    pooling: str = "none"
    prefixes: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    licence: str = ""
    source: str = ""
    notes: str = ""

    @property
    def embedding_dim(self) -> int:
        return self.dims["embedding"]

    def prefix(self, kind: str) -> str:
        return self.prefixes.get(kind, "")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelEntry:
        try:
            return cls(
                id=data["id"],
                task=Task(data["task"]),
                files={role: FileRef(**ref) for role, ref in data["files"].items()},
                dims={key: int(value) for key, value in data["dims"].items()},
                preprocessing=Preprocessing.from_json(data.get("preprocessing", {})),
                pooling=data.get("pooling", "none"),
                prefixes=dict(data.get("prefixes", {})),
                inputs={key: list(value) for key, value in data.get("inputs", {}).items()},
                outputs={key: list(value) for key, value in data.get("outputs", {}).items()},
                licence=data.get("licence", ""),
                source=data.get("source", ""),
                notes=data.get("notes", ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PackError(f"model entry {data.get('id', '?')!r} is malformed: {error}") from error


@dataclass(frozen=True)
class Manifest:
    """A whole pack: its name, version and models, with the folder it was read from."""

    name: str
    version: str
    models: tuple[ModelEntry, ...]
    root: Path = Path(".")

    def by_task(self, task: Task) -> list[ModelEntry]:
        return [entry for entry in self.models if entry.task is task]

    def get(self, model_id: str) -> ModelEntry:
        for entry in self.models:
            if entry.id == model_id:
                return entry
        raise PackError(f"pack {self.name!r} has no model {model_id!r}")

    def path(self, entry: ModelEntry, role: str) -> Path:
        try:
            return self.root / entry.files[role].path
        except KeyError:
            raise PackError(f"model {entry.id!r} has no {role!r} file") from None

    def labels(self, entry: ModelEntry) -> list[str] | None:
        """The model's class names, index-aligned with its scores; ``None`` if it has none.
        Blank lines are kept as they are, since dropping one would shift every later label."""
        if "labels" not in entry.files:
            return None
        text = self.path(entry, "labels").read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines()]

    def to_json(self) -> dict[str, Any]:
        models = []
        for entry in self.models:
            data = asdict(entry)
            data["task"] = entry.task.value
            data["preprocessing"] = {
                key: value for key, value in data["preprocessing"].items() if value is not None
            }
            models.append(data)
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "models": models,
        }

    def write(self, folder: Path) -> Path:
        target = folder / MANIFEST_NAME
        target.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")
        return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_ref(root: Path, path: Path) -> FileRef:
    """Describe ``path`` (inside ``root``) for a manifest."""
    return FileRef(
        path=path.relative_to(root).as_posix(),
        sha256=sha256_of(path),
        bytes=path.stat().st_size,
    )


def read_manifest(folder: Path) -> Manifest:
    """Parse a pack's manifest without touching its model files."""
    manifest_path = folder / MANIFEST_NAME
    try:
        data = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise PackError(f"no model pack at {folder}: {MANIFEST_NAME} is missing") from None
    except (OSError, json.JSONDecodeError) as error:
        raise PackError(f"cannot read {manifest_path}: {error}") from error
    if data.get("format") != FORMAT_VERSION:
        raise PackError(
            f"{manifest_path} has format {data.get('format')!r}; this Trove reads {FORMAT_VERSION}"
        )
    models = tuple(ModelEntry.from_json(entry) for entry in data.get("models", []))
    return Manifest(name=data["name"], version=data["version"], models=models, root=folder)


def verify_files(manifest: Manifest) -> None:
    """Check every file's size and sha256; raise one error naming the first bad file."""
    for entry in manifest.models:
        for role, ref in entry.files.items():
            path = manifest.root / ref.path
            where = f"{ref.path} (model {entry.id!r}, {role})"
            if not path.is_file():
                raise PackError(f"model pack file is missing: {where}")
            size = path.stat().st_size
            if size != ref.bytes:
                raise PackError(
                    f"model pack file is truncated or altered: {where} has {size} bytes, "
                    f"expected {ref.bytes}"
                )
            if sha256_of(path) != ref.sha256:
                raise PackError(f"model pack file is altered: {where} fails its sha256 check")


def load_manifest(folder: Path, verify: bool = True) -> Manifest:
    """Read a pack and, unless told otherwise, verify every file against its hash."""
    manifest = read_manifest(folder)
    if verify:
        verify_files(manifest)
    return manifest

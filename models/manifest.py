"""The model-pack manifest: what a pack holds, and the hash check that guards it.

A pack is a folder with ``manifest.json`` and the files it names. This module is read by the
run-time engine as well as the build-time exporters, so it depends on the standard library only.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol, Self, TypeGuard, cast, get_type_hints

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
    VAD = "voice"  # voice activity: where in a recording someone speaks
    OCR = "ocr"  # words in pictures: text detection, direction and line recognition


class GraphVariant(StrEnum):
    """Which build of a model's ONNX graph a pack ships (``models/export/optimise.py``)."""

    AS_EXPORTED = "as-exported"  # the exporter's own graph, as torch.onnx wrote it
    FUSED_O1 = "fused-O1"  # ONNX Runtime's basic graph optimisations, applied at build time
    FUSED_O2 = "fused-O2"  # O1 + transformer fusions (attention, skip-layer-norm, bias GELU)
    FUSED_O3 = "fused-O3"  # O2 + GELU approximated (tanh): changes the numbers slightly
    INT8_DYNAMIC = "int8-dynamic"  # int8 weights per channel, activations per batch (int8 compute)
    INT8_DYNAMIC_PER_TENSOR = "int8-dynamic-per-tensor"  # the same, one weight scale per tensor
    INT8_WEIGHTS = "int8-weights"  # int8 weights dequantised in the graph (fp32 compute)

    @property
    def scales_per_call(self) -> bool:
        """Whether activations are quantised with one scale per call: a row's output then
        depends on the other rows (and their padding) it runs with."""
        return self in (GraphVariant.INT8_DYNAMIC, GraphVariant.INT8_DYNAMIC_PER_TENSOR)


@dataclass(frozen=True)
class GraphChoice:
    """The graph variant an entry ships and the one-line reason it was chosen (a measurement)."""

    variant: GraphVariant
    reason: str

    @classmethod
    def from_json(cls, data: object) -> GraphChoice:
        """Read an entry's ``graph``; a manifest written before it was recorded lacks it, and
        every graph then was the exporter's own."""
        if data is None:
            return UNRECORDED_GRAPH
        if not isinstance(data, dict):
            raise ValueError(f"graph must be an object, got {data!r}")
        return cls(GraphVariant(data["variant"]), str(data.get("reason", "")))


UNRECORDED_GRAPH = GraphChoice(
    GraphVariant.AS_EXPORTED, "recorded before graph variants: the exporter's own graph"
)


class PackError(Exception):
    """A pack that cannot be used: missing, truncated or altered files, or a bad manifest."""


@dataclass(frozen=True)
class FileRef:
    """One file of a model, relative to the pack folder."""

    path: str
    sha256: str
    bytes: int


class Resize(StrEnum):
    """How a photo becomes a model's square input."""

    CROP = "crop"  # shorter side to ``resize_to``, then the centre square
    SQUASH = "squash"  # straight to the square, whatever its shape


class Interpolation(StrEnum):
    """How a photo is resampled to a model's input size: as the model was trained (torchvision's
    ResNet-50 weights bilinear, EfficientNet and CLIP-style towers bicubic). Pillow's filters,
    which antialias when reducing, as torchvision's resize of a PIL image does."""

    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


Rgb = tuple[float, float, float]


# --- field readers: each checks one manifest value and returns it normalised ---------------------


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, got {value!r}")
    return value


def _positive(value: object) -> float:
    if not _is_number(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return float(value)


def _rgb(value: object) -> Rgb:
    if not isinstance(value, list | tuple) or len(value) != 3 or not all(map(_is_number, value)):
        raise ValueError(f"must be three numbers (red, green, blue), got {value!r}")
    return (float(value[0]), float(value[1]), float(value[2]))


def _positive_rgb(value: object) -> Rgb:
    rgb = _rgb(value)
    if min(rgb) <= 0:
        raise ValueError(f"must be three positive numbers (red, green, blue), got {value!r}")
    return rgb


def _resize(value: object) -> Resize:
    if value not in {mode.value for mode in Resize}:
        raise ValueError(f"must be one of {[mode.value for mode in Resize]}, got {value!r}")
    return Resize(value)


def _interpolation(value: object) -> Interpolation:
    if value not in {mode.value for mode in Interpolation}:
        raise ValueError(f"must be one of {[mode.value for mode in Interpolation]}, got {value!r}")
    return Interpolation(value)


def _whole_or_none(value: object) -> int | None:
    return None if value is None else _whole(value)


# A field's type names the reader that checks it: ``image_size: Whole`` is an int, at least 1.
Whole = Annotated[int, _whole]
Positive = Annotated[float, _positive]


@dataclass(frozen=True)
class _Flat:
    """A task's preprocessing, kept in the manifest as one flat JSON object.

    Every field is ``Annotated[type, reader]``; the readers run on every construction (an
    exporter's as well as the manifest reader's), so a bad value fails where it is made, and
    the error begins with the field's name.
    """

    task: ClassVar[Task]

    def __post_init__(self) -> None:
        for name, read in _readers(type(self)).items():
            try:
                value = read(getattr(self, name))
            except ValueError as error:
                raise ValueError(f"{name} {error}") from None
            object.__setattr__(self, name, value)  # frozen: the normalised value replaces it

    @classmethod
    def keys(cls) -> frozenset[str]:
        return frozenset(_readers(cls))

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        required = [item.name for item in fields(cls) if item.default is MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"preprocessing has no {', '.join(missing)}")
        try:
            return cast(Any, cls)(**{key: data[key] for key in cls.keys() if key in data})
        except ValueError as error:
            raise ValueError(f"preprocessing.{error}") from None

    def to_json(self) -> dict[str, Any]:
        """The fields that are set, in declaration order, as JSON values."""
        values = ((item.name, getattr(self, item.name)) for item in fields(self))
        return {name: _json_value(value) for name, value in values if value is not None}


_READERS: dict[type[_Flat], dict[str, Callable[[object], object]]] = {}


def _readers(cls: type[_Flat]) -> dict[str, Callable[[object], object]]:
    """Field name -> its reader, from the ``Annotated`` types (worked out once per class)."""
    if cls not in _READERS:
        hints = get_type_hints(cls, include_extras=True)
        _READERS[cls] = {item.name: hints[item.name].__metadata__[0] for item in fields(cls)}
    return _READERS[cls]


def _json_value(value: object) -> object:
    if isinstance(value, StrEnum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, kw_only=True)
class TextPreprocessing(_Flat):
    """``max_tokens`` per model input, special tokens included."""

    task: ClassVar[Task] = Task.TEXT
    max_tokens: Whole


@dataclass(frozen=True, kw_only=True)
class ImagePreprocessing(_Flat):
    """``image_size`` is the square side fed to the network. ``resize`` crop scales the
    shorter side to ``resize_to`` (``image_size`` when unset; the longer side truncated, as
    torchvision does) and takes the centre square; squash scales straight to the square, with
    ``interpolation``. Pixels in 0..255 become ``(x / 255 - mean) / std`` when ``pixel_scale`` is
    255, or ``(x - mean) / std`` on the raw 0..255 scale when it is 1. The engine composites
    transparency onto mid grey first. A pack written before ``interpolation`` was recorded
    reads as bicubic, which is what the engine did for every model then."""

    task: ClassVar[Task] = Task.IMAGE
    image_size: Whole
    resize: Annotated[Resize, _resize]
    resize_to: Annotated[int | None, _whole_or_none] = None
    mean: Annotated[Rgb, _rgb]
    std: Annotated[Rgb, _positive_rgb]
    pixel_scale: Positive = 255.0
    interpolation: Annotated[Interpolation, _interpolation] = Interpolation.BICUBIC

    @property
    def crop_from(self) -> int:
        """The shorter side a crop scales a photo to before taking its centre square."""
        return self.resize_to or self.image_size


@dataclass(frozen=True, kw_only=True)
class AudioPreprocessing(_Flat):
    """Mono samples at ``sample_rate`` Hz, cut into windows of ``window_seconds`` every
    ``hop_seconds``."""

    task: ClassVar[Task] = Task.AUDIO
    sample_rate: Whole
    window_seconds: Positive
    hop_seconds: Positive


@dataclass(frozen=True, kw_only=True)
class SpeechPreprocessing(_Flat):
    """Mono samples at ``sample_rate`` Hz in windows of ``window_seconds``; ``n_mels`` is the
    log-mel front end's height, inside the encoder graph (recorded, not computed by the engine)."""

    task: ClassVar[Task] = Task.SPEECH
    sample_rate: Whole
    window_seconds: Positive
    n_mels: Whole


@dataclass(frozen=True, kw_only=True)
class VoicePreprocessing(_Flat):
    """Mono samples at ``sample_rate`` Hz, judged ``chunk_samples`` at a time; the graph's input
    is each chunk with the ``context_samples`` before it prepended (zeros before the first)."""

    task: ClassVar[Task] = Task.VAD
    sample_rate: Whole
    chunk_samples: Whole
    context_samples: Whole


@dataclass(frozen=True, kw_only=True)
class OcrPreprocessing(_Flat):
    """Three graphs on pixels in 0..255 (channels blue, green, red, as the models were trained)
    scaled to ``(x / 255 - 0.5) / 0.5``. The detector sees the picture with its longer side at
    most ``detect_side`` (both sides multiples of 32); the direction classifier a line scaled to
    ``direction_height`` high and padded to ``direction_width`` wide; the recogniser a line
    ``line_height`` high and as wide as its shape asks (padded to the widest of its batch)."""

    task: ClassVar[Task] = Task.OCR
    detect_side: Whole
    direction_height: Whole
    direction_width: Whole
    line_height: Whole


@dataclass(frozen=True)
class ImageTextPreprocessing:
    """An image-text model's two towers: the image tower's preprocessing and the text tower's.
    One flat JSON object on disk, the image keys beside ``max_tokens``."""

    task: ClassVar[Task] = Task.IMAGE_TEXT
    image: ImagePreprocessing
    text: TextPreprocessing

    @classmethod
    def keys(cls) -> frozenset[str]:
        return ImagePreprocessing.keys() | TextPreprocessing.keys()

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ImageTextPreprocessing:
        def own(tower: type[_Flat]) -> dict[str, object]:
            return {key: value for key, value in data.items() if key in tower.keys()}

        return cls(
            image=ImagePreprocessing.from_json(own(ImagePreprocessing)),
            text=TextPreprocessing.from_json(own(TextPreprocessing)),
        )

    def to_json(self) -> dict[str, Any]:
        return self.image.to_json() | self.text.to_json()


Preprocessing = (
    TextPreprocessing
    | ImagePreprocessing
    | ImageTextPreprocessing
    | AudioPreprocessing
    | SpeechPreprocessing
    | VoicePreprocessing
    | OcrPreprocessing
)
PREPROCESSING_OF: dict[Task, type[Preprocessing]] = {
    kind.task: kind
    for kind in (
        TextPreprocessing,
        ImagePreprocessing,
        ImageTextPreprocessing,
        AudioPreprocessing,
        SpeechPreprocessing,
        VoicePreprocessing,
        OcrPreprocessing,
    )
}


def read_preprocessing(task: Task, data: object) -> Preprocessing:
    """The typed preprocessing of a ``task`` model from its manifest JSON: every key known,
    every required one present, every value checked. ``ValueError`` names the field."""
    kind = PREPROCESSING_OF[task]
    if data is None:
        raise ValueError(f"preprocessing is missing (task {task.value!r} needs it)")
    if not isinstance(data, dict):
        raise ValueError(f"preprocessing must be a JSON object, got {data!r}")
    unknown = sorted(set(data) - kind.keys())
    if unknown:
        raise ValueError(
            f"preprocessing has {unknown}, which task {task.value!r} does not take "
            f"(it takes {sorted(kind.keys())})"
        )
    return kind.from_json(data)


@dataclass(frozen=True)
class ModelEntry:
    """One model of a pack.

    ``files`` maps a role (``"model"``, ``"tokenizer"``, ``"encoder"``, ``"labels"``...) to a file.
    ``dims`` maps each output that the engine reads to its width. ``preprocessing`` is the
    task's own kind (``PREPROCESSING_OF[task]``). ``inputs`` and ``outputs`` are the fixed ONNX
    tensor names per graph, keyed like ``files``. ``alternative_to`` names the entry this one is
    another build of (an int8 copy): it makes no space of its own and serves only when chosen.
    ``graph`` says which build of the graph the files are (fused, int8...) and why.
    """

    id: str
    task: Task
    files: dict[str, FileRef]
    dims: dict[str, int]
    preprocessing: Preprocessing
    pooling: str = "none"
    prefixes: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    licence: str = ""
    source: str = ""
    notes: str = ""
    alternative_to: str = ""
    graph: GraphChoice = UNRECORDED_GRAPH

    def __post_init__(self) -> None:
        expected = PREPROCESSING_OF[self.task]
        if not isinstance(self.preprocessing, expected):
            raise ValueError(
                f"model {self.id!r}: task {self.task.value!r} takes {expected.__name__}, "
                f"not {type(self.preprocessing).__name__}"
            )

    @property
    def embedding_dim(self) -> int:
        return self.dims["embedding"]

    @property
    def build(self) -> str:
        """Which build of the model this is: a hash of its files' hashes. Vectors of two builds
        of one model id (fp32 and int8, say) lie close but are not to be compared."""
        digest = hashlib.sha256()
        for role, ref in sorted(self.files.items()):
            digest.update(f"{role}={ref.sha256}\n".encode())
        return digest.hexdigest()[:16]

    def prefix(self, kind: str) -> str:
        return self.prefixes.get(kind, "")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelEntry:
        try:
            task = Task(data["task"])
            return cls(
                id=data["id"],
                task=task,
                files={role: FileRef(**ref) for role, ref in data["files"].items()},
                dims={key: int(value) for key, value in data["dims"].items()},
                preprocessing=read_preprocessing(task, data.get("preprocessing")),
                pooling=data.get("pooling", "none"),
                prefixes=dict(data.get("prefixes", {})),
                inputs={key: list(value) for key, value in data.get("inputs", {}).items()},
                outputs={key: list(value) for key, value in data.get("outputs", {}).items()},
                licence=data.get("licence", ""),
                source=data.get("source", ""),
                notes=data.get("notes", ""),
                alternative_to=data.get("alternative_to", ""),
                graph=GraphChoice.from_json(data.get("graph")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PackError(f"model entry {data.get('id', '?')!r} is malformed: {error}") from error


@dataclass(frozen=True)
class FittedLine:
    """One route key's good-match line (``engine.search.calibration``), fitted on real media by
    ``tests/benchmarks/quality.py`` for this pack's models, with the figures it was judged by:
    the numbers of relevant and irrelevant pairs, and on the half of the queries it was not
    fitted on, the share of relevant pairs over the line (recall) and of irrelevant ones (false
    rate)."""

    slope: float
    threshold: float
    relevant_pairs: int
    irrelevant_pairs: int
    held_out_recall: float
    held_out_false_rate: float

    def __post_init__(self) -> None:
        if not all(map(_is_number, (self.slope, self.threshold))) or self.slope <= 0:
            raise ValueError(f"needs a positive slope and a finite threshold, got {self}")
        for share in (self.held_out_recall, self.held_out_false_rate):
            if not _is_number(share) or not 0 <= share <= 1:
                raise ValueError(f"held-out shares must lie in [0, 1], got {self}")

    @classmethod
    def from_json(cls, route_key: str, data: object) -> FittedLine:
        try:
            return cls(**cast(dict[str, Any], data))
        except (TypeError, ValueError) as error:
            raise PackError(f"calibration line {route_key!r} is malformed: {error}") from error


@dataclass(frozen=True)
class Manifest:
    """A whole pack: its name, version and models, with the folder it was read from.
    ``calibration`` maps a route key (``space/modality/route``) to its fitted line; a key
    without one falls back to a cautious default in the engine."""

    name: str
    version: str
    models: tuple[ModelEntry, ...]
    root: Path = Path(".")
    calibration: Mapping[str, FittedLine] = field(default_factory=dict)

    def with_calibration(self, lines: Mapping[str, FittedLine]) -> Manifest:
        return replace(self, calibration=dict(sorted(lines.items())))

    def with_models(self, models: tuple[ModelEntry, ...], root: Path) -> Manifest:
        """Some of this pack's models in another folder, their lines kept (a line of a model
        left out is never looked up)."""
        return replace(self, models=models, root=root)

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

    def labels(self, entry: ModelEntry, language: str | None = None) -> list[str] | None:
        """The model's class names, index-aligned with its scores; ``None`` if it has none.
        With ``language`` (``"zh_CN"``, ``"es"``), the names in that language, from the file
        of role ``labels.<language>`` (:func:`in_language`); ``None`` if the pack has none
        (packs built before they were written)."""
        return self.lines(entry, in_language("labels", language))

    def synonyms(self, entry: ModelEntry, language: str) -> dict[str, list[str]]:
        """Other names people call the entry's classes and concepts by in ``language``,
        by the name the pack shows (``"虎鲸"`` -> ``["逆戟鲸", "杀人鲸"]``): the file of role
        ``synonyms.<language>``; none where the pack has none."""
        lines = self.lines(entry, in_language(SYNONYMS, language))
        return read_synonyms(lines or [], f"model {entry.id!r}")

    def lines(self, entry: ModelEntry, role: str) -> list[str] | None:
        """The lines of a text file of the entry, stripped; ``None`` if it has no such file.
        Blank lines are kept as they are, since dropping one would shift every later name."""
        if role not in entry.files:
            return None
        text = self.path(entry, role).read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines()]

    def to_json(self) -> dict[str, Any]:
        models = []
        for entry in self.models:
            data = asdict(entry)
            data["task"] = entry.task.value
            data["preprocessing"] = entry.preprocessing.to_json()
            if entry.graph == UNRECORDED_GRAPH:  # written back as it was read: without one
                del data["graph"]
            else:
                data["graph"] = {"variant": entry.graph.variant.value, "reason": entry.graph.reason}
            models.append(data)
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "models": models,
            "calibration": {key: asdict(line) for key, line in self.calibration.items()},
        }

    def write(self, folder: Path) -> Path:
        target = folder / MANIFEST_NAME
        target.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")
        return target


def in_language(role: str, language: str | None = None) -> str:
    """The file role of the names in ``role`` (``labels``: the classes', in English, as the
    model was trained; ``concepts``: the concepts') in another language: ``labels.zh_CN``,
    ``concepts.es``, the same names line for line."""
    return role if language is None else f"{role}.{language}"


SYNONYMS = "synonyms"


def read_synonyms(lines: Iterable[str], source: str) -> dict[str, list[str]]:
    """Lines ``name: other, other`` (a name a pack shows, then what else people call it);
    blank lines and ``#`` comments are skipped. ``source`` names the file in an error."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, colon, listed = (part.strip() for part in text.partition(":"))
        others = [other.strip() for other in listed.split(",")]
        if not colon or not name or not all(others) or name in others:
            raise PackError(f"{source}: line {number} is not 'name: other name, other name'")
        known = found.setdefault(name, [])
        known += [other for other in dict.fromkeys(others) if other not in known]
    return found


def file_digest(path: Path, algorithm: str) -> str:
    """A file's digest by ``hashlib``'s ``algorithm`` name, read a chunk at a time."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    return file_digest(path, "sha256")


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
    lines = data.get("calibration", {})
    if not isinstance(lines, dict):
        raise PackError(f"{manifest_path}: calibration must be a JSON object, got {lines!r}")
    calibration = {key: FittedLine.from_json(key, line) for key, line in lines.items()}
    return Manifest(data["name"], data["version"], models, folder, calibration)


class KnownHashes(Protocol):
    """Files hashed before whose bytes cannot have changed since (``engine.inference.pack``
    keeps one across runs): a file it vouches for is not read again."""

    def vouches(self, path: Path, sha256: str) -> bool: ...

    def hashed(self, path: Path, sha256: str) -> None: ...


def verify_files(manifest: Manifest, known: KnownHashes | None = None) -> None:
    """Check every file's size and sha256; raise one error naming the first bad file. A file
    that ``known`` vouches for has its size checked only."""
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
            if known is not None and known.vouches(path, ref.sha256):
                continue
            if sha256_of(path) != ref.sha256:
                raise PackError(f"model pack file is altered: {where} fails its sha256 check")
            if known is not None:
                known.hashed(path, ref.sha256)


def load_manifest(folder: Path, verify: bool = True) -> Manifest:
    """Read a pack and, unless told otherwise, verify every file against its hash."""
    manifest = read_manifest(folder)
    if verify:
        verify_files(manifest)
    return manifest

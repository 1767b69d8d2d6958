"""A small in-memory collection: embed a folder's media with every model of the pack, then
answer text queries and queries by example against it.

This is the foundation's end-to-end check of the inference layer on real files; the persistent
catalog, FAISS index and search planner replace it as Trove's main path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.inference.models import ModelSet
from engine.media.audio import load_audio
from engine.media.errors import MediaError
from engine.media.images import load_image
from models.sources import cache_root

log = logging.getLogger(__name__)


class Kind(StrEnum):
    PHOTO = "photo"
    AUDIO = "audio"
    NOTE = "note"


SUFFIXES: dict[str, Kind] = {
    **dict.fromkeys(
        (".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"), Kind.PHOTO
    ),
    **dict.fromkeys((".heic", ".heif"), Kind.PHOTO),
    **dict.fromkeys((".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3"), Kind.AUDIO),
    **dict.fromkeys((".txt", ".md"), Kind.NOTE),
}
TAGS_PER_PHOTO = 5
# A tag below this probability is too unsure to stand for the photo in text search.
MIN_TAG_PROBABILITY = 0.05


def default_demo_folder() -> Path:
    """``$TROVE_DEMO``, else the demo folder of real media that ``./dev`` assembles."""
    configured = os.environ.get("TROVE_DEMO")
    return Path(configured) if configured else cache_root() / "media" / "demo"


@dataclass(frozen=True)
class Passage:
    """A piece of text that stands for a file: a note chunk, a transcript segment or a tag."""

    text: str
    why: str
    start: float | None = None
    end: float | None = None
    weight: float = 1.0


@dataclass
class Item:
    path: Path
    kind: Kind
    example: NDArray[np.float32] | None = None
    passages: list[Passage] = field(default_factory=list)
    passage_vectors: NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: Kind
    score: float
    why: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def media_files(folder: Path) -> Iterator[tuple[Path, Kind]]:
    for path in sorted(folder.rglob("*")):
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is not None and path.is_file():
            yield path, kind


class Collection:
    """Every readable file of a folder, embedded; unreadable ones listed with their reason."""

    def __init__(self, models: ModelSet) -> None:
        self.models = models
        self.items: list[Item] = []
        self.skipped: list[Skipped] = []

    def add_folder(self, folder: Path) -> None:
        for path, kind in media_files(folder):
            try:
                self.items.append(self._read(path, kind))
            except (MediaError, OSError, ValueError) as error:
                self.skipped.append(Skipped(path, str(error)))
        self._embed_passages()

    def _read(self, path: Path, kind: Kind) -> Item:
        item = Item(path, kind)
        if kind is Kind.PHOTO:
            self._read_photo(item)
        elif kind is Kind.AUDIO:
            self._read_audio(item)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            chunks = self.models.text().chunks(text) if text.strip() else []
            item.passages = [Passage(chunk.text, "note text") for chunk in chunks]
        return item

    def _read_photo(self, item: Item) -> None:
        encoder = self.models.image()
        if encoder is None:
            return
        image = load_image(item.path)
        if encoder.has_tags:
            vectors, tags = encoder.encode_with_tags([image], TAGS_PER_PHOTO)
            item.passages = [
                Passage(label, f"tag: {label} ({probability:.0%})", weight=probability)
                for label, probability in tags[0]
                if probability >= MIN_TAG_PROBABILITY
            ]
        else:
            vectors = encoder.encode([image])
        item.example = vectors[0]

    def _read_audio(self, item: Item) -> None:
        if (encoder := self.models.audio()) is not None:
            decoded = load_audio(item.path, encoder.sample_rate)
            item.example = encoder.encode_clip(decoded.samples, decoded.sample_rate)
        if (speech := self.models.speech()) is not None:
            decoded = load_audio(item.path, 16000)
            item.passages = [
                Passage(segment.text, f'said: "{segment.text.strip()}"', segment.start, segment.end)
                for segment in speech.transcribe(decoded.samples, decoded.sample_rate)
            ]

    def _embed_passages(self) -> None:
        encoder = self.models.text()
        for item in self.items:
            if item.passages and item.passage_vectors is None:
                item.passage_vectors = encoder.encode([p.text for p in item.passages], "document")

    def search_text(self, query: str, limit: int = 5) -> list[Hit]:
        """Rank files by their best passage; a tag counts in proportion to its probability's
        square root, so a confident tag outranks a guess about the same word."""
        vector = self.models.text().encode([query], "query")[0]
        hits = []
        for item in self.items:
            if item.passage_vectors is None:
                continue
            weights = np.sqrt([passage.weight for passage in item.passages])
            scores = (item.passage_vectors @ vector) * weights
            best = int(np.argmax(scores))
            passage = item.passages[best]
            hits.append(
                Hit(
                    item.path,
                    item.kind,
                    float(scores[best]),
                    passage.why,
                    passage.start,
                    passage.end,
                )
            )
        return _top(hits, limit)

    def search_like(self, path: Path, limit: int = 5) -> list[Hit]:
        """Files of the same kind nearest to the example file (which is left out)."""
        example = next((item for item in self.items if item.path == path), None)
        if example is None:
            kind = SUFFIXES.get(path.suffix.lower())
            if kind is None:
                raise ValueError(f"{path.name}: not a photo, sound or note Trove reads")
            example = self._read(path, kind)
        if example.example is None:
            raise ValueError(f"{path.name}: the pack has no model to compare {example.kind}s")
        hits = [
            Hit(item.path, item.kind, float(item.example @ example.example), "similar")
            for item in self.items
            if item.kind is example.kind and item.example is not None and item.path != path
        ]
        return _top(hits, limit)

    def by_kind(self, kind: Kind) -> list[Item]:
        return [item for item in self.items if item.kind is kind]


def _top(hits: Iterable[Hit], limit: int) -> list[Hit]:
    return sorted(hits, key=lambda hit: hit.score, reverse=True)[:limit]


def describe(item: Item) -> str:
    """One line about what the models saw in a file."""
    if not item.passages:
        return "(no text)" if item.kind is not Kind.PHOTO else "(no confident tag)"
    if item.kind is Kind.PHOTO:
        return ", ".join(p.why.removeprefix("tag: ") for p in item.passages[:3])
    return " ".join(" ".join(p.text.split()) for p in item.passages)[:90]


DEFAULT_QUERIES: Sequence[str] = ("a cat", "an elephant", "coffee", "the budget meeting")

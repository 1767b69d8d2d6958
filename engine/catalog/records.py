"""The catalog's vocabulary: what Trove knows about roots, files and the items they yield.

Shared by the catalog (which stores them), the scanner (which fills them) and search (which reads
them). Plain frozen dataclasses: no SQL, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.errors import EngineError, Problem
from engine.media.looks import Look


class FileKind(StrEnum):
    PHOTO = "photo"
    AUDIO = "audio"
    VIDEO = "video"
    NOTE = "note"


class FileStatus(StrEnum):
    PENDING = "pending"  # seen, not yet indexed (or changed since)
    INDEXED = "indexed"
    FAILED = "failed"  # unreadable; its :class:`Failure` says why; skipped until it changes
    MISSING = "missing"  # its root is offline; kept, not searchable as present


class ItemKind(StrEnum):
    """What one searchable piece of a file is."""

    PHOTO = "photo"  # a whole still image
    FRAME = "frame"  # a video keyframe at ``start``
    AUDIO_WINDOW = "audio-window"  # ``start``..``end`` of a recording or a video's sound
    TRANSCRIPT = "transcript"  # words spoken from ``start`` to ``end``, in ``text``
    TEXT_CHUNK = "text-chunk"  # characters ``char_start``..``char_end`` of a note, in ``text``
    TAG = "tag"  # a label a classifier gave the file (or a window of it), in ``text``
    # What a photo (or a video's frame at ``start``) shows, in each text space: the classifier's
    # probabilities times its classes' descriptions; ``text`` names the likeliest classes.
    SHOWS = "shows"
    # A line of words read in a photo (or a video's frames from ``start`` to ``end``), in
    # ``text``, with where it lies in ``box``; ``score`` is how sure the reading is.
    PICTURE_TEXT = "picture-text"


# Where a line of text lies in its picture: the four corners (top-left, top-right,
# bottom-right, bottom-left, as the line reads) as fractions of the picture's width and height.
Box = tuple[float, float, float, float, float, float, float, float]


@dataclass(frozen=True)
class Root:
    id: int
    path: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    online: bool = True


@dataclass(frozen=True)
class MediaFacts:
    """What a file's own metadata says about it: when it was taken or recorded (EXIF
    DateTimeOriginal, a recording's or video's creation time), where (EXIF GPS, degrees north
    and east) and with what camera ("Make Model"). Each is None where the file does not say."""

    taken_ns: int | None = None  # nanoseconds since the epoch
    latitude: float | None = None
    longitude: float | None = None
    camera: str | None = None


NO_FACTS = MediaFacts()  # a file whose metadata says nothing (a note, a bare WAV)


@dataclass(frozen=True)
class FileRecord:
    id: int
    root_id: int
    relpath: str
    size: int
    mtime_ns: int
    content_hash: str
    kind: FileKind
    status: FileStatus
    facts: MediaFacts = NO_FACTS
    place_id: int | None = None  # the GeoNames id of the town nearest its GPS position

    @property
    def dated_ns(self) -> int:
        """The file's date: when it was taken or recorded, else when it was last modified.
        Browsing orders by it and date filters read it."""
        return self.mtime_ns if self.facts.taken_ns is None else self.facts.taken_ns


@dataclass(frozen=True)
class FileSelection:
    """Which indexed files a listing takes, in the catalog's own terms: every set field must
    hold; empty collections mean "any"."""

    kinds: frozenset[FileKind] = frozenset()
    folders: tuple[Path, ...] = ()  # absolute: files at any depth below one of them
    modified_from_ns: int | None = None  # FileRecord.dated_ns at or after
    modified_before_ns: int | None = None  # FileRecord.dated_ns strictly before
    min_size: int | None = None  # bytes, inclusive
    max_size: int | None = None
    place_ids: frozenset[int] | None = None  # FileRecord.place_id among them


@dataclass(frozen=True)
class Failure:
    """A file or folder that could not be read, and why.

    ``file_id`` is set when the catalog has a row for the file (it was found, but decoding or
    embedding it failed); None when it could not even be opened (a dangling link, a folder or
    file without read permission)."""

    path: Path
    reason: str
    file_id: int | None = None


@dataclass(frozen=True, eq=False)
class Item:
    """One searchable piece of a file (see :class:`ItemKind`) with its unit vector per model
    space: what the extractor makes, the catalog stores and search reads back.

    A *space* is named by the id of the model that made its vectors (``minilm-l6-v2``,
    ``efficientnet-lite0``...): vectors of different models are never compared.
    """

    kind: ItemKind
    start: float | None = None
    end: float | None = None
    char_start: int | None = None
    char_end: int | None = None
    text: str | None = None
    score: float | None = None  # a tag's probability, or how sure a picture's text is read
    language: str | None = None  # a transcript's spoken language (ISO 639-1, e.g. "es"), if known
    box: Box | None = None  # where a picture's text lies (see :data:`Box`)
    look: Look | None = None  # a photo's look: what near-duplicates compare
    vectors: Mapping[str, NDArray[np.float32]] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Same fields and the same vectors (arrays compare element by element, so the
        generated ``__eq__`` cannot do it)."""
        if not isinstance(other, Item) or type(other) is not type(self):
            return NotImplemented
        names = [one.name for one in fields(self) if one.name != "vectors"]
        return [getattr(self, name) for name in names] == [
            getattr(other, name) for name in names
        ] and _same_vectors(self.vectors, other.vectors)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds arrays


def _same_vectors(
    one: Mapping[str, NDArray[np.float32]], other: Mapping[str, NDArray[np.float32]]
) -> bool:
    return one.keys() == other.keys() and all(
        np.array_equal(one[space], other[space]) for space in one
    )


class CatalogError(EngineError):
    """The catalog cannot be opened or written (newer schema, full disk, read-only folder...)."""

    def __init__(self, message: str, problem: Problem = Problem.CANNOT_OPEN) -> None:
        super().__init__(problem, message)


class CatalogDamagedError(CatalogError):
    """The catalog file is not a sound SQLite database: empty, overwritten, or corrupt inside.

    ``moved_to`` is where the damaged file was put aside (None while it is still in place).
    Never answered by starting a new, empty catalog: that would look like an index that lost
    everything, and the next save would delete the vector indexes too.
    """

    def __init__(self, path: Path, reason: str, moved_to: Path | None = None) -> None:
        where = f"; it was moved aside to {moved_to}" if moved_to else ""
        super().__init__(
            f"the catalog {path} is damaged ({reason}){where}. Your files and the vector "
            "indexes are untouched: repair rebuilds the catalog from its latest backup and "
            "what can still be read, then indexes the rest again",
            Problem.DAMAGED,
        )
        self.path = path
        self.reason = reason
        self.moved_to = moved_to


@dataclass(frozen=True, eq=False)
class ReplaceResult:
    """What one committed change did to the vectors, for the indexes to follow.

    ``added`` maps a space to the new ids (int64, shape (n,)) and their unit vectors (float32,
    shape (n, d)); ``removed`` lists ``(space, item_id)`` of every vector that is gone.
    """

    added: dict[str, tuple[NDArray[np.int64], NDArray[np.float32]]] = field(default_factory=dict)
    removed: list[tuple[str, int]] = field(default_factory=list)

    @classmethod
    def merged(cls, results: Sequence[ReplaceResult]) -> ReplaceResult:
        """One result for several changes committed together, in their order."""
        spaces = {space for result in results for space in result.added}
        added = {
            space: (
                np.concatenate([r.added[space][0] for r in results if space in r.added]),
                np.concatenate([r.added[space][1] for r in results if space in r.added]),
            )
            for space in spaces
        }
        return cls(added, [pair for result in results for pair in result.removed])


@dataclass(frozen=True)
class SpaceBuild:
    """A text space a pack makes, and which build of its model makes it
    (``ModelEntry.build``): vectors of two builds of one model are not compared."""

    name: str
    dim: int
    build: str


@dataclass(frozen=True, eq=False, kw_only=True)
class ItemRow(Item):
    """A stored item: the item itself, its row id, and the file and root it came from, as
    search reads it. ``vectors`` are only filled when asked for (they are large)."""

    id: int
    file: FileRecord
    root_path: str

    @classmethod
    def of(cls, item: Item, *, id: int, file: FileRecord, root_path: str) -> ItemRow:
        values = {one.name: getattr(item, one.name) for one in fields(Item)}
        return cls(**values, id=id, file=file, root_path=root_path)


@dataclass(frozen=True)
class RootRemoval:
    """What forgetting a root took away: its files (as they were), the ``(space, item_id)`` of
    every vector dropped, and the catalog's generation once that was committed."""

    root: Root
    files: list[FileRecord]
    vectors: list[tuple[str, int]]
    generation: int

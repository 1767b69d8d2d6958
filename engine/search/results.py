"""What a search answers, as values: hits, one per file, each with the evidence that found it.

Nothing here is worded: the command line and its JSON (:mod:`engine.search.wording`) and the
window (in its own language) each say a :class:`Reason` their way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from engine.catalog.records import Box, FileKind, ItemKind
from engine.search.calibration import GOOD_MATCH, STRONG_MATCH


class Route(StrEnum):
    VISUAL = "visual"
    TAG = "tag"
    SHOWS = "shows"  # what a picture shows, as a whole (see ItemKind.SHOWS)
    TRANSCRIPT = "transcript"
    NOTE = "note"
    SOUND = "sound"
    PICTURE_TEXT = "picture-text"  # words read in a picture
    NAME = "name"  # the file's name (or a folder's, under its watched folder) holds the words


ROUTE_OF_ITEM: dict[ItemKind, Route] = {
    ItemKind.PHOTO: Route.VISUAL,
    ItemKind.FRAME: Route.VISUAL,
    ItemKind.TAG: Route.TAG,
    ItemKind.SHOWS: Route.SHOWS,
    ItemKind.TRANSCRIPT: Route.TRANSCRIPT,
    ItemKind.TEXT_CHUNK: Route.NOTE,
    ItemKind.AUDIO_WINDOW: Route.SOUND,
    ItemKind.PICTURE_TEXT: Route.PICTURE_TEXT,
}


class Strength(StrEnum):
    """A calibrated score in words, the way people read it: the decimals mean nothing to them,
    and 0.79 of one query is not 0.79 of another."""

    STRONG = "strong"
    GOOD = "good"
    WEAK = "weak"  # below the good-match line: a candidate, not an answer

    @classmethod
    def of(cls, score: float) -> Strength:
        if score >= STRONG_MATCH:
            return cls.STRONG
        return cls.GOOD if score >= GOOD_MATCH else cls.WEAK


@dataclass(frozen=True)
class Span:
    """Characters ``start``..``end`` (0-based, end exclusive) of a reason's excerpt."""

    start: int
    end: int


@dataclass(frozen=True)
class Reason:
    """One piece of evidence, as values: the route that found it, how strong it is, where in
    the file, and what it matched. Each front end words it (the window in its own language).

    - VISUAL: ``asked`` (the query text) or ``example`` (the example file) it looks like.
    - SOUND: ``example`` it sounds like.
    - TAG: ``label`` and the classifier's ``probability``.
    - SHOWS: ``label``, the likeliest things the picture shows ("Siberian husky, malamute").
    - TRANSCRIPT / NOTE: ``excerpt`` (words said, or text of a note) and ``matched``, the spans
      of the excerpt that carry the query's words.
    - PICTURE_TEXT: ``excerpt`` (a line of words read in the picture, or in a video's frames
      from ``start`` to ``end``) and ``matched``, as above; ``boxes``, where in the picture the
      query's words lie (the whole line's box when it matched by meaning, not by its words).
    - NAME: ``excerpt`` is the file's path under its watched folder, ``matched`` the query's
      words in it.
    """

    route: Route
    score: float  # calibrated 0..1; >= 0.5 is a good match
    start: float | None = None  # seconds into the file
    end: float | None = None
    label: str | None = None
    probability: float | None = None
    excerpt: str | None = None
    matched: tuple[Span, ...] = ()
    asked: str | None = None
    example: Path | None = None
    boxes: tuple[Box, ...] = ()


class FileKey(NamedTuple):
    """A file among every library searched: a file id is only unique in its own library's
    catalog, so a shared library's file 7 and this machine's file 7 are two files."""

    file_id: int
    library: str | None = None  # None: this machine's own library


@dataclass(frozen=True)
class Hit:
    """One file that answers a query, best evidence first."""

    file_id: int
    kind: FileKind
    path: Path
    score: float
    start: float | None = None
    end: float | None = None
    reasons: tuple[Reason, ...] = ()
    taken: float | None = None  # seconds since the epoch, when taken or recorded, if it says
    # The shared library it was found in (its URI; ``path`` as mounted here); None: this
    # machine's own library, whose catalog knows ``file_id``.
    library: str | None = None

    @property
    def strength(self) -> Strength:
        return Strength.of(self.score)

    @property
    def key(self) -> FileKey:
        return FileKey(self.file_id, self.library)


@dataclass(frozen=True)
class SearchResult:
    """``hits`` are the good matches, best first; ``weaker`` the best candidates below the
    good-match line, kept apart so that a front end can show them as what they are (a query by
    example always has some: its nearest neighbours). ``no_good_match`` is true when ``hits``
    is empty."""

    hits: list[Hit]
    no_good_match: bool
    spaces_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generation: int = 0  # the catalog's generation the answer was read at
    weaker: list[Hit] = field(default_factory=list)

    @classmethod
    def merged(cls, results: Sequence[SearchResult], limit: int) -> SearchResult:
        """One answer of several libraries searched for one query: every score is calibrated
        alike (0.5 a good match), so their hits interleave by score. The weaker candidates are
        each library's in reciprocal-rank order, which is not comparable across libraries:
        they interleave by rank (each one's first, then each one's second...), as RRF of the
        lists would. The first result's generation stands (this machine's catalog's)."""
        hits = sorted(
            (hit for result in results for hit in result.hits),
            key=lambda hit: (-hit.score, str(hit.path)),
        )[:limit]
        weaker_count = max((len(result.weaker) for result in results), default=0)
        ranked = sorted(
            ((rank, hit) for result in results for rank, hit in enumerate(result.weaker)),
            key=lambda pair: (pair[0], -pair[1].score, str(pair[1].path)),
        )
        notes = list(dict.fromkeys(note for result in results for note in result.notes))
        spaces = list(dict.fromkeys(space for result in results for space in result.spaces_used))
        return cls(
            hits,
            all(result.no_good_match for result in results),
            spaces,
            notes,
            results[0].generation if results else 0,
            [hit for _, hit in ranked[:weaker_count]],
        )

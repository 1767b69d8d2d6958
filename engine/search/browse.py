"""Bare filters browse: the files a filter alone chooses (``kind:audio``, ``after:2024-01-01``,
``in:"~/Music"``), newest first, a page at a time.

A filter without text or an example is not a search: nothing is ranked by meaning, so the
files come in date order. The catalog does the whole selection in SQL (a page and its count),
from the filter put in its terms (:func:`selection_of`), so a page of a large library costs
what the page costs, not a pass over every file; the tests check that it keeps exactly the
files ``Filters.accepts`` keeps in a search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from engine.catalog.records import FileKind, FileRecord, FileSelection
from engine.search.query import Filters

DEFAULT_PAGE = 50
INT64_LIMIT = 2**63 - 1


class Order(StrEnum):
    NEWEST = "newest"  # latest date first (taken or recorded, else last modified)
    OLDEST = "oldest"


@dataclass(frozen=True)
class Listed:
    """One file a filter chose."""

    file_id: int
    kind: FileKind
    path: Path
    size: int  # bytes
    modified: float  # seconds since the epoch, the file's modification time
    taken: float | None = None  # seconds since the epoch, when taken or recorded, if it says

    @property
    def dated(self) -> float:
        """The date the listing orders by: taken or recorded, else last modified."""
        return self.modified if self.taken is None else self.taken

    @classmethod
    def of(cls, record: FileRecord, root: str) -> Listed:
        """A catalog record, with the path of its root."""
        taken = None if record.facts.taken_ns is None else record.facts.taken_ns / 1e9
        path = Path(root) / record.relpath
        return cls(record.id, record.kind, path, record.size, record.mtime_ns / 1e9, taken)


@dataclass(frozen=True)
class Listing:
    """A page of the files a filter chose: ``files`` from ``offset`` on, of ``total``."""

    files: list[Listed]
    total: int
    offset: int
    generation: int  # the catalog's generation the page was read at

    @property
    def more(self) -> bool:
        """Whether files follow this page."""
        return self.offset + len(self.files) < self.total


class DatedFiles(Protocol):
    """The catalog, as browsing reads it (``Catalog`` is one)."""

    def list_files(
        self, selection: FileSelection, offset: int, limit: int, newest_first: bool = True
    ) -> tuple[list[tuple[FileRecord, str]], int]: ...

    def generation(self) -> int: ...


def selection_of(filters: Filters) -> FileSelection:
    """The filter in the catalog's terms: a day bound becomes the local midnight that starts
    it, as ``Filters.accepts`` reads a file's date in local time; a place, the ids of its towns
    (none before the engine looked the name up)."""
    return FileSelection(
        kinds=filters.kinds,
        folders=filters.folders,
        modified_from_ns=None if filters.after is None else _midnight_ns(filters.after),
        modified_before_ns=None if filters.before is None else _midnight_ns(filters.before),
        min_size=filters.min_size,
        max_size=filters.max_size,
        place_ids=None if filters.place is None else filters.place.ids or frozenset(),
    )


def list_page(
    catalog: DatedFiles,
    filters: Filters,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    order: Order = Order.NEWEST,
) -> Listing:
    """The page of indexed files that ``filters`` chooses, in ``order``."""
    if offset < 0 or limit < 1:
        raise ValueError(f"a page needs offset >= 0 and limit >= 1, got {offset} and {limit}")
    generation = catalog.generation()
    page, total = catalog.list_files(selection_of(filters), offset, limit, order is Order.NEWEST)
    files = [Listed.of(record, root) for record, root in page]
    return Listing(files, total, offset, generation)


def _midnight_ns(day: date) -> int:
    """Nanoseconds since the epoch, held within SQLite's 64-bit integers (past 2262, or
    before 1678, a file time cannot be told apart from the limit anyway)."""
    try:
        nanoseconds = int(time.mktime(day.timetuple())) * 1_000_000_000
    except (OverflowError, ValueError):  # beyond the platform's time_t
        return INT64_LIMIT if day.year > 1970 else -INT64_LIMIT
    return max(-INT64_LIMIT, min(INT64_LIMIT, nanoseconds))

"""Bare filters browse: the files a filter alone chooses (``kind:audio``, ``after:2024-01-01``,
``in:"~/Music"``), newest first, a page at a time.

A filter without text or an example is not a search: nothing is ranked by meaning, so the
files come in date order. The filter is :class:`~engine.search.query.Filters` itself, applied
by its own ``accepts`` (one rule for what a filter lets through, in search and here); the
catalog narrows by kind in SQL and gives the rest in date order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from engine.catalog.records import FileKind, FileRecord
from engine.search.query import Filters

DEFAULT_PAGE = 50


class Order(StrEnum):
    NEWEST = "newest"  # last modified first
    OLDEST = "oldest"


@dataclass(frozen=True)
class Listed:
    """One file a filter chose."""

    file_id: int
    kind: FileKind
    path: Path
    size: int  # bytes
    modified: float  # seconds since the epoch, the file's modification time


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

    def indexed_files(
        self, kinds: frozenset[FileKind], newest_first: bool
    ) -> Iterator[tuple[FileRecord, str]]: ...

    def generation(self) -> int: ...


def list_page(
    catalog: DatedFiles,
    filters: Filters,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    order: Order = Order.NEWEST,
) -> Listing:
    """The page of indexed files that ``filters`` accepts, in ``order``."""
    if offset < 0 or limit < 1:
        raise ValueError(f"a page needs offset >= 0 and limit >= 1, got {offset} and {limit}")
    generation = catalog.generation()
    files: list[Listed] = []
    total = 0
    for record, root in catalog.indexed_files(filters.kinds, order is Order.NEWEST):
        path = Path(root) / record.relpath
        if not filters.accepts(path, record.kind, record.size, record.mtime_ns):
            continue
        if offset <= total < offset + limit:
            modified = record.mtime_ns / 1e9
            files.append(Listed(record.id, record.kind, path, record.size, modified))
        total += 1
    return Listing(files, total, offset, generation)

"""An in-memory stand-in for the catalog and the vector indexes, filled by the real extractor.

It implements the planner's two protocols (``VectorSearch.search`` by exact inner product,
``ItemLookup.items`` and ``ItemLookup.generation``) so that search can be tested and measured
on real media and real models without SQLite or FAISS. Files are added with the items
:class:`engine.scan.extract.Extractor` makes, so what is searched here is what the pipeline
stores. Its index, :class:`MemorySpaces`, keeps the contract of
:class:`engine.index.spaces.SpaceIndexes` (the contract test in
``tests/engine/index/test_contract.py`` runs against both).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.catalog import words
from engine.catalog.records import (
    FileKind,
    FileRecord,
    FileStatus,
    Item,
    ItemKind,
    ItemRow,
)
from engine.catalog.schema import WORD_TABLES
from engine.index.base import Ids
from engine.index.checks import as_batch, as_vectors, check_k, empty_result
from engine.scan.extract import Extractor
from engine.search.probes import Probes, probes_from_items
from engine.search.query import ExamplePart, Filters

SUFFIX_KINDS = {
    **dict.fromkeys((".png", ".jpg", ".jpeg"), FileKind.PHOTO),
    **dict.fromkeys((".ogg", ".oga", ".wav", ".flac"), FileKind.AUDIO),
    **dict.fromkeys((".txt", ".md"), FileKind.NOTE),
}


def kind_of(path: Path) -> FileKind | None:
    return SUFFIX_KINDS.get(path.suffix.lower())


@dataclass
class _Space:
    dim: int
    vectors: dict[int, NDArray[np.float32]] = field(default_factory=dict)
    stacked: tuple[Ids, NDArray[np.float32]] | None = None  # made again after a change


class MemorySpaces:
    """Exact inner-product search per space, in numpy: ``add`` and ``search`` as
    :class:`engine.index.spaces.SpaceIndexes` has them, with the same argument checks, an id
    added again replacing its vector, and zero columns from a space with nothing in it."""

    def __init__(self) -> None:
        self._spaces: dict[str, _Space] = {}

    def add(self, name: str, ids: ArrayLike, vectors: ArrayLike) -> None:
        checked = np.asarray(vectors, dtype=np.float32)
        if checked.ndim != 2:
            raise ValueError(f"vectors must have shape (n, d), got {checked.shape}")
        space = self._spaces.setdefault(name, _Space(checked.shape[1]))
        if space.dim != checked.shape[1]:
            raise ValueError(f"space {name} holds {space.dim}-d vectors, not {checked.shape[1]}-d")
        checked_ids, rows = as_batch(ids, checked, space.dim)
        space.vectors.update(zip(checked_ids.tolist(), rows, strict=True))
        space.stacked = None

    def search(
        self, name: str, queries: ArrayLike, k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], Ids]:
        """As ``SpaceIndexes``: ``filters`` are not read (the planner filters hits)."""
        check_k(k)
        rows = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        space = self._spaces.get(name)
        if space is None:
            return empty_result(len(rows))
        checked = as_vectors(rows, space.dim, "queries")
        if space.stacked is None:
            ids = np.fromiter(space.vectors, dtype=np.int64, count=len(space.vectors))
            space.stacked = ids, np.stack(list(space.vectors.values()))
        ids, matrix = space.stacked
        scores = checked @ matrix.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, axis=1).astype(np.float32), ids[order]


class MemoryCollection:
    """Files, their items and one exact index per space, all in memory; and the catalog's word
    index (``match_units``): the real FTS5 tables and code, on an in-memory SQLite database."""

    def __init__(self) -> None:
        self._files: dict[Path, FileRecord] = {}
        self._items: dict[int, ItemRow] = {}
        self._by_file: dict[int, list[ItemRow]] = {}
        self.index = MemorySpaces()
        self._generation = 0
        self._words = sqlite3.connect(":memory:")
        self._words.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, file_id INTEGER)")
        for statement in WORD_TABLES:
            self._words.execute(statement)

    def match_units(self, units: Sequence[Sequence[str]], k: int) -> words.Matches:
        return words.match_units(self._words, units, k)

    def add(self, path: Path, kind: FileKind, items: Sequence[Item]) -> FileRecord:
        info = path.stat()
        record = FileRecord(
            id=len(self._files) + 1,
            root_id=1,
            relpath=path.name,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            content_hash=str(path),
            kind=kind,
            status=FileStatus.INDEXED,
        )
        self._files[path] = record
        stored = []
        for item in items:
            row = ItemRow.of(item, id=len(self._items) + 1, file=record, root_path=str(path.parent))
            self._items[row.id] = row
            stored.append(row)
            for space, vector in item.vectors.items():
                self.index.add(space, [row.id], np.asarray(vector, dtype=np.float32)[None, :])
        self._by_file[record.id] = stored
        self._words.executemany(
            "INSERT INTO items (id, file_id) VALUES (?, ?)", [(r.id, record.id) for r in stored]
        )
        written = [(row.id, row.text) for row in stored if row.kind.value not in words.GUESSED]
        words.write_items(self._words, written)  # as the catalog writes them
        words.write_name(self._words, record.id, record.relpath)
        self._generation += 1
        return record

    def add_files(
        self,
        extractor: Extractor,
        paths: Iterable[Path],
        kind_of: Callable[[Path], FileKind | None] = kind_of,
        batch: int = 16,
    ) -> None:
        """Decode and embed files a batch at a time, as the pipeline does."""
        pending: list[tuple[Path, FileKind]] = []
        for path in paths:
            kind = kind_of(path)
            if kind is None:
                raise ValueError(f"{path}: unknown kind")
            pending.append((path, kind))
        for start in range(0, len(pending), batch):
            chunk = pending[start : start + batch]
            decoded = [extractor.decode(path, kind) for path, kind in chunk]
            for (path, kind), items in zip(chunk, extractor.embed(decoded), strict=True):
                self.add(path, kind, items)

    def file(self, path: Path) -> FileRecord:
        return self._files[path]

    def items_of(self, path: Path) -> list[ItemRow]:
        """The file's stored items, with their vectors."""
        return self._by_file[self._files[path].id]

    def paths(self) -> list[Path]:
        return list(self._files)

    # --- the planner's protocols --------------------------------------------------------------

    def search(
        self, space: str, queries: NDArray[np.float32], k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        return self.index.search(space, queries, k, filters)

    def items(self, item_ids: Sequence[int], with_vectors: bool = False) -> list[ItemRow]:
        """As the catalog answers: vectors only when asked for."""
        rows = [self._items[int(i)] for i in item_ids if int(i) in self._items]
        return rows if with_vectors else [replace(row, vectors={}) for row in rows]

    def generation(self) -> int:
        """Bumped by every file added, as the catalog's is by every commit."""
        return self._generation


class StoredProbes:
    """Probes for examples already in the collection (their stored vectors, as a query by
    example of an indexed file would use), and text probes from a real maker."""

    def __init__(self, collection: MemoryCollection, text: Callable[[str], Probes]) -> None:
        self.collection = collection
        self.text = text

    def for_text(self, text: str) -> Probes:
        return self.text(text)

    def for_example(self, part: ExamplePart) -> Probes:
        items = [row for row in self.collection.items_of(part.path) if _within(row, part)]
        return Probes(list(probes_from_items(items, part.path)), [])


def _within(row: ItemRow, part: ExamplePart) -> bool:
    if part.start is None or row.kind in (ItemKind.PHOTO, ItemKind.TEXT_CHUNK, ItemKind.TAG):
        return True
    stop = float("inf") if part.end is None else part.end
    return (row.end or 0.0) > part.start and (row.start or 0.0) < stop

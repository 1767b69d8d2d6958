"""An in-memory stand-in for the catalog and the vector indexes, filled by the real extractor.

It implements the planner's two protocols (``VectorSearch.search`` by exact inner product,
``ItemLookup.items``) so that search can be tested and measured on real media and real models
without SQLite or FAISS. Files are added with the items :class:`engine.scan.extract.Extractor`
makes, so what is searched here is what the pipeline stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import (
    FileKind,
    FileRecord,
    FileStatus,
    ItemKind,
    ItemRow,
    NewItem,
)
from engine.scan.extract import Extractor
from engine.search.probes import Probes, probes_from_items
from engine.search.query import ExamplePart

SUFFIX_KINDS = {
    **dict.fromkeys((".png", ".jpg", ".jpeg"), FileKind.PHOTO),
    **dict.fromkeys((".ogg", ".oga", ".wav", ".flac"), FileKind.AUDIO),
    **dict.fromkeys((".txt", ".md"), FileKind.NOTE),
}


def kind_of(path: Path) -> FileKind | None:
    return SUFFIX_KINDS.get(path.suffix.lower())


@dataclass
class _Space:
    ids: list[int] = field(default_factory=list)
    vectors: list[NDArray[np.float32]] = field(default_factory=list)
    matrix: NDArray[np.float32] | None = None


class MemoryCollection:
    """Files, their items and one exact index per space, all in memory."""

    def __init__(self) -> None:
        self._files: dict[Path, FileRecord] = {}
        self._items: dict[int, ItemRow] = {}
        self._by_file: dict[int, list[tuple[ItemRow, NewItem]]] = {}
        self._spaces: dict[str, _Space] = {}

    def add(self, path: Path, kind: FileKind, items: Sequence[NewItem]) -> FileRecord:
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
            row = ItemRow(
                id=len(self._items) + 1,
                file=record,
                root_path=str(path.parent),
                kind=item.kind,
                start=item.start,
                end=item.end,
                char_start=item.char_start,
                char_end=item.char_end,
                text=item.text,
                score=item.score,
            )
            self._items[row.id] = row
            stored.append((row, item))
            for space, vector in item.vectors.items():
                found = self._spaces.setdefault(space, _Space())
                found.ids.append(row.id)
                found.vectors.append(np.asarray(vector, dtype=np.float32))
                found.matrix = None
        self._by_file[record.id] = stored
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

    def items_of(self, path: Path) -> list[tuple[ItemRow, NewItem]]:
        return self._by_file[self._files[path].id]

    def paths(self) -> list[Path]:
        return list(self._files)

    # --- the planner's protocols --------------------------------------------------------------

    def search(
        self, space: str, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        found = self._spaces[space]  # KeyError for an empty space, as the protocol allows
        if found.matrix is None:
            found.matrix = np.stack(found.vectors)
        scores = queries @ found.matrix.T
        ids = np.asarray(found.ids, dtype=np.int64)
        take = min(k, scores.shape[1])
        order = np.argsort(-scores, axis=1, kind="stable")[:, :take]
        top = np.take_along_axis(scores, order, axis=1).astype(np.float32)
        return top, ids[order]

    def items(self, item_ids: Sequence[int]) -> list[ItemRow]:
        return [self._items[i] for i in item_ids if i in self._items]


class StoredProbes:
    """Probes for examples already in the collection (their stored vectors, as a query by
    example of an indexed file would use), and text probes from a real maker."""

    def __init__(self, collection: MemoryCollection, text: Callable[[str], Probes]) -> None:
        self.collection = collection
        self.text = text

    def for_text(self, text: str) -> Probes:
        return self.text(text)

    def for_example(self, part: ExamplePart) -> Probes:
        items = [item for row, item in self.collection.items_of(part.path) if _within(row, part)]
        return Probes(list(probes_from_items(items, part.path.name)), [])


def _within(row: ItemRow, part: ExamplePart) -> bool:
    if part.start is None or row.kind in (ItemKind.PHOTO, ItemKind.TEXT_CHUNK, ItemKind.TAG):
        return True
    stop = float("inf") if part.end is None else part.end
    return (row.end or 0.0) > part.start and (row.start or 0.0) < stop

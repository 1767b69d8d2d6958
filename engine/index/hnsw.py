"""Approximate search on a navigable small-world graph: fast past the size where exact is too slow.

FAISS's HNSW cannot delete, so a removed (or replaced) vector becomes a tombstone: its slot stays
in the graph, marked dead, and searches skip it through an ``IDSelectorBitmap`` of live slots, so
that the graph walk still finds ``k`` live neighbours however many slots are dead. When the dead
pass ``rebuild_fraction`` of all slots the graph is rebuilt from the live vectors it stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.index.base import Ids, Vectors
from engine.index.checks import as_batch, as_ids, as_vectors, check_k, empty_result
from engine.index.flat import missing_to_inf, stored_vectors
from engine.index.storage import IndexFileError, read_index_file, write_index_file

REBUILD_BATCH = 65536


@dataclass(frozen=True)
class HnswParams:
    """Graph parameters, chosen by ``tests/benchmarks/latency.py`` (see BENCHMARKS.md)."""

    m: int = 32
    ef_construction: int = 40
    ef_search: int = 256  # recall@10 >= 0.95 at 1M x 384 and 100k x 1280; 128 fell short
    rebuild_fraction: float = 0.2  # rebuild once a fifth of the slots are dead


class HnswIndex:
    """``IndexHNSWFlat`` (inner product) with int64 ids and tombstones for deletes.

    Slot ``i`` of the FAISS graph holds id ``labels[i]``; ``dead[i]`` marks a tombstone. Adding
    an id that is present tombstones its old slot. Not thread-safe: ``SpaceIndexes`` serialises.
    """

    kind = "hnsw"

    def __init__(self, dim: int, params: HnswParams | None = None) -> None:
        if dim < 1:
            raise ValueError(f"dimension must be positive, got {dim}")
        self.dim = dim
        self.params = params or HnswParams()
        self._closed = False
        self._reset()

    def _graph(self) -> faiss.IndexHNSWFlat:
        index = faiss.IndexHNSWFlat(self.dim, self.params.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.params.ef_construction
        index.hnsw.efSearch = self.params.ef_search
        return index

    def _reset(self) -> None:
        self._index = self._graph()
        self._labels: Ids = np.empty(0, dtype=np.int64)
        self._dead: NDArray[np.bool_] = np.empty(0, dtype=np.bool_)
        self._tombstones = 0
        self._selector: tuple[faiss.IDSelectorBitmap, NDArray[np.uint8]] | None = None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the index is closed")

    def tombstones(self) -> int:
        return self._tombstones

    def ids(self) -> Ids:
        """Every live id, in slot order."""
        return self._labels[~self._dead]

    def load(self, path: Path) -> None:
        self._check_open()
        loaded = read_index_file(path, self.kind, self.dim)
        if not isinstance(loaded.index, faiss.IndexHNSWFlat):
            raise IndexFileError(f"{path} does not hold an HNSW index")
        labels, dead = loaded.arrays.get("labels"), loaded.arrays.get("dead")
        slots = loaded.index.ntotal
        if labels is None or dead is None or len(labels) != slots or len(dead) != slots:
            raise IndexFileError(f"{path} has labels or tombstones that do not match its graph")
        saved = {key: loaded.header[key] for key in asdict(self.params) if key in loaded.header}
        self.params = HnswParams(**saved)
        self._index = loaded.index
        self._labels = labels.astype(np.int64, copy=False)
        self._dead = dead.astype(np.bool_, copy=False)
        self._tombstones = int(self._dead.sum())
        self._selector = None

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        self._check_open()
        checked_ids, checked_vectors = as_batch(ids, vectors, self.dim)
        if not len(checked_ids):
            return
        self._bury(checked_ids)  # an id added again replaces its vector
        self._index.add(checked_vectors)
        self._labels = np.concatenate([self._labels, checked_ids])
        self._dead = np.concatenate([self._dead, np.zeros(len(checked_ids), dtype=np.bool_)])
        self._rebuild_if_needed()

    def remove(self, ids: ArrayLike) -> int:
        self._check_open()
        removed = self._bury(as_ids(ids))
        self._rebuild_if_needed()
        return removed

    def _bury(self, ids: Ids) -> int:
        slots = np.isin(self._labels, ids) & ~self._dead
        buried = int(slots.sum())
        if buried:
            self._dead[slots] = True
            self._tombstones += buried
            self._selector = None
        return buried

    def _rebuild_if_needed(self) -> None:
        if self._tombstones and self._tombstones > self.params.rebuild_fraction * len(self._dead):
            self.rebuild()

    def rebuild(self) -> None:
        """A fresh graph of the live vectors only; the old one is dropped."""
        self._check_open()
        old_index, old_labels, old_dead = self._index, self._labels, self._dead
        stored = stored_vectors(old_index.storage, len(old_labels), self.dim)
        self._reset()
        # batch by batch, so that the live vectors are never copied out all at once
        for start in range(0, len(old_labels), REBUILD_BATCH):
            live = ~old_dead[start : start + REBUILD_BATCH]
            batch_ids = old_labels[start : start + REBUILD_BATCH][live]
            if len(batch_ids):
                self._index.add(np.ascontiguousarray(stored[start : start + REBUILD_BATCH][live]))
                self._labels = np.concatenate([self._labels, batch_ids])
        self._dead = np.zeros(len(self._labels), dtype=np.bool_)
        del old_index

    def _live_selector(self) -> faiss.IDSelectorBitmap:
        if self._selector is None:
            bitmap = np.packbits(~self._dead, bitorder="little")  # FAISS reads bit i of byte i/8
            selector = faiss.IDSelectorBitmap(len(self._dead), faiss.swig_ptr(bitmap))
            self._selector = (selector, bitmap)  # the selector borrows the bitmap's memory
        return self._selector[0]

    def search(self, queries: ArrayLike, k: int) -> tuple[NDArray[np.float32], Ids]:
        self._check_open()
        check_k(k)
        checked = as_vectors(queries, self.dim, "queries")
        depth = min(k, self.count())
        if depth == 0:
            return empty_result(len(checked))
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(self.params.ef_search, depth)
        if self._tombstones:
            params.sel = self._live_selector()
        scores, slots = self._index.search(checked, depth, params=params)
        ids = np.where(slots >= 0, self._labels[np.maximum(slots, 0)], -1)
        return missing_to_inf(scores, ids), ids

    def count(self) -> int:
        return len(self._labels) - self._tombstones

    def save(self, path: Path) -> None:
        self._check_open()
        header = {"kind": self.kind, "dim": self.dim, **asdict(self.params)}
        arrays = {"labels": self._labels, "dead": self._dead}
        write_index_file(path, header, self._index, arrays)

    def close(self) -> None:
        self._reset()
        self._closed = True

    def export(self, batch: int = 65536) -> Iterator[tuple[Ids, Vectors]]:
        """Every live ``(ids, vectors)``, in batches (copies), to build another index from."""
        stored = stored_vectors(self._index.storage, len(self._labels), self.dim)
        for start in range(0, len(self._labels), batch):
            live = ~self._dead[start : start + batch]
            if live.any():
                yield self._labels[start : start + batch][live], stored[start : start + batch][live]

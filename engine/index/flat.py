"""Exact search: every vector scored against the query. Right while a space is small."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.index.base import Ids, Vectors
from engine.index.checks import as_batch, as_ids, as_vectors, check_k, empty_result
from engine.index.storage import IndexFileError, read_index_file, write_index_file


def stored_vectors(flat: faiss.Index, count: int, dim: int) -> Vectors:
    """A read-only view (no copy) of the vectors an ``IndexFlat`` holds, in insertion order."""
    if count == 0:
        return np.empty((0, dim), dtype=np.float32)
    start = faiss.downcast_index(flat).get_xb()  # type: ignore[attr-defined]
    view = faiss.rev_swig_ptr(start, count * dim)
    return np.asarray(view).reshape(count, dim)


def missing_to_inf(scores: NDArray[np.float32], ids: Ids) -> NDArray[np.float32]:
    """FAISS marks an unfilled slot with id -1 and a huge negative score; make it -inf."""
    scores[ids < 0] = -np.inf
    return scores


class FlatIndex:
    """``IndexIDMap2(IndexFlatIP)``: exact inner product, real removal, ids kept by FAISS.

    Adding an id that is already present replaces its vector. A loaded index searches its
    vectors in place, in the mapped file (:mod:`engine.index.storage`), until its first change
    copies them into memory of its own. Not thread-safe: the caller (``SpaceIndexes``)
    serialises access.
    """

    kind = "flat"

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dimension must be positive, got {dim}")
        self.dim = dim
        self._index: faiss.IndexIDMap2 | None = self._empty()
        self._mapping: NDArray[np.uint8] | None = None  # the file the vectors lie in, if mapped

    def _empty(self) -> faiss.IndexIDMap2:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    @property
    def _open(self) -> faiss.IndexIDMap2:
        if self._index is None:
            raise RuntimeError("the index is closed")
        return self._index

    def ids(self) -> Ids:
        """Every id present, in storage order."""
        return faiss.vector_to_array(self._open.id_map).astype(np.int64, copy=False)

    def _changeable(self) -> faiss.IndexIDMap2:
        """The index, its vectors copied out of the mapped file first if they lie there: FAISS
        cannot change vectors it does not own (it aborts the process)."""
        if self._mapping is not None:
            owned = self._empty()
            owned.add_with_ids(stored_vectors(self._open.index, self.count(), self.dim), self.ids())
            self._index, self._mapping = owned, None
        return self._open

    def load(self, path: Path) -> None:
        found = read_index_file(path, self.kind, self.dim, in_place=True)
        if not isinstance(found.index, faiss.IndexIDMap2):
            raise IndexFileError(f"{path} does not hold an id-mapped flat index")
        self._index, self._mapping = found.index, found.mapping

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        checked_ids, checked_vectors = as_batch(ids, vectors, self.dim)
        if not len(checked_ids):
            return
        self.remove(checked_ids)  # an id added again replaces its vector
        self._changeable().add_with_ids(checked_vectors, checked_ids)

    def remove(self, ids: ArrayLike) -> int:
        wanted = as_ids(ids)
        # remove_ids rebuilds IndexIDMap2's reverse map: skip it when nothing would go
        present = wanted[np.isin(wanted, self.ids())]
        if not len(present):
            return 0
        return int(self._changeable().remove_ids(faiss.IDSelectorBatch(present)))

    def search(self, queries: ArrayLike, k: int) -> tuple[NDArray[np.float32], Ids]:
        check_k(k)
        checked = as_vectors(queries, self.dim, "queries")
        depth = min(k, self.count())
        if depth == 0:
            return empty_result(len(checked))
        scores, ids = self._open.search(checked, depth)
        return missing_to_inf(scores, ids), ids

    def count(self) -> int:
        return int(self._open.ntotal)

    def save(self, path: Path) -> None:
        write_index_file(path, {"kind": self.kind, "dim": self.dim}, self._open)

    def close(self) -> None:
        self._index = None  # before its map: the index points into it
        self._mapping = None

    def export(self, batch: int = 65536) -> Iterator[tuple[Ids, Vectors]]:
        """Every ``(ids, vectors)`` held, in batches (copies), to build another index from."""
        ids = self.ids()
        stored = stored_vectors(self._open.index, len(ids), self.dim)
        for start in range(0, len(ids), batch):
            yield ids[start : start + batch].copy(), stored[start : start + batch].copy()

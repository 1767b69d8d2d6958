"""Argument checks and result shapes every index kind shares."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.index.base import Ids, Vectors


def as_ids(ids: ArrayLike) -> Ids:
    array = np.ascontiguousarray(ids, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError("ids must not be negative: -1 marks an empty result slot")
    return array


def as_vectors(vectors: ArrayLike, dim: int, what: str = "vectors") -> Vectors:
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}), got {array.shape}")
    return array


def as_batch(ids: ArrayLike, vectors: ArrayLike, dim: int) -> tuple[Ids, Vectors]:
    """Checked ``(ids, vectors)`` for ``add``: one distinct id per row."""
    checked_ids = as_ids(ids)
    checked_vectors = as_vectors(vectors, dim)
    if len(checked_ids) != len(checked_vectors):
        raise ValueError(f"{len(checked_ids)} ids for {len(checked_vectors)} vectors")
    if len(np.unique(checked_ids)) != len(checked_ids):
        raise ValueError("the same id appears twice in one add")
    return checked_ids, checked_vectors


def check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def empty_result(queries: int, k: int = 0) -> tuple[NDArray[np.float32], Ids]:
    """``k`` empty slots per query: score -inf, id -1."""
    return (
        np.full((queries, k), -np.inf, dtype=np.float32),
        np.full((queries, k), -1, dtype=np.int64),
    )

"""What only the approximate index does: tombstones, rebuilds, recall at its default settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.index.hnsw import HnswIndex, HnswParams
from tests.engine.index.conftest import unit_vectors


def test_tombstones_then_rebuild_past_the_fraction(tmp_path: Path) -> None:
    vectors = unit_vectors(100, 8)
    index = HnswIndex(8, HnswParams(rebuild_fraction=0.2))
    index.add(np.arange(100), vectors)
    index.remove(np.arange(20))
    assert index.tombstones() == 20 and index.count() == 80  # 20 of 100 slots: not past 20%
    index.save(tmp_path / "h.idx")
    index.remove(np.arange(20, 25))
    assert index.tombstones() == 0 and index.count() == 75  # rebuilt from the live vectors
    _, ids = index.search(vectors[25:], 1)
    np.testing.assert_array_equal(ids[:, 0], np.arange(25, 100))
    reloaded = HnswIndex(8)
    reloaded.load(tmp_path / "h.idx")
    assert reloaded.tombstones() == 20 and reloaded.count() == 80
    assert reloaded.params.rebuild_fraction == 0.2


def test_replacing_leaves_a_tombstone() -> None:
    index = HnswIndex(8, HnswParams(rebuild_fraction=1.0))
    index.add(np.arange(10), unit_vectors(10, 8))
    index.add(np.array([3]), unit_vectors(1, 8, seed=2))
    assert index.tombstones() == 1 and index.count() == 10


def test_default_parameters_reach_the_recall_target() -> None:
    vectors, queries = unit_vectors(5000, 64), unit_vectors(100, 64, seed=1)
    index = HnswIndex(64)
    index.add(np.arange(5000), vectors)
    _, ids = index.search(queries, 10)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(ids, truth, strict=True)])
    assert recall >= 0.95

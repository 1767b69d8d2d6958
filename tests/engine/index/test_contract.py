"""The seven-method contract, run against every index kind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.index.base import VectorIndex
from engine.index.flat import FlatIndex
from engine.index.hnsw import HnswIndex, HnswParams
from engine.index.storage import IndexFileError
from tests.engine.index.conftest import unit_vectors

DIM = 16
Index = FlatIndex | HnswIndex
KINDS: dict[str, Callable[[int], Index]] = {
    "flat": FlatIndex,
    # never rebuilt here, so that tombstones are what the contract exercises
    "hnsw": lambda dim: HnswIndex(dim, HnswParams(rebuild_fraction=1.0)),
}


def as_protocol(flat: FlatIndex, hnsw: HnswIndex) -> list[VectorIndex]:
    return [flat, hnsw]  # mypy checks that both kinds offer the protocol's methods


@pytest.fixture(params=sorted(KINDS))
def make(request: pytest.FixtureRequest) -> Callable[[int], Index]:
    return KINDS[request.param]


@pytest.fixture
def index(make: Callable[[int], Index], vectors: NDArray[np.float32]) -> Index:
    built = make(DIM)
    built.add(np.arange(100, 100 + len(vectors)), vectors)
    return built


def exact(vectors: NDArray[np.float32], queries: NDArray[np.float32], k: int) -> NDArray[np.int64]:
    return np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :k]


def test_each_vector_finds_itself_first(index: Index, vectors: NDArray[np.float32]) -> None:
    scores, ids = index.search(vectors, 5)
    assert ids.shape == scores.shape == (len(vectors), 5)
    np.testing.assert_array_equal(ids[:, 0], np.arange(100, 100 + len(vectors)))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)


def test_scores_are_inner_products_best_first(index: Index, vectors: NDArray[np.float32]) -> None:
    queries = unit_vectors(20, DIM, seed=1)
    scores, ids = index.search(queries, 10)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    expected = np.einsum("qd,qkd->qk", queries, vectors[ids - 100])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    overlap = [
        len(set(found) & set(true + 100))
        for found, true in zip(ids, exact(vectors, queries, 10), strict=True)
    ]
    assert np.mean(overlap) >= 9.5  # 300 vectors: HNSW is all but exact


def test_search_on_empty_gives_no_columns(make: Callable[[int], Index]) -> None:
    scores, ids = make(DIM).search(unit_vectors(3, DIM), 10)
    assert scores.shape == ids.shape == (3, 0)


def test_k_beyond_count_gives_every_vector(make: Callable[[int], Index]) -> None:
    index = make(DIM)
    index.add(np.array([7, 8, 9]), unit_vectors(3, DIM))
    scores, ids = index.search(unit_vectors(2, DIM, seed=5), 10)
    assert ids.shape == (2, 3)
    assert all(sorted(row) == [7, 8, 9] for row in ids.tolist())
    assert np.isfinite(scores).all()


def test_removed_ids_are_never_found(index: Index, vectors: NDArray[np.float32]) -> None:
    gone = np.arange(100, 250)  # half of them
    assert index.remove(np.concatenate([gone, [5, 6]])) == len(gone)  # absent ids don't count
    assert index.remove(gone) == 0
    assert index.count() == len(vectors) - len(gone)
    _, ids = index.search(vectors, 10)
    assert not np.isin(ids, gone).any()
    assert (ids >= 0).all()  # the graph still yields ten live neighbours per query
    np.testing.assert_array_equal(ids[150:, 0], np.arange(250, 400))


def test_adding_an_id_again_replaces_its_vector(index: Index, vectors: NDArray[np.float32]) -> None:
    replacement = unit_vectors(1, DIM, seed=9)
    index.add(np.array([100]), replacement)
    assert index.count() == len(vectors)
    scores, ids = index.search(replacement, 1)
    assert ids[0, 0] == 100 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    scores, ids = index.search(vectors[:1], len(vectors))
    hit = scores[0][ids[0] == 100]
    assert hit == pytest.approx(float(vectors[0] @ replacement[0]), abs=1e-5)


def test_save_load_round_trip(
    make: Callable[[int], Index], index: Index, vectors: NDArray[np.float32], tmp_path: Path
) -> None:
    index.remove(np.arange(100, 130))
    index.add(np.array([1000]), unit_vectors(1, DIM, seed=3))
    queries = unit_vectors(25, DIM, seed=4)
    before = index.search(queries, 10)
    index.save(tmp_path / "space.idx")
    assert [p.name for p in tmp_path.iterdir()] == ["space.idx"]  # no temporary left behind
    loaded = make(DIM)
    loaded.load(tmp_path / "space.idx")
    assert loaded.count() == index.count() == len(vectors) - 30 + 1
    after = loaded.search(queries, 10)
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(after[0], before[0])


def test_truncated_file_is_refused(
    index: Index, make: Callable[[int], Index], tmp_path: Path
) -> None:
    path = tmp_path / "space.idx"
    index.save(path)
    data = path.read_bytes()
    for cut in (len(data) - 3, len(data) // 2, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(IndexFileError):
            make(DIM).load(path)


def test_wrong_kind_or_dimension_is_refused(index: Index, tmp_path: Path) -> None:
    path = tmp_path / "space.idx"
    index.save(path)
    other = HnswIndex(DIM) if isinstance(index, FlatIndex) else FlatIndex(DIM)
    with pytest.raises(IndexFileError, match="index, not"):
        other.load(path)
    with pytest.raises(IndexFileError, match="-d vectors"):
        type(index)(DIM + 1).load(path)


def test_bad_arguments_raise(index: Index) -> None:
    with pytest.raises(ValueError, match="shape"):
        index.add(np.array([1]), unit_vectors(1, DIM + 1))
    with pytest.raises(ValueError, match="twice"):
        index.add(np.array([1, 1]), unit_vectors(2, DIM))
    with pytest.raises(ValueError, match="ids for"):
        index.add(np.array([1, 2]), unit_vectors(1, DIM))
    with pytest.raises(ValueError, match="negative"):
        index.add(np.array([-1]), unit_vectors(1, DIM))
    with pytest.raises(ValueError, match="k must"):
        index.search(unit_vectors(1, DIM), 0)


def test_close_releases_the_index(index: Index) -> None:
    index.close()
    with pytest.raises(RuntimeError, match="closed"):
        index.search(unit_vectors(1, DIM), 1)


def test_export_gives_exactly_the_live_vectors(index: Index, vectors: NDArray[np.float32]) -> None:
    index.remove(np.arange(100, 110))
    exported = list(index.export(batch=64))
    ids = np.concatenate([batch_ids for batch_ids, _ in exported])
    stored = np.concatenate([batch for _, batch in exported])
    np.testing.assert_array_equal(np.sort(ids), np.arange(110, 400))
    np.testing.assert_array_equal(stored, vectors[ids - 100])

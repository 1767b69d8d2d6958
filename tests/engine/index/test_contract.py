"""The seven-method contract, run against every index kind; then the space-keyed search the
planner calls, run against the real ``SpaceIndexes`` and the tests' in-memory fake alike, so a
planner test on the fake takes the paths production takes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.index.base import VectorIndex
from engine.index.flat import FlatIndex
from engine.index.hnsw import HnswIndex, HnswParams
from engine.index.library import Library
from engine.index.milvus import Collection, MilvusIndex, connect
from engine.index.spaces import SpaceIndexes
from engine.index.storage import IndexFileError
from engine.search.planner import VectorSearch
from tests.engine.index.conftest import unit_vectors
from tests.engine.search.memory import MemorySpaces

DIM = 16
Index = FlatIndex | HnswIndex | MilvusIndex
# A Milvus collection lives in its library, not in a file of its own: each test gets a fresh
# Milvus Lite file, and every index the test makes is that library's one collection.
FILE_KINDS = ("flat", "hnsw")
# The server (one per session, tests/engine/index/milvus_server.py): a fresh collection per test.
MILVUS_KINDS = ("milvus-lite", "milvus-server")


def as_protocol(flat: FlatIndex, hnsw: HnswIndex, milvus: MilvusIndex) -> list[VectorIndex]:
    return [flat, hnsw, milvus]  # mypy checks that every kind offers the protocol's methods


@pytest.fixture(params=[*FILE_KINDS, *MILVUS_KINDS])
def make(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[int], Index]:
    if request.param == "flat":
        return FlatIndex
    if request.param == "hnsw":
        # never rebuilt here, so that tombstones are what the contract exercises
        return lambda dim: HnswIndex(dim, HnswParams(rebuild_fraction=1.0))
    if request.param == "milvus-lite":
        library = Library.parse(str(tmp_path_factory.mktemp("milvus") / "library.db"))
        return lambda dim: MilvusIndex(library, "contract", dim)
    # One collection for the session, emptied for each test: making one on the server takes
    # 3-4 s (its index and load), emptying it a few milliseconds.
    library = Library.parse(request.getfixturevalue("milvus_server").uri)
    MilvusIndex(library, "contract", DIM).close()  # made once
    emptied = Collection(connect(library), "contract", DIM, HnswParams())
    emptied.client.delete(emptied.name, filter="item_id >= 0")
    emptied.client.close()
    return lambda dim: MilvusIndex(library, "contract", dim)


@pytest.fixture
def file_kind(
    request: pytest.FixtureRequest, make: Callable[[int], Index]
) -> Callable[[int], Index]:
    """Only the kinds that keep an index in a file of its own (the file tests' subject)."""
    if request.node.callspec.params["make"] not in FILE_KINDS:
        pytest.skip("a Milvus collection is kept by Milvus, not in a file Trove writes")
    return make


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
    if not isinstance(index, MilvusIndex):
        assert [p.name for p in tmp_path.iterdir()] == ["space.idx"]  # no temporary left behind
    loaded = make(DIM)
    loaded.load(tmp_path / "space.idx")
    assert loaded.count() == index.count() == len(vectors) - 30 + 1
    after = loaded.search(queries, 10)
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(after[0], before[0])


def test_a_loaded_index_takes_changes(
    make: Callable[[int], Index], index: Index, vectors: NDArray[np.float32], tmp_path: Path
) -> None:
    # A flat index is read in place from its mapped file: its first change copies it out
    # (FAISS aborts the process on a change to vectors it does not own).
    index.save(tmp_path / "first.idx")
    loaded = make(DIM)
    loaded.load(tmp_path / "first.idx")
    replacement, added = unit_vectors(1, DIM, seed=5), unit_vectors(1, DIM, seed=6)
    loaded.add(np.array([100]), replacement)
    loaded.add(np.array([5000]), added)
    assert loaded.remove(np.arange(101, 111)) == 10
    (tmp_path / "first.idx").unlink(missing_ok=True)  # nothing refers to the old file any more
    found = loaded.search(np.concatenate([replacement, added, vectors[1:11]]), 1)[1][:, 0]
    assert found[:2].tolist() == [100, 5000]
    assert not np.isin(found[2:], np.arange(101, 111)).any()
    loaded.save(tmp_path / "second.idx")
    again = make(DIM)
    again.load(tmp_path / "second.idx")
    assert again.count() == loaded.count() == len(vectors) - 10 + 1
    assert again.search(added, 1)[1][0, 0] == 5000


def test_truncated_file_is_refused(
    file_kind: Callable[[int], Index], index: Index, tmp_path: Path
) -> None:
    path = tmp_path / "space.idx"
    index.save(path)
    data = path.read_bytes()
    for cut in (len(data) - 3, len(data) // 2, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(IndexFileError):
            file_kind(DIM).load(path)


def test_wrong_kind_or_dimension_is_refused(
    file_kind: Callable[[int], Index], index: Index, tmp_path: Path
) -> None:
    path = tmp_path / "space.idx"
    index.save(path)
    other = HnswIndex(DIM) if isinstance(index, FlatIndex) else FlatIndex(DIM)
    with pytest.raises(IndexFileError, match="index, not"):
        other.load(path)
    with pytest.raises(IndexFileError, match="-d vectors"):
        file_kind(DIM + 1).load(path)


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


# --- the space-keyed search (engine.search.planner.VectorSearch) -------------------------------

Spaces = SpaceIndexes | MemorySpaces
SPACE = "minilm-l6-v2"


def as_vector_search(real: SpaceIndexes, fake: MemorySpaces) -> list[VectorSearch]:
    return [real, fake]  # mypy checks that both offer the planner's protocol


@pytest.fixture(params=["SpaceIndexes", "MemorySpaces"])
def spaces(request: pytest.FixtureRequest, tmp_path: Path) -> Spaces:
    return SpaceIndexes(tmp_path) if request.param == "SpaceIndexes" else MemorySpaces()


def test_a_space_with_nothing_in_it_gives_no_columns(spaces: Spaces) -> None:
    scores, ids = spaces.search("never-indexed", unit_vectors(3, DIM), 10)
    assert scores.shape == ids.shape == (3, 0)
    assert scores.dtype == np.float32 and ids.dtype == np.int64


def test_a_space_finds_its_vectors_best_first(spaces: Spaces, vectors: NDArray[np.float32]) -> None:
    spaces.add(SPACE, np.arange(100, 100 + len(vectors)), vectors)
    scores, ids = spaces.search(SPACE, vectors, 5)
    assert ids.shape == scores.shape == (len(vectors), 5)
    assert scores.dtype == np.float32 and ids.dtype == np.int64
    np.testing.assert_array_equal(ids[:, 0], np.arange(100, 100 + len(vectors)))
    expected = np.einsum("qd,qkd->qk", vectors, vectors[ids - 100])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    _, every = spaces.search(SPACE, vectors[:2], 1000)
    assert every.shape == (2, len(vectors)) and (every >= 100).all()


def test_spaces_are_apart_and_an_id_added_again_is_replaced(spaces: Spaces) -> None:
    spaces.add(SPACE, np.array([1, 2]), unit_vectors(2, DIM, seed=1))
    spaces.add("other", np.array([3]), unit_vectors(1, DIM + 8, seed=2))
    replacement = unit_vectors(1, DIM, seed=3)
    spaces.add(SPACE, np.array([1]), replacement)
    scores, ids = spaces.search(SPACE, replacement, 10)
    assert ids.tolist() == [[1, 2]] and scores[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_bad_arguments_raise_alike(spaces: Spaces) -> None:
    spaces.add(SPACE, np.array([1]), unit_vectors(1, DIM))
    with pytest.raises(ValueError, match="queries must have shape"):
        spaces.search(SPACE, unit_vectors(1, DIM + 1), 1)
    with pytest.raises(ValueError, match="k must"):
        spaces.search("never-indexed", unit_vectors(1, DIM), 0)
    with pytest.raises(ValueError, match=f"{DIM}-d"):
        spaces.add(SPACE, np.array([2]), unit_vectors(1, DIM + 1))
    with pytest.raises(ValueError, match="twice"):
        spaces.add(SPACE, np.array([5, 5]), unit_vectors(2, DIM))


def test_a_milvus_collection_of_another_dimension_is_refused(tmp_path: Path) -> None:
    library = Library.parse(str(tmp_path / "library.db"))
    MilvusIndex(library, "contract", DIM).close()
    with pytest.raises(ValueError, match=f"{DIM}-d vectors, not {DIM + 1}-d"):
        MilvusIndex(library, "contract", DIM + 1)

"""SpaceIndexes against a small in-memory stand-in for the catalog."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest
from numpy.typing import NDArray

from engine.catalog.records import ReplaceResult
from engine.index.flat import FlatIndex
from engine.index.spaces import SpaceIndexes, faiss_threads, slug
from tests.engine.index.conftest import unit_vectors

TEXT, IMAGE = "minilm-l6-v2", "efficientnet-lite0"


class FakeCatalog:
    """Keeps vectors per space and a generation that bumps on every change, like the catalog."""

    def __init__(self) -> None:
        self.vectors: dict[str, dict[int, NDArray[np.float32]]] = {}
        self.dims: dict[str, int] = {}
        self.reads: list[str] = []
        self._generation = 0
        self._next_id = 1

    def put(self, space: str, vectors: NDArray[np.float32]) -> ReplaceResult:
        ids = np.arange(self._next_id, self._next_id + len(vectors), dtype=np.int64)
        self._next_id += len(vectors)
        self.dims[space] = vectors.shape[1]
        self.vectors.setdefault(space, {}).update(zip(ids.tolist(), vectors, strict=True))
        self._generation += 1
        return ReplaceResult(added={space: (ids, vectors)})

    def delete(self, space: str, ids: list[int]) -> ReplaceResult:
        for item_id in ids:
            del self.vectors[space][item_id]
        self._generation += 1
        return ReplaceResult(removed=[(space, item_id) for item_id in ids])

    def spaces(self) -> dict[str, int]:
        return dict(self.dims)

    def generation(self) -> int:
        return self._generation

    def iter_vectors(
        self, space: str, batch: int = 65536
    ) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float32]]]:
        self.reads.append(space)
        items = sorted(self.vectors.get(space, {}).items())
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            yield (
                np.array([item_id for item_id, _ in chunk], dtype=np.int64),
                np.stack([vector for _, vector in chunk]),
            )


@pytest.fixture
def catalog() -> FakeCatalog:
    fake = FakeCatalog()
    fake.put(TEXT, unit_vectors(50, 16, seed=1))
    fake.put(IMAGE, unit_vectors(30, 24, seed=2))
    return fake


def top_ids(indexes: SpaceIndexes, space: str, queries: NDArray[np.float32]) -> list[int]:
    return indexes.search(space, queries, 1)[1][:, 0].tolist()


def saved_kinds(indexes: SpaceIndexes) -> dict[str, str]:
    """Space -> index kind (``flat`` or ``hnsw``), as ``save`` records it beside each index
    (it rewrites a space's record when the space or the catalog's generation changed)."""
    indexes.save()
    saved = [json.loads(path.read_text()) for path in indexes.folder.glob("*.json")]
    return {manifest["space"]: manifest["kind"] for manifest in saved}


def test_open_builds_every_space_from_the_catalog(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path)
    assert sorted(indexes.open(catalog)) == sorted([TEXT, IMAGE])
    assert top_ids(indexes, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))
    assert top_ids(indexes, IMAGE, unit_vectors(30, 24, seed=2)) == list(range(51, 81))
    assert saved_kinds(indexes) == {TEXT: "flat", IMAGE: "flat"}


def test_saved_indexes_load_without_reading_the_catalog(
    catalog: FakeCatalog, tmp_path: Path
) -> None:
    first = SpaceIndexes(tmp_path)
    first.open(catalog)
    first.apply(catalog.put(TEXT, unit_vectors(5, 16, seed=3)))
    first.apply(catalog.delete(TEXT, [1, 2]))
    first.save()
    first.close()
    catalog.reads.clear()
    second = SpaceIndexes(tmp_path)
    assert second.open(catalog) == []
    assert catalog.reads == []
    assert second.count(TEXT) == 53
    assert top_ids(second, TEXT, unit_vectors(5, 16, seed=3)) == list(range(81, 86))
    assert not np.isin(second.search(TEXT, unit_vectors(50, 16, seed=1), 60)[1], [1, 2]).any()


def test_a_change_not_saved_makes_the_index_stale(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path)
    indexes.open(catalog)
    catalog.put(TEXT, unit_vectors(1, 16, seed=7))  # committed, then a crash before apply/save
    reopened = SpaceIndexes(tmp_path)
    assert sorted(reopened.open(catalog)) == sorted([TEXT, IMAGE])
    assert top_ids(reopened, TEXT, unit_vectors(1, 16, seed=7)) == [81]


def test_a_change_to_one_space_keeps_the_others_fresh(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path)
    indexes.open(catalog)
    indexes.apply(catalog.put(TEXT, unit_vectors(1, 16, seed=7)))
    indexes.save()  # the generation is global: the image space is re-stamped, not rewritten
    assert SpaceIndexes(tmp_path).open(catalog) == []


@pytest.mark.parametrize("damage", ["truncate", "delete", "garble manifest"])
def test_a_damaged_index_is_rebuilt(catalog: FakeCatalog, tmp_path: Path, damage: str) -> None:
    SpaceIndexes(tmp_path).open(catalog)
    [index_file] = tmp_path.glob(f"{slug(TEXT)}-*.idx")
    if damage == "truncate":
        index_file.write_bytes(index_file.read_bytes()[:-100])
    elif damage == "delete":
        index_file.unlink()
    else:
        (tmp_path / f"{slug(TEXT)}.json").write_text("{not json")
    reopened = SpaceIndexes(tmp_path)
    assert reopened.open(catalog) == [TEXT]
    assert top_ids(reopened, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))
    assert SpaceIndexes(tmp_path).open(catalog) == []  # and the rebuilt one was saved


def test_an_index_is_read_when_first_searched_and_only_its_own(
    catalog: FakeCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SpaceIndexes(tmp_path).open(catalog)
    read: list[str] = []
    load = FlatIndex.load

    def counted(index: FlatIndex, path: Path) -> None:
        read.append(path.name)
        load(index, path)

    monkeypatch.setattr(FlatIndex, "load", counted)
    reopened = SpaceIndexes(tmp_path)
    assert reopened.open(catalog) == [] and read == []
    assert top_ids(reopened, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))
    assert top_ids(reopened, TEXT, unit_vectors(2, 16, seed=1)) == [1, 2]
    [only] = read  # once, and not the image space's
    assert only.startswith(f"{slug(TEXT)}-")


def test_damage_inside_an_index_found_when_first_read_is_rebuilt_then(
    catalog: FakeCatalog, tmp_path: Path
) -> None:
    SpaceIndexes(tmp_path).open(catalog)
    [index_file] = tmp_path.glob(f"{slug(TEXT)}-*.idx")
    data = bytearray(index_file.read_bytes())
    header = int.from_bytes(data[8:16], "little")  # after the magic: the header's length
    faiss_part = 16 + header
    data[faiss_part : faiss_part + 4] = b"\xff" * 4  # FAISS's own type tag; the ends stay whole
    index_file.write_bytes(bytes(data))
    reopened = SpaceIndexes(tmp_path)
    assert reopened.open(catalog) == []  # only the ends are judged at open
    catalog.reads.clear()
    assert top_ids(reopened, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))
    assert catalog.reads == [TEXT]
    reopened.save()
    catalog.reads.clear()
    again = SpaceIndexes(tmp_path)
    assert again.open(catalog) == []
    assert top_ids(again, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))
    assert catalog.reads == []


def test_saving_replaces_files_and_leaves_no_leftovers(
    catalog: FakeCatalog, tmp_path: Path
) -> None:
    indexes = SpaceIndexes(tmp_path)
    indexes.open(catalog)
    (tmp_path / "orphan-1234.idx").write_bytes(b"from a crashed save")
    (tmp_path / ".x.json.abc.tmp").write_bytes(b"")
    (tmp_path / "gone-space.json").write_text("{}")
    indexes.apply(catalog.put(TEXT, unit_vectors(2, 16, seed=8)))
    indexes.save()
    SpaceIndexes(tmp_path).open(catalog)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 4
    assert sum(name.startswith(slug(TEXT)) and name.endswith(".idx") for name in names) == 1
    assert {f"{slug(TEXT)}.json", f"{slug(IMAGE)}.json"} <= set(names)


def test_a_growing_space_switches_to_hnsw(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path, flat_limit=100 * 16)
    indexes.open(catalog)
    added = unit_vectors(80, 16, seed=5)
    indexes.apply(catalog.put(TEXT, added))
    assert saved_kinds(indexes)[TEXT] == "hnsw" and indexes.count(TEXT) == 130
    assert top_ids(indexes, TEXT, added) == list(range(81, 161))
    reopened = SpaceIndexes(tmp_path, flat_limit=100 * 16)
    assert reopened.open(catalog) == []
    # A change bumps the generation, so the save rewrites every space's kind from memory.
    reopened.apply(catalog.put(IMAGE, unit_vectors(1, 24, seed=6)))
    assert saved_kinds(reopened) == {TEXT: "hnsw", IMAGE: "flat"}
    assert top_ids(reopened, TEXT, added) == list(range(81, 161))


def test_a_rebuild_of_a_large_space_is_hnsw(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path, flat_limit=30 * 24)  # image: 30 x 24, just in
    indexes.open(catalog)
    assert saved_kinds(indexes) == {TEXT: "hnsw", IMAGE: "flat"}
    assert top_ids(indexes, TEXT, unit_vectors(50, 16, seed=1)) == list(range(1, 51))


def test_unknown_spaces_and_wrong_dimensions(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path)
    indexes.open(catalog)
    scores, ids = indexes.search("clap", unit_vectors(2, 512), 5)
    assert ids.shape == scores.shape == (2, 0)
    assert indexes.remove([("clap", 3)]) == 0
    with pytest.raises(ValueError, match="16-d"):
        indexes.add(TEXT, [999], unit_vectors(1, 8))
    with pytest.raises(ValueError, match="queries"):
        indexes.search(TEXT, unit_vectors(1, 8), 5)


def test_a_new_space_appears_with_its_first_vectors(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path)
    indexes.open(catalog)
    indexes.apply(catalog.put("clap", unit_vectors(3, 32, seed=4)))
    assert top_ids(indexes, "clap", unit_vectors(3, 32, seed=4)) == [81, 82, 83]
    indexes.save()
    assert SpaceIndexes(tmp_path).open(catalog) == []


def test_searches_run_while_the_pipeline_adds(catalog: FakeCatalog, tmp_path: Path) -> None:
    indexes = SpaceIndexes(tmp_path, flat_limit=200 * 16)  # crosses to HNSW mid-way
    indexes.open(catalog)
    failures: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        query = unit_vectors(1, 16, seed=11)
        try:
            while not done.is_set():
                _, ids = indexes.search(TEXT, query, 10)
                assert (ids > 0).all() and len(set(ids[0].tolist())) == ids.shape[1]
        except BaseException as error:  # handed to the main thread
            failures.append(error)

    searchers = [threading.Thread(target=search) for _ in range(2)]
    for thread in searchers:
        thread.start()
    for seed in range(20):
        indexes.apply(catalog.put(TEXT, unit_vectors(20, 16, seed=100 + seed)))
    done.set()
    for thread in searchers:
        thread.join()
    assert failures == []
    assert indexes.count(TEXT) == 450 and saved_kinds(indexes)[TEXT] == "hnsw"


def test_search_threads_are_restored() -> None:
    before = faiss.omp_get_max_threads()
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before

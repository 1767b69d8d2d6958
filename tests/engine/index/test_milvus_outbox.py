"""The catalog's outbox carries every vector change to a real Milvus Lite library: with the fields
a hit is shown with, after a rename, a delete and a forgotten folder, and across ``kill -9`` at
either side of the Milvus write, losing nothing and duplicating nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind, MediaFacts
from engine.index.library import Library, LibraryError
from engine.index.milvus import Collection, MilvusSpaces
from engine.search.query import Filters, PlaceName
from tests.engine.index import milvus_child

SPACE, DIM = milvus_child.SPACE, milvus_child.DIM
LISBON = 2267057  # GeoNames


def items(rng: np.random.Generator, count: int) -> list[Item]:
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        Item(kind=ItemKind.TEXT_CHUNK, text=f"chunk {i}", vectors={SPACE: vector})
        for i, vector in enumerate(vectors)
    ]


@pytest.fixture
def spaces(tmp_path: Path, catalog: Catalog) -> Iterator[MilvusSpaces]:
    opened = MilvusSpaces(Library.parse(str(tmp_path / "library.db")))
    opened.open(catalog)
    yield opened
    opened.close()


def milvus_rows(spaces: MilvusSpaces, space: str = SPACE) -> list[dict[str, object]]:
    collection = Collection(spaces._connected(), space, DIM, spaces.hnsw)
    return list(
        collection.client.query(
            collection.name, filter="item_id >= 0", output_fields=["item_id", "relpath", "kind",
                                                                    "root", "text", "size"]
        )
    )  # fmt: skip


def catalog_ids(catalog: Catalog, space: str = SPACE) -> list[int]:
    return sorted(int(i) for ids, _ in catalog.iter_vectors(space) for i in ids)


def test_a_catalog_without_a_milvus_library_notes_nothing(tmp_path: Path) -> None:
    with Catalog(tmp_path / "faiss-only.sqlite3") as catalog:
        root = catalog.add_root(tmp_path)
        record = catalog.upsert_file(root.id, "a.md", 10, 10**18, "h", FileKind.NOTE)
        catalog.replace_items(record.id, items(np.random.default_rng(0), 3))
        assert catalog.outbox_size() == 0


def test_changes_reach_milvus_with_what_a_hit_shows(catalog: Catalog, spaces: MilvusSpaces) -> None:
    root = catalog.add_root(Path("/home/ann/Notes"))
    record = catalog.upsert_file(root.id, "diary.md", 1234, 10**18, "h", FileKind.NOTE)
    written = items(np.random.default_rng(1), 5)
    spaces.apply(catalog.replace_items(record.id, written))
    assert catalog.outbox_size() == 0
    rows = milvus_rows(spaces)
    assert sorted(int(row["item_id"]) for row in rows) == catalog_ids(catalog)  # type: ignore[call-overload]
    assert {(row["root"], row["relpath"], row["kind"], row["size"]) for row in rows} == {
        ("/home/ann/Notes", "diary.md", "note", 1234)
    }
    assert sorted(str(row["text"]) for row in rows) == [f"chunk {i}" for i in range(5)]
    scores, ids = spaces.search(SPACE, np.stack([written[2].vectors[SPACE]]), 1)
    assert ids[0, 0] == catalog_ids(catalog)[2] and scores[0, 0] == pytest.approx(1.0, abs=1e-5)

    catalog.move_file(record.id, root.id, "2024/diary.md")  # a rename reaches Milvus too
    spaces.save()
    assert {row["relpath"] for row in milvus_rows(spaces)} == {"2024/diary.md"}

    spaces.remove(catalog.delete_file(record.id))
    assert milvus_rows(spaces) == [] and spaces.count(SPACE) == 0


def test_a_files_date_reaches_milvus_as_date_filters_ask_it(
    catalog: Catalog, spaces: MilvusSpaces
) -> None:
    """Milvus filters by the date a hit is filtered by in the catalog (taken, else modified),
    and a date read after indexing (a catalog catching up on metadata) reaches it too."""
    root = catalog.add_root(Path("/home/ann/Photos"))
    modified_2024 = int(datetime(2024, 6, 1, 12).timestamp()) * 10**9
    record = catalog.upsert_file(root.id, "old.jpg", 10, modified_2024, "h", FileKind.PHOTO)
    written = items(np.random.default_rng(4), 1)
    spaces.apply(catalog.replace_items(record.id, written))
    query = np.stack([written[0].vectors[SPACE]])

    def found(filters: Filters) -> list[int]:
        return [int(i) for i in spaces.search(SPACE, query, 1, filters)[1][0] if i >= 0]

    in_2019 = Filters(after=date(2019, 1, 1), before=date(2020, 1, 1))
    assert found(in_2019) == []  # modified in 2024, and nothing says when it was taken
    taken_2019 = int(datetime(2019, 8, 15, 9).timestamp()) * 10**9
    catalog.set_facts([(record.id, MediaFacts(taken_ns=taken_2019), None)])
    spaces.save()
    assert found(in_2019) == catalog_ids(catalog)
    assert found(Filters(after=date(2024, 1, 1))) == []


def test_a_files_place_reaches_milvus_as_place_filters_ask_it(
    catalog: Catalog, spaces: MilvusSpaces
) -> None:
    """A town read after indexing (v11's trigger) reaches Milvus, where place: is pushed down."""
    root = catalog.add_root(Path("/home/ann/Photos"))
    record = catalog.upsert_file(root.id, "tram.jpg", 10, 10**18, "h", FileKind.PHOTO)
    written = items(np.random.default_rng(5), 1)
    spaces.apply(catalog.replace_items(record.id, written))
    query = np.stack([written[0].vectors[SPACE]])
    in_lisbon = Filters(place=PlaceName("Lisboa", frozenset({LISBON})))

    def found() -> list[int]:
        return [int(i) for i in spaces.search(SPACE, query, 1, in_lisbon)[1][0] if i >= 0]

    assert found() == []  # nothing says where it was taken yet
    catalog.set_facts([(record.id, MediaFacts(latitude=38.71, longitude=-9.14), LISBON)])
    spaces.save()
    assert found() == catalog_ids(catalog)


def test_a_library_another_catalog_writes_is_refused_unless_taken_over(
    tmp_path: Path, catalog: Catalog, spaces: MilvusSpaces
) -> None:
    """A second machine's catalog would replace what the library holds: it is refused, and
    the library keeps every row, until that machine is made its writer on purpose."""
    root = catalog.add_root(Path("/srv/photos"))
    record = catalog.upsert_file(root.id, "a.md", 10, 10**18, "h", FileKind.NOTE)
    spaces.apply(catalog.replace_items(record.id, items(np.random.default_rng(6), 4)))
    with Catalog(tmp_path / "laptop.sqlite3") as laptop:
        intruder = MilvusSpaces(spaces.library)
        with pytest.raises(LibraryError, match="written by another Trove.*--take-over"):
            intruder.open(laptop)
        intruder.close()
        assert spaces.count(SPACE) == 4 and laptop.outbox_target() is None
        taker = MilvusSpaces(spaces.library, take_over=True)
        taker.open(laptop)  # this catalog holds nothing yet: the library is emptied
        assert not Collection(taker._connected(), SPACE, DIM, taker.hnsw).exists()
        assert laptop.outbox_target() == spaces.library.uri
        taker.close()


def test_a_forgotten_folder_leaves_milvus(catalog: Catalog, spaces: MilvusSpaces) -> None:
    rng = np.random.default_rng(2)
    kept, gone = catalog.add_root(Path("/kept")), catalog.add_root(Path("/gone"))
    for root in (kept, gone):
        record = catalog.upsert_file(root.id, "a.md", 10, 10**18, "h", FileKind.NOTE)
        spaces.apply(catalog.replace_items(record.id, items(rng, 3)))
    spaces.remove(catalog.remove_root(gone.id).vectors)
    assert {row["root"] for row in milvus_rows(spaces)} == {"/kept"}
    assert spaces.count(SPACE) == len(catalog_ids(catalog)) == 3


def test_rebuild_makes_the_collection_again_from_the_catalog(
    catalog: Catalog, spaces: MilvusSpaces
) -> None:
    root = catalog.add_root(Path("/r"))
    record = catalog.upsert_file(root.id, "a.md", 10, 10**18, "h", FileKind.NOTE)
    spaces.apply(catalog.replace_items(record.id, items(np.random.default_rng(3), 7)))
    collection = Collection(spaces._connected(), SPACE, DIM, spaces.hnsw)
    collection.delete(catalog_ids(catalog)[:4])  # someone else's hand on the collection
    assert spaces.count(SPACE) == 3
    assert spaces.rebuild() == {SPACE: 7}
    assert sorted(int(row["item_id"]) for row in milvus_rows(spaces)) == catalog_ids(catalog)  # type: ignore[call-overload]


@pytest.mark.parametrize("point", ["after-commit", "after-write"])
def test_kill_9_around_the_milvus_write_loses_and_duplicates_nothing(
    tmp_path: Path, point: str
) -> None:
    catalog_path, library_path = tmp_path / "catalog.sqlite3", tmp_path / "library.db"
    child = subprocess.run(
        [sys.executable, "-m", milvus_child.__name__, str(catalog_path), str(library_path), point],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr[-2000:]
    with Catalog(catalog_path) as catalog:
        waiting = catalog.outbox_size()
        assert waiting == milvus_child.ITEMS  # the last file's notes survived the kill
        spaces = MilvusSpaces(Library.parse(str(library_path)))
        try:
            assert spaces.open(catalog) == []  # nothing to rebuild: the outbox is enough
            assert catalog.outbox_size() == 0
            found = [int(row["item_id"]) for row in milvus_rows(spaces)]  # type: ignore[call-overload]
            expected = catalog_ids(catalog)
            assert len(expected) == milvus_child.FILES * milvus_child.ITEMS
            assert sorted(found) == expected  # nothing lost, nothing twice
            assert spaces.count(SPACE) == len(expected)
        finally:
            spaces.close()

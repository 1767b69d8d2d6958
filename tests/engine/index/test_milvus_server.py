"""A real Milvus 2.3.5 server going away and coming back: indexing goes on in the catalog while it
is unreachable and the outbox drains when it returns; after a restart searches recover by
themselves. Also what the outbox delivers, and filters pushed down, on the server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind
from engine.index.library import Library, LibraryError
from engine.index.milvus import MilvusSpaces
from engine.search.query import Filters
from tests.engine.index.milvus_server import NamespacedMilvus
from tests.engine.index.test_milvus_outbox import SPACE, catalog_ids, items


@pytest.fixture
def spaces(milvus_server: NamespacedMilvus, catalog: Catalog) -> Iterator[MilvusSpaces]:
    # The server is shared by the session's tests, each a new catalog (a new machine): each
    # takes it over on purpose, and its collections are made afresh.
    opened = MilvusSpaces(Library.parse(milvus_server.uri), take_over=True)
    opened.open(catalog)
    yield opened
    opened.close()


def add_note(catalog: Catalog, spaces: MilvusSpaces, root_id: int, name: str, seed: int) -> int:
    """A note of ten items, committed and applied; its file id."""
    record = catalog.upsert_file(root_id, name, 10, 10**18, name, FileKind.NOTE)
    spaces.apply(catalog.replace_items(record.id, items(np.random.default_rng(seed), 10)))
    return record.id


def test_an_unreachable_server_leaves_changes_in_the_outbox_until_it_returns(
    milvus_server: NamespacedMilvus, catalog: Catalog, spaces: MilvusSpaces
) -> None:
    root = catalog.add_root(Path("/home/ann/Notes"))
    add_note(catalog, spaces, root.id, "before.md", 1)
    assert spaces.count(SPACE) == 10 and catalog.outbox_size() == 0
    milvus_server.stop()
    try:
        began = time.monotonic()
        add_note(catalog, spaces, root.id, "during-1.md", 2)  # indexing goes on...
        add_note(catalog, spaces, root.id, "during-2.md", 3)
        assert time.monotonic() - began < 60  # ...without waiting long on the server
        assert catalog.outbox_size() == 20 and len(catalog_ids(catalog)) == 30
        with pytest.raises(
            LibraryError, match=f"cannot reach the Milvus library {spaces.library.uri}"
        ):
            spaces.search(SPACE, np.ones((1, 8), dtype=np.float32), 3)
    finally:
        milvus_server.start()
    spaces.save()  # the writer's next save finds it back
    assert catalog.outbox_size() == 0
    assert spaces.count(SPACE) == 30


def test_searches_recover_after_a_restart(
    milvus_server: NamespacedMilvus, catalog: Catalog, spaces: MilvusSpaces
) -> None:
    root = catalog.add_root(Path("/home/ann/Notes"))
    add_note(catalog, spaces, root.id, "a.md", 4)
    query = np.stack([next(iter(catalog.iter_vectors(SPACE)))[1][3]])
    before = spaces.search(SPACE, query, 5)
    milvus_server.stop()
    milvus_server.start()
    after = spaces.search(SPACE, query, 5)  # the same client, no user action
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(after[0], before[0], atol=1e-5)


def test_filters_are_pushed_down_on_the_server(catalog: Catalog, spaces: MilvusSpaces) -> None:
    notes, trips = catalog.add_root(Path("/home/ann/Notes")), catalog.add_root(Path('/t" or "'))
    add_note(catalog, spaces, notes.id, "a.md", 5)
    trip = add_note(catalog, spaces, trips.id, "b.md", 6)
    query = np.ones((1, 8), dtype=np.float32) / np.sqrt(8)
    _, ids = spaces.search(SPACE, query, 100, Filters(folders=(Path('/t" or "'),)))
    assert set(ids[0].tolist()) == {row.id for row in catalog.items_of_file(trip)}
    _, ids = spaces.search(SPACE, query, 100, Filters(kinds=frozenset({FileKind.PHOTO})))
    assert ids.shape == (1, 0)

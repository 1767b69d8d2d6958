"""Filters pushed down into Milvus select exactly the rows ``Filters.accepts`` selects, on a real
Milvus Lite file, hostile folder names included: a value never becomes a clause of its own."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.outbox import VectorRow
from engine.catalog.records import FileKind
from engine.index.expressions import literal, milvus_filter
from engine.index.hnsw import HnswParams
from engine.index.library import Library
from engine.index.milvus import Collection, connect, row_of
from engine.search.query import Filters, PlaceName
from tests.engine.index.conftest import unit_vectors

DIM = 8
ROOTS = [
    "/home/ann/Photos",
    "/home/ann/a_b",
    "/home/ann/a%b",
    "/home/ann/aXb",
    '/x" or kind != "',
    "/back\\slash",
]
RELPATHS = ["2024/x.jpg", "2024_old/y.jpg", "sub/deep/z.md", 'q" or size > 0 or "'
            , "top.wav"]  # fmt: skip
KINDS = [FileKind.PHOTO, FileKind.AUDIO, FileKind.NOTE, FileKind.VIDEO]
DAYS = [date(2021, 3, 4), date(2023, 7, 1), date(2024, 12, 31)]
LISBON, PORTO = 2267057, 2735943
TOWNS = [LISBON, PORTO, None]


def _rows() -> list[VectorRow]:
    vectors = unit_vectors(len(ROOTS) * len(RELPATHS) * 2, DIM, seed=3)
    rows = []
    for n, (root, relpath, copy) in enumerate(itertools.product(ROOTS, RELPATHS, range(2))):
        moment = datetime.combine(DAYS[n % len(DAYS)], datetime.min.time()).timestamp() + 3600
        rows.append(
            VectorRow(
                item_id=n + 1,
                space="s",
                vector=vectors[n],
                file_id=n + 1,
                kind=KINDS[(n + copy) % len(KINDS)].value,
                item_kind="photo",
                root=root,
                relpath=relpath,
                start=None,
                end=None,
                dated=int(moment),
                size=1000 * (n + 1),
                text="",
                place_id=TOWNS[n % len(TOWNS)],
            )
        )
    return rows


FILTERS = {
    "kind": Filters(kinds=frozenset({FileKind.PHOTO, FileKind.NOTE})),
    "folder inside a root": Filters(folders=(Path("/home/ann/Photos/2024"),)),
    "a root with _ matches no other": Filters(folders=(Path("/home/ann/a_b"),)),
    "a root with % matches no other": Filters(folders=(Path("/home/ann/a%b"),)),
    "above the roots": Filters(folders=(Path("/home/ann"),)),
    "quotes in a root": Filters(folders=(Path('/x" or kind != "'),)),
    "quotes that try to end the literal": Filters(folders=(Path('/home" or size > 0 or "'),)),
    "quotes in a relative path": Filters(folders=(Path('/home/ann/Photos/q" or size > 0 or "'),)),
    "a backslash": Filters(folders=(Path("/back\\slash"),)),
    "size": Filters(min_size=5000, max_size=20000),
    "dates": Filters(after=date(2022, 1, 1), before=date(2024, 12, 31)),
    "a place": Filters(place=PlaceName("Lisboa", frozenset({LISBON}))),
    "a country of towns": Filters(place=PlaceName("Portugal", frozenset({LISBON, PORTO}))),
    "a place where nothing was taken": Filters(place=PlaceName("Atlantis", frozenset())),
    "all at once": Filters(
        kinds=frozenset({FileKind.AUDIO, FileKind.PHOTO}),
        folders=(Path("/home/ann/a_b"), Path('/x" or kind != "')),
        min_size=2000,
        after=date(2021, 1, 1),
        place=PlaceName("Porto", frozenset({PORTO})),
    ),
}

# A value that tries to end its literal and add ``or size > 0`` must select nothing at all; so
# must a place no file was taken in.
SELECT_NOTHING = {"quotes that try to end the literal", "a place where nothing was taken"}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    library = Library.parse(str(tmp_path_factory.mktemp("filters") / "library.db"))
    made = Collection(connect(library), "s", DIM, HnswParams())
    made.create()
    made.upsert([row_of(row) for row in _rows()])
    return made


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_pushed_down_filters_select_what_accepts_selects(collection: Collection, name: str) -> None:
    filters = FILTERS[name]
    rows = _rows()
    expression = milvus_filter(filters, ROOTS)
    _, ids = collection.search(unit_vectors(1, DIM, seed=9), len(rows), expression)
    found = {int(i) for i in ids[0] if i >= 0}
    wanted = {
        row.item_id
        for row in rows
        if filters.accepts(
            Path(row.root) / row.relpath,
            FileKind(row.kind),
            row.size,
            row.dated * 10**9,
            row.place_id,
        )
    }
    # each other case selects something, so that a filter that drops all is caught
    assert bool(wanted) == (name not in SELECT_NOTHING)
    if "\\" in str(filters.folders):
        # Milvus's ``like`` cannot match a backslash: the pushed-down part asks more, never less
        assert wanted <= found < {row.item_id for row in rows}
    else:
        assert found == wanted


def test_a_literal_cannot_be_ended_by_its_value() -> None:
    assert literal('a" or 1 == 1 or "') == '"a\\" or 1 == 1 or \\""'
    assert literal("back\\") == '"back\\\\"'
    assert literal("line\nbreak") == '"line\\nbreak"'


def test_no_filter_is_no_expression() -> None:
    assert milvus_filter(Filters()) == ""


def test_every_row_is_searchable_without_a_filter(collection: Collection) -> None:
    scores, ids = collection.search(unit_vectors(2, DIM, seed=1), 1000)
    assert ids.shape == (2, len(_rows())) and np.all(np.diff(scores, axis=1) <= 1e-6)

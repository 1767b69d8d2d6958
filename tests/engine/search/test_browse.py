"""Bare filters browse on a real catalog: a page, its count and its order, and exactly the files
``Filters.accepts`` (what search applies) lets through."""

from __future__ import annotations

import itertools
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, MediaFacts
from engine.search.browse import Order, list_page
from engine.search.query import Filters, PlaceName
from tests.benchmarks.browse import accepted

HOME = Path("/home/someone")
NAMES = [
    "Pictures/2023/a.jpg",
    "Pictures/2024/b.jpg",
    "Pictures0/c.jpg",
    "Music/x/song.ogg",
    "Music.ogg",
    "Notes/todo.md",
    "Videos/clip.mp4",
    "deep/er/still/d.png",
]


LISBON, PORTO = 2267057, 2735943  # GeoNames ids


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    """Files of both roots (one inside a folder of the other's name space) over three years,
    some pending or failed (never listed); a third say when they were taken (a date apart from
    their modification time, years earlier or later), and some of those where."""
    rng = np.random.default_rng(7)
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    homes = [catalog.add_root(str(HOME)), catalog.add_root(str(HOME / "Phone" / "DCIM"))]
    kinds = {
        ".jpg": FileKind.PHOTO,
        ".png": FileKind.PHOTO,
        ".ogg": FileKind.AUDIO,
        ".md": FileKind.NOTE,
        ".mp4": FileKind.VIDEO,
    }
    indexed = []
    for n, (root, name) in enumerate(itertools.product(homes, NAMES * 4)):
        relpath = name.replace(".", f"-{n}.")
        day = date(2022, 1, 1).toordinal() + int(rng.integers(0, 3 * 365))
        seconds = time.mktime(date.fromordinal(day).timetuple()) + int(rng.integers(0, 86400))
        kind = kinds[Path(name).suffix]
        size = int(rng.integers(10, 10_000))
        facts, place = MediaFacts(), None
        if n % 3 == 0:
            facts = MediaFacts(taken_ns=int((seconds + rng.integers(-2, 3) * 3e7) * 1e9))
            place = (LISBON, PORTO, None)[n % 9 // 3]
        record = catalog.upsert_file(root.id, relpath, size, int(seconds * 1e9), str(n), kind)
        catalog.set_facts([(record.id, facts, place)])
        if n % 7 == 3:
            catalog.mark_failed(record.id, "unreadable")
        elif n % 7 != 5:  # 5: left pending
            indexed.append(record.id)
    catalog.replace_many([(file_id, []) for file_id in indexed])
    return catalog


FILTERS = [
    Filters(),
    Filters(kinds=frozenset({FileKind.AUDIO})),
    Filters(kinds=frozenset({FileKind.PHOTO, FileKind.VIDEO})),
    Filters(after=date(2023, 5, 1)),
    Filters(after=date(2022, 6, 1), before=date(2023, 2, 1)),
    Filters(folders=(HOME / "Pictures",)),  # not Pictures0, nor a file Pictures.jpg
    Filters(folders=(HOME / "Music",)),  # not Music.ogg beside it
    Filters(folders=(HOME / "Phone",)),  # the whole second root, which lies inside it
    Filters(folders=(HOME / "deep" / "er",)),
    Filters(folders=(HOME / "Pictures", HOME / "Notes"), kinds=frozenset({FileKind.PHOTO})),
    Filters(folders=(Path("/elsewhere"),)),
    Filters(min_size=2_000, max_size=6_000, after=date(2022, 3, 1)),
    Filters(after=date(9999, 1, 1)),  # past what 64-bit nanoseconds hold
    Filters(before=date(9999, 1, 1)),
    Filters(after=date(1, 1, 1), before=date(1, 1, 2)),
    Filters(place=PlaceName("Lisbon", frozenset({LISBON}))),
    Filters(place=PlaceName("Portugal", frozenset({LISBON, PORTO})), after=date(2023, 1, 1)),
    Filters(place=PlaceName("Nowhere", frozenset())),
    Filters(place=PlaceName("not looked up")),  # takes nothing rather than everything
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: " ".join(f.format()) or "all")
def test_a_listing_keeps_what_the_filter_accepts_newest_first(
    catalog: Catalog, filters: Filters
) -> None:
    want = accepted(catalog, filters)
    whole = list_page(catalog, filters, 0, 1000)
    assert [listed.file_id for listed in whole.files] == want and whole.total == len(want)
    oldest = list_page(catalog, filters, 0, 1000, Order.OLDEST)
    assert [listed.file_id for listed in oldest.files] == accepted(catalog, filters, False)


def test_pages_follow_one_another_and_say_whether_more_follow(catalog: Catalog) -> None:
    filters = Filters(kinds=frozenset({FileKind.PHOTO}))
    want = accepted(catalog, filters)
    pages = [list_page(catalog, filters, offset, 5) for offset in range(0, len(want) + 5, 5)]
    assert [listed.file_id for page in pages for listed in page.files] == want
    assert [page.more for page in pages] == [True] * (len(pages) - 2) + [False, False]
    first = pages[0].files[0]
    assert first.path.is_absolute() and first.kind is FileKind.PHOTO and first.size > 0
    assert pages[0].generation == catalog.generation()


def test_a_bad_page_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="offset >= 0"):
        list_page(catalog, Filters(), -1, 10)
    with pytest.raises(ValueError, match="limit >= 1"):
        list_page(catalog, Filters(), 0, 0)

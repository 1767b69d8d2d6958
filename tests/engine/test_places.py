"""Dates and places on the real engine: photos with EXIF written into copies at set-up, indexed
with the dev pack; and the gazetteer on GeoNames' own data."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.facade import FileDetails, Filters, Trove, parse
from engine.places import Gazetteer, chinese_name, fold
from models.manifest import Manifest
from tests import media
from tests.exif import LISBON, Written, photo_with_exif

MADRID = (40.4168, -3.7038)
LISBON_ID = 2267057  # GeoNames


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return Gazetteer()


def test_a_position_in_lisbon_is_lisbon_in_every_language(places: Gazetteer) -> None:
    place = places.nearest(*LISBON)
    assert place is not None and place.id == LISBON_ID and place.country == "PT"
    assert place.name_in("en") == "Lisbon"
    assert place.name_in("zh_CN") == "里斯本"
    # GeoNames does not say which of its names is Spanish: its own name stands.
    assert place.name_in("es") == "Lisbon"


def test_a_big_town_takes_its_quarters_and_a_suburb_keeps_its_name(places: Gazetteer) -> None:
    assert (tokyo := places.nearest(35.68, 139.69)) is not None and tokyo.name == "Tokyo"
    assert tokyo.name_in("zh_CN") == "东京"  # simplified, not the Japanese 東京
    assert (amadora := places.nearest(38.757, -9.23)) is not None and amadora.name == "Amadora"
    assert places.nearest(0.5, -30.0) is None  # the open Atlantic


def test_a_name_finds_its_towns_in_any_language_or_spelling(places: Gazetteer) -> None:
    for name in ("Lisbon", "lisboa", "LISBOA", "里斯本", " Lisbon "):
        assert places.ids_named(name) == {LISBON_ID}, name
    assert places.ids_named("São Paulo") == places.ids_named("sao paulo") != frozenset()
    portugal = places.ids_named("Portugal")
    assert LISBON_ID in portugal and len(portugal) > 100
    assert places.ids_named("Atlantis of the North") == frozenset()
    assert places.ids_named("") == frozenset()


def test_names_fold_and_chinese_is_simplified() -> None:
    assert fold("  São   PAULO ") == "sao paulo"
    assert chinese_name(["Lisboa", "リスボン", "馬德里", "马德里"]) == "马德里"
    assert chinese_name(["Lisboa", "リスボン"]) is None


def local_ns(*when: int) -> float:
    return time.mktime((*when, 0, 0, -1))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trove(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Trove:
    folder = tmp_path_factory.mktemp("photos")
    photos = media.skimage_photos()
    photo_with_exif(
        photos["chelsea"],
        folder / "lisbon.jpg",
        Written("2019:06:13 18:30:05", "+01:00", LISBON, "Canon", "Canon EOS R5"),
    )
    photo_with_exif(
        photos["coffee"], folder / "madrid.jpg", Written("2015:02:01 09:00:00", "+01:00", MADRID)
    )
    plain = photo_with_exif(photos["rocket"], folder / "plain.jpg", Written())
    modified = local_ns(2023, 7, 1, 12, 0, 0)
    os.utime(plain, (modified, modified))
    engine = Trove(tmp_path_factory.mktemp("data"), dev_pack.root)
    engine.add_folder(folder)
    engine.index()
    return engine


def details(trove: Trove, name: str) -> FileDetails:
    file_id = trove.file_id(Path(trove.folders()[0].path) / name)
    found = None if file_id is None else trove.details(file_id)
    assert found is not None
    return found


def names(trove: Trove, query: str) -> list[str]:
    return [listed.path.name for listed in trove.browse(parse(query).filters).files]


@pytest.mark.slow
def test_the_preview_knows_when_where_and_with_what(trove: Trove) -> None:
    lisbon = details(trove, "lisbon.jpg")
    assert lisbon.taken == datetime(2019, 6, 13, 17, 30, 5, tzinfo=UTC).timestamp()
    assert lisbon.place is not None and lisbon.place.id == LISBON_ID
    assert lisbon.place.name_in("zh_CN") == "里斯本"
    assert lisbon.camera == "Canon EOS R5"
    plain = details(trove, "plain.jpg")  # no EXIF: its file time stands in
    assert (plain.taken, plain.place, plain.camera) == (None, None, None)


@pytest.mark.slow
def test_the_library_goes_by_the_taken_date_and_date_filters_too(trove: Trove) -> None:
    # The copies were all written just now: only their EXIF dates set them apart.
    listing = trove.browse(Filters())
    order = [listed.path.name for listed in listing.files]
    assert order == ["plain.jpg", "lisbon.jpg", "madrid.jpg"]
    assert [listed.dated for listed in listing.files] == [
        local_ns(2023, 7, 1, 12, 0, 0),
        datetime(2019, 6, 13, 17, 30, 5, tzinfo=UTC).timestamp(),
        datetime(2015, 2, 1, 8, 0, 0, tzinfo=UTC).timestamp(),
    ]
    assert names(trove, "after:2018 before:2020") == ["lisbon.jpg"]
    assert names(trove, "before:2016") == ["madrid.jpg"]


@pytest.mark.slow
def test_place_filters_take_any_name_of_the_town_or_its_country(trove: Trove) -> None:
    assert names(trove, "place:Lisbon") == ["lisbon.jpg"]
    assert names(trove, "place:Lisboa") == ["lisbon.jpg"]
    assert names(trove, "place:里斯本") == ["lisbon.jpg"]
    assert names(trove, 'place:"Madrid" kind:photo') == ["madrid.jpg"]
    assert names(trove, "place:Spain") == ["madrid.jpg"]
    assert names(trove, "place:Atlantis") == []
    assert [(place.name, n) for place, n in trove.places()] == [("Lisbon", 1), ("Madrid", 1)]
    # A search applies it as a browse does.
    found = trove.search("a photo place:lisboa", limit=10)
    assert {hit.path.name for hit in found.hits + found.weaker} == {"lisbon.jpg"}
    assert all(hit.taken is not None for hit in found.hits + found.weaker)


@pytest.mark.slow
def test_a_copy_takes_its_sources_facts_and_a_touched_file_keeps_them(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    shutil.copy(folder / "lisbon.jpg", folder / "lisbon copy.jpg")  # copied, not embedded
    os.utime(folder / "madrid.jpg")  # touched: same bytes, a new time
    summary = trove.index()
    assert (summary.copied, summary.indexed) == (1, 0)
    copy = details(trove, "lisbon copy.jpg")
    assert copy.place is not None and copy.place.id == LISBON_ID
    assert copy.camera == "Canon EOS R5" and copy.taken == details(trove, "lisbon.jpg").taken
    madrid = details(trove, "madrid.jpg")
    assert madrid.place is not None and madrid.place.name == "Madrid"
    assert names(trove, "place:Lisbon") == ["lisbon copy.jpg", "lisbon.jpg"]  # same date: by id
    (folder / "lisbon copy.jpg").unlink()
    trove.index()


@pytest.mark.slow
def test_a_catalog_from_before_dates_and_places_reads_them_once(trove: Trove) -> None:
    """Files indexed by a Trove that did not read metadata (schema 7, migrated: the columns
    empty, ``meta.facts`` 0) get their dates and places on the next run, without being
    indexed again."""
    with sqlite3.connect(trove.data_dir / "catalog.sqlite3") as conn:
        conn.execute(
            "UPDATE files SET taken_ns = NULL, latitude = NULL, longitude = NULL, "
            "camera = NULL, place_id = NULL"
        )
        conn.execute("UPDATE meta SET value = 0 WHERE key = 'facts'")
    conn.close()
    assert details(trove, "lisbon.jpg").place is None
    before = trove.generation()
    summary = trove.index()
    assert summary.indexed == 0  # nothing embedded again
    lisbon = details(trove, "lisbon.jpg")
    assert lisbon.place is not None and lisbon.place.id == LISBON_ID
    assert lisbon.camera == "Canon EOS R5" and lisbon.taken is not None
    assert trove.generation() > before  # the library's order may have changed: views refresh
    assert names(trove, "place:Spain") == ["madrid.jpg"]
    assert trove.catalog.unread_facts() is None  # once only

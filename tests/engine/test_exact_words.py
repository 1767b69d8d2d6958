"""The issue's scenarios as a user meets them: real media, real models, a real catalog, through
the facade. Exact words and file names find what the dense search alone missed."""

from __future__ import annotations

import shutil

import pytest

from engine.facade import Trove
from engine.search.query import ParseError
from engine.search.results import Route
from models.manifest import Manifest
from tests import media

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trove(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Trove:
    folder = tmp_path_factory.mktemp("folder")
    demo = media.demo_folder()
    (folder / "Work").mkdir()
    shutil.copy(demo / "Recordings" / "budget_meeting.wav", folder / "Work" / "Budget meeting.wav")
    shutil.copy(demo / "Photos" / "lion.png", folder / "lion.png")
    shutil.copy(demo / "Photos" / "tiger.png", folder / "tiger.png")
    sounds = {sound.stem: sound for sound in media.animal_sounds()}
    shutil.copy(sounds["sea_lion"], folder / "field recording - lion.ogg")
    for stem in ("wombat", "koala", "bee"):
        shutil.copy(sounds[stem], folder / f"{stem}.ogg")
    recipes = (demo / "Notes" / "recipes.txt").read_text(encoding="utf-8")
    (folder / "travel.md").write_text(
        recipes + "\nBefore the trip to Lisbon: renew my passport at the town hall.\n",
        encoding="utf-8",
    )
    (folder / "zoo-trip.md").write_bytes((demo / "Notes" / "zoo-trip.md").read_bytes())
    engine = Trove(tmp_path_factory.mktemp("data"), dev_pack.root)
    engine.add_folder(folder)
    engine.index()
    return engine


def test_passport_finds_the_note_that_holds_the_word(trove: Trove) -> None:
    result = trove.search("passport")
    top = result.hits[0]
    assert top.path.name == "travel.md"
    reason = next(r for r in top.reasons if r.route is Route.NOTE)
    assert reason.excerpt is not None
    assert [reason.excerpt[s.start : s.end] for s in reason.matched] == ["passport"]


def test_the_budget_meeting_finds_budget_meeting_wav_by_its_name(trove: Trove) -> None:
    result = trove.search("the budget meeting")
    top = result.hits[0]
    assert top.path.name == "Budget meeting.wav"
    name = next(r for r in top.reasons if r.route is Route.NAME)
    assert name.excerpt == "Work/Budget meeting.wav"
    assert [name.excerpt[s.start : s.end] for s in name.matched] == ["Budget", "meeting"]
    assert trove.search('"budget meeting"').hits[0].path.name == "Budget meeting.wav"


def test_lion_with_the_audio_kind_finds_the_field_recording(trove: Trove) -> None:
    result = trove.search("lion kind:audio")
    assert result.hits[0].path.name == "field recording - lion.ogg"
    assert {hit.kind.value for hit in result.hits} == {"audio"}
    assert trove.search("lion").hits[0].path.name in {"lion.png", "field recording - lion.ogg"}


def test_fts5_syntax_typed_into_the_box_is_searched_as_words(trove: Trove) -> None:
    for query in ("passport AND", "NEAR(passport)", "passport:", "(passport", "passport OR x"):
        assert trove.search(query).hits[0].path.name == "travel.md", query
    # ``*`` and ``"`` belong to Trove's own query language (weights, quoted text): misplaced,
    # they answer where the query went wrong, never an SQLite error.
    for query, position in (("passport*", 0), ('"passport', 0)):
        with pytest.raises(ParseError) as caught:
            trove.search(query)
        assert caught.value.position == position

"""Exact words beside the dense search: the planner over a collection whose word index is the
real FTS5 one (``MemoryCollection.match_units``), with concept vectors standing in for models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalog.records import FileKind, Item, ItemKind
from engine.search import lexical
from engine.search.planner import Planner
from engine.search.query import Filters, Query, TextPart, parse
from engine.search.results import Route, Span
from engine.search.wording import detail, result_json
from tests.engine.search.memory import MemoryCollection
from tests.engine.search.test_planner import BUDGET, CAT, TABLE, TEXT, FakeProbes, unit

FILES = {
    "Budget meeting.wav": (
        FileKind.AUDIO,
        [
            Item(
                ItemKind.TRANSCRIPT, 0.0, 3.0, text="so where are we", vectors={TEXT: unit(0, 1, 1)}
            )
        ],
    ),
    "meeting about the budget.txt": (
        FileKind.NOTE,
        [
            Item(ItemKind.TEXT_CHUNK, char_start=0, char_end=9, text="numbers", vectors={}),
        ],
    ),
    "field recording - lion.ogg": (
        FileKind.AUDIO,
        [Item(ItemKind.AUDIO_WINDOW, 0.0, 5.0, vectors={})],
    ),
    "lion.png": (FileKind.PHOTO, [Item(ItemKind.TAG, text="lion", score=0.9, vectors={})]),
    "travel.md": (
        FileKind.NOTE,
        [
            Item(
                ItemKind.TEXT_CHUNK,
                char_start=0,
                char_end=60,
                text="Before the trip: renew the Passport. 小猫在海滩上玩。",
                vectors={TEXT: unit(0, 0, 0, 0, -1)},
            )
        ],
    ),
    "cat.jpg": (
        FileKind.PHOTO,
        [Item(ItemKind.TAG, text="tabby cat", score=0.9, vectors={TEXT: CAT})],
    ),
    "cat video.png": (FileKind.PHOTO, [Item(ItemKind.PHOTO, vectors={})]),
}


@pytest.fixture
def planner(tmp_path: Path) -> Planner:
    collection = MemoryCollection()
    for name, (kind, items) in FILES.items():
        path = tmp_path / name
        path.write_bytes(b"x")
        collection.add(path, kind, items)
    probes = FakeProbes({"budget": BUDGET, "cat": CAT}, {})
    return Planner(probes, collection.index, collection, TABLE, words=collection)


def names(planner: Planner, query: Query) -> list[str]:
    return [hit.path.name for hit in planner.search(query).hits]


def text(words: str, phrase: bool = False, filters: Filters | None = None) -> Query:
    return Query((TextPart(words, phrase=phrase),), filters or Filters())


def test_a_word_said_once_in_a_note_finds_it_with_the_word_marked(planner: Planner) -> None:
    (hit,) = planner.search(text("passport")).hits
    assert hit.path.name == "travel.md" and hit.score >= 0.5
    (reason,) = hit.reasons
    assert reason.route is Route.NOTE and reason.excerpt is not None
    assert [reason.excerpt[s.start : s.end] for s in reason.matched] == ["Passport"]


def test_a_file_name_is_a_reason_of_its_own(planner: Planner) -> None:
    result = planner.search(text("the budget meeting"))
    assert result.hits[0].path.name == "Budget meeting.wav"
    reason = result.hits[0].reasons[0]
    assert reason.route is Route.NAME and reason.excerpt == "Budget meeting.wav"
    assert reason.matched == (Span(0, 6), Span(7, 14))
    assert detail(reason) == 'name "Budget meeting.wav"'
    why = result_json(result)["hits"][0]["why"][0]
    assert (why["route"], why["matched"]) == ("name", [[0, 6], [7, 14]])


def test_a_hit_found_by_name_still_starts_where_its_words_are_said(tmp_path: Path) -> None:
    collection = MemoryCollection()
    path = tmp_path / "penguin_desc.ogg"
    path.write_bytes(b"x")
    said = Item(ItemKind.TRANSCRIPT, 2.0, 4.5, text="a penguin on the ice", vectors={})
    collection.add(path, FileKind.AUDIO, [said])
    planner = Planner(FakeProbes({}, {}), collection.index, collection, TABLE, words=collection)
    (hit,) = planner.search(text("penguin")).hits
    assert [reason.route for reason in hit.reasons] == [Route.NAME, Route.TRANSCRIPT]
    assert (hit.start, hit.end) == (2.0, 4.5)


def test_a_quoted_phrase_means_its_words_in_that_order(planner: Planner) -> None:
    assert set(names(planner, text("budget meeting"))) >= {
        "Budget meeting.wav",
        "meeting about the budget.txt",
    }
    phrased = names(planner, parse('"budget meeting"', Path("/")))
    assert phrased[0] == "Budget meeting.wav"
    assert "meeting about the budget.txt" not in phrased


def test_a_kind_filter_keeps_the_name_hits_of_that_kind(planner: Planner) -> None:
    found = names(planner, text("lion", filters=Filters(kinds=frozenset({FileKind.AUDIO}))))
    assert found == ["field recording - lion.ogg"]
    assert set(names(planner, text("lion"))) == {"field recording - lion.ogg", "lion.png"}


def test_chinese_words_of_one_and_two_characters_are_found(planner: Planner) -> None:
    for query, marked in (("猫", ["猫"]), ("海滩", ["海滩"]), ("小猫在", ["小猫在"])):
        (hit,) = planner.search(text(query)).hits
        assert hit.path.name == "travel.md"
        excerpt = hit.reasons[0].excerpt or ""
        assert [excerpt[s.start : s.end] for s in hit.reasons[0].matched] == marked
    assert names(planner, text("猫海")) == []  # not in the text in that order


def test_evidence_of_both_kinds_outranks_either_alone(planner: Planner) -> None:
    """ "cat": the tagged cat by meaning and by its tag's word, "cat video.png" by name only."""
    hits = planner.search(text("cat")).hits
    assert [hit.path.name for hit in hits][:2] == ["cat.jpg", "cat video.png"]
    assert hits[0].score > hits[1].score >= 0.5


def test_weaker_candidates_are_ordered_by_reciprocal_rank(tmp_path: Path) -> None:
    """Below the line nothing claims a good match, so the candidates are ordered by RRF of the
    routes' rankings: the file whose name holds a word of the query comes first, above notes
    that are nearer in meaning and score higher (noisy-or would put it last)."""
    zebra = unit(1)
    collection = MemoryCollection()
    for name, words, vector in (
        ("savanna.md", "grassland animals", unit(0.58, 0.8146)),
        ("herd.md", "wild horses", unit(0.55, 0.835)),
        ("stripes.md", "a painted wall", unit(0, 0, 1)),
    ):
        path = tmp_path / name
        path.write_bytes(b"x")
        chunk = Item(ItemKind.TEXT_CHUNK, char_start=0, char_end=len(words), text=words,
                     vectors={TEXT: vector})  # fmt: skip
        collection.add(path, FileKind.NOTE, [chunk])
    probes = FakeProbes({"zebra stripes": zebra}, {})
    planner = Planner(probes, collection.index, collection, TABLE, words=collection)
    result = planner.search(text("zebra stripes"))
    assert result.hits == [] and result.no_good_match
    assert [hit.path.name for hit in result.weaker] == ["stripes.md", "savanna.md", "herd.md"]
    scores = {hit.path.name: hit.score for hit in result.weaker}
    assert scores["stripes.md"] < scores["herd.md"] < scores["savanna.md"] < 0.5
    assert result.weaker[0].reasons[0].route is Route.NAME


def test_words_found_nowhere_leave_the_rest_a_weaker_candidate(planner: Planner) -> None:
    """A word asked for and found nowhere counts against the rows holding the others: a note
    that only shares "passport" with the query is offered, below the good-match line."""
    partial = planner.search(text("passport xqzzy"))
    assert partial.hits == [] and partial.weaker[0].path.name == "travel.md"
    assert names(planner, text("passport")) == ["travel.md"]
    assert planner.search(text("xqzzy")).hits == []


FTS_SYNTAX = [
    "AND",
    "OR passport",
    "NOT lion",
    "lion*",
    '"budget',
    'budget"',
    "NEAR(budget meeting, 2)",
    "-lion",
    "name:lion",
    "(budget",
    "^lion",
    "{words}: x",
    "budget + meeting",
    "'",
    "",
    "   ",
    "\x00",
    "😀 lion",
]


@pytest.mark.parametrize("query", FTS_SYNTAX)
def test_fts5_syntax_in_user_text_is_only_words(planner: Planner, query: str) -> None:
    planner.search(text(query))
    planner.search(text(query, phrase=True))


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from('ab "*-:()^{}+ANDORNTE猫海滩\t.,/_'), max_size=30))
def test_any_text_searches_the_word_index_without_error(query: str) -> None:
    collection = MemoryCollection()
    for phrase in (False, True):
        lexical.find(collection, query, phrase)


def test_a_word_and_its_units(tmp_path: Path) -> None:
    assert [u.words for u in lexical.units("The Budget meeting", False)] == [
        ("budget",),
        ("meeting",),
    ]
    # Typed joined: one unit, in that order.
    assert [u.words for u in lexical.units("cartoon-penguin lionRoar", False)] == [
        ("cartoon", "penguin"),
        ("lion", "roar"),
    ]
    assert [u.words for u in lexical.units("NEAR(passport)", False)] == [("passport",)]
    assert [u.words for u in lexical.units("the", False)] == [("the",)]  # nothing else left
    assert [u.words for u in lexical.units("the budget", True)] == [("the", "budget")]
    assert [u.words for u in lexical.units("海滩上", False)] == [("海滩", "滩上")]
    assert np.isclose(lexical.FULL, 0.7)

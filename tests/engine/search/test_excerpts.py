"""Where a query's words are in a passage (case, accents, endings, scripts without spaces), and
excerpts cut around them."""

from __future__ import annotations

import pytest

from engine.search.excerpts import ELLIPSIS, QueryWords, excerpt, fold


def found(query: str, text: str) -> list[str]:
    return [text[span.start : span.end] for span in QueryWords(query).find(text)]


def test_whole_words_whatever_their_case() -> None:
    text = "The cat sat on the Catalogue; a CAT, a cat's toy."
    assert found("cat", text) == ["cat", "CAT", "cat"]  # not "Catalogue": a short word is exact
    assert found("the", "then the theatre") == ["the"]


def test_longer_words_also_match_with_an_ending() -> None:
    text = "Water the tomatoes and the tomato plants; no tomorrow."
    assert found("tomato plant", text) == ["tomatoes", "tomato", "plants"]


def test_spanish_accents_are_ignored_both_ways() -> None:
    text = "La canción de la mañana, y el árbol del jardín"
    assert found("cancion MANANA", text) == ["canción", "mañana"]
    assert found("árbol jardin", text) == ["árbol", "jardín"]
    assert found("JARDÍN", "el jardin") == ["jardin"]


def test_a_decomposed_accent_stays_with_its_letter() -> None:
    text = "la cancio\u0301n"  # "o" then a combining acute accent
    assert found("canción", text) == ["cancio\u0301n"]
    assert found("cancio", "la cancio\u0301 y") == ["cancio\u0301"]


def test_offsets_survive_a_letter_that_folds_to_two() -> None:
    assert fold("Straße")[0] == "strasse"
    assert found("strasse fluss", "Die Straße am Fluß") == ["Straße", "Fluß"]


def test_chinese_is_matched_by_pieces_of_the_query() -> None:
    text = "今天我的猫在沙发上睡觉了，它很可爱"
    assert found("我的猫 睡觉", text) == ["我的猫", "睡觉"]
    assert found("小猫在睡觉", text) == ["猫在", "睡觉"]  # pieces of two characters or more
    assert found("猫", text) == ["猫"]  # a one-character query matches that character
    assert found("狗", text) == []


def test_japanese_and_mixed_scripts() -> None:
    assert found("ねこ", "うちのねこはかわいい") == ["ねこ"]
    assert found("budget 预算", "the budget 预算表 is late") == ["budget", "预算"]


def test_nothing_to_find() -> None:
    assert not QueryWords("  ,.!  ")
    assert found("", "anything") == []
    assert found("zebra", "no such word here") == []


def test_a_short_passage_is_whole_with_whitespace_folded() -> None:
    shown = excerpt("Budget:\n  numbers   for May", QueryWords("numbers"), 160)
    assert shown.text == "Budget: numbers for May"
    assert [shown.text[s.start : s.end] for s in shown.matched] == ["numbers"]


@pytest.mark.parametrize("limit", [60, 100, 160])
def test_a_long_passage_is_cut_around_the_most_matches_between_words(limit: int) -> None:
    words = [f"w{i:03d}" for i in range(200)]
    words[20] = "dentist"  # alone
    words[150:153] = ["dentist", "appointment", "Tuesday"]  # the stretch with most matches
    shown = excerpt(" ".join(words), QueryWords("dentist appointment"), limit)
    assert len(shown.text) <= limit
    assert shown.text.startswith(ELLIPSIS) and shown.text.endswith(ELLIPSIS)
    inner = shown.text.strip(ELLIPSIS).split(" ")
    assert all(word in words for word in inner)  # cut between words
    assert [shown.text[s.start : s.end] for s in shown.matched] == ["dentist", "appointment"]
    centre = (shown.matched[0].start + shown.matched[-1].end) / 2
    assert abs(centre - len(shown.text) / 2) < 12


def test_a_long_passage_without_matches_shows_its_beginning() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    shown = excerpt(text, QueryWords("zebra"), 50)
    assert shown.text.startswith("word0 word1") and shown.text.endswith("\u2026")
    assert len(shown.text) <= 50 and shown.matched == ()
    assert shown.text[:-1].split(" ")[-1] in text.split(" ")  # the last word is whole
    assert excerpt(text, None, 50).text == shown.text


def test_chinese_without_spaces_is_cut_by_characters() -> None:
    text = "今天天气很好" * 30 + "我的猫在沙发上睡觉" + "明天会下雨" * 30
    shown = excerpt(text, QueryWords("猫 睡觉"), 40)
    assert len(shown.text) <= 40
    assert [shown.text[s.start : s.end] for s in shown.matched] == ["猫", "睡觉"]

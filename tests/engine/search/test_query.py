"""The query language: examples of each form, errors with positions, and properties."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalog.records import FileKind
from engine.errors import QueryProblem
from engine.search.query import (
    ExamplePart,
    Filters,
    ParseError,
    PlaceName,
    Query,
    TextPart,
    parse,
    seconds,
    split_example,
    time_range,
)

BASE = Path("/home/me")
ODD_NAMES = ("rex's dog.png", "🐶 @home.png", "caf\udce9.jpg")  # the last: bytes, not UTF-8
FILES = {BASE / name for name in ("sunset.jpg", "cat.jpg", "talk.wav", "my photo.png", *ODD_NAMES)}


def read(text: str) -> Query:
    return parse(text, BASE, FILES.__contains__)


def test_free_text_is_one_part() -> None:
    assert read("  sunset over   the sea ").parts == (TextPart("sunset over the sea"),)


def test_combination_with_operators() -> None:
    query = read('"beach" + sunset.jpg - people')
    assert query.parts == (
        TextPart("beach"),
        ExamplePart(BASE / "sunset.jpg"),
        TextPart("people", -1.0),
    )
    assert query.positive == query.parts[:2]
    assert query.negative == (TextPart("people", -1.0),)


def test_weights() -> None:
    assert read('0.5*"dog" + cat.jpg').parts == (
        TextPart("dog", 0.5),
        ExamplePart(BASE / "cat.jpg"),
    )
    assert read("2 * dog - .25*cat.jpg").parts == (
        TextPart("dog", 2.0),
        ExamplePart(BASE / "cat.jpg", -0.25),
    )


def test_an_operator_covers_the_run_of_bare_words() -> None:
    assert read("red car - people in hats").parts == (
        TextPart("red car"),
        TextPart("people in hats", -1.0),
    )


def test_examples_and_time_ranges() -> None:
    assert read("talk.wav@12-20").parts == (ExamplePart(BASE / "talk.wav", 1.0, 12.0, 20.0),)
    assert read("like:talk.wav@1:05-1:30.5").parts[0] == ExamplePart(
        BASE / "talk.wav", 1.0, 65.0, 90.5
    )
    assert read('like:"talk.wav@1:00:00-"').parts[0] == ExamplePart(
        BASE / "talk.wav", 1.0, 3600.0, None
    )
    assert read('like:"my photo.png"').parts == (ExamplePart(BASE / "my photo.png"),)
    assert read("/home/me/cat.jpg").parts == (ExamplePart(BASE / "cat.jpg"),)


def test_quoted_paths_hold_spaces_apostrophes_emoji_at_and_bytes() -> None:
    for name in ODD_NAMES:
        assert read(f'like:"{name}"').parts == (ExamplePart(BASE / name),)
        assert read(f'like:"{BASE / name}@1:00-"').parts == (
            ExamplePart(BASE / name, 1.0, 60.0, None),
        )
    assert read("like:caf\udce9.jpg").parts == (ExamplePart(BASE / "caf\udce9.jpg"),)


def test_text_is_valid_unicode_while_paths_keep_their_bytes() -> None:
    # argv hands undecodable bytes over as lone surrogates; a tokenizer refuses them
    query = read('caf\udce9 au lait + "\udcff" + caf\udce9.jpg')
    assert query.parts == (
        TextPart("caf\ufffd au lait"),
        TextPart("\ufffd"),
        ExamplePart(BASE / "caf\udce9.jpg"),
    )


def test_examples_given_apart_from_the_text_are_never_read_as_query_language() -> None:
    like = ExamplePart(Path('say "cheese" @ 1-2 + kind:x.png'))
    assert parse("", BASE, FILES.__contains__, [like]) == Query((like,))
    both = parse("dog kind:photo", BASE, FILES.__contains__, [like])
    assert both.parts == (TextPart("dog"), like)
    assert both.filters == Filters(kinds=frozenset({FileKind.PHOTO}))
    bare = parse("kind:photo", BASE, FILES.__contains__, [])
    assert bare.browsing and bare.filters == Filters(kinds=frozenset({FileKind.PHOTO}))
    assert not both.browsing
    with pytest.raises(ParseError, match="nothing to search for"):
        parse("  ", BASE, FILES.__contains__, [])


def test_times_and_ranges() -> None:
    assert [seconds(text) for text in ("90", "2.5", "1:30", "1:00:00")] == [90, 2.5, 90, 3600]
    assert time_range("1:05-1:30.5") == (65.0, 90.5)
    assert time_range("90-") == (90.0, None)
    for bad, words in [("soon", "is not START-END"), ("20-10", "before it starts")]:
        with pytest.raises(ValueError, match=words):
            time_range(bad)
    with pytest.raises(ValueError, match="is not a time"):
        seconds("1:2:3:4")
    with pytest.raises(ValueError, match="too large"):
        seconds("9" * 400)


def test_a_whole_name_wins_over_a_time_range() -> None:
    names = {"a.wav", "b.wav@1-2"}
    assert split_example("a.wav", names.__contains__) == ("a.wav", None)
    assert split_example("a.wav@1-2", names.__contains__) == ("a.wav", "1-2")
    assert split_example("b.wav@1-2", names.__contains__) == ("b.wav@1-2", None)
    assert split_example("c.wav@1-2", names.__contains__) is None
    assert split_example("@1-2", names.__contains__) is None


def test_an_unknown_user_home_is_a_name_as_written() -> None:
    assert read("~no-such-user-here/cat.jpg").parts == (TextPart("~no-such-user-here/cat.jpg"),)
    query = read("x in:~no-such-user-here")
    assert query.filters.folders == (BASE / "~no-such-user-here",)


def test_a_word_that_is_no_existing_file_is_text() -> None:
    assert read("dog.jpg").parts == (TextPart("dog.jpg"),)
    assert read("meet at 10:30 note: bring cake").parts == (
        TextPart("meet at 10:30 note: bring cake"),
    )


def test_filters() -> None:
    query = read(
        "dog kind:photo,videos in:~/Pictures after:2024-01 before:2024-06-15 size>10MB size<=2GiB"
    )
    assert query.parts == (TextPart("dog"),)
    assert query.filters == Filters(
        kinds=frozenset({FileKind.PHOTO, FileKind.VIDEO}),
        folders=(Path("~/Pictures").expanduser(),),
        after=date(2024, 1, 1),
        before=date(2024, 6, 15),
        min_size=10_000_001,
        max_size=2 * 2**30,
    )


def test_filters_accept() -> None:
    filters = read("x kind:photo in:/home/me/Pictures size<1KB after:2020").filters
    stamp = 1_700_000_000 * 10**9  # November 2023
    photo = Path("/home/me/Pictures/a.jpg")
    assert filters.accepts(photo, FileKind.PHOTO, 999, stamp)
    assert not filters.accepts(photo, FileKind.AUDIO, 999, stamp)
    assert not filters.accepts(Path("/home/me/other/a.jpg"), FileKind.PHOTO, 999, stamp)
    assert not filters.accepts(photo, FileKind.PHOTO, 1000, stamp)
    assert not filters.accepts(photo, FileKind.PHOTO, 999, 1_500_000_000 * 10**9)  # 2017


@pytest.mark.parametrize(
    ("text", "position", "words", "problem"),
    [
        ('"beach', 0, "unterminated quote", QueryProblem.UNCLOSED_QUOTE),
        ('beach + ""', 8, "empty quoted text", QueryProblem.EMPTY_QUOTE),
        ("a + + b", 4, "expected a part", QueryProblem.NOTHING_AFTER_SIGN),
        ("a -", 2, "expected a part", QueryProblem.NOTHING_AFTER_SIGN),
        ("kind:pic", 5, "unknown kind 'pic'", QueryProblem.BAD_KIND),
        ("x after:2024-13-01", 8, "wants a date", QueryProblem.BAD_DATE),
        ("x size>ten", 7, "size wants a number", QueryProblem.BAD_SIZE),
        ("talk.wav@20-10", 9, "ends (10 s) before it starts", QueryProblem.BAD_TIME_RANGE),
        ("talk.wav@soon", 9, "is not START-END", QueryProblem.BAD_TIME_RANGE),
        ("like:nope.jpg", 5, "no such file", QueryProblem.NO_SUCH_FILE),
        ("- cat", 0, "every part is subtracted", QueryProblem.ALL_SUBTRACTED),
        ("", 0, "nothing to search for", QueryProblem.NOTHING_TO_SEARCH),
        ("x - kind:photo", 2, "filter cannot be weighted", QueryProblem.FILTER_WEIGHTED),
        ("x * y", 0, "weight 'x' is not a number", QueryProblem.BAD_WEIGHT),
        ("cat + * y", 6, "'*' must follow a weight", QueryProblem.BAD_WEIGHT),
        ("0*x", 0, "weight must be positive", QueryProblem.BAD_WEIGHT),
        ("9" * 400 + "*x", 0, "is too large", QueryProblem.BAD_WEIGHT),
        ("x size>" + "9" * 400, 7, "is too large", QueryProblem.BAD_SIZE),
        ("talk.wav@" + "9" * 400 + "-", 9, "is too large", QueryProblem.BAD_TIME_RANGE),
    ],
)
def test_errors_say_what_and_where(
    text: str, position: int, words: str, problem: QueryProblem
) -> None:
    with pytest.raises(ParseError) as caught:
        read(text)
    assert words in caught.value.message
    assert caught.value.problem is problem  # typed, for words at the edge in the UI language
    assert caught.value.position == position
    assert f"(at position {position})" in str(caught.value)
    assert caught.value.pointer().splitlines()[1].index("^") == position


# --- properties -------------------------------------------------------------------------------

_words = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=8)
_text = st.lists(_words, min_size=1, max_size=4).map(" ".join)
_weight = st.sampled_from([1.0, 0.5, 2.0, 0.25, 3.0, 1.5])


@st.composite
def _example(draw: st.DrawFn) -> ExamplePart:
    path = draw(st.sampled_from(sorted(FILES)))
    # Times in tenths of a second, as a person types them.
    tenths = draw(st.none() | st.integers(0, 5000))
    start = end = None
    if tenths is not None:
        start = tenths / 10
        if draw(st.booleans()):
            end = (tenths + draw(st.integers(1, 600))) / 10
    return ExamplePart(path, draw(_weight), start, end)


_part = st.one_of(st.builds(TextPart, _text, _weight), _example())


@st.composite
def _query(draw: st.DrawFn) -> Query:
    first = draw(_part)
    rest = draw(st.lists(_part, max_size=3))
    signs = draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=len(rest), max_size=len(rest)))
    parts = (first, *(_signed(part, sign) for part, sign in zip(rest, signs, strict=True)))
    low = draw(st.none() | st.integers(0, 10**9))
    filters = Filters(
        kinds=frozenset(draw(st.sets(st.sampled_from(list(FileKind))))),
        folders=tuple(draw(st.lists(st.sampled_from([Path("/a"), Path("/b c")]), max_size=2))),
        after=draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
        before=draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
        min_size=low,
        max_size=draw(st.none() | st.integers(0, 10**12)),
    )
    return Query(parts, filters)


def _signed(part: TextPart | ExamplePart, sign: float) -> TextPart | ExamplePart:
    if isinstance(part, TextPart):
        return TextPart(part.text, sign * part.weight)
    return ExamplePart(part.path, sign * part.weight, part.start, part.end)


@settings(max_examples=300, deadline=None)
@given(_query())
def test_format_then_parse_gives_the_same_query(query: Query) -> None:
    assert read(query.format()) == query


_ALPHABET = 'ab "+-*:@.0123456789kind:size><=like/ \t' + "'~\udce9\ud800🐶"


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(_ALPHABET), max_size=40))
def test_any_text_parses_or_fails_with_a_position_inside_it(text: str) -> None:
    try:
        query = read(text)
    except ParseError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert query.positive
        assert all(part.weight != 0 for part in query.parts)
        for part in query.parts:
            if isinstance(part, TextPart):
                part.text.encode("utf-8")  # no lone surrogate reaches a tokenizer


@settings(max_examples=200, deadline=None)
@given(st.lists(_words, min_size=1, max_size=6))
def test_bare_words_always_make_one_text_part(words: list[str]) -> None:
    assert read(" ".join(words)).parts == (TextPart(" ".join(words)),)


def test_a_place_filter_keeps_its_name_for_the_engine_to_look_up() -> None:
    query = read('place:"São Paulo" kind:photo')
    assert query.browsing and query.filters.place == PlaceName("São Paulo")
    assert read(query.format()).filters == query.filters
    looked_up = Filters(place=PlaceName("Lisbon", frozenset({1, 2})))
    photo = Path("/a.jpg")
    assert looked_up.accepts(photo, FileKind.PHOTO, 1, 0, place_id=2)
    assert not looked_up.accepts(photo, FileKind.PHOTO, 1, 0, place_id=3)
    assert not looked_up.accepts(photo, FileKind.PHOTO, 1, 0)  # taken nowhere known
    assert not query.filters.accepts(photo, FileKind.PHOTO, 1, 0, place_id=2)  # not looked up
    for text, message in (("place:", "needs a name"), ("place:a place:b", "given twice")):
        with pytest.raises(ParseError, match=message):
            read(text)

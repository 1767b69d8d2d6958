"""Where a query's words occur in a passage, and the excerpt of a passage that shows them.

A transcript segment or a note chunk found by a text query is shown as an excerpt with the
query's words marked. Words are compared as people read them, not byte for byte:

- case and accents are ignored (``canción`` is found by ``CANCION``; offsets still point into
  the text as written, combining marks included);
- a word is matched whole, at word boundaries; a query word of four letters or more also
  matches with an ending (``tomato`` -> ``tomatoes``), a shorter one only as it is (``a``, ``to``);
- Chinese and Japanese are written without spaces, so a run of such characters in the query is
  matched as substrings: every stretch of two or more of its characters the text also holds
  (a one-character query matches that character).

An excerpt longer than the shown length is cut around the matched words (the stretch that holds
most of them), on word boundaries where the text has spaces, with ``…`` where it was cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from engine.catalog.records import Box
from engine.search.results import Span

ELLIPSIS = "\u2026"
# Han (with extensions and compatibility forms), kana: scripts written without spaces.
_UNSPACED = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\U00030000-\U0003134f"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")
_WITH_ENDING = 4  # query words at least this long also match with an ending
_SNAP = 24  # at most this many characters are given up to cut an excerpt between words


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` without case or accents, and for each of its characters the index of the
    character of ``text`` it came from (``ß`` folds to ``ss``, two characters from one)."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        bare = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        for piece in bare.casefold():
            folded.append(piece)
            origin.append(index)
    return "".join(folded), origin


class QueryWords:
    """The words of one query text, ready to be found in passages (see module docstring)."""

    def __init__(self, text: str) -> None:
        folded, _ = fold(text)
        self.runs = _UNSPACED_RUN.findall(folded)
        spaced = _UNSPACED_RUN.sub(" ", folded)
        words = sorted(set(_WORD.findall(spaced)), key=lambda word: (-len(word), word))
        alternatives = [
            re.escape(word) + (r"\w*" if len(word) >= _WITH_ENDING else "") for word in words
        ]
        self._words = (
            re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
            if alternatives
            else None
        )
        self._pieces = {
            run[start:stop]
            for run in self.runs
            for start in range(len(run))
            for stop in range(start + min(2, len(run)), len(run) + 1)
        }
        self._longest = max((len(run) for run in self.runs), default=0)

    def __bool__(self) -> bool:
        return self._words is not None or bool(self._pieces)

    def find(self, text: str) -> tuple[Span, ...]:
        """The spans of ``text`` that hold the query's words, in order, none overlapping."""
        if not self:
            return ()
        folded, origin = fold(text)
        found = [(m.start(), m.end()) for m in self._words.finditer(folded)] if self._words else []
        found += self._unspaced(folded)
        return tuple(_in_text(text, origin, merged_spans(found)))

    def _unspaced(self, folded: str) -> list[tuple[int, int]]:
        """Greedy longest stretches of ``folded`` that are pieces of the query's unspaced runs."""
        found: list[tuple[int, int]] = []
        shortest = min((len(piece) for piece in self._pieces), default=1)
        at = 0
        while at < len(folded):
            for size in range(min(self._longest, len(folded) - at), shortest - 1, -1):
                if folded[at : at + size] in self._pieces:
                    found.append((at, at + size))
                    at += size
                    break
            else:
                at += 1
        return found


def merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, end)`` pairs in order, overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _in_text(text: str, origin: Sequence[int], spans: list[tuple[int, int]]) -> list[Span]:
    """Spans of the folded text as spans of ``text``: an accent left over at the end (a
    decomposed ``é``) goes with its letter."""
    result = []
    for start, end in spans:
        stop = origin[end - 1] + 1
        while stop < len(text) and unicodedata.combining(text[stop]):
            stop += 1
        result.append(Span(origin[start], stop))
    return result


@dataclass(frozen=True)
class Excerpt:
    text: str
    matched: tuple[Span, ...]


def excerpt(passage: str, words: QueryWords | None, limit: int) -> Excerpt:
    """``passage`` with its whitespace folded, cut to ``limit`` characters around the query's
    words (from the start when none is there), and where they are in it."""
    flat = " ".join(passage.split())
    spans = words.find(flat) if words else ()
    if len(flat) <= limit:
        return Excerpt(flat, spans)
    room = limit - 2  # an ellipsis at each end
    start, end = _window(flat, spans, room)
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(flat) else ""
    shift = len(head) - start
    kept = tuple(
        Span(max(span.start, start) + shift, min(span.end, end) + shift)
        for span in spans
        if span.start < end and span.end > start
    )
    return Excerpt(head + flat[start:end] + tail, kept)


def _window(flat: str, spans: Sequence[Span], room: int) -> tuple[int, int]:
    """``start, end`` of at most ``room`` characters of ``flat``: centred on the stretch that
    holds most matched spans, cut between words where a space is near."""
    group: Sequence[Span] = ()
    for index, first in enumerate(spans):
        inside = [span for span in spans[index:] if span.end <= first.start + room]
        if len(inside) > len(group):
            group = inside
    if not group:  # no match (the beginning), or one longer than the room (its beginning)
        group = spans[:1] or (Span(0, 0),)
    low, high = group[0].start, min(group[-1].end, group[0].start + room)
    start = max(0, min((low + high - room) // 2, len(flat) - room))
    end = start + room
    if start > 0 and flat[start - 1] != " ":  # mid-word: on to the next word, if it is near
        space = flat.find(" ", start, min(low, start + _SNAP))
        if space >= 0:
            start = space + 1
    if end < len(flat) and flat[end] != " ":  # back to the end of the last whole word
        space = flat.rfind(" ", max(high, end - _SNAP), end)
        if space >= 0:
            end = space
    while start < end and flat[start] == " ":
        start += 1
    while end > start and flat[end - 1] == " ":
        end -= 1
    return start, end


def word_boxes(line: Box, text: str, spans: Sequence[Span]) -> tuple[Box, ...]:
    """Where ``spans`` of a line of ``text`` lie inside the line's box: each a part of the box
    along its length, in proportion to the width of the characters before and in it (a Han or
    kana character counts as two Latin ones, a space as half). The whole box when no span."""
    if not spans or not text:
        return (line,)
    widths = [_width(char) for char in text]
    total = sum(widths) or 1.0
    edges = [0.0]
    for width in widths:
        edges.append(edges[-1] + width / total)
    x0, y0, x1, y1, x2, y2, x3, y3 = line
    boxes = []
    for span in spans:
        a, b = edges[min(span.start, len(text))], edges[min(span.end, len(text))]
        top = ((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b))
        bottom = (
            (x3 + (x2 - x3) * b, y3 + (y2 - y3) * b),
            (x3 + (x2 - x3) * a, y3 + (y2 - y3) * a),
        )
        (ax, ay), (bx, by) = top
        (cx, cy), (dx, dy) = bottom
        boxes.append(tuple(round(v, 5) for v in (ax, ay, bx, by, cx, cy, dx, dy)))
    return tuple(boxes)  # type: ignore[arg-type]  # eight numbers each


def _width(char: str) -> float:
    if char.isspace():
        return 0.5
    return 2.0 if _UNSPACED_RUN.match(char) else 1.0

"""Exact words: a query text -> the items and file names that hold its words, with a score.

The dense spaces find what a text *means*; this finds what it *says*: a word that appears once in
a note ("passport"), a file named by the query ("Budget meeting.wav"), a quoted phrase. Words
are cut as the catalog cut them (:mod:`engine.catalog.words`), so a query is never handed to
FTS5 as written: every word becomes a quoted FTS5 string, and the query's own ``AND``, ``OR``,
``NOT``, ``NEAR``, ``*``, ``-``, ``:``, brackets and quotes are words or separators, never syntax.

- Bare words: each word typed between spaces is a *unit* (pieces typed joined, such as
  ``cartoon-penguin``, ``IMG_0042`` or ``lionRoar``, in that order; a Chinese or Japanese run:
  the phrase of its bigrams, one character: that character); a row matches when it holds any.
  Common function words (``the``, ``de``, ``der``...) are left out unless nothing else is left.
- A quoted part is one unit: the exact phrase, its words in order.

Score: a row's *coverage* is the share of the query's units it holds, each weighted by its IDF
in the collection (a rare word counts more than a common one, and a unit found nowhere most of
all: "invoice number 4471" is not answered by a note that only says "number"; a misspelled
extra word leaves the row among the weaker candidates, where the dense search may still lift
it), and its *rarity* the mean, over
the units it holds, of their IDF against the IDF of a unit only one row holds (1 for a word
that appears once, near 0 for one that every row has). Calibrated like the dense routes
(0.5 = a good match): ``coverage ** 2 * (FULL + (RARE - FULL) * rarity)`` (``NAME_FULL``
for a file's name), so holding every unit is a good match, holding half of them is not, and a
word that only this row holds outranks what the dense search merely thinks is near (measured:
known items by a word found once, ``tests/benchmarks/lexical.py``). The planner fuses this
with the dense evidence (see :mod:`engine.search.planner`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.catalog.words import Matches, Token, holds, positional, runs, tokens
from engine.search.excerpts import merged_spans

# Calibrated scores of a row holding every unit of the query (the good-match line is 0.5):
# an item's text, and a file's name (the name of a file is what a person who knows it types).
FULL = 0.7
NAME_FULL = 0.8
RARE = 0.97  # ... when its words are found nowhere else
_JOINED = re.compile(r"[\w./-]+")
LIMIT = 256  # rows read per query, of items and of names each

# Words too common to find anything by, in the app's languages (en, es, fr, de; Chinese has
# none that would be cut as a word here). Left out of bare words, never out of a quoted phrase.
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to was
    were with what which who how my me i you your
    el la los las un una unos unas y o de del al en con por para que es su sus lo
    le les une des et ou du au aux dans par pour sur est qui ce ces son sa
    der die das den dem des ein eine einer eines und oder zu im ist mit von auf für
    not near""".split()  # with and/or: FTS5's operators, typed as syntax more than meant
)


class WordLookup(Protocol):
    """A word index: the catalog's (:meth:`engine.catalog.catalog.Catalog.match_units`), or a
    shared library's in Milvus (:meth:`engine.index.shared.SharedReading.match_units`)."""

    def match_units(self, units: Sequence[Sequence[str]], k: int) -> Matches:
        """Up to ``k`` rows of items and ``k`` of file names that hold any of ``units`` (one
        word each, or a phrase), best first; how many rows hold each; how many in all."""
        ...


@dataclass(frozen=True)
class Unit:
    """One thing a row may hold: ``words`` in a row (one word, or a phrase), in the positional
    column; a single word is also looked up among the extra words."""

    words: tuple[str, ...]

    def held_by(self, words: Sequence[str], extra: frozenset[str]) -> bool:
        return holds(self.words, words, extra)


def units(text: str, phrase: bool) -> list[Unit]:
    """The units of one query text (see the module docstring)."""
    if phrase:
        words = tuple(positional(tokens(text)))
        return [Unit(words)] if words else []
    # What was typed without a space is one unit: ``cartoon-penguin``, ``lionRoar``, 海滩上.
    # Only the joins of names join (``_ - . /``): ``NEAR(passport)`` is two units.
    chunks = _JOINED.findall(text)
    every = [Unit(words) for chunk in chunks if (words := tuple(positional(tokens(chunk))))]
    every = list(dict.fromkeys(every))
    kept = [unit for unit in every if not (len(unit.words) == 1 and unit.words[0] in STOPWORDS)]
    return kept or every


@dataclass(frozen=True)
class Found:
    """A row that holds some of the query's units: an item (``name`` False) or the name of a
    file (``name`` True, through ``item_id``, one of its items), with its calibrated score."""

    item_id: int
    file_id: int
    name: bool
    score: float
    coverage: float


def find(lookup: WordLookup, text: str, phrase: bool = False, k: int = LIMIT) -> list[Found]:
    """The rows that hold the words of ``text`` (a quoted ``phrase``: the phrase), best first."""
    wanted = units(text, phrase)
    if not wanted:
        return []
    matches = lookup.match_units([unit.words for unit in wanted], k)
    weights = [
        _idf(count, matches.total) if count or _telling(unit) else 0.0
        for unit, count in zip(wanted, matches.counts, strict=True)
    ]
    total = sum(weights)
    if total <= 0:
        return []
    rarest = _idf(1, matches.total)
    found = []
    for match in matches.found:
        held = [
            weight
            for unit, weight in zip(wanted, weights, strict=True)
            if unit.held_by(match.words, match.extra)
        ]
        if not held:
            continue
        coverage = sum(held) / total
        rarity = min(sum(held) / len(held) / rarest, 1.0)
        full = NAME_FULL if match.name else FULL
        score = coverage**2 * (full + (RARE - full) * rarity)
        found.append(Found(match.item_id, match.file_id, match.name, score, coverage))
    found.sort(key=lambda one: -one.score)
    return found


def _telling(unit: Unit) -> bool:
    """Whether a unit found nowhere says something the rows lack: a word of two characters or
    more, or one Chinese or Japanese character; a stray ``x`` does not."""
    return any(len(word) > 1 or not word.isascii() for word in unit.words)


def _idf(count: int, total: int) -> float:
    """BM25's inverse document frequency: ``count`` of ``total`` rows hold the unit."""
    return math.log(1.0 + (total - count + 0.5) / (count + 0.5))


def spans(text: str, query: str, phrase: bool = False) -> list[tuple[int, int]]:
    """Where in ``text`` (as written) the query's units are: ``(start, end)`` pairs, in order,
    none overlapping, for highlighting a name."""
    wanted = units(query, phrase)
    found = tokens(text)
    placed = _placed(found)
    words = [word for word, _, _ in placed]
    marked: list[tuple[int, int]] = []
    for unit in wanted:
        size = len(unit.words)
        for i in range(len(words) - size + 1):
            if tuple(words[i : i + size]) == unit.words:
                marked.append((placed[i][1], placed[i + size - 1][2]))
    singles = {unit.words[0] for unit in wanted if len(unit.words) == 1}
    marked += [(t.start, t.end) for t in found if t.unspaced and t.word in singles]
    return merged_spans(marked)


def _placed(found: Sequence[Token]) -> list[tuple[str, int, int]]:
    """The positional words of ``found`` with the characters each covers."""
    placed: list[tuple[str, int, int]] = []
    for run in runs(found):
        if len(run) == 1:
            placed.append((run[0].word, run[0].start, run[0].end))
            continue
        placed += [
            (run[i].word + run[i + 1].word, run[i].start, run[i + 1].end)
            for i in range(len(run) - 1)
        ]
    return placed

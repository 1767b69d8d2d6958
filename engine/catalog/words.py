"""The catalog's word index: SQLite FTS5 over every item's text and every file's name.

Two FTS5 tables live in the catalog's own file, beside the rows they index, and are written in
the same transactions: ``item_words`` (rowid = the item's id: a transcript segment, a note chunk,
a line read in a picture, any kind of item whose ``text`` is words of the file; not a tag or
what a picture shows, see :data:`GUESSED`) and ``name_words`` (rowid = the file's id:
its path under its root, folders included). Deleting an item or a file deletes its words by
trigger (foreign-key cascades included), so a crash or a kill leaves both in step.

Words are cut here, in Python, not by an FTS5 tokenizer: SQLite cannot run a Python tokenizer,
and the cut must be the same for a document, for a query, and for the highlight spans of a
reason (:func:`tokens` keeps where each word is in the text as written). A word is

- a run of letters and digits, cut at ``_ - . space /`` (any non-word character) and at
  camelCase and letter/digit boundaries (``lionRoar2.ogg`` -> ``lion``, ``roar``, ``2``,
  ``ogg``), folded: no case, no accents (``Canción`` -> ``cancion``);
- in Chinese and Japanese (written without spaces), every two neighbouring characters
  (``海滩上`` -> ``海滩``, ``滩上``), and apart, in the ``extra`` column, every single character.

Why CJK bigrams and not FTS5's ``trigram`` tokenizer (measured in ``tests/benchmarks/lexical.py``,
EVALUATION.md "Exact words"): most Chinese words are one or two characters (猫, 海滩), and a
trigram index can only answer queries of three characters or more by its index (shorter ones
fall back to scanning every row); it also matches inside English words (``cat`` in
``concatenate``) and makes a larger index. Bigrams answer a two-character word by one lookup, a
longer one as a phrase of its bigrams, and a single character through the unigram column.

A compound cut by camelCase also goes whole into ``extra`` (``lionRoar`` -> ``lionroar``), so
both ways of typing it find it. The tables' own tokenizer (``unicode61``) then only splits on
the spaces written here. ``WORDS_VERSION`` numbers this way of cutting: a catalog whose words
were cut another way (or not at all: one migrated to schema 5) is filled again when it opens.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from engine.catalog.records import ItemKind

# Bump when :func:`tokens` or :func:`document` changes: every catalog is filled again on open.
WORDS_VERSION = 2
# Items whose text is a model's guess about the file, not words it holds: a classifier's label
# ("kernel" on a photo of corn) is found by meaning through its own route, weighed by the
# classifier's probability; indexed as words, an unsure label would match a word exactly (out-
# of-collection queries crossed the good-match line on such labels, EVALUATION.md).
GUESSED = frozenset({ItemKind.TAG.value, ItemKind.SHOWS.value})
WORDS_KEY = "words"  # meta key holding the WORDS_VERSION the tables were filled with


# Han (with extensions and compatibility forms), kana, Hangul syllables: scripts written
# without spaces between words.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_UNSPACED}]+|[^\W_{_UNSPACED}]+")
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_LONGEST_TEXT = 2_000_000  # characters of one item's text that are indexed


@dataclass(frozen=True)
class Token:
    """One word of a text: its folded form, and characters ``start``..``end`` of the text as
    written (end exclusive). ``unspaced`` words are single characters of Chinese or Japanese."""

    word: str
    start: int
    end: int
    unspaced: bool = False


def fold(word: str) -> str:
    """No case, no accents: ``Canción`` -> ``cancion``, ``Straße`` -> ``strasse``."""
    if word.isascii():
        return word.lower()
    bare = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.casefold())


def _camel_pieces(run: str) -> list[tuple[int, int]]:
    """Where ``run`` (letters and digits) is cut: at lower->Upper, at ABCDef (before ``De``)
    and between letters and digits."""
    if run.isdigit() or (run.isalpha() and (run[1:].islower() or run.isupper())):
        return [(0, len(run))]  # most words: nothing to cut
    cuts = [0]
    for index in range(1, len(run)):
        before, here = run[index - 1], run[index]
        after = run[index + 1] if index + 1 < len(run) else ""
        if (
            (before.isdigit() != here.isdigit())
            or (before.islower() and here.isupper())
            or (before.isupper() and here.isupper() and after.islower())
        ):
            cuts.append(index)
    cuts.append(len(run))
    return list(zip(cuts, cuts[1:], strict=False))


def tokens(text: str) -> list[Token]:
    """The words of ``text`` in order (see the module docstring). Chinese and Japanese come
    as single characters (``unspaced``); :func:`document` pairs them."""
    return _cut(text, [])


def _cut(text: str, compounds: list[str]) -> list[Token]:
    """:func:`tokens`, adding to ``compounds`` every run cut in several words, folded whole."""
    found: list[Token] = []
    for match in _RUN.finditer(text[:_LONGEST_TEXT]):
        run, at = match.group(), match.start()
        if _UNSPACED_RUN.fullmatch(run):
            found.extend(Token(fold(char), at + i, at + i + 1, True) for i, char in enumerate(run))
            continue
        pieces = _camel_pieces(run)
        if len(pieces) > 1:
            compounds.append(fold(run))
        for start, end in pieces:
            word = fold(run[start:end])
            if word:
                found.append(Token(word, at + start, at + end))
    return found


def _pairs(chars: Sequence[Token]) -> list[str]:
    """A run of unspaced characters as its bigrams (one character alone stays itself)."""
    if len(chars) == 1:
        return [chars[0].word]
    return [chars[i].word + chars[i + 1].word for i in range(len(chars) - 1)]


def runs(found: Sequence[Token]) -> list[list[Token]]:
    """``found`` in runs: each spaced word alone, neighbouring unspaced characters together."""
    grouped: list[list[Token]] = []
    for token in found:
        if (
            token.unspaced
            and grouped
            and grouped[-1][-1].unspaced
            and grouped[-1][-1].end == token.start
        ):
            grouped[-1].append(token)
        else:
            grouped.append([token])
    return grouped


def positional(found: Sequence[Token]) -> list[str]:
    """The words FTS5 indexes by position (phrases match on these): spaced words, and the
    bigrams of each unspaced run."""
    return [
        word for run in runs(found) for word in (_pairs(run) if run[0].unspaced else [run[0].word])
    ]


def document(text: str) -> tuple[str, str]:
    """The two columns a text is indexed under: positional words, and the extra words (single
    unspaced characters, and camelCase compounds whole)."""
    compounds: list[str] = []
    found = _cut(text, compounds)
    extra = [token.word for token in found if token.unspaced] + compounds
    return " ".join(positional(found)), " ".join(extra)


# -- writing ------------------------------------------------------------------------------------


def write_items(conn: sqlite3.Connection, items: Iterable[tuple[int, str | None]]) -> None:
    """Index ``(item_id, text)`` pairs (in the caller's transaction); no text, no words."""
    rows = [(item_id, *document(text)) for item_id, text in items if text]
    conn.executemany("INSERT INTO item_words (rowid, words, extra) VALUES (?, ?, ?)", rows)


def write_name(conn: sqlite3.Connection, file_id: int, relpath: str) -> None:
    """Index a file's path under its root (in the caller's transaction), replacing its old one."""
    conn.execute("DELETE FROM name_words WHERE rowid = ?", (file_id,))
    conn.execute(
        "INSERT INTO name_words (rowid, words, extra) VALUES (?, ?, ?)",
        (file_id, *document(relpath)),
    )


def fill(conn: sqlite3.Connection, names: Iterable[tuple[int, str]]) -> None:
    """Index everything again (in the caller's transaction): every item's text, and the
    ``(file_id, relpath)`` of every file."""
    conn.execute("DELETE FROM item_words")
    conn.execute("DELETE FROM name_words")
    guessed = sorted(GUESSED)
    texts = conn.execute(
        f"SELECT id, text FROM items WHERE text IS NOT NULL "
        f"AND kind NOT IN ({', '.join('?' * len(guessed))})",
        guessed,
    )
    write_items(conn, texts)
    for file_id, relpath in names:
        write_name(conn, file_id, relpath)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (WORDS_KEY, WORDS_VERSION)
    )


def filled(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (WORDS_KEY,)).fetchone()
    return row is not None and int(row[0]) == WORDS_VERSION


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A row an FTS5 expression found: an item whose text holds the words (``name`` False),
    or a file whose path does (``name`` True; ``item_id`` is then one of the file's items, so
    that search can read the file through it). ``words`` and ``extra`` are its indexed words."""

    item_id: int
    file_id: int
    name: bool
    words: tuple[str, ...]
    extra: frozenset[str]


@dataclass(frozen=True)
class Matches:
    """What :func:`match` found, and how many rows each expression matches (item rows and file
    names together), out of ``total`` rows."""

    found: list[Match]
    counts: list[int]
    total: int


def expression(unit: Sequence[str]) -> str:
    """The FTS5 query of one unit of a search (:mod:`engine.search.lexical`): one word, in
    either column; several, the phrase of them in the positional column."""
    quoted = '"' + " ".join(unit) + '"'  # words are letters and digits only
    return ("{words extra} : " if len(unit) == 1 else "words : ") + quoted


def holds(unit: Sequence[str], words: Sequence[str], extra: Collection[str]) -> bool:
    """Whether a row of these ``words`` (positional) and ``extra`` words holds ``unit``: its
    one word in either, or its words in a row among the positional ones."""
    if len(unit) == 1:
        return unit[0] in extra or unit[0] in words
    size, wanted = len(unit), tuple(unit)
    return any(tuple(words[i : i + size]) == wanted for i in range(len(words) - size + 1))


def match_units(conn: sqlite3.Connection, units: Sequence[Sequence[str]], k: int) -> Matches:
    """:func:`match` of the rows that hold any of ``units``, with each unit's count."""
    each = [expression(unit) for unit in units]
    return match(conn, " OR ".join(each), each, k)


def match(conn: sqlite3.Connection, expression: str, each: Sequence[str], k: int) -> Matches:
    """Up to ``k`` item rows and ``k`` file names that ``expression`` (an FTS5 query) matches,
    best first by BM25; and for each of ``each`` (FTS5 queries too) its number of matches."""
    found: list[Match] = []
    item_rows = conn.execute(
        "SELECT w.rowid, i.file_id, w.words, w.extra FROM item_words w "
        "JOIN items i ON i.id = w.rowid WHERE item_words MATCH ? ORDER BY w.rank LIMIT ?",
        (expression, k),
    ).fetchall()
    found += [_match(row, False) for row in item_rows]
    name_rows = conn.execute(
        "SELECT (SELECT min(i.id) FROM items i WHERE i.file_id = w.rowid), w.rowid, w.words, "
        "w.extra FROM name_words w WHERE name_words MATCH ? ORDER BY w.rank LIMIT ?",
        (expression, k),
    ).fetchall()
    found += [_match(row, True) for row in name_rows if row[0] is not None]
    # Table names are our own two constants, never outside input.
    counts = [
        sum(
            conn.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH ?", (one,)).fetchone()[0]
            for t in ("item_words", "name_words")
        )
        for one in each
    ]
    # FTS5's own table of row lengths has one row per indexed row: counted by its b-tree, where
    # a count of the index itself reads every row (25 ms at 100k rows).
    total = sum(
        conn.execute(f"SELECT count(*) FROM {table}_docsize").fetchone()[0]
        for table in ("item_words", "name_words")
    )
    return Matches(found, counts, total)


def _match(row: Sequence[object], name: bool) -> Match:
    item_id, file_id, words, extra = row
    return Match(
        int(str(item_id)),
        int(str(file_id)),
        name,
        tuple(str(words).split()),
        frozenset(str(extra).split()),
    )

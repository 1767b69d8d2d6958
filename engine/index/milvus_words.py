"""The words of a Milvus library, for the machines that read it without its catalog.

The indexing machine finds exact words in its own catalog (SQLite FTS5,
:mod:`engine.catalog.words`). A laptop that searches a shared library has no copy of that
catalog, so the writer keeps the same words in Milvus as well, in one collection beside the
spaces: a row per item whose text is words of its file, and a row per file for its name (its
path under its folder), each carrying what a hit is shown with. Where Milvus has no full-text
search (servers before 2.5) there is no such collection, and readers find by meaning alone.

Words are cut exactly as the catalog cuts them (folded, camelCase split, Chinese as bigrams and
single characters), so a reader finds and scores what the indexing machine would. Milvus's own
tokenizers cut otherwise (the standard one splits Chinese into characters), so each word is
written as a token that its standard tokenizer keeps whole and does not change: a word of
ASCII letters and digits as it is, any other as ``x`` and its UTF-8 bytes in hex. Milvus's BM25
function over those tokens orders the rows a query finds; ``text_match`` counts the rows that
hold each unit. The search side then scores the rows as it scores the catalog's
(:func:`engine.search.lexical.find`). Milvus's RRF ranker is not used to fuse these with the
dense hits: a sum of reciprocal ranks has no calibrated good-match line, which the planner's
fusion keeps for every route; the planner computes RRF itself for the candidates below that
line, alike for every backend (see :mod:`engine.search.planner`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from engine.catalog.outbox import VectorRow
from engine.catalog.words import GUESSED, Match, Matches, document, holds
from engine.index.milvus import (
    CALL_TIMEOUT,
    COLLECTION_PREFIX,
    MAX_K,
    ROW_FIELDS,
    StoredCollection,
    add_row_fields,
    row_fields,
)

if TYPE_CHECKING:
    from pymilvus import MilvusClient


WORDS_COLLECTION = f"{COLLECTION_PREFIX}words"
# Milvus's largest VARCHAR (bytes): a row's words beyond it are left out, whole words first.
WORDS_BYTES = 65535
_PLAIN = re.compile(r"[a-z0-9]+")
_VERSION = re.compile(r"v?(\d+)\.(\d+)")
FULL_TEXT_SINCE = (2, 5)  # the first Milvus server with BM25 functions and text_match
WORD_FIELDS = ("item_id", "is_name", "words", "extra", *ROW_FIELDS)


def has_full_text(version: str) -> bool:
    """Whether a Milvus of this ``get_server_version()`` searches words: Milvus Lite
    (``milvus_lite-3.2.2``) and servers from 2.5 (``v2.5.4``)."""
    if version.startswith("milvus_lite"):
        return True
    found = _VERSION.match(version)
    return found is not None and (int(found[1]), int(found[2])) >= FULL_TEXT_SINCE


def token(word: str) -> str:
    """A word of the catalog as Milvus's standard tokenizer keeps it: whole, unchanged."""
    return word if _PLAIN.fullmatch(word) else "x" + word.encode("utf-8").hex()


def unit_filter(unit: Sequence[str]) -> str:
    """The rows that may hold ``unit``: every one of its words (a phrase's order is checked
    after, on the words the row returns). Tokens are letters and digits: nothing to escape."""
    return " and ".join(f'text_match(terms, "{token(word)}")' for word in unit)


def _holds(unit: Sequence[str], row: dict[str, Any]) -> bool:
    return holds(unit, str(row["words"]).split(), str(row["extra"]).split())


def _cut_words(words: Sequence[str], limit: int) -> list[str]:
    kept, size = [], 0
    for word in words:
        size += len(token(word)) + 1
        if size > limit:
            break
        kept.append(word)
    return kept


def _word_row(
    key: int, item_id: int, is_name: bool, text: str, fields: dict[str, Any]
) -> dict[str, Any]:
    positional, extra = document(text)
    # Two thirds for the positional words, the rest for the single characters and compounds.
    words = _cut_words(positional.split(), WORDS_BYTES * 2 // 3)
    extras = _cut_words(extra.split(), WORDS_BYTES - WORDS_BYTES * 2 // 3)
    return {
        "key": key,
        "is_name": is_name,
        "terms": " ".join(token(word) for word in (*words, *extras)),
        "words": " ".join(words),
        "extra": " ".join(extras),
        "item_id": item_id,
        **fields,
    }


def word_rows(rows: Iterable[VectorRow]) -> list[dict[str, Any]]:
    """The word rows of catalog vectors (an item is in several spaces: one row each): its
    words when its text is words of the file, and its file's name (key: minus the file's id)."""
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        fields = row_fields(row)
        if row.text and row.item_kind not in GUESSED:
            found[row.item_id] = _word_row(row.item_id, row.item_id, False, row.text, fields)
        named = found.get(-row.file_id)
        # a name is read through the file's first item, as the catalog reads it
        if row.file_id >= 0 and (named is None or row.item_id < named["item_id"]):
            found[-row.file_id] = _word_row(-row.file_id, row.item_id, True, row.relpath, fields)
    return list(found.values())


class WordsCollection(StoredCollection):
    """The library's words: written by its indexing machine, searched by its readers."""

    # A reader need not wait for the writer's latest tick ("Strong" waits about 0.2 s a call
    # on a server); the writer sees its own writes.
    consistency = "Session"

    def __init__(self, client: MilvusClient, write_timeout: float = CALL_TIMEOUT) -> None:
        super().__init__(client, WORDS_COLLECTION, write_timeout)

    def current(self) -> bool:
        """It exists with every field this Trove writes."""
        if not self.exists():
            return False
        described = self.client.describe_collection(self.name, timeout=CALL_TIMEOUT)["fields"]
        return {*WORD_FIELDS, "terms", "sparse"} <= {field["name"] for field in described}

    def create(self) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        schema.add_field("item_id", DataType.INT64)  # a name's row: one of the file's items
        schema.add_field("is_name", DataType.BOOL)
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=WORDS_BYTES,
            enable_analyzer=True,
            enable_match=True,
            analyzer_params={"type": "standard"},
        )
        schema.add_field("words", DataType.VARCHAR, max_length=WORDS_BYTES)
        schema.add_field("extra", DataType.VARCHAR, max_length=WORDS_BYTES)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        add_row_fields(schema)
        schema.add_function(
            Function(
                name="terms_bm25",
                function_type=FunctionType.BM25,
                input_field_names=["terms"],
                output_field_names=["sparse"],
            )
        )
        index = self.client.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(self.name, schema=schema, consistency_level="Strong")
        self.client.create_index(self.name, index, sync=False)
        self.load()

    def delete(self, item_ids: Sequence[int]) -> list[int]:
        """The rows of these items (gone from every space); returns the files whose name rows
        were read through one of them, for :meth:`delete_names` if the file is gone too."""
        if not item_ids:
            return []
        ids = [int(i) for i in item_ids]
        named = self.query(f"is_name == true and item_id in {ids}", ["file_id"])
        self.client.delete(self.name, ids=ids, timeout=self.write_timeout)
        return sorted({int(row["file_id"]) for row in named})

    def delete_names(self, file_ids: Iterable[int]) -> None:
        keys = [-int(file_id) for file_id in file_ids]
        if keys:
            self.client.delete(self.name, ids=keys, timeout=self.write_timeout)

    def matches(
        self, units: Sequence[Sequence[str]], k: int
    ) -> tuple[Matches, list[dict[str, Any]]]:
        """What the catalog's :func:`engine.catalog.words.match_units` answers, from Milvus:
        up to ``k`` item rows and ``k`` names holding any of ``units``, each unit's count, the
        total; and the rows found, with their fields."""
        each = [unit_filter(unit) for unit in units]
        if not each:
            return Matches([], [], self.count()), []
        anyof = " or ".join(f"({one})" for one in each)
        # Most words worth typing are rare: every row that holds one is read at once, and
        # counted here. Where more than k rows of a kind (items, names) hold them, BM25
        # chooses k, as FTS5's rank does; where more than 2k, Milvus counts them. (Milvus
        # Lite takes 30-100 ms for each text_match query, 0.2 s for a BM25 search.)
        rows = self.query(anyof, WORD_FIELDS, 2 * k + 1)
        complete = len(rows) <= 2 * k
        chosen: list[dict[str, Any]] = []
        for is_name in (False, True):
            kind = [row for row in rows if bool(row["is_name"]) is is_name]
            if complete and len(kind) <= k:
                chosen += kind
            else:
                chosen += self._best(units, f"is_name == {str(is_name).lower()} and ({anyof})", k)
        # text_match finds a phrase's words anywhere in a row: its order is checked here
        held = [row for row in chosen if any(_holds(unit, row) for unit in units)]
        if complete:
            counts = [sum(_holds(unit, row) for row in rows) for unit in units]
        else:
            counts = [self._count(unit, one) for unit, one in zip(units, each, strict=True)]
        found = [
            Match(
                int(row["item_id"]),
                int(row["file_id"]),
                bool(row["is_name"]),
                tuple(str(row["words"]).split()),
                frozenset(str(row["extra"]).split()),
            )
            for row in held
        ]
        return Matches(found, counts, self.count()), held

    def _best(self, units: Sequence[Sequence[str]], where: str, k: int) -> list[dict[str, Any]]:
        """The ``k`` rows ``where`` selects that Milvus's BM25 ranks first for ``units``."""
        answers = self._loaded(
            partial(
                self.client.search,
                self.name,
                data=[" ".join(token(word) for unit in units for word in unit)],
                anns_field="sparse",
                limit=k,
                filter=where,
                output_fields=list(WORD_FIELDS),
                search_params={"metric_type": "BM25"},
                timeout=CALL_TIMEOUT,
                consistency_level=self.consistency,
            )
        )
        return [dict(hit["entity"]) for hit in answers[0]]

    def _count(self, unit: Sequence[str], where: str) -> int:
        """How many rows hold ``unit``: counted by Milvus, a phrase's rows read and checked
        (quoted phrases are few, and the rows holding all of their words fewer)."""
        if len(unit) == 1:
            return self.count(where)
        rows = self.query(where, ["words"], MAX_K)
        return sum(holds(unit, str(row["words"]).split(), ()) for row in rows)

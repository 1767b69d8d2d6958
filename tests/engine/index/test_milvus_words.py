"""A shared library's words, kept in Milvus for the machines that read it without its catalog:
on a real Milvus Lite library, the rows, counts and totals the catalog's own word index (SQLite
FTS5) gives for the same query units, in English, Spanish and Chinese, after a rename and a
delete too; and the reader finds a note by a word only it holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind
from engine.catalog.words import Matches
from engine.index.library import Library
from engine.index.milvus import MilvusSpaces
from engine.index.milvus_words import WordsCollection, has_full_text, token
from engine.index.shared import PathMapping, SharedLibrary
from engine.search import lexical
from tests.engine.index import milvus_child

SPACE, DIM = milvus_child.SPACE, milvus_child.DIM
K = 50

NOTES = {
    "Notes/Passport renewal.md": [
        "Renew the passport before the trip to Lisbon",
        "No no no no, not the old photo",
    ],
    "Notes/Reunión del presupuesto.md": [
        "La reunión del presupuesto es el jueves a las diez",
        "Canción de cuna para el viernes",
    ],
    "Notes/海滩/日记.md": ["海滩上的一条狗", "猫在沙发上睡觉"],
    "Recordings/lionRoar.txt": ["Здравствуйте, достопримечательность"],
}
# Typed as a person would: bare words, a phrase, a folded accent, one Chinese character, a
# camelCase name both ways, Cyrillic, and words found nowhere.
QUERIES = [
    ("passport", False),
    ("presupuesto jueves", False),
    ("reunion", False),
    ("海滩", False),
    ("猫", False),
    ("一条狗", False),
    ("lionroar", False),
    ("lion roar", False),
    ("no no", True),
    ("photo old", True),
    ("достопримечательность", False),
    ("trip Lisbon viernes", False),
    ("zebra crossing", False),
]


def vectors(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    found = rng.standard_normal((count, DIM)).astype(np.float32)
    return list(found / np.linalg.norm(found, axis=1, keepdims=True))


def index_notes(catalog: Catalog, spaces: MilvusSpaces) -> dict[str, int]:
    """The notes, each chunk an item, and a photo whose tag says "passport" (a guess, not a
    word of the file: in neither word index). Returns file ids by path."""
    rng = np.random.default_rng(5)
    root = catalog.add_root(Path("/srv/family"))
    ids = {}
    for relpath, chunks in NOTES.items():
        record = catalog.upsert_file(root.id, relpath, 100, 10**18, relpath, FileKind.NOTE)
        written = [
            Item(kind=ItemKind.TEXT_CHUNK, text=text, vectors={SPACE: vector})
            for text, vector in zip(chunks, vectors(rng, len(chunks)), strict=True)
        ]
        spaces.apply(catalog.replace_items(record.id, written))
        ids[relpath] = record.id
    photo = catalog.upsert_file(root.id, "Photos/IMG_0042.jpg", 9, 10**18, "p", FileKind.PHOTO)
    look, tag = vectors(rng, 2)
    spaces.apply(
        catalog.replace_items(
            photo.id,
            [
                Item(kind=ItemKind.PHOTO, vectors={SPACE: look}),
                Item(kind=ItemKind.TAG, text="passport", score=0.4, vectors={SPACE: tag}),
            ],
        )
    )
    ids["Photos/IMG_0042.jpg"] = photo.id
    return ids


def the_same(got: Matches, expected: Matches) -> None:
    def rows(matches: Matches) -> set[tuple[object, ...]]:
        return {(m.item_id, m.file_id, m.name, m.words, m.extra) for m in matches.found}

    assert rows(got) == rows(expected)
    assert (got.counts, got.total) == (expected.counts, expected.total)


def library_file(tmp_path: Path) -> Library:
    return Library.parse(str(tmp_path / "library.db"))


@pytest.fixture
def spaces(tmp_path: Path, catalog: Catalog) -> Iterator[MilvusSpaces]:
    opened = MilvusSpaces(library_file(tmp_path))
    opened.open(catalog)
    yield opened
    opened.close()


def test_full_text_is_told_by_the_server_version() -> None:
    assert has_full_text("milvus_lite-3.2.2")
    assert has_full_text("v2.5.4") and has_full_text("v2.6.0") and has_full_text("v3.0.1")
    assert not has_full_text("v2.3.5") and not has_full_text("v2.4.15")
    assert not has_full_text("unknown")
    # every script as one token the standard tokenizer keeps whole, ASCII words as they are
    assert token("passport") == "passport"
    assert token("海滩") == "x" + "海滩".encode().hex()


def test_the_library_finds_and_counts_words_as_the_catalog_does(
    catalog: Catalog, spaces: MilvusSpaces
) -> None:
    ids = index_notes(catalog, spaces)
    words = WordsCollection(spaces._connected())
    for text, phrase in QUERIES:
        units = [unit.words for unit in lexical.units(text, phrase)]
        the_same(words.matches(units, K)[0], catalog.match_units(units, K))
    # more rows than asked for: BM25 chooses, in Milvus as in FTS5 (four "no" rank first)
    units = [("no",), ("the",)]
    the_same(words.matches(units, 1)[0], catalog.match_units(units, 1))
    assert len(words.matches(units, 1)[0].found) == 1
    # what the catalog's words say after a rename and a delete, Milvus's do too
    catalog.move_file(ids["Notes/Passport renewal.md"], catalog.roots()[0].id, "Notes/visa.md")
    spaces.deliver(force=True)
    spaces.remove(catalog.delete_file(ids["Notes/海滩/日记.md"]))
    for text in ("passport", "visa", "海滩", "猫 狗"):
        units = [unit.words for unit in lexical.units(text, False)]
        the_same(words.matches(units, K)[0], catalog.match_units(units, K))
    spaces.rebuild()
    units = [unit.words for unit in lexical.units("presupuesto visa", False)]
    the_same(words.matches(units, K)[0], catalog.match_units(units, K))


def test_a_reader_scores_a_shared_librarys_words_as_the_indexing_machine(
    catalog: Catalog, spaces: MilvusSpaces, tmp_path: Path
) -> None:
    ids = index_notes(catalog, spaces)
    spaces.close()  # Milvus Lite: one process at a time holds the file
    reader = SharedLibrary(library_file(tmp_path), PathMapping(), {SPACE: DIM})
    reader.open()
    try:
        for text, phrase in QUERIES:
            expected = lexical.find(catalog, text, phrase)
            reading = reader.reading()
            got = lexical.find(reading, text, phrase)
            assert [(f.file_id, f.name) for f in got] == [(f.file_id, f.name) for f in expected]
            assert [f.score for f in got] == pytest.approx([f.score for f in expected]), text
            # each row found renders the file it was found in, from what the library keeps
            rows = reading.items([found.item_id for found in got])
            assert [row.file.id for row in rows] == [found.file_id for found in got]
        budget = lexical.find(reader.reading(), "presupuesto", False)
        assert budget[0].file_id == ids["Notes/Reunión del presupuesto.md"]
    finally:
        reader.close()

"""The word index (FTS5) on a real SQLite catalog: how words are cut, and that the index stays in
step with items and files through every write, deletion, rename, migration and repair."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from engine.catalog import schema, words
from engine.catalog.catalog import Catalog
from engine.catalog.health import back_up, repair
from engine.catalog.records import FileKind, Item, ItemKind
from tests.engine.catalog.conftest import unit
from tests.engine.catalog.test_schema import write_v4

TEXT = "minilm-l6-v2"


def note(rng: np.random.Generator, text: str) -> list[Item]:
    return [
        Item(
            ItemKind.TEXT_CHUNK,
            char_start=0,
            char_end=len(text),
            text=text,
            vectors={TEXT: unit(rng, 8)},
        )
    ]


def ids_of(cat: Catalog, expression: str) -> set[tuple[bool, int]]:
    return {(m.name, m.file_id) for m in cat.match_words(expression, [], 50).found}


def words_of(cat: Catalog, word: str) -> set[tuple[bool, int]]:
    return ids_of(cat, '{words extra} : "' + word + '"')


@pytest.mark.parametrize(
    ("text", "positional", "extra"),
    [
        ("field recording - lion.ogg", "field recording lion ogg", ""),
        ("Budget_meeting.2024/notes", "budget meeting 2024 notes", ""),
        ("lionRoar2.ogg", "lion roar 2 ogg", "lionroar2"),
        ("HTMLParser", "html parser", "htmlparser"),
        ("Canción ÉTÉ Straße", "cancion ete strasse", ""),
        ("小猫在海滩", "小猫 猫在 在海 海滩", "小 猫 在 海 滩"),
        ("猫 and 狗", "猫 and 狗", "猫 狗"),
        ("mixed中文text", "mixed 中文 text", "中 文"),
        ("", "", ""),
        ('AND OR "NEAR(a*b)" -c: ^', "and or near a b c", ""),
    ],
)
def test_words_are_cut_on_separators_camel_case_and_cjk_pairs(
    text: str, positional: str, extra: str
) -> None:
    assert words.document(text) == (positional, extra)


def test_tokens_keep_where_each_word_is_written() -> None:
    text = "Écoute lionRoar"
    assert [(t.word, text[t.start : t.end]) for t in words.tokens(text)] == [
        ("ecoute", "Écoute"),
        ("lion", "lion"),
        ("roar", "Roar"),
    ]


def test_texts_and_names_are_indexed_and_follow_every_change(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    root = cat.add_root(tmp_path)
    memo = cat.upsert_file(root.id, "Work/Budget meeting.wav", 1, 1, "a", FileKind.AUDIO)
    diary = cat.upsert_file(root.id, "diary.md", 1, 1, "b", FileKind.NOTE)
    cat.replace_items(diary.id, note(rng, "Renew the passport before the trip"))
    cat.replace_items(
        memo.id,
        [
            Item(ItemKind.TRANSCRIPT, 0.0, 4.0, text="the plan", vectors={TEXT: unit(rng, 8)}),
            Item(ItemKind.TAG, text="speech", score=0.4),  # a tag: text, no vector
        ],
    )
    assert words_of(cat, "passport") == {(False, diary.id)}
    assert words_of(cat, "budget") == {(True, memo.id)}
    assert words_of(cat, "work") == {(True, memo.id)}  # a folder's name
    assert words_of(cat, "speech") == set()  # a guess, not the file's words
    # New bytes: the old words go with the old items.
    cat.replace_items(diary.id, note(rng, "Buy a visa"))
    assert words_of(cat, "passport") == set() and words_of(cat, "visa") == {(False, diary.id)}
    cat.move_file(diary.id, root.id, "Travel/journal.md")
    assert words_of(cat, "diary") == set() and words_of(cat, "journal") == {(True, diary.id)}
    cat.delete_file(diary.id)  # the file's row and its items go: their words by trigger
    assert words_of(cat, "visa") == set() and words_of(cat, "journal") == set()
    cat.remove_root(root.id)  # cascades from the root: triggers still fire
    assert words_of(cat, "budget") == set() and words_of(cat, "plan") == set()
    conn = sqlite3.connect(cat.path)
    assert conn.execute("SELECT count(*) FROM item_words").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM name_words").fetchone()[0] == 0
    conn.close()


def test_a_write_that_fails_leaves_no_words(cat: Catalog, tmp_path: Path) -> None:
    root = cat.add_root(tmp_path)
    record = cat.upsert_file(root.id, "a.md", 1, 1, "a", FileKind.NOTE)
    bad = Item(ItemKind.TEXT_CHUNK, text="passport", vectors={TEXT: np.array([np.nan])})
    with pytest.raises(Exception, match="not a finite"):
        cat.replace_items(record.id, [bad])
    assert words_of(cat, "passport") == set()


def test_a_v4_catalog_migrates_and_its_words_are_filled(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_v4(path)
    with Catalog(path) as cat:
        assert words_of(cat, "rana") == {(False, 4)}  # a transcript of version 3
        assert words_of(cat, "diary") == {(True, 1), (False, 1)}  # diary.md: "dear diary"
        assert words_of(cat, "memo") == {(True, 4)}
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION
    conn.close()


def test_words_cut_another_way_are_filled_again_on_open(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as cat:
        root = cat.add_root(tmp_path)
        record = cat.upsert_file(root.id, "a.md", 1, 1, "a", FileKind.NOTE)
        cat.replace_items(record.id, note(np.random.default_rng(1), "passport"))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM item_words")  # as a kill in the middle of a fill would not...
    conn.execute("UPDATE meta SET value = 0 WHERE key = 'words'")  # ...but an old cut would
    conn.close()
    with Catalog(path) as cat:
        assert words_of(cat, "passport") == {(False, record.id)}
        assert words_of(cat, "a") == {(True, record.id)}


def test_a_model_s_guesses_are_not_words_of_the_file(tmp_path: Path) -> None:
    """A tag or what a picture shows is found by meaning (weighed by the classifier's
    probability), never as the file's own words; the words read in it are."""
    path = tmp_path / "catalog.sqlite3"
    rng = np.random.default_rng(2)
    guesses = [
        Item(ItemKind.TAG, text="corn, kernel", score=0.1, vectors={TEXT: unit(rng, 8)}),
        Item(ItemKind.SHOWS, text="ear, corn", vectors={TEXT: unit(rng, 8)}),
        Item(ItemKind.PICTURE_TEXT, text="Harvest festival", vectors={TEXT: unit(rng, 8)}),
    ]
    with Catalog(path) as cat:
        root = cat.add_root(tmp_path)
        record = cat.upsert_file(root.id, "IMG_0001.jpg", 1, 1, "a", FileKind.PHOTO)
        cat.replace_items(record.id, guesses)
        assert words_of(cat, "kernel") == words_of(cat, "ear") == set()
        assert words_of(cat, "festival") == {(False, record.id)}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE meta SET value = 0 WHERE key = 'words'")  # filled again on open
    conn.close()
    with Catalog(path) as cat:
        assert words_of(cat, "kernel") == set()
        assert words_of(cat, "festival") == {(False, record.id)}


def test_a_repaired_catalog_has_the_words_of_the_rows_it_kept(tmp_path: Path) -> None:
    path, backups = tmp_path / "catalog.sqlite3", tmp_path / "backups"
    rng = np.random.default_rng(2)
    with Catalog(path) as cat:
        root = cat.add_root(tmp_path)
        old = cat.upsert_file(root.id, "old.md", 1, 1, "a", FileKind.NOTE)
        cat.replace_items(old.id, note(rng, "passport"))
        back_up(cat, backups, now=0.0)
        new = cat.upsert_file(root.id, "new.md", 1, 1, "b", FileKind.NOTE)
        cat.replace_items(new.id, note(rng, "tickets"))
    path.write_bytes(b"\0" * 100)  # overwritten: only the backup is left
    repair(path, backups)
    with Catalog(path) as cat:
        assert words_of(cat, "passport") == {(False, old.id)}
        assert words_of(cat, "tickets") == set()  # its row was lost with the file


def test_a_50000_word_note_is_indexed_and_searched_in_bounded_time(
    cat: Catalog, tmp_path: Path
) -> None:
    root = cat.add_root(tmp_path)
    record = cat.upsert_file(root.id, "long.txt", 1, 1, "a", FileKind.NOTE)
    rng = np.random.default_rng(3)
    vocabulary = [f"word{i}" for i in range(5000)]
    text = " ".join(rng.choice(vocabulary, 50_000)) + " passport"
    started = time.perf_counter()
    cat.replace_items(record.id, note(rng, text))
    found = words_of(cat, "passport")
    assert time.perf_counter() - started < 5.0
    assert found == {(False, record.id)}

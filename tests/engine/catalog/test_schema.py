"""Schema versions: an old file migrates step by step, a newer one is refused, a failed step
changes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engine.catalog import schema
from engine.catalog.catalog import Catalog, CatalogError
from engine.catalog.records import Failure, FileKind, FileStatus, Item, ItemKind
from engine.media.looks import Look

# Version 1 exactly as the first release wrote it, typed out here (not taken from schema.py) so
# that an edit to a released migration is caught.
V1_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('generation', 7);
CREATE TABLE roots (id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE,
    include TEXT NOT NULL DEFAULT '[]', exclude TEXT NOT NULL DEFAULT '[]',
    online INTEGER NOT NULL DEFAULT 1);
CREATE TABLE files (id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE, relpath BLOB NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, content_hash TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, error TEXT, UNIQUE (root_id, relpath));
CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE, kind TEXT NOT NULL,
    t_start REAL, t_end REAL, char_start INTEGER, char_end INTEGER, text TEXT, score REAL);
CREATE INDEX items_by_file ON items (file_id);
CREATE TABLE spaces (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    dim INTEGER NOT NULL CHECK (dim > 0));
CREATE TABLE vectors (id INTEGER PRIMARY KEY, space_id INTEGER NOT NULL REFERENCES spaces (id),
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE, vector BLOB NOT NULL,
    UNIQUE (space_id, item_id));
CREATE INDEX vectors_by_item ON vectors (item_id);
INSERT INTO roots (id, path, include) VALUES (1, CAST('/home/ann/Notes' AS BLOB), '["*.md"]');
INSERT INTO files VALUES (1, 1, CAST('diary.md' AS BLOB), 12, 34, 'abc', 'note', 'indexed', NULL);
INSERT INTO files VALUES (2, 1, CAST('torn.md' AS BLOB), 5, 6, 'def', 'note', 'failed',
    'torn.md: cut short');
-- b'caf\xe9.md', a name that is not UTF-8, as the catalog writes what os.fsdecode gives
INSERT INTO files VALUES (3, 1, X'636166edb3a92e6d64', 5, 6, 'ghi', 'note', 'failed', NULL);
INSERT INTO items (id, file_id, kind, char_start, char_end, text)
    VALUES (5, 1, 'text-chunk', 0, 11, 'dear diary');
INSERT INTO spaces VALUES (1, 'minilm-l6-v2', 2);
PRAGMA user_version = 1;
"""


def write_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL)
    vector = np.array([0.6, -0.8], dtype="<f4").tobytes()
    conn.execute("INSERT INTO vectors (space_id, item_id, vector) VALUES (1, 5, ?)", (vector,))
    conn.commit()
    conn.close()


def test_a_v1_file_migrates_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_v1(path)
    with Catalog(path) as cat:
        (root,) = cat.roots()
        assert (root.path, root.include) == ("/home/ann/Notes", ("*.md",))
        diary = cat.file(root.id, "diary.md")
        assert diary is not None and diary.status is FileStatus.INDEXED
        assert cat.find_by_hash("abc") == diary  # uses v2's index
        (row,) = cat.items([5])
        assert (row.kind, row.text, row.file.kind) == (
            ItemKind.TEXT_CHUNK,
            "dear diary",
            FileKind.NOTE,
        )
        ((ids, vectors),) = cat.iter_vectors("minilm-l6-v2")
        assert ids.tolist() == [5] and vectors.tolist() == [[np.float32(0.6), np.float32(-0.8)]]
        assert cat.generation() == 7
        # v3: the reasons of failed files became failures (a name that is not UTF-8 too).
        odd = "/home/ann/Notes/" + os.fsdecode(b"caf\xe9.md")
        assert cat.failures() == [
            Failure(Path(odd), "unknown error", 3),
            Failure(Path("/home/ann/Notes/torn.md"), "torn.md: cut short", 2),
        ]
        assert [f.status for f in cat.files(status=FileStatus.FAILED)] == [FileStatus.FAILED] * 2
        cat.replace_items(diary.id, [])  # v2's indexed_at column is written
        assert cat.generation() == 8
        cat.replace_items(2, [])  # mended: it leaves the list
        assert [f.file_id for f in cat.failures()] == [3]
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION == 12
    # v11: the id a Milvus library names its writer by, 63 random bits
    assert 0 < conn.execute("SELECT value FROM meta WHERE key = 'catalog_id'").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM files WHERE error IS NOT NULL").fetchone()[0] == 0
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT indexed_at IS NOT NULL FROM files").fetchone()[0] == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"files_by_hash", "files_by_date", "files_by_place"} <= names
    conn.close()


def write_v3(path: Path) -> None:
    """A v1 file taken to version 3 by the released steps, as Trove 3 left it, with a
    recording's transcript (no language: version 3 had none)."""
    write_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in (*schema.MIGRATIONS[1], *schema.MIGRATIONS[2]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO files (id, root_id, relpath, size, mtime_ns, content_hash, kind, status) "
        "VALUES (4, 1, CAST('memo.ogg' AS BLOB), 9, 9, 'jkl', 'audio', 'indexed')"
    )
    conn.execute(
        "INSERT INTO items (id, file_id, kind, t_start, t_end, text) "
        "VALUES (6, 4, 'transcript', 0.0, 2.5, 'una rana')"
    )
    conn.close()


def test_a_v3_file_gains_the_language_of_transcripts(tmp_path: Path) -> None:
    """v4: transcripts keep the language they were spoken in; older ones have none."""
    path = tmp_path / "catalog.sqlite3"
    write_v3(path)
    with Catalog(path) as cat:
        (old,) = cat.items_of_file(4)
        assert (old.kind, old.text, old.language) == (ItemKind.TRANSCRIPT, "una rana", None)
        spoken = Item(ItemKind.TRANSCRIPT, start=0.0, end=2.5, text="una rana", language="es")
        cat.replace_items(4, [spoken, Item(ItemKind.TAG, text="frog", score=0.9)])
        stored = cat.items_of_file(4)
        assert [(row.kind, row.language) for row in stored] == [
            (ItemKind.TRANSCRIPT, "es"),
            (ItemKind.TAG, None),
        ]
        assert (stored[0].start, stored[0].end, stored[0].text) == (0.0, 2.5, "una rana")
        assert [row.id for row in cat.items_of_file(1)] == [5]  # older rows are untouched
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION
    conn.close()


def write_v4(path: Path) -> None:
    """:func:`write_v3` taken to version 4 (a transcript's language), as Trove 4 left it."""
    write_v3(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[3]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("UPDATE items SET language = 'es' WHERE id = 6")
    conn.close()


def test_a_v4_file_gains_the_boxes_of_picture_text(tmp_path: Path) -> None:
    """v5: a line of text read in a picture keeps where it lies; older items have no box."""
    path = tmp_path / "catalog.sqlite3"
    write_v4(path)
    box = (0.1, 0.2, 0.6, 0.2, 0.6, 0.3, 0.1, 0.3)
    with Catalog(path) as cat:
        (old,) = cat.items_of_file(4)
        assert (old.text, old.language, old.box) == ("una rana", "es", None)
        read = Item(ItemKind.PICTURE_TEXT, text="Budget 2026", score=0.98, box=box)
        cat.replace_items(4, [read])
        (stored,) = cat.items_of_file(4)
        assert (stored.kind, stored.text, stored.box) == (ItemKind.PICTURE_TEXT, "Budget 2026", box)
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION
    # v7: a filter alone pages newest first by an index, not by sorting every file
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM files ORDER BY mtime_ns DESC LIMIT 50"
    ).fetchall()
    assert any("files_by_mtime" in str(step) for step in plan)
    conn.execute("UPDATE items SET box = '[1, 2]' WHERE file_id = 4")  # damaged: read as none
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert [row.box for row in cat.items_of_file(4)] == [None]


def test_a_v9_file_gains_the_looks_of_photos(tmp_path: Path) -> None:
    """v10: a photo's item keeps its look; items stored before have none, and no photo is
    looked at until it is indexed again (its vectors stand in: engine.search.duplicates)."""
    path = tmp_path / "catalog.sqlite3"
    write_v4(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for statements in schema.MIGRATIONS[4:9]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 9")
    conn.execute("UPDATE files SET kind = 'photo' WHERE id = 4")
    conn.execute("UPDATE items SET kind = 'photo' WHERE id = 6")
    conn.close()
    look = Look(0xF0F0_0000_FFFF_0F0F, bytes(range(48)), bytes(range(64)))
    with Catalog(path) as cat:
        assert [row.look for row in cat.items_of_file(4)] == [None]
        assert list(cat.file_looks()) == []
        cat.replace_items(4, [Item(ItemKind.PHOTO, look=look)])
        assert [row.look for row in cat.items_of_file(4)] == [look]
        assert list(cat.file_looks()) == [(4, look)]
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION
    conn.close()


def test_a_failed_step_leaves_the_file_at_its_old_version(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_v1(path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE INDEX files_by_hash ON files (kind)")  # collides with v2's index
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="files_by_hash already exists"):
        Catalog(path)
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(files)")]
    assert "indexed_at" not in columns  # the ALTER TABLE of the same step was rolled back
    conn.close()


def test_a_file_from_a_newer_trove_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(CatalogError, match="written by a newer version of Trove") as info:
        Catalog(path)
    assert f"schema version {schema.LATEST_VERSION + 1}" in str(info.value)
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION + 1  # left untouched
    conn.close()


def test_a_new_file_is_at_the_latest_version_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as cat:
        root = cat.add_root(tmp_path / "r")
        cat.upsert_file(root.id, "a.md", 1, 1, "h", FileKind.NOTE)
        cat.remove_root(root.id)
        assert cat.files() == []  # ON DELETE CASCADE needs foreign_keys on
    conn = sqlite3.connect(path)
    assert schema.schema_version(conn) == schema.LATEST_VERSION
    assert conn.execute("PRAGMA page_size").fetchone()[0] == schema.PAGE_SIZE
    conn.close()

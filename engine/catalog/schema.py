"""The catalog's tables and the stepwise migrations that build them.

``PRAGMA user_version`` is the schema version. Each migration is a tuple of SQL statements that
takes a file from version ``n`` to ``n + 1``; it runs in one transaction together with the version
bump, so a crash mid-migration leaves the file at version ``n``. Released migrations are never
edited: a change of schema is a new step appended to ``MIGRATIONS``.

Names (relative paths, root paths) are BLOBs, the UTF-8 of the name with lone surrogates passed
through, so every name Python can hold, including undecodable bytes from ``os.fsdecode``,
round-trips exactly.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.catalog.records import CatalogError

_V1 = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )""",
    "INSERT INTO meta (key, value) VALUES ('generation', 0)",
    """CREATE TABLE roots (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        include TEXT NOT NULL DEFAULT '[]',   -- JSON list of glob patterns
        exclude TEXT NOT NULL DEFAULT '[]',
        online INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
        relpath BLOB NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        UNIQUE (root_id, relpath)
    )""",
    # AUTOINCREMENT: an item id is never reused, so an index holding a tombstone for a deleted
    # id can never mistake a new item for it.
    """CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        t_start REAL,
        t_end REAL,
        char_start INTEGER,
        char_end INTEGER,
        text TEXT,
        score REAL
    )""",
    "CREATE INDEX items_by_file ON items (file_id)",
    """CREATE TABLE spaces (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        dim INTEGER NOT NULL CHECK (dim > 0)
    )""",
    # One table for every space (not a table per space): no SQL is ever built from a space name,
    # and deleting an item cascades to its vectors in all spaces. A rowid table, not WITHOUT
    # ROWID: rows of 1.5-3 KB would each spill to an overflow page there (2.3x the file size).
    """CREATE TABLE vectors (
        id INTEGER PRIMARY KEY,
        space_id INTEGER NOT NULL REFERENCES spaces (id),
        item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        vector BLOB NOT NULL,   -- little-endian float32, dim values
        UNIQUE (space_id, item_id)
    )""",
    "CREATE INDEX vectors_by_item ON vectors (item_id)",
)

# v2: when a file was last indexed, and the content-hash lookup that lets a renamed or duplicated
# file reuse vectors instead of being embedded again.
_V2 = (
    "ALTER TABLE files ADD COLUMN indexed_at REAL",
    "CREATE INDEX files_by_hash ON files (content_hash)",
)

# v3: every file or folder that could not be read, with why, in one table that the pipeline and
# the watcher write alike (before, a file with a row kept its reason in ``files.error`` and what
# could not even be opened lived in a JSON file beside the catalog, written by full scans only).
# ``file_id`` is set for a file the catalog has a row for; ``path`` is absolute, as a BLOB like
# every name. ``files.error`` is no longer written: its texts move here, and the column stays
# (dropping one needs SQLite 3.35, newer than some systems' Python links to).
_V3 = (
    """CREATE TABLE failures (
        id INTEGER PRIMARY KEY,
        root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
        file_id INTEGER UNIQUE REFERENCES files (id) ON DELETE CASCADE,
        path BLOB NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        at REAL NOT NULL   -- seconds since the epoch
    )""",
    "CREATE INDEX failures_by_root ON failures (root_id)",
    # ``||`` joins the names' bytes (as text, cast back unchanged). A Windows root gets a '/'
    # where Python writes a backslash; such a row is found by its file id, and read back
    # through ``Path``, which takes both.
    """INSERT INTO failures (root_id, file_id, path, reason, at)
        SELECT f.root_id, f.id,
            CAST(CAST(r.path AS TEXT) || '/' || CAST(f.relpath AS TEXT) AS BLOB),
            coalesce(f.error, 'unknown error'), (julianday('now') - 2440587.5) * 86400.0
        FROM files f JOIN roots r ON r.id = f.root_id WHERE f.status = 'failed'""",
    "UPDATE files SET error = NULL",
)

# v4: the language a transcript was spoken in (an ISO 639-1 code such as "es"), as the speech
# model detected it; NULL for other items and for transcripts of an English-only model.
_V4 = ("ALTER TABLE items ADD COLUMN language TEXT",)

# v5: where a line of text read in a picture lies, as JSON: the eight numbers of
# :data:`engine.catalog.records.Box` (its corners as fractions of the picture's width and
# height); NULL for every other item.
_V5 = ("ALTER TABLE items ADD COLUMN box TEXT",)

# v6: the word index (SQLite FTS5) over item texts and file names, for exact words, names and
# phrases (:mod:`engine.catalog.words`). Its words are cut in Python, so this step only makes
# the tables and the triggers that delete words with their rows; the catalog fills the tables
# when it opens (``meta.words`` below the current ``WORDS_VERSION``), in one transaction.
WORD_TABLES = (
    "CREATE VIRTUAL TABLE item_words USING fts5(words, extra, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE name_words USING fts5(words, extra, "
    "tokenize = 'unicode61 remove_diacritics 2')",
)
_V6 = (
    *WORD_TABLES,
    """CREATE TRIGGER item_words_gone AFTER DELETE ON items BEGIN
        DELETE FROM item_words WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER name_words_gone AFTER DELETE ON files BEGIN
        DELETE FROM name_words WHERE rowid = old.id;
    END""",
    "INSERT INTO meta (key, value) VALUES ('words', 0)",
)

# v7: files by modification time, so that a filter alone pages newest first without sorting
# every file (:mod:`engine.search.browse`).
_V7 = ("CREATE INDEX files_by_mtime ON files (mtime_ns)",)

# v8: what a file's metadata says (:class:`engine.catalog.records.MediaFacts`): when it was
# taken or recorded (NULL: the file does not say, and its modification time stands in), its GPS
# position, its camera, and the GeoNames id of the town nearest that position. ``meta.facts`` 0:
# the files indexed before have not had theirs read; the next indexing run reads them once and
# sets it to 1. The date index is on the expression that browsing orders and filters by, so a
# page of the library stays one index walk.
_V8 = (
    "ALTER TABLE files ADD COLUMN taken_ns INTEGER",
    "ALTER TABLE files ADD COLUMN latitude REAL",
    "ALTER TABLE files ADD COLUMN longitude REAL",
    "ALTER TABLE files ADD COLUMN camera TEXT",
    "ALTER TABLE files ADD COLUMN place_id INTEGER",
    "CREATE INDEX files_by_date ON files (coalesce(taken_ns, mtime_ns))",
    "CREATE INDEX files_by_place ON files (place_id)",
    "INSERT INTO meta (key, value) VALUES ('facts', 0)",
)

# v9: the outbox of a Milvus library (:mod:`engine.catalog.outbox`). While ``outbox_target``
# names a library, triggers note every (space, item) whose vector or file changed, in the same
# transaction as the change, so a crash after a commit cannot lose a write to Milvus; delivering
# sends each noted pair's state now (upsert or delete, both idempotent) and deletes the notes it
# read. A FAISS-only catalog names no target, and the triggers then write nothing.
_OUTBOX_WHEN = "WHEN EXISTS (SELECT 1 FROM outbox_target)"


def _file_moved_trigger(columns: str) -> str:
    """A moved, renamed, re-dated or re-placed file: Milvus keeps its path, date and place beside
    each vector, so a change of any of ``columns`` notes each of its vectors."""
    return f"""CREATE TRIGGER outbox_file_moved AFTER UPDATE OF {columns}
        ON files {_OUTBOX_WHEN} BEGIN
        INSERT INTO outbox (space_id, item_id)
            SELECT v.space_id, v.item_id FROM items i JOIN vectors v ON v.item_id = i.id
            WHERE i.file_id = new.id;
    END"""


_V9 = (
    "CREATE TABLE outbox_target (uri TEXT PRIMARY KEY)",
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        space_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL
    )""",
    f"""CREATE TRIGGER outbox_vector_added AFTER INSERT ON vectors {_OUTBOX_WHEN} BEGIN
        INSERT INTO outbox (space_id, item_id) VALUES (new.space_id, new.item_id);
    END""",
    f"""CREATE TRIGGER outbox_vector_changed AFTER UPDATE ON vectors {_OUTBOX_WHEN} BEGIN
        INSERT INTO outbox (space_id, item_id) VALUES (new.space_id, new.item_id);
    END""",
    f"""CREATE TRIGGER outbox_vector_gone AFTER DELETE ON vectors {_OUTBOX_WHEN} BEGIN
        INSERT INTO outbox (space_id, item_id) VALUES (old.space_id, old.item_id);
    END""",
    _file_moved_trigger("root_id, relpath, size, mtime_ns, taken_ns, kind"),
)

# v10: a photo's look (:class:`engine.media.looks.Look`, 120 bytes) on its PHOTO item, which near
# duplicates compare. ``meta.looks`` 0: photos indexed before have none; after its next indexing
# run Trove looks at each of them once (their vectors stand in meanwhile) and sets it to 1.
_V10 = (
    "ALTER TABLE items ADD COLUMN look BLOB",
    "INSERT INTO meta (key, value) VALUES ('looks', 0)",
)

# v11: a shared library's readers render hits from Milvus alone, so Milvus keeps a file's place
# too (place: filters are pushed down): the file trigger also fires on ``place_id``. And each
# catalog has an id (63 random bits), which the library it writes names, so that a second
# catalog cannot take over (and wipe) a library another machine writes.
_V11 = (
    "DROP TRIGGER outbox_file_moved",
    _file_moved_trigger("root_id, relpath, size, mtime_ns, taken_ns, kind, place_id"),
    "INSERT INTO meta (key, value) VALUES ('catalog_id', random() & 0x7fffffffffffffff)",
)

# v12: which build of its model made a space's vectors (``ModelEntry.build``),
# so that a pack that brings another build under the same model id (fp32 MiniLM, then int8) has
# the space's vectors made again instead of compared with the new ones. NULL: made before
# Trove recorded it.
_V12 = ("ALTER TABLE spaces ADD COLUMN build TEXT",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12,
)  # fmt: skip
LATEST_VERSION = len(MIGRATIONS)

# Set on a new file only (SQLite fixes it when the first table is made). Vector rows are 1.5-3 KB:
# a 16 KiB page holds 5-10 with little slack; measured against 4 KiB on 100k 384-d vectors, the
# file is 20% smaller, inserts 1.7x and a full read 3x faster.
PAGE_SIZE = 16384


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def prepare_new(conn: sqlite3.Connection) -> None:
    """Settings that only a new, empty file takes: call before WAL mode is turned on."""
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        # PRAGMA takes no bound parameters; the value is our own constant.
        conn.execute(f"PRAGMA page_size = {int(PAGE_SIZE)}")


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the catalog on ``conn`` (autocommit mode) to ``LATEST_VERSION``, one step at a time."""
    version = schema_version(conn)
    if version > LATEST_VERSION:
        raise CatalogError(
            f"the catalog {path} was written by a newer version of Trove (schema version "
            f"{version}; this Trove reads up to {LATEST_VERSION}). Update Trove, or point it at "
            "another data folder."
        )
    while version < LATEST_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = schema_version(conn)
            if version < LATEST_VERSION:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                version += 1
                # PRAGMA takes no bound parameters; the value is our own int, never outside input.
                conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

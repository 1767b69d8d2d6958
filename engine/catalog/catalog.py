"""The catalog: one SQLite file that knows every root, file, item and vector Trove has.

Concurrency: each thread gets its own connection (WAL lets readers run while one writer writes),
and writes are serialised by a lock in this process and by SQLite's write lock across processes.
Every write is one ``BEGIN IMMEDIATE`` transaction, so a reader sees all of a file's items or
none of them, and a crash (even ``kill -9``) leaves the last committed state.

``synchronous=FULL``: a commit is on disk before it returns. With WAL's default NORMAL a power cut
may lose the last commits; the generation could then go back and an index saved at the lost
generation would pass for fresh.

Vectors are stored here too (float32 blobs), so the vector indexes can always be rebuilt from the
catalog alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.catalog import outbox, words
from engine.catalog.records import (
    Box,
    CatalogDamagedError,
    CatalogError,
    Failure,
    FileKind,
    FileRecord,
    FileSelection,
    FileStatus,
    Item,
    ItemKind,
    ItemRow,
    MediaFacts,
    ReplaceResult,
    Root,
    RootRemoval,
)
from engine.catalog.schema import migrate, prepare_new
from engine.errors import Problem
from engine.media.looks import Look

__all__ = ["Catalog", "CatalogError"]

Ids = NDArray[np.int64]
Vectors = NDArray[np.float32]

_BUSY_TIMEOUT_MS = 30_000
_FILE_COLUMNS = (
    "f.id, f.root_id, f.relpath, f.size, f.mtime_ns, f.content_hash, f.kind, f.status, "
    "f.taken_ns, f.latitude, f.longitude, f.camera, f.place_id"
)
# A file's date (:attr:`FileRecord.dated_ns`), as the ``files_by_date`` index holds it.
_DATED = "coalesce(f.taken_ns, f.mtime_ns)"
# An item's own columns, in the order of :class:`Item`'s fields (vectors apart).
_ITEM_COLUMNS = (
    "i.kind, i.t_start, i.t_end, i.char_start, i.char_end, i.text, i.score, i.language, i.box, "
    "i.look"
)
_ITEM_COUNT = _ITEM_COLUMNS.count(",") + 1
_VECTOR_DTYPE = np.dtype("<f4")
# What every SQLite 3 database file begins with.
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_BYTES = 100
# SQLITE_CORRUPT and SQLITE_NOTADB: the file's bytes are wrong, not the machine or the lock.
_DAMAGE_CODES = {11, 26}


@dataclass(frozen=True)
class _Part:
    """Which part of a file's items a write holds: the first replaces the file's old items,
    the last marks the file INDEXED."""

    first: bool
    last: bool


_WHOLE = _Part(first=True, last=True)


def sqlite_check(conn: sqlite3.Connection, pragma: str, limit: int = 20) -> list[str]:
    """What ``PRAGMA quick_check`` or ``integrity_check`` finds wrong; empty when sound."""
    # PRAGMA takes no bound parameters: ``pragma`` is one of our two names, ``limit`` an int.
    rows = conn.execute(f"PRAGMA {pragma}({int(limit)})").fetchall()
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def _header_problem(path: Path) -> str | None:
    """Why the file at ``path`` cannot be a catalog, judged by its first bytes; None when it
    is missing (a new catalog) or starts like an SQLite database."""
    try:
        with path.open("rb") as stream:
            head = stream.read(_HEADER_BYTES)
    except FileNotFoundError:
        return None
    except OSError:
        return None  # unreadable: opening it says why, in the words of a permission error
    if not head:
        return "the file is empty (0 bytes), as a crash or a sync tool can leave it"
    if not head.startswith(_SQLITE_HEADER):
        return "the file does not start like an SQLite database: it was overwritten"
    if len(head) < _HEADER_BYTES:
        return f"the file is cut short ({len(head)} bytes)"
    return None


def _create(path: Path) -> None:
    """Make a new, empty catalog at ``path`` whole: built beside it and linked into place, so
    that no process ever finds a catalog file without its header (an empty catalog file is
    damage, see :mod:`engine.catalog.health`). When another process made one first, theirs
    is the catalog."""
    staging = path.with_name(f"{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:
        conn = sqlite3.connect(staging, isolation_level=None)
        try:
            prepare_new(conn)
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, path)
        finally:
            conn.close()
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        except OSError:  # a folder without hard links (FAT, some network shares)
            if not path.exists():
                os.replace(staging, path)
    finally:
        for leftover in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
            leftover.unlink(missing_ok=True)


def _name_to_blob(name: str) -> bytes:
    # surrogatepass keeps lone surrogates (undecodable bytes after os.fsdecode), so every str
    # round-trips; for ordinary names the bytes are plain UTF-8.
    return name.encode("utf-8", "surrogatepass")


def _blob_to_name(blob: bytes) -> str:
    return bytes(blob).decode("utf-8", "surrogatepass")


def _file_record(row: Sequence[Any]) -> FileRecord:
    return FileRecord(
        id=row[0],
        root_id=row[1],
        relpath=_blob_to_name(row[2]),
        size=row[3],
        mtime_ns=row[4],
        content_hash=row[5],
        kind=FileKind(row[6]),
        status=FileStatus(row[7]),
        facts=MediaFacts(row[8], row[9], row[10], row[11]),
        place_id=row[12],
    )


_ItemValues = tuple[
    ItemKind,
    float | None,
    float | None,
    int | None,
    int | None,
    str | None,
    float | None,
    str | None,
    Box | None,
    Look | None,
]


def _item_values(row: Sequence[Any]) -> _ItemValues:
    """The leading ``_ITEM_COLUMNS`` of a row as :class:`Item`'s fields, in order."""
    look = None if row[9] is None else Look.from_bytes(row[9])
    return (
        ItemKind(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7], _box(row[8]),
        look,
    )  # fmt: skip


def _stacked(blobs: Sequence[bytes]) -> Vectors:
    """Stored vectors (float32 BLOBs of one dimension) as rows of one matrix."""
    joined = np.frombuffer(b"".join(blobs), dtype=_VECTOR_DTYPE).astype(np.float32, copy=False)
    return joined.reshape(len(blobs), -1)


def _box(stored: str | None) -> Box | None:
    """A stored box (JSON, eight numbers) as the tuple it was; ``None`` for none, or for one
    that does not read as eight numbers (a box is where to draw, never worth a failed read)."""
    if stored is None:
        return None
    try:
        values = [float(value) for value in json.loads(stored)]
    except (TypeError, ValueError):
        return None
    if len(values) != 8:
        return None
    return (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])


def _joined(root_path: bytes, relpath: str) -> bytes:
    """The absolute path of ``relpath`` in a root, as a name BLOB (as the scanner writes it)."""
    return _name_to_blob(str(Path(_blob_to_name(root_path)) / relpath))


def _write_error(path: Path, error: sqlite3.Error) -> CatalogError:
    text = str(error)
    if isinstance(error, sqlite3.OperationalError) and (
        "full" in text or "disk I/O" in text or "too big" in text
    ):
        reason, problem = "the disk is full or the file cannot grow", Problem.DISK_FULL
    elif "readonly" in text or "read-only" in text:
        reason, problem = "the catalog or its folder is read-only", Problem.READ_ONLY
    else:
        reason, problem = "the database refused the change", Problem.UNEXPECTED
    message = f"cannot write the catalog {path}: {reason} ({text}); nothing was changed"
    return CatalogError(message, problem)


class Catalog:
    """Roots, files, items and vectors in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._uri: str | None = None  # set when the file can only be read
        try:
            if not self._path.exists():
                _create(self._path)
            header_problem = _header_problem(self._path)
            if header_problem is not None:
                raise CatalogDamagedError(self._path, header_problem)
            closed_cleanly = self._closed_cleanly()  # before connecting makes a -wal file
            conn = self._open_first()
            # Every page read once (0.1 s at 100k items, BENCHMARKS.md "Catalog health"), so it
            # is skipped for a file that is exactly as a clean close of Trove's left it.
            if not closed_cleanly:
                problems = sqlite_check(conn, "quick_check")
                if problems:
                    raise CatalogDamagedError(self._path, problems[0])
            read_only = self._uri is not None  # (an immutable file reports its mode as delete)
            if not read_only:
                prepare_new(conn)
            if not read_only and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise CatalogError(f"the catalog {self._path} cannot use WAL mode ({mode})")
            migrate(conn, self._path)
            if not read_only:
                self._fill_words()
        except sqlite3.Error as error:
            self.close()
            if getattr(error, "sqlite_errorcode", None) in _DAMAGE_CODES:
                raise CatalogDamagedError(self._path, str(error)) from error
            raise CatalogError(f"cannot open the catalog {self._path}: {error}") from error
        except CatalogError:
            self.close()
            raise

    def _open_first(self) -> sqlite3.Connection:
        try:
            return self._conn()
        except sqlite3.OperationalError:
            if not self._path.is_file():
                raise
        # A read-only file or folder: a WAL database cannot even be read when its -shm file
        # cannot be created. Fall back to read-only opening, then to immutable opening (which
        # ignores a leftover -wal; a clean close leaves none). Reads work; writes raise.
        base = self._path.absolute().as_uri()
        self._uri = base + "?mode=ro"
        try:
            conn = self._conn()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            self._local.conn = None
        self._uri = base + "?immutable=1"
        return self._conn()

    @property
    def path(self) -> Path:
        return self._path

    def _fill_words(self) -> None:
        """Index every text and name again when the word index was cut another way, or never
        filled (a catalog migrated to schema 5, or repaired): one transaction, so a kill part
        way leaves it to be filled on the next open."""
        conn = self._conn()
        if words.filled(conn):
            return
        with self._write() as conn:
            if words.filled(conn):  # another process filled it meanwhile
                return
            names = [
                (file_id, _blob_to_name(relpath))
                for file_id, relpath in conn.execute("SELECT id, relpath FROM files")
            ]
            words.fill(conn, names)

    # -- health -------------------------------------------------------------------------------

    def integrity(self) -> list[str]:
        """SQLite's full ``integrity_check`` (every page, index and constraint): its complaints,
        or an empty list. Reads the whole file: for ``trove doctor``, not for every start."""
        try:
            return sqlite_check(self._conn(), "integrity_check")
        except sqlite3.DatabaseError as error:
            return [str(error)]

    def back_up(self, target: Path) -> None:
        """A consistent copy of the catalog at ``target`` (SQLite's online backup: one read
        snapshot, so writers in other threads never see a half copy). ``target`` must not exist."""
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1) copies under one read snapshot: writers go on meanwhile (WAL)
            # and the copy is of one committed state.
            self._conn().backup(copy, pages=-1)
            problems = sqlite_check(copy, "quick_check")
        except sqlite3.Error as error:
            raise CatalogError(f"cannot back up the catalog to {target}: {error}") from error
        finally:
            copy.close()
        if problems:
            raise CatalogDamagedError(self._path, f"its backup fails a check: {problems[0]}")

    def close(self) -> None:
        """Close every thread's connection; the catalog cannot be used afterwards."""
        with self._connections_lock:
            was_open, self._closed = not self._closed, True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        if was_open and connections and self._uri is None:
            self._note_clean_close()

    # A clean close is noted as the file's identity, size and time beside it. A crash, a write
    # by any other program, a sync tool or a half-copied file changes one of them (or leaves a
    # write-ahead log behind), and the next open checks the file again.

    @property
    def _clean_close_note(self) -> Path:
        return self._path.with_name(f"{self._path.name}.closed")

    def _file_stamp(self) -> list[int] | None:
        if Path(f"{self._path}-wal").exists():  # still open elsewhere, or not closed cleanly
            return None
        try:
            info = self._path.stat()
        except OSError:
            return None
        return [info.st_ino, info.st_size, info.st_mtime_ns]

    def _closed_cleanly(self) -> bool:
        stamp = self._file_stamp()
        try:
            noted = json.loads(self._clean_close_note.read_text())
        except (OSError, ValueError):
            return False
        return stamp is not None and noted == stamp

    def _note_clean_close(self) -> None:
        stamp = self._file_stamp()
        note = self._clean_close_note
        try:
            if stamp is None:
                note.unlink(missing_ok=True)
            else:
                partial = note.with_name(f"{note.name}.{os.getpid()}.partial")
                partial.write_text(json.dumps(stamp))
                os.replace(partial, note)
        except OSError:
            pass  # a read-only folder: the next open checks the file, nothing worse

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections and transactions ---------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not self._closed:
            return conn
        with self._connections_lock:
            if self._closed:
                raise CatalogError(f"the catalog {self._path} is closed")
            # check_same_thread=False only so close() may close it from another thread; each
            # connection is otherwise used by the thread that made it.
            conn = sqlite3.connect(
                self._uri or self._path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                uri=self._uri is not None,
            )
            self._connections.append(conn)
        try:
            if self._uri is None:  # pragmas that write; a read-only file refuses them
                conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error:
            with self._connections_lock:
                self._connections.remove(conn)
            conn.close()
            raise
        self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it does."""
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as error:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # SQLite already rolled back (a full disk does that)
                if isinstance(error, sqlite3.Error):
                    raise _write_error(self._path, error) from error
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries see one snapshot."""
        conn = self._conn()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as error:
            raise CatalogError(f"cannot read the catalog {self._path}: {error}") from error

    @staticmethod
    def _bump_generation(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    # -- roots --------------------------------------------------------------------------------

    def add_root(
        self, path: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()
    ) -> Root:
        """Watch ``path`` (made absolute); adding it again updates its globs."""
        blob = _name_to_blob(str(Path(path).absolute()))
        include_json, exclude_json = json.dumps(list(include)), json.dumps(list(exclude))
        with self._write() as conn:
            conn.execute(
                "INSERT INTO roots (path, include, exclude) VALUES (?, ?, ?) "
                "ON CONFLICT (path) DO UPDATE SET include = excluded.include, "
                "exclude = excluded.exclude",
                (blob, include_json, exclude_json),
            )
            row = conn.execute(
                "SELECT id, path, include, exclude, online FROM roots WHERE path = ?", (blob,)
            ).fetchone()
        return self._root(row)

    def remove_root(self, root_id: int) -> RootRemoval:
        """Forget a root with its files, items and failures; says what went, so that the vector
        indexes drop its vectors and a window drops its files."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, path, include, exclude, online FROM roots WHERE id = ?", (root_id,)
            ).fetchone()
            if row is None:
                raise CatalogError(f"no root with id {root_id}")
            files = [
                _file_record(found)
                for found in conn.execute(
                    f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root_id = ? ORDER BY f.id",
                    (root_id,),
                )
            ]
            vectors = self._vectors_of(conn, "f.root_id = ?", root_id)
            conn.execute("DELETE FROM roots WHERE id = ?", (root_id,))
            if vectors:
                self._bump_generation(conn)
            generation = self._generation(conn)
        return RootRemoval(self._root(row), files, vectors, generation)

    def roots(self) -> list[Root]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, path, include, exclude, online FROM roots ORDER BY id"
            ).fetchall()
        return [self._root(row) for row in rows]

    def set_root_online(self, root_id: int, online: bool) -> None:
        """Mark a root (un)reachable: its indexed files become MISSING while it is offline."""
        old, new = (
            (FileStatus.MISSING, FileStatus.INDEXED)
            if online
            else (FileStatus.INDEXED, FileStatus.MISSING)
        )
        with self._write() as conn:
            if (
                conn.execute(
                    "UPDATE roots SET online = ? WHERE id = ?", (int(online), root_id)
                ).rowcount
                == 0
            ):
                raise CatalogError(f"no root with id {root_id}")
            conn.execute(
                "UPDATE files SET status = ? WHERE root_id = ? AND status = ?",
                (new.value, root_id, old.value),
            )

    @staticmethod
    def _root(row: Sequence[Any]) -> Root:
        return Root(
            id=row[0],
            path=_blob_to_name(row[1]),
            include=tuple(json.loads(row[2])),
            exclude=tuple(json.loads(row[3])),
            online=bool(row[4]),
        )

    # -- files --------------------------------------------------------------------------------

    def file(self, root_id: int, relpath: str) -> FileRecord | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root_id = ? AND f.relpath = ?",
                (root_id, _name_to_blob(relpath)),
            ).fetchone()
        return None if row is None else _file_record(row)

    def file_by_id(self, file_id: int) -> tuple[FileRecord, str] | None:
        """A file and the path of its root, or None once it is gone."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_FILE_COLUMNS}, r.path FROM files f JOIN roots r ON r.id = f.root_id "
                "WHERE f.id = ?",
                (file_id,),
            ).fetchone()
        return None if row is None else (_file_record(row[:-1]), _blob_to_name(row[-1]))

    def file_at(self, path: Path) -> FileRecord | None:
        """The record of the file at ``path`` in a watched folder, looked up as the path is
        written (made absolute), then as it resolves through links; None when neither is known."""
        roots = self.roots()
        for candidate in dict.fromkeys([Path(path).absolute(), Path(path).resolve()]):
            for root in roots:
                if candidate.is_relative_to(root.path):
                    record = self.file(root.id, str(candidate.relative_to(root.path)))
                    if record is not None:
                        return record
        return None

    def files(
        self, root_id: int | None = None, status: FileStatus | None = None
    ) -> list[FileRecord]:
        """Files of one root or all, of one status or all, in id order."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_FILE_COLUMNS} FROM files f "
                "WHERE (?1 IS NULL OR f.root_id = ?1) AND (?2 IS NULL OR f.status = ?2) "
                "ORDER BY f.id",
                (root_id, None if status is None else FileStatus(status).value),
            ).fetchall()
        return [_file_record(row) for row in rows]

    def list_files(
        self, selection: FileSelection, offset: int, limit: int, newest_first: bool = True
    ) -> tuple[list[tuple[FileRecord, str]], int]:
        """One page of the indexed files ``selection`` takes, by modification time (newest or
        oldest first), each with its root's path; and how many it takes in all. Both are read
        in one transaction, so the page and the count agree."""
        where, values = self._selection_sql(selection)
        # ORDER BY takes no bound parameters; the direction is one of two constants.
        direction = "DESC" if newest_first else "ASC"
        with self._read() as conn:
            total = conn.execute(f"SELECT count(*) FROM files f WHERE {where}", values).fetchone()
            rows = conn.execute(
                f"SELECT {_FILE_COLUMNS}, r.path FROM files f JOIN roots r ON r.id = f.root_id "
                f"WHERE {where} ORDER BY {_DATED} {direction}, f.id {direction} "
                "LIMIT ? OFFSET ?",
                (*values, limit, offset),
            ).fetchall()
        page = [(_file_record(row[:-1]), _blob_to_name(row[-1])) for row in rows]
        return page, int(total[0])

    def _selection_sql(self, selection: FileSelection) -> tuple[str, list[object]]:
        """A WHERE clause over ``files f`` (bound values only) for ``selection``."""
        clauses = ["f.status = ?"]
        values: list[object] = [FileStatus.INDEXED.value]
        if selection.kinds:
            kinds = sorted(FileKind(kind).value for kind in selection.kinds)
            clauses.append(f"f.kind IN ({', '.join('?' * len(kinds))})")
            values += kinds
        for column, operator, bound in (
            (_DATED, ">=", selection.modified_from_ns),
            (_DATED, "<", selection.modified_before_ns),
            ("f.size", ">=", selection.min_size),
            ("f.size", "<=", selection.max_size),
        ):
            if bound is not None:
                clauses.append(f"{column} {operator} ?")
                values.append(bound)
        if selection.place_ids is not None:
            # One bound JSON list however many places a name takes in (a country's towns).
            clauses.append("f.place_id IN (SELECT value FROM json_each(?))")
            values.append(json.dumps(sorted(selection.place_ids)))
        if selection.folders:
            below = self._below_sql(selection.folders)
            clauses.append(f"({' OR '.join(below[0]) or '0'})")
            values += below[1]
        return " AND ".join(clauses), values

    def _below_sql(self, folders: Sequence[Path]) -> tuple[list[str], list[object]]:
        """Clauses for files at any depth below ``folders``: a whole root that lies inside
        one, or the relative paths of a root that start with the folder's. A relpath is the
        UTF-8 of its name with '/' between parts, so the names below ``a/b`` are those from
        ``a/b/`` up to, not including, ``a/b0`` ('0' follows '/')."""
        clauses: list[str] = []
        values: list[object] = []
        for root in self.roots():
            top = Path(root.path)
            for folder in folders:
                if top.is_relative_to(folder):  # the whole root lies inside it
                    clauses.append("f.root_id = ?")
                    values.append(root.id)
                elif folder.is_relative_to(top):
                    prefix = folder.relative_to(top).as_posix() + "/"
                    clauses.append("(f.root_id = ? AND f.relpath >= ? AND f.relpath < ?)")
                    values += [root.id, _name_to_blob(prefix), _name_to_blob(prefix[:-1] + "0")]
        return clauses, values

    def upsert_file(
        self,
        root_id: int,
        relpath: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        kind: FileKind,
    ) -> FileRecord:
        """Record a file seen on disk. New, or different bytes or kind: PENDING (its old items
        stay until ``replace_items``) and its failure is forgotten. Same bytes with a new mtime:
        status and failure kept. What its metadata says is kept too (``set_facts`` writes it)."""
        blob = _name_to_blob(relpath)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM roots WHERE id = ?", (root_id,)).fetchone() is None:
                raise CatalogError(f"no root with id {root_id}")
            conn.execute(
                "INSERT INTO files (root_id, relpath, size, mtime_ns, content_hash, kind, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (root_id, relpath) DO UPDATE SET "
                "status = CASE WHEN files.content_hash = excluded.content_hash "
                "  AND files.kind = excluded.kind THEN files.status ELSE excluded.status END, "
                "size = excluded.size, mtime_ns = excluded.mtime_ns, "
                "content_hash = excluded.content_hash, kind = excluded.kind",
                (
                    root_id,
                    blob,
                    size,
                    mtime_ns,
                    content_hash,
                    FileKind(kind).value,
                    FileStatus.PENDING.value,
                ),
            )
            row = conn.execute(
                f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root_id = ? AND f.relpath = ?",
                (root_id, blob),
            ).fetchone()
            record = _file_record(row)
            if (
                conn.execute("SELECT 1 FROM name_words WHERE rowid = ?", (record.id,)).fetchone()
                is None
            ):
                words.write_name(conn, record.id, relpath)
            if record.status is not FileStatus.FAILED:
                conn.execute("DELETE FROM failures WHERE file_id = ?", (record.id,))
        return record

    def unread_facts(self) -> list[tuple[FileRecord, str]] | None:
        """The indexed files whose metadata was never read, with their roots' paths (files
        indexed before schema 8); None once ``set_facts(..., caught_up=True)`` said so."""
        with self._read() as conn:
            if conn.execute("SELECT value FROM meta WHERE key = 'facts'").fetchone()[0]:
                return None
            rows = conn.execute(
                f"SELECT {_FILE_COLUMNS}, r.path FROM files f JOIN roots r ON r.id = f.root_id "
                "WHERE f.status = ? AND f.kind != ? ORDER BY f.id",
                (FileStatus.INDEXED.value, FileKind.NOTE.value),
            ).fetchall()
        return [(_file_record(row[:-1]), _blob_to_name(row[-1])) for row in rows]

    def set_facts(
        self, facts: Sequence[tuple[int, MediaFacts, int | None]], caught_up: bool = False
    ) -> None:
        """Write what files' metadata says: ``(file_id, facts, place_id)`` each, the town
        nearest its position by GeoNames id. Written as their items are (the generation moves
        with those); ``caught_up``: these were the last of :meth:`unread_facts`, and the
        generation moves, as the library's order may have changed."""
        with self._write() as conn:
            if caught_up:
                conn.execute("UPDATE meta SET value = 1 WHERE key = 'facts'")
                self._bump_generation(conn)
            conn.executemany(
                "UPDATE files SET taken_ns = ?, latitude = ?, longitude = ?, camera = ?, "
                "place_id = ? WHERE id = ?",
                [
                    (one.taken_ns, one.latitude, one.longitude, one.camera, place_id, file_id)
                    for file_id, one, place_id in facts
                ],
            )

    def unlooked_photos(self, after: int, limit: int) -> list[tuple[int, Path]] | None:
        """Up to ``limit`` indexed photos whose item, of an id over ``after``, has no look
        (indexed before schema 10): the item's id and the photo's path, in id order; None once
        ``set_looks(..., caught_up=True)`` said so."""
        with self._read() as conn:
            if conn.execute("SELECT value FROM meta WHERE key = 'looks'").fetchone()[0]:
                return None
            rows = conn.execute(
                "SELECT i.id, r.path, f.relpath FROM items i JOIN files f ON f.id = i.file_id "
                "JOIN roots r ON r.id = f.root_id WHERE i.kind = ? AND i.look IS NULL "
                "AND i.id > ? AND f.status = ? ORDER BY i.id LIMIT ?",
                (ItemKind.PHOTO.value, after, FileStatus.INDEXED.value, limit),
            ).fetchall()
        return [
            (item_id, Path(_blob_to_name(root)) / _blob_to_name(relpath))
            for item_id, root, relpath in rows
        ]

    def set_looks(self, looks: Sequence[tuple[int, Look]], caught_up: bool = False) -> None:
        """Write the looks of photos :meth:`unlooked_photos` gave; ``caught_up``: none is
        left to look at (a photo that could not be read keeps none, its vectors stand in)."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE items SET look = ? WHERE id = ?",
                [(look.to_bytes(), item_id) for item_id, look in looks],
            )
            if caught_up:
                conn.execute("UPDATE meta SET value = 1 WHERE key = 'looks'")

    def heard_elsewhere(self, languages: Sequence[str]) -> list[int]:
        """The indexed files with words heard in a language not in ``languages`` (those a
        person says their recordings are in), in id order."""
        named = tuple(languages)
        marks = ", ".join("?" * len(named))
        with self._read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT f.id FROM files f JOIN items i ON i.file_id = f.id "
                "WHERE f.status = ? AND i.kind = ? AND i.language IS NOT NULL "
                f"AND i.language NOT IN ({marks}) ORDER BY f.id",
                (FileStatus.INDEXED.value, ItemKind.TRANSCRIPT.value, *named),
            ).fetchall()
        return [int(row[0]) for row in rows]

    def mark_pending(self, file_ids: Sequence[int]) -> int:
        """Set these indexed files PENDING, for the next scan to index them again; how many.
        Their items stay searchable until new ones replace them."""
        with self._write() as conn:
            return conn.executemany(
                "UPDATE files SET status = ? WHERE id = ? AND status = ?",
                [(FileStatus.PENDING.value, one, FileStatus.INDEXED.value) for one in file_ids],
            ).rowcount

    def mark_failed(self, file_id: int, reason: str) -> None:
        """The file cannot be decoded or embedded: FAILED, with a failure saying why, and skipped
        until its bytes change. Its old items stay."""
        with self._write() as conn:
            found = conn.execute(
                "SELECT f.root_id, r.path, f.relpath FROM files f JOIN roots r ON r.id = f.root_id "
                "WHERE f.id = ?",
                (file_id,),
            ).fetchone()
            if found is None:
                raise CatalogError(f"no file with id {file_id}")
            root_id, root_path, relpath = found
            conn.execute(
                "UPDATE files SET status = ? WHERE id = ?", (FileStatus.FAILED.value, file_id)
            )
            # OR REPLACE: one failure per file and per path, the newest.
            conn.execute(
                "INSERT OR REPLACE INTO failures (root_id, file_id, path, reason, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (root_id, file_id, _joined(root_path, _blob_to_name(relpath)), reason, time.time()),
            )

    def record_failures(self, root_id: int, found: Sequence[tuple[Path, str]]) -> None:
        """Files or folders of a root that could not even be opened, as (absolute path, reason):
        no file row is made for them. A path recorded before gets the new reason."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM roots WHERE id = ?", (root_id,)).fetchone() is None:
                raise CatalogError(f"no root with id {root_id}")
            now = time.time()
            conn.executemany(
                "INSERT OR REPLACE INTO failures (root_id, path, reason, at) VALUES (?, ?, ?, ?)",
                [(root_id, _name_to_blob(str(path)), reason, now) for path, reason in found],
            )

    def clear_failures(self, paths: Sequence[Path]) -> None:
        """Forget the failures to open these paths (they open now, or are gone). A file's
        failure to decode goes with its bytes changing, its indexing, or its deletion instead."""
        with self._write() as conn:
            conn.executemany(
                "DELETE FROM failures WHERE path = ? AND file_id IS NULL",
                [(_name_to_blob(str(path)),) for path in paths],
            )

    def failures(self, root_id: int | None = None) -> list[Failure]:
        """What could not be read, of one root or all, by path."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT path, reason, file_id FROM failures WHERE ?1 IS NULL OR root_id = ?1 "
                "ORDER BY path",
                (root_id,),
            ).fetchall()
        return [Failure(Path(_blob_to_name(row[0])), row[1], row[2]) for row in rows]

    def failure(self, file_id: int) -> Failure | None:
        """Why this file could not be read, if it could not."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT path, reason FROM failures WHERE file_id = ?", (file_id,)
            ).fetchone()
        return None if row is None else Failure(Path(_blob_to_name(row[0])), row[1], file_id)

    def move_file(self, file_id: int, root_id: int, relpath: str) -> None:
        """A rename: the file keeps its id, items, vectors and failure. The target name must be
        free. The generation moves on: a query asked again shows the new name."""
        blob = _name_to_blob(relpath)
        with self._write() as conn:
            try:
                changed = conn.execute(
                    "UPDATE files SET root_id = ?, relpath = ? WHERE id = ?",
                    (root_id, blob, file_id),
                ).rowcount
            except sqlite3.IntegrityError as error:
                raise CatalogError(
                    f"cannot move file {file_id} to {relpath!r} in root {root_id}: that name is "
                    f"taken or the root does not exist ({error}); delete the old file first"
                ) from error
            if changed == 0:
                raise CatalogError(f"no file with id {file_id}")
            words.write_name(conn, file_id, relpath)
            (root_path,) = conn.execute(
                "SELECT path FROM roots WHERE id = ?", (root_id,)
            ).fetchone()
            conn.execute(
                "UPDATE OR REPLACE failures SET root_id = ?, path = ? WHERE file_id = ?",
                (root_id, _joined(root_path, relpath), file_id),
            )
            self._bump_generation(conn)

    def delete_file(self, file_id: int) -> list[tuple[str, int]]:
        """Forget a file, its items and its failure; returns the (space, item_id) of every
        vector dropped."""
        with self._write() as conn:
            removed = self._vectors_of(conn, "f.id = ?", file_id)
            conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
            if removed:
                self._bump_generation(conn)
        return removed

    def find_by_hash(self, content_hash: str) -> FileRecord | None:
        """An INDEXED file with these bytes (the oldest), whose vectors can be copied."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.content_hash = ? AND f.status = ? "
                "ORDER BY f.id LIMIT 1",
                (content_hash, FileStatus.INDEXED.value),
            ).fetchone()
        return None if row is None else _file_record(row)

    def same_content(self) -> list[list[tuple[FileRecord, str]]]:
        """Indexed files that share their bytes with another (by content hash), each with its
        root's path: one list per hash, in id order (``files_by_hash`` serves the grouping)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_FILE_COLUMNS}, r.path FROM files f JOIN roots r ON r.id = f.root_id "
                "WHERE f.status = ?1 AND f.content_hash IN (SELECT content_hash FROM files "
                "WHERE status = ?1 GROUP BY content_hash HAVING count(*) > 1) "
                "ORDER BY f.content_hash, f.id",
                (FileStatus.INDEXED.value,),
            ).fetchall()
        groups: dict[str, list[tuple[FileRecord, str]]] = {}
        for row in rows:
            record = _file_record(row[:-1])
            groups.setdefault(record.content_hash, []).append((record, _blob_to_name(row[-1])))
        return list(groups.values())

    def file_vectors(
        self, space: str, item_kind: ItemKind, file_kind: FileKind
    ) -> Iterator[tuple[int, Vectors]]:
        """Per indexed file of ``file_kind``: its id and the vectors in ``space`` of its items
        of ``item_kind`` (rows in time order), one file at a time, in file id order."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT i.file_id, v.vector FROM vectors v "
                "JOIN spaces s ON s.id = v.space_id JOIN items i ON i.id = v.item_id "
                "JOIN files f ON f.id = i.file_id "
                "WHERE s.name = ? AND i.kind = ? AND f.kind = ? AND f.status = ? "
                "ORDER BY i.file_id, i.t_start, i.id",
                (space, ItemKind(item_kind).value, FileKind(file_kind).value,
                 FileStatus.INDEXED.value),
            )  # fmt: skip
            current = -1
            blobs: list[bytes] = []
            for file_id, blob in rows:
                if file_id != current and blobs:
                    yield current, _stacked(blobs)
                    blobs = []
                current = file_id
                blobs.append(blob)
            if blobs:
                yield current, _stacked(blobs)

    def file_looks(self) -> Iterator[tuple[int, Look]]:
        """Per indexed photo that has one: its id and its look, in file id order."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT i.file_id, i.look FROM items i JOIN files f ON f.id = i.file_id "
                "WHERE i.kind = ? AND i.look IS NOT NULL AND f.status = ? ORDER BY i.file_id",
                (ItemKind.PHOTO.value, FileStatus.INDEXED.value),
            )
            for file_id, blob in rows:
                yield file_id, Look.from_bytes(blob)

    # -- items and vectors --------------------------------------------------------------------

    def replace_items(self, file_id: int, items: Sequence[Item]) -> ReplaceResult:
        """In one transaction: drop the file's old items and vectors, store ``items``, mark the
        file INDEXED (forgetting its failure) and bump the generation."""
        return self.replace_many([(file_id, items)])

    def replace_many(self, files: Sequence[tuple[int, Sequence[Item]]]) -> ReplaceResult:
        """:meth:`replace_items` for several files in ONE transaction: a batch of files costs one
        commit (one fsync) instead of one each, and still lands whole or not at all."""
        with self._write() as conn:
            return ReplaceResult.merged(
                [self._replace(conn, fid, items, _WHOLE) for fid, items in files]
            )

    def write_part(
        self, file_id: int, items: Sequence[Item], first: bool, last: bool
    ) -> ReplaceResult:
        """One part of a file indexed in parts (a long recording), in one transaction: the
        first part drops the file's old items and vectors (those of its old bytes, or the parts
        of a run that stopped part way), later ones are stored beside the parts before. The
        file stays PENDING, searchable by the parts stored so far, until the ``last`` part
        marks it INDEXED: a run that stops part way leaves it to be indexed again from its
        start. ``first`` and ``last`` together are :meth:`replace_items`."""
        with self._write() as conn:
            return self._replace(conn, file_id, items, _Part(first, last))

    def copy_items(self, source_file_id: int, target_file_id: int) -> ReplaceResult:
        """Give ``target`` a copy of the items and vectors of ``source`` (same bytes)."""
        if source_file_id == target_file_id:
            raise CatalogError(f"cannot copy the items of file {source_file_id} onto itself")
        with self._write() as conn:
            if (
                conn.execute("SELECT 1 FROM files WHERE id = ?", (source_file_id,)).fetchone()
                is None
            ):
                raise CatalogError(f"no file with id {source_file_id}")
            # Same bytes, same metadata: its date, place and camera come along.
            conn.execute(
                "UPDATE files SET (taken_ns, latitude, longitude, camera, place_id) = "
                "(SELECT taken_ns, latitude, longitude, camera, place_id FROM files WHERE id = ?) "
                "WHERE id = ?",
                (source_file_id, target_file_id),
            )
            source = self._item_rows(conn, "i.file_id = ?", source_file_id, with_vectors=True)
            return self._replace(conn, target_file_id, source, _WHOLE)

    def items(self, item_ids: Sequence[int] | Ids, with_vectors: bool = False) -> list[ItemRow]:
        """Rows for these ids (their vectors only ``with_vectors``), in the order asked; ids no
        longer stored are left out."""
        ids = [int(i) for i in item_ids]
        with self._read() as conn:
            rows = self._item_rows(
                conn, "i.id IN (SELECT value FROM json_each(?))", json.dumps(ids), with_vectors
            )
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def match_units(self, units: Sequence[Sequence[str]], k: int) -> words.Matches:
        """Items and file names that hold any of ``units`` (each a word, or a phrase of
        words), best first, with how many rows hold each (see :func:`words.match_units`)."""
        with self._read() as conn:
            return words.match_units(conn, units, k)

    def match_words(self, expression: str, each: Sequence[str], k: int) -> words.Matches:
        """Items and file names whose words match the FTS5 query ``expression`` (see
        :func:`engine.catalog.words.match`); an expression FTS5 cannot read raises
        :class:`CatalogError` (the search side writes only valid ones)."""
        with self._read() as conn:
            return words.match(conn, expression, each, k)

    def items_of_file(self, file_id: int, with_vectors: bool = False) -> list[ItemRow]:
        """Every item of one file, in time (or character) order: a preview's transcript, or
        (``with_vectors``) an indexed example's stored vectors."""
        with self._read() as conn:
            rows = self._item_rows(conn, "i.file_id = ?", file_id, with_vectors)
        return sorted(rows, key=lambda row: (row.start or 0.0, row.char_start or 0, row.id))

    @staticmethod
    def _item_rows(
        conn: sqlite3.Connection, where: str, value: object, with_vectors: bool = False
    ) -> list[ItemRow]:
        # ``where`` is one of our own fixed clauses on ``i``, never built from input.
        vectors: dict[int, dict[str, Vectors]] = {}
        if with_vectors:
            for item_id, name, blob in conn.execute(
                "SELECT v.item_id, s.name, v.vector FROM items i "
                "JOIN vectors v ON v.item_id = i.id JOIN spaces s ON s.id = v.space_id "
                f"WHERE {where}",
                (value,),
            ):
                vectors.setdefault(item_id, {})[name] = np.frombuffer(blob, dtype=_VECTOR_DTYPE)
        rows = conn.execute(
            f"SELECT {_ITEM_COLUMNS}, i.id, r.path, {_FILE_COLUMNS} "
            "FROM items i JOIN files f ON f.id = i.file_id JOIN roots r ON r.id = f.root_id "
            f"WHERE {where} ORDER BY i.id",
            (value,),
        ).fetchall()
        return [
            ItemRow(
                *_item_values(row),
                vectors=vectors.get(row[_ITEM_COUNT], {}),
                id=row[_ITEM_COUNT],
                file=_file_record(row[_ITEM_COUNT + 2 :]),
                root_path=_blob_to_name(row[_ITEM_COUNT + 1]),
            )
            for row in rows
        ]

    def iter_vectors(self, space: str, batch: int = 65536) -> Iterator[tuple[Ids, Vectors]]:
        """All vectors of a space in id order, ``batch`` at a time.

        Each batch is read in its own snapshot (no transaction is held open between batches).
        Read ``generation()`` before iterating: if a write lands meanwhile, the generation has
        moved on and an index built from this pass is seen as stale and rebuilt.
        """
        if batch < 1:
            raise ValueError(f"batch must be positive, got {batch}")
        with self._read() as conn:
            row = conn.execute("SELECT id, dim FROM spaces WHERE name = ?", (space,)).fetchone()
        if row is None:
            return
        space_id, dim = row
        last = -1
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT item_id, vector FROM vectors WHERE space_id = ? AND item_id > ? "
                    "ORDER BY item_id LIMIT ?",
                    (space_id, last, batch),
                ).fetchall()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            buffer = bytearray().join(r[1] for r in rows)
            vectors = np.frombuffer(buffer, dtype=_VECTOR_DTYPE).astype(np.float32, copy=False)
            yield ids, vectors.reshape(len(rows), dim)
            last = int(ids[-1])

    def place_counts(self) -> dict[int, int]:
        """GeoNames id -> how many indexed files were taken near that town (the
        ``files_by_place`` index answers it)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT place_id, count(*) FROM files "
                "WHERE place_id IS NOT NULL AND status = ? GROUP BY place_id",
                (FileStatus.INDEXED.value,),
            ).fetchall()
        return dict(rows)

    def spaces(self) -> dict[str, int]:
        """Every space that has held vectors -> its dimension."""
        with self._read() as conn:
            return dict(conn.execute("SELECT name, dim FROM spaces ORDER BY name").fetchall())

    def space_builds(self) -> dict[str, str | None]:
        """Every space -> the build of the model that made its vectors (``None``: made before
        the catalog recorded builds, schema 12)."""
        with self._read() as conn:
            return dict(conn.execute("SELECT name, build FROM spaces ORDER BY name").fetchall())

    def set_space_build(self, name: str, dim: int, build: str) -> None:
        """Record that ``build`` makes the vectors of space ``name`` (made here if new)."""
        with self._write() as conn:
            space_id = self._space_id(conn, name, dim)
            conn.execute("UPDATE spaces SET build = ? WHERE id = ?", (build, space_id))

    def stored_texts(self, space: str, after: int, limit: int) -> list[tuple[int, Item]]:
        """Up to ``limit`` items whose vector in ``space`` was made from their text, of an id
        over ``after``, in id order: the id and the item (kind and text). A picture's SHOWS
        item is made from its classes, not its text: :meth:`files_shown_in` finds those."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT i.id, i.kind, i.text FROM vectors v JOIN items i ON i.id = v.item_id "
                "WHERE v.space_id = (SELECT id FROM spaces WHERE name = ?) AND v.item_id > ? "
                "AND i.text IS NOT NULL AND i.kind != ? ORDER BY v.item_id LIMIT ?",
                (space, after, ItemKind.SHOWS.value, limit),
            ).fetchall()
        return [(item_id, Item(ItemKind(kind), text=text)) for item_id, kind, text in rows]

    def files_shown_in(self, space: str) -> list[tuple[FileRecord, str]]:
        """The indexed files with a SHOWS item in ``space``, with their roots' paths."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_FILE_COLUMNS}, r.path FROM files f JOIN roots r ON r.id = f.root_id "
                "WHERE f.status = ? AND f.id IN (SELECT i.file_id FROM items i "
                "JOIN vectors v ON v.item_id = i.id WHERE i.kind = ? "
                "AND v.space_id = (SELECT id FROM spaces WHERE name = ?)) ORDER BY f.id",
                (FileStatus.INDEXED.value, ItemKind.SHOWS.value, space),
            ).fetchall()
        return [(_file_record(row[:-1]), _blob_to_name(row[-1])) for row in rows]

    def restate_vectors(self, space: str, ids: Sequence[int], vectors: Vectors) -> ReplaceResult:
        """New vectors in ``space`` for these items, in place of the ones they have (an item
        gone meanwhile is passed over); the indexes follow the result."""
        checked = np.asarray(vectors, dtype=_VECTOR_DTYPE)
        if checked.shape[0] != len(ids) or not np.isfinite(checked).all():
            raise CatalogError(f"{len(ids)} items need as many finite vectors in {space!r}")
        kept: list[int] = []
        with self._write() as conn:
            space_id = self._space_id(conn, space, checked.shape[1])
            for at, item_id in enumerate(ids):
                cursor = conn.execute(
                    "UPDATE vectors SET vector = ? WHERE space_id = ? AND item_id = ?",
                    (checked[at].tobytes(), space_id, item_id),
                )
                if cursor.rowcount:
                    kept.append(at)
            if kept:
                self._bump_generation(conn)
        kept_ids = np.asarray(ids, dtype=np.int64)[kept]
        return ReplaceResult(
            added={space: (kept_ids, checked[kept].astype(np.float32))} if kept else {},
            removed=[(space, int(item_id)) for item_id in kept_ids],
        )

    def counts(self) -> dict[str, int]:
        """``roots``, ``files``, ``files.<kind>``, ``files.<status>``, ``items``, ``items.<kind>``,
        ``vectors``, ``vectors.<space>``; every kind and status is present, zero or not."""
        counts: dict[str, int] = {"roots": 0, "files": 0, "items": 0, "vectors": 0}
        counts |= {f"files.{k.value}": 0 for k in FileKind}
        counts |= {f"files.{s.value}": 0 for s in FileStatus}
        counts |= {f"items.{k.value}": 0 for k in ItemKind}
        with self._read() as conn:
            counts["roots"] = conn.execute("SELECT count(*) FROM roots").fetchone()[0]
            for kind, status, n in conn.execute(
                "SELECT kind, status, count(*) FROM files GROUP BY kind, status"
            ):
                counts["files"] += n
                counts[f"files.{kind}"] += n
                counts[f"files.{status}"] += n
            for kind, n in conn.execute("SELECT kind, count(*) FROM items GROUP BY kind"):
                counts["items"] += n
                counts[f"items.{kind}"] += n
            for name, n in conn.execute(
                "SELECT s.name, (SELECT count(*) FROM vectors v WHERE v.space_id = s.id) "
                "FROM spaces s"
            ):
                counts["vectors"] += n
                counts[f"vectors.{name}"] = n
        return counts

    def catalog_id(self) -> int:
        """This catalog's own random id: a Milvus library names the catalog that writes it."""
        with self._read() as conn:
            value: int = conn.execute("SELECT value FROM meta WHERE key = 'catalog_id'").fetchone()[
                0
            ]
            return value

    def generation(self) -> int:
        """A counter bumped by every commit that changes what a query finds (vectors, or the
        name of a file); it never goes back."""
        with self._read() as conn:
            return self._generation(conn)

    @staticmethod
    def _generation(conn: sqlite3.Connection) -> int:
        value: int = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
        return value

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _vectors_of(conn: sqlite3.Connection, where: str, value: int) -> list[tuple[str, int]]:
        # ``where`` is one of our own constant conditions on ``f``; the value is bound.
        rows = conn.execute(
            "SELECT s.name, v.item_id FROM files f JOIN items i ON i.file_id = f.id "
            "JOIN vectors v ON v.item_id = i.id JOIN spaces s ON s.id = v.space_id "
            f"WHERE {where} ORDER BY v.item_id, s.name",
            (value,),
        ).fetchall()
        return [(name, item_id) for name, item_id in rows]

    def _space_id(self, conn: sqlite3.Connection, name: str, dim: int) -> int:
        row = conn.execute("SELECT id, dim FROM spaces WHERE name = ?", (name,)).fetchone()
        if row is None:
            cursor = conn.execute("INSERT INTO spaces (name, dim) VALUES (?, ?)", (name, dim))
            assert cursor.lastrowid is not None  # an INSERT always sets it
            return cursor.lastrowid
        if row[1] != dim:
            raise CatalogError(f"space {name!r} holds {row[1]}-d vectors, got a {dim}-d one")
        space_id: int = row[0]
        return space_id

    def _replace(
        self, conn: sqlite3.Connection, file_id: int, items: Sequence[Item], part: _Part
    ) -> ReplaceResult:
        if conn.execute("SELECT 1 FROM files WHERE id = ?", (file_id,)).fetchone() is None:
            raise CatalogError(f"no file with id {file_id}")
        removed: list[tuple[str, int]] = []
        if part.first:
            removed = self._vectors_of(conn, "f.id = ?", file_id)
            conn.execute("DELETE FROM items WHERE file_id = ?", (file_id,))
        space_ids: dict[str, int] = {}
        added_ids: dict[str, list[int]] = {}
        added_vectors: dict[str, list[Vectors]] = {}
        rows: list[tuple[int, int, bytes]] = []
        texts: list[tuple[int, str | None]] = []
        for item in items:
            item_id = conn.execute(
                "INSERT INTO items (file_id, kind, t_start, t_end, char_start, char_end, text, "
                "score, language, box, look) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    ItemKind(item.kind).value,
                    item.start,
                    item.end,
                    item.char_start,
                    item.char_end,
                    item.text,
                    item.score,
                    item.language,
                    None if item.box is None else json.dumps(list(item.box)),
                    None if item.look is None else item.look.to_bytes(),
                ),
            ).lastrowid
            assert item_id is not None  # an INSERT always sets it
            if item.kind.value not in words.GUESSED:
                texts.append((item_id, item.text))
            for name, raw in item.vectors.items():
                vector = np.asarray(raw, dtype=_VECTOR_DTYPE)
                if vector.ndim != 1 or vector.size == 0 or not np.isfinite(vector).all():
                    raise CatalogError(
                        f"the {name!r} vector of an item of file {file_id} is not a finite "
                        f"non-empty 1-d vector (shape {vector.shape})"
                    )
                if name not in space_ids:
                    space_ids[name] = self._space_id(conn, name, vector.size)
                    added_ids[name], added_vectors[name] = [], []
                elif vector.size != added_vectors[name][0].size:
                    dim = added_vectors[name][0].size
                    raise CatalogError(
                        f"space {name!r} holds {dim}-d vectors, got a {vector.size}-d one"
                    )
                rows.append((space_ids[name], item_id, vector.tobytes()))
                added_ids[name].append(item_id)
                added_vectors[name].append(vector)
        conn.executemany("INSERT INTO vectors (space_id, item_id, vector) VALUES (?, ?, ?)", rows)
        words.write_items(conn, texts)
        status = FileStatus.INDEXED if part.last else FileStatus.PENDING
        conn.execute(
            "UPDATE files SET status = ?, indexed_at = ? WHERE id = ?",
            (status.value, time.time(), file_id),
        )
        conn.execute("DELETE FROM failures WHERE file_id = ?", (file_id,))
        if removed or rows:
            self._bump_generation(conn)
        return ReplaceResult(
            added={
                name: (
                    np.asarray(added_ids[name], dtype=np.int64),
                    np.stack(added_vectors[name]).astype(np.float32, copy=False),
                )
                for name in added_ids
            },
            removed=removed,
        )

    # -- the outbox of a Milvus library (engine.catalog.outbox) ---------------------------------

    def outbox_target(self) -> str | None:
        """The Milvus library whose changes the outbox notes, if any."""
        with self._read() as conn:
            return outbox.target(conn)

    def set_outbox_target(self, uri: str | None) -> bool:
        """Note changes for ``uri`` from now on; True if that is a change of library (the old
        notes are dropped: rebuild the new library's collections)."""
        with self._write() as conn:
            return outbox.set_target(conn, uri)

    def outbox_pending(self, limit: int = 4096) -> outbox.OutboxBatch:
        with self._read() as conn:
            return outbox.pending(conn, limit)

    def outbox_delivered(self, batch: outbox.OutboxBatch) -> None:
        with self._write() as conn:
            outbox.delivered(conn, batch.last_id)

    def outbox_size(self) -> int:
        with self._read() as conn:
            return outbox.size(conn)

    def vector_rows(self, space: str, batch: int = 4096) -> Iterator[list[outbox.VectorRow]]:
        """Every vector of ``space`` with its shown fields, in id order, a snapshot per batch."""
        last = -1
        while True:
            with self._read() as conn:
                found = outbox.rows(conn, space, last, batch)
            if not found:
                return
            yield found
            last = found[-1].item_id

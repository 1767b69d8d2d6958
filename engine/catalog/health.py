"""A damaged catalog is never silently replaced: it is set aside, backed up daily, and repaired.

- :func:`open_catalog` opens the catalog and, when it is damaged (empty, overwritten, corrupt
  inside), moves it aside as ``catalog.sqlite3.damaged-<time>`` and raises
  :class:`CatalogDamagedError`. While a damaged copy waits and no catalog replaced it, opening
  refuses too: an empty new catalog would pass for an index that lost everything.
- :func:`back_up` keeps a rolling copy in ``backups/`` (SQLite's backup API, at most one a day,
  the newest kept), so a damaged catalog comes back without indexing everything again.
- :func:`repair` builds a new catalog from the newest backup, then every row SQLite can still
  read from the damaged copy (newer than the backup), drops rows whose parent is gone, and marks
  the files whose items were lost for indexing again. The caller then runs an index pass.

Vector indexes are never touched here: the repaired catalog's generation moves on, so they are
rebuilt from its vectors on the next open.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.catalog.catalog import Catalog, sqlite_check
from engine.catalog.records import CatalogDamagedError, CatalogError, FileStatus
from engine.catalog.words import WORDS_KEY
from engine.index.storage import fsync_folder

log = logging.getLogger(__name__)

BACKUP_FOLDER = "backups"
BACKUP_EVERY_SECONDS = 24 * 3600
BACKUPS_KEPT = 1  # a copy of the catalog's size; a second would only double that
_DAMAGED = ".damaged-"
# SQLite's side files: the write-ahead log holds committed pages, so it moves with the file.
_SIDE_FILES = ("-wal", "-shm")
# Parents before children, so that orphans can be found once everything is in.
_TABLES = ("meta", "roots", "files", "failures", "spaces", "items", "vectors")
_READ_BATCH = 512


@dataclass(frozen=True)
class TableSalvage:
    """Rows of one table that were read back, and stretches of it that could not be read."""

    kept: int = 0
    unreadable_stretches: int = 0
    lost_table: bool = False


@dataclass
class RepairReport:
    """What :func:`repair` did, for the person to read."""

    damaged: Path | None  # the copy rows were salvaged from; None when nothing was damaged
    backup: Path | None  # the backup the new catalog started from
    salvaged: dict[str, TableSalvage] = field(default_factory=dict)
    dropped_orphans: int = 0
    requeued_files: int = 0
    healthy: bool = False  # nothing was wrong: no change made


def damaged_copies(path: Path) -> list[Path]:
    """Catalogs moved aside earlier, oldest first (their side files left out)."""
    found = [
        candidate
        for candidate in path.parent.glob(f"{path.name}{_DAMAGED}*")
        if not candidate.name.endswith(_SIDE_FILES)
    ]
    return sorted(found, key=lambda candidate: candidate.name)


def move_aside(path: Path) -> Path:
    """Rename the catalog (and its write-ahead log) to ``<name>.damaged-<time>``; the
    shared-memory file is rebuilt from the others, so it is dropped."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}{_DAMAGED}{stamp}")
    serial = 1
    while target.exists():
        serial += 1
        target = path.with_name(f"{path.name}{_DAMAGED}{stamp}-{serial}")
    os.replace(path, target)
    wal = Path(f"{path}-wal")
    if wal.exists():
        os.replace(wal, Path(f"{target}-wal"))
    Path(f"{path}-shm").unlink(missing_ok=True)
    fsync_folder(path.parent)
    return target


def open_catalog(path: Path) -> Catalog:
    """The catalog at ``path``; :class:`CatalogDamagedError` (after moving the file aside) when
    it is damaged, or when an earlier damaged one still waits for repair."""
    if not path.exists() and (waiting := damaged_copies(path)):
        raise CatalogDamagedError(
            path, f"it was found damaged earlier; delete {waiting[-1]} to start afresh", waiting[-1]
        )
    try:
        return Catalog(path)
    except CatalogDamagedError as error:
        if error.moved_to is not None or not path.exists():
            raise
        raise CatalogDamagedError(path, error.reason, move_aside(path)) from error


# --- backups -------------------------------------------------------------------------------


def backups(folder: Path) -> list[Path]:
    """Finished backups, oldest first (their names sort by date)."""
    return sorted(folder.glob("catalog-*.sqlite3"))


def back_up(catalog: Catalog, folder: Path, now: float | None = None) -> Path | None:
    """A new backup when the newest is a day old (or there is none); returns it, else None.
    Only a copy that passes SQLite's check is kept, and then the older one is deleted."""
    now = time.time() if now is None else now
    existing = backups(folder)
    if existing and now - existing[-1].stat().st_mtime < BACKUP_EVERY_SECONDS:
        return None
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / time.strftime("catalog-%Y%m%d-%H%M%S.sqlite3", time.localtime(now))
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        catalog.back_up(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    fsync_folder(folder)
    for old in backups(folder)[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return target


# --- repair --------------------------------------------------------------------------------


def repair(path: Path, backup_folder: Path) -> RepairReport:
    """Rebuild the catalog at ``path`` from its newest backup and what the damaged copy still
    holds. A sound catalog is left alone (``healthy``)."""
    if path.exists():
        try:
            catalog = Catalog(path)
        except CatalogDamagedError:
            move_aside(path)
        else:
            with catalog:
                problems = catalog.integrity()
            if not problems:
                return RepairReport(damaged=None, backup=None, healthy=True)
            move_aside(path)
    waiting = damaged_copies(path)
    source = waiting[-1] if waiting else None
    building = path.with_name(f"{path.name}.repairing")
    for leftover in (building, *(Path(f"{building}{side}") for side in _SIDE_FILES)):
        leftover.unlink(missing_ok=True)
    report = RepairReport(damaged=source, backup=_restore_newest(backup_folder, building))
    Catalog(building).close()  # the schema, migrated to this version (or a backup's, brought up)
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        if source is not None:
            report.salvaged = _salvage(source, conn)
        report.dropped_orphans = _drop_orphans(conn)
        report.requeued_files = _requeue_incomplete(conn)
        # Indexes saved before the damage must not pass for fresh: rebuild them from here.
        conn.execute("UPDATE meta SET value = value + 1000000 WHERE key = 'generation'")
        # The word index is not salvaged row by row: it is cut again from the rows kept.
        conn.execute("UPDATE meta SET value = 0 WHERE key = ?", (WORDS_KEY,))
    finally:
        conn.close()
    Catalog(building).close()  # fills the word index again
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        problems = sqlite_check(conn, "integrity_check")
    finally:
        conn.close()
    if problems:
        raise CatalogError(f"the repaired catalog fails SQLite's check: {problems[0]}")
    os.replace(building, path)
    for side in _SIDE_FILES:
        Path(f"{building}{side}").unlink(missing_ok=True)
    fsync_folder(path.parent)
    return report


def _restore_newest(folder: Path, target: Path) -> Path | None:
    """Copy the newest sound backup to ``target``; the backup used, or None."""
    for candidate in reversed(backups(folder)):
        try:
            source = sqlite3.connect(f"{candidate.absolute().as_uri()}?mode=ro", uri=True)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy, pages=-1)
                sound = sqlite_check(copy, "quick_check") == []
            finally:
                copy.close()
                source.close()
        except sqlite3.Error as error:
            log.warning("backup %s cannot be read: %s", candidate, error)
            sound = False
        if sound:
            return candidate
        target.unlink(missing_ok=True)
    return None


def _salvage(source: Path, target: sqlite3.Connection) -> dict[str, TableSalvage]:
    """Copy every row SQLite can still read from ``source`` into ``target``, table by table;
    a row already there (from the backup) is replaced by the damaged copy's newer one."""
    report: dict[str, TableSalvage] = {}
    reader = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
    target.execute("PRAGMA foreign_keys = OFF")
    target.execute("BEGIN IMMEDIATE")
    try:
        for table in _TABLES:
            report[table] = _salvage_table(reader, target, table)
        target.execute("COMMIT")
    except BaseException:
        target.execute("ROLLBACK")
        raise
    finally:
        reader.close()
    return report


def _salvage_table(
    reader: sqlite3.Connection, target: sqlite3.Connection, table: str
) -> TableSalvage:
    # Table and column names below come from our own schema (``_TABLES``, PRAGMA table_info of
    # the new catalog), never from outside input.
    wanted = [row[1] for row in target.execute(f"PRAGMA table_info({table})")]
    try:
        present = {row[1] for row in reader.execute(f"PRAGMA table_info({table})")}
    except sqlite3.DatabaseError:
        return TableSalvage(lost_table=True)
    columns = [column for column in wanted if column in present]
    if not columns:
        return TableSalvage(lost_table=True)
    names = ", ".join(columns)
    insert = f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    kept = 0
    stretches = 0
    for batch, skipped in _readable_rows(reader, f"SELECT rowid, {names} FROM {table}"):
        stretches += skipped
        target.executemany(insert, [row[1:] for row in batch])
        kept += len(batch)
    return TableSalvage(kept=kept, unreadable_stretches=stretches)


def _readable_rows(
    reader: sqlite3.Connection, select: str
) -> Iterator[tuple[list[tuple[object, ...]], int]]:
    """Rows in rowid order, in batches, stepping over stretches that cannot be read: after an
    error, reading starts again past the last good row, twice as far each time it fails, until
    it succeeds. Yields each batch with how many unreadable stretches came just before it."""
    last_good = 0  # every table of ours numbers its rows from 1
    step = 0  # how far past ``last_good`` the next read starts
    stretches = 0
    while last_good + step < 2**63 - 1:
        batch: list[tuple[object, ...]] = []
        try:
            for row in reader.execute(
                f"{select} WHERE rowid > ? ORDER BY rowid", (last_good + step,)
            ):
                batch.append(tuple(row))
                last_good, step = int(row[0]), 0
                if len(batch) >= _READ_BATCH:
                    yield batch, stretches
                    batch, stretches = [], 0
        except sqlite3.DatabaseError:
            if batch:
                yield batch, stretches
                stretches = 0
            if step == 0:  # a new damaged stretch begins after the last good row
                stretches, step = stretches + 1, 1
            else:
                step *= 2
            continue
        if batch:
            yield batch, stretches
        return


def _drop_orphans(conn: sqlite3.Connection) -> int:
    """Delete rows whose parent did not survive (and vectors of the wrong length)."""
    statements = (
        "DELETE FROM files WHERE root_id NOT IN (SELECT id FROM roots)",
        # A file's failure stands only while the file is FAILED (the backup may be older).
        "DELETE FROM failures WHERE root_id NOT IN (SELECT id FROM roots) "
        "OR file_id NOT IN (SELECT id FROM files WHERE status = 'failed')",
        "DELETE FROM items WHERE file_id NOT IN (SELECT id FROM files)",
        "DELETE FROM vectors WHERE item_id NOT IN (SELECT id FROM items) "
        "OR space_id NOT IN (SELECT id FROM spaces) "
        "OR length(vector) != 4 * (SELECT dim FROM spaces s WHERE s.id = vectors.space_id)",
    )
    dropped = 0
    conn.execute("BEGIN IMMEDIATE")
    for statement in statements:
        dropped += conn.execute(statement).rowcount
    conn.execute("COMMIT")
    return dropped


def _requeue_incomplete(conn: sqlite3.Connection) -> int:
    """Mark for indexing again every indexed file with no items left, or with an item that lost
    its vectors (every kind of item has at least one); their remaining items are replaced then.
    A failed file whose failure was lost is tried again too, so that it says why once more."""
    incomplete = conn.execute(
        "UPDATE files SET status = ? WHERE status = ? AND ("
        "  NOT EXISTS (SELECT 1 FROM items i WHERE i.file_id = files.id)"
        "  OR EXISTS (SELECT 1 FROM items i WHERE i.file_id = files.id"
        "    AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.item_id = i.id)))",
        (FileStatus.PENDING.value, FileStatus.INDEXED.value),
    ).rowcount
    unexplained = conn.execute(
        "UPDATE files SET status = ? WHERE status = ? AND id NOT IN "
        "(SELECT file_id FROM failures WHERE file_id IS NOT NULL)",
        (FileStatus.PENDING.value, FileStatus.FAILED.value),
    ).rowcount
    return incomplete + unexplained


def describe(report: RepairReport) -> Sequence[str]:
    """The report as lines a person reads (the CLI prints them; the desktop shows them)."""
    if report.healthy:
        return ["the catalog is sound: nothing to repair"]
    lines = []
    if report.backup is not None:
        lines.append(f"started from the backup {report.backup.name}")
    else:
        lines.append("no usable backup: started from an empty catalog")
    if report.damaged is not None:
        lines.append(f"read what could be read from {report.damaged.name}:")
        for table, salvage in report.salvaged.items():
            if salvage.lost_table:
                lines.append(f"  {table}: unreadable")
                continue
            lost = (
                f", {salvage.unreadable_stretches} unreadable stretches skipped"
                if salvage.unreadable_stretches
                else ""
            )
            lines.append(f"  {table}: {salvage.kept} rows{lost}")
    lines.append(f"dropped {report.dropped_orphans} rows whose file or folder was lost")
    lines.append(f"{report.requeued_files} files will be indexed again")
    return lines

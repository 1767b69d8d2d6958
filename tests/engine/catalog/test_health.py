"""Damaged catalogs on real SQLite files: refused and set aside, never replaced by an empty one;
backed up at most daily; repaired from the backup and what can still be read."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from engine.catalog import catalog as catalog_module
from engine.catalog.catalog import Catalog
from engine.catalog.health import (
    BACKUP_EVERY_SECONDS,
    back_up,
    backups,
    damaged_copies,
    describe,
    open_catalog,
    repair,
)
from engine.catalog.records import CatalogDamagedError, FileKind, FileStatus, Item, ItemKind

SPACE, DIM = "minilm-l6-v2", 384
FILES, ITEMS_PER_FILE = 300, 4


def build(path: Path, files: int = FILES) -> dict[str, int]:
    """A catalog of many pages: ``files`` recordings of 4 transcript segments, each with a
    384-d vector; its counts."""
    rng = np.random.default_rng(7)
    with Catalog(path) as catalog:
        root = catalog.add_root(path.parent / "recordings")
        for number in range(files):
            record = catalog.upsert_file(
                root.id, f"memo-{number}.wav", 100, 1_000, f"hash-{number}", FileKind.AUDIO
            )
            vectors = rng.standard_normal((ITEMS_PER_FILE, DIM)).astype(np.float32)
            items = [
                Item(
                    ItemKind.TRANSCRIPT,
                    start=i,
                    end=i + 1,
                    text=f"palabras {i}",
                    language="es",
                    vectors={SPACE: vector},
                )
                for i, vector in enumerate(vectors)
            ]
            catalog.replace_items(record.id, items)
        return catalog.counts()


def scribble(path: Path, where: float, size: int = 16 * 1024) -> None:
    """Random bytes over ``size`` bytes at ``where`` (a fraction) of the file, written a moment
    after Trove closed it, as damage comes: within one tick of the kernel's coarse clock the
    file's time would not change, and the open would trust the note of the clean close."""
    time.sleep(0.05)
    with path.open("r+b") as stream:
        stream.seek(int(path.stat().st_size * where))
        stream.write(np.random.default_rng(1).bytes(size))


def test_an_empty_catalog_is_set_aside_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    path.write_bytes(b"")
    with pytest.raises(CatalogDamagedError, match=r"empty \(0 bytes\)") as raised:
        open_catalog(path)
    assert not path.exists()
    assert raised.value.moved_to == damaged_copies(path)[-1]
    # Until it is repaired (or its copy deleted), a new empty catalog is not made in its place.
    with pytest.raises(CatalogDamagedError, match="found damaged earlier"):
        open_catalog(path)
    assert not path.exists()


def test_an_overwritten_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    path.write_bytes(b"{'this': 'is a JSON file a sync tool put here'}" * 100)
    with pytest.raises(CatalogDamagedError, match="does not start like an SQLite database"):
        open_catalog(path)


def test_damage_inside_is_found_at_open_and_by_the_full_check(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path)
    scribble(path, 0.5)
    with pytest.raises(CatalogDamagedError, match="malformed|corrupt|damaged|tree"):
        open_catalog(path)
    assert len(damaged_copies(path)) == 1


def test_an_index_out_of_step_passes_the_quick_check_and_fails_the_full_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path)
    _mismatch_an_index(path)
    with Catalog(path) as catalog:  # quick_check does not compare indexes with their tables
        problems = catalog.integrity()
    assert problems and any("files_by_hash" in problem for problem in problems)
    report = repair(path, tmp_path / "backups")
    assert report.damaged is not None and not report.healthy
    with Catalog(path) as catalog:
        assert catalog.integrity() == []
        assert catalog.counts()["files"] == FILES


def _mismatch_an_index(path: Path) -> None:
    """Point an index's definition at another column: its entries no longer match the table."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX files_by_hash ON files (size)' "
        "WHERE name = 'files_by_hash'"
    )
    conn.commit()
    conn.close()


def test_repair_without_a_backup_salvages_rows_and_requeues_what_lost_vectors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.sqlite3"
    before = build(path)
    scribble(path, 0.6)
    with pytest.raises(CatalogDamagedError):
        open_catalog(path)
    report = repair(path, tmp_path / "backups")
    assert report.backup is None
    salvaged = report.salvaged
    lost = before["vectors"] - salvaged["vectors"].kept
    # 16 KiB of a ~2.3 MB file: one stretch of at most a few dozen vectors is lost, not the rest.
    assert salvaged["vectors"].unreadable_stretches >= 1 and 0 < lost <= 64, salvaged
    assert salvaged["files"].kept == FILES and salvaged["roots"].kept == 1
    with Catalog(path) as catalog:
        counts = catalog.counts()
        assert counts["files"] == FILES
        assert counts["vectors"] == salvaged["vectors"].kept
        # Every file that lost a vector waits to be indexed again; the others stay indexed.
        assert counts["files.pending"] == report.requeued_files
        assert 1 <= report.requeued_files <= lost
        assert counts["files.indexed"] == FILES - report.requeued_files
        assert catalog.integrity() == []
    text = "\n".join(describe(report))
    assert "no usable backup" in text and "files will be indexed again" in text


def test_repair_from_the_daily_backup_brings_everything_back(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    folder = tmp_path / "backups"
    before = build(path)
    with Catalog(path) as catalog:
        made = back_up(catalog, folder)
        generation = catalog.generation()
    assert made is not None and backups(folder) == [made]
    path.write_bytes(b"")  # what a crash on some file systems leaves
    with pytest.raises(CatalogDamagedError):
        open_catalog(path)
    report = repair(path, folder)
    assert report.backup == made
    with Catalog(path) as catalog:
        after = catalog.counts()
        assert catalog.generation() > generation  # saved vector indexes are rebuilt, not trusted
        assert {row.language for row in catalog.items_of_file(1)} == {"es"}
    assert after == before
    assert report.requeued_files == 0


def test_backups_are_daily_and_only_the_newest_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    folder = tmp_path / "backups"
    build(path)
    with Catalog(path) as catalog:
        first = back_up(catalog, folder)
        assert first is not None
        assert back_up(catalog, folder) is None  # one a day at most
        later = first.stat().st_mtime + BACKUP_EVERY_SECONDS + 60
        second = back_up(catalog, folder, now=later)
    assert second is not None and backups(folder) == [second]
    assert not list(folder.glob("*.partial"))
    with Catalog(second) as copy:
        assert copy.integrity() == []


def test_a_sound_catalog_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path)
    before = path.read_bytes()
    report = repair(path, tmp_path / "backups")
    assert report.healthy and not damaged_copies(path)
    assert path.read_bytes() == before


def test_files_of_a_lost_root_are_dropped_not_kept_as_orphans(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM roots")  # as if the roots' page were unreadable
    conn.commit()
    conn.close()
    _mismatch_an_index(path)
    report = repair(path, tmp_path / "backups")
    assert report.dropped_orphans == FILES * (1 + ITEMS_PER_FILE * 2)
    with Catalog(path) as catalog:
        counts = catalog.counts()
    assert counts["files"] == counts["items"] == counts["vectors"] == 0


def test_only_a_file_as_a_clean_close_left_it_skips_the_check_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path)
    checks: list[str] = []

    def counted(conn: sqlite3.Connection, pragma: str, limit: int = 20) -> list[str]:
        checks.append(pragma)
        return real_check(conn, pragma, limit)

    real_check = catalog_module.sqlite_check
    monkeypatch.setattr(catalog_module, "sqlite_check", counted)
    Catalog(path).close()
    assert checks == []  # as the clean close left it
    still_open = Catalog(path)
    still_open.add_root(tmp_path / "more")
    Catalog(path).close()  # beside a writer (or after a crash): a write-ahead log is there
    still_open.close()
    assert checks == ["quick_check"]
    time.sleep(0.05)
    path.touch()  # another program wrote to it
    Catalog(path).close()
    assert checks == ["quick_check", "quick_check"]


def test_repair_keeps_failures_and_retries_a_failed_file_that_lost_its_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.sqlite3"
    build(path, files=20)
    with Catalog(path) as catalog:
        (root,) = catalog.roots()
        torn, lost = catalog.files()[:2]
        catalog.mark_failed(torn.id, "memo-0.wav: cut short")
        catalog.mark_failed(lost.id, "memo-1.wav: no audio stream")
        locked = Path(root.path) / "locked"
        catalog.record_failures(root.id, [(locked, "Permission denied")])
        kept = [failure for failure in catalog.failures() if failure.file_id != lost.id]
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM failures WHERE file_id = ?", (lost.id,))  # as if its page were lost
    conn.commit()
    conn.close()
    _mismatch_an_index(path)
    report = repair(path, tmp_path / "backups")
    assert report.salvaged["failures"].kept == 2 and report.requeued_files == 1
    with Catalog(path) as catalog:
        assert catalog.failures() == kept and len(kept) == 2
        assert catalog.file(root.id, lost.relpath).status is FileStatus.PENDING  # tried again
        assert catalog.file(root.id, torn.relpath).status is FileStatus.FAILED

"""What keeping the catalog safe costs: the check at every open, the full check of ``trove
doctor``, the daily backup and a repair, on catalogs of photo-library size.

    .venv/bin/python -m tests.benchmarks.catalog_health      # rewrites "Catalog health"

Each catalog holds N items: N/4 recordings of 4 transcript segments, one 384-d vector each (a
photo library holds about as many vectors per photo with its tags). Timings are of a
warm page cache (the catalog was just written), the best of 3 runs, so the figure is the work
itself and not the disk. The baseline of "open" is a bare ``sqlite3.connect`` plus one query, as
an open without the check costs.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine.catalog.catalog import Catalog
from engine.catalog.health import back_up, repair
from tests.benchmarks import machine, today, write_section
from tests.engine.catalog.test_health import ITEMS_PER_FILE, build

SIZES = (10_000, 100_000)  # items
COLUMNS = (
    "items",
    "catalog MiB",
    "bare open ms",
    "open, clean ms",
    "open, checked ms",
    "integrity ms",
    "backup ms",
    "backup MiB",
    "repair ms",
)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def bare_open(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("SELECT count(*) FROM roots").fetchone()
    conn.close()


def clean_open(path: Path) -> None:
    Catalog(path).close()


def checked_open(path: Path) -> None:
    # As after a crash or another program's write: no note of a clean close to trust.
    path.with_name(f"{path.name}.closed").unlink(missing_ok=True)
    Catalog(path).close()


def full_check(path: Path) -> None:
    with Catalog(path) as catalog:
        assert catalog.integrity() == []


def measure(items: int, folder: Path) -> str:
    path = folder / f"catalog-{items}.sqlite3"
    build(path, files=items // ITEMS_PER_FILE)
    size_mib = path.stat().st_size / 2**20
    bare = best_of(3, lambda: bare_open(path))
    checked = best_of(3, lambda: checked_open(path))
    clean = best_of(3, lambda: clean_open(path))
    integrity = best_of(3, lambda: full_check(path))
    backups = folder / f"backups-{items}"
    with Catalog(path) as catalog:
        started = time.perf_counter()
        made = back_up(catalog, backups)
        backup_s = time.perf_counter() - started
    assert made is not None
    backup_mib = made.stat().st_size / 2**20
    path.write_bytes(b"")  # the worst case: nothing salvageable, everything from the backup
    started = time.perf_counter()
    report = repair(path, backups)
    repair_s = time.perf_counter() - started
    assert report.backup == made and report.requeued_files == 0
    return (
        f"| {items:,} | {size_mib:.0f} | {bare * 1000:.1f} | {clean * 1000:.1f} "
        f"| {checked * 1000:.1f} "
        f"| {integrity * 1000:.0f} | {backup_s * 1000:.0f} | {backup_mib:.0f} "
        f"| {repair_s * 1000:.0f} |"
    )


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        rows = [measure(items, Path(temporary)) for items in SIZES]
    command = ".venv/bin/python -m tests.benchmarks.catalog_health"
    table_head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS)
    body = f"""
- Date: {today()}
- Machine: {machine()}
- Command: `{command}` ({time.perf_counter() - started:.0f} s)
- Data: N items (transcript segments, 4 a file) with one 384-d vector each; warm page cache,
  best of 3. "bare open" is a connect and one query. "open, clean" is what a `trove` command
  or the window pays after a clean close: the header check, the clean-close note compared.
  "open, checked" is after a crash or another program's write: SQLite's `quick_check` as well.
  "integrity" is `trove doctor`'s full check. "backup" is the daily copy (SQLite's backup API,
  then a `quick_check` of the copy). "repair" restores an emptied catalog from that backup.

{table_head}
{chr(10).join(rows)}
"""
    write_section("Catalog health", body)
    print(body)


if __name__ == "__main__":
    main()

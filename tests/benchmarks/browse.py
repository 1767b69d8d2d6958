"""Browse by filter benchmark: how long a filter alone takes to list its first page (and one
halfway down) in a large library, against the straightforward way.

    .venv/bin/python -m tests.benchmarks.browse [--sizes 10000,100000] [--no-write]

A real catalog (SQLite, on disk) is filled through its own API with a synthetic library: one
watched folder of dated photo folders, music, recordings and notes (70 / 15 / 10 / 5 %), changed
over six years. Ours is :func:`engine.search.browse.list_page`: the catalog selects, counts and
pages in SQL. The baseline reads every file record (``Catalog.files``), filters with
``Filters.accepts`` and sorts by date in Python, as a first version would.
Each figure is the median of ``ROUNDS`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, FileStatus
from engine.search.browse import Listing, list_page
from engine.search.query import Filters
from tests.benchmarks import machine, today, write_section

COMMAND = ".venv/bin/python -m tests.benchmarks.browse"
ROUNDS = 5
PAGE = 50
YEARS = range(2019, 2025)
ROOT = Path("/home/someone")
KINDS = (
    (FileKind.PHOTO, 0.70, "Pictures/{year}/IMG_{n:06d}.jpg"),
    (FileKind.AUDIO, 0.15, "Music/album {album:03d}/track {n:06d}.ogg"),
    (FileKind.VIDEO, 0.10, "Videos/{year}/clip {n:06d}.mp4"),
    (FileKind.NOTE, 0.05, "Notes/note {n:06d}.md"),
)
FILTERS = {
    "kind:audio": Filters(kinds=frozenset({FileKind.AUDIO})),
    "after:2024-01-01": Filters(after=date(2024, 1, 1)),
    'in:"~/Music"': Filters(folders=(ROOT / "Music",)),
    "kind:photo after:2023-06-01": Filters(
        kinds=frozenset({FileKind.PHOTO}), after=date(2023, 6, 1)
    ),
}


def fill(catalog: Catalog, size: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    root = catalog.add_root(str(ROOT))
    start = date(YEARS.start, 1, 1).toordinal()
    end = date(YEARS.stop, 1, 1).toordinal()
    ids: list[int] = []
    for n in range(size):
        kind, _, pattern = KINDS[int(rng.choice(len(KINDS), p=[k[1] for k in KINDS]))]
        day = date.fromordinal(int(rng.integers(start, end)))
        relpath = pattern.format(year=day.year, n=n, album=n % 500)
        seconds = time.mktime(day.timetuple()) + float(rng.integers(0, 86400))
        record = catalog.upsert_file(
            root.id, relpath, int(rng.integers(1_000, 9_000_000)), int(seconds * 1e9), f"{n}", kind
        )
        ids.append(record.id)
    for begin in range(0, len(ids), 1000):  # indexed, with nothing to search by meaning
        catalog.replace_many([(file_id, []) for file_id in ids[begin : begin + 1000]])


def accepted(catalog: Catalog, filters: Filters, newest: bool = True) -> list[int]:
    """The ids of every indexed file ``Filters.accepts``, by date: every record read, filtered
    and sorted in Python (the baseline here, and the tests' reference for ``list_page``)."""
    roots = {root.id: Path(root.path) for root in catalog.roots()}
    kept = [
        record
        for record in catalog.files(status=FileStatus.INDEXED)
        if filters.accepts(
            roots[record.root_id] / record.relpath,
            record.kind,
            record.size,
            record.dated_ns,
            record.place_id,
        )
    ]
    kept.sort(key=lambda record: (record.dated_ns, record.id), reverse=newest)
    return [record.id for record in kept]


def baseline(catalog: Catalog, filters: Filters, offset: int, limit: int) -> list[int]:
    return accepted(catalog, filters)[offset : offset + limit]


def median_ms(run: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(size: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        catalog = Catalog(Path(folder) / "catalog.sqlite3")
        began = time.perf_counter()
        fill(catalog, size)
        print(f"{size} files in {time.perf_counter() - began:.0f} s", flush=True)
        for name, filters in FILTERS.items():
            matching = list_page(catalog, filters, 0, 1).total
            for offset in (0, matching // 2):  # the first page, and one halfway down
                listing: Listing = list_page(catalog, filters, offset, PAGE)
                ours = [listed.file_id for listed in listing.files]
                assert ours == baseline(catalog, filters, offset, PAGE), name  # same answer
                fast = median_ms(lambda f=filters, o=offset: list_page(catalog, f, o, PAGE))
                slow = median_ms(lambda f=filters, o=offset: baseline(catalog, f, o, PAGE))
                rows.append(
                    f"| {size:,} | `{name}` | {offset:,} | {listing.total:,} | {fast:.1f} | "
                    f"{slow:.1f} | {slow / fast:.2f}x |"
                )
        catalog.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args(argv)
    rows = [row for size in map(int, args.sizes.split(",")) for row in measure(size)]
    body = "\n".join(
        [
            f"`{COMMAND} --sizes {args.sizes}` on {machine()}, {today()}.",
            "",
            "A filter alone lists files newest first, a page of "
            f"{PAGE} (median of {ROUNDS} runs, ms), the first page and one halfway down. Ours: "
            "the catalog selects, counts and pages in SQL; baseline: every record read, "
            "filtered and sorted in Python. Both give the same page (checked).",
            "",
            "| files | filter | offset | matching | ours ms | baseline ms | speed-up |",
            "|---:|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(body)
    if not args.no_write:
        write_section("Browse by filter", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

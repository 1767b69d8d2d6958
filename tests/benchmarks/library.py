"""The library view at 50,000 files: paging in, scrolling and jumping, and the memory it holds.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.library [--files N] [--no-write]

A real catalog (SQLite, on disk) is filled with the synthetic library of
:mod:`tests.benchmarks.browse` (photos, music, recordings and notes over six years). The real
grid (:class:`desktop.results.ResultsView` with its model and delegate, 1440x900 window size)
shows it as the window does: the first page of a listing (:data:`desktop.worker.FIRST_PAGE`),
then the next pages of :data:`desktop.library.MORE_PAGE` read with
:func:`engine.search.browse.list_page`, as the engine answers them, banded by month.

What is measured
- First page: from the listing read to the grid laid out and painted once.
- Each further page: appended to the model, the grid laid out again and painted (p50, p95, max).
- Scrolling: with every file loaded, the view scrolled a wheel step (three rows of tiles) at a
  time from top to bottom, each step painted at once (``repaint``): the frame time, p50 and p95
  and the worst. The files do not exist, so tiles show their kind icon; decoding a picture
  happens on a pool, never in a paint, and waits for scrolling to pause.
- A scrubber jump to the middle with only the first page loaded: the pages up to there read,
  appended and scrolled to.
- Memory: the process's resident size with the catalog open and Qt up, and after every file is
  in the grid; the difference is what the library view holds for 50,000 files.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.bands import Grouping
from desktop.library import MORE_PAGE
from desktop.results import LAYOUT_BATCH, ResultsModel, ResultsView, Thumbnails
from desktop.worker import FIRST_PAGE
from engine.catalog.catalog import Catalog
from engine.search.browse import list_page
from engine.search.query import Filters
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.browse import fill

COMMAND = "QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.library"
WHEEL_ROWS = 3  # rows of tiles a wheel step scrolls


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed_ms(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return (time.perf_counter() - began) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def settle(app: QApplication, view: ResultsView) -> float:
    """Turn the event loop until the grid has laid out every row (a batch a turn) and painted:
    the longest turn, in ms (how long the window could not answer)."""
    model = view.model()
    last = model.index(model.rowCount() - 1, 0)
    longest = 0.0
    while True:
        began = time.perf_counter()
        app.processEvents()
        view.viewport().repaint()
        longest = max(longest, (time.perf_counter() - began) * 1000)
        if view.visualRect(last).isValid() and not view.visualRect(last).isEmpty():
            return longest


def measure(app: QApplication, catalog: Catalog, files: int) -> list[str]:
    everything = Filters()
    images = Thumbnails(cache_folder=Path(tempfile.mkdtemp(prefix="trove-bench-thumbs-")))
    model = ResultsModel(images)
    view = ResultsView(model)
    view.resize(900, 820)  # the grid's share of a 1440x900 window beside the preview
    view.show()
    app.processEvents()
    before = rss_mib()

    def first_page() -> None:
        listing = list_page(catalog, everything, 0, FIRST_PAGE)
        model.set_library(listing.files, listing.total, Grouping.MONTH)
        settle(app, view)

    first_ms = timed_ms(first_page)
    pages: list[float] = []
    turns: list[float] = []
    while model.library.loaded < files:

        def next_page() -> None:
            listing = list_page(catalog, everything, model.library.loaded, MORE_PAGE)
            model.add_page(listing.files)
            turns.append(settle(app, view))

        pages.append(timed_ms(next_page))
    after = rss_mib()
    rows = model.rowCount()

    bar = view.verticalScrollBar()
    step = WHEEL_ROWS * view.delegate.tile_size(view.fontMetrics()).height()
    frames: list[float] = []
    bar.setValue(0)
    settle(app, view)
    while bar.value() < bar.maximum():

        def frame() -> None:
            bar.setValue(bar.value() + step)
            view.viewport().repaint()

        frames.append(timed_ms(frame))
    app.processEvents()

    def jump() -> None:  # the scrubber to the middle, with only the first page loaded
        listing = list_page(catalog, everything, 0, FIRST_PAGE)
        model.set_library(listing.files, listing.total, Grouping.MONTH)
        settle(app, view)
        middle = files // 2
        more = list_page(catalog, everything, model.library.loaded, middle - FIRST_PAGE + 1)
        model.add_page(more.files)
        view.lay_out_now()  # as the scrubber does: the row's place is needed now
        view.scrollTo(model.index(model.row_of_file(middle)))
        view.viewport().repaint()

    jump_ms = timed_ms(jump)
    images.shutdown()
    view.close()
    return [
        f"| files, rows with month headings | {files:,}, {rows:,} |",
        f"| first page ({FIRST_PAGE} files) shown, ms | {first_ms:.0f} |",
        f"| each further page ({MORE_PAGE} files) read and laid out, ms p50 / max | "
        f"{statistics.median(pages):.0f} / {max(pages):.0f} |",
        f"| longest event-loop turn while a page is laid out (batches of {LAYOUT_BATCH} rows), "
        f"ms p50 / max | {statistics.median(turns):.0f} / {max(turns):.0f} |",
        f"| scroll frame ({len(frames):,} wheel steps), ms p50 / p95 / max | "
        f"{statistics.median(frames):.1f} / {percentile(frames, 0.95):.1f} / "
        f"{max(frames):.1f} |",
        f"| scrubber jump to the middle from the first page, ms | {jump_ms:.0f} |",
        f"| resident memory before / with every file in the grid, MiB | "
        f"{before:.0f} / {after:.0f} (+{after - before:.0f}) |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args(argv)
    app = QApplication(sys.argv[:1])
    # The catalog on a RAM disk where there is one: it is filled a durable commit per file,
    # which on a disk takes minutes and says nothing about the view.
    memory = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=memory if memory.is_dir() else None) as folder:
        catalog = Catalog(Path(folder) / "catalog.sqlite3")
        fill(catalog, args.files)
        rows = measure(app, catalog, args.files)
        catalog.close()
    body = "\n".join(
        [
            f"`{COMMAND} --files {args.files}` on {machine()}, {today()}, Qt offscreen; "
            f"load average over the run's last minute {os.getloadavg()[0]:.1f} (the machine is "
            "shared: frame times are as slow as the CPU the process got).",
            "",
            "The real grid, model and delegate showing a synthetic catalog of "
            f"{args.files:,} files, newest first in month bands: paged in as the window does, "
            f"then scrolled top to bottom {WHEEL_ROWS} rows of tiles a step, each step painted "
            "at once (the files do not exist, so tiles show kind icons; pictures are decoded on "
            "a pool, never while painting).",
            "",
            "| measure | value |",
            "|---|---:|",
            *rows,
        ]
    )
    sys.stdout.write(body + "\n")
    if not args.no_write:
        write_section("Library view", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

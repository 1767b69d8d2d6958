"""The desktop app: start-up to an interactive window, and the event loop while indexing.

    .venv/bin/python -m tests.benchmarks.desktop [--runs 5] [--notes 10000] [--no-write]

What is measured
- Start-up: wall time from starting ``python -m desktop.app --exit-when-ready`` to its "ready"
  line (the window shown and its event loop running; the models load later, lazily, on the
  engine thread), under Xvfb when it is installed, else offscreen. Median of several runs, on
  an empty data folder (first start) and on one that already holds the indexed demo folder.
  The baseline is the least a PySide6 app can do: import QtWidgets, show an empty QMainWindow,
  quit; the ratio says what Trove adds on top of Qt itself.
- Event loop while indexing: the real window on a fresh data folder watches a folder of
  ``--notes`` real notes; a 10 ms timer on the GUI thread records how late each tick runs from
  the start of indexing to "Up to date". Heavy work on the GUI thread would show as ticks
  hundreds of milliseconds late.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.datadir import demo_folder
from tests.benchmarks import machine, today, write_section

BARE_QT = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv[:1]); window = QMainWindow(); window.show()\n"
    "QTimer.singleShot(0, lambda: (print('ready', flush=True), app.quit()))\n"
    "app.exec()\n"
)


def _display_prefix() -> tuple[list[str], str]:
    if shutil.which("xvfb-run"):
        return ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"], "xcb on Xvfb"
    return [], "offscreen"


def _time_until_ready(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == b"ready":
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError(f"{command} ended without saying ready")
    process.wait(timeout=120)
    return elapsed


@dataclass(frozen=True)
class Startup:
    first: float  # seconds, Xvfb's own start taken out
    again: float
    bare: float
    xvfb: float
    platform: str


def measure_startup(runs: int) -> Startup:
    prefix, platform = _display_prefix()
    env = dict(os.environ)
    if not prefix:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        env.pop("QT_QPA_PLATFORM", None)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="trove-startup-") as scratch:
        data = Path(scratch) / "data"
        app = [python, "-m", "desktop.app", "--folder", str(demo_folder()), "--exit-when-ready"]
        first = []
        for run in range(runs):
            first.append(
                _time_until_ready(
                    [*prefix, *app, "--data-dir", str(Path(scratch) / f"fresh{run}")], env
                )
            )
        subprocess.run(
            [python, "-m", "engine.cli", "--data-dir", str(data), "add", str(demo_folder())],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [python, "-m", "engine.cli", "--data-dir", str(data), "index"],
            check=True,
            capture_output=True,
        )
        indexed = [*prefix, *app, "--data-dir", str(data)]
        again = [_time_until_ready(indexed, env) for _ in range(runs)]
        bare = [_time_until_ready([*prefix, python, "-c", BARE_QT], env) for _ in range(runs)]
    xvfb = 0.0
    if prefix:  # what starting Xvfb itself costs, to take out of every figure above
        xvfb = statistics.median(
            _time_until_ready([*prefix, "sh", "-c", "echo ready"], env) for _ in range(runs)
        )
    return Startup(
        first=statistics.median(first) - xvfb,
        again=statistics.median(again) - xvfb,
        bare=statistics.median(bare) - xvfb,
        xvfb=xvfb,
        platform=platform,
    )


def measure_event_loop(notes: int) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.window import MainWindow
    from desktop.worker import EngineClient, EngineSettings
    from tests.desktop.latency import LoopLatency
    from tests.desktop.notes import write_notes

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="trove-loop-") as scratch:
        folder = Path(scratch) / "notes"
        write_notes(folder, notes)
        engine = EngineClient(EngineSettings(data=Path(scratch) / "data"))
        window = MainWindow(engine)
        latency = LoopLatency(parent=window)
        engine.start()
        engine.ensure_folder(folder)
        engine.start_watching()
        window.show()
        started = time.perf_counter()
        latency.start()
        loop = QEventLoop()

        def check() -> None:
            if window.status_label.text() == "Up to date" and time.perf_counter() - started > 5:
                loop.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(200)
        loop.exec()
        latency.stop()
        elapsed = time.perf_counter() - started
        window.close()
        app.processEvents()
    return f"{notes} notes indexed in {elapsed:.0f} s; event loop {latency.summary()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    startup = measure_startup(args.runs)
    loop = measure_event_loop(args.notes)
    ratio = startup.again / startup.bare
    body = f"""Measured {today()} on {machine()} with
`.venv/bin/python -m tests.benchmarks.desktop --runs {args.runs} --notes {args.notes}`.

| start-up to an interactive window ({startup.platform}, median of {args.runs}) | seconds |
|---|---|
| Trove, first start (empty data folder, demo folder added) | {startup.first:.2f} |
| Trove, later start (indexed demo folder) | {startup.again:.2f} |
| bare PySide6 window (baseline) | {startup.bare:.2f} |
| Trove / baseline | {ratio:.2f}x |

Target: under 2 s. Xvfb's own start ({startup.xvfb:.2f} s) is taken out of each figure.
Models load lazily on the engine thread after the window is up.

While indexing: {loop}.
"""
    print(body)
    if not args.no_write:
        write_section("Desktop", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Find similar on an indexed file: its stored vectors against embedding it again, in one run.

    .venv/bin/python -m tests.benchmarks.similar [--rounds 5] [--no-write]

A folder of real media (the library of ``tests/engine/search/test_stored_examples.py``: demo
photos with an edited copy of one, animal sounds, espeak sentences, a 75 s recording, a 12 s
video) is indexed by ``Trove`` with the dev pack. Each example is then asked through the app's
planner twice: with its stored vectors (``ModelProbes`` given the catalog, as ``Trove.search``
answers it now) and through the extractor (the same probes without the catalog: the file decoded
and embedded again, as every find-similar was answered before). Both run warm (models loaded and
run once before the clock); the figure is the median of ``rounds`` whole queries (probes, every
space's index search, merging, catalog lookups). Encoder calls are the ONNX forward passes of
one query, per model (``LazySession.run`` counted).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.inference.pack import find_pack
from engine.search.planner import Planner
from engine.search.probes import ProbeMaker
from engine.search.query import ExamplePart, Query
from tests.benchmarks import machine, today, write_section
from tests.engine.search.test_stored_examples import (
    LONG,
    Library,
    build_library,
    counted_encoder_runs,
    names,
)

COMMAND = ".venv/bin/python -m tests.benchmarks.similar"
SECTION = "Find similar"
# (file in the library, what it is)
EXAMPLES = (
    ("dog.png", "photo"),
    ("tomato_plants.wav", "recording, 3.2 s"),
    (LONG, "recording, 75 s; its first 30 s are the example"),
    ("slideshow.mp4", "video, 12 s"),
)
TOP = 5


@dataclass(frozen=True)
class Answer:
    """One way of answering: median wall time of a query, its encoder calls, its top files."""

    ms: float
    calls: Counter[str]
    top: list[str]


@dataclass(frozen=True)
class Row:
    example: str
    what: str
    stored: Answer
    extracted: Answer


def _answer(planner: Planner, query: Query, rounds: int) -> Answer:
    planner.search(query)  # warm: sessions open, pages read
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        planner.search(query)
        times.append(time.perf_counter() - began)
    with counted_encoder_runs() as calls:
        result = planner.search(query)
    return Answer(statistics.median(times) * 1000, calls, names(result)[:TOP])


def measure(library: Library, rounds: int) -> list[Row]:
    app = library.trove.planner

    def planner(probes: ProbeMaker) -> Planner:
        return Planner(probes, app.index, app.catalog, app.calibration, app.settings)

    rows = []
    for name, what in EXAMPLES:
        query = Query((ExamplePart(library.folder / name),))
        stored = _answer(app, query, rounds)
        extracted = _answer(planner(library.extracted), query, rounds)
        rows.append(Row(name, what, stored, extracted))
        print(f"{name}: stored {stored.ms:.1f} ms, extractor {extracted.ms:.1f} ms")
    return rows


def _calls(calls: Counter[str]) -> str:
    return ", ".join(f"{model} {count}" for model, count in sorted(calls.items())) or "none"


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| example | stored vectors ms | extractor ms | extractor / stored "
        "| encoder calls, stored | encoder calls, extractor | same top 5 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        stored, extracted = row.stored, row.extracted
        lines.append(
            f"| {row.example} ({row.what}) | {stored.ms:.1f} | {extracted.ms:.0f} "
            f"| {extracted.ms / stored.ms:.0f}x | {_calls(stored.calls)} "
            f"| {_calls(extracted.calls)} | {'yes' if stored.top == extracted.top else 'no'} |"
        )
    return "\n".join(lines)


def report(rows: Sequence[Row], pack: Path, files: int, rounds: int, seconds: float) -> str:
    return f"""
- Date: {today()}
- Machine: {machine()}
- Command: `{COMMAND}` (pack `{pack}`, {seconds:.0f} s in all)
- Data: {files} files of real media indexed by `Trove` with the dev pack (the library of
  `tests/engine/search/test_stored_examples.py`). Each example is a file of that library,
  asked as `like:<file>` through the app's planner: "stored vectors" is `Trove.search` (the
  probes are the means of the file's stored vectors, read from the catalog), "extractor" is
  the same planner whose probes decode and embed the file again (every find-similar before).
  Median of {rounds} warm whole queries each; encoder calls are the ONNX forward passes of
  one query; "same top 5" compares the files each answer lists first.

{table(rows)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed queries per example")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    pack = find_pack()  # TROVE_PACK, or the dev pack
    with tempfile.TemporaryDirectory(prefix="trove-similar-") as scratch:
        folder, data = Path(scratch) / "library", Path(scratch) / "data"
        folder.mkdir()
        library = build_library(folder, data, pack)
        try:
            rows = measure(library, args.rounds)
        finally:
            library.trove.close()
        files = len(list(folder.iterdir()))
    print(table(rows))
    if not args.no_write:
        body = report(rows, pack, files, args.rounds, time.perf_counter() - began)
        path = write_section(SECTION, body)
        print(f"wrote the {SECTION} section of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

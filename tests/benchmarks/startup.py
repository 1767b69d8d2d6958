"""Start-up of the ``trove`` command: the whole process, from exec to exit, as a person runs it.

    .venv/bin/python -m tests.benchmarks.startup [--runs 10] [--scratch DIR]
        [--before DIR --before-name "commit abc1234"]

Commands: ``trove --help``, and ``trove search "a cat"`` on two data folders:
- a library of real files: the demo folder (photos, sounds, recordings, notes) and the
  Tux Paint stamps (every PNG, mirrored copies left out, and every caption ``.txt``, a note),
  indexed by Trove with the dev pack;
- a catalog of 100k items: 25k recordings of 4 transcript segments, one 384-d vector each in
  the dev pack's text space (``tests.engine.catalog.test_health.build``: Gaussian vectors, so
  every hit scores high and the planner looks up its full 256 neighbours), with the vector
  index Trove builds from it on the first run.

Each command runs ``--runs`` times after one warm-up run, as ``python -c "from engine.cli import
main; ..."`` (what the ``trove`` script runs) with the code folder as the working directory, so
that ``--before DIR`` measures an older checkout of the same repository (``git archive <commit>
| tar -x -C DIR``) on the same data in the same run; its runs alternate with the current code's.
Bytecode is cached (PYTHONDONTWRITEBYTECODE is dropped), as for an installed app, and the warm
page cache holds the pack and the data. Wall time is p50 and p90; CPU time (user + system of
the child) is p50, and is less disturbed by other work on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.facade import Trove
from engine.inference.pack import find_pack
from tests import media
from tests.benchmarks import machine, today, write_section
from tests.engine.catalog.test_health import ITEMS_PER_FILE, build

COMMAND = ".venv/bin/python -m tests.benchmarks.startup"
SECTION = "Start-up"
REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from engine.cli import main; sys.exit(main())"
QUERY = "a cat"
LARGE_ITEMS = 100_000
TARGETS = {"help": 0.2, "library": 0.35, "large": 0.5}  # p50 seconds, from the issue


@dataclass(frozen=True)
class Case:
    key: str  # a key of TARGETS
    command: str
    data: str
    args: list[str]


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def row(self) -> str:
        p50, p90 = np.percentile(self.wall, [50, 90])
        return f"{p50:.3f} / {p90:.3f} | {np.median(self.cpu):.3f}"

    @property
    def p50(self) -> float:
        return float(np.percentile(self.wall, 50))


# --- the data ------------------------------------------------------------------------------


def library_files(folder: Path) -> int:
    """Copy the demo folder and the Tux Paint stamps' pictures and captions into ``folder``."""
    shutil.copytree(media.demo_folder(), folder / "demo")
    stamps = media.tux_stamps()
    for path in [*media.stamp_images(), *sorted(stamps.rglob("*.txt"))]:
        target = folder / "stamps" / path.relative_to(stamps)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return sum(1 for path in folder.rglob("*") if path.is_file() and path.name[0] != ".")


def make_library(scratch: Path, pack: Path) -> tuple[Path, str]:
    """A data folder with the library indexed (kept in ``scratch`` for the next run)."""
    data, folder = scratch / "library-data", scratch / "library"
    if not (data / "catalog.sqlite3").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        count = library_files(folder)
        with Trove(data, pack) as trove:
            trove.add_folder(folder)
            summary = trove.index()
        (scratch / "library.txt").write_text(
            f"{count} files, {summary.indexed} indexed, {summary.failed} failed"
        )
    return data, (scratch / "library.txt").read_text()


def make_large(scratch: Path) -> Path:
    data = scratch / "large-data"
    if not (data / "catalog.sqlite3").is_file():
        data.mkdir(parents=True, exist_ok=True)
        build(data / "catalog.sqlite3", files=LARGE_ITEMS // ITEMS_PER_FILE)
    return data


# --- the runs ------------------------------------------------------------------------------


def run_once(code: Path, args: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``trove`` process run from ``code``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, *args], cwd=code, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # OK, or no result: anything else is a failed run
        raise RuntimeError(
            f"trove {' '.join(args)} in {code} exited {done.returncode}: {done.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(
    cases: Sequence[Case], codes: dict[str, Path], runs: int
) -> dict[tuple[str, str], Timings]:
    """Each case: one warm-up run per code, then ``runs`` runs alternating between the codes."""
    timings = {(case.key, name): Timings() for case in cases for name in codes}
    for case in cases:
        for code in codes.values():
            run_once(code, case.args)
        for _ in range(runs):
            for name, code in codes.items():
                wall, cpu = run_once(code, case.args)
                timings[case.key, name].wall.append(wall)
                timings[case.key, name].cpu.append(cpu)
    return timings


# --- the report ----------------------------------------------------------------------------


def table(
    cases: Sequence[Case], codes: Sequence[str], timings: dict[tuple[str, str], Timings]
) -> str:
    head = ["command", "data"]
    for name in codes:
        head += [f"{name}: wall p50 / p90 s", f"{name}: CPU p50 s"]
    head += ["target (p50)", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        cells = [f"`{case.command}`", case.data]
        cells += [timings[case.key, name].row() for name in codes]
        after = timings[case.key, codes[-1]].p50
        target = TARGETS[case.key]
        cells += [f"< {target}", "yes" if after < target else "no"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Setting:
    """What a reader needs to repeat the run."""

    pack: Path
    library: str  # its files and what indexing made of them
    before: str | None  # the older code measured alongside, as named on the command line
    runs: int
    load: tuple[float, float]  # 1-minute load average before and after
    seconds: float


def report(body: str, setting: Setting) -> str:
    older = (
        f" `before` is {setting.before}, run alternately with the current code (`after`)."
        if setting.before
        else ""
    )
    return f"""\
- Date: {today()}
- Machine: {machine()}; load average {setting.load[0]:.1f} before, {setting.load[1]:.1f} after \
(1-minute)
- Command: `{COMMAND} --runs {setting.runs}` (pack `{setting.pack}`, {setting.seconds:.0f} s in all)
- Each figure: {setting.runs} runs after a warm-up run, the whole process (`python -c "from \
engine.cli import main; ..."`, as the `trove` script runs), bytecode cached, page cache warm.\
{older}
- Library: the demo folder and the Tux Paint stamps' PNGs and caption notes \
({setting.library}).
- 100k items: a synthetic catalog of 100,000 transcript segments with a 384-d vector each in \
the text space (`tests.engine.catalog.test_health.build`), one flat index of 150 MB.
- What a text query loads (`tests/engine/test_cli_startup.py`): the text model, opened from a \
copy whose weights ONNX Runtime maps (`engine.inference.mapped`), its tokenizer, and the text \
space's index, mapped too (`engine.index.storage`); not PyAV, nor the image, sound and speech \
models, nor other spaces' indexes. The pack's hashes are checked once and then vouched for by \
each file's size, times, inode and device (`engine.inference.pack.HashMemo`; `trove doctor` \
hashes every file). The warm-up run pays for what a first run makes once.

{body}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", type=Path, help="an older checkout to measure alongside")
    parser.add_argument("--before-name", help="what --before is, for the report (a commit)")
    parser.add_argument("--scratch", type=Path, help="keep the data here for the next run")
    parser.add_argument("--pack", type=Path, help="model pack folder (default: found)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    pack = find_pack(args.pack)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="trove-startup-"))
    try:
        library, described = make_library(scratch, pack)
        large = make_large(scratch)
        options, query = ["--pack", str(pack)], ["search", QUERY]
        search = f'trove search "{QUERY}"'
        cases = [
            Case("help", "trove --help", "none", ["--help"]),
            Case("library", search, "library", [*options, "--data-dir", str(library), *query]),
            Case("large", search, "100k items", [*options, "--data-dir", str(large), *query]),
        ]
        codes = {"before": args.before} if args.before else {}
        codes["after"] = REPO
        load_before = os.getloadavg()[0]
        timings = measure(cases, codes, args.runs)
        load = (load_before, os.getloadavg()[0])
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)
    body = table(cases, list(codes), timings)
    print(body)
    if not args.no_write:
        named = args.before_name or (str(args.before) if args.before else None)
        setting = Setting(pack, described, named, args.runs, load, time.perf_counter() - began)
        print(f"wrote the {SECTION} section of {write_section(SECTION, report(body, setting))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

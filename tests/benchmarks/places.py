"""Dates and places: what reading a file's metadata costs per kind, and what the place names
cost (loading GeoNames' towns, naming a position, looking a name up).

    .venv/bin/python -m tests.benchmarks.places [--no-write]

Metadata (:func:`engine.media.metadata.read_facts`, the header only) is read from real media:
the demo folder's photos, recordings and video, the Tux Paint stamps (PNG), and JPEG copies of
the scikit-image photos with EXIF (date, GPS, camera) written in (made in a temporary folder).
Each file is read once to warm the caches, then timed ``ROUNDS`` times: the median per file,
then the median over the files of a kind. The gazetteer (:class:`engine.places.Gazetteer`) is
timed in a fresh process, so that its load and the memory it holds are its own.
Writes the "Dates and places" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.media.kinds import kind_of
from engine.media.metadata import read_facts
from tests import media
from tests.benchmarks import machine, today, write_section
from tests.exif import LISBON, Written, photo_with_exif

COMMAND = ".venv/bin/python -m tests.benchmarks.places"
ROUNDS = 5
STAMPS = 300
POSITIONS = 1000

# Run in a child process: the load and the resident memory it adds, then the lookups.
_GAZETTEER_CHILD = """
import json, random, statistics, time
from engine.places import Gazetteer

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

places = Gazetteer()
before = rss_mib()
start = time.perf_counter()
places.nearest(38.7223, -9.1393)
load_s = time.perf_counter() - start
loaded = rss_mib()
rng = random.Random(7)
spots = [(rng.uniform(-60, 70), rng.uniform(-180, 180)) for _ in range(%(positions)d)]
start = time.perf_counter()
named = sum(places.nearest(lat, lon) is not None for lat, lon in spots)
nearest_ms = (time.perf_counter() - start) * 1000 / len(spots)
start = time.perf_counter()
places.ids_named("Lisboa")
first_name_s = time.perf_counter() - start
times = []
for name in ("Madrid", "里斯本", "São Paulo", "Portugal", "Nowhere at all"):
    start = time.perf_counter()
    places.ids_named(name)
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({
    "load_s": load_s, "loaded_mib": loaded - before, "named_mib": rss_mib() - before,
    "nearest_ms": nearest_ms, "named_share": named / len(spots),
    "first_name_s": first_name_s, "name_ms": statistics.median(times),
}))
"""


def _median_ms(path: Path) -> float:
    kind = kind_of(path)
    assert kind is not None, path
    read_facts(path, kind)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        read_facts(path, kind)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def metadata_rows(folder: Path) -> list[tuple[str, int, float]]:
    """(what, files, median ms per file)."""
    demo = media.demo_folder()
    groups = {
        "photo, JPEG with EXIF": [
            photo_with_exif(
                path,
                folder / f"{name}.jpg",
                Written("2019:06:13 18:30:05", "+01:00", LISBON, "Canon", "Canon EOS R5"),
            )
            for name, path in media.skimage_photos().items()
        ],
        "photo, PNG without EXIF": media.stamp_images(photos_only=True)[:STAMPS],
        "recording (WAV, Ogg)": sorted(demo.glob("Recordings/*")) + sorted(demo.glob("Sounds/*")),
        "video (MP4)": [media.videos().slideshow, *sorted(demo.glob("Videos/*"))],
    }
    return [
        (what, len(paths), statistics.median(_median_ms(path) for path in paths))
        for what, paths in groups.items()
    ]


def gazetteer_figures() -> dict[str, float]:
    script = _GAZETTEER_CHILD % {"positions": POSITIONS}
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(found.stdout.strip().splitlines()[-1])
    return figures


def report(rows: list[tuple[str, int, float]], places: dict[str, float]) -> str:
    lines = [
        f"`{COMMAND}` on {machine()}, {today()}; load average {os.getloadavg()[0]:.1f} at "
        "the start (other jobs shared the cores: the times are upper bounds).",
        "",
        "Reading what a file's metadata says (header only; median of "
        f"{ROUNDS} reads per file, then over the files):",
        "",
        "| files | count | ms per file |",
        "|---|---:|---:|",
        *[f"| {what} | {count} | {ms:.2f} |" for what, count, ms in rows],
        "",
        "Place names (GeoNames' towns of 15,000 people or more, in a fresh process):",
        "",
        "| step | figure |",
        "|---|---:|",
        f"| load on first use | {places['load_s']:.2f} s, "
        f"{places['loaded_mib']:.0f} MiB resident |",
        f"| nearest town to a position | {places['nearest_ms']:.2f} ms "
        f"({POSITIONS} random positions, {places['named_share']:.0%} within 50 km of one) |",
        f"| first name looked up (names folded) | {places['first_name_s']:.2f} s, "
        f"{places['named_mib']:.0f} MiB resident in all |",
        f"| a name looked up after that | {places['name_ms']:.1f} ms |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="trove-places-") as folder:
        rows = metadata_rows(Path(folder))
    text = report(rows, gazetteer_figures())
    sys.stdout.write(text + "\n")
    if not args.no_write:
        write_section("Dates and places", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

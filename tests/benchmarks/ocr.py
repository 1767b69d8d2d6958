"""Words in pictures: how well and how fast the pack's OCR reads, and what it adds to indexing.

    python -m tests.benchmarks.ocr [--pack DIR] [--photos N] [--no-write]

1. Reading: every picture of :mod:`tests.ocrdata` (Debian manual pages drawn by Qt as
   screenshots, English and Chinese, several fonts and sizes; a few words laid in perspective
   on real photos, with noise and JPEG) read by :class:`engine.inference.ocr.TextReader`:
   word recall (English: words of two letters or more; Chinese: characters) and pictures/s.
2. Indexing cost: ``N`` Tux Paint photos indexed through the facade (scan, decode, models,
   catalog, vector indexes) with the pack as it is and with the same pack less its OCR model,
   each in a fresh data folder after a warm-up; wall and CPU seconds, best of two rounds.

Writes the ``Words in pictures`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from engine.facade import Trove
from engine.inference.models import ModelSet
from engine.inference.pack import find_pack, open_pack
from engine.inference.providers import choose
from models.manifest import MANIFEST_NAME, Task
from tests import media, ocrdata
from tests.benchmarks import machine, today, write_section

TITLE = "Words in pictures"
ROUNDS = 3


@dataclass
class Tally:
    found: int = 0
    wanted: int = 0
    pictures: int = 0
    seconds: float = 0.0
    lines: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.wanted if self.wanted else float("nan")

    @property
    def rate(self) -> float:
        return self.pictures / self.seconds if self.seconds else float("nan")


def read_all(pack: Path) -> tuple[dict[str, Tally], list[tuple[str, str, str]]]:
    """Recall and speed per (kind, language), and per text size of screenshots; a few
    readings beside their truth, to show what is read."""
    manifest = open_pack(pack)
    reader = ModelSet(manifest, choose()).ocr()
    if reader is None:
        raise SystemExit(f"the pack at {pack} has no OCR model")
    reader.read(Image.new("RGB", (64, 64), "white"))  # sessions opened before any clock runs
    tallies: dict[str, Tally] = {}
    samples: list[tuple[str, str, str]] = []
    for picture in ocrdata.pictures():
        image = Image.open(picture.path).convert("RGB")
        started = time.perf_counter()
        reading = reader.read(image)
        seconds = time.perf_counter() - started
        read = "\n".join(line.text for line in reading.lines)
        found, wanted = ocrdata.recall(picture.text, read, picture.language)
        keys = [f"{picture.kind}/{picture.language}", f"all/{picture.language}"]
        if picture.kind == "screenshot":
            keys.append(f"screenshot/{picture.language}/{picture.pixels}px")
        for key in keys:
            tally = tallies.setdefault(key, Tally())
            tally.found += found
            tally.wanted += wanted
            tally.pictures += 1
            tally.seconds += seconds
            tally.lines += len(reading.lines)
        if picture.kind == "photo" and len(samples) < 6:
            read_lines = " / ".join(line.text for line in reading.lines)
            samples.append((picture.path.name, picture.text, read_lines))
    return tallies, samples


def without_ocr(pack: Path, folder: Path) -> Path:
    """The same pack less its OCR model: the other models' folders linked, not copied."""
    manifest = json.loads((pack / MANIFEST_NAME).read_text())
    kept = [entry for entry in manifest["models"] if entry["task"] != Task.OCR.value]
    folder.mkdir(parents=True)
    for entry in kept:
        for ref in entry["files"].values():
            top = Path(ref["path"]).parts[0]
            if not (folder / top).exists():
                os.symlink(pack / top, folder / top)
    (folder / MANIFEST_NAME).write_text(json.dumps({**manifest, "models": kept}, indent=2))
    return folder


def photos(count: int) -> list[Path]:
    every = sorted(media.stamp_images(photos_only=True))
    step = max(1, len(every) // count)
    return every[::step][:count]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def index_once(pack: Path, corpus: Path, warm: Path, data: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds to index ``corpus`` after ``warm``; files indexed, text items."""
    with Trove(data, pack) as trove:
        trove.add_folder(warm)
        trove.index()
        trove.add_folder(corpus)
        wall, cpu = time.perf_counter(), _cpu()
        summary = trove.index()
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        texts = trove.catalog.counts()["items.picture-text"]
    return wall, cpu, summary.indexed, texts


def indexing_cost(
    pack: Path, count: int, scratch: Path
) -> dict[str, tuple[float, float, int, int]]:
    corpus, warm = scratch / "photos", scratch / "warm"
    chosen = photos(count + 8)
    for folder, part in ((warm, chosen[:8]), (corpus, chosen[8:])):
        folder.mkdir(parents=True)
        for path in part:
            shutil.copy(path, folder / f"{path.parent.name}-{path.name}")
    packs = {"without OCR": without_ocr(pack, scratch / "pack-without-ocr"), "with OCR": pack}
    best: dict[str, tuple[float, float, int, int]] = {}
    for round_ in range(ROUNDS):
        for name, which in packs.items():
            data = scratch / f"data-{round_}-{name.replace(' ', '-')}"
            found = index_once(which, corpus, warm, data)
            if name not in best or found[0] < best[name][0]:
                best[name] = found
            shutil.rmtree(data)
    return best


def report(
    pack: Path,
    tallies: dict[str, Tally],
    samples: Sequence[tuple[str, str, str]],
    cost: dict[str, tuple[float, float, int, int]],
    count: int,
) -> str:
    def row(label: str, key: str) -> str:
        t = tallies.get(key)
        if t is None:
            return ""
        return (
            f"| {label} | {t.pictures} | {t.wanted} | {t.recall:.3f} | {t.rate:.2f} | "
            f"{t.lines / max(1, t.pictures):.1f} |\n"
        )

    lines = [
        f"Measured {today()} on {machine()}, pack `{open_pack(pack).name}`, command "
        "`.venv/bin/python -m tests.benchmarks.ocr`.",
        "",
        "Reading (`TextReader.read`, one picture at a time, sessions warm). Pictures made here "
        "by `tests/ocrdata.py`: Debian manual pages (`manpages`, `manpages-zh`) drawn by Qt as "
        "screenshots of 800x600 to 1920x1080 in DejaVu Sans/Serif/Mono and WenQuanYi Micro Hei/"
        "AR PL UMing at 13, 16 and 22 px, some light on dark; and 2-6 words laid in perspective "
        "on real photos (scikit-image, Tux Paint) with noise and JPEG. Recall: English words of "
        "two letters or more, Chinese characters, each counted as often as read.",
        "",
        "| pictures | n | words (zh: characters) | recall | pictures/s | lines per picture |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    body = "\n".join(lines) + "\n"
    body += row("screenshots, English", "screenshot/en")
    body += row("screenshots, Chinese", "screenshot/zh")
    for language, name in (("en", "English"), ("zh", "Chinese")):
        for pixels in ocrdata.TEXT_PIXELS:
            body += row(f"- {name}, {pixels} px text", f"screenshot/{language}/{pixels}px")
    body += row("photos with words, English", "photo/en")
    body += row("photos with words, Chinese", "photo/zh")
    body += "\nPhotos with words, as read (truth -> reading):\n\n"
    for name, truth, read in samples:
        body += f"- `{name}`: {truth!r} -> {read!r}\n"
    off, on = cost["without OCR"], cost["with OCR"]
    added = on[0] / off[0] - 1 if off[0] else float("nan")
    added_cpu = on[1] / off[1] - 1 if off[1] else float("nan")
    body += (
        f"\nIndexing {count} Tux Paint photos through the facade (fresh data folder, after a "
        f"warm-up of 8; best of {ROUNDS} rounds), the pack with and without its OCR model:\n\n"
        "| | wall s | CPU s | photos/s | files | picture-text items |\n"
        "|---|---:|---:|---:|---:|---:|\n"
    )
    for name, (wall, cpu, files, texts) in cost.items():
        body += f"| {name} | {wall:.2f} | {cpu:.2f} | {files / wall:.1f} | {files} | {texts} |\n"
    verdict = "met" if max(added, added_cpu) < 0.30 else "not met"
    body += (
        f"\nOCR adds {added * 100:.0f}% to the wall time and {added_cpu * 100:.0f}% to the CPU "
        f"time (the steadier figure on a shared machine). Target (issue 12): < 30% on both: "
        f"{verdict}. Every photo gets one detection pass (its longer side at most 960 px, one "
        "CPU thread); recognition runs only on lines found.\n"
    )
    return body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.ocr", description=__doc__)
    parser.add_argument("--pack", type=Path, default=None)
    parser.add_argument("--photos", type=int, default=240)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    pack = find_pack(args.pack)
    tallies, samples = read_all(pack)
    with tempfile.TemporaryDirectory(prefix="trove-ocr-bench-") as scratch:
        cost = indexing_cost(pack, args.photos, Path(scratch))
    body = report(pack, tallies, samples, cost, args.photos)
    print(body)
    if not args.no_write:
        write_section(TITLE, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

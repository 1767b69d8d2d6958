"""Voice activity: indexing with and without Silero VAD, in one run, on real sounds.

    .venv/bin/python -m tests.benchmarks.voice [--no-write]

With the pack's models (``$TROVE_PACK``, default the dev pack), the same process indexes, once
with ``ExtractSettings(voice_activity=False)`` (Whisper hears every recording whole) and once
with it on (Whisper hears only what the VAD calls voice), each into a fresh data folder through
the real pipeline (scanner, decode threads, models, catalog and vector indexes):

- the 134 Tux Paint sound effects (non-speech: animals, vehicles, tools...): wall seconds;
- the 66 English spoken captions (``*_desc.ogg``, real human speech): wall seconds.

Both runs follow a warm-up on three espeak sentences, so that sessions are open. Then, from
each catalog: which of the 66 animal sounds got a transcript and what it says, and how well the
spoken captions are found by their caption text among captions and effects together (the
quality benchmark's planner and scoring, :mod:`tests.benchmarks.quality`, with the shipped
calibration): recall@10, MRR and how many rank first. The "Voice activity" section of
BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.records import Item, ItemKind
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.scan.extract import Extractor, ExtractSettings
from engine.scan.pipeline import Pipeline
from engine.scan.scanner import Scanner
from engine.search.calibration import CalibrationTable
from models.manifest import load_manifest
from tests import media
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.encoders import pack_folder
from tests.benchmarks.quality import Bench, Scores, collection, spoken_with_captions, text_query

COMMAND = ".venv/bin/python -m tests.benchmarks.voice"
TARGET_SPEED_UP = 3.0


@dataclass(frozen=True)
class Folder:
    """Copies of media files under ``root``: copy -> original."""

    root: Path
    copies: dict[Path, Path]


@dataclass
class Mode:
    """One way of indexing, and what it gave."""

    name: str
    settings: ExtractSettings
    seconds: dict[str, float]  # wall
    cpu: dict[str, float]  # CPU seconds of every thread: fairer on a busy machine
    items: dict[Path, list[Item]]  # by the original file's path


def copied(paths: Sequence[Path], root: Path) -> Folder:
    """Each file copied under ``root``, its path below the stamps folder kept."""
    stamps = media.tux_stamps()
    copies = {}
    for path in paths:
        target = root / path.relative_to(stamps)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copies[target] = path
    return Folder(root, copies)


def _plain(item: Item) -> Item:
    return Item(**{one.name: getattr(item, one.name) for one in fields(Item)})


def index_each(
    models: ModelSet,
    settings: ExtractSettings,
    folders: dict[str, Folder],
    warm: Path,
    data: Path,
) -> tuple[dict[str, float], dict[str, float], dict[Path, list[Item]]]:
    """Wall and CPU seconds to index each folder (after the warm folder), and the items of
    every file, by its original path."""
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    items: dict[Path, list[Item]] = {}
    data.mkdir(parents=True)
    with Catalog(data / "catalog.sqlite3") as catalog:
        indexes = SpaceIndexes(data / "indexes")
        indexes.open(catalog)
        pipeline = Pipeline(catalog, indexes, Extractor(models, settings))
        catalog.add_root(warm)
        pipeline.run(Scanner(catalog).scan())
        for name, folder in folders.items():
            catalog.add_root(folder.root)
            began, began_cpu = time.perf_counter(), time.process_time()
            summary = pipeline.run(Scanner(catalog).scan())
            seconds[name] = time.perf_counter() - began
            cpu[name] = time.process_time() - began_cpu
            if summary.failed:
                raise RuntimeError(f"{name}: {summary.failures}")
            for copy, original in folder.copies.items():
                record = catalog.file_at(copy)
                if record is None:
                    raise RuntimeError(f"{copy} was not indexed")
                rows = catalog.items_of_file(record.id, with_vectors=True)
                items[original] = [_plain(row) for row in rows]
        indexes.close()
    return seconds, cpu, items


@dataclass(frozen=True)
class Recall:
    recall_at_10: float
    mrr: float
    first: int
    queries: int


def spoken_recall(models: ModelSet, items: dict[Path, list[Item]]) -> Recall:
    """Each English spoken caption's caption text as the query; relevant: that recording."""
    gallery = collection(items)
    bench = Bench(models, gallery, CalibrationTable.of(models.manifest))
    scores = Scores("spoken caption by its words", "transcript")
    for recording in spoken_with_captions(gallery):
        ranked, good = bench.ranked(text_query(media.caption(recording)))
        scores.add(ranked, {str(recording)}, good)
    first = sum(value == 1.0 for value in scores.reciprocal)
    return Recall(
        float(np.mean(scores.recall)), float(np.mean(scores.reciprocal)), first, len(scores.recall)
    )


def transcripts(items: list[Item]) -> str:
    return " / ".join(item.text or "" for item in items if item.kind is ItemKind.TRANSCRIPT)


def render(
    modes: list[Mode], recalls: dict[str, Recall], animals: list[Path], pack: str, effects: int
) -> str:
    off, on = modes
    speed_up = off.seconds["effects"] / on.seconds["effects"]
    met = "met" if speed_up >= TARGET_SPEED_UP else "NOT met"
    no_worse = recalls[on.name].recall_at_10 >= recalls[off.name].recall_at_10
    lines = [
        f"Measured {today()} on {machine()}, pack `{pack}`, command `{COMMAND}`.",
        "",
        "Indexing through the real pipeline (fresh data folder per way, after a warm-up), "
        "the same process and models; VAD off: Whisper hears every recording whole.",
        "",
        "| | VAD off | VAD on | speed-up | CPU s off | CPU s on | CPU speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("effects", f"{effects} sound effects"), ("spoken", "66 spoken captions")):
        ratio = off.seconds[name] / on.seconds[name]
        cpu_ratio = off.cpu[name] / on.cpu[name]
        lines.append(
            f"| {label} | {off.seconds[name]:.1f} s | {on.seconds[name]:.1f} s | {ratio:.2f}x | "
            f"{off.cpu[name]:.1f} | {on.cpu[name]:.1f} | {cpu_ratio:.2f}x |"
        )
    lines += [
        "",
        f"Target (issue 11): non-speech sounds index >= {TARGET_SPEED_UP:.0f}x faster with VAD: "
        f"{speed_up:.2f}x wall ({off.cpu['effects'] / on.cpu['effects']:.2f}x CPU), {met}. The "
        "sound model (Whisper tiny.en's encoder, one 30 s pass per clip) runs either way and "
        "is most of what is left with VAD on.",
        "",
        "Spoken captions found by their caption text (gallery: spoken captions and effects; "
        "planner with the shipped calibration):",
        "",
        "| | recall@10 | MRR | ranked first |",
        "|---|---:|---:|---:|",
    ]
    for mode in modes:
        found = recalls[mode.name]
        lines.append(
            f"| VAD {mode.name} | {found.recall_at_10:.3f} | {found.mrr:.3f} | "
            f"{found.first} of {found.queries} |"
        )
    lines += [
        "",
        f"Target: spoken-content recall no worse with VAD: {'met' if no_worse else 'NOT met'}.",
        "",
        "Transcripts on the 66 Tux Paint animal sounds (a voice is audible in none of them):",
        "",
    ]
    for mode in modes:
        heard = {
            path: transcripts(found)
            for path, found in mode.items.items()
            if path in animals and transcripts(found)
        }
        lines.append(f"- VAD {mode.name}: {len(heard)} of {len(animals)} with a transcript")
        lines += [
            f"  - `{path.relative_to(media.tux_stamps() / 'animals')}`: {text!r}"
            for path, text in sorted(heard.items())
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    manifest = load_manifest(pack_folder())
    models = ModelSet(manifest)
    if models.voice() is None:
        raise SystemExit(f"pack {manifest.root} has no voice activity model")
    effects, spoken = media.sound_effects(), media.spoken_captions("en")
    modes: list[Mode] = []
    with tempfile.TemporaryDirectory(prefix="trove-voice-") as scratch:
        base = Path(scratch)
        warm = base / "warm"
        warm.mkdir()
        for clip in media.speech_clips()[:3]:
            shutil.copyfile(clip.path, warm / clip.path.name)
        folders = {
            "effects": copied(effects, base / "effects"),
            "spoken": copied(spoken, base / "spoken"),
        }
        for name, on in (("off", False), ("on", True)):
            settings = ExtractSettings(voice_activity=on)
            seconds, cpu, items = index_each(models, settings, folders, warm, base / f"data-{name}")
            modes.append(Mode(name, settings, seconds, cpu, items))
            print(f"VAD {name}: wall {seconds}, CPU {cpu}", file=sys.stderr)
    recalls = {mode.name: spoken_recall(models, mode.items) for mode in modes}
    report = render(modes, recalls, media.animal_sounds(), manifest.name, len(effects))
    print(report)
    if not args.no_write:
        print(f"wrote {write_section('Voice activity', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Indexing speed: Trove's pipeline against a plain one, watch-to-searchable time, peak memory and
whole-query latency, all in one run on a folder of real media.

    .venv/bin/python -m tests.benchmarks.speed [--photos 240] [--drops 12] [--no-write]

What is measured
- Throughput: ``Trove`` (the facade the CLI uses, with a fresh ``--data-dir``) adds a folder of
  Tux Paint photos and indexes it, then a folder of animal sounds and espeak speech. The
  baseline, written below, is the straightforward pipeline: one file at a time, full decode
  (``Image.open().load()`` without draft mode, a full-resolution RGB convert; the whole sound
  file, then resampled), every encoder called with one item, no look-ahead, every file written
  to the same kind of catalog and vector indexes. Both produce the same kinds of items (photo
  vector + tags; sound windows + merged tags + transcript segments) from the same encoders. Each
  runs in its own child process after a warm-up on other files, so that both are timed with
  their model sessions open and neither pays the other's page faults.
- Peak memory: the maximum resident set of the child that indexed with Trove (``os.wait4``'s
  rusage: the child and any child of its own), whole life included (models, warm-up, both runs).
- Watch: ``Trove.watcher()`` on the indexed data; a photo not yet indexed is copied in and
  the clock stops when ``Trove.search("like:<the original>")`` lists the copy (the example file
  itself is outside every watched folder, so it cannot be excluded as its own query).
- Query latency: whole text queries through ``Trove.search`` (text encoding, every space,
  merging, catalog lookups). Index-only latency at 10k/100k/1M items is the ``Vector search``
  section, measured by ``tests.benchmarks.latency``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import soundfile as sf
import soxr
from PIL import Image

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, FileStatus, Item, ItemKind
from engine.facade import CATALOG_FILE, INDEX_FOLDER, Trove
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.inference.pack import find_pack, open_pack
from engine.inference.providers import Device, choose
from engine.scan.extract import ExtractSettings, merged_tags, with_vector
from engine.scan.pipeline import Progress, RunState, RunSummary
from engine.scan.watcher import WatchSettings
from tests import media
from tests.benchmarks import machine, today, write_section

COMMAND = ".venv/bin/python -m tests.benchmarks.speed"
SECTION = "Indexing"
TARGET_WATCH_S = 2.0
TARGET_PEAK_MIB = 1.5 * 1024
QUERY_ROUNDS = 3  # the round with the lowest p95 is shown, as in the Vector search section
WATCH_TIMEOUT_S = 20.0
POLL_S = 0.02
SOUND_SUFFIXES = (".ogg", ".wav")
T = TypeVar("T")
QUERIES_EXTRA = (
    "a dog barking",
    "birds singing in the morning",
    "the budget meeting has moved",
    "water the tomato plants",
    "a red sports car",
    "fish in the sea",
    "storm warning tonight",
    "a horse",
    "fruit and vegetables",
    "someone speaking about a birthday cake",
)


# --- the corpus ------------------------------------------------------------------------------


@dataclass
class Corpus:
    """Copies of real media in a scratch folder, each file's bytes unique in the whole corpus
    (a repeated file would be copied by content hash instead of embedded)."""

    photos: Path
    sounds: Path
    warm: Path  # one photo and one sound of other bytes, to open every model session
    spare: list[Path]  # photos outside the corpus, dropped in while watching
    captions: list[str]  # English captions of the corpus photos: realistic text queries
    photo_count: int = 0
    sound_count: int = 0
    sound_seconds: float = 0.0


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _unique(paths: Sequence[Path], seen: set[str]) -> Iterator[Path]:
    for path in paths:
        digest = _digest(path)
        if digest not in seen:
            seen.add(digest)
            yield path


def _spread(paths: Sequence[Path], count: int) -> list[Path]:
    """``count`` paths taken evenly across the sorted list, so every category is represented."""
    if count >= len(paths):
        return list(paths)
    picks = np.linspace(0, len(paths) - 1, count).round().astype(int)
    return [paths[index] for index in picks]


def _copy_into(paths: Sequence[Path], base: Path, folder: Path) -> None:
    for path in paths:
        target = folder / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def build_corpus(scratch: Path, photo_count: int, spare_count: int) -> Corpus:
    stamps = media.tux_stamps()
    seen: set[str] = set()
    candidates = list(_unique(media.stamp_images(photos_only=True), seen))
    chosen = _spread(candidates, photo_count)
    taken = set(chosen)
    rest = [path for path in candidates if path not in taken]
    spare, warm_photo = rest[:spare_count], rest[spare_count]
    sounds = list(_unique(media.animal_sounds(), seen))
    speech = list(_unique([clip.path for clip in media.speech_clips()], seen))
    warm_sound = next(_unique(media.spoken_captions(), seen))

    corpus = Corpus(
        photos=scratch / "media" / "photos",
        sounds=scratch / "media" / "sounds",
        warm=scratch / "media" / "warm",
        spare=spare,
        captions=[media.caption(path) for path in chosen],
    )
    _copy_into(chosen, stamps, corpus.photos)
    _copy_into(sounds, stamps, corpus.sounds / "animals")
    _copy_into(speech, speech[0].parent, corpus.sounds / "speech")
    corpus.warm.mkdir(parents=True)
    shutil.copyfile(warm_photo, corpus.warm / warm_photo.name)
    shutil.copyfile(warm_sound, corpus.warm / warm_sound.name)
    corpus.photo_count = len(chosen)
    corpus.sound_count = len(sounds) + len(speech)
    corpus.sound_seconds = sum(sf.info(str(path)).duration for path in sounds + speech)
    return corpus


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


# --- the two indexing runs, each in a child process ----------------------------------------------


@dataclass
class IndexRun:
    """One pipeline's timings on the corpus (seconds) and what it stored."""

    photo_s: float
    sound_s: float
    photo_cpu_s: float  # CPU seconds of the process (all its threads) over the same spans
    sound_cpu_s: float
    photo_files: int
    sound_files: int
    items: int
    failed: int
    stages: dict[str, float] = field(default_factory=dict)  # baseline only: where time went
    peak_mib: float = 0.0  # filled in by the parent from the child's rusage


def run_trove(corpus: Corpus, data: Path, pack: Path | None) -> IndexRun:
    with Trove(data, pack) as trove:
        trove.add_folder(corpus.warm)
        trove.index()

        def index(folder: Path) -> RunSummary:
            trove.add_folder(folder)
            return trove.index()

        (photo_s, sound_s), cpu, summaries = _timed(corpus, index)
        return IndexRun(
            photo_s=photo_s,
            sound_s=sound_s,
            photo_cpu_s=cpu[0],
            sound_cpu_s=cpu[1],
            photo_files=summaries[0].indexed,
            sound_files=summaries[1].indexed,
            items=sum(summary.items for summary in summaries),
            failed=sum(summary.failed for summary in summaries),
        )


def _timed(corpus: Corpus, index: Callable[[Path], T]) -> tuple[list[float], list[float], list[T]]:
    """Wall and CPU seconds of ``index`` on the photos, then the sounds, and what it returned."""
    timings, cpu, answers = [], [], []
    for folder in (corpus.photos, corpus.sounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        answers.append(index(folder))
        timings.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return timings, cpu, answers


class Stopwatch:
    """Seconds spent per named stage."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def timed(self, stage: str, work: Callable[[], T]) -> T:
        began = time.perf_counter()
        try:
            return work()
        finally:
            self.spent[stage] = self.spent.get(stage, 0.0) + time.perf_counter() - began


class Baseline:
    """The plain pipeline: walk, hash, decode whole, encode one item per call, write, repeat."""

    def __init__(self, data: Path, pack: Path | None) -> None:
        self.models = ModelSet(open_pack(pack), choose(Device.AUTO, 0))
        self.text = self.models.text()
        self.image = self.models.image()
        self.audio = self.models.audio()
        self.speech = self.models.speech()
        self.settings = ExtractSettings()
        data.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(data / CATALOG_FILE)
        self.indexes = SpaceIndexes(data / INDEX_FOLDER)
        self.indexes.open(self.catalog)
        self.clock = Stopwatch()
        self.items = 0

    def index_folder(self, folder: Path) -> int:
        root = self.catalog.add_root(folder)
        done = 0
        for path in _files(folder):
            kind = FileKind.AUDIO if path.suffix in SOUND_SUFFIXES else FileKind.PHOTO
            stat = path.stat()
            digest = self.clock.timed("hash", lambda: _digest(path))  # noqa: B023 - called now
            record = self.catalog.upsert_file(
                root.id,
                path.relative_to(folder).as_posix(),
                stat.st_size,
                stat.st_mtime_ns,
                digest,
                kind,
            )
            drafts = self._photo(path) if kind is FileKind.PHOTO else self._sound(path)
            items = self._embed_texts(drafts)
            self.clock.timed("write", lambda: self._write(record.id, items))  # noqa: B023
            self.items += len(items)
            done += 1
        self.indexes.save()
        return done

    def _write(self, file_id: int, items: list[Item]) -> None:
        self.indexes.apply(self.catalog.replace_items(file_id, items))

    def _photo(self, path: Path) -> list[Item]:
        def decode() -> Image.Image:
            with Image.open(path) as image:
                image.load()
                return image.convert("RGB")

        assert self.image is not None  # the dev pack has an image model
        picture = self.clock.timed("decode", decode)
        image = self.image
        vectors, tags = self.clock.timed(
            "image model", lambda: image.encode_with_tags([picture], self.settings.tags_per_image)
        )
        drafts = [Item(ItemKind.PHOTO, vectors={image.entry.id: vectors[0]})]
        floor = self.settings.min_tag_probability
        drafts += [Item(ItemKind.TAG, text=label, score=p) for label, p in tags[0] if p >= floor]
        return drafts

    def _sound(self, path: Path) -> list[Item]:
        assert self.audio is not None and self.speech is not None
        audio, speech = self.audio, self.speech
        rate = audio.sample_rate

        def decode() -> np.ndarray:
            samples, native = sf.read(str(path), dtype="float32", always_2d=True)
            return np.asarray(soxr.resample(samples.mean(axis=1), native, rate), np.float32)

        samples = self.clock.timed("decode", decode)
        windows = []
        for window in audio.windows(samples, rate):
            windows += self.clock.timed("audio model", lambda: list(audio.encode_stream([window])))  # noqa: B023
        space = audio.entry.id
        drafts = [
            Item(ItemKind.AUDIO_WINDOW, start=w.start, end=w.end, vectors={space: w.embedding})
            for w in windows
        ]
        drafts += merged_tags((w.start, w.end, w.tags) for w in windows)
        segments = self.clock.timed("speech model", lambda: speech.transcribe(samples, rate))
        drafts += [
            Item(ItemKind.TRANSCRIPT, start=s.start, end=s.end, text=s.text, language=s.language)
            for s in segments
            if s.text.strip()
        ]
        return drafts

    def _embed_texts(self, drafts: Sequence[Item]) -> list[Item]:
        items = []
        for draft in drafts:
            if draft.text:
                text = draft.text
                vector = self.clock.timed("text model", lambda: self.text.encode([text]))  # noqa: B023
                draft = with_vector(draft, self.text.entry.id, vector[0])
            items.append(draft)
        return items

    def close(self) -> None:
        self.indexes.close()
        self.catalog.close()


def run_baseline(corpus: Corpus, data: Path, pack: Path | None) -> IndexRun:
    baseline = Baseline(data, pack)
    try:
        baseline.index_folder(corpus.warm)
        baseline.clock = Stopwatch()
        baseline.items = 0
        (photo_s, sound_s), cpu, counts = _timed(corpus, baseline.index_folder)
        return IndexRun(
            photo_s=photo_s,
            sound_s=sound_s,
            photo_cpu_s=cpu[0],
            sound_cpu_s=cpu[1],
            photo_files=counts[0],
            sound_files=counts[1],
            items=baseline.items,
            failed=0,
            stages=baseline.clock.spent,
        )
    finally:
        baseline.close()


RUNNERS: dict[str, Callable[[Corpus, Path, Path | None], IndexRun]] = {
    "trove": run_trove,
    "baseline": run_baseline,
}


def in_child(which: str, corpus_file: Path, data: Path, pack: Path | None) -> IndexRun:
    """Run one pipeline in a fresh interpreter; its peak RSS comes from ``wait4``'s rusage."""
    command = [sys.executable, "-m", "tests.benchmarks.speed", "--child", which]
    command += ["--corpus", str(corpus_file), "--data", str(data)]
    if pack is not None:
        command += ["--pack", str(pack)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the {which} run failed with exit code {process.returncode}")
    run = IndexRun(**json.loads(output.decode().strip().splitlines()[-1]))
    run.peak_mib = usage.ru_maxrss / 1024  # KiB on Linux
    return run


# --- watching and querying, on the data Trove indexed -------------------------------------------


def _percentiles(values: Sequence[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def watch_latency(
    trove: Trove, corpus: Corpus, watching: threading.Event
) -> tuple[list[float], int]:
    """Seconds from each photo landing in the watched folder until a search lists it; and how
    many never showed up within the timeout. ``watching`` is set by the Trove's progress
    callback once the watcher has scanned everything."""
    root = next(root for root in trove.folders() if Path(root.path) == corpus.photos.resolve())
    times: list[float] = []
    missed = 0
    trove.start_watching()
    try:
        if not watching.wait(timeout=300):
            raise RuntimeError("the watcher never finished its first scan")
        for number, original in enumerate(corpus.spare):
            relpath = f"dropped_{number}{original.suffix}"
            target = corpus.photos / relpath
            began = time.perf_counter()
            shutil.copyfile(original, target)
            found = _wait_searchable(trove, root.id, relpath, original, target)
            if found is None:
                missed += 1
            else:
                times.append(found - began)
            time.sleep(0.3)  # let the watcher settle; the next drop is its own burst
    finally:
        trove.stop_watching()
    return times, missed


def _wait_searchable(
    trove: Trove, root_id: int, relpath: str, original: Path, target: Path
) -> float | None:
    deadline = time.perf_counter() + WATCH_TIMEOUT_S
    wanted = target.resolve()
    while time.perf_counter() < deadline:
        record = trove.catalog.file(root_id, relpath)
        # The cheap catalog check gates the search: an image encode per poll would slow the
        # watcher's own work on a two-core machine.
        if record is not None and record.status is FileStatus.INDEXED:
            hits = trove.search(f"like:{original}", limit=5).hits
            if any(hit.path == wanted for hit in hits):
                return time.perf_counter()
        time.sleep(POLL_S)
    return None


def query_latency(trove: Trove, queries: Sequence[str]) -> tuple[list[float], int]:
    """Milliseconds per whole text query (best round by p95) and how many had a hit."""
    answered = sum(1 for query in queries if trove.search(query, limit=20).hits)  # warm-up
    rounds = []
    for _ in range(QUERY_ROUNDS):
        times = []
        for query in queries:
            began = time.perf_counter()
            trove.search(query, limit=20)
            times.append((time.perf_counter() - began) * 1e3)
        rounds.append(times)
    return min(rounds, key=lambda times: _percentiles(times)[1]), answered


# --- report ------------------------------------------------------------------------------------


@dataclass
class Figures:
    corpus: Corpus
    trove: IndexRun
    baseline: IndexRun
    watch_s: list[float]
    watch_missed: int
    query_ms: list[float]
    queries_answered: int
    load_before: float
    load_after: float
    seconds: float

    @property
    def minutes(self) -> float:
        return self.corpus.sound_seconds / 60


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def _rates(run: IndexRun, figures: Figures) -> tuple[float, float]:
    return figures.corpus.photo_count / run.photo_s, figures.minutes / run.sound_s


def table(figures: Figures) -> str:
    ours_photo, ours_sound = _rates(figures.trove, figures)
    base_photo, base_sound = _rates(figures.baseline, figures)
    watch50, watch95 = _percentiles(figures.watch_s) if figures.watch_s else (np.nan, np.nan)
    query50, query95 = _percentiles(figures.query_ms)
    watch_ok = bool(figures.watch_s) and watch95 < TARGET_WATCH_S and figures.watch_missed == 0
    rows = [
        (
            "photos/s",
            f"{ours_photo:.1f}",
            f"{base_photo:.1f}",
            f"{ours_photo / base_photo:.2f}x",
            "",
            "",
        ),
        (
            "audio minutes/s",
            f"{ours_sound:.3f}",
            f"{base_sound:.3f}",
            f"{ours_sound / base_sound:.2f}x",
            "",
            "",
        ),
        (
            "peak RSS MiB while indexing",
            f"{figures.trove.peak_mib:.0f}",
            f"{figures.baseline.peak_mib:.0f}",
            "",
            f"< {TARGET_PEAK_MIB:.0f}",
            _met(figures.trove.peak_mib < TARGET_PEAK_MIB),
        ),
        (
            f"watched photo -> searchable, p50 / p95 s (n={len(figures.watch_s)})",
            f"{watch50:.2f} / {watch95:.2f}",
            "",
            "",
            f"p95 < {TARGET_WATCH_S:.0f}",
            _met(watch_ok),
        ),
        (
            f"text query p50 / p95 ms (n={len(figures.query_ms)})",
            f"{query50:.1f} / {query95:.1f}",
            "",
            "",
            "",
            "",
        ),
    ]
    lines = [
        "| measure | Trove | baseline | ours / baseline | target | met |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(figures: Figures, pack: Path) -> str:
    corpus, ours, base = figures.corpus, figures.trove, figures.baseline
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(base.stages.items()))
    items = f"{ours.items} items stored by Trove, {base.items} by the baseline"
    return f"""
- Date: {today()}
- Machine: {machine()}; load average {figures.load_before:.1f} before, \
{figures.load_after:.1f} after (1-minute)
- Command: `{COMMAND}` (pack `{pack}`, {figures.seconds:.0f} s in all)
- Corpus (copied to a scratch folder, every file's bytes unique): {corpus.photo_count} Tux Paint \
photos (PNG, spread over all categories) and {corpus.sound_count} sound files, \
{corpus.sound_seconds / 60:.2f} minutes (animal sounds, OGG; espeak sentences, 16 kHz WAV); \
{items}; {ours.failed} failures.
- Throughput: wall time of `Trove.add_folder` + `Trove.index()` (scan, hash, decode, models, \
catalog, vector indexes, final save) in a child process with its model sessions opened by a \
warm-up folder first; photos and sounds are separate folders, timed apart \
(wall: Trove {ours.photo_s:.1f} s + {ours.sound_s:.1f} s, baseline {base.photo_s:.1f} s + \
{base.sound_s:.1f} s; CPU of the process over the same spans, less disturbed by other work on a \
shared machine: Trove {ours.photo_cpu_s:.1f} s + {ours.sound_cpu_s:.1f} s, baseline \
{base.photo_cpu_s:.1f} s + {base.sound_cpu_s:.1f} s). Trove runs first, then the baseline.
  The baseline is `Baseline` in the script: one file at a time, full \
decode (no JPEG draft; these PNGs have no draft mode anyway), every encoder called with one \
item, no look-ahead, tag labels embedded per item, the same catalog and indexes. Where its time \
went: {stages}.
- Peak RSS: `ru_maxrss` of each child (`os.wait4`), whole life: models, warm-up, both folders.
- Watch: `Trove.watcher()` on the indexed data, {len(corpus.spare)} photos copied in one at a \
time; the clock runs from the copy until `Trove.search("like:<original>")` lists the copy \
({figures.watch_missed} not found within {WATCH_TIMEOUT_S:.0f} s). The watcher waits for \
{WatchSettings().quiet:.1f} s of quiet after the last event before it indexes \
(`WatchSettings.quiet`).
- Query latency: {len(figures.query_ms)} whole text queries through `Trove.search` (query \
encoding, every space, merging, catalog lookups) on the indexed corpus; captions of the indexed \
photos and a few sound and speech phrases; {figures.queries_answered} of them had a hit; best \
of {QUERY_ROUNDS} rounds by p95. Latency of the vector indexes alone at 10k, 100k and 1M items \
(the issue's 50 ms / 100 ms targets) is in the `Vector search` section above, measured by \
`tests.benchmarks.latency`.

{table(figures)}
"""


# --- main ------------------------------------------------------------------------------------


def _corpus_json(corpus: Corpus) -> str:
    return json.dumps(asdict(corpus), default=str)


def _corpus_from(path: Path) -> Corpus:
    raw = json.loads(path.read_text())
    corpus = Corpus(**raw)
    for name in ("photos", "sounds", "warm"):
        setattr(corpus, name, Path(getattr(corpus, name)))
    corpus.spare = [Path(spare) for spare in corpus.spare]
    return corpus


def _pack(explicit: str | None) -> Path | None:
    return Path(explicit) if explicit else None


def measure(photos: int, drops: int, pack: Path | None, scratch: Path) -> Figures:
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    corpus = build_corpus(scratch, photos, drops)
    corpus_file = scratch / "corpus.json"
    corpus_file.write_text(_corpus_json(corpus))
    for path in _files(scratch / "media"):
        path.read_bytes()  # page cache warm for both runs alike
    print(f"corpus: {corpus.photo_count} photos, {corpus.sound_seconds / 60:.2f} min of sound")
    ours = in_child("trove", corpus_file, scratch / "trove-data", pack)
    print(f"trove: {ours.photo_s:.1f} s photos, {ours.sound_s:.1f} s sounds")
    base = in_child("baseline", corpus_file, scratch / "baseline-data", pack)
    print(f"baseline: {base.photo_s:.1f} s photos, {base.sound_s:.1f} s sounds")
    watching = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.state is RunState.WATCHING:
            watching.set()

    with Trove(scratch / "trove-data", pack, on_progress=on_progress) as trove:
        queries = corpus.captions[:: max(1, len(corpus.captions) // 40)] + list(QUERIES_EXTRA)
        query_ms, answered = query_latency(trove, queries)
        print(f"queries: p50/p95 {_percentiles(query_ms)}")
        watch_s, missed = watch_latency(trove, corpus, watching)
    return Figures(
        corpus,
        ours,
        base,
        watch_s,
        missed,
        query_ms,
        answered,
        load_before,
        os.getloadavg()[0],
        time.perf_counter() - began,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=240, help="Tux Paint photos to index")
    parser.add_argument("--drops", type=int, default=12, help="photos dropped while watching")
    parser.add_argument("--pack", help="model pack folder (default: TROVE_PACK or the dev pack)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pack = _pack(args.pack or os.environ.get("TROVE_PACK"))
    if args.child:
        run = RUNNERS[args.child](_corpus_from(Path(args.corpus)), Path(args.data), pack)
        print(json.dumps(asdict(run)))
        return 0
    with tempfile.TemporaryDirectory(prefix="trove-speed-") as scratch:
        figures = measure(args.photos, args.drops, pack, Path(scratch))
    print(table(figures))
    if not args.no_write:
        shown_pack = find_pack(pack)
        path = write_section(SECTION, report(figures, shown_pack))
        print(f"wrote the {SECTION} section of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

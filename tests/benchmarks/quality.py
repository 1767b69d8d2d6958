"""Search quality on real media: retrieval benchmarks, calibration fitting, EVALUATION.md.

    .venv/bin/python -m tests.benchmarks.quality [--no-write] [--write-calibration]

Everything runs in memory with the pack's real encoders (``$TROVE_PACK``, default the dev pack),
the pipeline's :class:`~engine.scan.extract.Extractor` and the search planner; no catalog or
FAISS index is involved, so the figures measure models + ranking only. Extracted items are
cached per file under ``~/.cache/trove/quality/<pack>`` so a second run takes seconds.

Benchmarks (Tux Paint stamps, see /work/shared/guide/DATA.md):
- image by example: every stamp image of a folder with 8+ images is a query; the other images
  of its folder are relevant; the gallery is every stamp image.
- caption -> image: each stamp's English caption; relevant: that stamp. Gallery as above.
- sound by example: sound effects cut in 2-3 pieces; a piece is the query, the other pieces of
  the same sound are relevant; the gallery is every piece of every sound effect.
- spoken captions: the English caption text finds its recorded ``*_desc.ogg`` by the words
  Whisper heard; gallery: spoken captions and all sound effects (also transcribed).
- multilingual: the same two text benchmarks with the es/fr/de translations as queries.
- no good match: out-of-domain queries that should return nothing.

Calibration (see :mod:`engine.search.calibration`) is fitted per route key on relevant vs
irrelevant pairs of the same media, on one half of the queries, and checked on the other half;
``--write-calibration`` then fits on all queries and writes the table into calibration.py.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from engine.catalog.records import FileKind, Item
from engine.inference.models import ModelSet
from engine.scan.extract import Extractor
from engine.search.calibration import Calibration, CalibrationTable, fit, key
from engine.search.planner import Planner, PlannerSettings, raw_value
from engine.search.probes import ModelProbes
from engine.search.query import ExamplePart, Query, TextPart
from engine.search.results import ROUTE_OF_ITEM, Route
from models.manifest import load_manifest
from models.sources import cache_root
from tests import media
from tests.benchmarks.encoders import pack_folder
from tests.engine.search.memory import MemoryCollection, StoredProbes, kind_of

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "EVALUATION.md"
CALIBRATION_FILE = ROOT / "engine" / "search" / "calibration.py"
COMMAND = ".venv/bin/python -m tests.benchmarks.quality"
LANGUAGES = ("es", "fr", "de")
BOOTSTRAP = 2000
SEED = 7
OUT_OF_DOMAIN = (
    "quarterly tax return",
    "mortgage interest rate",
    "kernel panic stack trace",
    "password reset instructions",
    "differential equations homework",
    "shareholder meeting minutes",
    "insurance claim form",
    "python syntax error",
    "invoice number 4471",
    "wifi router firmware update",
    "parliamentary budget debate",
    "chemistry lab safety rules",
)


# --- extraction with a cache ----------------------------------------------------------------------


class Cache:
    """Extracted items per file, pickled under a folder named by the pack's content."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def items(
        self, extractor: Extractor, paths: Sequence[Path], tag: str
    ) -> dict[Path, list[Item]]:
        store = self.folder / f"{tag}.pickle"
        known: dict[str, list[Item]] = {}
        if store.is_file():
            try:
                known = pickle.loads(store.read_bytes())
            except (AttributeError, ImportError, pickle.UnpicklingError, EOFError):
                known = {}  # made by an older item record: extracted again
        missing = [path for path in paths if str(path) not in known]
        for start in range(0, len(missing), 16):
            chunk = missing[start : start + 16]
            decoded = [extractor.decode(path, _kind(path)) for path in chunk]
            for path, items in zip(chunk, extractor.embed(decoded), strict=True):
                known[str(path)] = items
            print(f"  {tag}: {start + len(chunk)}/{len(missing)} extracted", file=sys.stderr)
        if missing:
            store.write_bytes(pickle.dumps(known))
        return {path: known[str(path)] for path in paths}


def _kind(path: Path) -> FileKind:
    kind = kind_of(path)
    if kind is None:
        raise ValueError(f"{path}: unknown kind")
    return kind


def collection(items: dict[Path, list[Item]]) -> MemoryCollection:
    result = MemoryCollection()
    for path, found in items.items():
        result.add(path, _kind(path), found)
    return result


# --- media ----------------------------------------------------------------------------------------


def sound_cuts(folder: Path) -> dict[Path, list[Path]]:
    """Each sound effect cut into 3 pieces (2 when under 1.5 s, 1 when under 0.6 s)."""
    folder.mkdir(parents=True, exist_ok=True)
    cuts: dict[Path, list[Path]] = {}
    for sound in media.sound_effects():
        samples, rate = soundfile.read(str(sound), dtype="float32", always_2d=True)
        seconds = len(samples) / rate
        count = 3 if seconds >= 1.5 else 2 if seconds >= 0.6 else 1
        stem = sound.relative_to(media.tux_stamps()).with_suffix("").as_posix().replace("/", "-")
        pieces = []
        for index, part in enumerate(np.array_split(samples, count)):
            target = folder / f"{stem}-cut{index}.wav"
            if not target.is_file():
                soundfile.write(str(target), part, rate)
            pieces.append(target)
        cuts[sound] = pieces
    return cuts


def caption_notes(folder: Path, images: Iterable[Path]) -> dict[Path, Path]:
    """Each stamp's English caption written as a small note file."""
    folder.mkdir(parents=True, exist_ok=True)
    notes = {}
    for image in images:
        stem = image.relative_to(media.tux_stamps()).with_suffix("").as_posix().replace("/", "-")
        target = folder / f"{stem}.txt"
        text = media.caption(image) + "\n"
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
        notes[image] = target
    return notes


# --- metrics --------------------------------------------------------------------------------------


@dataclass
class Scores:
    """Per-query metrics of one benchmark."""

    name: str
    route: str
    recall: list[float] = field(default_factory=list)
    reciprocal: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    good_top: list[float] = field(default_factory=list)  # top hit relevant and a good match

    def add(self, ranked: Sequence[str], relevant: set[str], top_is_good: bool) -> None:
        hits = [index for index, path in enumerate(ranked) if path in relevant]
        self.recall.append(len([i for i in hits if i < 10]) / min(len(relevant), 10))
        self.reciprocal.append(1.0 / (hits[0] + 1) if hits else 0.0)
        precisions = [(n + 1) / (rank + 1) for n, rank in enumerate(hits)]
        self.precision.append(sum(precisions) / len(relevant))
        self.good_top.append(float(bool(hits) and hits[0] == 0 and top_is_good))


def interval(values: Sequence[float], rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean and 95 % percentile-bootstrap interval over queries."""
    data = np.asarray(values, dtype=np.float64)
    picks = rng.integers(0, len(data), size=(BOOTSTRAP, len(data)))
    means = data[picks].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(data.mean()), float(low), float(high)


# --- running queries through the planner ----------------------------------------------------------


class Bench:
    def __init__(self, models: ModelSet, gallery: MemoryCollection, table: CalibrationTable):
        text_probes = ModelProbes(models, kind_of=kind_of)
        self.probes = StoredProbes(gallery, text_probes.for_text)
        self.gallery = gallery
        size = len(gallery.paths())
        # Rank every file: k covers the largest space, the floor is off for measuring.
        settings = PlannerSettings(k=100_000, floor=0.0)
        self.ranker = Planner(self.probes, gallery, gallery, table, settings)
        self.app = Planner(self.probes, gallery, gallery, table, PlannerSettings(k=1024))
        self.size = size

    def ranked(self, query: Query) -> tuple[list[str], bool]:
        result = self.ranker.search(query, limit=self.size)
        return [str(hit.path) for hit in result.hits], not result.no_good_match

    def app_hits(self, query: Query) -> int:
        return len(self.app.search(query, limit=20).hits)


def text_query(text: str) -> Query:
    return Query((TextPart(text),))


def example_query(path: Path) -> Query:
    return Query((ExamplePart(path),))


# --- calibration pairs ----------------------------------------------------------------------------


@dataclass
class Pairs:
    """Raw best-evidence scores of (query, file) pairs for one route key, by query group."""

    relevant: dict[int, list[float]] = field(default_factory=dict)
    irrelevant: dict[int, list[float]] = field(default_factory=dict)

    def add(self, group: int, relevant: bool, value: float) -> None:
        target = self.relevant if relevant else self.irrelevant
        target.setdefault(group, []).append(value)

    def half(self, parity: int | None) -> tuple[list[float], list[float]]:
        def take(found: dict[int, list[float]]) -> list[float]:
            return [v for g, vs in found.items() if parity is None or g % 2 == parity for v in vs]

        return take(self.relevant), take(self.irrelevant)


def raw_by_file(
    gallery: MemoryCollection, bench: Bench, query: Query, route: Route
) -> dict[str, float]:
    """The best raw score per file for one route, from the same probes the planner uses."""
    part = query.parts[0]
    made = (
        bench.probes.for_text(part.text)
        if isinstance(part, TextPart)
        else bench.probes.for_example(part)
    )
    best: dict[str, float] = {}
    for probe in made.probes:
        if route not in probe.routes:
            continue
        scores, ids = gallery.search(probe.space, probe.vector[None, :], 1_000_000)
        rows = {row.id: row for row in gallery.items([int(i) for i in ids[0]])}
        for raw, item_id in zip(scores[0], ids[0], strict=True):
            row = rows[int(item_id)]
            if ROUTE_OF_ITEM[row.kind] is not route:
                continue
            path = str(Path(row.root_path) / row.file.relpath)
            value = raw_value(route, float(raw), row.score)
            best[path] = max(best.get(path, -1.0), value)
    return best


@dataclass(frozen=True)
class Fitted:
    key: str
    calibration: Calibration
    pairs: tuple[int, int]
    held_out_recall: float  # relevant pairs over the threshold (half-fit, other half)
    held_out_false: float  # irrelevant pairs over it


def fit_pairs(name: str, pairs: Pairs) -> Fitted:
    rel_a, irr_a = pairs.half(0)
    rel_b, irr_b = pairs.half(1)
    half = fit(rel_a, irr_a)
    full_rel, full_irr = pairs.half(None)
    return Fitted(
        name,
        fit(full_rel, full_irr),
        (len(full_rel), len(full_irr)),
        float(np.mean(np.asarray(rel_b) >= half.threshold)),
        float(np.mean(np.asarray(irr_b) >= half.threshold)),
    )


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Run:
    models: ModelSet
    table: CalibrationTable
    cache: Cache
    scores: list[Scores] = field(default_factory=list)
    fitted: list[Fitted] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    out_of_domain: list[tuple[str, str, int]] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not write EVALUATION.md")
    parser.add_argument(
        "--write-calibration", action="store_true", help="write the fitted table to calibration.py"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = load_manifest(pack_folder())
    models = ModelSet(manifest)
    digest = hashlib.sha256(
        "".join(sorted(f.sha256 for e in manifest.models for f in e.files.values())).encode()
    ).hexdigest()[:12]
    cache = Cache(cache_root() / "quality" / f"{manifest.name}-{digest}")
    run = Run(models, CalibrationTable(), cache)

    extractor = Extractor(models, note_reader=lambda path: path.read_text(encoding="utf-8"))
    listener = Extractor(models)
    listener.speech = None  # sound cuts: windows only, no transcription needed

    images = media.stamp_images()
    image_items = cache.items(extractor, images, "images")
    sounds = media.sound_effects()
    spoken = media.spoken_captions("en")
    audio_items = cache.items(extractor, [*sounds, *spoken], "audio")
    cuts = sound_cuts(cache.folder / "cuts")
    cut_items = cache.items(listener, [p for ps in cuts.values() for p in ps], "cuts")
    notes = caption_notes(cache.folder / "notes", images)
    note_items = cache.items(extractor, list(notes.values()), "notes")
    extracted = time.perf_counter() - started

    image_gallery, audio_gallery = collection(image_items), collection(audio_items)
    cut_gallery, note_gallery = collection(cut_items), collection(note_items)

    # Pass 1: pairs for the calibration, fitted per route key.
    pair_sets = calibration_pairs(
        run, image_gallery, audio_gallery, cut_gallery, note_gallery, cuts, notes
    )
    for name, pairs in pair_sets.items():
        run.fitted.append(fit_pairs(name, pairs))
    run.table = CalibrationTable({f.key: f.calibration for f in run.fitted})

    # Pass 2: the benchmarks, ranked by the planner with the fitted table.
    benchmarks(run, image_gallery, audio_gallery, cut_gallery, note_gallery, cuts)
    run.facts.append(
        f"{len(images)} stamp images, {len(sounds)} sound effects ({sum(map(len, cuts.values()))} "
        f"cuts), {len(spoken)} English spoken captions, {len(notes)} caption notes; extraction "
        f"{extracted:.0f} s (cached after the first run), "
        f"total {time.perf_counter() - started:.0f} s"
    )
    report = render(run, manifest.name)
    print(report)
    if not args.no_write:
        REPORT.write_text(report)
        print(f"wrote {REPORT}", file=sys.stderr)
    if args.write_calibration:
        write_calibration({f.key: f.calibration for f in run.fitted})
        print(f"wrote {CALIBRATION_FILE}", file=sys.stderr)
    return 0


def spoken_with_captions(gallery: MemoryCollection) -> list[Path]:
    """The gallery's English spoken captions that have a caption file (a few lack one)."""
    found = []
    for path in map(Path, gallery.paths()):
        if path.stem.endswith("_desc"):
            try:
                media.captions(path)
            except OSError:
                continue
            found.append(path)
    return found


def top_folder(path: Path) -> str:
    return path.relative_to(media.tux_stamps()).parts[0]


def calibration_pairs(
    run: Run,
    images: MemoryCollection,
    audio: MemoryCollection,
    cuts_gallery: MemoryCollection,
    notes_gallery: MemoryCollection,
    cuts: dict[Path, list[Path]],
    notes: dict[Path, Path],
) -> dict[str, Pairs]:
    """Relevant vs irrelevant raw scores per route key. Irrelevant = another top-level folder
    (animals vs vehicles...), so near-relatives in a sibling folder count as neither."""
    models = run.models
    text_space = models.text().entry.id
    pairs: dict[str, Pairs] = {}
    image_model = models.image()
    stamps = [Path(p) for p in images.paths()]
    folder_of = {str(p): p.parent for p in stamps}
    top_of = {str(p): top_folder(p) for p in stamps}
    groups = {name: index for index, name in enumerate(sorted({p.parent for p in stamps}))}
    bench = Bench(models, images, run.table)
    rng = np.random.default_rng(SEED)
    if image_model is not None:
        found = pairs.setdefault(key(image_model.entry.id, "image", Route.VISUAL), Pairs())
        for members in media.categories().values():
            for image in members[:6]:
                best = raw_by_file(images, bench, example_query(image), Route.VISUAL)
                _add_pairs(found, groups[image.parent], image, best, folder_of, top_of, rng)
    tags = pairs.setdefault(key(text_space, "text", Route.TAG), Pairs())
    for image in stamps:
        best = raw_by_file(images, bench, text_query(media.caption(image)), Route.TAG)
        own = {str(image)}
        _add_single(tags, groups[image.parent], own, best, top_of, top_of[str(image)], rng)
    spoken = spoken_with_captions(audio)
    audio_bench = Bench(models, audio, run.table)
    transcripts = pairs.setdefault(key(text_space, "text", Route.TRANSCRIPT), Pairs())
    for index, recording in enumerate(spoken):
        best = raw_by_file(
            audio, audio_bench, text_query(media.caption(recording)), Route.TRANSCRIPT
        )
        for path, value in best.items():
            transcripts.add(index, path == str(recording), value)
    note_bench = Bench(models, notes_gallery, run.table)
    note_pairs = pairs.setdefault(key(text_space, "text", Route.NOTE), Pairs())
    note_folder = {str(note): image.parent for image, note in notes.items()}
    named = sorted({folder for folder in note_folder.values() if folder.name != "cartoon"})
    for index, folder in enumerate(named):
        best = raw_by_file(notes_gallery, note_bench, text_query(folder.name), Route.NOTE)
        for path, value in best.items():
            note_pairs.add(index, note_folder[path] == folder, value)
    audio_model = models.audio()
    if audio_model is not None:
        cut_bench = Bench(models, cuts_gallery, run.table)
        sound_pairs = pairs.setdefault(key(audio_model.entry.id, "audio", Route.SOUND), Pairs())
        for index, pieces in enumerate(p for p in cuts.values() if len(p) > 1):
            best = raw_by_file(cuts_gallery, cut_bench, example_query(pieces[0]), Route.SOUND)
            own = {str(p) for p in pieces[1:]}
            for path, value in best.items():
                if path != str(pieces[0]):
                    sound_pairs.add(index, path in own, value)
    return pairs


def _add_pairs(
    found: Pairs,
    group: int,
    query: Path,
    best: dict[str, float],
    folder_of: dict[str, Path],
    top_of: dict[str, str],
    rng: np.random.Generator,
) -> None:
    for path, value in best.items():
        if path == str(query):
            continue
        if folder_of[path] == query.parent:
            found.add(group, True, value)
        elif top_of[path] != top_of[str(query)] and rng.random() < 0.2:
            found.add(group, False, value)  # a sample keeps the fit quick and the classes sane


def _add_single(
    found: Pairs,
    group: int,
    own: set[str],
    best: dict[str, float],
    top_of: dict[str, str],
    top: str,
    rng: np.random.Generator,
) -> None:
    for path, value in best.items():
        if path in own:
            found.add(group, True, value)
        elif top_of[path] != top and rng.random() < 0.2:
            found.add(group, False, value)


def benchmarks(
    run: Run,
    images: MemoryCollection,
    audio: MemoryCollection,
    cuts_gallery: MemoryCollection,
    notes_gallery: MemoryCollection,
    cuts: dict[Path, list[Path]],
) -> None:
    models = run.models
    image_bench = Bench(models, images, run.table)
    audio_bench = Bench(models, audio, run.table)
    stamps = [Path(p) for p in images.paths()]
    if models.image() is not None:
        scores = Scores("image by example (same folder)", "visual (image space)")
        for members in media.categories().values():
            for image in members:
                ranked, good = image_bench.ranked(example_query(image))
                scores.add(ranked, {str(p) for p in members if p != image}, good)
        run.scores.append(scores)
        run.facts.append(f"image by example: {len(media.categories())} folders with 8+ images")
    own_image = Scores("caption -> its image", "tag (dev) / visual (release)")
    same_folder = Scores("caption -> image of its folder", "tag (dev) / visual (release)")
    for image in stamps:
        ranked, good = image_bench.ranked(text_query(media.caption(image)))
        own_image.add(ranked, {str(image)}, good)
        folder = {str(p) for p in stamps if p.parent == image.parent}
        same_folder.add(ranked, folder, good)
    run.scores += [own_image, same_folder]
    if models.audio() is not None:
        cut_bench = Bench(models, cuts_gallery, run.table)
        sound = Scores("sound by example (cuts of one sound)", "sound (audio space)")
        animals = {str(p) for p in media.animal_sounds()}
        for source, pieces in cuts.items():
            if str(source) not in animals or len(pieces) < 2:
                continue
            for piece in pieces:
                ranked, good = cut_bench.ranked(example_query(piece))
                sound.add(ranked, {str(p) for p in pieces if p != piece}, good)
        run.scores.append(sound)
    spoken = spoken_with_captions(audio)
    said = Scores("spoken caption by its words (English)", "transcript")
    first = timed = 0
    for recording in spoken:
        query = text_query(media.caption(recording))
        ranked, good = audio_bench.ranked(query)
        said.add(ranked, {str(recording)}, good)
        top = audio_bench.ranker.search(query, limit=1).hits
        if top and top[0].path == recording:
            first += 1
            timed += top[0].start is not None and top[0].end is not None
    run.scores.append(said)
    run.facts.append(
        f"spoken captions: {first} of {len(spoken)} ranked first, "
        f"{timed} of those with start/end seconds"
    )
    for language in LANGUAGES:
        tongue = Scores(f"caption -> its image, {language} query", "tag (dev)")
        for image in stamps:
            text = media.captions(image).get(language)
            if text:
                ranked, good = image_bench.ranked(text_query(text))
                tongue.add(ranked, {str(image)}, good)
        heard = Scores(f"spoken caption by its words, {language} query", "transcript")
        for recording in spoken:
            text = media.captions(recording).get(language)
            if text:
                ranked, good = audio_bench.ranked(text_query(text))
                heard.add(ranked, {str(recording)}, good)
        run.scores += [tongue, heard]
    note_bench = Bench(models, notes_gallery, run.table)
    for text in OUT_OF_DOMAIN:
        for name, bench in (("images", image_bench), ("audio", audio_bench), ("notes", note_bench)):
            run.out_of_domain.append((text, name, bench.app_hits(text_query(text))))


# --- report ---------------------------------------------------------------------------------------


def render(run: Run, pack: str) -> str:
    rng = np.random.default_rng(SEED)
    lines = [
        "# Search quality",
        "",
        f"Written by `{COMMAND}` on pack `{pack}`. Do not edit by hand.",
        "",
        "## Method",
        "",
        "Every benchmark runs the real encoders of the pack on real media (Tux Paint stamps,",
        "Debian `tuxpaint-stamps-default`, GPL-2), stores what the pipeline's `Extractor` makes",
        "in an in-memory exact index, and ranks every file with the search planner (one hit per",
        "file, best evidence wins). Metrics per query, then averaged: **recall@10** = relevant",
        "files in the top 10 / min(10, relevant files); **MRR** = 1 / rank of the first relevant",
        "file; **mAP** = mean over queries of average precision over the whole ranking;",
        "**good@1** = the top hit is relevant *and* passes its calibrated threshold. The",
        f"intervals are 95 % percentile bootstraps over queries ({BOOTSTRAP} resamples).",
        "",
        "## Results",
        "",
        "| benchmark | route | queries | recall@10 | MRR | mAP | good@1 |",
        "|---|---|---:|---|---|---|---|",
    ]
    for scores in run.scores:
        if not scores.recall:
            continue
        cells = [
            "{:.3f} [{:.3f}, {:.3f}]".format(*interval(values, rng))
            for values in (scores.recall, scores.reciprocal, scores.precision, scores.good_top)
        ]
        lines.append(
            f"| {scores.name} | {scores.route} | {len(scores.recall)} | " + " | ".join(cells) + " |"
        )
    lines += ["", *[f"- {fact}" for fact in run.facts], ""]
    lines += [
        "## Calibration",
        "",
        *CALIBRATION_METHOD.splitlines(),
        "",
        "| route key | slope | threshold (raw) | pairs (rel / irr) | held-out recall "
        "| held-out false rate |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for fitted in run.fitted:
        line = fitted.calibration
        lines.append(
            f"| `{fitted.key}` | {line.slope:.2f} | {line.threshold:.4f} "
            f"| {fitted.pairs[0]} / {fitted.pairs[1]} | {fitted.held_out_recall:.3f} "
            f"| {fitted.held_out_false:.4f} |"
        )
    empty = sum(1 for _, _, hits in run.out_of_domain if hits == 0)
    lines += [
        "",
        "## No good match",
        "",
        f"{len(OUT_OF_DOMAIN)} out-of-domain queries (tax returns, kernel panics...) against the",
        f"image, audio and note galleries: {empty} of {len(run.out_of_domain)} searches returned",
        "no hit (`no_good_match=True`), as they should.",
        "",
    ]
    lines += [
        f"- returned hits: `{text}` on {name}: {hits}"
        for text, name, hits in run.out_of_domain
        if hits
    ]
    lines += ["", *routes_text()]
    return "\n".join(lines) + "\n"


CALIBRATION_METHOD = """\
Method (module docstring of `engine/search/calibration.py`): per route key, the raw
best-evidence score of (query, file) pairs, relevant vs irrelevant (irrelevant = a file from
another top-level Tux Paint folder, sampled), is fitted by a class-balanced logistic regression
(slope) and a threshold = max(its 50 % point, the 99.5th percentile of irrelevant pairs).
Calibrated score = sigmoid(slope * (raw - threshold)), so 0.5 is the good-match line in every
space. Held-out columns: fitted on the queries of even groups (folders, recordings), measured on
the odd ones. Pairs: image = same folder vs another top-level folder; tag = caption vs its own
image; transcript = caption vs its own spoken caption; note = folder name ("cats", "fruit") vs
the captions of that folder; sound = a cut vs the other cuts of the same sound effect."""

ROUTES = (
    (
        "text",
        "photos/frames by look (image-text)",
        "**not served** (no image-text model)",
        "UForm3",
    ),
    ("text", "photos/frames by ImageNet tags", "EfficientNet-Lite0 labels + MiniLM", "ResNet50"),
    ("text", "sounds by AudioSet tags", "**not served** (Whisper encoder: no labels)", "CNN14"),
    ("text", "transcripts, with seconds", "Whisper tiny.en + MiniLM", "Whisper + arctic"),
    ("text", "notes (chunks)", "MiniLM", "arctic-embed"),
    ("non-English text", "all text routes", "English-only MiniLM (es/fr/de rows)", "UForm3 multi"),
    ("photo example", "image space", "EfficientNet-Lite0", "ResNet50 + UForm3 image tower"),
    ("audio example", "audio space + its transcript", "Whisper-encoder embedding", "CNN14"),
    ("video example", "frames + sound track", "as photo + audio", "as photo + audio"),
    ("note example", "text space", "MiniLM", "arctic-embed"),
)


def routes_text() -> list[str]:
    lines = [
        "## Routes: what the dev pack serves, what waits for the release pack",
        "",
        "| query | route | dev pack | release pack |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in ROUTES]
    return lines + [
        "",
        "Route keys without a fitted calibration (every release-pack space, until this script",
        "runs on that pack where its weights are) use cautious defaults, and the planner says so",
        "in `notes`. Re-fit with `--write-calibration` after changing any model.",
    ]


def write_calibration(fitted: dict[str, Calibration]) -> None:
    body = "\n".join(
        f'    "{name}": Calibration(slope={c.slope:.4f}, threshold={c.threshold:.4f}),'
        for name, c in sorted(fitted.items())
    )
    table = f"FITTED: Mapping[str, Calibration] = {{\n{body}\n}}"
    text = CALIBRATION_FILE.read_text()
    pattern = re.compile(r"(# BEGIN FITTED\n).*?(\n# END FITTED)", re.S)
    CALIBRATION_FILE.write_text(pattern.sub(lambda m: m.group(1) + table + m.group(2), text))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Near-duplicates on copies made from real media: the line per space, and how well it holds.

    .venv/bin/python -m tests.benchmarks.duplicates [--no-write] [--write-calibration] [--sample N]

Copies (``tests/copies.py``) of Tux Paint's photo stamps (Pillow: a lossy WebP at quality 60,
three quarters of each side, 4 % cropped off each side) and of its sound effects (sox:
22.05 kHz and 3 dB softer; ffmpeg: 64 kb/s MP3, 96 kb/s AAC) go through the indexing
extractor, and each file becomes the one vector :mod:`engine.search.duplicates` compares.
Within each stamp folder (the hardest unrelated pairs: a folder holds pictures or sounds of
one subject), every pair of files is scored: a *copy pair* is two files of one original
(original and copy, or two copies), an *unrelated pair* two files of different originals.
Originals with the same pixels or samples under two names are kept once, and so are two
recordings that are one recording filtered apart (``_one_recording``); the "symbols" folders
(drawn glyphs, not photos) are left out of the photos.

Photos are scored as Trove compares them (near when their looks' likeness or their image
vectors' cosine is over its line, and the structures of their looks agree), by each of the two
alone (structures agreeing), and by their vectors alone as before Trove kept looks (the
baseline); recordings by their vectors.

Each line is fitted by :func:`engine.search.calibration.fit` on the copy pairs against the
unrelated ones of four fifths of the folders, and judged on the fifth left out (each fifth in
turn, the figures pooled): recall of copy pairs (per edit), and precision: copy pairs among all
pairs over the line. The lines kept are fitted on all folders: the vector lines with
``--write-calibration`` into the pack's manifest (and, for the dev pack, into
``models/calibration/trove-dev.json``, where its build reads them); the look line is
``NEAR_LIKENESS`` in ``engine/media/looks.py``, and the report says whether it still is what
this run fits. Writes the "Duplicates" section of EVALUATION.md.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray
from PIL import Image

from engine.catalog.records import FileKind, Item
from engine.inference.models import ModelSet
from engine.media.audio import load_audio
from engine.media.looks import NEAR_LIKENESS, SAME_STRUCTURE, Look
from engine.scan.extract import DecodedPhoto, Extractor, ExtractSettings
from engine.search.calibration import DUPLICATE, Calibration, fit, key
from engine.search.duplicates import FINGERPRINTS, Fingerprint, file_vector
from models import devpack
from models.fitted import committed, read_lines, write_lines
from models.manifest import FittedLine, Manifest, load_manifest
from models.sources import cache_root
from tests import copies, media
from tests.benchmarks import today, write_section
from tests.benchmarks.lexical import wilson
from tests.benchmarks.quality import evenly, items_cache, pack_folder

REPORT = Path(__file__).resolve().parents[2] / "EVALUATION.md"
SECTION = "Duplicates"
COMMAND = ".venv/bin/python -m tests.benchmarks.duplicates"
# Unrelated pairs of one folder over the line, at most: 1 in 1000. Copy pairs are few next to
# them (a folder of k originals has 6k copy pairs and about 8k^2 unrelated ones), so precision
# needs a line far out in the unrelated pairs' tail.
MAX_FALSE_RATE = 0.001
PHOTOS_PER_FOLDER = 12
SOUNDS_PER_FOLDER = 10
MIN_PER_FOLDER = 3
ORIGINAL = "original"
FOLDS = 5
PRECISION_TARGET = 0.95
BATCH = 16
ONE_SOURCE_RATE = 16000
ONE_SOURCE_CORRELATION = 0.8


@dataclass(frozen=True)
class Original:
    path: Path
    folder: str  # the stamp folder: unrelated pairs are taken within one
    copies: dict[str, Path]  # edit -> the copy

    def files(self) -> dict[str, Path]:
        return {ORIGINAL: self.path, **self.copies}


@dataclass(frozen=True)
class Pair:
    similarity: float
    copy_pair: bool
    edit: str  # of a copy pair: the edit(s), "reencoded" or "mp3+aac"; else ""
    fold: int  # which fifth of the folders
    originals: tuple[str, str]  # the names of the two files' originals


@dataclass(frozen=True)
class Kind:
    """One kind of media: its fingerprint, originals per folder and how copies are made."""

    name: str
    fingerprint: Fingerprint
    originals: Callable[[], list[Path]]
    per_folder: int
    make_copies: Callable[[Path, Path], dict[str, Path]]
    decoded: Callable[[Path], bytes]  # what a person sees or hears of a file
    left_out: tuple[str, ...] = ()  # top folders not of this kind of media
    # Two originals that are one source processed apart, to be kept once (see _one_recording).
    one_source: Callable[[Path, Path], bool] | None = None


def _pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGBA").tobytes()


def _one_recording(path: Path, other: Path) -> bool:
    """One recording under two names, filtered apart: the same length (within 1 %) and
    waveforms that correlate at 0.8 or more with no lag (goat.ogg and mountaingoat.ogg: 0.88).
    Such a pair is a near-duplicate in fact, not an unrelated pair."""
    one, two = (load_audio(p, ONE_SOURCE_RATE).samples for p in (path, other))
    if abs(len(one) - len(two)) > 0.01 * max(len(one), len(two)):
        return False
    n = min(len(one), len(two))
    norm = float(np.linalg.norm(one[:n]) * np.linalg.norm(two[:n]))
    return norm > 0 and abs(float(one[:n] @ two[:n])) / norm >= ONE_SOURCE_CORRELATION


def _samples(path: Path) -> bytes:
    samples, _rate = soundfile.read(path, dtype="float32")
    return np.asarray(samples).tobytes()


KINDS = (
    # "symbols" holds drawn glyphs (letters, notes, operators), not photos: the image model
    # scores a treble clef against a bass clef, or "<" against ">", 0.98-1.0.
    Kind(
        "photos",
        FINGERPRINTS[0],
        lambda: media.stamp_images(photos_only=True),
        PHOTOS_PER_FOLDER,
        copies.photo_copies,
        _pixels,
        left_out=("symbols",),
    ),
    Kind(
        "recordings",
        FINGERPRINTS[1],
        media.sound_effects,
        SOUNDS_PER_FOLDER,
        copies.sound_copies,
        _samples,
        one_source=_one_recording,
    ),
)


def originals_of(kind: Kind, sample: int | None) -> list[Original]:
    """Originals of folders with at least :data:`MIN_PER_FOLDER`, with their copies (made once,
    under the benchmark's cache)."""
    stamps = media.tux_stamps()
    folders: dict[str, list[Path]] = {}
    seen: set[str] = set()
    for path in kind.originals():
        where = path.parent.relative_to(stamps)
        # The same pixels or samples under a second name (a ram's call is a mountain goat's)
        # are a copy already: kept once.
        content = hashlib.sha256(kind.decoded(path)).hexdigest()
        if where.parts[0] in kind.left_out or content in seen:
            continue
        seen.add(content)
        kept = folders.setdefault(where.as_posix(), [])
        if kind.one_source is None or not any(kind.one_source(path, other) for other in kept):
            kept.append(path)
    made = cache_root() / "duplicates" / kind.name
    chosen = []
    for folder, paths in sorted(folders.items()):
        if len(paths) < MIN_PER_FOLDER:
            continue
        for path in evenly(paths, min(kind.per_folder, sample or kind.per_folder)):
            target = made / folder
            chosen.append(Original(path, folder, kind.make_copies(path, target)))
    return chosen


def photo_looks(chosen: Sequence[Original], models: ModelSet) -> dict[Path, Look]:
    """Each photo's look, as the indexing extractor takes it from its decode."""
    extractor = Extractor(models, ExtractSettings(read_text=False, shows=False))
    looks = {}
    for original in chosen:
        for path in original.files().values():
            decoded = extractor.decode(path, FileKind.PHOTO)
            assert isinstance(decoded, DecodedPhoto) and decoded.look is not None
            looks[path] = decoded.look
    return looks


def file_vectors(
    kind: Kind, chosen: Sequence[Original], manifest: Manifest, models: ModelSet
) -> tuple[str, dict[Path, NDArray[np.float32]]]:
    """The space and each file's vector, as the engine forms it from the indexed items."""
    space = next(e.id for e in manifest.models if e.task is kind.fingerprint.task)
    extractor = Extractor(models, ExtractSettings(read_text=False, shows=False))
    extractor.speech = None  # what a file sounds like: no transcript needed
    paths = [path for original in chosen for path in original.files().values()]
    # Vectors of this pack's models, kept between runs (extraction takes minutes).
    store = items_cache(manifest).folder / f"duplicate-vectors-{kind.name}.pickle"
    known: dict[str, NDArray[np.float32]] = (
        pickle.loads(store.read_bytes()) if store.is_file() else {}
    )
    missing = [path for path in paths if str(path) not in known]
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        decoded = [extractor.decode(path, kind.fingerprint.file_kind) for path in chunk]
        for path, items in zip(chunk, extractor.embed(decoded), strict=True):
            known[str(path)] = _vector(items, kind.fingerprint, space)
        print(f"  {kind.name}: {start + len(chunk)}/{len(missing)} extracted", file=sys.stderr)
    if missing:
        store.write_bytes(pickle.dumps(known))
    return space, {path: known[str(path)] for path in paths}


def _vector(items: list[Item], fingerprint: Fingerprint, space: str) -> NDArray[np.float32]:
    rows = [item.vectors[space] for item in items if item.kind is fingerprint.item_kind]
    return file_vector(np.stack(rows))


def scored(chosen: Sequence[Original], alike: Callable[[Path, Path], float]) -> list[Pair]:
    """Every pair of files within each folder, scored by ``alike``."""
    by_folder: dict[str, list[tuple[int, str, Path]]] = {}
    for number, original in enumerate(chosen):
        for edit, path in original.files().items():
            by_folder.setdefault(original.folder, []).append((number, edit, path))
    pairs = []
    for number, files in enumerate(by_folder.values()):
        for (one, edit_a, a), (other, edit_b, b) in combinations(files, 2):
            copy_pair = one == other
            edit = "+".join(e for e in (edit_a, edit_b) if e != ORIGINAL) if copy_pair else ""
            similarity = alike(a, b)
            names = (chosen[one].path.name, chosen[other].path.name)
            pairs.append(Pair(similarity, copy_pair, edit, number % FOLDS, names))
    return pairs


@dataclass(frozen=True)
class Judged:
    """A line fitted on the other folds' folders, judged on this fold's."""

    line: Calibration
    copy_pairs: list[Pair]
    over: list[Pair]  # held-out pairs over the line

    @property
    def true(self) -> int:
        return sum(pair.copy_pair for pair in self.over)

    def recall_of(self, edit: str | None = None) -> tuple[int, int]:
        wanted = [p for p in self.copy_pairs if edit is None or p.edit == edit]
        return sum(p.similarity >= self.line.threshold for p in wanted), len(wanted)


def judged(pairs: Sequence[Pair], fold: int) -> Judged:
    fitted = _fit([p for p in pairs if p.fold != fold])
    held = [p for p in pairs if p.fold == fold]
    return Judged(
        fitted,
        [p for p in held if p.copy_pair],
        [p for p in held if p.similarity >= fitted.threshold],
    )


def _fit(pairs: Sequence[Pair]) -> Calibration:
    relevant = [p.similarity for p in pairs if p.copy_pair]
    unrelated = [p.similarity for p in pairs if not p.copy_pair]
    return fit(relevant, unrelated, MAX_FALSE_RATE)


def _share(hits: int, total: int) -> str:
    low, high = wilson(hits, total)
    share = hits / total if total else 0.0
    return f"{share:.3f} ({hits}/{total}; 95% CI {low:.3f}-{high:.3f})"


LOOKS = "looks"  # likeness, where the structures agree
VECTORS = "vectors"  # cosine (of photos: where the structures agree)
EITHER = "looks or vectors"  # Trove's rule for photos
VECTORS_ALONE = "vectors alone (before looks)"
LOOK_LINE = "`NEAR_LIKENESS` (look likeness)"


@dataclass(frozen=True)
class Measured:
    kind: Kind
    compared: str  # LOOKS, VECTORS, EITHER or VECTORS_ALONE
    line_name: str  # the route key of a vector line, LOOK_LINE, or both
    originals: int
    folders: int
    pairs: list[Pair]
    folds: tuple[Judged, ...]
    kept: FittedLine

    @property
    def name(self) -> str:
        return f"{self.kind.name} by {self.compared}"

    def rows(self) -> list[str]:
        """Held-out figures of the folds pooled."""
        over = [pair for judged in self.folds for pair in judged.over]
        true = sum(judged.true for judged in self.folds)
        edits = sorted({p.edit for p in self.pairs if p.copy_pair})
        rows = []
        for edit in [*edits, None]:
            hits = sum(judged.recall_of(edit)[0] for judged in self.folds)
            total = sum(judged.recall_of(edit)[1] for judged in self.folds)
            name = "all copy pairs" if edit is None else edit.replace("+", " & ")
            rows.append(f"| {self.name} | recall: {name} | {_share(hits, total)} |")
        rows.append(f"| {self.name} | precision (copy pairs over the line) | "
                    f"{_share(true, len(over))} |")  # fmt: skip
        return rows


def measure(kind: Kind, manifest: Manifest, models: ModelSet, sample: int | None) -> list[Measured]:
    """The kind's files compared as Trove compares them; photos also by each test alone and,
    as before looks, by their vectors alone."""
    chosen = originals_of(kind, sample)
    space, vectors = file_vectors(kind, chosen, manifest, models)
    route = f"`{key(space, kind.fingerprint.modality, DUPLICATE)}`"

    def cosine(a: Path, b: Path) -> float:
        return float(vectors[a] @ vectors[b])

    if kind.fingerprint.file_kind is not FileKind.PHOTO:
        return [judge(kind, VECTORS, route, chosen, cosine)]
    looks = photo_looks(chosen, models)

    def agreeing(alike: Callable[[Path, Path], float]) -> Callable[[Path, Path], float]:
        """``alike`` where the two looks' structures agree, else -1: never near."""
        return lambda a, b: alike(a, b) if looks[a].structure(looks[b]) >= SAME_STRUCTURE else -1.0

    def likeness(a: Path, b: Path) -> float:
        return looks[a].likeness(looks[b])

    by_look = judge(kind, LOOKS, LOOK_LINE, chosen, agreeing(likeness))
    by_vector = judge(kind, VECTORS, route, chosen, agreeing(cosine))
    before = judge(kind, VECTORS_ALONE, route, chosen, cosine)
    return [judge_either(by_look, by_vector, chosen), by_look, by_vector, before]


def judge(
    kind: Kind,
    compared: str,
    line_name: str,
    chosen: Sequence[Original],
    alike: Callable[[Path, Path], float],
) -> Measured:
    pairs = scored(chosen, alike)
    folds = tuple(judged(pairs, fold) for fold in range(FOLDS))
    return _measured(kind, compared, line_name, chosen, pairs, folds, _fit(pairs))


def judge_either(looks: Measured, vectors: Measured, chosen: Sequence[Original]) -> Measured:
    """Trove's rule for photos: a pair is near when its look's line or its vectors' line says
    so, each line fitted on the other folds' folders. Scored 1 (near) or 0, line 0.5."""

    def either(look_line: float, vector_line: float, fold: int | None) -> list[Pair]:
        return [
            replace(
                vector,
                similarity=float(look.similarity >= look_line or vector.similarity >= vector_line),
            )
            for look, vector in zip(looks.pairs, vectors.pairs, strict=True)
            if fold is None or vector.fold == fold
        ]

    line = Calibration(slope=1.0, threshold=0.5)
    folds = []
    for fold in range(FOLDS):
        look_line = _fit([p for p in looks.pairs if p.fold != fold]).threshold
        vector_line = _fit([p for p in vectors.pairs if p.fold != fold]).threshold
        held = either(look_line, vector_line, fold)
        copy_pairs = [p for p in held if p.copy_pair]
        folds.append(Judged(line, copy_pairs, [p for p in held if p.similarity >= line.threshold]))
    pairs = either(looks.kept.threshold, vectors.kept.threshold, None)
    name = f"{vectors.line_name} or {looks.line_name}"
    return _measured(looks.kind, EITHER, name, chosen, pairs, tuple(folds), line)


def _measured(
    kind: Kind,
    compared: str,
    line_name: str,
    chosen: Sequence[Original],
    pairs: list[Pair],
    folds: tuple[Judged, ...],
    line: Calibration,
) -> Measured:
    copy_pairs = [p for p in pairs if p.copy_pair]
    hits = sum(fold.recall_of()[0] for fold in folds)
    false = sum(len(fold.over) - fold.true for fold in folds)
    kept = FittedLine(
        round(line.slope, 4),
        round(line.threshold, 4),
        len(copy_pairs),
        len(pairs) - len(copy_pairs),
        round(hits / max(len(copy_pairs), 1), 4),
        round(false / max(len(pairs) - len(copy_pairs), 1), 4),
    )
    folders = len({original.folder for original in chosen})
    return Measured(kind, compared, line_name, len(chosen), folders, pairs, folds, kept)


def render(measured: Sequence[Measured], manifest: Manifest, seconds: float) -> str:
    lines = [
        f"{today()}, pack `{manifest.name}`; `{COMMAND}` ({seconds:.0f} s). Method: the module "
        "docstring of `tests/benchmarks/duplicates.py`; the line is "
        "`engine.search.calibration.fit` on copy pairs against unrelated pairs of the same "
        f"stamp folder, at most {MAX_FALSE_RATE:.1%} of them over it.",
        "",
        "| compared | line | originals (folders) | copy pairs | unrelated pairs | fitted |",
        "|---|---|---|---|---|---|",
    ]
    for m in measured:
        lines.append(
            f"| {m.name} | {m.line_name} | {m.originals} ({m.folders}) | "
            f"{m.kept.relevant_pairs} | {m.kept.irrelevant_pairs} | "
            f"{'both below' if m.compared == EITHER else f'{m.kept.threshold:.4f}'} |"
        )
    looked = [m for m in measured if m.compared == LOOKS]
    if looked:
        fitted = looked[0].kept.threshold
        agrees = "is" if round(fitted, 2) == NEAR_LIKENESS else "is NOT (update it)"
        copy_pairs = [p.similarity > -1 for p in looked[0].pairs if p.copy_pair]
        unrelated = [p.similarity > -1 for p in looked[0].pairs if not p.copy_pair]
        lines += [
            "",
            f"`NEAR_LIKENESS` in engine/media/looks.py, {NEAR_LIKENESS}, {agrees} this run's "
            f"fitted look line rounded to two places ({fitted:.4f}). Structures agree "
            f"(`SAME_STRUCTURE` {SAME_STRUCTURE}) for {_share(sum(copy_pairs), len(copy_pairs))} "
            f"of the copy pairs and {_share(sum(unrelated), len(unrelated))} of the unrelated "
            "ones; a pair whose structures do not agree is never near, by look or by vector.",
        ]
    lines += [
        "",
        "Held out (each fifth of the folders judged by the line fitted on the other four; "
        "Wilson 95% intervals):",
        "",
        "| media | figure | value |",
        "|---|---|---|",
    ]
    for m in measured:
        lines += m.rows()
    lines += ["", f"Against the target (precision at least {PRECISION_TARGET}):", ""]
    for m in measured:
        over = [pair for fold in m.folds for pair in fold.over]
        true = sum(fold.true for fold in m.folds)
        low, _high = wilson(true, len(over))
        kept = [p for p in m.pairs if p.similarity >= m.kept.threshold]
        in_sample = sum(p.copy_pair for p in kept) / max(len(kept), 1)
        verdict = "meets" if low >= PRECISION_TARGET else "does NOT meet"
        lines.append(
            f"- {m.name}: held-out precision {true / max(len(over), 1):.3f} (lower bound "
            f"{low:.3f}) {verdict} it; the kept line on all folders: {in_sample:.3f} "
            f"({len(kept)} pairs over it)"
        )
    lines += [
        "",
        "The vectors compared are the search models' (what a picture shows, what a sound is "
        "like), not fingerprints: distinct things of one folder that look or sound alike (the "
        "faces of a dreidel, the calls of a goat and a ram) score as high as a re-encoded copy. "
        "A look keeps the picture's shape and colours instead: it finds re-encoded and resized "
        "copies the vectors miss, the vectors find crops that move a look's hash, and Trove "
        "takes a pair either finds where the structures of the two looks agree (an 8x8 grid of "
        "light keeps the letter a dreidel's faces differ by, which the hash and the vectors "
        "lose). Recordings have no look yet: their vectors alone decide. Two recordings that "
        "are one recording filtered apart count as one original (`_one_recording`: goat.ogg "
        "and mountaingoat.ogg, whose waveforms correlate at 0.88); counted as unrelated, as "
        "before 2026-12-05, their pairs put the recordings' held-out precision at 0.942. A "
        "spectrogram's look as a second test for recordings was tried and left out: on these "
        "copies its structure left the precision where it was (0.966) and lost three copy "
        "pairs.",
    ]
    lines += [
        "",
        "Unrelated originals over the held-out lines (pairs of their files):",
        "",
    ]
    for m in measured:
        wrong = Counter(p.originals for fold in m.folds for p in fold.over if not p.copy_pair)
        named = ", ".join(f"{a} ~ {b} ({n})" for (a, b), n in wrong.most_common(8)) or "none"
        lines.append(f"- {m.name}: {named}")
    lines += ["", "Weakest copy pairs and strongest unrelated pairs, by likeness or cosine:", ""]
    for m in (m for m in measured if m.compared != EITHER):
        # Of the pairs whose structures agree (the others scored -1: never near).
        weakest = sorted(p.similarity for p in m.pairs if p.copy_pair and p.similarity > -1)
        strongest = sorted(
            (p.similarity for p in m.pairs if not p.copy_pair and p.similarity > -1), reverse=True
        )
        lines.append(
            f"- {m.name}: copy pairs from {', '.join(f'{s:.3f}' for s in weakest[:5])}; "
            f"unrelated up to {', '.join(f'{s:.3f}' for s in strongest[:5])}"
        )
    return "\n".join(lines)


def write_lines_into(manifest: Manifest, lines: dict[str, FittedLine]) -> list[Path]:
    """The duplicate lines into the pack's manifest beside its other lines (and for the dev
    pack into the committed file its build reads)."""
    manifest.with_calibration({**manifest.calibration, **lines}).write(manifest.root)
    written = [manifest.root]
    if manifest.name == devpack.PACK_NAME:
        path = committed(manifest.name)
        write_lines(path, {**read_lines(path), **lines})
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not write EVALUATION.md")
    parser.add_argument(
        "--write-calibration", action="store_true", help="keep the fitted lines (see above)"
    )
    parser.add_argument("--sample", type=int, metavar="N", help="N originals per folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = load_manifest(pack_folder())
    models = ModelSet(manifest)
    measured = [
        one
        for kind in KINDS
        if any(e.task is kind.fingerprint.task for e in manifest.models)
        for one in measure(kind, manifest, models, args.sample)
    ]
    body = render(measured, manifest, time.perf_counter() - started)
    print(body)
    if not args.no_write:
        print(f"wrote {write_section(SECTION, body, REPORT)}", file=sys.stderr)
    if args.write_calibration:
        lines = {m.line_name.strip("`"): m.kept for m in measured if m.compared == VECTORS}
        for path in write_lines_into(manifest, lines):
            print(f"wrote the duplicate lines into {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

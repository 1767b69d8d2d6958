"""Exact words: known-item search by word, file-name fragment and phrase, and what fusing the
word index with the dense search does to the quality rows.

    .venv/bin/python -m tests.benchmarks.lexical [--sample N] [--no-write]

The media are the quality benchmark's (``tests/benchmarks/quality.py``, its cached items): every
Tux Paint stamp image, its English caption as a small note, the English spoken captions and the
sound effects, plus the demo folder's photos, recordings, sounds and notes, all in ONE collection,
searched by the app's planner with the shipped calibration and the real FTS5 word index
(``MemoryCollection.match_units``: the catalog's tables and code on an in-memory SQLite).

Known-item queries, each with exactly one right file, drawn at random (seed 7) from the collection:

- *word once*: a word (4+ letters, not a function word) that only one file's texts or name hold;
- *name fragment*: one or two neighbouring words of a file name (as written in it, ``_`` and
  all) that no other file name holds;
- *phrase*: three neighbouring words of a note or transcript that no other file holds in that
  order, asked in quotes.

recall@1 (the right file first) is given with its count and a 95% Wilson interval, with the word
index (fused) and without it (dense only). The quality rows (caption -> its image, spoken caption
-> its recording, en and zh) are ranked dense only, fused by noisy-or of calibrated scores (the
app), and by reciprocal-rank fusion (k = 60) of the dense ranking and the word index's: recall@10
and MRR, every file ranked (no good-match line). Then the same queries as the app answers them,
the good-match line on: its hits in its order (noisy-or), and the same hits in RRF's order.
Then the quality benchmark's out-of-collection queries against the fused app (its good-match
line on), and last the CJK choice: bigrams against FTS5's trigram tokenizer on the Chinese
captions.
Writes the "Exact words" section of EVALUATION.md.
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.catalog import words
from engine.catalog.records import Item
from engine.catalog.schema import WORD_TABLES
from engine.inference.models import ModelSet
from engine.scan.extract import Extractor
from engine.search import lexical
from engine.search.calibration import CalibrationTable
from engine.search.planner import Planner, PlannerSettings
from engine.search.query import Query, TextPart
from models.manifest import load_manifest
from models.sources import cache_root
from tests import media
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.encoders import pack_folder
from tests.benchmarks.quality import (
    OUT_OF_DOMAIN,
    Cache,
    Chosen,
    Galleries,
    TextProbes,
    captioned,
    collection,
    extract,
    items_cache,
)
from tests.engine.search.memory import MemoryCollection, StoredProbes, kind_of

REPORT = Path(__file__).resolve().parents[2] / "EVALUATION.md"
SECTION = "Exact words"
COMMAND = ".venv/bin/python -m tests.benchmarks.lexical"
SEED = 7
PER_SET = 200  # known-item queries of each kind
RANK_DEPTH = 512
RRF_K = 60
DEMO_FOLDERS = ("Photos", "Recordings", "Sounds", "Notes")


@dataclass
class Known:
    """Known-item queries of one kind: (query, right file)."""

    name: str
    queries: list[tuple[Query, str]] = field(default_factory=list)


def wilson(hits: int, total: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``hits`` out of ``total``."""
    if total == 0:
        return 0.0, 0.0
    z = 1.96
    share = hits / total
    scale = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / scale
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def worded(gallery: MemoryCollection, path: str | Path) -> list[str]:
    """The texts of a file that the word index holds (not the classifier's guesses)."""
    rows = gallery.items_of(Path(path))
    return [row.text for row in rows if row.text and row.kind.value not in words.GUESSED]


def file_words(
    gallery: MemoryCollection,
) -> dict[str, tuple[set[str], list[list[words.Token]], str]]:
    """Per file: the words its texts and name hold, its texts' tokens, its name."""
    found: dict[str, tuple[set[str], list[list[words.Token]], str]] = {}
    for path in gallery.paths():
        texts = worded(gallery, path)
        held: set[str] = set()
        cut = []
        for text in [*texts, Path(path).name]:
            positional, extra = words.document(text)
            held |= set(positional.split()) | set(extra.split())
        for text in texts:
            cut.append([t for t in words.tokens(text)])
        found[str(path)] = (held, cut, Path(path).name)
    return found


def known_items(gallery: MemoryCollection, rng: random.Random, per_set: int) -> list[Known]:
    per_file = file_words(gallery)
    holders: dict[str, set[str]] = defaultdict(set)
    for path, (held, _, _) in per_file.items():
        for word in held:
            holders[word].add(path)
    once = Known("word once")
    candidates = sorted(
        (word, next(iter(paths)))
        for word, paths in holders.items()
        if len(paths) == 1
        and len(word) >= 4
        and word.isalpha()
        and word.isascii()
        and word not in lexical.STOPWORDS
    )
    for word, path in rng.sample(candidates, min(per_set, len(candidates))):
        once.queries.append((Query((TextPart(word),)), path))

    fragments = Known("name fragment")
    name_holders: dict[tuple[str, ...], set[str]] = defaultdict(set)
    name_pieces: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for path, (_, _, name) in per_file.items():
        stem = Path(name).stem
        cut = words.tokens(stem)
        pieces = []
        for size in (1, 2):
            for i in range(len(cut) - size + 1):
                seq = tuple(t.word for t in cut[i : i + size])
                name_holders[seq].add(path)
                pieces.append((seq, stem[cut[i].start : cut[i + size - 1].end]))
        name_pieces[path] = pieces
    unique = sorted(
        (shown, path)
        for path, pieces in name_pieces.items()
        for seq, shown in pieces
        if name_holders[seq] == {path}
        and not all(w.isdigit() for w in seq)
        and not all(w in lexical.STOPWORDS for w in seq)
    )
    by_file: dict[str, list[str]] = defaultdict(list)
    for shown, path in unique:
        by_file[path].append(shown)
    files = sorted(by_file)
    for path in rng.sample(files, min(per_set, len(files))):
        fragments.queries.append((Query((TextPart(rng.choice(by_file[path])),)), path))

    phrases = Known("phrase")
    phrase_holders: dict[tuple[str, ...], set[str]] = defaultdict(set)
    phrase_shown: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    for path, (_, cuts, _) in per_file.items():
        for text, cut in zip(worded(gallery, path), cuts, strict=True):
            spaced = [t for t in cut if not t.unspaced]
            for i in range(len(spaced) - 2):
                seq = tuple(t.word for t in spaced[i : i + 3])
                phrase_holders[seq].add(path)
                shown = text[spaced[i].start : spaced[i + 2].end]
                if len(shown.split()) == 3:
                    phrase_shown[path].append((seq, shown))
    phrase_files = sorted(
        path
        for path, found in phrase_shown.items()
        if any(phrase_holders[seq] == {path} for seq, _ in found)
    )
    for path in rng.sample(phrase_files, min(per_set, len(phrase_files))):
        choices = [shown for seq, shown in phrase_shown[path] if phrase_holders[seq] == {path}]
        phrases.queries.append((Query((TextPart(rng.choice(choices), phrase=True),)), path))
    return [once, fragments, phrases]


def demo_items(models: ModelSet, folder: Path) -> dict[Path, list[Item]]:
    demo = media.demo_folder()
    paths = sorted(
        path
        for folder in DEMO_FOLDERS
        for path in (demo / folder).rglob("*")
        if path.is_file() and kind_of(path) is not None
    )
    extractor = Extractor(models, note_reader=lambda path: path.read_text(encoding="utf-8"))
    return Cache(folder).items(extractor, paths, "demo")


def first(planner: Planner, query: Query) -> str | None:
    hits = planner.search(query, limit=1).hits
    return str(hits[0].path) if hits else None


def ranked(planner: Planner, query: Query, size: int) -> list[str]:
    return [str(hit.path) for hit in planner.search(query, limit=size).hits]


def exact_ranking(gallery: MemoryCollection, text: str) -> list[str]:
    """Files by their best exact-word score (the word index alone)."""
    best: dict[int, float] = {}
    for found in lexical.find(gallery, text):
        best[found.file_id] = max(best.get(found.file_id, 0.0), found.score)
    by_id = {gallery.file(Path(p)).id: p for p in gallery.paths()}
    return [str(by_id[i]) for i, _ in sorted(best.items(), key=lambda pair: -pair[1])]


def rrf(*rankings: Sequence[str]) -> list[str]:
    score: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, path in enumerate(ranking):
            score[path] += 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda path: -score[path])


@dataclass
class Row:
    name: str
    recall: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    mrr: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, method: str, ranking: Sequence[str], relevant: str) -> None:
        rank = ranking.index(relevant) if relevant in ranking else None
        self.recall[method].append(float(rank is not None and rank < 10))
        self.mrr[method].append(0.0 if rank is None else 1.0 / (rank + 1))


@dataclass(frozen=True)
class Planners:
    """One gallery's planners: every file ranked, dense only and fused; and the app's (the
    good-match line on, fused)."""

    dense: Planner
    fused: Planner
    app: Planner


def quality_rows(
    galleries: dict[str, MemoryCollection],
    planners: Callable[[MemoryCollection], Planners],
    chosen: Chosen,
    sample: int | None,
) -> list[Row]:
    rows = []
    images, voices = galleries["images"], galleries["voices"]
    on_images, on_voices = planners(images), planners(voices)
    stamps = [Path(p) for p in images.paths()]
    if sample:
        stamps = stamps[:sample]
    for language in ("en", "zh"):
        row = Row(f"caption -> its image, {language} query")
        pool = stamps if language == "en" else chosen.language_stamps
        for image in pool:
            text = media.caption(image) if language == "en" else media.caption_in(image, "zh")
            if not text:
                continue
            _score(row, on_images, images, text, str(image))
        rows.append(row)
    for language in ("en", "zh"):
        row = Row(f"spoken caption (en voice), {language} query")
        for recording in captioned(voices, "en"):
            text = media.caption_in(recording, language)
            if text:
                _score(row, on_voices, voices, text, str(recording))
        rows.append(row)
    return rows


def _score(row: Row, planners: Planners, gallery: MemoryCollection, text: str, right: str) -> None:
    query = Query((TextPart(text),))
    size = len(gallery.paths())
    by_dense = ranked(planners.dense, query, size)
    by_fused = ranked(planners.fused, query, size)
    by_rrf = rrf(by_dense, exact_ranking(gallery, text))
    row.add("dense only", by_dense, right)
    row.add("fused (noisy-or, the app)", by_fused, right)
    row.add("fused (RRF)", by_rrf, right)
    answer = planners.app.search(query, limit=size)
    hits = [str(hit.path) for hit in answer.hits]  # the good matches only
    row.add("line: noisy-or", hits, right)
    order = {path: rank for rank, path in enumerate(by_rrf)}
    row.add("line: RRF", sorted(hits, key=lambda path: order.get(path, size)), right)
    # The weaker candidates as they were ordered before (by noisy-or) and as the app orders them
    shown, weaker = set(hits), len(answer.weaker)
    row.add("weaker: noisy-or", [p for p in by_fused if p not in shown][:weaker], right)
    row.add("weaker: RRF", [str(hit.path) for hit in answer.weaker], right)


def out_of_domain(galleries: Galleries, text: TextProbes, table: CalibrationTable) -> list[str]:
    """The quality benchmark's out-of-collection queries, asked of the app's planner (the
    good-match line on) with the word index: how many still come back with no good match."""
    empty = total = 0
    answered: list[str] = []
    galleries_named = {
        "images": galleries.images,
        "audio": galleries.voices["en"],
        "notes": galleries.notes,
    }
    for name, gallery in galleries_named.items():
        app = Planner(StoredProbes(gallery, text.of), gallery, gallery, table, words=gallery)
        for query in OUT_OF_DOMAIN:
            total += 1
            result = app.search(Query((TextPart(query),)))
            empty += result.no_good_match
            if result.hits:
                why = result.hits[0].reasons[0].route.value
                answered.append(f"- `{query}` on {name}: {len(result.hits)} (first by {why})")
    return [
        f'Out-of-collection queries (EVALUATION.md "No good match"), fused: {empty} of '
        f"{total} searches of the image, audio and note galleries return no good match.",
        "",
        *answered,
    ]


def cjk_choice(chosen: Chosen, rng: random.Random) -> list[str]:
    """Bigram columns against FTS5's trigram tokenizer on the Chinese captions: index size,
    and queries of 1, 2 and 3 characters (substrings of a caption) answered by the index."""
    captions = [text for image in chosen.language_stamps if (text := media.caption_in(image, "zh"))]
    bigram, trigram = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    for statement in WORD_TABLES:
        bigram.execute(statement)
    trigram.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'trigram')")
    for rowid, text in enumerate(captions, start=1):
        bigram.execute(
            "INSERT INTO item_words (rowid, words, extra) VALUES (?, ?, ?)",
            (rowid, *words.document(text)),
        )
        trigram.execute("INSERT INTO t (rowid, text) VALUES (?, ?)", (rowid, text))
    size_b, size_t = _pages(bigram), _pages(trigram)
    lines = [
        f"CJK tokenizer, on {len(captions)} Chinese captions: index {size_b / 1024:.0f} KiB "
        f"(bigrams + single characters) vs {size_t / 1024:.0f} KiB (trigram).",
        "",
        "| query length | queries | bigram: exact answers | trigram MATCH: answers |",
        "|---|---|---|---|",
    ]
    for length in (1, 2, 3):
        asked = answered_b = answered_t = 0
        for text in captions:
            run = max(words._UNSPACED_RUN.findall(text), key=len, default="")
            if len(run) < length:
                continue
            start = rng.randrange(len(run) - length + 1)
            piece = run[start : start + length]
            truth = {i for i, other in enumerate(captions, start=1) if piece in other}
            asked += 1
            units = lexical.units(piece, False)
            got_b = {
                r[0]
                for r in bigram.execute(
                    "SELECT rowid FROM item_words WHERE item_words MATCH ?",
                    (" OR ".join(words.expression(u.words) for u in units),),
                )
            }
            answered_b += got_b == truth
            quoted = '"' + piece + '"'
            got_t = {
                r[0] for r in trigram.execute("SELECT rowid FROM t WHERE t MATCH ?", (quoted,))
            }
            answered_t += got_t == truth
        lines.append(f"| {length} | {asked} | {answered_b} | {answered_t} |")
    return lines


def _pages(conn: sqlite3.Connection) -> int:
    """Bytes of the database (it holds one index and nothing else)."""
    conn.commit()
    conn.execute("VACUUM")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return int(pages * conn.execute("PRAGMA page_size").fetchone()[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not write EVALUATION.md")
    parser.add_argument("--sample", type=int, metavar="N", help="N of each gallery (quick)")
    parser.add_argument("--misses", action="store_true", help="print the known items missed")
    parser.add_argument("--per-set", type=int, default=PER_SET, help="known-item queries per kind")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = load_manifest(pack_folder())
    models = ModelSet(manifest)
    cache = items_cache(manifest)
    chosen = Chosen.of(args.sample)
    galleries = extract(cache, models, chosen)
    text = TextProbes(models)
    table = CalibrationTable.of(manifest)

    def planners(gallery: MemoryCollection) -> Planners:
        probes = StoredProbes(gallery, text.of)
        settings = PlannerSettings(k=RANK_DEPTH, floor=0.0)
        return Planners(
            Planner(probes, gallery, gallery, table, settings),
            Planner(probes, gallery, gallery, table, settings, words=gallery),
            Planner(probes, gallery, gallery, table, PlannerSettings(k=RANK_DEPTH), words=gallery),
        )

    # One collection: images, caption notes, English spoken captions and sounds, the demo.
    everything: dict[Path, list[Item]] = {}
    for gallery in (galleries.images, galleries.notes, galleries.voices["en"]):
        for path in gallery.paths():
            everything[Path(path)] = [
                Item(**{f: getattr(row, f) for f in _ITEM_FIELDS})
                for row in gallery.items_of(Path(path))
            ]
    everything.update(demo_items(models, cache_root() / "lexical" / cache.folder.name))
    whole = collection(everything)
    whole_planners = planners(whole)
    dense, fused = whole_planners.dense, whole_planners.fused
    rng = random.Random(SEED)
    sets = known_items(whole, rng, args.per_set)
    lines = [
        f"Measured {today()} on {machine()} by `{COMMAND}`"
        + (f" (SAMPLE of {args.sample} per gallery)" if args.sample else "")
        + f": one collection of {len(whole.paths())} files.",
        "",
        "Known-item search (recall@1: the right file first; 95% Wilson interval):",
        "",
        "| queries | n | fused: recall@1 | interval | dense only: recall@1 | interval |",
        "|---|---|---|---|---|---|",
    ]
    examples = []
    for known in sets:
        right_fused = right_dense = 0
        for query, wanted in known.queries:
            got = first(fused, query)
            right_fused += got == wanted
            right_dense += first(dense, query) == wanted
            if args.misses and got != wanted:
                print(
                    f"miss {known.name}: {query.format()} -> {got}, not {wanted}", file=sys.stderr
                )
        n = len(known.queries)
        low_f, high_f = wilson(right_fused, n)
        low_d, high_d = wilson(right_dense, n)
        lines.append(
            f"| {known.name} | {n} | {right_fused}/{n} = {right_fused / max(n, 1):.3f} | "
            f"{low_f:.3f}-{high_f:.3f} | {right_dense}/{n} = {right_dense / max(n, 1):.3f} | "
            f"{low_d:.3f}-{high_d:.3f} |"
        )
        examples += [f"{known.name}: `{q.parts[0].text}`" for q, _ in known.queries[:2]]  # type: ignore[union-attr]
    lines += ["", "Examples: " + "; ".join(examples) + ".", ""]
    rows = quality_rows(
        {"images": galleries.images, "voices": galleries.voices["en"]},
        planners,
        chosen,
        args.sample,
    )
    lines += [
        "Quality rows, dense only against fused (recall@10 / MRR; the same queries and galleries "
        "as the quality benchmark, shipped calibration):",
        "",
        "| row | n | dense only | fused (noisy-or, the app) | fused (RRF, k = 60) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = []
        for method in ("dense only", "fused (noisy-or, the app)", "fused (RRF)"):
            recall, mrr = row.recall[method], row.mrr[method]
            cells.append(
                f"{sum(recall) / max(len(recall), 1):.3f} / {sum(mrr) / max(len(mrr), 1):.3f}"
            )
        lines.append(
            f"| {row.name} | {len(row.recall['dense only'])} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "The same queries as the app answers them, the good-match line on. Hits (the files "
        "some route calls a good match): how often the right file is among them, among the "
        "first 10 and first, in the app's order (noisy-or) and in RRF's. Other possible "
        "matches (the 10 best candidates below the line, shown under a divider): how often the "
        "right file is among them and first of them, chosen and ordered by noisy-or (before) "
        "and by RRF (the app).",
        "",
        "| row | n | in the hits | hits by noisy-or (the app): first 10 / first | hits by "
        "RRF: first 10 / first | other matches by noisy-or: among / first | other matches by "
        "RRF (the app): among / first |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        n = len(row.recall["line: noisy-or"])
        found = sum(mrr > 0 for mrr in row.mrr["line: noisy-or"])
        # a list of the other matches holds at most 10: "among the first 10" is "among them"
        cells = [
            f"{sum(row.recall[m]):.0f} / {sum(mrr == 1.0 for mrr in row.mrr[m])}"
            for m in ("line: noisy-or", "line: RRF", "weaker: noisy-or", "weaker: RRF")
        ]
        lines.append(f"| {row.name} | {n} | {found} | " + " | ".join(cells) + " |")
    lines += ["", *out_of_domain(galleries, text, table), ""]
    lines += [*cjk_choice(chosen, random.Random(SEED)), ""]
    lines.append(f"Total {time.perf_counter() - started:.0f} s.")
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        print(f"wrote {write_section(SECTION, body, REPORT)}", file=sys.stderr)
    return 0


_ITEM_FIELDS = (
    "kind",
    "start",
    "end",
    "char_start",
    "char_end",
    "text",
    "score",
    "language",
    "vectors",
)


if __name__ == "__main__":
    raise SystemExit(main())

"""A shared library's words in Milvus Lite against the catalog's own word index (SQLite FTS5):
what keeping them costs the machine that indexes, and how fast a reader finds them; same data,
same run, and whether both find the same rows.

    .venv/bin/python -m tests.benchmarks.milvus_words [--chunks 20000] [--no-write]

Data: notes of real text, the Tux Paint captions in English, Spanish and Chinese (a chunk is
three captions of one language drawn at random, seed 3; four chunks a note), each chunk an item
with a random unit vector (d=384, as the MiniLM space). One catalog, delivered to two Milvus
Lite libraries, one keeping words and one not: "made" is opening the library (every collection
made from the catalog), "added" is 400 more notes indexed while it is open, each as Trove
writes one (its transaction, then delivery). Queries (seed 5): a word of 4+ letters of a
random chunk, two such words, a quoted phrase of two neighbouring words, a Chinese bigram; each
answered by the catalog (``Catalog.match_units``) and by a reader of the library
(``SharedReading.match_units``), one at a time.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind, ReplaceResult, Root
from engine.catalog.words import Matches
from engine.index.library import Library
from engine.index.milvus import MilvusSpaces
from engine.index.shared import PathMapping, SharedLibrary
from engine.search import lexical
from tests import media
from tests.benchmarks import machine, today, write_section

COMMAND = ".venv/bin/python -m tests.benchmarks.milvus_words"
SPACE, DIM = "text:bench", 384
LANGUAGES = ("en", "es", "zh")
PER_CHUNK = 3  # captions
PER_NOTE = 4  # chunks
ADDED_NOTES = 400
QUERIES = 400
LIMIT = lexical.LIMIT


def captions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for stamp in media.stamp_images():
        for language in LANGUAGES:
            text = media.caption_in(stamp, language)
            if text:
                found[language].append(text)
    return found


def chunks(count: int, rng: random.Random) -> list[str]:
    texts = captions()
    made = []
    for n in range(count):
        language = LANGUAGES[n % len(LANGUAGES)]
        made.append(" ".join(rng.sample(texts[language], PER_CHUNK)))
    return made


def notes(
    catalog: Catalog, root: Root, texts: Sequence[str], first: int, seed: int
) -> Iterator[ReplaceResult]:
    """Index ``texts`` as notes of PER_NOTE chunks each, named from ``first`` on."""
    vectors = np.random.default_rng(seed).standard_normal((len(texts), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for start in range(0, len(texts), PER_NOTE):
        name = f"Notes/note-{first + start // PER_NOTE:05d}.md"
        record = catalog.upsert_file(root.id, name, 4096, 10**18, name, FileKind.NOTE)
        items = [
            Item(kind=ItemKind.TEXT_CHUNK, text=text, vectors={SPACE: vector})
            for text, vector in zip(
                texts[start : start + PER_NOTE], vectors[start : start + PER_NOTE], strict=True
            )
        ]
        yield catalog.replace_items(record.id, items)


@dataclass(frozen=True)
class Written:
    library: str
    made_s: float
    added_s: float
    mib: float


def write(
    catalog: Catalog, root: Root, uri: Path, words: bool, added: Sequence[str], first: int
) -> Written:
    uri.parent.mkdir()
    spaces = MilvusSpaces(Library.parse(str(uri)), words=words)
    began = time.perf_counter()
    spaces.open(catalog)
    made = time.perf_counter() - began
    began = time.perf_counter()
    for result in notes(catalog, root, added, first, seed=first):
        spaces.apply(result)
    spaces.save()
    added_s = time.perf_counter() - began
    spaces.close()
    size = sum(path.stat().st_size for path in uri.parent.rglob("*") if path.is_file())
    kept = "vectors and words" if words else "vectors only"
    return Written(f"Milvus Lite, {kept}", made, added_s, size / 2**20)


def queries(texts: Sequence[str], rng: random.Random) -> list[list[tuple[str, ...]]]:
    """Query units, a quarter of each shape (see the module docstring)."""
    made: list[list[tuple[str, ...]]] = []
    while len(made) < QUERIES:
        text = rng.choice(texts)
        shape = len(made) % 4
        words = [w for w in lexical.units(text, False) if len(w.words[0]) >= 4]
        spaced = [u.words for u in words if len(u.words) == 1 and u.words[0].isascii()]
        if shape == 3:
            units = lexical.units(text, False)
            bigrams = [word for u in units for word in u.words if not word.isascii()]
            if bigrams:
                made.append([(rng.choice(bigrams),)])
            continue
        if len(spaced) < 2:
            continue
        if shape == 0:
            made.append([rng.choice(spaced)])
        elif shape == 1:
            made.append(rng.sample(spaced, 2))
        else:
            phrase = lexical.units(text, True)[0].words
            i = rng.randrange(len(phrase) - 1)
            made.append([phrase[i : i + 2]])
    return made


@dataclass
class Agreement:
    """How a reader's answers compare with the catalog's: counts and totals equal; the same
    rows where at most ``LIMIT`` of a kind hold the words; and where more do (each chooses
    its ``LIMIT`` best by its own BM25), the share of rows both chose."""

    counted: int = 0
    few: int = 0
    few_same: int = 0
    shared: list[float] = field(default_factory=list)

    def add(self, got: Matches, expected: Matches) -> None:
        self.counted += (got.counts, got.total) == (expected.counts, expected.total)
        mine, theirs = _rows(got), _rows(expected)
        if len(theirs) < LIMIT and max(expected.counts, default=0) <= LIMIT:
            self.few += 1
            self.few_same += mine == theirs
        else:
            self.shared.append(len(mine & theirs) / max(len(mine | theirs), 1))


def _rows(matches: Matches) -> set[tuple[int, bool]]:
    return {(match.item_id, match.name) for match in matches.found}


def read(catalog: Catalog, uri: Path, asked: Sequence[list[tuple[str, ...]]]) -> list[str]:
    reader = SharedLibrary(Library.parse(str(uri)), PathMapping(), {SPACE: DIM})
    reader.open()
    fts, milvus, agreed = [], [], Agreement()
    try:
        for units in asked:
            began = time.perf_counter()
            expected = catalog.match_units(units, LIMIT)
            fts.append(time.perf_counter() - began)
            began = time.perf_counter()
            got = reader.reading().match_units(units, LIMIT)
            milvus.append(time.perf_counter() - began)
            agreed.add(got, expected)
    finally:
        reader.close()
    lines = ["| word index | p50 ms | p95 ms |", "|---|---|---|"]
    for name, times in (("catalog (SQLite FTS5)", fts), ("Milvus Lite words (a reader)", milvus)):
        p50, p95 = (1000 * float(np.percentile(times, q)) for q in (50, 95))
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} |")
    many = len(agreed.shared)
    lines += [
        "",
        f"Counts of each unit and the total equal the catalog's for {agreed.counted} of "
        f"{len(asked)} queries. Where at most {LIMIT} rows of a kind hold the words "
        f"({agreed.few} queries) the rows found are the same for {agreed.few_same}; where "
        f"more do ({many}), each side keeps the {LIMIT} its own BM25 ranks first, and "
        f"{np.mean(agreed.shared) if many else 1.0:.0%} of the rows are the same (mean "
        "Jaccard).",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    texts = chunks(args.chunks + 2 * ADDED_NOTES * PER_NOTE, random.Random(3))
    first, extra = texts[: args.chunks], texts[args.chunks :]
    added = ADDED_NOTES * PER_NOTE
    with tempfile.TemporaryDirectory(prefix="trove-bench-") as folder:
        catalog = Catalog(Path(folder) / "catalog.sqlite3")
        root = catalog.add_root(Path("/srv/family"))
        for _ in notes(catalog, root, first, 0, seed=0):
            pass
        notes_before = args.chunks // PER_NOTE
        # Vectors only first: the library with words is then made from the whole catalog and
        # stays in step with it for the reader.
        bare = write(catalog, root, Path(folder) / "bare" / "library.db", False, extra[:added],
                     notes_before)  # fmt: skip
        worded = write(catalog, root, Path(folder) / "words" / "library.db", True,
                       extra[added:], notes_before + ADDED_NOTES)  # fmt: skip
        asked = queries(first, random.Random(5))
        reading = read(catalog, Path(folder) / "words" / "library.db", asked)
        catalog.close()
    writing = [
        "| library | made from the catalog, s | 400 notes added, s | on disk, MiB |",
        "|---|---|---|---|",
        *(
            f"| {w.library} | {w.made_s:.1f} | {w.added_s:.1f} | {w.mib:.1f} |"
            for w in (bare, worded)
        ),
    ]
    text = f"""- Date: {today()}
- Machine: {machine()}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after
- Command: `{COMMAND} --chunks {args.chunks}` ({time.perf_counter() - began:.0f} s)
- Data: {args.chunks:,} note chunks of real captions (en, es, zh; three captions a chunk, four \
chunks a note) with a d={DIM} vector each; the "with words" library is made after the other, \
so from {ADDED_NOTES} more notes. {len(asked)} queries: one word, two words, a quoted \
two-word phrase, a Chinese bigram (a quarter each).

Writing (the machine that indexes):

{chr(10).join(writing)}

Reading (each query's rows and counts; the reader on the same machine as the library file):

{chr(10).join(reading)}

A reader's time is Milvus Lite's: each `text_match` query and each BM25 search reads more of \
the library as it grows (a word that many rows hold costs the most: those rows, a BM25 search \
per kind, and a count per word). A Milvus server from 2.5 is not measured here: none installs \
from this machine's registries (`milvus` 2.3.5 has no full-text search).
"""
    print(text)
    if not args.no_write:
        print(f"wrote {write_section('Exact words on a shared library (Milvus Lite)', text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

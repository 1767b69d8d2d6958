"""The search planner: a :class:`~engine.search.query.Query` -> one ranked list of files.

How a query is answered
1. Every part (text, or an example file) becomes *probes*, one vector per model space that can
   answer it (:mod:`engine.search.probes`): text goes to the text space (tags, transcripts, note
   chunks) and to the image-text space when the pack has one; an example goes to the spaces of
   its own modality (image -> image and image-text spaces, audio -> audio space and, through
   its transcript, transcripts and notes; video -> frames and sound; note -> text space).
2. Each probe searches its space for the ``k`` nearest items (negative parts for more, so that
   what they subtract is found). Each answer is turned into a calibrated score in 0..1 by the
   calibration of its *route key* (space, query modality, item route) - see
   :mod:`engine.search.calibration` for how thresholds are fitted on real data. Score 0.5 is
   every space's line between a good match and noise. For tags the raw value is
   ``cosine * sqrt(tag probability)``.
3. Evidence is gathered per file: within one part a file's score is its best evidence; across
   parts the file's score is ``sum(w_i * best_i) / sum(positive w)``, negative parts
   subtracting their share. A file is a hit only when some positive part found it with a good
   match (>= 0.5) and its combined score stays above 0; filters then apply, and an example file
   never answers its own query. The files below the line are kept apart as *weaker* candidates
   (at most ``weaker`` of them), never mixed into the hits, and ordered by reciprocal-rank
   fusion instead: they claim no good match, so what orders them need not be calibrated, and
   RRF puts the right file among them far more often (EVALUATION.md "Exact words").
4. One :class:`~engine.search.results.Hit` per file, best first, carrying its best evidence's
   start/end seconds and up to ``max_reasons`` reasons: the best evidence, then any other
   evidence that is a good match by itself (another tag, a second passage, another route).
   No hit at all gives ``no_good_match=True`` with an empty list, never a list of noise; the
   weaker candidates still say what came closest (a query by example always has some).
5. Only the hits returned are given their :class:`~engine.search.results.Reason` values: a tag's
   label and probability, the query text or example file a picture or sound is like, and of a
   transcript or note an excerpt around the words of the query's text parts, with where they
   are in it (:mod:`engine.search.excerpts`). The result carries the catalog's generation read
   before the search, so a front end can tell an answer the index has moved past.

The planner codes against two small protocols, :class:`VectorSearch` (``SpaceIndexes``) and
:class:`ItemLookup` (``Catalog``), so it can be tested with in-memory fakes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import ItemRow
from engine.search import lexical
from engine.search.calibration import GOOD_MATCH, CalibrationTable
from engine.search.excerpts import QueryWords, excerpt, word_boxes
from engine.search.probes import VISUAL, Probe, ProbeMaker, Probes
from engine.search.query import ExamplePart, Filters, Query, TextPart
from engine.search.results import ROUTE_OF_ITEM, Hit, Reason, Route, SearchResult, Span

# Only an example's look is expanded. Measured on the Tux Paint stamps (quality benchmark):
# photo by example, recall@10 0.436 -> 0.449 and mAP 0.375 -> 0.394; sound by example (cuts of
# one effect) fell, 0.552 -> 0.479, as a sound's few cuts leave its neighbours other sounds.
EXPANDED = VISUAL
# An indexed example finds its own items first (a video's frames, a recording's windows): the
# expansion looks this many items past the neighbours it takes.
EXPANSION_SLACK = 16
# Reciprocal-rank fusion's constant (Cormack, Clarke & Buettcher 2009), which orders the weaker
# candidates: a file ranked r-th (from 1) by a route of a part adds ``weight / (RRF_K + r)``.
RRF_K = 60


class VectorSearch(Protocol):
    """Nearest neighbours per space by inner product of unit vectors; ids < 0 are padding.
    A space with nothing indexed answers zero columns, arrays of shape (n, 0), as
    :class:`engine.index.spaces.SpaceIndexes` does."""

    def search(
        self, space: str, queries: NDArray[np.float32], k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """``filters`` may narrow the search where the index can (Milvus); the planner filters
        the hits itself all the same."""
        ...


class ItemLookup(Protocol):
    """The stored items of these ids (unknown ids are left out; their vectors only when asked
    for), and the counter every commit that changes what is searchable bumps."""

    def items(self, item_ids: Sequence[int], with_vectors: bool = False) -> list[ItemRow]: ...

    def generation(self) -> int: ...


class SharedSearch(VectorSearch, ItemLookup, lexical.WordLookup, Protocol):
    """A library that answers all three (one search of a shared library)."""


@dataclass(frozen=True)
class PlannerSettings:
    k: int = 256  # nearest items per probe
    negative_k: int = 1024  # per probe of a subtracted part
    max_reasons: int = 4
    excerpt_chars: int = 160
    # A file must reach this calibrated score in some positive part to be a hit. Evaluation
    # sets 0 to rank every file found; the app keeps the good-match line.
    floor: float = GOOD_MATCH
    weaker: int = 10  # candidates below the floor listed apart from the hits
    # Query expansion of an example's likeness probes: its nearest neighbours (other files)
    # added to it, each weighted by its cosine. Measured on the Tux Paint stamps (photo by
    # example, same folder): 3 neighbours, weights cos^1, the best of 2-8 and cos^1-3.
    expansion: int = 3
    exact_words: bool = True  # also search the word index (when the planner has one)


@dataclass(frozen=True)
class _Answer:
    part: int
    probe: Probe
    scores: NDArray[np.float32]
    ids: NDArray[np.int64]


@dataclass(frozen=True)
class _Evidence:
    """One item a probe found, or whose words (or file name) hold the query's words (``probe``
    None, ``part`` the text asked), with its calibrated score: a :class:`Reason` once its file
    is among the hits returned."""

    route: Route
    score: float
    row: ItemRow
    probe: Probe | None
    part: TextPart | None = None

    def identity(self) -> tuple[object, ...]:
        """Evidence that would read the same: one item, and for a likeness also what it is like."""
        if self.probe is not None and self.route in (Route.VISUAL, Route.SOUND):
            return (self.route, self.row.id, self.probe.asked, self.probe.example)
        if self.route is Route.NAME:
            return (self.route, self.row.file.id)
        return (self.route, self.row.id)

    @property
    def exact(self) -> bool:
        return self.probe is None


@dataclass(frozen=True)
class _Words:
    """The query's positive texts: for excerpts (``words``) and for marking names."""

    words: QueryWords
    texts: list[TextPart]


@dataclass(frozen=True)
class _Candidate:
    row: ItemRow  # one of the file's items: the file and its root
    path: Path
    score: float
    evidence: list[_Evidence]  # what its positive parts found, in no order


class Planner:
    def __init__(
        self,
        probes: ProbeMaker,
        index: VectorSearch,
        catalog: ItemLookup,
        calibration: CalibrationTable,
        settings: PlannerSettings | None = None,
        words: lexical.WordLookup | None = None,
    ) -> None:
        self.probes = probes
        self.index = index
        self.catalog = catalog
        # Required: the lines fitted for the pack's models (CalibrationTable.of(manifest)); a
        # table left out would silently be the cautious defaults.
        self.calibration = calibration
        self.settings = settings or PlannerSettings()
        self.words = words

    def with_probes(self, probes: ProbeMaker) -> Planner:
        """This planner with other probes (one search's, shared by the libraries it asks)."""
        index, catalog, words = self.index, self.catalog, self.words
        return Planner(probes, index, catalog, self.calibration, self.settings, words)

    def over(self, library: SharedSearch) -> Planner:
        """This planner over another library: a shared one, whose hits are rendered from what
        it keeps, and whose words are looked up where it keeps them."""
        return Planner(self.probes, library, library, self.calibration, self.settings, library)

    def search(self, query: Query, limit: int = 20) -> SearchResult:
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        generation = self.catalog.generation()
        notes: list[str] = []
        spaces: list[str] = []
        answers: list[_Answer] = []
        for index, part in enumerate(query.parts):
            made = (
                self.probes.for_text(part.text)
                if isinstance(part, TextPart)
                else self.probes.for_example(part)
            )
            _extend_unique(notes, made.notes)
            if part.weight > 0:
                made = self.expand(made)
            k = self.settings.k if part.weight > 0 else self.settings.negative_k
            for probe in made.probes:
                wanted = query.filters if part.weight > 0 else None  # a negative one is any
                scores, ids = self.index.search(probe.space, probe.vector[None, :], k, wanted)
                if ids.shape[1] == 0:
                    _extend_unique(notes, [f"nothing is indexed in space {probe.space!r} yet"])
                    continue
                _extend_unique(spaces, [probe.space])
                answers.append(_Answer(index, probe, scores[0], ids[0]))
        exact = self._exact_words(query)
        evidence, rows = self._evidence(answers, exact, len(query.parts), notes)
        candidates, below, good = self._merge(query, evidence, rows, notes)
        texts = [part for part in query.positive if isinstance(part, TextPart)]
        words = _Words(QueryWords(" ".join(part.text for part in texts)), texts)
        hits = [self._hit(candidate, words) for candidate in candidates[:limit]]
        weaker = [self._hit(candidate, words) for candidate in below[: self.settings.weaker]]
        return SearchResult(hits, not good, spaces, notes, generation, weaker)

    def expand(self, made: Probes) -> Probes:
        """Each probe of an example's look moved toward the example's nearest neighbours
        (alpha query expansion): their shared look outweighs what is peculiar to the example,
        so more of its kind come up. Other probes are left as they are."""
        if not self.settings.expansion:
            return made
        return Probes([self._expanded(probe) for probe in made.probes], made.notes)

    def _expanded(self, probe: Probe) -> Probe:
        if probe.example is None or not probe.routes <= EXPANDED:
            return probe
        reach = self.settings.expansion + EXPANSION_SLACK
        scores, ids = self.index.search(probe.space, probe.vector[None, :], reach)
        own = _resolved(probe.example)
        found = {row.id: row for row in self.catalog.items(ids[0][ids[0] >= 0], True)}
        moved = probe.vector.astype(np.float64)
        taken = 0
        for cosine, item_id in zip(scores[0], ids[0], strict=True):
            row = found.get(int(item_id))
            if row is None or ROUTE_OF_ITEM[row.kind] not in probe.routes or cosine <= 0:
                continue
            if _resolved(Path(row.root_path) / row.file.relpath) == own:
                continue  # the example itself, where it is indexed
            vector = row.vectors.get(probe.space)
            if vector is None:
                continue
            moved += float(cosine) * vector
            taken += 1
            if taken == self.settings.expansion:
                break
        if not taken:
            return probe
        unit = (moved / np.linalg.norm(moved)).astype(np.float32)
        return replace(probe, vector=unit)

    def _exact_words(self, query: Query) -> dict[int, list[lexical.Found]]:
        """Per positive text part (by index), the rows of the word index that hold its words."""
        if self.words is None or not self.settings.exact_words:
            return {}
        return {
            index: lexical.find(self.words, part.text, part.phrase)
            for index, part in enumerate(query.parts)
            if isinstance(part, TextPart) and part.weight > 0
        }

    def _evidence(
        self,
        answers: Sequence[_Answer],
        exact: dict[int, list[lexical.Found]],
        parts: int,
        notes: list[str],
    ) -> tuple[list[dict[int, list[_Evidence]]], dict[int, ItemRow]]:
        """Per part, every file's calibrated evidence; and one item row per file."""
        wanted = sorted(
            {int(i) for answer in answers for i in answer.ids if i >= 0}
            | {found.item_id for each in exact.values() for found in each}
        )
        items = {row.id: row for row in self.catalog.items(wanted)} if wanted else {}
        per_part: list[dict[int, list[_Evidence]]] = [{} for _ in range(parts)]
        files: dict[int, ItemRow] = {}
        for part, found_words in exact.items():
            for held in found_words:
                row = items.get(held.item_id)
                if row is None:
                    continue
                route = Route.NAME if held.name else ROUTE_OF_ITEM.get(row.kind)
                if route is None:
                    continue
                per_part[part].setdefault(row.file.id, []).append(
                    _Evidence(route, held.score, row, None)
                )
                files.setdefault(row.file.id, row)
        for answer in answers:
            probe = answer.probe
            for raw, item_id in zip(answer.scores, answer.ids, strict=True):
                row = items.get(int(item_id))
                if row is None:
                    continue
                route = ROUTE_OF_ITEM[row.kind]
                if route not in probe.routes:
                    continue
                value = raw_value(route, float(raw), row.score)
                calibration, fitted = self.calibration.get(probe.space, probe.modality, route)
                if not fitted:
                    _extend_unique(
                        notes,
                        [
                            f"space {probe.space!r} has no fitted calibration for "
                            f"{probe.modality} -> {route.value}; a cautious default is used"
                        ],
                    )
                found = _Evidence(route, calibration.score(value), row, probe)
                per_part[answer.part].setdefault(row.file.id, []).append(found)
                files.setdefault(row.file.id, row)
        return per_part, files

    def _merge(
        self,
        query: Query,
        evidence: Sequence[dict[int, list[_Evidence]]],
        rows: dict[int, ItemRow],
        notes: list[str],
    ) -> tuple[list[_Candidate], list[_Candidate], bool]:
        """The files that are hits and, apart, those below the floor, each best first; and
        whether any hit is a good match."""
        weights = [part.weight for part in query.parts]
        total = sum(weight for weight in weights if weight > 0)
        examples = _example_paths(query.parts)
        chosen: list[_Candidate] = []
        below: list[_Candidate] = []
        filtered = 0
        good = False
        bests = [_Bests.of(found) for found in evidence]
        for file_id, row in rows.items():
            best = [part.fused(file_id) for part in bests]
            strongest = max((b for w, b in zip(weights, best, strict=True) if w > 0), default=0.0)
            path = Path(row.root_path) / row.file.relpath
            if examples and _resolved(path) in examples:
                continue
            combined = sum(w * b for w, b in zip(weights, best, strict=True)) / total
            if combined <= 0:
                continue
            file = row.file
            if not query.filters.accepts(path, file.kind, file.size, file.dated_ns, file.place_id):
                filtered += strongest >= self.settings.floor
                continue
            gathered = [
                found
                for weight, part in zip(weights, evidence, strict=True)
                if weight > 0
                for found in part.get(file_id, [])
            ]
            candidate = _Candidate(row, path, min(combined, 1.0), gathered)
            if strongest < self.settings.floor:
                below.append(candidate)
                continue
            good = good or strongest >= GOOD_MATCH
            chosen.append(candidate)
        if filtered and not chosen:
            notes.append(f"{filtered} good match(es) were left out by the filters")
        chosen.sort(key=lambda candidate: (-candidate.score, str(candidate.path)))
        fused = _reciprocal_ranks(weights, bests)
        below.sort(
            key=lambda candidate: (
                -fused[candidate.row.file.id],
                -candidate.score,
                str(candidate.path),
            )
        )
        if chosen and not good:  # only with a lowered floor
            notes.append("no hit is a good match; these are the nearest")
        return chosen, below, good

    def _kept(self, found: Iterable[_Evidence]) -> list[_Evidence]:
        """The best evidence, then other good matches that would not read the same, at most
        ``max_reasons``. When the best is the file's name, the best evidence inside the file
        comes second even if weaker: it says where in the file to start."""
        seen: set[tuple[object, ...]] = set()
        kept: list[_Evidence] = []
        ranked = sorted(found, key=lambda e: -e.score)
        for evidence in ranked:
            if kept and evidence.score < GOOD_MATCH:
                break
            identity = evidence.identity()
            if identity not in seen:
                seen.add(identity)
                kept.append(evidence)
            if len(kept) == self.settings.max_reasons:
                break
        inside = next((e for e in ranked if e.route is not Route.NAME), None)
        if kept[0].route is Route.NAME and inside is not None and inside.identity() not in seen:
            kept.insert(1, inside)
            del kept[self.settings.max_reasons :]
        return kept

    def _hit(self, candidate: _Candidate, words: _Words) -> Hit:
        kept = self._kept(candidate.evidence)
        reasons = tuple(self._reason(evidence, words) for evidence in kept)
        # Where to play: the best evidence inside the file (a name has no place in it).
        top = next((reason for reason in reasons if reason.route is not Route.NAME), reasons[0])
        file = candidate.row.file
        taken = None if file.facts.taken_ns is None else file.facts.taken_ns / 1e9
        return Hit(
            file.id, file.kind, candidate.path, candidate.score, top.start, top.end, reasons, taken
        )

    def _reason(self, evidence: _Evidence, asked: _Words) -> Reason:
        route, row, probe = evidence.route, evidence.row, evidence.probe
        words = asked.words
        if route is Route.NAME:
            name = row.file.relpath
            spans = sorted(
                {
                    Span(start, end)
                    for part in asked.texts
                    for start, end in lexical.spans(name, part.text, part.phrase)
                },
                key=lambda span: (span.start, span.end),
            )
            return Reason(route, evidence.score, excerpt=name, matched=tuple(spans))
        if route in (Route.TAG, Route.SHOWS):
            return Reason(
                route, evidence.score, row.start, row.end, label=row.text, probability=row.score
            )
        if route in (Route.TRANSCRIPT, Route.NOTE, Route.PICTURE_TEXT):
            text = row.text or ""
            shown = excerpt(text, words, self.settings.excerpt_chars)
            # A line read in a picture also says where the query's words lie in it.
            boxes = word_boxes(row.box, text, words.find(text)) if row.box is not None else ()
            return Reason(
                route,
                evidence.score,
                row.start,
                row.end,
                excerpt=shown.text,
                matched=shown.matched,
                boxes=boxes,
            )
        if probe is None:  # the words of a kind of item with text (words in a picture...)
            shown = excerpt(row.text or "", words, self.settings.excerpt_chars)
            return Reason(
                route, evidence.score, row.start, row.end, excerpt=shown.text, matched=shown.matched
            )
        return Reason(
            route, evidence.score, row.start, row.end, asked=probe.asked, example=probe.example
        )


@dataclass(frozen=True)
class _Bests:
    """One part's best calibrated score per file: by meaning (``dense``) and by exact words."""

    dense: dict[int, float]
    exact: dict[int, float]

    @classmethod
    def of(cls, found: dict[int, list[_Evidence]]) -> _Bests:
        def best(each: Iterable[_Evidence], exact: bool) -> float:
            return max((e.score for e in each if e.exact is exact), default=0.0)

        return cls(
            {file_id: best(each, False) for file_id, each in found.items()},
            {file_id: best(each, True) for file_id, each in found.items()},
        )

    def fused(self, file_id: int) -> float:
        """A file's score in this part: its best dense evidence and its best exact-word
        evidence, fused as independent evidence (noisy-or: ``1 - (1 - dense) * (1 - exact)``).
        Found by one of the two only, that one's calibrated score stands as it is; found by
        both, the file outranks a file found by either alone. The hits keep this order rather
        than reciprocal-rank fusion's: RRF's sums have no good-match line, which the hits/weaker
        split and "no good match" need, and ordering the same hits by RRF changes little
        (tests/benchmarks/lexical.py, EVALUATION.md "Exact words": the right file among the
        first 10 hits 403 times of 785 against 391)."""
        dense, exact = self.dense.get(file_id, 0.0), self.exact.get(file_id, 0.0)
        return 1.0 - (1.0 - dense) * (1.0 - exact)


def _reciprocal_ranks(weights: Sequence[float], bests: Sequence[_Bests]) -> dict[int, float]:
    """Per file, reciprocal-rank fusion over the parts' rankings, each weighted as its part (a
    subtracted part's ranks subtract): in each part, the files by their best evidence by
    meaning, and by their best exact words (ties by file id)."""
    fused: dict[int, float] = defaultdict(float)
    for weight, part in zip(weights, bests, strict=True):
        for best in (part.dense, part.exact):
            ranked = sorted((f for f in best if best[f] > 0), key=lambda f: (-best[f], f))
            for rank, file_id in enumerate(ranked, start=1):
                fused[file_id] += weight / (RRF_K + rank)
    return fused


def raw_value(route: Route, cosine: float, tag_probability: float | None) -> float:
    """What a route's calibration reads: the cosine, and for a tag the cosine times the square
    root of the tag's probability (a confident tag outranks a guess about the same word)."""
    if route is Route.TAG:
        return cosine * math.sqrt(max(tag_probability or 0.0, 0.0))
    return cosine


def _extend_unique(target: list[str], values: Iterable[str]) -> None:
    target.extend(value for value in values if value not in target)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:  # a loop or an unreadable parent: compare as written
        return path


def _example_paths(parts: Iterable[TextPart | ExamplePart]) -> set[Path]:
    return {_resolved(part.path) for part in parts if isinstance(part, ExamplePart)}

"""The planner's merging, thresholds, negatives and filters, and the reasons it gives as values,
on hand-made vectors (no models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.records import FileKind, Item, ItemKind
from engine.search.calibration import Calibration, CalibrationTable, fit, key
from engine.search.planner import Planner, PlannerSettings
from engine.search.probes import PASSAGE_ROUTES, SOUND, TEXT_ROUTES, VISUAL, Probe, Probes
from engine.search.query import ExamplePart, Filters, Query, TextPart
from engine.search.results import Hit, Reason, Route, SearchResult, Span, Strength
from engine.search.wording import detail, result_json
from tests.engine.search.memory import MemoryCollection

TEXT, IMAGE, AUDIO = "text-model", "image-model", "audio-model"
DIM = 5


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


# Concepts as directions: what a text query or an example "means".
CAT, DOG, BEACH, BUDGET = unit(1), unit(0, 1), unit(0, 0, 1), unit(0, 0, 0, 1)
TABLE = CalibrationTable(
    {
        key(space, modality, route): Calibration(slope=20.0, threshold=0.6)
        for space, modality, routes in (
            (TEXT, "text", TEXT_ROUTES),
            (IMAGE, "image", VISUAL),
            (AUDIO, "audio", SOUND),
        )
        for route in routes
    }
)


class FakeProbes:
    """Text -> a concept vector in the text space; an example -> its stored concept."""

    def __init__(self, words: dict[str, np.ndarray], examples: dict[Path, list[Probe]]) -> None:
        self.words = words
        self.examples = examples

    def for_text(self, text: str) -> Probes:
        vector = self.words.get(text, unit(0, 0, 0, 0, 1))  # unrelated to all
        return Probes([Probe(TEXT, vector, "text", TEXT_ROUTES, asked=text)], [])

    def for_example(self, part: ExamplePart) -> Probes:
        return Probes(self.examples[part.path], [])


World = tuple[MemoryCollection, dict[str, Path]]


@pytest.fixture
def world(tmp_path: Path) -> World:
    files = {
        name: tmp_path / name
        for name in ("cat.jpg", "dog.jpg", "beach.jpg", "meeting.wav", "notes.txt", "cat2.jpg")
    }
    for path in files.values():
        path.write_bytes(b"x" * 100)
    collection = MemoryCollection()
    collection.add(
        files["cat.jpg"],
        FileKind.PHOTO,
        [
            Item(ItemKind.PHOTO, vectors={IMAGE: unit(1, 0.1)}),
            Item(ItemKind.TAG, text="tabby, tabby cat", score=0.9, vectors={TEXT: CAT}),
            Item(ItemKind.TAG, text="beach", score=0.8, vectors={TEXT: BEACH}),
        ],
    )
    collection.add(
        files["cat2.jpg"],
        FileKind.PHOTO,
        [
            Item(ItemKind.PHOTO, vectors={IMAGE: unit(1, 0.3)}),
            Item(ItemKind.TAG, text="tabby, tabby cat", score=0.5, vectors={TEXT: CAT}),
        ],
    )
    collection.add(
        files["dog.jpg"],
        FileKind.PHOTO,
        [
            Item(ItemKind.PHOTO, vectors={IMAGE: unit(0, 1)}),
            Item(ItemKind.TAG, text="beagle", score=0.7, vectors={TEXT: DOG}),
        ],
    )
    collection.add(
        files["beach.jpg"],
        FileKind.PHOTO,
        [Item(ItemKind.TAG, text="seashore", score=0.95, vectors={TEXT: BEACH})],
    )
    collection.add(
        files["meeting.wav"],
        FileKind.AUDIO,
        [
            Item(ItemKind.AUDIO_WINDOW, 0.0, 10.0, vectors={AUDIO: unit(0, 0, 1)}),
            Item(ItemKind.TRANSCRIPT, 1.5, 4.0, text="hello all", vectors={TEXT: unit(1, 1, 1)}),
            Item(
                ItemKind.TRANSCRIPT, 12.0, 17.5, text="the budget is late", vectors={TEXT: BUDGET}
            ),
        ],
    )
    collection.add(
        files["notes.txt"],
        FileKind.NOTE,
        [
            Item(
                ItemKind.TEXT_CHUNK,
                char_start=0,
                char_end=30,
                text="Budget:\n  numbers   for May",
                vectors={TEXT: unit(0.2, 0, 0, 1)},
            )
        ],
    )
    return collection, files


def planner(
    collection: MemoryCollection, examples: dict[Path, list[Probe]] | None = None
) -> Planner:
    words = {"cat": CAT, "dog": DOG, "beach": BEACH, "budget": BUDGET}
    return Planner(FakeProbes(words, examples or {}), collection, collection, TABLE)


def test_one_hit_per_file_best_evidence_first_with_its_reasons(world: World) -> None:
    collection, files = world
    result = planner(collection).search(Query((TextPart("cat"),)))
    assert [hit.path for hit in result.hits] == [files["cat.jpg"], files["cat2.jpg"]]
    best = result.hits[0]
    assert best.file_id == collection.file(files["cat.jpg"]).id
    assert best.kind is FileKind.PHOTO and best.start is None
    tag = best.reasons[0]
    assert tag.route is Route.TAG
    assert (tag.label, tag.probability) == ("tabby, tabby cat", pytest.approx(0.9))
    assert tag.excerpt is None and tag.asked is None and tag.example is None
    assert tag.score == pytest.approx(best.score)
    assert detail(tag) == 'tag "tabby, tabby cat" 0.90'
    assert detail(Reason(Route.SHOWS, 0.6, label="husky, malamute")) == 'shows "husky, malamute"'
    # a confident tag outranks a guess about the same word
    assert result.hits[0].score > result.hits[1].score
    assert not result.no_good_match
    assert result.spaces_used == [TEXT]


def test_segment_hits_carry_their_seconds(world: World) -> None:
    collection, _ = world
    result = planner(collection).search(Query((TextPart("budget"),)))
    names = [Path(hit.path).name for hit in result.hits]
    assert names[0] == "meeting.wav"
    top = result.hits[0]
    assert (top.start, top.end) == (12.0, 17.5)
    said = top.reasons[0]
    assert (said.route, said.start, said.end) == (Route.TRANSCRIPT, 12.0, 17.5)
    assert said.excerpt == "the budget is late"
    assert said.matched == (Span(4, 10),)
    assert detail(said) == 'said "the budget is late"'
    assert "notes.txt" in names
    note = result.hits[names.index("notes.txt")].reasons[0]
    assert note.route is Route.NOTE
    assert note.excerpt == "Budget: numbers for May"  # whitespace folded
    assert note.matched == (Span(0, 6),)  # "Budget", whatever its case
    assert detail(note) == 'note: "Budget: numbers for May"'


def test_an_excerpt_of_a_long_passage_is_cut_around_the_query_words(tmp_path: Path) -> None:
    path = tmp_path / "diary.txt"
    path.write_bytes(b"x")
    before = " ".join(f"filler{i}" for i in range(60))
    after = " ".join(f"more{i}" for i in range(60))
    text = f"{before} then the budget for May was late again {after}"
    collection = MemoryCollection()
    collection.add(
        path, FileKind.NOTE, [Item(ItemKind.TEXT_CHUNK, text=text, vectors={TEXT: BUDGET})]
    )
    (hit,) = planner(collection).search(Query((TextPart("budget"),))).hits
    note = hit.reasons[0]
    assert note.excerpt is not None and len(note.excerpt) <= 160
    assert note.excerpt.startswith("\u2026filler") and note.excerpt.endswith("\u2026")
    (span,) = note.matched
    assert note.excerpt[span.start : span.end] == "budget"
    middle = len(note.excerpt) / 2
    assert abs((span.start + span.end) / 2 - middle) < 20  # centred on the word


def test_matched_words_come_from_every_positive_text_part(world: World) -> None:
    collection, _ = world
    query = Query((TextPart("budget"), TextPart("late", 0.5), TextPart("the", -1.0)))
    result = planner(collection).search(query)
    said = next(r for hit in result.hits for r in hit.reasons if r.route is Route.TRANSCRIPT)
    assert said.excerpt is not None
    assert [said.excerpt[s.start : s.end] for s in said.matched] == ["budget", "late"]


def test_the_answer_carries_the_generation_it_was_read_at(world: World, tmp_path: Path) -> None:
    collection, _ = world
    before = planner(collection).search(Query((TextPart("cat"),)))
    assert before.generation == collection.generation() > 0
    extra = tmp_path / "extra.jpg"
    extra.write_bytes(b"x")
    collection.add(extra, FileKind.PHOTO, [])
    after = planner(collection).search(Query((TextPart("cat"),)))
    assert after.generation == before.generation + 1


def test_nothing_above_the_threshold_gives_no_good_match(world: World) -> None:
    collection, _ = world
    result = planner(collection).search(Query((TextPart("something else entirely"),)))
    assert result.hits == []
    assert result.no_good_match


def test_weaker_candidates_are_listed_apart_from_the_good_matches(world: World) -> None:
    collection, files = world
    result = planner(collection).search(Query((TextPart("dog"),)))
    assert [hit.path.name for hit in result.hits] == ["dog.jpg"]
    assert result.hits[0].strength is not Strength.WEAK
    weaker = [hit.path.name for hit in result.weaker]
    assert "dog.jpg" not in weaker and len(weaker) == len(files) - 1
    scores = [hit.score for hit in result.weaker]
    assert scores == sorted(scores, reverse=True) and max(scores) < 0.5
    assert all(hit.strength is Strength.WEAK and hit.reasons for hit in result.weaker)


def test_a_query_by_example_always_lists_its_nearest_neighbours(world: World) -> None:
    collection, files = world
    example = files["dog.jpg"]  # no other photo looks like it
    probes = {example: [Probe(IMAGE, unit(0, 1), "image", VISUAL, example=example)]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert result.hits == [] and result.no_good_match
    assert [hit.path.name for hit in result.weaker] == ["cat2.jpg", "cat.jpg"]
    assert result.weaker[0].reasons[0].example == example


def test_weaker_candidates_obey_the_filters_and_their_count(world: World) -> None:
    collection, _ = world
    photos = Filters(kinds=frozenset({FileKind.PHOTO}))
    settings = PlannerSettings(weaker=2)
    few = Planner(FakeProbes({"budget": BUDGET}, {}), collection, collection, TABLE, settings)
    result = few.search(Query((TextPart("budget"),), photos))
    assert result.hits == [] and len(result.weaker) == 2
    assert all(hit.kind is FileKind.PHOTO for hit in result.weaker)
    # the good matches the filter left out are counted; the weaker ones are not
    assert "2 good match(es) were left out by the filters" in result.notes


@pytest.mark.parametrize(
    ("score", "strength"),
    [
        (0.95, Strength.STRONG),
        (0.8, Strength.STRONG),
        (0.79, Strength.GOOD),
        (0.5, Strength.GOOD),
        (0.49, Strength.WEAK),
        (0.0, Strength.WEAK),
    ],
)
def test_a_score_is_worded_by_its_band(score: float, strength: Strength) -> None:
    assert Strength.of(score) is strength


def test_an_example_s_look_is_moved_toward_its_nearest_neighbours(world: World) -> None:
    collection, files = world
    example = files["cat.jpg"]  # indexed: its own photo is the nearest, and is passed over
    looks = Probe(IMAGE, unit(1, 0.1), "image", VISUAL, example=example)
    text = Probe(TEXT, CAT, "text", TEXT_ROUTES, asked="cat")
    one = Planner(FakeProbes({}, {}), collection, collection, TABLE, PlannerSettings(expansion=1))
    moved, kept = one.expand(Probes([looks, text], ["a note"])).probes
    cat2 = unit(1, 0.3)  # the nearest other photo
    want = looks.vector + float(looks.vector @ cat2) * cat2
    np.testing.assert_allclose(moved.vector, want / np.linalg.norm(want), atol=1e-6)
    assert (moved.space, moved.example, moved.routes) == (IMAGE, example, VISUAL)
    assert kept is text  # a text probe is not an example's look
    heard = Probe(AUDIO, unit(0, 0, 1), "audio", SOUND, example=files["meeting.wav"])
    assert one.expand(Probes([heard], [])).probes == [heard]  # nor is a sound (measured)
    off = Planner(FakeProbes({}, {}), collection, collection, TABLE, PlannerSettings(expansion=0))
    assert off.expand(Probes([looks], [])).probes == [looks]


def test_negative_parts_subtract(world: World) -> None:
    collection, _ = world
    plain = planner(collection).search(Query((TextPart("beach"),)))
    assert [Path(h.path).name for h in plain.hits] == ["beach.jpg", "cat.jpg"]
    minus = planner(collection).search(Query((TextPart("beach"), TextPart("cat", -1.0))))
    assert [Path(h.path).name for h in minus.hits] == ["beach.jpg"]


def test_a_subtracted_part_pushes_weaker_candidates_down_too(tmp_path: Path) -> None:
    """Weaker candidates are ordered by reciprocal rank: the subtracted part's ranks subtract,
    so the note nearest to what is subtracted is no longer the first of them."""
    sunset, people = unit(1), unit(0, 1)
    collection = MemoryCollection()
    for name, vector in (
        ("crowd.md", unit(0.58, 0.55, 0.601)),  # nearest to both
        ("harbour.md", unit(0.55, 0.0, 0.835)),
        ("street.md", unit(0.50, 0.4, 0.768)),
    ):
        path = tmp_path / name
        path.write_bytes(b"x")
        collection.add(
            path, FileKind.NOTE, [Item(ItemKind.TEXT_CHUNK, text="", vectors={TEXT: vector})]
        )
    ask = Planner(
        FakeProbes({"sunset": sunset, "people": people}, {}), collection, collection, TABLE
    )
    plain = ask.search(Query((TextPart("sunset"),)))
    assert plain.hits == [] and [h.path.name for h in plain.weaker][0] == "crowd.md"
    minus = ask.search(Query((TextPart("sunset"), TextPart("people", -1.0))))
    assert minus.hits == []
    assert [h.path.name for h in minus.weaker] == ["harbour.md", "crowd.md", "street.md"]


def test_weighted_combination_of_text_and_example(world: World) -> None:
    collection, files = world
    example = files["dog.jpg"]
    probes = {example: [Probe(IMAGE, unit(1, 0.2), "image", VISUAL, example=example)]}
    # the example looks like the cats; the text asks for a beach: cat.jpg has both
    query = Query((ExamplePart(example), TextPart("beach", 0.5)))
    result = planner(collection, probes).search(query)
    names = [Path(h.path).name for h in result.hits]
    assert names[0] == "cat.jpg"
    reasons = {reason.route: reason for reason in result.hits[0].reasons}
    assert set(reasons) == {Route.VISUAL, Route.TAG}
    assert reasons[Route.VISUAL].example == example and reasons[Route.VISUAL].asked is None
    assert reasons[Route.TAG].label == "beach"
    assert result.spaces_used == [IMAGE, TEXT]


def test_an_example_never_finds_itself(world: World) -> None:
    collection, files = world
    example = files["cat.jpg"]
    probes = {example: [Probe(IMAGE, unit(1, 0.1), "image", VISUAL, example=example)]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert [Path(h.path).name for h in result.hits] == ["cat2.jpg"]
    looks = result.hits[0].reasons[0]
    assert (looks.route, looks.example, looks.asked) == (Route.VISUAL, example, None)
    assert detail(looks) == "looks like cat.jpg"


def test_filters_apply_and_say_so_when_they_empty_the_list(world: World) -> None:
    collection, _ = world
    audio_only = Query((TextPart("budget"),), Filters(kinds=frozenset({FileKind.AUDIO})))
    assert [Path(h.path).name for h in planner(collection).search(audio_only).hits] == [
        "meeting.wav"
    ]
    tiny = Query((TextPart("cat"),), Filters(max_size=10))
    result = planner(collection).search(tiny)
    assert result.hits == [] and result.no_good_match
    assert any("left out by the filters" in note for note in result.notes)


def test_passage_probes_skip_tags(world: World) -> None:
    collection, files = world
    example = files["notes.txt"]
    probes = {example: [Probe(TEXT, BUDGET, "text", PASSAGE_ROUTES, example=example)]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert [Path(h.path).name for h in result.hits] == ["meeting.wav"]


def test_a_space_with_nothing_indexed_is_a_note_not_a_crash(world: World) -> None:
    collection, files = world
    example = files["cat.jpg"]
    probes = {example: [Probe("image-text-model", CAT, "image", VISUAL, example=example)]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert result.no_good_match and result.spaces_used == []
    assert result.notes == ["nothing is indexed in space 'image-text-model' yet"]


def test_uncalibrated_spaces_use_defaults_and_say_so(world: World) -> None:
    collection, _ = world
    bare = Planner(FakeProbes({"cat": CAT}, {}), collection, collection, CalibrationTable({}))
    result = bare.search(Query((TextPart("cat"),)))
    assert result.hits and result.hits[0].path.name == "cat.jpg"
    assert any("no fitted calibration" in note for note in result.notes)


SCHEMA_1_RESULT = {"no_good_match", "spaces_used", "notes", "hits"}
SCHEMA_1_HIT = {"path", "kind", "score", "start", "end", "why"}
SCHEMA_1_REASON = {"route", "detail", "start", "end"}
SCHEMA_2_REASON = {"score", "label", "probability", "excerpt", "matched", "asked", "example"}
SCHEMA_3_REASON = {"boxes"}


def test_json_keeps_schema_1_and_adds_the_reasons_values(world: World) -> None:
    collection, files = world
    result = planner(collection).search(Query((TextPart("budget"),)), limit=1)
    data = json.loads(json.dumps(result_json(result)))
    assert set(data) == SCHEMA_1_RESULT | {"schema", "generation", "weaker"}
    assert data["schema"] == 4 and data["generation"] == collection.generation()
    (hit,) = data["hits"]
    assert set(hit) == SCHEMA_1_HIT | {"file_id", "strength", "library"}
    assert hit["strength"] in ("strong", "good") and hit["library"] is None
    assert data["weaker"] and {weak["strength"] for weak in data["weaker"]} == {"weak"}
    assert all(set(weak) == set(hit) for weak in data["weaker"])
    assert hit["path"] == str(files["meeting.wav"])
    assert hit["file_id"] == collection.file(files["meeting.wav"]).id
    assert hit["kind"] == "audio" and (hit["start"], hit["end"]) == (12.0, 17.5)
    assert 0.5 <= hit["score"] <= 1.0
    said = hit["why"][0]
    assert set(said) == SCHEMA_1_REASON | SCHEMA_2_REASON | SCHEMA_3_REASON
    assert said["route"] == "transcript" and said["detail"] == 'said "the budget is late"'
    assert said["excerpt"] == "the budget is late" and said["matched"] == [[4, 10]]
    assert said["label"] is None and said["asked"] is None and said["example"] is None
    assert said["score"] == pytest.approx(hit["score"], abs=1e-3)


def test_json_of_a_tag_and_of_an_example(world: World) -> None:
    collection, files = world
    tags = result_json(planner(collection).search(Query((TextPart("cat"),)), limit=1))
    tag = tags["hits"][0]["why"][0]
    assert (tag["route"], tag["label"], tag["probability"]) == ("tag", "tabby, tabby cat", 0.9)
    assert tag["detail"] == 'tag "tabby, tabby cat" 0.90' and tag["matched"] == []
    example = files["cat.jpg"]
    probes = {example: [Probe(IMAGE, unit(1, 0.1), "image", VISUAL, example=example)]}
    looks = planner(collection, probes).search(Query((ExamplePart(example),)))
    reason = result_json(looks)["hits"][0]["why"][0]
    assert (reason["route"], reason["example"]) == ("visual", str(example))
    assert reason["detail"] == "looks like cat.jpg"


def test_calibration_fit_finds_the_line_between_classes() -> None:
    rng = np.random.default_rng(0)
    relevant = rng.normal(0.7, 0.05, 400)
    irrelevant = rng.normal(0.3, 0.05, 4000)
    fitted = fit(relevant, irrelevant, max_false_rate=0.005)
    assert fitted.slope > 10
    # above the irrelevant tail, below most relevant pairs
    assert np.mean(irrelevant >= fitted.threshold) <= 0.005
    assert np.mean(relevant >= fitted.threshold) > 0.95
    assert fitted.score(fitted.threshold) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="do not score higher"):
        fit(irrelevant[:400], relevant)


def test_libraries_merge_their_hits_by_score_and_their_weaker_ones_by_rank() -> None:
    """Calibrated scores compare across libraries; each library's weaker candidates are in
    its own reciprocal-rank order, so those interleave by rank, as many as one library gives."""

    def hits(library: str | None, *scored: tuple[str, float]) -> list[Hit]:
        return [
            Hit(1, FileKind.PHOTO, Path(name), score, library=library) for name, score in scored
        ]

    here = SearchResult(
        hits(None, ("a.jpg", 0.7)), False, weaker=hits(None, ("c", 0.1), ("d", 0.4), ("g", 0.05))
    )
    nas = SearchResult(
        hits("nas", ("b.jpg", 0.9)), False, weaker=hits("nas", ("e", 0.2), ("f", 0.45), ("h", 0.3))
    )
    merged = SearchResult.merged([here, nas], limit=10)
    assert [hit.path.name for hit in merged.hits] == ["b.jpg", "a.jpg"]
    assert [hit.path.name for hit in merged.weaker] == ["e", "c", "f"]

"""The planner's merging, thresholds, negatives and filters, on hand-made vectors (no models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.records import FileKind, ItemKind, NewItem
from engine.search.calibration import Calibration, CalibrationTable, fit, key
from engine.search.planner import Planner
from engine.search.probes import PASSAGE_ROUTES, SOUND, TEXT_ROUTES, VISUAL, Probe, Probes
from engine.search.query import ExamplePart, Filters, Query, TextPart
from engine.search.results import Route
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
        return Probes([Probe(TEXT, vector, "text", TEXT_ROUTES, f'"{text}"')], [])

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
            NewItem(ItemKind.PHOTO, vectors={IMAGE: unit(1, 0.1)}),
            NewItem(ItemKind.TAG, text="tabby, tabby cat", score=0.9, vectors={TEXT: CAT}),
            NewItem(ItemKind.TAG, text="beach", score=0.8, vectors={TEXT: BEACH}),
        ],
    )
    collection.add(
        files["cat2.jpg"],
        FileKind.PHOTO,
        [
            NewItem(ItemKind.PHOTO, vectors={IMAGE: unit(1, 0.3)}),
            NewItem(ItemKind.TAG, text="tabby, tabby cat", score=0.5, vectors={TEXT: CAT}),
        ],
    )
    collection.add(
        files["dog.jpg"],
        FileKind.PHOTO,
        [
            NewItem(ItemKind.PHOTO, vectors={IMAGE: unit(0, 1)}),
            NewItem(ItemKind.TAG, text="beagle", score=0.7, vectors={TEXT: DOG}),
        ],
    )
    collection.add(
        files["beach.jpg"],
        FileKind.PHOTO,
        [NewItem(ItemKind.TAG, text="seashore", score=0.95, vectors={TEXT: BEACH})],
    )
    collection.add(
        files["meeting.wav"],
        FileKind.AUDIO,
        [
            NewItem(ItemKind.AUDIO_WINDOW, 0.0, 10.0, vectors={AUDIO: unit(0, 0, 1)}),
            NewItem(ItemKind.TRANSCRIPT, 1.5, 4.0, text="hello all", vectors={TEXT: unit(1, 1, 1)}),
            NewItem(
                ItemKind.TRANSCRIPT, 12.0, 17.5, text="the budget is late", vectors={TEXT: BUDGET}
            ),
        ],
    )
    collection.add(
        files["notes.txt"],
        FileKind.NOTE,
        [
            NewItem(
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
    assert [Path(hit.path).name for hit in result.hits] == ["cat.jpg", "cat2.jpg"]
    best = result.hits[0]
    assert best.kind == "photo" and best.start is None
    assert best.why[0].route is Route.TAG
    assert best.why[0].detail == 'tag "tabby, tabby cat" 0.90'
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
    assert top.why[0].detail == 'said "the budget is late"'
    assert "notes.txt" in names
    note = result.hits[names.index("notes.txt")]
    assert note.why[0].detail == 'note: "Budget: numbers for May"'


def test_nothing_above_the_threshold_gives_no_good_match(world: World) -> None:
    collection, _ = world
    result = planner(collection).search(Query((TextPart("something else entirely"),)))
    assert result.hits == []
    assert result.no_good_match


def test_negative_parts_subtract(world: World) -> None:
    collection, _ = world
    plain = planner(collection).search(Query((TextPart("beach"),)))
    assert [Path(h.path).name for h in plain.hits] == ["beach.jpg", "cat.jpg"]
    minus = planner(collection).search(Query((TextPart("beach"), TextPart("cat", -1.0))))
    assert [Path(h.path).name for h in minus.hits] == ["beach.jpg"]


def test_weighted_combination_of_text_and_example(world: World) -> None:
    collection, files = world
    example = files["dog.jpg"]
    probes = {example: [Probe(IMAGE, unit(1, 0.2), "image", VISUAL, "dog.jpg")]}
    # the example looks like the cats; the text asks for a beach: cat.jpg has both
    query = Query((ExamplePart(example), TextPart("beach", 0.5)))
    result = planner(collection, probes).search(query)
    names = [Path(h.path).name for h in result.hits]
    assert names[0] == "cat.jpg"
    assert {reason.route for reason in result.hits[0].why} == {Route.VISUAL, Route.TAG}
    assert result.spaces_used == [IMAGE, TEXT]


def test_an_example_never_finds_itself(world: World) -> None:
    collection, files = world
    example = files["cat.jpg"]
    probes = {example: [Probe(IMAGE, unit(1, 0.1), "image", VISUAL, "cat.jpg")]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert [Path(h.path).name for h in result.hits] == ["cat2.jpg"]
    assert result.hits[0].why[0].detail == "looks like cat.jpg"


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
    probes = {example: [Probe(TEXT, BUDGET, "text", PASSAGE_ROUTES, "notes.txt")]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert [Path(h.path).name for h in result.hits] == ["meeting.wav"]


def test_a_space_with_nothing_indexed_is_a_note_not_a_crash(world: World) -> None:
    collection, files = world
    example = files["cat.jpg"]
    probes = {example: [Probe("image-text-model", CAT, "image", VISUAL, "cat.jpg")]}
    result = planner(collection, probes).search(Query((ExamplePart(example),)))
    assert result.no_good_match and result.spaces_used == []
    assert result.notes == ["nothing is indexed in space 'image-text-model' yet"]


def test_uncalibrated_spaces_use_defaults_and_say_so(world: World) -> None:
    collection, _ = world
    bare = Planner(FakeProbes({"cat": CAT}, {}), collection, collection, CalibrationTable({}))
    result = bare.search(Query((TextPart("cat"),)))
    assert result.hits and result.hits[0].path.endswith("cat.jpg")
    assert any("no fitted calibration" in note for note in result.notes)


def test_json_schema(world: World) -> None:
    collection, _ = world
    result = planner(collection).search(Query((TextPart("budget"),)), limit=1)
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) == {"no_good_match", "spaces_used", "notes", "hits"}
    (hit,) = data["hits"]
    assert set(hit) == {"path", "kind", "score", "start", "end", "why"}
    assert hit["kind"] == "audio" and (hit["start"], hit["end"]) == (12.0, 17.5)
    assert 0.5 <= hit["score"] <= 1.0
    assert set(hit["why"][0]) == {"route", "detail", "start", "end"}
    assert hit["why"][0]["route"] == "transcript"


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

"""Queries in other languages on real media, through the dev pack's two text spaces (MiniLM,
English; USE-multilingual), the pipeline's extractor, the calibration and the planner: photos are
found through their English ImageNet tags, a recording through its English transcript."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.inference.models import ModelSet
from engine.scan.extract import Extractor
from engine.search.calibration import CalibrationTable
from engine.search.planner import Planner, PlannerSettings
from engine.search.probes import ModelProbes
from engine.search.query import ExamplePart, parse
from engine.search.results import Route
from models.manifest import Manifest
from tests import media
from tests.engine.search.memory import MemoryCollection, kind_of

TEXT_SPACES = ["minilm-l6-v2", "use-m3"]
DOG, ELEPHANT = "animals/mammals/dogs/dog.png", "animals/mammals/elephant.png"


@dataclass(frozen=True)
class World:
    planner: Planner
    ranker: Planner  # floor off: ranks below the good-match line count too
    probes: ModelProbes
    speech: Path


@pytest.fixture(scope="module")
def world(dev_pack: Manifest) -> Iterator[World]:
    """Every twelfth Tux Paint photo stamp (57 of all kinds: animals, food, tools, letters...),
    the dog and elephant stamps, the skimage cat, a spoken recording and a note."""
    models = ModelSet(dev_pack)
    extractor = Extractor(models, note_reader=lambda path: path.read_text(encoding="utf-8"))
    stamps = media.tux_stamps()
    targets = [stamps / DOG, stamps / ELEPHANT, media.skimage_photos()["chelsea"]]
    photos = list(dict.fromkeys(targets + media.stamp_images(photos_only=True)[::12]))
    speech = media.long_speech().path
    files = [*photos, speech, media.demo_folder() / "Notes" / "zoo-trip.md"]
    assert len(photos) >= 40
    collection = MemoryCollection()
    collection.add_files(extractor, files, kind_of, batch=8)
    probes = ModelProbes(models, kind_of=kind_of, extractor=extractor)
    table = CalibrationTable.of(dev_pack)  # the lines the app searches with
    ranker = Planner(probes, collection, collection, table, PlannerSettings(floor=0.0))
    yield World(Planner(probes, collection, collection, table), ranker, probes, speech)


def test_a_text_query_probes_every_text_space(world: World) -> None:
    made = world.probes.for_text("un perro en la playa")
    assert [probe.space for probe in made.probes] == TEXT_SPACES
    assert {probe.asked for probe in made.probes} == {"un perro en la playa"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("un perro", "dog.png"),
        ("一只狗", "dog.png"),
        ("猫", "chelsea.png"),
        ("un gato", "chelsea.png"),
        ("un éléphant", "elephant.png"),
        ("大象", "elephant.png"),
    ],
)
def test_a_photo_is_found_in_another_language_through_its_english_tags(
    world: World, text: str, expected: str
) -> None:
    result = world.ranker.search(parse(text))
    found = [Path(hit.path).name for hit in result.hits]
    assert expected in found[:3], found[:5]
    hit = result.hits[found.index(expected)]
    assert hit.reasons[0].route in (Route.TAG, Route.SHOWS)  # its words, or what it shows
    assert hit.score >= 0.5  # a good match: the app shows it too


@pytest.mark.parametrize("text", ["regar las plantas de tomate", "arroser les plantes de tomates"])
def test_an_english_recording_is_found_by_its_words_in_another_language(
    world: World, text: str
) -> None:
    # Ranked, not held to the good-match line: across languages a transcript's cosine in
    # use-m3 lies near its fitted threshold (EVALUATION.md: Spanish queries find English
    # recordings in the top 10 66% of the time).
    result = world.ranker.search(parse(text))
    assert result.hits and Path(result.hits[0].path) == world.speech
    assert result.hits[0].reasons[0].route is Route.TRANSCRIPT


def test_a_recording_as_example_probes_passages_in_every_text_space(world: World) -> None:
    made = world.probes.for_example(ExamplePart(world.speech))
    passages = [probe.space for probe in made.probes if Route.TRANSCRIPT in probe.routes]
    assert passages == TEXT_SPACES

"""Find similar on a file Trove has indexed: its stored vectors are the example and no encoder
runs (every forward pass of every model counted), on real media with the dev pack and the whole
engine (``Trove``). The same query through the extractor, in the same test, is the reference:
the same probes and the same ranks."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.facade import Trove
from engine.inference.models import ModelSet
from engine.inference.session import Feed, LazySession
from engine.scan.extract import Extractor
from engine.search.planner import Planner, PlannerSettings
from engine.search.probes import ExampleError, ModelProbes, ProbeMaker, Probes
from engine.search.query import ExamplePart, Query
from engine.search.results import SearchResult
from models.manifest import Manifest
from tests import media

PHOTOS = ("dog.png", "chelsea.png", "tiger.png", "lion.png", "cow.png", "elephant.png")
EDITED = "dog-edited.jpg"  # dog.png cropped and shrunk: what a search by dog.png must find
RECORDINGS = ("tomato_plants", "budget_meeting", "grocery_list", "dentist", "train_station")
SOUNDS = ("dog.ogg", "cow.ogg", "rooster.ogg")
LONG = "long_75s.wav"  # windows 0-30, 30-60 and 45-75 s; sentences, then silence


@dataclass(frozen=True)
class Library:
    trove: Trove
    folder: Path
    extracted: ModelProbes  # the same models, without the catalog: every example embedded

    def planner(self, probes: ProbeMaker) -> Planner:
        """The app's planner with these probes, the floor off: every file found is ranked."""
        settings = PlannerSettings(floor=0.0)
        planner = self.trove.planner
        return Planner(probes, planner.index, planner.catalog, planner.calibration, settings)


def _edited_copy(photo: Path, target: Path) -> None:
    image = Image.open(photo).convert("RGB")
    width, height = image.size
    cropped = image.crop((width // 10, height // 10, width - width // 10, height - height // 10))
    cropped.resize((width * 2 // 3, height * 2 // 3)).save(target, quality=85)


def build_library(folder: Path, data: Path, pack: Path) -> Library:
    """A Trove that has indexed copies of the real media above in ``folder``."""
    demo = media.demo_folder()
    for name in PHOTOS:
        shutil.copyfile(demo / "Photos" / name, folder / name)
    _edited_copy(demo / "Photos" / "dog.png", folder / EDITED)
    for name in SOUNDS:
        shutil.copyfile(demo / "Sounds" / name, folder / name)
    clips = {clip.path.stem: clip.path for clip in media.speech_clips()}
    for name in RECORDINGS:
        shutil.copyfile(clips[name], folder / f"{name}.wav")
    shutil.copyfile(media.long_speech(75.0).path, folder / LONG)
    shutil.copyfile(media.videos().slideshow, folder / "slideshow.mp4")
    trove = Trove(data, pack)
    trove.add_folder(folder)
    summary = trove.index()
    assert summary.indexed == len(list(folder.iterdir())), summary  # every file, none refused
    extracted = ModelProbes(trove.models, extractor=Extractor(trove.models))
    return Library(trove, folder.resolve(), extracted)


@contextmanager
def counted_encoder_runs() -> Iterator[Counter[str]]:
    """Forward passes per model folder (``efficientnet-lite0``...) while the block runs: every
    encoder of every pack runs its ONNX graphs through :meth:`LazySession.run`."""
    runs: Counter[str] = Counter()
    run = LazySession.run

    def counted(self: LazySession, output_names: Sequence[str], feed: Feed) -> list[np.ndarray]:
        runs[self.path.parent.name] += 1
        return run(self, output_names, feed)

    LazySession.run = counted  # type: ignore[method-assign]
    try:
        yield runs
    finally:
        LazySession.run = run  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("library")
    library = build_library(folder, tmp_path_factory.mktemp("data"), dev_pack.root)
    yield library
    library.trove.close()


@pytest.fixture
def encoder_runs() -> Iterator[Counter[str]]:
    with counted_encoder_runs() as runs:
        yield runs


def names(result: SearchResult) -> list[str]:
    return [Path(hit.path).name for hit in result.hits]


def by_space(probes: Probes) -> dict[tuple[str, str], np.ndarray]:
    return {(probe.space, probe.modality): probe.vector for probe in probes.probes}


def cosines(stored: Probes, extracted: Probes) -> dict[tuple[str, str], float]:
    """Per (space, modality), the cosine of the two probe vectors; both must have the same."""
    ours, theirs = by_space(stored), by_space(extracted)
    assert ours.keys() == theirs.keys()
    return {key: float(ours[key] @ theirs[key]) for key in ours}


@pytest.mark.slow
def test_an_indexed_photo_finds_its_edited_copy_without_an_encoder(
    library: Library, encoder_runs: Counter[str]
) -> None:
    dog = ExamplePart(library.folder / "dog.png")
    result = library.trove.search(Query((dog,)))
    stored = library.trove.planner.probes.for_example(dog)
    ranked = library.planner(library.trove.planner.probes).search(Query((dog,)))
    assert sum(encoder_runs.values()) == 0
    assert names(result)[0] == EDITED and "dog.png" not in names(result)
    extracted = library.extracted.for_example(dog)
    assert encoder_runs["efficientnet-lite0"] > 0  # the reference did embed it
    assert all(cosine > 0.99 for cosine in cosines(stored, extracted).values())
    reference = library.planner(library.extracted).search(Query((dog,)))
    assert names(ranked)[:5] == names(reference)[:5]


@pytest.mark.slow
def test_an_indexed_recording_ranks_as_embedded_again_without_an_encoder(
    library: Library, encoder_runs: Counter[str]
) -> None:
    tomato = ExamplePart(library.folder / "tomato_plants.wav")
    stored = library.trove.planner.probes.for_example(tomato)
    ranked = library.planner(library.trove.planner.probes).search(Query((tomato,)))
    assert sum(encoder_runs.values()) == 0
    modalities = {modality for _, modality in by_space(stored)}
    assert modalities == {"audio", "text"}  # its sound windows, and its transcript's words
    extracted = library.extracted.for_example(tomato)
    assert encoder_runs["whisper-base"] > 0  # the reference transcribed it again
    assert all(cosine > 0.99 for cosine in cosines(stored, extracted).values())
    reference = library.planner(library.extracted).search(Query((tomato,)))
    assert names(ranked)[:5] == names(reference)[:5]
    assert names(ranked)[0].endswith(".wav") and "tomato_plants.wav" not in names(ranked)


@pytest.mark.slow
def test_a_time_range_of_an_indexed_recording_takes_the_items_of_that_range(
    library: Library, encoder_runs: Counter[str]
) -> None:
    long = library.folder / LONG
    probes = library.trove.planner.probes
    whole = probes.for_example(ExamplePart(long))
    second = probes.for_example(ExamplePart(long, 1.0, 30.0, 45.0))
    assert sum(encoder_runs.values()) == 0
    # Of 75 s, only the first 30 are the example, as the extractor cuts it, and says so.
    assert whole.notes == [
        f"{LONG}: only 0-30 s of it is the example (at most 30 s; a time range picks another part)"
    ]
    assert second.notes == []
    stored = _window_vectors(library, long)
    assert sorted(stored) == [(0.0, 30.0), (30.0, 60.0), (45.0, 75.0)]
    sound = {modality: vector for (_, modality), vector in by_space(whole).items()}
    narrowed = {modality: vector for (_, modality), vector in by_space(second).items()}
    # 0-30 s is the first window alone, 30-45 s the window that holds it: not the one that
    # merely touches it, nor the end-aligned one that holds less than half of it
    assert np.allclose(sound["audio"], stored[(0.0, 30.0)], atol=1e-6)
    assert np.allclose(narrowed["audio"], stored[(30.0, 60.0)], atol=1e-6)
    assert float(sound["text"] @ narrowed["text"]) < 0.99  # other sentences


@pytest.mark.slow
def test_a_time_range_past_the_end_is_refused_as_the_extractor_refuses_it(
    library: Library, encoder_runs: Counter[str]
) -> None:
    part = ExamplePart(library.folder / "tomato_plants.wav", 1.0, 5.0, 6.0)
    with pytest.raises(ExampleError) as stored:
        library.trove.planner.probes.for_example(part)
    assert sum(encoder_runs.values()) == 0
    with pytest.raises(ExampleError) as extracted:
        library.extracted.for_example(part)
    assert str(stored.value) == str(extracted.value)
    assert "the time range 5-6 s lies past the end" in str(stored.value)


@pytest.mark.slow
def test_a_short_range_of_an_indexed_video_sees_the_nearest_frame_as_the_extractor_does(
    library: Library, encoder_runs: Counter[str]
) -> None:
    part = ExamplePart(library.folder / "slideshow.mp4", 1.0, 1.0, 3.0)  # frames every 5 s
    stored = library.trove.planner.probes.for_example(part)
    assert sum(encoder_runs.values()) == 0
    extracted = library.extracted.for_example(part)
    image = ("efficientnet-lite0", "image")
    assert float(by_space(stored)[image] @ by_space(extracted)[image]) > 0.999
    later = library.trove.planner.probes.for_example(ExamplePart(part.path, 1.0, 5.5, 8.5))
    assert float(by_space(stored)[image] @ by_space(later)[image]) < 0.99  # another slide


@pytest.mark.slow
def test_a_file_changed_since_it_was_indexed_is_embedded_again(
    library: Library, encoder_runs: Counter[str]
) -> None:
    cow = library.folder / "cow.png"
    indexed = cow.stat()
    os.utime(cow, ns=(indexed.st_atime_ns, indexed.st_mtime_ns + 1_000_000_000))
    try:
        library.trove.planner.probes.for_example(ExamplePart(cow))
        assert encoder_runs["efficientnet-lite0"] > 0
    finally:
        os.utime(cow, ns=(indexed.st_atime_ns, indexed.st_mtime_ns))
    encoder_runs.clear()
    library.trove.planner.probes.for_example(ExamplePart(cow))
    assert sum(encoder_runs.values()) == 0  # as indexed again: the stored vectors serve


@pytest.mark.slow
def test_vectors_another_model_made_are_not_the_example(
    library: Library, dev_pack: Manifest, encoder_runs: Counter[str]
) -> None:
    renamed = [
        replace(e, id=f"{e.id}-other") if e.id == "minilm-l6-v2" else e for e in dev_pack.models
    ]
    other = ModelSet(replace(dev_pack, models=tuple(renamed)))
    probes = ModelProbes(other, catalog=library.trove.catalog)
    made = probes.for_example(ExamplePart(library.folder / "chelsea.png"))
    assert encoder_runs["efficientnet-lite0"] > 0  # the photo's tags are in the other space
    assert [probe.space for probe in made.probes] == ["efficientnet-lite0"]


def _file_id(library: Library, path: Path) -> int:
    record = library.trove.catalog.file_at(path)
    assert record is not None
    return record.id


def _window_vectors(library: Library, path: Path) -> dict[tuple[float, float], np.ndarray]:
    stored = library.trove.catalog.items_of_file(_file_id(library, path), with_vectors=True)
    return {
        (row.start or 0.0, row.end or 0.0): row.vectors["whisper-tiny-en-audio"]
        for row in stored
        if "whisper-tiny-en-audio" in row.vectors
    }

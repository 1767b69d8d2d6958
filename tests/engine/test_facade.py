"""The facade's views for a preview pane and folder settings, on real media and the dev pack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.catalog.records import FileKind, FileStatus
from engine.facade import Trove
from models.manifest import Manifest
from tests import media


@pytest.fixture(scope="module")
def trove(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Trove:
    folder = tmp_path_factory.mktemp("folder")
    demo = media.demo_folder()
    for name in ("Recordings/tomato_plants.wav", "Photos/chelsea.png", "Photos/tiger.png"):
        shutil.copy(demo / name, folder / Path(name).name)
    engine = Trove(tmp_path_factory.mktemp("data"), dev_pack.root)
    engine.add_folder(folder)
    engine.index()
    return engine


@pytest.mark.slow
def test_a_recording_has_its_transcript_in_time_order(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    details = trove.details(folder / "tomato_plants.wav")
    assert details is not None
    assert details.kind is FileKind.AUDIO and details.status is FileStatus.INDEXED
    words = " ".join(segment.text for segment in details.transcript).lower()
    assert "tomato" in words
    starts = [segment.start for segment in details.transcript]
    assert starts == sorted(starts) and all(s.end >= s.start for s in details.transcript)


@pytest.mark.slow
def test_a_photo_has_its_tags_best_first(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    details = trove.details(folder / "chelsea.png")
    assert details is not None and details.transcript == []
    assert details.size == (folder / "chelsea.png").stat().st_size
    scores = [score for _, score in details.tags]
    assert scores == sorted(scores, reverse=True)
    assert any("cat" in label for label, _ in details.tags[:3])


@pytest.mark.slow
def test_a_file_outside_the_catalog_has_no_details(trove: Trove, tmp_path: Path) -> None:
    stranger = tmp_path / "elsewhere.png"
    shutil.copy(media.demo_folder() / "Photos" / "cow.png", stranger)
    assert trove.details(stranger) is None


@pytest.mark.slow
def test_an_exclusion_drops_its_files_at_the_next_scan(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    root = trove.set_exclusions(folder, ["tiger.*"])
    assert root.exclude == ("tiger.*",)
    trove.index()
    assert trove.details(folder / "tiger.png") is None
    assert trove.details(folder / "chelsea.png") is not None
    trove.set_exclusions(folder, [])
    trove.index()
    assert trove.details(folder / "tiger.png") is not None

"""The facade's views for a preview pane and folder settings, on real media and the dev pack."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import soundfile

from engine.catalog.records import FileKind, FileStatus
from engine.facade import FileDetails, Trove, speech_languages
from engine.scan.changes import ChangeKind, IndexChanges
from models.manifest import Manifest
from tests import media


def details_at(trove: Trove, path: Path) -> FileDetails | None:
    file_id = trove.file_id(path)
    return None if file_id is None else trove.details(file_id)


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
    details = details_at(trove, folder / "tomato_plants.wav")
    assert details is not None
    assert details.kind is FileKind.AUDIO and details.status is FileStatus.INDEXED
    words = " ".join(segment.text for segment in details.transcript).lower()
    assert "tomato" in words
    starts = [segment.start for segment in details.transcript]
    assert starts == sorted(starts) and all(s.end >= s.start for s in details.transcript)


@pytest.mark.slow
def test_a_photo_has_its_tags_best_first(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    details = details_at(trove, folder / "chelsea.png")
    assert details is not None and details.transcript == []
    assert details.size == (folder / "chelsea.png").stat().st_size
    scores = [score for _, score in details.tags]
    assert scores == sorted(scores, reverse=True)
    # the kinds its classes add up to ("animal", "mammal": WordNet) hold at least their share
    # of the picture, so they lead; the classifier's own "tabby cat" and "cat" follow
    labels = [label.split(", ")[0] for label, _ in details.tags]
    assert "animal" in labels[:3] and "cat" in labels


@pytest.mark.slow
def test_a_file_outside_the_catalog_has_no_details(trove: Trove, tmp_path: Path) -> None:
    stranger = tmp_path / "elsewhere.png"
    shutil.copy(media.demo_folder() / "Photos" / "cow.png", stranger)
    assert details_at(trove, stranger) is None


@pytest.mark.slow
def test_an_exclusion_drops_its_files_at_the_next_scan(trove: Trove) -> None:
    folder = Path(trove.folders()[0].path)
    root = trove.set_exclusions(folder, ["tiger.*"])
    assert root.exclude == ("tiger.*",)
    trove.index()
    assert details_at(trove, folder / "tiger.png") is None
    assert details_at(trove, folder / "chelsea.png") is not None
    trove.set_exclusions(folder, [])
    trove.index()
    assert details_at(trove, folder / "tiger.png") is not None


@pytest.mark.slow
def test_status_lists_what_the_watcher_could_not_read_and_forgets_it_once_mended(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    folder, data = tmp_path / "folder", tmp_path / "data"
    folder.mkdir()
    data.mkdir()
    (data / "unreadable.json").write_text('[["/old/path.jpg", "left by an older Trove"]]')
    shutil.copy(media.demo_folder() / "Photos" / "chelsea.png", folder / "chelsea.png")
    changes: list[IndexChanges] = []
    trove = Trove(data, dev_pack.root, on_change=changes.append)
    assert not (data / "unreadable.json").exists()  # the catalog holds failures now
    trove.add_folder(folder)
    broken = folder / "broken.png"
    trove.start_watching()
    deadline = time.monotonic() + 60
    while trove.status().counts["files.indexed"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not a picture after all")
    while not trove.status().failures and time.monotonic() < deadline:
        time.sleep(0.1)
    (failure,) = trove.status().failures
    assert failure.path == broken and failure.file_id is not None
    details = details_at(trove, broken)
    assert details is not None and details.status is FileStatus.FAILED
    assert details.error == failure.reason and "broken.png" in failure.reason
    shutil.copy(media.demo_folder() / "Photos" / "tiger.png", broken)  # mended
    while trove.status().failures and time.monotonic() < deadline:
        time.sleep(0.1)
    assert trove.status().failures == []
    trove.stop_watching()
    kinds = [(one.change, one.path) for batch in changes for one in batch.files]
    assert (ChangeKind.ADDED, folder / "chelsea.png") in kinds
    assert (ChangeKind.FAILED, broken) in kinds

    changes.clear()
    trove.remove_folder(folder)
    (removed,) = changes
    assert removed.generation == trove.catalog.generation()
    assert sorted(one.path.name for one in removed.files) == ["broken.png", "chelsea.png"]
    assert {one.change for one in removed.files} == {ChangeKind.REMOVED}
    trove.close()


@pytest.mark.slow
def test_searches_read_the_lines_fitted_for_the_pack_s_models(
    trove: Trove, dev_pack: Manifest
) -> None:
    """The good-match lines come from the pack's manifest: every text space of the dev pack
    has its own, so a search in words leans on no cautious default, and the table the app
    searches with holds exactly the pack's lines."""
    table = trove.planner.calibration
    assert set(table.fitted) == set(dev_pack.calibration)
    for space in {key.split("/")[0] for key in dev_pack.calibration if "/text/" in key}:
        assert table.get(space, "text", "tag")[1], space
    found = trove.search("a cat")
    assert not any("cautious default" in note for note in found.notes)
    assert found.hits and found.hits[0].path.name == "chelsea.png"


@pytest.mark.slow
def test_the_languages_a_person_names_are_those_a_short_memo_is_heard_and_found_in(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    """A one-word memo ("Penguin.", a real recording) that Whisper alone hears as Korean is
    transcribed in English, and found by its word, once the person says they speak English
    (and Spanish): a new memo, and the one indexed before, heard again by the next run."""
    folder = tmp_path / "memos"
    folder.mkdir()
    with Trove(tmp_path / "data", dev_pack.root) as trove:
        trove.add_folder(folder)

        def heard(name: str) -> tuple[tuple[str, ...], str]:
            # The same sound in another format each time: a copy of a file indexed before
            # would take its transcript.
            samples, rate = soundfile.read(media.spoken_caption("penguin"), dtype="float32")
            soundfile.write(folder / name, samples, rate)
            trove.index()
            details = details_at(trove, folder / name)
            assert details is not None
            return details.languages, " ".join(part.text for part in details.transcript)

        languages, words = heard("before.wav")
        assert languages == ("ko",) and "penguin" not in words.lower()
        assert trove.hear_again() == 0  # none named: detection as Whisper's own
        trove.hear_in(["en", "es"])
        assert trove.hear_again() == 1  # before.wav, heard in Korean
        languages, words = heard("after.flac")
        assert languages == ("en",) and "penguin" in words.lower()
        again = details_at(trove, folder / "before.wav")
        assert again is not None and again.languages == ("en",)
        found = [hit.path.name for hit in trove.search("penguin").hits]
        assert sorted(found[:2]) == ["after.flac", "before.wav"]
        assert trove.hear_again() == 0  # every memo is heard in a named language


def test_the_languages_to_offer_are_those_of_the_pack_s_speech_model(dev_pack: Manifest) -> None:
    offered = speech_languages(dev_pack.root)
    assert {"en", "es", "zh", "fr", "de", "ko"} <= set(offered) and len(offered) > 90
    assert list(offered) == sorted(offered)
    assert speech_languages(dev_pack.root / "no such pack") == ()

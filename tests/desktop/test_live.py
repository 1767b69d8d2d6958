"""Results that stay live, and errors that go to their place, on the real engine (dev pack, real
photos): a file renamed, deleted or added on disk changes the tiles shown without retyping; a
query error marks the box and an engine error shows the message bar, and neither clears the
results."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from engine.facade import Problem, Progress, RunState
from models.manifest import Manifest
from tests.desktop.windows import open_window
from tests.media import demo_folder

PHOTOS = ["chelsea.png", "dog.png", "coffee.png", "cow.png"]
WAIT_MS = 240_000


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    library = tmp_path / "library"
    library.mkdir()
    for name in PHOTOS:
        shutil.copy(demo_folder() / "Photos" / name, library / name)
    return library


@pytest.fixture
def window(qtbot: QtBot, dev_pack: Manifest, folder: Path, tmp_path: Path) -> Iterator[MainWindow]:
    window = open_window(qtbot, folder, tmp_path / "data", tmp_path / "cache")
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)
    yield window
    window.close()


def names(window: MainWindow) -> list[str]:
    return [hit.path.name for hit in window.results.hits()]


def searched(qtbot: QtBot, window: MainWindow, query: str) -> None:
    window.last_result = None
    window.search(query)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)


@pytest.mark.slow
def test_a_renamed_file_is_renamed_on_its_tile_and_in_the_preview(
    qtbot: QtBot, window: MainWindow, folder: Path
) -> None:
    searched(qtbot, window, "a cat")
    assert names(window)[:1] == ["chelsea.png"]
    asked = window.engine

    (folder / "chelsea.png").rename(folder / "kitty.png")

    qtbot.waitUntil(lambda: names(window)[:1] == ["kitty.png"], timeout=WAIT_MS)
    assert window.preview.title.text() == "kitty.png"
    assert window.search_box.text() == "a cat" and window.engine is asked


@pytest.mark.slow
def test_a_deleted_file_leaves_the_results(qtbot: QtBot, window: MainWindow, folder: Path) -> None:
    searched(qtbot, window, "a cat")
    assert "chelsea.png" in names(window)

    (folder / "chelsea.png").unlink()

    qtbot.waitUntil(lambda: "chelsea.png" not in names(window), timeout=WAIT_MS)
    assert window.preview.path is None or window.preview.path.name != "chelsea.png"


@pytest.mark.slow
def test_a_new_file_that_matches_appears_marked_new(
    qtbot: QtBot, window: MainWindow, folder: Path
) -> None:
    searched(qtbot, window, "a penguin")
    before = names(window)
    assert "penguin.png" not in before

    shutil.copy(demo_folder() / "Photos" / "penguin.png", folder / "penguin.png")

    qtbot.waitUntil(lambda: "penguin.png" in names(window), timeout=WAIT_MS)
    model = window.results
    rows = {hit.path.name: model.row_of(hit.key) or 0 for hit in model.hits()}
    assert model.is_new(rows["penguin.png"])
    assert not any(model.is_new(rows[name]) for name in before if name in rows)


@pytest.mark.slow
def test_the_tile_shown_stays_shown_when_new_hits_come(
    qtbot: QtBot, window: MainWindow, folder: Path
) -> None:
    searched(qtbot, window, "a cat")
    assert names(window)[:1] == ["chelsea.png"]
    shown = window.preview.hit
    assert shown is not None and shown.path.name == "chelsea.png"

    shutil.copy(demo_folder() / "Photos" / "tiger.png", folder / "tiger.png")

    qtbot.waitUntil(lambda: "tiger.png" in names(window), timeout=WAIT_MS)
    assert window.current_hit() is not None and window.current_hit().path.name == "chelsea.png"
    assert window.preview.hit is shown  # not shown again: what plays there plays on


@pytest.mark.slow
def test_asking_the_same_query_again_runs_it_again_after_the_index_changed(
    qtbot: QtBot, window: MainWindow, folder: Path
) -> None:
    searched(qtbot, window, "a penguin")
    first = window.last_result
    window._rerun.setInterval(60_000)  # no automatic re-run: the person asks again
    shutil.copy(demo_folder() / "Photos" / "penguin.png", folder / "penguin.png")
    qtbot.waitUntil(lambda: window._stale, timeout=WAIT_MS)

    searched(qtbot, window, "a penguin")

    assert window.last_result is not first
    assert "penguin.png" in names(window)


@pytest.mark.slow
def test_a_query_error_marks_the_box_and_keeps_the_results(
    qtbot: QtBot, window: MainWindow
) -> None:
    searched(qtbot, window, "a cat")
    shown = names(window)
    assert shown

    window.search('"a cat" 0.5*')

    qtbot.waitUntil(window.search_bar.has_error, timeout=WAIT_MS)
    assert window.search_box.hasSelectedText()  # the culprit, marked
    assert names(window) == shown
    assert window.pages.currentWidget() is window.grid
    assert not window.message_bar.isVisible()


@pytest.mark.slow
def test_an_engine_error_shows_a_message_and_keeps_the_results(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    searched(qtbot, window, "a cat")
    shown = names(window)

    window.add_folder(tmp_path / "not there")

    qtbot.waitUntil(window.message_bar.isVisible, timeout=WAIT_MS)
    assert window.message_bar.problem is Problem.NOT_A_FOLDER
    assert "cannot be watched" in window.message_bar.text.text()
    assert names(window) == shown and not window.search_bar.has_error()
    window.message_bar.close_button.click()
    assert not window.message_bar.isVisible()


@pytest.mark.slow
def test_a_search_and_a_pause_are_answered_while_a_folder_is_being_removed(
    qtbot: QtBot, window: MainWindow, folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(demo_folder() / "Photos" / "penguin.png", other / "penguin.png")
    added: list[object] = []
    window.engine.add_folder(other, added.append)
    qtbot.waitUntil(lambda: bool(added), timeout=WAIT_MS)
    trove = window.engine._trove.result()  # the engine behind the client, to hold its writer
    removing, release = threading.Event(), threading.Event()
    real_remove = trove.catalog.remove_root

    def held_remove(root_id: int) -> list[tuple[str, int]]:
        removing.set()
        release.wait(120)
        return real_remove(root_id)

    trove.catalog.remove_root = held_remove  # type: ignore[method-assign]
    removed: list[int] = []
    window.engine.remove_folder(other, removed.append)
    assert removing.wait(60)
    try:
        searched(qtbot, window, "a dog")  # answered while the removal is held mid-way
        assert names(window)[:1] == ["dog.png"] and not removed
        window.pause_button.toggle()  # a pause is not queued behind the folder change either
        qtbot.waitUntil(lambda: trove.pipeline.paused, timeout=WAIT_MS)
        assert not removed
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(removed), timeout=WAIT_MS)
    window.pause_button.toggle()
    qtbot.waitUntil(lambda: not trove.pipeline.paused, timeout=WAIT_MS)


def test_a_folder_that_cannot_be_watched_is_said_in_the_message_bar(
    qtbot: QtBot, tmp_path: Path
) -> None:
    engine = EngineClient(EngineSettings(data=tmp_path / "data"))  # never started: no engine
    window = MainWindow(engine, cache=tmp_path / "cache")
    qtbot.addWidget(window)
    refused = "cannot watch /photos (No space left on device); rescanning it every 5 min instead"

    window._progress(Progress(RunState.POLLING, message=refused, folder=Path("/photos")))

    assert window.status_label.text() == "Up to date"  # no engine English in the status bar
    assert window.message_bar.problem is Problem.CANNOT_WATCH
    assert "/photos" in window.message_bar.text.text()
    assert window.message_bar.toolTip() == refused


@pytest.mark.slow
def test_an_index_others_could_read_is_made_private_and_said(
    qtbot: QtBot, dev_pack: Manifest, folder: Path, tmp_path: Path
) -> None:
    data = tmp_path / "shared-data"
    data.mkdir()
    data.chmod(0o755)  # as a hand-made folder, or an older Trove, left it

    window = open_window(qtbot, folder, data, tmp_path / "cache")

    qtbot.waitUntil(
        lambda: "private to you now" in window.statusBar().currentMessage(), timeout=WAIT_MS
    )
    assert data.stat().st_mode & 0o777 == 0o700

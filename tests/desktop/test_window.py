"""The window on the real engine: a real dev pack, real photos and a real recording.

The first window indexes the folder; the later ones reopen the same data folder, so their
watcher's first scan finds nothing new and they go straight to searching.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from pytestqt.qtbot import QtBot

from desktop.window import MainWindow, PathRole
from desktop.worker import EngineClient, EngineSettings
from models.manifest import Manifest
from tests.conftest import dev_pack_path
from tests.media import demo_folder

PHOTOS = ["chelsea.png", "dog.png", "coffee.png", "astronaut.png"]
RECORDING = "tomato_plants.wav"
EDITED = "dog-edited.jpg"  # dog.png cropped and shrunk: what a search by dog.png must find
WAIT_MS = 240_000  # the first window loads every model on two shared cores


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of media, data dir) shared by the module's windows."""
    demo = demo_folder()
    folder = tmp_path_factory.mktemp("library")
    for name in PHOTOS:
        shutil.copy(demo / "Photos" / name, folder / name)
    shutil.copy(demo / "Recordings" / RECORDING, folder / RECORDING)
    dog = Image.open(folder / "dog.png").convert("RGB")
    width, height = dog.size
    edited = dog.crop((width // 10, height // 10, width - width // 10, height - height // 10))
    edited.resize((width * 2 // 3, height * 2 // 3)).save(folder / EDITED, quality=85)
    return folder, tmp_path_factory.mktemp("data")


@pytest.fixture
def window(qtbot: QtBot, dev_pack: Manifest, library: tuple[Path, Path]) -> Iterator[MainWindow]:
    folder, data = library
    engine = EngineClient(EngineSettings(data=data, pack=dev_pack_path()))
    window = MainWindow(engine)
    qtbot.addWidget(window)
    engine.start()
    engine.ensure_folder(folder)
    engine.start_watching()
    window.show()
    yield window
    window.close()


def _paths(window: MainWindow) -> list[str]:
    model = window.results
    return [Path(model.index(row).data(PathRole)).name for row in range(model.rowCount())]


def _up_to_date(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)


def test_indexing_reaches_up_to_date_and_typing_finds_the_cat(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    qtbot.keyClicks(window.search_box, "a cat")
    qtbot.waitUntil(lambda: "chelsea.png" in _paths(window), timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.grid
    assert _paths(window)[0] == "chelsea.png"
    tip = window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "chelsea.png" in tip and "score" in tip


def test_dropping_a_photo_searches_by_example(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    photo = library[0] / "dog.png"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    actions = Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPointF(window.rect().center()), actions, mime, buttons, keys)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(window.rect().center()), actions, mime, buttons, keys))
    assert window.search_box.text() == f'like:"{photo}"'
    qtbot.waitUntil(lambda: window.results.rowCount() > 0, timeout=WAIT_MS)
    assert window.last_result is not None and not window.last_result.no_good_match
    # The edited copy looks most like it; the photo itself is the question, not an answer.
    assert _paths(window)[0] == EDITED
    assert "dog.png" not in _paths(window)
    assert "looks like dog.png" in window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_nonsense_shows_no_good_match(qtbot: QtBot, window: MainWindow) -> None:
    _up_to_date(qtbot, window)
    qtbot.keyClicks(window.search_box, "qwzx vbnj kplm")
    qtbot.waitUntil(lambda: window.empty.text() == "No good match", timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.empty
    assert window.results.rowCount() == 0


def test_ctrl_f_focuses_search(qtbot: QtBot, window: MainWindow) -> None:
    window.grid.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search_box.hasFocus()

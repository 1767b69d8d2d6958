"""The window on the real engine: a real dev pack, real photos, sounds and a recording.

The first window indexes the folder; the later ones reopen the same data folder, so their
watcher's first scan finds nothing new and they go straight to searching.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from desktop.results import PathRole
from desktop.window import MainWindow, like_query, plain_text
from engine.catalog.records import FileKind
from models.manifest import Manifest
from tests.desktop.windows import open_window
from tests.media import demo_folder

PHOTOS = ["chelsea.png", "dog.png", "coffee.png", "astronaut.png"]
SOUNDS = ["cow.ogg", "rooster.ogg", "owl.ogg"]
RECORDING = "tomato_plants.wav"
EDITED = "dog-edited.jpg"  # dog.png cropped and shrunk: what a search by dog.png must find
BARK = "bark-clip.wav"  # dog.ogg resampled, quieter, its tail cut: what dog.ogg must find
WAIT_MS = 240_000  # the first window loads every model on two shared cores


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of media, data dir) shared by the module's windows."""
    demo = demo_folder()
    folder = tmp_path_factory.mktemp("library")
    for name in PHOTOS:
        shutil.copy(demo / "Photos" / name, folder / name)
    for name in SOUNDS:
        shutil.copy(demo / "Sounds" / name, folder / name)
    shutil.copy(demo / "Recordings" / RECORDING, folder / RECORDING)
    dog = Image.open(folder / "dog.png").convert("RGB")
    width, height = dog.size
    edited = dog.crop((width // 10, height // 10, width - width // 10, height - height // 10))
    edited.resize((width * 2 // 3, height * 2 // 3)).save(folder / EDITED, quality=85)
    samples, rate = soundfile.read(demo / "Sounds" / "dog.ogg", dtype="float32")
    clip = soxr.resample(samples[: len(samples) * 9 // 10], rate, 22050) * 0.8
    soundfile.write(folder / BARK, np.asarray(clip), 22050, subtype="PCM_16")
    return folder, tmp_path_factory.mktemp("data")


@pytest.fixture
def window(
    qtbot: QtBot, dev_pack: Manifest, library: tuple[Path, Path], tmp_path: Path
) -> Iterator[MainWindow]:
    folder, data = library
    window = open_window(qtbot, folder, data, tmp_path / "cache")
    yield window
    window.close()


def _paths(window: MainWindow) -> list[str]:
    model = window.results
    return [Path(model.index(row).data(PathRole)).name for row in range(model.rowCount())]


def _up_to_date(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)


def _searched(qtbot: QtBot, window: MainWindow, query: str) -> None:
    window.last_result = None
    window.search(query)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)


def _drop(window: MainWindow, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    actions = Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(window.rect().center(), actions, mime, buttons, keys)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.last_result = None
    window.dropEvent(QDropEvent(QPointF(window.rect().center()), actions, mime, buttons, keys))


def test_indexing_reaches_up_to_date_and_typing_finds_the_cat(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    qtbot.keyClicks(window.search_box, "a cat")
    qtbot.waitUntil(lambda: "chelsea.png" in _paths(window), timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.grid
    assert _paths(window)[0] == "chelsea.png"
    tip = window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "chelsea.png" in tip and "cat" in tip
    # The best hit is previewed at once.
    qtbot.waitUntil(lambda: window.preview.path == window.results.hit(0).path)


def test_dropping_a_photo_searches_by_example(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    photo = library[0] / "dog.png"
    _drop(window, photo)
    assert window.search_box.text() == f'like:"{photo}"'
    qtbot.waitUntil(lambda: window.results.rowCount() > 0, timeout=WAIT_MS)
    assert window.last_result is not None and not window.last_result.no_good_match
    # The edited copy looks most like it; the photo itself is the question, not an answer.
    assert _paths(window)[0] == EDITED
    assert "dog.png" not in _paths(window)
    assert "looks like dog.png" in window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_dropping_a_sound_shows_similar_sounds(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    bark = demo_folder() / "Sounds" / "dog.ogg"  # outside the watched folder
    _drop(window, bark)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert _paths(window)[:1] == [BARK]
    assert window.results.hit(0).kind is FileKind.AUDIO
    assert "sounds like dog.ogg" in window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_pasting_a_picture_searches_with_it_from_trove_s_cache(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path], tmp_path: Path
) -> None:
    _up_to_date(qtbot, window)
    QGuiApplication.clipboard().setImage(QImage(str(library[0] / "dog.png")))
    window.last_result = None
    assert window.paste_example()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    pasted = list((tmp_path / "cache" / "pasted").glob("*.png"))
    assert len(pasted) == 1  # kept in Trove's cache, never in the watched folder
    assert not list(library[0].glob("pasted-*"))
    assert window.search_box.text() == like_query(pasted[0])
    assert _paths(window)[0] == "dog.png"  # the pasted pixels are dog.png's


def test_a_kind_chip_narrows_the_results_and_reruns_the_query(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "water the tomato plants")
    assert _paths(window)[0] == RECORDING
    window.last_result = None
    window.search_bar.set_kinds({FileKind.PHOTO})
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert RECORDING not in _paths(window)
    assert all(
        window.results.hit(row).kind is FileKind.PHOTO for row in range(window.results.rowCount())
    )
    window.last_result = None
    window.search_bar.set_kinds({FileKind.AUDIO})
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert _paths(window)[0] == RECORDING


def test_the_keyboard_moves_through_results_and_finds_similar(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "a cat")
    qtbot.waitUntil(lambda: window.grid.currentIndex().row() == 0)
    if window.results.rowCount() > 1:
        qtbot.keyClick(window, Qt.Key.Key_F3)
        assert window.grid.currentIndex().row() == 1
        qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert window.grid.currentIndex().row() == 0
    first = window.results.hit(0).path
    qtbot.keyClick(
        window,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.search_box.text() == like_query(Path(first))


def test_adding_a_folder_indexes_it_and_reaches_up_to_date(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _up_to_date(qtbot, window)
    extra = tmp_path / "Holiday"
    extra.mkdir()
    shutil.copy(demo_folder() / "Photos" / "penguin.png", extra / "penguin.png")
    monkeypatch.setattr("desktop.window.pick_folder", lambda parent, title: extra)
    window.choose_folder()
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Indexing"), timeout=WAIT_MS)
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "a penguin")
    assert _paths(window)[:1] == ["penguin.png"]
    qtbot.waitUntil(lambda: str(extra) in window.search_bar.folders(), timeout=WAIT_MS)


def test_nonsense_shows_no_good_match(qtbot: QtBot, window: MainWindow) -> None:
    _up_to_date(qtbot, window)
    qtbot.keyClicks(window.search_box, "qwzx vbnj kplm")
    qtbot.waitUntil(lambda: window.empty.text() == "No good match", timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.empty
    assert window.results.rowCount() == 0


def test_an_example_that_cannot_be_read_marks_the_box_and_keeps_the_results(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "a cat")
    shown = _paths(window)
    window.search('like:"/no/such/file.jpg"')
    qtbot.waitUntil(window.search_bar.has_error, timeout=WAIT_MS)
    assert "file.jpg" in window.search_box.toolTip()
    assert _paths(window) == shown and window.pages.currentWidget() is window.grid


def test_ctrl_f_focuses_search(qtbot: QtBot, window: MainWindow) -> None:
    window.grid.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search_box.hasFocus()


def test_menu_labels_lose_their_accelerators_in_lists() -> None:
    assert plain_text("&Open") == "Open"
    assert plain_text("打开(&O)…") == "打开"
    assert plain_text("Tom && Jerry") == "Tom && Jerry"

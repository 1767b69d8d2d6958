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
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from desktop.bands import short_date
from desktop.results import HeadingRole
from desktop.window import MainWindow, plain_text
from engine.catalog.records import FileKind
from engine.facade import ExamplePart
from models.manifest import Manifest
from tests.desktop.windows import windows_on
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
    yield from windows_on(qtbot, library, tmp_path / "cache")


def _paths(window: MainWindow) -> list[str]:
    """The names of the files shown, best first: the good matches, then the weaker ones."""
    return [hit.path.name for hit in window.results.hits()]


def _best(window: MainWindow) -> QModelIndex:
    first = window.results.first_row()
    assert first is not None
    return window.results.index(first)


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
    window.last_result = None  # the library shows every file already: wait for the search
    qtbot.keyClicks(window.search_box, "a cat")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.grid
    assert _paths(window)[0] == "chelsea.png"
    tip = _best(window).data(Qt.ItemDataRole.ToolTipRole)
    assert "chelsea.png" in tip and "cat" in tip
    # The best hit is previewed at once.
    qtbot.waitUntil(lambda: window.preview.path == window.results.hits()[0].path)


def test_dropping_a_photo_searches_by_example(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    photo = library[0] / "dog.png"
    _drop(window, photo)
    # A chip in the box, not developer text.
    assert window.search_box.text() == "" and window.search_bar.examples() == (ExamplePart(photo),)
    assert window.search_bar.example_chip.label.text() == "Similar to dog.png"
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert window.last_result is not None and not window.last_result.no_good_match
    # The edited copy looks most like it; the photo itself is the question, not an answer.
    assert _paths(window)[0] == EDITED
    assert "dog.png" not in _paths(window)
    assert "looks like dog.png" in _best(window).data(Qt.ItemDataRole.ToolTipRole)


def test_dropping_a_sound_shows_similar_sounds(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    bark = demo_folder() / "Sounds" / "dog.ogg"  # outside the watched folder
    _drop(window, bark)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert _paths(window)[:1] == [BARK]
    assert window.results.hits()[0].kind is FileKind.AUDIO
    assert "sounds like dog.ogg" in _best(window).data(Qt.ItemDataRole.ToolTipRole)


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
    assert window.search_bar.examples() == (ExamplePart(pasted[0]),)
    chip = window.search_bar.example_chip
    assert window.search_box.text() == "" and "pasted-" not in chip.accessibleName()
    assert not chip.thumbnail.pixmap().isNull()  # the picture itself, small
    assert _paths(window)[0] == "dog.png"  # the pasted pixels are dog.png's
    # Removing the chip ends the search: the library is back.
    qtbot.mouseClick(chip.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.results.showing_library, timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.grid and not window.search_bar.examples()


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
    assert all(hit.kind is FileKind.PHOTO for hit in window.results.hits())
    window.last_result = None
    window.search_bar.set_kinds({FileKind.AUDIO})
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert _paths(window)[0] == RECORDING


def test_a_kind_chip_with_an_empty_box_lists_those_files_newest_first(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    window.last_listing = None  # the library listed everything already: wait for the chip's
    window.search_bar.set_kinds({FileKind.AUDIO})
    qtbot.waitUntil(lambda: window.last_listing is not None, timeout=WAIT_MS)
    listing = window.last_listing
    on_disk = {path.name for path in library[0].iterdir() if path.suffix in (".ogg", ".wav")}
    assert set(_paths(window)) == on_disk and listing.total == len(on_disk)
    modified = [listed.modified for listed in listing.files]
    assert modified == sorted(modified, reverse=True)
    assert [hit.path.name for hit in window.results.hits()] == [
        listed.path.name for listed in listing.files
    ]
    tip = _best(window).data(Qt.ItemDataRole.ToolTipRole)
    assert short_date(listing.files[0].modified) in tip and "match" not in tip  # a date
    assert window.pages.currentWidget() is window.grid
    # Typing turns the listing back into a search within the chip's kind.
    window.last_result = None
    qtbot.keyClicks(window.search_box, "water the tomato plants")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert _paths(window)[0] == RECORDING


def test_the_keyboard_moves_through_results_and_finds_similar(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "a cat")
    best = _best(window).row()
    qtbot.waitUntil(lambda: window.grid.currentIndex().row() == best)
    second = window.results.step(best, 1)
    assert second is not None and second > best  # past the heading of the weaker band, if any
    qtbot.keyClick(window, Qt.Key.Key_F3)
    assert window.grid.currentIndex().row() == second
    assert window.results.hit(second) is window.results.hits()[1]
    qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert window.grid.currentIndex().row() == best
    first = window.results.hits()[0].path
    qtbot.keyClick(
        window,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.search_box.text() == ""
    assert window.search_bar.examples() == (ExamplePart(first),)
    assert window.search_bar.example_chip.label.text() == f"Similar to {first.name}"


def test_searching_with_a_part_of_a_recording_shows_its_chip(
    qtbot: QtBot, window: MainWindow, library: tuple[Path, Path]
) -> None:
    _up_to_date(qtbot, window)
    recording = library[0] / RECORDING
    window.last_result = None
    window.preview.search_range.emit(recording, 1.0, 3.5)  # "Search with this part"
    assert window.search_bar.example_chip.label.text() == f"Part of {RECORDING} 0:01–0:03"
    assert window.search_box.text() == "" and "@" not in window.search_bar.query()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert window.search_bar.examples() == (ExamplePart(recording, start=1.0, end=3.5),)
    assert not window.search_bar.has_error()


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


def test_nonsense_shows_no_good_match_then_the_weaker_candidates(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    window.last_result = None
    qtbot.keyClicks(window.search_box, "qwzx vbnj kplm")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    result = window.last_result
    assert result.no_good_match and result.hits == [] and result.weaker
    model = window.results
    headings = [model.index(row).data(HeadingRole) for row in range(model.rowCount())]
    assert headings[:2] == ["No good match", "Other possible matches"]
    assert all(heading is None for heading in headings[2:])
    assert [hit.file_id for hit in model.hits()] == [hit.file_id for hit in result.weaker]
    assert model.flags(model.index(0)) == Qt.ItemFlag.NoItemFlags  # a heading: not selectable
    tip = _best(window).data(Qt.ItemDataRole.ToolTipRole)
    assert "Weak match" in tip and "0." not in tip.split("\n")[1]  # words, not decimals


def test_good_matches_and_weaker_ones_are_shown_in_two_bands(
    qtbot: QtBot, window: MainWindow
) -> None:
    _up_to_date(qtbot, window)
    _searched(qtbot, window, "a cat")
    result = window.last_result
    assert result is not None and result.hits and result.weaker
    model = window.results
    headings = {
        row: model.index(row).data(HeadingRole)
        for row in range(model.rowCount())
        if model.hit(row) is None
    }
    assert headings == {0: "Best matches", len(result.hits) + 1: "Other possible matches"}
    # The divider starts a line of its own: the weaker band's first tile sits below it.
    divider = window.grid.visualRect(model.index(len(result.hits) + 1))
    first_weaker = window.grid.visualRect(model.index(len(result.hits) + 2))
    assert divider.width() > 2 * first_weaker.width() and first_weaker.top() > divider.bottom()
    strengths = [
        model.index(row).data(Qt.ItemDataRole.ToolTipRole).split("\n")[1]
        for row in range(1, len(result.hits) + 1)
    ]
    assert set(strengths) <= {"Strong match", "Good match"}


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

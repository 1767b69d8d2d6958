"""What the window tells a person, on the real engine: short messages for quiet actions, a
language change applied at once, recordings heard again when their languages are ticked, the
Pause button only while indexing, counters that hold still, and the welcome as the window's
first page."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations
from desktop.preferences import PreferencesDialog
from desktop.progress import ProgressTally
from desktop.welcome import WelcomePage, example_queries
from desktop.window import MainWindow
from engine.facade import Progress, RunState
from models.manifest import Manifest
from tests.desktop.windows import open_window, start_app, windows_on
from tests.media import demo_folder

WAIT_MS = 240_000  # the first window loads every model on two shared cores


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of real photos and a recording, data dir) shared by the module's windows."""
    folder = tmp_path_factory.mktemp("library")
    for name in ("chelsea.png", "dog.png", "coffee.png"):
        shutil.copy(demo_folder() / "Photos" / name, folder / name)
    shutil.copy(demo_folder() / "Recordings" / "tomato_plants.wav", folder / "tomato_plants.wav")
    return folder, tmp_path_factory.mktemp("data")


@pytest.fixture
def window(
    qtbot: QtBot, dev_pack: Manifest, library: tuple[Path, Path], tmp_path: Path
) -> Iterator[MainWindow]:
    yield from windows_on(qtbot, library, tmp_path / "cache")


def _up_to_date(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)


def _a_cat_shown(qtbot: QtBot, window: MainWindow) -> None:
    _up_to_date(qtbot, window)
    window.last_result = None
    window.search("a cat")
    # The library's newest file is current until the answer comes: wait for the answer.
    qtbot.waitUntil(
        lambda: window.last_result is not None and window.current_hit() is not None,
        timeout=WAIT_MS,
    )


# --- short messages -----------------------------------------------------------------------------


def test_copy_path_says_it_was_copied_without_taking_the_focus(
    qtbot: QtBot, window: MainWindow
) -> None:
    _a_cat_shown(qtbot, window)
    window.focus_search()
    hit = window.current_hit()
    assert hit is not None
    window.copy_current()
    assert QGuiApplication.clipboard().text() == str(hit.path)
    toast = window.toast
    assert toast.message() == "Path copied"
    assert not toast.isWindow() and not toast.action_button.isVisible()  # inside, non-modal
    assert window.search_box.hasFocus()
    assert QApplication.activeModalWidget() is None
    qtbot.waitUntil(lambda: toast.message() == "", timeout=10_000)  # it goes by itself


def test_a_file_no_app_opens_offers_its_folder_instead(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_cat_shown(qtbot, window)
    hit = window.current_hit()
    assert hit is not None
    revealed: list[Path] = []
    # The system's answer "no app for this" (this machine may have one); the reveal recorded.
    monkeypatch.setattr("desktop.preview.open_in_default_app", lambda _path: False)
    monkeypatch.setattr("desktop.window.reveal", lambda path, _parent: revealed.append(path))
    window.open_current()
    toast = window.toast
    assert toast.message() == "Could not open: no application for .png files."
    assert toast.action_button.isVisible()
    assert toast.action_button.text() == "Show in folder instead"
    qtbot.mouseClick(toast.action_button, Qt.MouseButton.LeftButton)
    assert revealed == [hit.path] and toast.message() == ""


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform's
def test_adding_and_removing_a_folder_is_said(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _up_to_date(qtbot, window)
    extra = tmp_path / "Holiday"
    extra.mkdir()
    shutil.copy(demo_folder() / "Photos" / "penguin.png", extra / "penguin.png")
    window.add_folder(extra)
    qtbot.waitUntil(lambda: window.toast.message() != "", timeout=WAIT_MS)
    assert window.toast.message() == "Added Holiday: Trove is looking through it."
    _up_to_date(qtbot, window)

    window.show_folders()
    dialog = window._folders_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.select_folder(extra), timeout=WAIT_MS)
    monkeypatch.setattr(  # the person's "Yes" to "Stop watching Holiday?"
        "desktop.folders.QMessageBox.question",
        lambda *_args, **_kwargs: QMessageBox.StandardButton.Yes,
    )
    window.toast.dismiss()
    dialog.remove_selected()
    qtbot.waitUntil(lambda: window.toast.message() != "", timeout=WAIT_MS)
    assert window.toast.message() == "Removed Holiday: its files were not touched."
    assert (extra / "penguin.png").is_file()
    dialog.close()


# --- the UI language, at once -------------------------------------------------------------------


def test_a_new_language_applies_to_the_open_window_at_once(
    qtbot: QtBot, qapp: QApplication, window: MainWindow
) -> None:
    _a_cat_shown(qtbot, window)
    shown = [hit.file_id for hit in window.results.hits()]
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[0] == "&File"

    def translate(context: str, text: str) -> str:
        return QCoreApplication.translate(context, text)

    window.show_preferences()
    dialog = window.findChild(PreferencesDialog)
    assert dialog is not None
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
    try:
        dialog.accept()
        # Chinese now, in the same window (once the posted LanguageChange is handled):
        # menus, search box, status, preview, toasts.
        chinese_file = translate("MainWindow", "&File")
        assert chinese_file != "&File"
        qtbot.waitUntil(lambda: window.menuBar().actions()[0].text() == chinese_file)
        assert len(window.menuBar().actions()) == len(menus)
        assert window.search_bar.edit.placeholderText() == translate(
            "SearchBar", "Search photos, recordings, videos and notes — or drop a file"
        )
        assert window.status_label.text() == translate("MainWindow", "Up to date")
        assert window.status_label.text() != "Up to date"
        # Recordings are heard in the window's language too, without opening the engine again.
        assert window.engine.settings.spoken[0] == "zh" and "en" in window.engine.settings.spoken
        assert window.preview.open_button.text() == translate("PreviewPane", "Open") != "Open"
        assert window.preview.details.values["kind"].text() == translate("PreviewPane", "Photo")
        # What was shown, typed and chosen stays.
        assert [hit.file_id for hit in window.results.hits()] == shown
        assert window.search_box.text() == "a cat" and window.current_hit() is not None
        # The menu's actions still work after being made again.
        window.copy_current()
        assert window.toast.message() == translate("MainWindow", "Path copied")
    finally:
        install_translations(qapp, ENGLISH)
    qtbot.waitUntil(lambda: window.menuBar().actions()[0].text() == "&File")
    assert window.preview.open_button.text() == "Open"


# --- indexing status ----------------------------------------------------------------------------


def test_ticking_a_language_hears_recordings_again_and_the_window_s_language_does_not(
    qtbot: QtBot, qapp: QApplication, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _up_to_date(qtbot, window)
    asked: list[bool] = []
    monkeypatch.setattr(window.engine, "hear_again", lambda: asked.append(True))

    def accepted(change: Callable[[PreferencesDialog], None]) -> None:
        window.show_preferences()
        dialog = window.findChild(PreferencesDialog)
        assert dialog is not None
        change(dialog)
        dialog.accept()
        qtbot.waitUntil(lambda: window.findChild(PreferencesDialog) is None)  # deleted on close

    def spanish(dialog: PreferencesDialog) -> None:
        rows = [dialog.spoken_list.item(row) for row in range(dialog.spoken_list.count())]
        row = next(row for row in rows if row.data(Qt.ItemDataRole.UserRole) == "es")
        row.setCheckState(Qt.CheckState.Checked)

    def chinese_window(dialog: PreferencesDialog) -> None:
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))

    try:
        accepted(chinese_window)  # the default languages follow: new recordings only
        assert asked == [] and window.engine.settings.spoken[0] == "zh"
        accepted(spanish)
        assert asked == [True] and "es" in window.engine.settings.spoken
    finally:
        install_translations(qapp, ENGLISH)


def test_pause_shows_only_while_indexing(qtbot: QtBot, dev_pack: Manifest, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea.png", "dog.png", "astronaut.png"):
        shutil.copy(demo_folder() / "Photos" / name, folder / name)
    window = open_window(qtbot, folder, tmp_path / "data", tmp_path / "cache")
    assert not window.pause_button.isVisible() and not window.pause_action.isEnabled()
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Indexing"), timeout=WAIT_MS)
    assert window.pause_button.isVisible() and window.pause_action.isEnabled()
    _up_to_date(qtbot, window)
    assert not window.pause_button.isVisible() and not window.pause_action.isEnabled()
    window.close()


def _run(state: RunState, done: int, total: int, elapsed: float) -> Progress:
    return Progress(state, files_done=done, files_total=total, elapsed=elapsed)


def test_counters_hold_still_when_a_folder_comes_in_mid_run() -> None:
    tally = ProgressTally()
    shown = [
        tally.add(report)
        for report in (
            Progress(RunState.SCANNING),
            _run(RunState.INDEXING, 0, 611, 0.5),
            _run(RunState.INDEXING, 300, 611, 40.0),
            _run(RunState.DONE, 300, 611, 41.0),  # stopped after its batch for the new folder
            Progress(RunState.WATCHING),
            Progress(RunState.SCANNING),
            _run(RunState.INDEXING, 0, 520, 0.2),  # what is left, and the new folder
            _run(RunState.INDEXING, 100, 520, 10.0),
            _run(RunState.DONE, 520, 520, 50.0),
            Progress(RunState.WATCHING),
            _run(RunState.INDEXING, 0, 3, 0.1),  # later: a new stretch counts from zero
        )
    ]
    counts = [(p.files_done, p.files_total) for p in shown if p.files_total]
    assert counts == [
        (0, 611),
        (300, 611),
        (300, 611),
        (300, 820),  # not "0/520"
        (400, 820),
        (820, 820),
        (0, 3),
    ]


def test_a_new_run_is_told_by_its_counts_not_only_by_its_clock() -> None:
    tally = ProgressTally()
    tally.add(_run(RunState.INDEXING, 2, 5, 0.05))  # a short run, stopped at once
    shown = tally.add(_run(RunState.INDEXING, 0, 4, 0.2))  # its clock already past the last
    assert (shown.files_done, shown.files_total) == (2, 6)


# --- the welcome, inside the window -------------------------------------------------------------


@pytest.mark.slow
def test_the_welcome_is_the_window_s_first_page_and_its_examples_search_the_demo(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    window = start_app(qtbot, tmp_path)
    window.resize(1180, 760)
    qtbot.waitExposed(window)
    page = window.main_pages.currentWidget()
    assert isinstance(page, WelcomePage)
    # No window of its own: the main window is the only one shown.
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert not page.isWindow()
    # Centred in the window.
    centre = page.column.mapTo(window, page.column.rect().center())
    assert abs(centre.x() - window.width() / 2) <= 16
    assert abs(centre.y() - window.height() / 2) <= window.height() / 4
    _up_to_date(qtbot, window)  # the demo, indexed while the welcome asks
    photo, _recording = example_queries()
    button = page.example_buttons[0]
    assert photo in button.text()
    window.last_result = None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.main_pages.currentIndex() == 0  # the page is gone; search and results show
    assert window.search_box.text() == photo
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert window.last_result is not None
    assert "coffee.png" in [hit.path.name for hit in window.last_result.hits[:3]]
    window.close()

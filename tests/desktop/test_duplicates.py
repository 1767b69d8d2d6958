"""The Duplicates page on the real engine: copies made at set-up from real photos and recordings
(``tests/copies.py``), indexed by the window's own watcher, listed, chosen, revealed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.window import MainWindow
from models.manifest import Manifest
from tests.copies import Library, library
from tests.desktop.windows import open_window

WAIT_MS = 240_000  # the first window loads every model on two shared cores


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Path]:
    """The library of copies and the module's data folder (indexed by the first window)."""
    return library(tmp_path_factory.mktemp("library")), tmp_path_factory.mktemp("data")


@pytest.fixture
def window(
    qtbot: QtBot, dev_pack: Manifest, shelf: tuple[Library, Path], tmp_path: Path
) -> Iterator[MainWindow]:
    made, data = shelf
    window = open_window(qtbot, made.folder, data, tmp_path / "cache")
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)
    yield window
    window.close()


def _shown(qtbot: QtBot, window: MainWindow) -> None:
    """Open the Duplicates tab and wait for its answer."""
    window.views.setCurrentWidget(window.duplicates)
    qtbot.waitUntil(lambda: not window.duplicates.asking, timeout=WAIT_MS)


def test_the_page_lists_each_group_with_the_largest_file_kept(
    qtbot: QtBot, window: MainWindow, shelf: tuple[Library, Path]
) -> None:
    made = shelf[0]
    _shown(qtbot, window)
    view = window.duplicates
    rows = view.group_rows()
    assert len(rows) == 4
    assert view.summary.text() == "4 groups of duplicates · 12 files"
    groups = [set(view.files(row)) for row in rows]
    for copies in (made.exact, made.exact_notes, made.near_photos, made.near_sounds):
        assert set(copies) in groups
    headings = {row.text(0) for row in rows}
    assert {"2 photos · exact copies", "4 photos · look the same"} <= headings
    assert "4 recordings · sound the same" in headings and "2 notes · exact copies" in headings
    for row in rows:
        assert view.kept(row) == view.files(row)[:1]
    photos = rows[[set(view.files(row)) for row in rows].index(set(made.near_photos))]
    assert view.kept(photos) == [made.near_photos[0]]  # the original: the largest


def test_the_others_of_the_chosen_group_are_revealed_and_nothing_is_deleted(
    qtbot: QtBot,
    window: MainWindow,
    shelf: tuple[Library, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = shelf[0]
    before = {path: path.stat().st_mtime_ns for path in made.files()}
    revealed: list[Path] = []
    monkeypatch.setattr("desktop.duplicates.reveal", lambda path, _parent: revealed.append(path))
    _shown(qtbot, window)
    view = window.duplicates
    sounds = next(row for row in view.group_rows() if set(view.files(row)) == set(made.near_sounds))
    view.tree.setCurrentItem(sounds)
    # Keep the MP3 as well as the largest file (the 16-bit WAV): the others are shown.
    files = view.files(sounds)
    mp3 = next(at for at, path in enumerate(files) if path.suffix == ".mp3")
    sounds.child(mp3).setCheckState(0, Qt.CheckState.Checked)
    assert view.kept(sounds) == [files[0], files[mp3]] and files[0].suffix == ".wav"
    assert view.reveal_button.isEnabled()
    qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
    assert sorted(revealed) == sorted(set(files) - {files[0], files[mp3]})
    assert len(revealed) == 2
    # Keeping every file leaves nothing to show.
    for at in range(sounds.childCount()):
        sounds.child(at).setCheckState(0, Qt.CheckState.Checked)
    assert not view.reveal_button.isEnabled()
    assert {path: path.stat().st_mtime_ns for path in made.files()} == before


def test_typing_a_query_brings_the_results_back(qtbot: QtBot, window: MainWindow) -> None:
    _shown(qtbot, window)
    qtbot.keyClicks(window.search_box, "a cat")
    assert window.views.currentWidget() is window.splitter

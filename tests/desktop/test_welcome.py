"""The first-run welcome: offers only folders that exist, returns the ticked ones or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

import desktop.welcome
from desktop.welcome import StandardFolder, WelcomeDialog, standard_folders


@pytest.fixture
def offered(tmp_path: Path) -> list[StandardFolder]:
    for name in ("Pictures", "Music"):
        (tmp_path / name).mkdir()
    return [
        StandardFolder("Pictures", tmp_path / "Pictures"),
        StandardFolder("Music", tmp_path / "Music"),
        StandardFolder("Documents", tmp_path / "Documents"),  # not on this "machine"
    ]


def _dialog(qtbot: QtBot, offered: list[StandardFolder]) -> WelcomeDialog:
    dialog = WelcomeDialog(offered)
    qtbot.addWidget(dialog)
    return dialog


def test_only_existing_folders_are_offered_ticked(
    qtbot: QtBot, offered: list[StandardFolder], tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, offered)
    assert [path for _, path in dialog.checkboxes] == [tmp_path / "Pictures", tmp_path / "Music"]
    assert all(box.isChecked() for box, _ in dialog.checkboxes)
    assert "Documents" not in " ".join(box.text() for box, _ in dialog.checkboxes)


def test_start_returns_the_ticked_folders(
    qtbot: QtBot, offered: list[StandardFolder], tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, offered)
    dialog.checkboxes[1][0].setChecked(False)  # not Music
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen_folders() == [tmp_path / "Pictures"]


def test_start_needs_a_folder(qtbot: QtBot, offered: list[StandardFolder]) -> None:
    dialog = _dialog(qtbot, offered)
    for box, _ in dialog.checkboxes:
        box.setChecked(False)
    assert not dialog.start_button.isEnabled()


def test_another_folder_can_be_added(
    qtbot: QtBot,
    offered: list[StandardFolder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = tmp_path / "Field recordings"
    extra.mkdir()
    monkeypatch.setattr(desktop.welcome, "pick_folder", lambda parent, title: extra)
    dialog = _dialog(qtbot, offered)
    dialog.choose_folder()
    dialog.choose_folder()  # the same folder twice is offered once
    dialog.accept()
    assert dialog.chosen_folders() == [tmp_path / "Pictures", tmp_path / "Music", extra]


def test_the_demo_button_returns_no_folders(qtbot: QtBot, offered: list[StandardFolder]) -> None:
    dialog = _dialog(qtbot, offered)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen_folders() == []


def test_closing_means_the_demo(qtbot: QtBot, offered: list[StandardFolder]) -> None:
    dialog = _dialog(qtbot, offered)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.chosen_folders() == []


def test_the_home_folder_itself_is_never_offered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path))
    monkeypatch.setattr(
        desktop.welcome.QStandardPaths, "writableLocation", staticmethod(lambda _: str(tmp_path))
    )
    assert standard_folders() == []

"""``trove-desktop``'s start: a first run asks which folders to watch; later runs do not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import parse_args, settings_for
from desktop.settings import load_preferences
from desktop.welcome import WelcomePage
from desktop.window import MainWindow
from engine.datadir import demo_folder
from models.manifest import Manifest
from tests.desktop.windows import start_app

WAIT_MS = 240_000


_start = start_app


def _welcome(window: MainWindow) -> WelcomePage | None:
    """The welcome, if the window shows it (as its page: it has no window of its own)."""
    page = window.main_pages.currentWidget()
    return page if isinstance(page, WelcomePage) and page.isVisible() else None


def _watched(qtbot: QtBot, window: MainWindow) -> list[str]:
    answer: list[list[str]] = []
    window.engine.folders(lambda roots: answer.append([root.path for root in roots]))
    qtbot.waitUntil(lambda: bool(answer), timeout=WAIT_MS)
    return answer[0]


def _counts(qtbot: QtBot, window: MainWindow) -> dict[str, int]:
    answer: list[dict[str, int]] = []
    window.engine.status(lambda status: answer.append(status.counts))
    qtbot.waitUntil(lambda: bool(answer), timeout=WAIT_MS)
    return answer[0]


@pytest.mark.slow
def test_a_first_run_asks_and_the_demo_answer_watches_the_demo(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    window = _start(qtbot, tmp_path)
    qtbot.waitUntil(lambda: _welcome(window) is not None, timeout=WAIT_MS)
    dialog = _welcome(window)
    assert dialog is not None
    dialog.demo_button.click()
    qtbot.waitUntil(lambda: _watched(qtbot, window) == [str(demo_folder())], timeout=WAIT_MS)
    stored = settings_for(parse_args(["--settings", str(tmp_path / "settings.ini")]))
    assert load_preferences(stored).welcomed
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)
    window.close()

    # The next start does not ask again, and finds the same index.
    again = _start(qtbot, tmp_path)
    qtbot.wait(200)
    assert _welcome(again) is None
    assert _watched(qtbot, again) == [str(demo_folder())]
    again.close()


@pytest.mark.slow
def test_a_first_run_with_chosen_folders_watches_those(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    shutil.copy(demo_folder() / "Photos" / "chelsea.png", pictures / "chelsea.png")
    window = _start(qtbot, tmp_path)
    qtbot.waitUntil(lambda: _welcome(window) is not None, timeout=WAIT_MS)
    dialog = _welcome(window)
    assert dialog is not None
    for box, _path in dialog.checkboxes:
        box.setChecked(False)  # whatever this machine offers, only the folder chosen here
    dialog.add_folder(pictures)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: _watched(qtbot, window) == [str(pictures)], timeout=WAIT_MS)
    # The chosen photo is indexed, and the demo that ran meanwhile is gone from the index.
    qtbot.waitUntil(lambda: _counts(qtbot, window).get("files.indexed") == 1, timeout=WAIT_MS)
    assert _counts(qtbot, window)["files"] == 1
    window.close()


def test_a_folder_on_the_command_line_skips_the_question(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    notes = tmp_path / "Notes"
    notes.mkdir()
    (notes / "a.txt").write_text("The budget meeting moved to Friday.\n")
    window = _start(qtbot, tmp_path, "--folder", str(notes))
    qtbot.wait(200)
    assert _welcome(window) is None
    assert _watched(qtbot, window) == [str(notes)]
    window.close()


@pytest.mark.slow
def test_a_damaged_index_is_said_and_repaired_from_the_window(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copyfile(demo_folder() / "Photos" / "chelsea.png", folder / "chelsea.png")
    window = _start(qtbot, tmp_path, "--folder", str(folder))
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)
    window.close()  # the first index run took the day's backup; now the crash
    catalog = tmp_path / "data" / "catalog.sqlite3"
    catalog.write_bytes(b"")  # what a crash on some file systems leaves

    again = _start(qtbot, tmp_path, "--folder", str(folder))
    qtbot.waitUntil(lambda: again.repair_box is not None, timeout=WAIT_MS)
    box = again.repair_box
    assert box is not None and box.isVisible()
    assert box.text() == "Trove's index is damaged and was set aside."
    assert "catalog.sqlite3.damaged-" in box.detailedText()
    assert again.status_label.text() == "The index is damaged"
    repair = next(b for b in box.buttons() if b.text() == "Repair")
    with qtbot.waitSignal(again.engine.repaired, timeout=WAIT_MS):
        repair.click()
    assert _counts(qtbot, again)["files.indexed"] == 1  # back from the backup, not re-made empty
    qtbot.waitUntil(lambda: again.status_label.text() == "Up to date", timeout=WAIT_MS)
    again.search("a cat")
    qtbot.waitUntil(lambda: again.last_result is not None, timeout=WAIT_MS)
    assert again.last_result is not None
    assert [hit.path for hit in again.last_result.hits][:1] == [folder / "chelsea.png"]

"""The folders dialog on the real engine: a real dev pack, real photos, real broken files.

One engine serves the module (its models load once); each test watches folders of its own, so
the tests do not depend on one another's order.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import desktop.folders
from desktop.folders import FoldersDialog, parse_globs, rows
from desktop.worker import EngineClient, EngineSettings
from engine.facade import FileDetails, Status, Trove
from models.manifest import Manifest
from tests.badfiles import make_bad_files, open_folder
from tests.conftest import dev_pack_path
from tests.media import demo_folder

WAIT_MS = 240_000  # the first scan loads the image model on two shared cores
PHOTOS = ["chelsea.png", "dog.png", "coffee.png"]
BROKEN = ["png-corrupt-data", "jpeg-zero-bytes"]  # cases of tests/badfiles.py


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Iterator[EngineClient]:
    client = EngineClient(
        EngineSettings(data=tmp_path_factory.mktemp("data"), pack=dev_pack_path())
    )
    client.start()
    client.start_watching()
    yield client
    client.shutdown()


@pytest.fixture
def dialog(qtbot: QtBot, engine: EngineClient) -> FoldersDialog:
    dialog = FoldersDialog(engine)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _photos(folder: Path, names: list[str] = PHOTOS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(demo_folder() / "Photos" / name, folder / name)
    return folder


def _eventually(
    qtbot: QtBot, engine: EngineClient, work: Callable[[Trove], Any], check: Callable[[Any], bool]
) -> Any:
    """Ask the engine again each time it answers, until an answer passes ``check``."""
    seen: list[Any] = []

    def answered(value: Any) -> None:
        seen.append(value)
        if not check(value):
            QTimer.singleShot(100, ask)

    def ask() -> None:
        engine._ask(work, answered, None)  # the client's query lane, for anything a test checks

    ask()
    qtbot.waitUntil(lambda: bool(seen) and check(seen[-1]), timeout=WAIT_MS)
    return seen[-1]


def _details_at(trove: Trove, path: Path) -> FileDetails | None:
    file_id = trove.file_id(path)
    return None if file_id is None else trove.details(file_id)


def _indexed_in(status: Status | None, folder: Path) -> int:
    """Files of ``folder`` the catalog counts as indexed (status has no per-folder count)."""
    if status is None or str(folder) not in [root.path for root in status.folders]:
        return -1
    return status.counts["files.indexed"]


def _listed(dialog: FoldersDialog) -> list[str]:
    return [root.path for root in dialog.roots]


def test_adding_a_folder_lists_it_and_indexes_its_files(
    qtbot: QtBot,
    dialog: FoldersDialog,
    engine: EngineClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _photos(tmp_path / "Holiday")
    monkeypatch.setattr(desktop.folders, "pick_folder", lambda parent, title: folder)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: str(folder) in _listed(dialog), timeout=WAIT_MS)
    row = _listed(dialog).index(str(folder))
    assert rows(dialog.folder_list)[row].text(1) == "Online"
    # The watcher's rescan indexes the photos; the dialog refreshes itself when it ends.
    status = _eventually(
        qtbot,
        engine,
        lambda trove: _details_at(trove, folder / PHOTOS[-1]),
        lambda details: details is not None and details.status.value == "indexed",
    )
    assert status.path == folder / PHOTOS[-1]
    qtbot.waitUntil(lambda: _indexed_in(dialog.last_status, folder) >= len(PHOTOS), timeout=WAIT_MS)
    assert "searchable" in dialog.summary_label.text()


def test_a_folder_inside_the_data_dir_is_refused_inline(
    qtbot: QtBot, dialog: FoldersDialog, engine: EngineClient, tmp_path: Path
) -> None:
    dialog.add_folder(tmp_path / "no such folder")
    qtbot.waitUntil(dialog.error_label.isVisible, timeout=WAIT_MS)
    assert "cannot be watched" in dialog.error_label.text()  # the window's words...
    assert "is not a folder" in dialog.error_label.toolTip()  # ...and the engine's, for a report
    inside = _eventually(qtbot, engine, lambda trove: trove.data_dir, lambda _: True)
    dialog.add_folder(inside)
    qtbot.waitUntil(lambda: "data folder" in dialog.error_label.toolTip(), timeout=WAIT_MS)
    assert str(inside) not in _listed(dialog)


def test_exclusions_are_stored_and_drop_the_excluded_files(
    qtbot: QtBot, dialog: FoldersDialog, engine: EngineClient, tmp_path: Path
) -> None:
    folder = _photos(tmp_path / "Work", ["chelsea.png"])
    _photos(folder / "drafts", ["dog.png"])
    dialog.add_folder(folder)
    draft = folder / "drafts" / "dog.png"
    _eventually(
        qtbot, engine, lambda trove: _details_at(trove, draft), lambda found: found is not None
    )

    qtbot.waitUntil(lambda: str(folder) in _listed(dialog), timeout=WAIT_MS)
    assert dialog.select_folder(folder)
    dialog.exclusions_edit.setPlainText("drafts\n\n  *.tmp  \ndrafts\n")
    dialog.apply_button.click()

    roots = _eventually(
        qtbot,
        engine,
        lambda trove: trove.folders(),
        lambda roots: any(root.exclude == ("drafts", "*.tmp") for root in roots),
    )
    assert [root.exclude for root in roots if root.path == str(folder)] == [("drafts", "*.tmp")]
    _eventually(qtbot, engine, lambda trove: _details_at(trove, draft), lambda found: found is None)
    kept = _eventually(
        qtbot, engine, lambda trove: _details_at(trove, folder / "chelsea.png"), lambda _: True
    )
    assert kept is not None
    qtbot.waitUntil(
        lambda: dialog.exclusions_edit.toPlainText() == "drafts\n*.tmp", timeout=WAIT_MS
    )


def test_files_that_could_not_be_read_are_listed_with_their_reason(
    qtbot: QtBot, dialog: FoldersDialog, tmp_path: Path
) -> None:
    folder = _photos(tmp_path / "Scans", ["coffee.png"])
    with open_folder() as scratch:
        broken = {bad.case: bad for bad in make_bad_files(scratch) if bad.case in BROKEN}
        for bad in broken.values():
            shutil.copy(bad.path, folder / bad.path.name)
    dialog.add_folder(folder)

    def listed() -> dict[str, str]:
        return {item.text(0): item.text(1) for item in rows(dialog.failures_list)}

    wanted = {str(folder / bad.path.name): bad for bad in broken.values()}
    qtbot.waitUntil(lambda: set(wanted) <= set(listed()), timeout=WAIT_MS)
    for path, bad in wanted.items():
        assert bad.expected.reason is not None and bad.expected.reason in listed()[path]
    count = len(listed())
    assert dialog.tabs.tabText(1) == f"Files that could not be read ({count})"

    table = dialog.failures_list
    table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    names = [item.text(0) for item in rows(table)]
    assert names == sorted(names, reverse=True)
    table.clearSelection()
    dialog.copy_failures()
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None
    copied = clipboard.text()
    assert all(f"{path}\t" in copied for path in wanted)


def test_removing_a_folder_asks_first_then_forgets_it(
    qtbot: QtBot,
    dialog: FoldersDialog,
    engine: EngineClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _photos(tmp_path / "Old", ["dog.png"])
    dialog.add_folder(folder)
    photo = folder / "dog.png"
    _eventually(
        qtbot, engine, lambda trove: _details_at(trove, photo), lambda found: found is not None
    )
    qtbot.waitUntil(lambda: str(folder) in _listed(dialog), timeout=WAIT_MS)
    assert dialog.select_folder(folder)

    questions: list[str] = []
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])

    def question(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        questions.append(args[2])
        return next(answers)

    monkeypatch.setattr(desktop.folders.QMessageBox, "question", question)
    dialog.remove_button.click()  # "No": nothing happens
    dialog.remove_button.click()  # "Yes"
    assert len(questions) == 2
    assert str(folder) in questions[0] and "not touched" in questions[0]
    qtbot.waitUntil(lambda: str(folder) not in _listed(dialog), timeout=WAIT_MS)
    _eventually(qtbot, engine, lambda trove: _details_at(trove, photo), lambda found: found is None)
    assert photo.is_file()  # forgotten by Trove, still on disk


def test_parse_globs() -> None:
    assert parse_globs("  *.tmp\n\nnode_modules\n*.tmp\n") == ["*.tmp", "node_modules"]
    assert parse_globs("") == []

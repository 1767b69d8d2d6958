"""The first-run welcome page: offers only folders that exist, answers the ticked ones or none;
its examples try the demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import desktop.welcome
from desktop.i18n import ENGLISH, SHIPPED, install_translations
from desktop.welcome import StandardFolder, WelcomePage, example_queries, standard_folders
from engine.facade import Trove
from tests.conftest import dev_pack_path
from tests.desktop.test_i18n import TS_FILES, load_update
from tests.media import demo_folder

# The demo file each of the intro's examples names, in the order example_queries() gives them.
# Per UI language: the photo, and the demo's memo spoken in that language.
EXAMPLE_FILES = {
    "en": (Path("Photos/coffee.png"), Path("Recordings/tomato_plants.wav")),
    "es": (Path("Photos/coffee.png"), Path("Recordings/viaje_a_la_playa.ogg")),
    "zh_CN": (Path("Photos/coffee.png"), Path("Recordings/beijing_trip.ogg")),
}


@pytest.fixture
def offered(tmp_path: Path) -> list[StandardFolder]:
    for name in ("Pictures", "Music"):
        (tmp_path / name).mkdir()
    return [
        StandardFolder("Pictures", tmp_path / "Pictures"),
        StandardFolder("Music", tmp_path / "Music"),
        StandardFolder("Documents", tmp_path / "Documents"),  # not on this "machine"
    ]


def _dialog(qtbot: QtBot, offered: list[StandardFolder]) -> WelcomePage:
    dialog = WelcomePage(offered)
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
    with qtbot.waitSignal(dialog.answered) as answer:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert answer.args == [[tmp_path / "Pictures"]] == [dialog.chosen_folders()]


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
    with qtbot.waitSignal(dialog.answered) as answer:
        qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert answer.args == [[]] and dialog.chosen_folders() == []


def test_an_example_tries_the_demo_with_it(qtbot: QtBot, offered: list[StandardFolder]) -> None:
    dialog = _dialog(qtbot, offered)
    photo, recording = example_queries()
    assert [button.text() for button in dialog.example_buttons] == [
        f"“{photo}”",
        f"“{recording}”",
    ]
    with (
        qtbot.waitSignal(dialog.answered) as answer,
        qtbot.waitSignal(dialog.example_chosen) as example,
    ):
        qtbot.mouseClick(dialog.example_buttons[1], Qt.MouseButton.LeftButton)
    assert answer.args == [[]] and example.args == [recording]


def test_the_home_folder_itself_is_never_offered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path))
    monkeypatch.setattr(
        desktop.welcome.QStandardPaths, "writableLocation", staticmethod(lambda _: str(tmp_path))
    )
    assert standard_folders() == []


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trove]:
    """The demo folder indexed with the dev pack, once for the module."""
    with Trove(tmp_path_factory.mktemp("demo-data"), dev_pack_path()) as trove:
        trove.add_folder(demo_folder())
        trove.index()
        yield trove


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The translations compiled from today's .ts files."""
    folder = tmp_path_factory.mktemp("qm")
    update = load_update()
    for ts_file in TS_FILES.values():
        update.lrelease(ts_file, folder / ts_file.with_suffix(".qm").name)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("language", SHIPPED)
def test_the_intro_examples_find_their_demo_file_in_every_language(
    qapp: QApplication, demo_index: Trove, compiled: Path, language: str
) -> None:
    english = example_queries()
    assert install_translations(qapp, language, compiled) == language
    try:
        examples = example_queries()
    finally:
        install_translations(qapp, ENGLISH)
    assert len(examples) == len(EXAMPLE_FILES[language])
    assert language == ENGLISH or set(examples).isdisjoint(english)  # translated, each of them
    demo = demo_folder().resolve()
    for query, expected in zip(examples, EXAMPLE_FILES[language], strict=True):
        result = demo_index.search(query, limit=3)
        top = [hit.path.resolve().relative_to(demo) for hit in result.hits]
        assert not result.no_good_match and expected in top, (
            f"{language}: {query!r} should find {expected} among its first 3 hits: {top}"
        )

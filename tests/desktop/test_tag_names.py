"""Tags and reasons in the UI's language, in the window on the real engine and a real photo:
the demo's elephant, whose best matching tag is the WordNet concept "elephant", and whose most
probable tags (the preview's) are the concepts above it: "animal", "vertebrate", "chordate",
"mammal"... Under 简体中文 and Español no English is left in a reason or a tag."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations, ui_language
from desktop.results import WhyRole, why_text
from desktop.window import MainWindow
from models.manifest import Manifest
from tests.desktop.windows import open_window
from tests.labelled import pack_with_tag_names
from tests.media import demo_folder

WAIT_MS = 240_000  # the first window loads every model on two shared cores
LATIN = re.compile("[A-Za-z]")


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest
) -> tuple[Path, Path, Path]:
    """(folder with the elephant photo, data dir, pack with tag names) shared by the module."""
    folder = tmp_path_factory.mktemp("photos")
    shutil.copy(demo_folder() / "Photos" / "elephant.png", folder / "elephant.png")
    pack = pack_with_tag_names(dev_pack, tmp_path_factory.mktemp("pack"))
    return folder, tmp_path_factory.mktemp("data"), pack


@pytest.fixture
def speaking(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    install_translations(qapp, ENGLISH)


def _window(qtbot: QtBot, library: tuple[Path, Path, Path], cache: Path) -> MainWindow:
    folder, data, pack = library
    return open_window(qtbot, folder, data, cache, pack)


def _search(qtbot: QtBot, window: MainWindow, query: str) -> None:
    """``query`` once the photo is indexed ("Up to date" in the UI's language)."""
    done = QCoreApplication.translate("MainWindow", "Up to date")
    qtbot.waitUntil(lambda: window.status_label.text() == done, timeout=WAIT_MS)
    window.last_result = None
    window.search(query)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert window.last_result is not None and window.last_result.hits


def _tags_shown(window: MainWindow) -> str:
    return window.preview.details.values["tags"].text()


@pytest.mark.parametrize(
    ("language", "tag", "said"),
    [("zh_CN", "哺乳动物", "标签：大象"), ("es", "mamífero", "etiqueta: elefante")],
)
def test_tags_and_reasons_read_in_the_ui_language(
    qtbot: QtBot,
    speaking: QApplication,
    library: tuple[Path, Path, Path],
    tmp_path: Path,
    language: str,
    tag: str,
    said: str,
) -> None:
    assert install_translations(speaking, language) == language
    assert ui_language() == language
    window = _window(qtbot, library, tmp_path / "cache")
    _search(qtbot, window, "大象" if language == "zh_CN" else "elefante")
    best = window.results.index(window.results.first_row() or 0)
    assert best.data(WhyRole).text.startswith(said)  # the tile's line: the tag, translated
    # The preview's tags, the most probable first, each in the UI language.
    qtbot.waitUntil(lambda: tag in _tags_shown(window), timeout=WAIT_MS)
    assert "mammal" not in _tags_shown(window)
    if language == "zh_CN":
        # Every reason of every hit, every part of it: no English word left.
        for hit in window.results.hits():
            text = why_text(hit, window.results.tag_names)
            assert not LATIN.search(text), text
        assert not LATIN.search(_tags_shown(window))
    window.close()


def test_tags_follow_a_language_change_without_a_restart(
    qtbot: QtBot, speaking: QApplication, library: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    install_translations(speaking, "zh_CN")
    window = _window(qtbot, library, tmp_path / "cache")
    # Asked by the tag's name: "elephant" would match the file's name first, and the tile's
    # line would say that instead of the tag.
    _search(qtbot, window, "大象")
    qtbot.waitUntil(lambda: "哺乳动物" in _tags_shown(window), timeout=WAIT_MS)
    install_translations(speaking, "es")  # the window hears LanguageChange
    qtbot.waitUntil(lambda: "mamífero" in _tags_shown(window), timeout=WAIT_MS)
    best = window.results.index(window.results.first_row() or 0)
    qtbot.waitUntil(lambda: "elefante" in best.data(WhyRole).text, timeout=WAIT_MS)
    install_translations(speaking, ENGLISH)
    qtbot.waitUntil(lambda: "mammal" in _tags_shown(window), timeout=WAIT_MS)
    window.close()

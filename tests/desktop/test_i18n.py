"""Translations: every UI string has Chinese and Spanish, and a real widget shows them."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, SHIPPED, install_translations, translations_dir
from desktop.searchbar import SearchBar
from engine.catalog.records import FileKind

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "desktop" / "i18n"
TS_FILES = {"zh_CN": SOURCES / "trove_zh_CN.ts", "es": SOURCES / "trove_es.ts"}
# %1, %L1, %n; {name}; and HTML tags: what the code fills in or renders, kept as they are.
PLACEHOLDER = re.compile(r"%L?\d+|%n|\{\w*\}|</?\w+[^>]*>")
ACCELERATOR = re.compile(r"&(?!&)\S")


def load_update() -> ModuleType:
    """desktop/i18n/update.py is a script beside the .ts files, not an importable module."""
    spec = importlib.util.spec_from_file_location("trove_i18n_update", SOURCES / "update.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The .ts files as lupdate leaves them after reading today's code, in a temporary copy."""
    folder = tmp_path_factory.mktemp("ts")
    subprocess.run(
        [sys.executable, str(SOURCES / "update.py"), "--into", str(folder), "--no-compile"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {language: folder / path.name for language, path in TS_FILES.items()}


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    install_translations(qapp, ENGLISH)  # the next test sees English again


def messages(ts_file: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(context, source, translated forms) of every message."""
    for context in ET.parse(ts_file).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            forms = [form.text or "" for form in translation.findall("numerusform")]
            yield name, message.findtext("source", ""), forms or [translation.text or ""]


@pytest.mark.parametrize("language", sorted(TS_FILES))
def test_every_ui_string_is_translated(refreshed: dict[str, Path], language: str) -> None:
    ts_file = refreshed[language]
    assert ET.parse(ts_file).getroot().get("language") == language
    missing = load_update().missing(ts_file)
    assert not missing, (
        f"{len(missing)} UI strings have no {language} translation; run "
        f"`.venv/bin/python desktop/i18n/update.py --missing`, translate them in "
        f"{TS_FILES[language].name}: {missing}"
    )
    assert sum(1 for _ in messages(ts_file)) >= 20  # lupdate did read the Python sources


@pytest.mark.parametrize("language", sorted(TS_FILES))
def test_placeholders_and_accelerators_survive(language: str) -> None:
    for context, source, forms in messages(TS_FILES[language]):
        for text in forms:
            if not text:
                continue  # untranslated: the test above reports it
            where = f"{language} {context}: {source!r} -> {text!r}"
            wanted = sorted(PLACEHOLDER.findall(source))
            assert sorted(PLACEHOLDER.findall(text)) == wanted, where
            if ACCELERATOR.search(source):
                assert len(ACCELERATOR.findall(text)) == 1, where


def test_a_real_widget_speaks_chinese_then_spanish(
    app: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    update = load_update()
    for ts_file in TS_FILES.values():
        update.lrelease(ts_file, tmp_path / ts_file.with_suffix(".qm").name)
    bar = SearchBar()
    qtbot.addWidget(bar)
    photos = bar.kind_chips[FileKind.PHOTO]
    assert photos.text() == "Photos"

    assert install_translations(app, "zh_CN", tmp_path) == "zh_CN"
    fresh = SearchBar()
    qtbot.addWidget(fresh)
    assert fresh.edit.placeholderText() == "搜索照片、录音、视频和笔记，或拖入一个文件"
    assert fresh.edit.accessibleName() == "搜索"
    qtbot.waitUntil(lambda: photos.text() == "照片", timeout=5000)  # live, on LanguageChange
    assert bar.date_chip.text() == "任意时间"
    # Qt's own strings come along (standard dialog buttons).
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"

    assert install_translations(app, "es_MX", tmp_path) == "es"  # a country falls back
    qtbot.waitUntil(lambda: photos.text() == "Fotos", timeout=5000)
    assert install_translations(app, "en_GB", tmp_path) == ENGLISH
    qtbot.waitUntil(lambda: photos.text() == "Photos", timeout=5000)


def test_languages_without_a_file_are_english(app: QApplication, tmp_path: Path) -> None:
    assert install_translations(app, "fr", tmp_path) == ENGLISH
    assert install_translations(app, "system", tmp_path) in SHIPPED
    assert QCoreApplication.translate("SearchBar", "Photos") in ("Photos", "照片", "Fotos")


def test_translations_are_found_beside_the_code_and_in_a_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert translations_dir() == SOURCES
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert translations_dir() == tmp_path / "desktop" / "i18n"

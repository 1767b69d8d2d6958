"""Preferences stored with QSettings, the window's remembered shape, and the settings dialog."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QMainWindow, QSplitter
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations
from desktop.languages import spoken_by_default
from desktop.preferences import PreferencesDialog, SharedLibraryDialog
from desktop.settings import (
    Preferences,
    SharedLibrary,
    load_preferences,
    on_screen,
    restore_window_state,
    save_preferences,
    save_window_state,
)
from engine.facade import available_devices
from models.manifest import Manifest, Task
from tests.conftest import dev_pack_path


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "trove.ini"), QSettings.Format.IniFormat)


def test_defaults_when_nothing_is_stored(settings: QSettings) -> None:
    assert load_preferences(settings) == Preferences()


def test_preferences_round_trip_through_an_ini_file(settings: QSettings, tmp_path: Path) -> None:
    chosen = Preferences(
        pack=tmp_path / "my pack", device="cpu", threads=3, theme="dark", language="zh_CN",
        welcomed=True,
        shared=(
            SharedLibrary("http://nas:19530", "/srv/photos", Path("/Volumes/photos")),
            SharedLibrary("/mnt/share/family.db"),
        ),
        spoken=("es", "en"),
    )  # fmt: skip
    save_preferences(settings, chosen)
    # A fresh QSettings reads the file again: the values went through their text form.
    again = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    assert load_preferences(again) == chosen
    save_preferences(again, Preferences())
    assert load_preferences(QSettings(settings.fileName(), QSettings.Format.IniFormat)) == (
        Preferences()
    )


def test_a_bad_stored_value_falls_back_to_its_default_and_is_logged(
    settings: QSettings, caplog: pytest.LogCaptureFixture
) -> None:
    save_preferences(settings, Preferences(device="cpu", threads=2, theme="dark", welcomed=True))
    settings.setValue("preferences/device", "quantum")
    settings.setValue("preferences/threads", "many")
    settings.setValue("preferences/theme", 7)
    settings.setValue("preferences/shared", '[{"there": "/srv"}]')  # no address
    settings.setValue("preferences/spoken", "en;Español")
    settings.sync()
    with caplog.at_level(logging.WARNING, logger="desktop.settings"):
        loaded = load_preferences(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    assert loaded == Preferences(welcomed=True)  # the good value survives its bad neighbours
    logged = caplog.text
    assert "quantum" in logged and "many" in logged and "theme" in logged
    assert "a library without an address" in logged
    assert "not language codes" in logged


def test_a_corrupt_settings_file_gives_the_defaults(tmp_path: Path) -> None:
    ini = tmp_path / "trove.ini"
    ini.write_bytes(b"[preferences]\nthreads=-4\nwelcomed=perhaps\n\x00\xff\xfe garbage\n")
    assert load_preferences(QSettings(str(ini), QSettings.Format.IniFormat)) == Preferences()


def test_window_state_round_trip(qtbot: QtBot, settings: QSettings) -> None:
    first = _window(qtbot)
    first.setGeometry(40, 50, 500, 400)
    splitter = first.centralWidget()
    assert isinstance(splitter, QSplitter)
    splitter.setSizes([100, 400])
    first.show()
    qtbot.waitExposed(first)
    wanted_sizes = splitter.sizes()
    save_window_state(settings, first, {"main": splitter})

    second = _window(qtbot)
    other = second.centralWidget()
    assert isinstance(other, QSplitter)
    assert restore_window_state(settings, second, {"main": other})
    second.show()
    qtbot.waitExposed(second)
    assert second.size() == first.size()
    assert other.sizes() == wanted_sizes


def test_a_window_is_never_restored_off_screen(qtbot: QtBot, settings: QSettings) -> None:
    gone = _window(qtbot)
    gone.setGeometry(20_000, 20_000, 500, 400)  # where a since-unplugged monitor was
    save_window_state(settings, gone)
    window = _window(qtbot)
    window.setGeometry(30, 30, 300, 200)
    restore_window_state(settings, window)
    assert on_screen(window.frameGeometry())


def test_on_screen() -> None:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    area = screen.availableGeometry()
    assert on_screen(area.adjusted(10, 10, -10, -10))
    assert not on_screen(area.translated(area.width() + 100, 0))


def _window(qtbot: QtBot) -> QMainWindow:
    window = QMainWindow()
    splitter = QSplitter(Qt.Orientation.Horizontal, window)
    splitter.addWidget(QLabel("left"))
    splitter.addWidget(QLabel("right"))
    window.setCentralWidget(splitter)
    qtbot.addWidget(window)
    return window


# --- the dialog ---------------------------------------------------------------------------------


def test_devices_offered_here_always_include_auto_and_cpu() -> None:
    devices = available_devices()
    assert devices[:2] == ["auto", "cpu"]


def test_the_dialog_shows_and_returns_the_preferences(qtbot: QtBot) -> None:
    start = Preferences(device="cpu", threads=2, theme="light", language="es", welcomed=True)
    dialog = PreferencesDialog(start, devices=["auto", "cpu"])
    qtbot.addWidget(dialog)
    assert dialog.preferences() == start
    assert not dialog.needs_reopen()

    dialog.pack_edit.setText(str(dev_pack_path()))
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("auto"))
    dialog.threads_spin.setValue(0)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
    edited = dialog.preferences()
    assert edited == Preferences(dev_pack_path(), "auto", 0, "dark", "zh_CN", welcomed=True)
    assert dialog.needs_reopen()
    assert "minilm-l6-v2 (text)" in dialog.pack_info.text()  # the pack's models, by name
    assert dialog.threads_spin.text() == "Automatic"


def test_the_languages_of_the_recordings_are_ticked_by_name_and_default_to_the_window_s(
    qtbot: QtBot,
) -> None:
    assert spoken_by_default() == ("en",)  # an English window on a system without a locale
    choices = ["af", "de", "en", "es", "ko", "zh"]
    dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"], spoken_choices=choices)
    qtbot.addWidget(dialog)
    rows = [dialog.spoken_list.item(row) for row in range(dialog.spoken_list.count())]
    shown = [(row.text(), row.checkState() == Qt.CheckState.Checked) for row in rows]
    # the ticked first, then by name those the window names in its language, then the rest
    assert shown == [
        ("English", True),
        ("Chinese", False),
        ("German", False),
        ("Korean", False),
        ("Spanish", False),
        ("Afrikaans", False),
    ]
    assert dialog.spoken() == ("en",) and dialog.preferences().spoken == ()  # the default
    assert not dialog.needs_reopen()
    rows[4].setCheckState(Qt.CheckState.Checked)
    assert dialog.preferences().spoken == ("en", "es")
    assert not dialog.needs_reopen()  # the open engine hears the next recordings with them
    again = PreferencesDialog(
        Preferences(spoken=("es", "zh")), devices=["auto", "cpu"], spoken_choices=choices
    )
    qtbot.addWidget(again)
    assert again.spoken() == ("zh", "es")  # listed first, by name: Chinese, Spanish
    assert again.preferences().spoken == ("es", "zh") and not again.needs_reopen()


def test_a_chinese_window_lists_the_languages_in_pinyin_order(
    qtbot: QtBot, qapp: QApplication
) -> None:
    install_translations(qapp, "zh_CN")
    try:
        choices = ["af", "ar", "de", "en", "es", "ja", "ko", "zh"]
        dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"], spoken_choices=choices)
        qtbot.addWidget(dialog)
        rows = [dialog.spoken_list.item(row) for row in range(dialog.spoken_list.count())]
        # the window's and English ticked, then a ā, dé, hán, rì, xī; then Afrikaans by itself
        shown = [row.text() for row in rows]
        assert shown == [
            "英语",
            "中文",
            "阿拉伯语",
            "德语",
            "韩语",
            "日语",
            "西班牙语",
            "Afrikaans",
        ]
        assert dialog.spoken() == ("en", "zh")
    finally:
        install_translations(qapp, ENGLISH)


def test_choosing_another_pack_lists_the_languages_its_speech_model_hears(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    deaf = tmp_path / "no speech"
    deaf.mkdir()
    kept = tuple(entry for entry in dev_pack.models if entry.task is not Task.SPEECH)
    dev_pack.with_models(kept, deaf).write(deaf)
    stored = Preferences(spoken=("es",))
    dialog = PreferencesDialog(stored, devices=["auto", "cpu"], spoken_choices=["en", "es"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.pack_edit.setText(str(deaf))
    assert not dialog.spoken_list.isVisible()
    assert dialog.preferences().spoken == ("es",)  # nothing to choose: the stored choice stays
    dialog.pack_edit.setText(str(deaf / "typing"))  # no pack (yet): the list stays as it was
    assert not dialog.spoken_list.isVisible()
    dialog.pack_edit.setText(str(dev_pack.root))
    assert dialog.spoken_list.isVisible() and dialog.spoken_list.count() == 99
    assert dialog.spoken() == ("es",)
    last = dialog.spoken_list.item(dialog.spoken_list.count() - 1)
    last.setCheckState(Qt.CheckState.Checked)
    ticked = dialog.spoken()
    assert len(ticked) == 2
    dialog.pack_edit.setText("")  # the pack that came with Trove (the dev pack, here)
    assert dialog.spoken() == ticked and dialog.spoken_list.count() == 99
    assert dialog.preferences().spoken == ticked


def test_a_pack_whose_speech_detects_no_language_asks_for_none(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"], spoken_choices=[])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.spoken_list.isVisible()
    assert dialog.preferences().spoken == ()


def test_a_folder_without_a_manifest_is_refused(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.pack_edit.setText(str(tmp_path))
    assert not ok.isEnabled()
    assert "manifest.json" in dialog.pack_info.text()
    dialog.pack_edit.clear()  # back to "find one yourself"
    assert ok.isEnabled()


def test_a_stored_device_missing_here_stays_visible(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(Preferences(device="cuda"), devices=["auto", "cpu"])
    qtbot.addWidget(dialog)
    assert dialog.device_combo.currentData() == "cuda"
    assert "not available" in dialog.device_combo.currentText()
    assert dialog.device_combo.findData("directml") == -1


def test_the_dialog_speaks_plainly_with_the_technical_side_behind_details(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    shown = " ".join(
        label.text() for label in dialog.findChildren(QLabel) if label.isVisibleTo(dialog)
    )
    assert "Search models:" in shown and "Model pack" not in shown
    assert "onnxruntime" not in shown and "minilm" not in shown  # no package or model names
    assert dialog.gpu_check.text() == "Use the graphics chip" and dialog.gpu_check.isVisible()
    assert not dialog.device_combo.isVisible() and not dialog.threads_spin.isVisible()
    # The box and the device under Details are one choice.
    assert dialog.gpu_check.isChecked() and dialog.preferences().device == "auto"
    dialog.gpu_check.setChecked(False)
    assert dialog.preferences().device == "cpu"
    dialog.gpu_check.setChecked(True)
    assert dialog.preferences().device == "auto"
    # Details: what the pack holds, the device and the threads.
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.device_combo.isVisible() and dialog.threads_spin.isVisible()
    assert dialog.pack_info.isVisible()
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    assert not dialog.gpu_check.isChecked()
    # A folder that is no pack opens Details, where the reason is.
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert not dialog.details.isVisible()
    dialog.pack_edit.setText("/no/such/models")
    assert dialog.details.isVisible() and "manifest.json" in dialog.pack_info.text()


def test_a_shared_library_is_added_with_its_folder_mapping_and_removed(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = PreferencesDialog(Preferences(), devices=["auto", "cpu"])
    qtbot.addWidget(dialog)

    def asked(self: SharedLibraryDialog) -> int:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.address.setText("nas:19530")  # neither a server's address nor a Lite file
        assert not ok.isEnabled()
        self.address.setText("http://nas:19530")
        self.there.setText("/srv/photos")
        assert not ok.isEnabled()  # one folder without the other maps nothing
        self.here.setText("/Volumes/photos")
        assert ok.isEnabled()
        return SharedLibraryDialog.DialogCode.Accepted.value

    monkeypatch.setattr(SharedLibraryDialog, "exec", asked)
    dialog.add_shared()
    shared = SharedLibrary("http://nas:19530", "/srv/photos", Path("/Volumes/photos"))
    assert dialog.preferences().shared == (shared,)
    assert dialog.shared_list.item(0).text() == "nas, its /srv/photos as /Volumes/photos"
    dialog.shared_list.setCurrentRow(0)
    dialog.remove_shared()
    assert dialog.preferences().shared == () and dialog.shared_list.count() == 0

"""A main window on the real engine, as the app opens one: for tests that drive the window."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from tests.conftest import dev_pack_path


def open_window(
    qtbot: QtBot, folder: Path, data: Path, cache: Path, pack: Path | None = None
) -> MainWindow:
    """A shown window whose engine (``pack``, else the dev pack; ``data``) watches ``folder``."""
    engine = EngineClient(EngineSettings(data=data, pack=pack or dev_pack_path()))
    window = MainWindow(engine, cache=cache)
    qtbot.addWidget(window)
    engine.start()
    engine.ensure_folder(folder)
    engine.start_watching()
    window.show()
    return window

"""A main window on the real engine, as the app opens one: for tests that drive the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from tests.conftest import dev_pack_path


def open_window(qtbot: QtBot, folder: Path, data: Path, cache: Path) -> MainWindow:
    """A shown window whose engine (dev pack, ``data``) watches ``folder``."""
    engine = EngineClient(EngineSettings(data=data, pack=dev_pack_path()))
    window = MainWindow(engine, cache=cache)
    qtbot.addWidget(window)
    engine.start()
    engine.ensure_folder(folder)
    engine.start_watching()
    window.show()
    return window


def windows_on(
    qtbot: QtBot, media: tuple[Path, Path], cache: Path, size: tuple[int, int] | None = None
) -> Iterator[MainWindow]:
    """A fixture's window on ``media`` (folder, data dir), at ``size``, closed afterwards."""
    folder, data = media
    window = open_window(qtbot, folder, data, cache)
    if size is not None:
        window.resize(*size)
    yield window
    window.close()

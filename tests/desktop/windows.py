"""A main window on the real engine, as the app opens one: for tests that drive the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop import app
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


def start_app(qtbot: QtBot, tmp_path: Path, *extra: str) -> MainWindow:
    """The window as ``trove-desktop`` opens it (settings, data and welcome in ``tmp_path``)."""
    args = app.parse_args(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "--pack",
            str(dev_pack_path()),
            "--settings",
            str(tmp_path / "settings.ini"),
            *extra,
        ]
    )
    window = app.open_window(args, app.settings_for(args))
    qtbot.addWidget(window)
    window.show()
    return window

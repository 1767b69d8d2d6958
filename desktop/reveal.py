"""Show a file selected in the system's file manager, without ever waiting on it.

Which command does it is a pure function of the path and the platform (:func:`reveal_command`),
so every platform's choice is tested anywhere. On freedesktop systems (Linux, the BSDs) there is
no command: the file manager's ``org.freedesktop.FileManager1.ShowItems`` D-Bus method selects
the file, and when no file manager answers it the parent folder opens in the default app.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from engine.facade import persons_umask

log = logging.getLogger(__name__)

FILE_MANAGER = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"


@dataclass(frozen=True)
class Command:
    """A program to start detached. ``native_arguments`` is Windows' raw command line: Explorer
    parses ``/select,"C:\\a b\\c.jpg"`` itself, which QProcess's quoting of arguments breaks."""

    program: str
    arguments: tuple[str, ...] = ()
    native_arguments: str = ""


def reveal_command(path: str, platform: str = sys.platform) -> Command | None:
    """The command that shows ``path`` selected, for a ``sys.platform`` value; None where the
    freedesktop D-Bus call does it."""
    if platform == "win32":
        return Command("explorer.exe", native_arguments=f'/select,"{PureWindowsPath(path)}"')
    if platform == "darwin":
        return Command("open", ("-R", path))
    return None


def start_detached(command: Command) -> bool:
    process = QProcess()
    process.setProgram(command.program)
    process.setArguments(list(command.arguments))
    if command.native_arguments:
        process.setNativeArguments(command.native_arguments)  # type: ignore[attr-defined]
    with persons_umask():
        answer: object = process.startDetached()
    # PySide6 6.11's stubs promise (started, pid); at run time it answers the bool alone.
    started = answer[0] if isinstance(answer, tuple) else answer
    if not started:
        log.warning("could not start %s", command.program)
    return bool(started)


def open_in_default_app(path: Path) -> bool:
    """Open ``path`` (a file or folder) with the person's default app; False when none did."""
    with persons_umask():
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def open_folder_of(path: Path) -> None:
    open_in_default_app(path.parent)


def reveal(path: Path, parent: QObject | None = None) -> None:
    """Show ``path`` in its folder; returns at once on every platform."""
    command = reveal_command(str(path))
    if command is not None:
        if not start_detached(command):
            open_folder_of(path)
        return
    if not _show_items(path, parent):
        open_folder_of(path)


def _show_items(path: Path, parent: QObject | None) -> bool:
    """Ask the session's file manager over D-Bus, asynchronously; False when there is no bus."""
    try:
        from PySide6.QtDBus import (
            QDBusConnection,
            QDBusMessage,
            QDBusPendingCall,
            QDBusPendingCallWatcher,
        )
    except ImportError:  # a Qt build without D-Bus
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    call = QDBusMessage.createMethodCall(FILE_MANAGER, FILE_MANAGER_PATH, FILE_MANAGER, "ShowItems")
    call.setArguments([[QUrl.fromLocalFile(str(path)).toString()], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(call), parent)

    def answered(done: QDBusPendingCall) -> None:
        if done.isError():  # no file manager implements it: the folder will do
            log.info("FileManager1.ShowItems failed: %s", done.error().message())
            open_folder_of(path)
        watcher.deleteLater()

    watcher.finished.connect(answered)
    return True

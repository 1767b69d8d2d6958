"""``trove-desktop``: open the window on the engine; on a first run, ask which folders to watch.

The window is shown before any model loads: the engine opens on its own thread. With nothing
watched yet, the demo folder of real media that ships with Trove is watched at once, so a first
run can search while the welcome asks for the person's own folders; choosing some replaces the
demo, choosing none keeps it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop.i18n import install_translations
from desktop.languages import spoken_by_default
from desktop.results import default_cache_folder
from desktop.settings import ORGANISATION, load_preferences, save_preferences, store
from desktop.theme import apply_theme
from desktop.welcome import WelcomePage
from desktop.window import MainWindow, pasted_images_folder
from desktop.worker import EngineClient, EngineSettings
from engine.facade import demo_data_dir, demo_folder, make_private, restrict_new_files

ICON = Path(__file__).resolve().parent / "assets" / "trove.svg"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trove-desktop", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="where the catalog and indexes live")
    parser.add_argument("--pack", type=Path, help="the model pack folder")
    parser.add_argument(
        "--folder", type=Path, help="watch this folder on a first run instead of asking"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="search the demo folder of real media, with an index kept apart from your own",
    )
    parser.add_argument("--query", default="", help="a search to run at start")
    parser.add_argument(
        "--settings", type=Path, help="an INI file to keep settings in (default: the system's)"
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="print 'ready' once the window is shown and answering, then quit (start-up timing)",
    )
    args = parser.parse_args(list(argv))
    if args.demo:
        args.data_dir = args.data_dir or demo_data_dir()
        args.folder = args.folder or demo_folder()
    return args


def settings_for(args: argparse.Namespace) -> QSettings:
    if args.settings is not None:
        return QSettings(str(args.settings), QSettings.Format.IniFormat)
    return store()


def open_window(args: argparse.Namespace, settings: QSettings) -> MainWindow:
    """The window with its engine started: opened, first folder in place, watcher running."""
    preferences = load_preferences(settings)
    engine = EngineClient(
        EngineSettings(
            data=args.data_dir,
            pack=args.pack or preferences.pack,
            device=preferences.device,
            threads=preferences.threads,
            shared=preferences.shared,
            spoken=preferences.spoken or spoken_by_default(),
        )
    )
    window = MainWindow(engine, settings)
    engine.start()
    if args.folder is not None:
        engine.ensure_folder(args.folder)
        engine.start_watching()
    else:
        # Nothing watched yet: the demo, indexed at once so that a first run can search while
        # the welcome asks for the person's own folders.
        engine.ensure_folder(demo_folder())
        engine.start_watching()
        if not preferences.welcomed:
            welcome(window, settings)  # the first page the window shows
    if args.query:
        window.search(args.query)
    return window


def welcome(window: MainWindow, settings: QSettings) -> None:
    """The first run's question, as the window's first page: which folders? Indexing starts
    as soon as it is answered; an example clicked searches the demo with it."""
    page = WelcomePage(parent=window)

    def answered(chosen: list[Path]) -> None:
        if chosen:  # their own folders replace the demo, so its files never mix in
            window.engine.replace_demo(chosen, lambda _roots: window.refresh_folders())
        preferences = dataclasses.replace(load_preferences(settings), welcomed=True)
        save_preferences(settings, preferences)
        window.close_page(page)

    page.answered.connect(answered)
    page.example_chosen.connect(window.search)
    window.show_page(page)


def keep_private(settings: QSettings) -> None:
    """Files this process makes are the person's alone; so are the folders of the thumbnails,
    pasted pictures and settings that an older Trove made readable by others."""
    restrict_new_files()
    # Only these: the cache root is shared (a checkout keeps its model packs and test media
    # there too), and a settings file given with --settings may sit among the person's files.
    for owned in (default_cache_folder(), pasted_images_folder(), Path(settings.fileName())):
        if owned.exists():
            make_private(owned)


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName("Trove")
    app.setApplicationDisplayName("Trove")
    app.setDesktopFileName("trove")  # matches the .desktop entry: the dock groups its windows
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = settings_for(args)
    keep_private(settings)
    preferences = load_preferences(settings)
    install_translations(app, preferences.language)
    apply_theme(app, preferences.theme)
    window = open_window(args, settings)
    app.aboutToQuit.connect(window.close)  # Ctrl+Q and the session's end both close cleanly
    window.show()
    if args.exit_when_ready:
        # A zero timer fires once the event loop runs: the window is painted and takes input.
        QTimer.singleShot(0, lambda: _ready_then_quit(app))
    return app.exec()


def _ready_then_quit(app: QCoreApplication) -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    app.quit()


if __name__ == "__main__":
    sys.exit(main())

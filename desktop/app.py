"""``trove-desktop``: open the window; with no folder watched yet, watch the demo folder."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from engine.datadir import demo_folder


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trove-desktop", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="where the catalog and indexes live")
    parser.add_argument("--pack", type=Path, help="the model pack folder")
    parser.add_argument(
        "--folder", type=Path, help="the folder to watch on a first run (default: the demo)"
    )
    parser.add_argument("--query", default="", help="a search to run at start")
    return parser.parse_args(list(argv))


def open_window(args: argparse.Namespace) -> MainWindow:
    """The window with its engine started: opened, first folder in place, watcher running."""
    engine = EngineClient(EngineSettings(data=args.data_dir, pack=args.pack))
    window = MainWindow(engine)
    engine.start()
    folder = args.folder or demo_folder()
    if folder.is_dir():
        engine.ensure_folder(folder)
    engine.start_watching()  # queued after the folder: the initial scan sees it
    if args.query:
        window.search(args.query)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Trove")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    window = open_window(args)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

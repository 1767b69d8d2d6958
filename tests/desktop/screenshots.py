"""Screenshots of the window's main states, from the real app on the demo folder of real media.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.desktop.screenshots [OUT]

Writes PNGs to ``docs/screenshots`` (or OUT). Everything runs for real: the dev pack, a fresh
data folder that indexes the demo folder, thumbnails decoded from the files. A second folder
holds one damaged photo so that the "could not be read" list has something to show.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import soundfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from desktop.i18n import ENGLISH, install_translations
from desktop.theme import apply_theme
from desktop.welcome import StandardFolder, WelcomePage
from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from engine.datadir import demo_folder
from engine.facade import ExamplePart, FileKey
from tests.exif import LISBON, Written, photo_with_exif

SIZE = (1320, 820)
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wait_until(app: QApplication, done: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the state to photograph")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 1.0) -> None:
    """Let lazy thumbnails, waveforms and the player catch up before the picture is taken."""
    wait_until(app, lambda: True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, folder: Path, name: str) -> Path:
    target = folder / name
    widget.grab().save(str(target), "PNG")
    print(f"wrote {target}")
    return target


def search_and_wait(app: QApplication, window: MainWindow, query: str | ExamplePart) -> None:
    window.last_result = None
    if isinstance(query, ExamplePart):
        window.search_example(query)
    else:
        window.search(query)
    wait_until(app, lambda: window.last_result is not None)
    wait_until(app, lambda: not window.thumbnails.busy, timeout=60)
    settle(app, 2.0)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    install_translations(app, ENGLISH)  # as the app starts: dates in English's way, not C's
    demo = demo_folder()
    with tempfile.TemporaryDirectory(prefix="trove-shots-") as scratch:
        root = Path(scratch)
        inbox = root / "Inbox"
        inbox.mkdir()
        (inbox / "holiday.jpg").write_bytes((demo / "Photos" / "china.jpg").read_bytes()[:4000])
        samples, rate = soundfile.read(demo / "Sounds" / "dog.ogg", dtype="float32")
        soundfile.write(inbox / "barking.wav", samples[len(samples) // 10 :], rate)
        # A photo from a trip (date, place and camera in its EXIF) and an exact copy.
        photo_with_exif(
            demo / "Photos" / "flower.jpg",
            inbox / "IMG_20240613_184200.jpg",
            Written("2024:06:13 18:42:00", "+01:00", LISBON, "Canon", "Canon EOS R6"),
        )
        (inbox / "cow (copy).png").write_bytes((demo / "Photos" / "cow.png").read_bytes())
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        engine = EngineClient(EngineSettings(data=root / "data"))
        window = MainWindow(engine, settings, cache=root / "cache")
        window.resize(*SIZE)
        engine.start()
        engine.add_folder(demo)
        engine.add_folder(inbox)
        engine.start_watching()
        window.show()
        wait_until(app, lambda: window.status_label.text() == "Up to date", timeout=900)
        wait_until(app, lambda: window.failures_button.isVisible(), timeout=60)

        settle(app, 2.0)  # the home screen: the library, newest first, by month
        wait_until(app, lambda: not window.thumbnails.busy, timeout=60)
        save(window, out, "library.png")

        search_and_wait(app, window, "a cat")
        save(window, out, "search-by-text.png")

        search_and_wait(app, window, "water the tomato plants")
        wait_until(app, lambda: window.preview.player.duration() > 0, timeout=60)
        settle(app, 1.0)
        save(window, out, "recording-preview.png")

        # Searched with the file: it shows as a chip in the box.
        search_and_wait(app, window, ExamplePart(demo / "Sounds" / "dog.ogg"))
        save(window, out, "search-by-sound.png")

        window.last_listing = None
        window.search('place:"Lisbon"')
        wait_until(app, lambda: window.last_listing is not None)
        listing = window.last_listing
        trip = None if listing is None else window.results.row_of(FileKey(listing.files[0].file_id))
        assert trip is not None, "the photo taken in Lisbon is not listed"
        window.grid.setCurrentIndex(window.results.index(trip))
        settle(app, 2.0)
        save(window, out, "place.png")

        window.views.setCurrentWidget(window.duplicates)
        wait_until(app, lambda: bool(window.duplicates.groups) and not window.duplicates.asking)
        settle(app, 0.5)
        save(window, out, "duplicates.png")
        window.views.setCurrentWidget(window.splitter)

        install_translations(app, "zh_CN")
        search_and_wait(app, window, "猫")
        save(window, out, "chinese.png")
        install_translations(app, ENGLISH)

        window.show_folders(failures=True)
        dialog = window._folders_dialog
        assert dialog is not None
        wait_until(app, lambda: dialog.last_status is not None, timeout=60)
        settle(app, 0.5)
        save(dialog, out, "files-not-read.png")
        dialog.close()

        apply_theme(app, "dark")
        search_and_wait(app, window, "elephant")
        save(window, out, "dark.png")
        apply_theme(app, "light")

        home = root / "home"
        offered = []
        for label, name in (("Pictures", "Pictures"), ("Music", "Music"), ("Documents", "Docs")):
            (home / name).mkdir(parents=True)
            offered.append(StandardFolder(label, home / name))
        welcome = WelcomePage(offered, window)
        window.show_page(welcome)
        settle(app, 0.5)
        save(window, out, "welcome.png")
        window.close_page(welcome)

        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The library, the home screen, on the real engine: real photos, sounds, a recording, a video
and notes, their file dates set to known days, indexed with the dev pack.

The first window indexes the folder; the later ones reopen the same data folder and list it
at once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QDateTime, QLocale, QModelIndex, QPoint, QRect, QTime
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

import desktop.library
import desktop.worker
from desktop.bands import Grouping, band_key, band_title, short_date
from desktop.i18n import ui_locale
from desktop.results import HeadingRole, ResultDelegate, ResultsModel, Thumbnails
from desktop.searchbar import DatePreset, DateRange
from desktop.window import MainWindow
from engine.facade import FileKind, Hit, Listed
from models.manifest import Manifest
from tests.desktop.windows import open_window, windows_on
from tests.media import demo_folder

WAIT_MS = 240_000  # the first window loads every model on two shared cores
# Each file and the local time it was last changed: five months over three years.
DATED = {
    "Photos/chelsea.png": datetime(2024, 11, 20, 10, 0),
    "Photos/dog.png": datetime(2024, 11, 20, 9, 0),
    "Videos/space_museum.mp4": datetime(2024, 11, 3, 18, 30),
    "Photos/coffee.png": datetime(2024, 3, 15, 8, 0),
    "Notes/zoo-trip.md": datetime(2024, 3, 15, 7, 0),
    "Sounds/cow.ogg": datetime(2023, 7, 4, 16, 0),
    "Sounds/rooster.ogg": datetime(2023, 7, 4, 6, 0),
    "Photos/china.jpg": datetime(2023, 7, 4, 5, 0),
    "Recordings/tomato_plants.wav": datetime(2023, 1, 2, 12, 0),
    "Photos/astronaut.png": datetime(2023, 1, 2, 11, 0),
    "Photos/rocket.jpg": datetime(2022, 5, 5, 12, 0),
    "Notes/recipes.txt": datetime(2022, 5, 5, 11, 0),
}
NEWEST_FIRST = [Path(name).name for name in DATED]
MONTHS = ["November 2024", "March 2024", "July 2023", "January 2023", "May 2022"]
YEARS = ["2024", "2023", "2022"]


@pytest.fixture(autouse=True)
def english_dates() -> Iterator[None]:
    """Dates as an English UI writes them, whatever the machine's locale."""
    QLocale.setDefault(QLocale("en_US"))
    yield
    QLocale.setDefault(QLocale.system())


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of dated media, data dir) shared by the module's windows."""
    folder = tmp_path_factory.mktemp("media")
    for name, moment in DATED.items():
        target = folder / Path(name).name
        shutil.copy(demo_folder() / name, target)
        os.utime(target, (moment.timestamp(), moment.timestamp()))
    return folder, tmp_path_factory.mktemp("data")


@pytest.fixture
def window(
    qtbot: QtBot, dev_pack: Manifest, media: tuple[Path, Path], tmp_path: Path
) -> Iterator[MainWindow]:
    yield from windows_on(qtbot, media, tmp_path / "cache", (1024, 640))


def _library_of(qtbot: QtBot, window: MainWindow, count: int) -> None:
    """Wait until indexing is over and the library lists ``count`` files."""
    qtbot.waitUntil(lambda: window.status_label.text() == "Up to date", timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (
            window.last_listing is not None
            and window.last_listing.total == count
            and window.results.showing_library
        ),
        timeout=WAIT_MS,
    )


def _names(window: MainWindow) -> list[str]:
    return [hit.path.name for hit in window.results.hits()]


def _headings(model: ResultsModel) -> list[str]:
    rows = (model.index(row).data(HeadingRole) for row in range(model.rowCount()))
    return [heading for heading in rows if heading is not None]


def test_the_library_shows_everything_newest_first_in_month_bands_with_an_empty_box(
    qtbot: QtBot, window: MainWindow
) -> None:
    _library_of(qtbot, window, len(DATED))
    assert window.search_box.text() == ""
    assert window.pages.currentWidget() is window.grid
    assert _names(window) == NEWEST_FIRST
    assert _headings(window.results) == MONTHS
    assert window.library_bar.count.text() == f"{len(DATED)} items"
    # Each band's heading comes right before its first file.
    first = window.results.row_of(window.results.hits()[5].key)  # cow.ogg, July 2023
    assert first is not None
    assert window.results.index(first - 1).data(HeadingRole) == "July 2023"
    # A tile says its file's date, in the locale's short form.
    tile = window.results.index(first).data(HeadingRole + 1)  # WhyRole
    assert tile.text.replace("\u202f", " ") == "7/4/2023 4:00 PM"  # the whole year

    window.library_bar.grouping.setCurrentIndex(list(Grouping).index(Grouping.YEAR))
    assert _headings(window.results) == YEARS
    window.library_bar.grouping.setCurrentIndex(list(Grouping).index(Grouping.DAY))
    assert _headings(window.results)[:2] == [
        "Wednesday, November 20, 2024",
        "Sunday, November 3, 2024",
    ]
    assert len(_headings(window.results)) == 6
    assert _names(window) == NEWEST_FIRST  # regrouping keeps the files and their order


def test_kind_tabs_list_one_kind_and_follow_the_chips(qtbot: QtBot, window: MainWindow) -> None:
    _library_of(qtbot, window, len(DATED))
    window.library_bar.tabs.setCurrentIndex(3)  # Audio
    assert window.search_bar.filters().kinds == {FileKind.AUDIO}  # one filter, two controls
    qtbot.waitUntil(lambda: window.last_listing is not None and window.last_listing.total == 3)
    assert _names(window) == ["cow.ogg", "rooster.ogg", "tomato_plants.wav"]
    assert _headings(window.results) == ["July 2023", "January 2023"]
    assert window.library_bar.count.text() == "3 items"
    window.search_bar.set_kinds({FileKind.PHOTO})  # the chip moves the tab
    assert window.library_bar.tabs.currentIndex() == 1
    qtbot.waitUntil(lambda: window.last_listing is not None and window.last_listing.total == 6)
    assert all(hit.kind is FileKind.PHOTO for hit in window.results.hits())
    window.library_bar.tabs.setCurrentIndex(0)  # All
    qtbot.waitUntil(lambda: window.last_listing is not None and window.last_listing.total == 12)
    assert window.search_bar.filters().kinds == frozenset()


def test_date_and_folder_filters_work_with_an_empty_box(
    qtbot: QtBot, window: MainWindow, media: tuple[Path, Path]
) -> None:
    _library_of(qtbot, window, len(DATED))
    window.search_bar.set_date(DatePreset.CUSTOM, DateRange(date(2023, 1, 1), date(2023, 12, 31)))
    qtbot.waitUntil(lambda: window.last_listing is not None and window.last_listing.total == 5)
    assert window.search_box.text() == ""
    assert _names(window) == NEWEST_FIRST[5:10]
    assert _headings(window.results) == ["July 2023", "January 2023"]
    assert window.library_bar.count.text() == "5 items"
    window.search_bar.set_date(DatePreset.ANY)
    qtbot.waitUntil(lambda: window.last_listing is not None and window.last_listing.total == 12)
    qtbot.waitUntil(lambda: str(media[0]) in window.search_bar.folders())
    window.last_listing = None
    window.search_bar.set_folder(str(media[0]))  # the one watched folder: everything in it
    assert window.search_bar.query().startswith("in:")
    qtbot.waitUntil(lambda: window.last_listing is not None)
    assert window.last_listing.total == 12  # type: ignore[union-attr]
    assert window.results.showing_library and _headings(window.results) == MONTHS


def test_a_query_turns_the_grid_into_results_and_clearing_returns_to_the_same_place(
    qtbot: QtBot, window: MainWindow
) -> None:
    _library_of(qtbot, window, len(DATED))
    window.library_bar.zoom.setValue(window.library_bar.zoom.maximum())  # few tiles a row
    bar = window.grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() * 2 // 3)
    value, place = bar.value(), window.library.place()
    assert value > 0 and place is not None
    listing = window.last_listing

    window.last_result = None
    qtbot.keyClicks(window.search_box, "water the tomato plants")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=WAIT_MS)
    assert not window.results.showing_library
    assert _names(window)[0] == "tomato_plants.wav"
    count = len(window.results.hits())
    assert window.library_bar.count.text() == f"{count} result{'s' if count != 1 else ''}"

    window.search_box.clear()
    qtbot.waitUntil(lambda: window.results.showing_library)
    assert window.last_listing is listing  # shown as it was kept: the engine was not asked
    assert _names(window) == NEWEST_FIRST
    assert window.library.place() == place
    assert bar.value() == value
    assert window.library_bar.count.text() == f"{len(DATED)} items"


@pytest.mark.parametrize("width, height", [(1024, 640), (1440, 900)])
def test_the_grid_fills_its_width_with_whole_columns(
    qtbot: QtBot, window: MainWindow, width: int, height: int
) -> None:
    window.resize(width, height)
    _library_of(qtbot, window, len(DATED))
    QApplication.processEvents()
    window.library_bar.grouping.setCurrentIndex(list(Grouping).index(Grouping.YEAR))
    QApplication.processEvents()  # bands of five files: rows full at these widths
    grid, model = window.grid, window.results
    columns = grid.columns()
    assert columns >= (2 if width < 1440 else 4)
    # The first band with a full row of tiles: its row ends within a few pixels of the edge.
    rows: dict[int, list[int]] = {}
    for row in range(model.rowCount()):
        if model.hit(row) is not None:
            rect = grid.visualRect(model.index(row))
            rows.setdefault(rect.top(), []).append(rect.right())
    full = [rights for rights in rows.values() if len(rights) == columns]
    assert full, rows
    dead = grid.viewport().width() - max(full[0])
    # Spacing and rounding, and room kept for the scroll bar while it is hidden: no strip
    # where a tile would fit.
    bar = grid.verticalScrollBar()
    kept = 0 if bar.isVisible() else grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    assert 0 < dead <= 2 * grid.spacing() + columns + kept
    assert grid.delegate.tile_size(grid.fontMetrics()).width() > window.thumbnails.size


def test_scrubbing_jumps_through_the_dates_and_the_band_heading_stays_on_top(
    qtbot: QtBot, window: MainWindow
) -> None:
    _library_of(qtbot, window, len(DATED))
    window.library_bar.zoom.setValue(window.library_bar.zoom.maximum())
    qtbot.waitUntil(lambda: window.grid.verticalScrollBar().maximum() > 0)
    window.scrubber.scrubbed.emit(1.0)  # the bottom: the oldest files
    last = window.results.row_of(window.results.hits()[-1].key)
    assert last is not None
    visible = window.grid.viewport().rect()
    assert window.grid.visualRect(window.results.index(last)).intersects(visible)
    top = window.grid.top_row()
    assert top is not None and window.results.band_of(top) == "May 2022"
    # The band at the top is named there while its heading row has scrolled away.
    window.scrubber.scrubbed.emit(0.25)
    top = window.grid.top_row()
    assert top is not None and window.results.hit(top) is not None
    assert window.results.band_of(top) in MONTHS
    image = window.grid.viewport().grab().toImage()
    assert not image.isNull()


def test_the_library_pages_in_as_the_grid_scrolls(
    qtbot: QtBot,
    dev_pack: Manifest,
    media: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(desktop.worker, "FIRST_PAGE", 3)
    monkeypatch.setattr(desktop.library, "MORE_PAGE", 2)
    folder, data = media
    window = open_window(qtbot, folder, data, tmp_path / "cache")
    try:
        window.resize(1024, 640)
        window.library_bar.zoom.setValue(window.library_bar.zoom.maximum())
        _library_of(qtbot, window, len(DATED))
        assert len(window.last_listing.files) == 3  # type: ignore[union-attr]
        rows = window.results.library
        bar = window.grid.verticalScrollBar()

        def scrolled_to_the_end() -> bool:
            bar.setValue(bar.maximum())
            return rows.loaded == len(DATED)

        qtbot.waitUntil(scrolled_to_the_end, timeout=WAIT_MS)
        assert _names(window) == NEWEST_FIRST
        assert _headings(window.results) == MONTHS  # a band split by a page is not named twice
    finally:
        window.close()


# --- the parts, without the engine ---------------------------------------------------------


def _listed(file_id: int, name: str, moment: datetime) -> Listed:
    return Listed(file_id, FileKind.PHOTO, Path("/photos") / name, 1000, moment.timestamp())


def test_the_model_continues_a_band_across_pages_and_asks_for_the_next(qtbot: QtBot) -> None:
    images = Thumbnails()
    model = ResultsModel(images)
    files = [
        _listed(n, f"IMG_{n}.jpg", moment)
        for n, moment in enumerate(
            [datetime(2024, 5, day, 12) for day in (30, 20, 10)] + [datetime(2024, 4, 1, 12)]
        )
    ]
    model.set_library(files[:2], total=4)
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.more_wanted) as asked:
        model.fetchMore(QModelIndex())
    assert asked.args == [2]
    assert not model.canFetchMore(QModelIndex())  # one page on its way at a time
    model.add_page(files[2:])
    assert _headings(model) == ["May 2024", "April 2024"]
    assert model.rowCount() == 6 and not model.canFetchMore(QModelIndex())
    assert [model.row_of_file(n) for n in range(4)] == [1, 2, 3, 5]
    assert model.band_of(3) == "May 2024" and model.band_of(5) == "April 2024"
    model.set_hits([Hit(9, FileKind.PHOTO, Path("/photos/x.jpg"), 0.9)])
    assert not model.showing_library and not model.canFetchMore(QModelIndex())
    images.shutdown()


def test_bands_and_dates_are_written_in_the_ui_locale() -> None:
    moment = QDateTime(QDate(2022, 4, 10), QTime(8, 10)).toSecsSinceEpoch()
    assert band_key(moment, Grouping.MONTH) == (2022, 4)
    assert band_title(moment, Grouping.MONTH, QLocale("es_ES")) == "abril 2022"
    assert band_title(moment, Grouping.YEAR, QLocale("zh_CN")) == "2022"
    # Under the C locale (no locale set up), an English UI writes English dates, not "10 04 2022".
    english = ui_locale("en", QLocale.c())
    assert english.language() is QLocale.Language.English
    assert short_date(moment, english).startswith("4/10/2022 ")
    assert ui_locale("en", QLocale("en_GB")).name() == "en_GB"  # the system's own way
    assert ui_locale("es", QLocale("en_GB")).language() is QLocale.Language.Spanish


def test_a_cut_out_keeps_its_transparency_and_sits_on_a_checkerboard(
    qtbot: QtBot, tmp_path: Path
) -> None:
    images = Thumbnails(cache_folder=tmp_path / "cache")
    cut_out = Hit(1, FileKind.PHOTO, demo_folder() / "Photos" / "dog.png", 0.0)
    photo = Hit(2, FileKind.PHOTO, demo_folder() / "Photos" / "china.jpg", 0.0)
    for hit in (cut_out, photo):
        images.picture(hit)
    qtbot.waitUntil(lambda: not images.busy, timeout=WAIT_MS)
    picture = images.picture(cut_out)
    assert isinstance(picture, QPixmap) and picture.hasAlphaChannel()
    corner = picture.toImage().pixelColor(0, 0)
    assert corner.alpha() == 0  # the background around the dog is see-through
    opaque = images.picture(photo)
    assert isinstance(opaque, QPixmap) and not opaque.hasAlphaChannel()
    images.shutdown()
    # From the disk cache too: a second instance reads the same transparency back.
    again = Thumbnails(cache_folder=tmp_path / "cache")
    again.picture(cut_out)
    qtbot.waitUntil(lambda: not again.busy, timeout=WAIT_MS)
    assert again.stats.disk_hits == 1
    read = again.picture(cut_out)
    assert isinstance(read, QPixmap) and read.toImage().pixelColor(0, 0).alpha() == 0
    again.shutdown()
    # Painted on a tile, the see-through corner shows the checkerboard: two shades.
    model = ResultsModel(again)
    model.set_hits([cut_out])
    delegate = ResultDelegate(again)
    size = delegate.tile_size(QFontMetrics(QApplication.font()))
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(0)
    style = QStyleOptionViewItem()
    style.rect = QRect(QPoint(0, 0), size)
    style.font = QApplication.font()
    style.fontMetrics = QFontMetrics(style.font)
    style.palette = QApplication.palette()
    style.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Active
    painter = QPainter(image)
    delegate.paint(painter, style, model.index(0))
    painter.end()
    box = delegate.geometry(style.rect, style.fontMetrics).picture
    left = box.left() + (box.width() - read.width()) // 2
    top = box.top() + (box.height() - read.height()) // 2
    seen = read.toImage()
    shades = {
        image.pixel(left + x, top + y)
        for x in range(0, read.width(), 3)
        for y in range(0, read.height() // 2, 3)  # above the kind badge
        if seen.pixelColor(x, y).alpha() == 0
    }
    assert len(shades) == 2
    again.shutdown()


def test_a_newer_file_arriving_keeps_the_current_file_highlighted_and_previewed(
    qtbot: QtBot, dev_pack: Manifest, tmp_path: Path
) -> None:
    # Seen on screen: after the library refreshed in place, the highlight stayed on the
    # current file while the preview showed the newcomer at the top.
    folder = tmp_path / "media"
    folder.mkdir()
    for name in ("dog.png", "cow.png", "owl.png", "lion.png"):
        shutil.copy(demo_folder() / "Photos" / name, folder / name)
    window = open_window(qtbot, folder, tmp_path / "data", tmp_path / "cache")
    try:
        _library_of(qtbot, window, 4)
        qtbot.waitUntil(lambda: window.preview.hit is not None, timeout=WAIT_MS)
        current = window.current_hit()
        assert current is not None and window.preview.hit == current
        shutil.copy(demo_folder() / "Photos" / "tiger.png", folder / "tiger.png")
        _library_of(qtbot, window, 5)
        assert _names(window)[0] == "tiger.png"  # the newcomer, above
        selected = window.grid.selectionModel().selectedIndexes()
        assert [window.results.hit(index.row()) for index in selected] == [current]
        assert window.current_hit() == current and window.preview.hit == current
    finally:
        window.close()

"""The library, the home screen: every indexed file while the box is empty (or the files a
filter alone chooses), newest first, in bands of a day, a month or a year, as a photo app
shows it.

The grid is the results grid (:class:`desktop.results.ResultsView`): a listing is one more
thing it shows, a page at a time as it scrolls. Here is what the library adds around it: a bar
of kind tabs, the item count, the grouping and the tile size (:class:`LibraryBar`), a scrubber
beside the grid that jumps through the dates (:class:`DateScrubber`), and :class:`Library`,
which pages, regroups, and keeps the place a search left so that clearing the box returns
there. The bands themselves are :mod:`desktop.bands`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QLocale, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from desktop.bands import Grouping, band_title, when
from desktop.results import LibraryRows, ResultsModel, ResultsView
from desktop.worker import EngineClient
from engine.facade import EngineError, FileKey, FileKind, Listing

MORE_PAGE = 5000  # files asked for each time the grid scrolls to the end of those loaded

ZOOM_SIDES = (96, 320)  # logical pixels of a tile's picture, smallest and largest
ZOOM_STEP = 16
SCRUBBER_WIDTH = 14


TAB_KINDS: tuple[FileKind | None, ...] = (
    None,
    FileKind.PHOTO,
    FileKind.VIDEO,
    FileKind.AUDIO,
    FileKind.NOTE,
)


class LibraryBar(QWidget):
    """Kind tabs (All, Photos, Videos, Audio, Notes), the count of what the grid shows, the
    grouping and the tile size."""

    kind_chosen = Signal(object)  # FileKind, or None for all
    grouping_chosen = Signal(object)  # Grouping
    zoomed = Signal(int)  # the picture's side, logical pixels

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabBar(self)
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        for _ in TAB_KINDS:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(lambda index: self.kind_chosen.emit(TAB_KINDS[index]))
        self.count = QLabel(self)
        self.grouping = QComboBox(self)
        for grouping in Grouping:
            self.grouping.addItem("", grouping)
        self.grouping.setCurrentIndex(list(Grouping).index(Grouping.MONTH))
        self.grouping.currentIndexChanged.connect(
            lambda _index: self.grouping_chosen.emit(self.grouping.currentData())
        )
        self.zoom = QSlider(Qt.Orientation.Horizontal, self)
        self.zoom.setRange(*ZOOM_SIDES)
        self.zoom.setSingleStep(ZOOM_STEP)
        self.zoom.setPageStep(2 * ZOOM_STEP)
        self.zoom.setValue(side)
        self.zoom.setFixedWidth(120)
        self.zoom.valueChanged.connect(self.zoomed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addStretch(1)
        layout.addWidget(self.count)
        layout.addWidget(self.grouping)
        layout.addWidget(self.zoom)
        self._counted: tuple[int, bool] = (0, False)
        self._retranslate()

    def kind(self) -> FileKind | None:
        return TAB_KINDS[self.tabs.currentIndex()]

    def show_kinds(self, kinds: frozenset[FileKind]) -> None:
        """Follow the kind filter (the search bar's chips): one kind is its tab, none is All,
        several are no single tab (All stays, unselected in meaning, as in a photo app)."""
        kind = next(iter(kinds)) if len(kinds) == 1 else None
        blocked = self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(TAB_KINDS.index(kind))
        self.tabs.blockSignals(blocked)

    def chosen_grouping(self) -> Grouping:
        grouping = self.grouping.currentData()
        return grouping if isinstance(grouping, Grouping) else Grouping.MONTH

    def set_count(self, count: int, results: bool) -> None:
        """``count`` files in the library (or the filter's), or ``count`` results."""
        self._counted = (count, results)
        number = QLocale().toString(count)  # in the UI locale's digits and grouping: 12,345
        if results:
            text = self.tr("1 result") if count == 1 else self.tr("{n} results").format(n=number)
        else:
            text = self.tr("1 item") if count == 1 else self.tr("{n} items").format(n=number)
        self.count.setText(text)

    def _retranslate(self) -> None:
        names = (
            self.tr("All"),
            self.tr("Photos"),
            self.tr("Videos"),
            self.tr("Audio"),
            self.tr("Notes"),
        )
        for index, name in enumerate(names):
            self.tabs.setTabText(index, name)
        groupings = (self.tr("By day"), self.tr("By month"), self.tr("By year"))
        for index, name in enumerate(groupings):
            self.grouping.setItemText(index, name)
        self.grouping.setAccessibleName(self.tr("Group the library"))
        self.zoom.setAccessibleName(self.tr("Tile size"))
        self.zoom.setToolTip(self.tr("Tile size"))
        self.tabs.setAccessibleName(self.tr("Kind of file"))
        self.count.setAccessibleName(self.tr("Number of items"))
        self.set_count(*self._counted)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()


class DateScrubber(QWidget):
    """A strip beside the grid standing for the whole listing, newest at the top: pressing or
    dragging at a height jumps there, with a bubble naming the band; marks show where each year
    starts among the files loaded so far."""

    scrubbed = Signal(float)  # how far down, 0 (newest) to 1 (oldest)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(SCRUBBER_WIDTH)
        self.setCursor(Qt.CursorShape.SizeVerCursor)
        self.setAccessibleName(self.tr("Scroll through the dates"))
        self.bubble = QLabel(self.window())
        self.bubble.setAutoFillBackground(True)
        self.bubble.setMargin(4)
        self.bubble.hide()
        self._marks: list[float] = []  # how far down each year starts

    def set_marks(self, marks: list[float]) -> None:
        self._marks = marks
        self.update()

    def say(self, text: str) -> None:
        """The bubble beside the pointer: where the drag has got to."""
        if not self.isVisible() or not text:
            self.bubble.hide()
            return
        self.bubble.setText(text)
        self.bubble.adjustSize()
        pointer = self.mapFromGlobal(self.cursor().pos())
        y = max(0, min(self.height() - self.bubble.height(), pointer.y()))
        corner = self.mapTo(self.window(), QPoint(-self.bubble.width() - 4, y))
        self.bubble.move(corner)
        self.bubble.raise_()
        self.bubble.show()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._scrub(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._scrub(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.bubble.hide()

    def _scrub(self, event: QMouseEvent) -> None:
        height = max(1, self.height() - 1)
        self.scrubbed.emit(max(0.0, min(1.0, event.position().y() / height)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        middle = self.width() // 2
        painter.drawLine(middle, 0, middle, self.height())
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        for fraction in self._marks:
            y = round(fraction * (self.height() - 1))
            painter.drawLine(2, y, self.width() - 3, y)
        painter.end()


def library_pane(bar: LibraryBar, pages: QStackedWidget, scrubber: DateScrubber) -> QWidget:
    """The left side of the window: the bar above the grid, the scrubber beside it."""
    pane = QWidget(pages.parentWidget())
    column = QVBoxLayout(pane)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(bar)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    row.addWidget(pages, 1)
    row.addWidget(scrubber)
    column.addLayout(row, 1)
    return pane


@dataclass(frozen=True)
class Place:
    """Where the library was left: the file at the top of the grid and how far below the top
    of the view its tile was."""

    file: FileKey
    top: int


@dataclass
class Kept:
    """The library as a search found it: its query (the chips' words), its rows, its place,
    and whether the index changed since."""

    query: str
    rows: LibraryRows
    place: Place | None
    outdated: bool = False


class Library(QObject):
    """The library in the window: shows a listing in bands, asks for the next pages as the
    grid scrolls (or the scrubber jumps past them), regroups and zooms in place, and keeps the
    place a search left so that clearing the box returns there without asking again."""

    def __init__(
        self,
        engine: EngineClient,
        model: ResultsModel,
        grid: ResultsView,
        bar: LibraryBar,
        scrubber: DateScrubber,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.model = model
        self.grid = grid
        self.bar = bar
        self.scrubber = scrubber
        self.query: str | None = None  # the listing shown, while the library is shown
        self.kept: Kept | None = None
        self.outdated = False  # the library last restored was kept before the index changed
        self._jump: int | None = None  # a file position the scrubber wants, on its way
        model.more_wanted.connect(self._more)
        model.rowsInserted.connect(lambda *_args: self._mark_years())
        model.modelReset.connect(self._mark_years)
        bar.grouping_chosen.connect(self._regroup)
        bar.zoomed.connect(self._zoom)
        scrubber.scrubbed.connect(self._scrub)

    # --- what the window asks -------------------------------------------------------------

    def show(self, query: str, listing: Listing, keep_place: bool = False) -> None:
        """Show ``listing`` (the first page of ``query``'s files); ``keep_place``: the same
        library again after the index changed, so the file at the top stays there."""
        again = keep_place and self.model.showing_library
        place = self.place() if again else None
        index = self.grid.currentIndex()
        current = self.model.hit(index.row()) if again and index.isValid() else None
        self.kept, self._jump = None, None
        self.query = query
        self.model.set_library(listing.files, listing.total, self.bar.chosen_grouping())
        self._settle(place)
        row = None if current is None else self.model.row_of(current.key)
        if row is not None:  # the same file stays current (the window keeps its preview)
            self.grid.setCurrentIndex(self.model.index(row))

    def restore(self, query: str) -> bool:
        """Show the library kept when a search replaced it, if it was ``query``'s: at the same
        place, without asking the engine. False when there is none to show."""
        kept = self.kept
        if kept is None or kept.query != query:
            return False
        self.kept = None
        self.query = query
        self.outdated = kept.outdated
        self.model.set_library(kept.rows.files, kept.rows.total or 0, kept.rows.grouping)
        self.bar.set_count(kept.rows.total or 0, results=False)
        self._settle(kept.place)
        return True

    def leave(self) -> None:
        """A search replaces the library: keep it and its place for when the box is cleared."""
        if self.query is not None and self.model.showing_library:
            self.kept = Kept(self.query, self.model.library, self.place())
        self.query = None

    def outdate(self) -> None:
        """The index changed: a kept library is shown again as it was, then asked again."""
        if self.kept is not None:
            self.kept.outdated = True

    def place(self) -> Place | None:
        row = self.grid.top_row()
        hit = None if row is None else self.model.hit(row)
        if row is None or hit is None:
            return None
        return Place(hit.key, self.grid.visualRect(self.model.index(row)).top())

    # --- inside -----------------------------------------------------------------------------

    def _settle(self, place: Place | None) -> None:
        """Shown: at ``place``, else at the top with the newest file current."""
        pages = self.grid.parentWidget()
        if isinstance(pages, QStackedWidget):
            pages.setCurrentWidget(self.grid)
        row = None if place is None else self.model.row_of(place.file)
        if place is None or row is None:
            self.grid.scrollToTop()
            first = self.model.first_row()
            if first is not None:
                self.grid.setCurrentIndex(self.model.index(first))
            return
        index = self.model.index(row)
        self.grid.lay_out_now()
        self.grid.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        bar = self.grid.verticalScrollBar()
        bar.setValue(bar.value() + self.grid.visualRect(index).top() - place.top)

    def _more(self, offset: int) -> None:
        self._ask(offset, MORE_PAGE)

    def _ask(self, offset: int, limit: int) -> None:
        if self.query is None:
            return
        query = self.query
        self.engine.browse(
            query, offset, limit, lambda listing: self._page(query, listing), self._failed
        )

    def _page(self, query: str, listing: Listing) -> None:
        rows = self.model.library
        if query != self.query or listing.offset != rows.loaded:
            rows.asked = False
            return  # another listing is shown, or this page came already
        self.model.add_page(listing.files)
        if self._jump is not None and self._jump < rows.loaded:
            self._scroll_to(self._jump)
            self._jump = None

    def _failed(self, _error: EngineError) -> None:
        self.model.library.asked = False  # the next scroll to the end asks again

    def _regroup(self, grouping: Grouping) -> None:
        if not self.model.showing_library:
            return
        place = self.place()
        rows = self.model.library
        self.model.set_library(rows.files, rows.total or 0, grouping)
        self._settle(place)

    def _zoom(self, side: int) -> None:
        place = self.place()
        self.grid.set_side(side)
        if self.model.showing_library:
            self._settle(place)

    def _scrub(self, fraction: float) -> None:
        """Jump ``fraction`` of the way down the whole listing, loading the files up to there
        when they are not yet; a search's results just scroll."""
        if not self.model.showing_library:
            bar = self.grid.verticalScrollBar()
            bar.setValue(round(fraction * bar.maximum()))
            return
        rows = self.model.library
        total = rows.total or 0
        if total == 0:
            return
        position = min(total - 1, round(fraction * (total - 1)))
        if position < rows.loaded:
            self._scroll_to(position)
            return
        self._jump = position
        if not rows.asked:
            rows.asked = True
            self._ask(rows.loaded, position - rows.loaded + MORE_PAGE)

    def _scroll_to(self, position: int) -> None:
        row = self.model.row_of_file(position)
        self.grid.lay_out_now()
        self.grid.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtTop)
        file = self.model.library.files[position]
        self.scrubber.say(band_title(when(file), self.model.library.grouping))

    def _mark_years(self) -> None:
        rows = self.model.library
        total = rows.total or 0
        self.scrubber.set_marks(
            [position / total for position in rows.year_starts()] if total else []
        )

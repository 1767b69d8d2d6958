"""The main window: one search box, one grid of results, indexing progress in the status bar.

Nothing here calls the engine directly: requests go through :class:`EngineClient` and answers
come back as signals. Photo thumbnails are decoded on a thread pool and cached by path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QImageReader,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop.worker import EngineClient
from engine.scan.pipeline import Progress, RunState
from engine.search.results import Hit, SearchResult

THUMB = 160  # logical pixels of a tile's picture
TYPING_PAUSE_MS = 250
PathRole = Qt.ItemDataRole.UserRole + 1

_ModelIndex = QModelIndex | QPersistentModelIndex


def like_query(path: Path) -> str:
    """The query that searches by example with ``path`` (quoted: names may hold spaces)."""
    return f'like:"{path}"'


def why_text(hit: Hit) -> str:
    """Why a hit matched, best evidence first, one reason a line."""
    lines = []
    for reason in hit.why:
        where = ""
        if reason.start is not None:
            where = f" at {_clock(reason.start)}"
        lines.append(f"{reason.route.value}: {reason.detail}{where}")
    return "\n".join(lines) or "looks similar"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def status_text(progress: Progress) -> str:
    """The status bar's words for one progress report."""
    state = progress.state
    if state in (RunState.WATCHING, RunState.DONE):
        return "Up to date"
    if state is RunState.POLLING:
        return f"Up to date ({progress.message})" if progress.message else "Up to date"
    if state is RunState.SCANNING:
        return "Looking for changes…"
    if state is RunState.PAUSED:
        return f"Indexing paused: {progress.files_done}/{progress.files_total} files"
    if state is RunState.CANCELLED:
        return progress.message or "Indexing stopped"
    text = f"Indexing: {progress.files_done}/{progress.files_total} files"
    if progress.rate > 0:
        text += f", {progress.rate:.1f} files/s"
    if progress.eta is not None:
        text += f", about {max(1, round(progress.eta))} s left"
    return text


class _ThumbSignals(QObject):
    done = Signal(str, QImage)


class _ThumbJob(QRunnable):
    """Decodes one photo at thumbnail size on the pool (QImage is safe off the GUI thread)."""

    def __init__(self, path: str, size: int, signals: _ThumbSignals) -> None:
        super().__init__()
        self._path = path
        self._size = size
        self._signals = signals

    def run(self) -> None:
        reader = QImageReader(self._path)
        reader.setAutoTransform(True)
        original = reader.size()
        if original.isValid():  # decode straight to the small size: far less work for big photos
            reader.setScaledSize(
                original.scaled(self._size, self._size, Qt.AspectRatioMode.KeepAspectRatio)
            )
        self._signals.done.emit(self._path, reader.read())  # a null image = unreadable


class Thumbnails(QObject):
    """Thumbnails by path: cached pixmaps, missing ones decoded lazily on a thread pool."""

    ready = Signal(str)

    def __init__(self, size: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._cache: dict[str, QPixmap | None] = {}  # None: asked for, not back yet or failed
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _ThumbSignals(self)
        self._signals.done.connect(self._arrived)

    def get(self, path: str) -> QPixmap | None:
        if path in self._cache:
            return self._cache[path]
        self._cache[path] = None
        self._pool.start(_ThumbJob(path, self._size, self._signals))
        return None

    def _arrived(self, path: str, image: QImage) -> None:
        if image.isNull():
            return  # stays None: the tile keeps its kind icon
        self._cache[path] = QPixmap.fromImage(image)
        self.ready.emit(path)

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone()


class ResultsModel(QAbstractListModel):
    """One search's hits: a tile each, with a thumbnail or an icon and why it matched."""

    def __init__(self, thumbnails: Thumbnails, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[Hit] = []
        self._rows: dict[str, int] = {}
        self._thumbnails = thumbnails
        thumbnails.ready.connect(self._thumbnail_ready)
        style = QApplication.style()
        pixmap = QStyle.StandardPixmap
        self._icons = {
            "photo": style.standardIcon(pixmap.SP_FileIcon),
            "audio": style.standardIcon(pixmap.SP_MediaVolume),
            "video": style.standardIcon(pixmap.SP_MediaPlay),
            "note": style.standardIcon(pixmap.SP_FileDialogDetailedView),
        }

    def set_hits(self, hits: list[Hit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._rows = {hit.path: row for row, hit in enumerate(self._hits)}
        self.endResetModel()

    def hit(self, row: int) -> Hit:
        return self._hits[row]

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            first = hit.why[0].detail if hit.why else ""
            return f"{Path(hit.path).name}\n{first}" if first else Path(hit.path).name
        if role == Qt.ItemDataRole.DecorationRole:
            if hit.kind == "photo":
                # Asked only for tiles the view paints: thumbnails load lazily as it scrolls.
                thumb = self._thumbnails.get(hit.path)
                if thumb is not None:
                    return thumb
            return self._icons.get(hit.kind, self._icons["note"])
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{hit.path}\nscore {hit.score:.2f}\n{why_text(hit)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{hit.kind} {Path(hit.path).name}"
        if role == PathRole:
            return hit.path
        return None

    def _thumbnail_ready(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class MainWindow(QMainWindow):
    def __init__(self, engine: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.setWindowTitle("Trove")
        self.setAcceptDrops(True)
        self.resize(1000, 700)

        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Search photos, recordings and notes — or drop a file")
        self.search_box.setAccessibleName("Search")
        self.search_box.setClearButtonEnabled(True)

        self.thumbnails = Thumbnails(THUMB, self)
        self.results = ResultsModel(self.thumbnails, self)
        self.grid = QListView(self)
        self.grid.setAccessibleName("Results")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 40, THUMB + 76))
        self.grid.setWordWrap(True)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.grid.setModel(self.results)

        self.empty = QLabel("Type to search, or drop a file to find things like it.", self)
        self.empty.setAccessibleName("Search status")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.grid)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_box)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.status_label = QLabel("Opening…", self)
        self.status_label.setAccessibleName("Indexing status")
        self.statusBar().addPermanentWidget(self.status_label, 1)

        # Results as you type, once the typing pauses.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._run_query)
        self.search_box.textChanged.connect(lambda _text: self._typing.start())
        self.search_box.returnPressed.connect(self._run_query)
        self._asked: str | None = None  # the latest query sent; older answers are dropped
        self.last_result: SearchResult | None = None

        focus = QShortcut(QKeySequence.StandardKey.Find, self)
        focus.activated.connect(self._focus_search)

        engine.progress.connect(self._progress)
        engine.searched.connect(self._searched)
        engine.failed.connect(self._failed)

    # --- searching -------------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def search(self, query: str) -> None:
        """Show ``query`` in the box and run it now."""
        self.search_box.setText(query)
        self._run_query()

    def _run_query(self) -> None:
        self._typing.stop()
        query = self.search_box.text().strip()
        if query == self._asked:
            return
        self._asked = query
        if not query:
            self._show_empty("Type to search, or drop a file to find things like it.")
            return
        self.engine.search(query)

    def _searched(self, query: str, result: SearchResult) -> None:
        if query != self._asked:
            return  # the person typed on; a newer answer is coming
        self.last_result = result
        if result.no_good_match or not result.hits:
            self._show_empty("No good match")
            return
        self.results.set_hits(result.hits)
        self.pages.setCurrentWidget(self.grid)

    def _show_empty(self, message: str) -> None:
        self.results.set_hits([])
        self.empty.setText(message)
        self.pages.setCurrentWidget(self.empty)

    def _failed(self, message: str) -> None:
        self._show_empty(message)

    def _progress(self, progress: Progress) -> None:
        self.status_label.setText(status_text(progress))

    # --- search by example: drop a file -----------------------------------------------------

    @staticmethod
    def _dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).is_file():
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.search(like_query(path))

    # --- life --------------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self._typing.stop()
        self.thumbnails.shutdown()
        self.engine.shutdown()
        super().closeEvent(event)

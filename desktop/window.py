"""The main window: a search bar with filter chips, a grid of results beside a preview pane,
indexing progress in the status bar, and menus that reach every other part of the app.

Nothing here calls the engine directly: requests go through :class:`EngineClient` and answers
come back as signals or callbacks on the GUI thread, so the window never waits on a model, the
catalog or a scan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.duplicates import DuplicatesView
from desktop.folders import FoldersDialog, pick_folder
from desktop.i18n import install_translations, ui_language
from desktop.languages import spoken_by_default
from desktop.library import DateScrubber, Library, LibraryBar, library_pane
from desktop.messages import MessageBar
from desktop.preferences import PreferencesDialog
from desktop.preview import PreviewPane
from desktop.progress import ProgressTally
from desktop.results import (
    ResultsModel,
    ResultsView,
    Thumbnails,
    default_cache_folder,
    library_name,
)
from desktop.reveal import reveal
from desktop.searchbar import SearchBar
from desktop.settings import (
    DEVICES,
    DeviceName,
    Preferences,
    load_preferences,
    restore_window_state,
    save_preferences,
    save_window_state,
)
from desktop.theme import apply_theme
from desktop.toast import Toast
from desktop.worker import EngineClient, search_key
from engine.facade import (
    ChangeKind,
    EngineError,
    ExamplePart,
    FileKey,
    Hit,
    IndexChanges,
    Listing,
    Problem,
    Progress,
    QueryError,
    Root,
    RunState,
    SearchResult,
    Status,
    TagNames,
    available_devices,
    speech_languages,
)

TYPING_PAUSE_MS = 250
RERUN_PAUSE_MS = 400  # after the last index change of a burst, the query shown runs again
SETTLED_STATES = (RunState.WATCHING, RunState.DONE, RunState.POLLING)


def status_text(progress: Progress) -> str:
    """The status bar's words for one progress report."""
    state = progress.state
    if state in (RunState.WATCHING, RunState.DONE):
        return QCoreApplication.translate("MainWindow", "Up to date")
    if state is RunState.POLLING:  # a folder that cannot be watched: the message bar says it
        return QCoreApplication.translate("MainWindow", "Up to date")
    if state is RunState.SCANNING:
        return QCoreApplication.translate("MainWindow", "Looking for changes…")
    if state is RunState.PAUSED:
        return QCoreApplication.translate(
            "MainWindow", "Indexing paused: {done}/{total} files"
        ).format(done=progress.files_done, total=progress.files_total)
    if state is RunState.CANCELLED:
        return QCoreApplication.translate("MainWindow", "Indexing stopped")
    text = QCoreApplication.translate("MainWindow", "Indexing: {done}/{total} files").format(
        done=progress.files_done, total=progress.files_total
    )
    if progress.rate > 0:
        text += QCoreApplication.translate("MainWindow", ", {rate:.1f} files/s").format(
            rate=progress.rate
        )
    if progress.eta is not None:
        text += QCoreApplication.translate("MainWindow", ", about {seconds} s left").format(
            seconds=max(1, round(progress.eta))
        )
    return text


def plain_text(label: str) -> str:
    """A menu label without its accelerator: "&Open" and "打开(&O)" become "Open" and "打开"."""
    return re.sub(r"\(&\w\)|&(?=\w)", "", label).rstrip("…")


def pasted_images_folder() -> Path:
    """Where a pasted picture is kept to search with: Trove's cache, never a watched folder."""
    return default_cache_folder().parent / "pasted"


class MainWindow(QMainWindow):
    def __init__(
        self,
        engine: EngineClient,
        settings: QSettings | None = None,
        cache: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self._cache = cache
        self.setWindowTitle("Trove")
        self.setAcceptDrops(True)
        self.resize(1180, 760)

        self.search_bar = SearchBar(self)
        self.search_box = self.search_bar.edit
        self.search_box.installEventFilter(self)  # Ctrl+V of a picture searches with it

        thumbs = None if cache is None else cache / "thumbnails"
        self.thumbnails = Thumbnails(parent=self, cache_folder=thumbs)
        self.results = ResultsModel(self.thumbnails, self)
        self.grid = ResultsView(self.results, self)
        self.grid.setAccessibleName(self.tr("Results"))
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.activated.connect(lambda _index: self.open_current())
        self.grid.selectionModel().currentChanged.connect(self._current_changed)

        self.empty = QLabel(self.tr("Type to search, or drop a file to find things like it."))
        self.empty.setAccessibleName(self.tr("Search status"))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.grid)
        self.library_bar = LibraryBar(self.thumbnails.size, self)
        self.scrubber = DateScrubber(self)
        self.library = Library(
            engine, self.results, self.grid, self.library_bar, self.scrubber, self
        )
        # The kind tabs and the kind chips are one filter, shown twice: each follows the other.
        self.library_bar.kind_chosen.connect(
            lambda kind: self.search_bar.set_kinds(set() if kind is None else {kind})
        )
        self.search_bar.query_changed.connect(
            lambda _query: self.library_bar.show_kinds(self.search_bar.filters().kinds)
        )

        self.preview = PreviewPane(engine, self)
        self.preview.find_similar.connect(lambda path: self.search_example(ExamplePart(path)))
        self.preview.search_range.connect(
            lambda path, start, end: self.search_example(ExamplePart(path, start=start, end=end))
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(library_pane(self.library_bar, self.pages, self.scrubber))
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([700, 460])
        self.splitter.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_bar)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        # Search results and the Duplicates page, as tabs below the search bar; typing a query
        # brings the results back.
        self.duplicates = DuplicatesView(engine, self)
        self.views = QTabWidget(self)
        self.views.setDocumentMode(True)
        self.views.addTab(self.splitter, self.tr("Search"))
        self.views.addTab(self.duplicates, self.tr("Duplicates"))
        self.views.currentChanged.connect(self._view_changed)
        layout.addWidget(self.views, 1)
        # The window's whole inside: the search and results, or a page over them (the welcome).
        self.main_pages = QStackedWidget(self)
        self.main_pages.addWidget(central)
        self.setCentralWidget(self.main_pages)

        self.toast = Toast(central)
        self.preview.path_copied.connect(
            lambda _path: self.toast.show_message(self.tr("Path copied"))
        )
        self.preview.open_failed.connect(self._could_not_open)

        self._tally = ProgressTally()
        self._shown_progress: Progress | None = None
        self._build_status_bar()
        self._build_menus()

        # Results as you type, once the typing pauses; Return runs at once.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._run_query)
        self.search_bar.query_changed.connect(lambda _query: self._typing.start())
        self.search_bar.query_changed.connect(
            lambda _query: self.views.setCurrentWidget(self.splitter)
        )
        self.search_bar.submitted.connect(lambda _query: self._run_query())
        self._asked: str | None = None  # the latest search's key; older answers are dropped
        self._asked_text = ""  # ... and what it asked: the query text and files to search with
        self._asked_examples: tuple[ExamplePart, ...] = ()
        self.last_result: SearchResult | None = None
        self.last_listing: Listing | None = None
        # The index changed since the results shown were found: asking again runs again.
        self._stale = False
        # A query asked again because files were added or changed: hits it brings that the
        # shown results lack are marked new.
        self._refreshing: set[FileKey] | None = None
        self._rerun = QTimer(self)  # changes come in bursts: one re-run per burst
        self._rerun.setSingleShot(True)
        self._rerun.setInterval(RERUN_PAUSE_MS)
        self._rerun.timeout.connect(self._run_again)
        self.last_status: Status | None = None
        self._folders_dialog: FoldersDialog | None = None

        engine.opened.connect(self.refresh_folders)
        engine.opened.connect(self._ask_tag_names)
        engine.opened.connect(self._show_home)
        engine.made_private.connect(self._made_private)
        engine.shared_failed.connect(self._shared_failed)
        engine.progress.connect(self._progress)
        engine.searched.connect(self._searched)
        engine.listed.connect(self._listed)
        engine.query_failed.connect(self._query_failed)
        engine.engine_failed.connect(self._engine_failed)
        engine.changed.connect(self._index_changed)
        engine.damaged.connect(self._offer_repair)
        engine.repaired.connect(self._repaired)
        self.repair_box: QMessageBox | None = None
        if settings is not None:
            restore_window_state(settings, self, {"results": self.splitter})

    # --- building ----------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        self.status_label = QLabel(self.tr("Opening…"), self)
        self.status_label.setAccessibleName(self.tr("Indexing status"))
        self.failures_button = QToolButton(self)
        self.failures_button.setAutoRaise(True)
        self.failures_button.setAccessibleName(self.tr("Files that could not be read"))
        self.failures_button.clicked.connect(lambda: self.show_folders(failures=True))
        self.failures_button.hide()
        self.pause_button = QToolButton(self)
        self.pause_button.setCheckable(True)
        self.pause_button.setAutoRaise(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self._pause_toggled(False)
        self.pause_button.hide()  # until indexing runs
        bar = self.statusBar()
        bar.addPermanentWidget(self.status_label, 1)
        bar.addPermanentWidget(self.failures_button)
        bar.addPermanentWidget(self.pause_button)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], Any],
        keys: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if keys is not None:
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(
                f"{text.replace('&', '').rstrip('…')} ({action.shortcut().toString()})"
            )
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _build_menus(self) -> None:
        keys = QKeySequence.StandardKey
        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        self._action(file, self.tr("&Add a folder…"), self.choose_folder, "Ctrl+Shift+O")
        self._action(file, self.tr("&Folders and exclusions…"), self.show_folders, "Ctrl+Shift+L")
        self._action(file, self.tr("&Preferences…"), self.show_preferences, "Ctrl+,")
        file.addSeparator()
        self._action(file, self.tr("&Quit"), self.close, keys.Quit)

        edit = bar.addMenu(self.tr("&Edit"))
        self._action(edit, self.tr("&Search"), self.focus_search, keys.Find)
        self._action(
            edit, self.tr("Search with the &pasted picture"), self.paste_example, "Ctrl+Shift+V"
        )
        self._action(edit, self.tr("Clear &filters"), self.search_bar.clear_filters, "Ctrl+Shift+X")

        result = bar.addMenu(self.tr("&Result"))
        self.result_actions = [
            self._action(result, self.tr("&Open"), self.open_current, keys.Open),
            self._action(result, self.tr("Show in &folder"), self.reveal_current, "Ctrl+Shift+R"),
            self._action(result, self.tr("&Copy path"), self.copy_current, "Ctrl+Shift+C"),
            self._action(result, self.tr("Find &similar"), self.find_similar, "Ctrl+Shift+F"),
        ]
        result.addSeparator()
        self._action(result, self.tr("&Next result"), lambda: self.step(1), keys.FindNext)
        self._action(result, self.tr("&Previous result"), lambda: self.step(-1), keys.FindPrevious)
        for action in self.result_actions:
            action.setEnabled(False)

        indexing = bar.addMenu(self.tr("&Indexing"))
        self.pause_action = self._action(
            indexing, self.tr("&Pause indexing"), self.pause_button.toggle, "Ctrl+Shift+P"
        )
        self.pause_action.setEnabled(False)
        self._action(
            indexing, self.tr("&Files that could not be read…"), lambda: self.show_folders(True)
        )

        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(
            help_menu, self.tr("&Keyboard shortcuts"), self.show_shortcuts, keys.HelpContents
        )
        self._action(help_menu, self.tr("&About Trove"), self.show_about)

    def _view_changed(self, _index: int) -> None:
        if self.views.currentWidget() is self.duplicates:
            self.duplicates.refresh()  # the index may have changed since it was last shown

    # --- searching -----------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_bar.focus_search()

    def search(self, query: str) -> None:
        """Show ``query`` in the box (instead of any file searched with) and run it now."""
        self.search_bar.clear_example()
        self.search_bar.set_text(query)
        self._run_query()

    def search_example(self, example: ExamplePart, picture: QImage | None = None) -> None:
        """Search with a file (or a part of a recording), shown as a chip in the box;
        ``picture``: a pasted one, shown as its thumbnail."""
        self.search_bar.set_example(example, picture)
        self._run_query()

    def _run_query(self) -> None:
        self._typing.stop()
        query = self.search_bar.query().strip()
        examples = self.search_bar.examples()
        key = search_key(query, examples)
        if key == self._asked and not self._stale:
            return
        self._asked = key
        self._asked_examples = examples
        self._asked_text = query
        self._stale = False
        self._refreshing = None
        if self.library.restore(key):  # back to the library as it was left
            if not self.library.outdated:
                return
            self._refreshing = set()  # the index changed meanwhile: asked again, in place
        else:
            self.library.leave()
        self.engine.search(query, examples)

    def _searched(self, query: str, result: SearchResult) -> None:
        if query != self._asked:
            return  # the person typed on; a newer answer is coming
        self.search_bar.clear_error()
        self.last_result = result
        self.library.leave()
        self.library_bar.set_count(len(result.hits) + len(result.weaker), results=True)
        shown, self._refreshing = self._refreshing, None
        if not result.hits and not result.weaker:
            self._show_empty(self.tr("No good match"))
            return
        if shown is not None:  # the same query after index changes: keep place, mark news
            current = self.current_hit()
            found = {hit.key for hit in (*result.hits, *result.weaker)}
            self.results.set_hits(result.hits, found - shown, result.weaker)
            row = None if current is None else self.results.row_of(current.key)
            if row is None:
                self.preview.clear()
                self._enable_result_actions(False)
            else:  # the same file stays current, and its preview (a recording plays on)
                selection = self.grid.selectionModel()
                blocked = selection.blockSignals(True)
                self.grid.setCurrentIndex(self.results.index(row))
                selection.blockSignals(blocked)
                self.grid.viewport().update()
            self.pages.setCurrentWidget(self.grid)
            return
        self.results.set_hits(result.hits, weaker=result.weaker)
        self.pages.setCurrentWidget(self.grid)
        self.grid.scrollToTop()
        first = self.results.first_row()
        if first is not None:
            self.grid.setCurrentIndex(self.results.index(first))  # the best hit, previewed

    def _listed(self, query: str, listing: Listing) -> None:
        """An empty box or a filter alone: the library, everything or the files the filter
        chooses, newest first, in bands of days, months or years."""
        if query != self._asked:
            return
        self.search_bar.clear_error()
        self.last_listing = listing
        refreshing, self._refreshing = self._refreshing, None
        self.library_bar.set_count(listing.total, results=False)
        if not listing.files:
            self.library.leave()
            if query:
                self._show_empty(self.tr("No file matches these filters"), results=False)
            else:
                self._show_empty(
                    self.tr("Type to search, or drop a file to find things like it."),
                    results=False,
                )
            return
        self.library.show(query, listing, keep_place=refreshing is not None)

    def _show_empty(self, message: str, results: bool = True) -> None:
        self.library_bar.set_count(0, results=results)
        self.results.set_hits([])
        self.preview.clear()
        self.empty.setText(message)
        self.pages.setCurrentWidget(self.empty)
        self._enable_result_actions(False)

    def _show_home(self) -> None:
        """The engine is open (again): what the box asks, the library when it is empty."""
        self._stale = True
        self._run_query()

    def _query_failed(self, query: str, error: QueryError) -> None:
        """A query the engine could not read: say where in the box; the results stay."""
        if query == self._asked:
            self.search_bar.show_error(error)

    def _engine_failed(self, error: EngineError) -> None:
        """The engine could not do something: a message that says what to do; the results
        stay."""
        if error.problem is Problem.DAMAGED:
            self._offer_repair(error)
            return
        self.message_bar.show_error(error)

    # --- live results: the index changed under the results shown -----------------------------

    def _index_changed(self, changes: IndexChanges) -> None:
        """Rename and drop tiles in place; files added or changed may answer the query shown,
        so it runs again once the burst is over, and the new hits are marked."""
        self._stale = True
        renewed = False
        for change in changes.files:
            if change.change is ChangeKind.MOVED:
                self.results.rename(FileKey(change.file_id), change.path)
                self.preview.follow_move(change.file_id, change.path)
            elif change.change in (ChangeKind.REMOVED, ChangeKind.FAILED):
                self.results.remove(FileKey(change.file_id))
            else:
                renewed = True
        self.library.outdate()
        if self.pages.currentWidget() is self.grid and not self.results.hits():
            self._show_empty(self.tr("No good match"))
        if renewed and self._asked is not None:
            self._rerun.start()

    def _run_again(self) -> None:
        if self._asked is None or not self._stale:
            return
        self._stale = False
        self._refreshing = {hit.key for hit in self.results.hits()}
        self.engine.search(self._asked_text, self._asked_examples)

    def _shared_failed(self, uri: str, _error: object) -> None:
        """A shared library could not be read: its address, in the person's language (the
        engine's sentence goes to the log)."""
        self.toast.show_message(
            self.tr(
                "The shared library {library} cannot be searched now; this computer's files "
                "still are."
            ).format(library=library_name(uri))
        )

    def _made_private(self, count: int) -> None:
        """Trove's own files were readable by other accounts (made by hand, or by an older
        Trove) and are private now: say so once, as the command line does."""
        self.statusBar().showMessage(
            self.tr(
                "Trove's index was readable by other accounts on this computer ({n} files "
                "and folders); it is private to you now."
            ).format(n=count),
            15_000,
        )

    def _offer_repair(self, error: EngineError) -> None:
        """The catalog was found damaged and set aside: say so, and offer the repair."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Trove's index is damaged"))
        box.setText(self.tr("Trove's index is damaged and was set aside."))
        box.setInformativeText(
            self.tr(
                "Your files were not touched. Repair rebuilds the index from its latest "
                "backup and from what can still be read, then looks through your folders "
                "again for the rest."
            )
        )
        box.setDetailedText(str(error))
        repair = box.addButton(self.tr("Repair"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(repair)
        repair.clicked.connect(self._repair)
        self.status_label.setText(self.tr("The index is damaged"))
        self.repair_box = box
        box.open()  # window-modal, not a nested event loop: the engine's answers keep coming

    def _repair(self) -> None:
        self.status_label.setText(self.tr("Repairing the index…"))
        self.engine.repair()

    def _repaired(self, _report: object) -> None:
        self.statusBar().showMessage(self.tr("The index was repaired"), 10_000)
        self.refresh_folders()

    # --- the current result ----------------------------------------------------------------------

    def current_hit(self) -> Hit | None:
        index = self.grid.currentIndex()
        if not index.isValid() or self.pages.currentWidget() is not self.grid:
            return None
        return self.results.hit(index.row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.preview.clear()
            self._enable_result_actions(False)
            return
        hit = self.results.hit(current.row())
        if hit is None or hit == self.preview.hit:  # shown already: a recording plays on
            return
        self.preview.show_hit(hit)
        self._enable_result_actions(True)

    def _enable_result_actions(self, enabled: bool) -> None:
        for action in self.result_actions:
            action.setEnabled(enabled)

    def step(self, offset: int) -> None:
        """Move to the next (1) or previous (-1) result."""
        if self.pages.currentWidget() is not self.grid:
            return
        row = self.results.step(self.grid.currentIndex().row(), offset)
        if row is None:
            return
        self.grid.setCurrentIndex(self.results.index(row))
        self.grid.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def open_current(self) -> None:
        if self.current_hit() is not None:
            self.preview.open_file()

    def reveal_current(self) -> None:
        if self.current_hit() is not None:
            self.preview.reveal_file()

    def copy_current(self) -> None:
        if self.current_hit() is not None:
            self.preview.copy_path()

    def find_similar(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.search_example(ExamplePart(hit.path))

    def _grid_menu(self, position: Any) -> None:
        index = self.grid.indexAt(position)
        if not index.isValid() or self.results.hit(index.row()) is None:
            return
        self.grid.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addActions(self.result_actions)
        menu.popup(self.grid.viewport().mapToGlobal(position))

    # --- search by example: drop or paste a file or a picture ---------------------------------

    @staticmethod
    def _dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).is_file():
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_file(event) is not None or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._dropped_file(event)
        picture = None
        if path is None and event.mimeData().hasImage():
            picture = QImage(event.mimeData().imageData())
            path = self._save_picture(picture)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.search_example(ExamplePart(path), picture)

    def paste_example(self) -> bool:
        """Search with what the clipboard holds: a picture, or a copied file. False if neither."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return False
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).is_file():
                self.search_example(ExamplePart(Path(url.toLocalFile())))
                return True
        if mime.hasImage():
            picture = QImage(mime.imageData())
            path = self._save_picture(picture)
            if path is not None:
                self.search_example(ExamplePart(path), picture)
                return True
        return False

    def _save_picture(self, image: QImage) -> Path | None:
        """A pasted or dropped picture, saved once under Trove's cache, named by its content."""
        if image.isNull():
            return None
        folder = (self._cache / "pasted") if self._cache is not None else pasted_images_folder()
        folder.mkdir(parents=True, exist_ok=True)
        bits = image.constBits()
        digest = hashlib.blake2b(bytes(bits), digest_size=8).hexdigest()
        target = folder / f"pasted-{digest}.png"
        if not target.exists() and not image.save(str(target)):  # PNG, by the suffix
            self.statusBar().showMessage(self.tr("Could not keep the pasted picture"), 5000)
            return None
        return target

    # --- tags in the UI's language -------------------------------------------------------------

    def _ask_tag_names(self) -> None:
        self.engine.tag_names(ui_language(), self._name_tags, lambda _error: None)

    def _name_tags(self, names: TagNames) -> None:
        self.results.set_tag_names(names)
        self.preview.set_tag_names(names)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Ctrl+V in the search box: text pastes as text; a picture or a file searches with it.
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Paste):
                mime = QGuiApplication.clipboard().mimeData()
                if mime is not None and not mime.hasText() and self.paste_example():
                    return True
        return super().eventFilter(watched, event)

    # --- indexing and folders -----------------------------------------------------------------

    def _progress(self, progress: Progress) -> None:
        self._shown_progress = self._tally.add(progress)
        self.status_label.setText(status_text(self._shown_progress))
        # Pausing means something only while files are being indexed.
        busy = progress.state in (RunState.INDEXING, RunState.PAUSED)
        self.pause_button.setVisible(busy)
        self.pause_action.setEnabled(busy)
        if progress.state is RunState.POLLING and progress.folder is not None:
            problem = EngineError(Problem.CANNOT_WATCH, progress.message or "", progress.folder)
            self.message_bar.show_error(problem)
        elif progress.state is RunState.CANCELLED and progress.message:
            self.message_bar.show_error(EngineError(Problem.UNEXPECTED, progress.message))
        if progress.state in SETTLED_STATES:
            self.engine.status(self._show_status, lambda _error: None)
            self.refresh_places()

    def _show_status(self, status: Status) -> None:
        self.last_status = status
        failed = len(status.failures)
        if failed == 1:
            self.failures_button.setText(self.tr("1 file could not be read"))
        else:
            self.failures_button.setText(self.tr("{n} files could not be read").format(n=failed))
        self.failures_button.setVisible(failed > 0)

    def refresh_folders(self) -> None:
        """Ask for the watched folders again: the folder chip follows."""
        self.engine.folders(self._show_folders)
        self.refresh_places()

    def refresh_places(self) -> None:
        """Ask for the library's towns again: the place chip follows."""
        self.engine.places(
            lambda places: self.search_bar.set_places([place for place, _count in places]),
            lambda _error: None,  # the chip keeps what it offered
        )

    def _show_folders(self, roots: list[Root]) -> None:
        self.search_bar.set_folders([root.path for root in roots])

    def _pause_toggled(self, paused: bool) -> None:
        if paused:
            self.engine.pause()
        else:
            self.engine.resume()
        self._name_pause(paused)

    def _name_pause(self, paused: bool) -> None:
        if paused:
            self.pause_button.setText(self.tr("Resume"))
            self.pause_button.setToolTip(self.tr("Resume indexing"))
        else:
            self.pause_button.setText(self.tr("Pause"))
            self.pause_button.setToolTip(self.tr("Pause indexing (searching still works)"))
        self.pause_button.setAccessibleName(self.pause_button.toolTip())
        if hasattr(self, "pause_action"):
            self.pause_action.setText(
                self.tr("&Resume indexing") if paused else self.tr("&Pause indexing")
            )

    def choose_folder(self) -> None:
        folder = pick_folder(self, self.tr("Choose a folder for Trove to look through"))
        if folder is not None:
            self.add_folder(folder)

    def add_folder(self, folder: Path) -> None:
        def added(root: Root) -> None:
            self.refresh_folders()
            self._folder_added(Path(root.path))

        self.engine.add_folder(folder, added)

    def _folder_added(self, folder: Path) -> None:
        self.toast.show_message(
            self.tr("Added {folder}: Trove is looking through it.").format(folder=folder.name)
        )

    def _folder_removed(self, folder: Path) -> None:
        self.toast.show_message(
            self.tr("Removed {folder}: its files were not touched.").format(folder=folder.name)
        )

    def _could_not_open(self, path: Path) -> None:
        """No app opened the file: say so, and offer its folder instead."""
        if path.suffix:
            text = self.tr("Could not open: no application for {suffix} files.").format(
                suffix=path.suffix.lower()
            )
        else:
            text = self.tr("Could not open {name}: no application for it.").format(name=path.name)
        self.toast.show_message(text, self.tr("Show in folder instead"), lambda: reveal(path, self))

    def show_folders(self, failures: bool = False) -> None:
        if self._folders_dialog is None:
            self._folders_dialog = FoldersDialog(self.engine, self)
            self._folders_dialog.finished.connect(lambda _result: self.refresh_folders())
            self._folders_dialog.folder_added.connect(self._folder_added)
            self._folders_dialog.folder_removed.connect(self._folder_removed)
        dialog = self._folders_dialog
        dialog.refresh()
        if failures:
            dialog.tabs.setCurrentIndex(1)
        dialog.show()
        dialog.raise_()

    def show_preferences(self) -> None:
        before = self._preferences()
        dialog = PreferencesDialog(
            before, available_devices(), self, speech_languages(self.engine.settings.pack)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            chosen = dialog.preferences()
            if self.settings is not None:
                save_preferences(self.settings, chosen)
            app = QGuiApplication.instance()
            if chosen.theme != before.theme and app is not None:
                apply_theme(app, chosen.theme)  # type: ignore[arg-type]
            if chosen.language != before.language and app is not None:
                # Every widget hears LanguageChange and words itself again, at once.
                install_translations(app, chosen.language)
            # Read once the new language is in: by default it is one of the recordings' too.
            spoken = chosen.spoken or spoken_by_default()
            if dialog.needs_reopen():
                self.status_label.setText(self.tr("Opening…"))
                self.engine.reopen(
                    pack=chosen.pack, device=chosen.device, threads=chosen.threads, spoken=spoken
                )
            elif spoken != self.engine.settings.spoken:
                self.engine.hear_in(spoken)
            if chosen.spoken != before.spoken:
                # Ticked by the person (not a default that follows the window's language):
                # recordings heard in a language they did not tick are heard again.
                self.engine.hear_again()
            if chosen.shared != before.shared:
                self.engine.set_shared(chosen.shared)

        dialog.accepted.connect(accepted)
        dialog.open()

    def _preferences(self) -> Preferences:
        if self.settings is not None:
            return load_preferences(self.settings)
        current = self.engine.settings
        device: DeviceName = "auto"
        if current.device in DEVICES:
            device = current.device
        return Preferences(
            pack=current.pack,
            device=device,
            threads=current.threads,
            shared=current.shared,
            spoken=current.spoken,
        )

    def show_page(self, page: QWidget) -> None:
        """Show ``page`` (the welcome) in place of the search and results, until
        :meth:`close_page`."""
        self.main_pages.addWidget(page)
        self.main_pages.setCurrentWidget(page)

    def close_page(self, page: QWidget) -> None:
        """Back to the search and results; ``page`` goes."""
        self.main_pages.removeWidget(page)
        page.deleteLater()
        self.main_pages.setCurrentIndex(0)
        self.focus_search()

    # --- help ------------------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        lines = [
            f"<tr><td>{plain_text(action.text())}</td>"
            f"<td><b>{action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}</b></td></tr>"
            for action in self.actions()
            if not action.shortcut().isEmpty()
        ]
        QMessageBox.information(
            self, self.tr("Keyboard shortcuts"), "<table>" + "".join(lines) + "</table>"
        )

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About Trove"),
            self.tr(
                "<h3>Trove</h3><p>Finds your photos, recordings, videos and notes by what they "
                "show or say. Everything runs on this computer; nothing is sent anywhere.</p>"
            ),
        )

    # --- the UI language -------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self._ask_tag_names()  # tags follow the UI into its new language
        super().changeEvent(event)

    def _retranslate(self) -> None:
        """The UI language changed: the window words itself again in place; what is shown,
        selected and typed stays. (Its children retranslate themselves.)"""
        results_enabled = self.result_actions[0].isEnabled()
        pausable = self.pause_action.isEnabled()
        menu_bar = self.menuBar()
        for action in self.actions():
            self.removeAction(action)
            action.deleteLater()
        for menu in menu_bar.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly):
            menu.deleteLater()
        menu_bar.clear()
        self._build_menus()
        self._enable_result_actions(results_enabled)
        self.pause_action.setEnabled(pausable)
        self._name_pause(self.pause_button.isChecked())
        self.grid.setAccessibleName(self.tr("Results"))
        self.empty.setAccessibleName(self.tr("Search status"))
        self.status_label.setAccessibleName(self.tr("Indexing status"))
        self.failures_button.setAccessibleName(self.tr("Files that could not be read"))
        self.views.setTabText(self.views.indexOf(self.splitter), self.tr("Search"))
        self.views.setTabText(self.views.indexOf(self.duplicates), self.tr("Duplicates"))
        if self._shown_progress is not None:
            self.status_label.setText(status_text(self._shown_progress))
        if self.last_status is not None:
            self._show_status(self.last_status)
        if self.pages.currentWidget() is self.empty:
            if self._asked:  # "No good match" and the like: asked again, worded anew
                self._stale = True
                self._run_query()
            else:
                self.empty.setText(
                    self.tr("Type to search, or drop a file to find things like it.")
                )
        if self._folders_dialog is not None and not self._folders_dialog.isVisible():
            self._folders_dialog.deleteLater()  # made again, in the new language, when asked
            self._folders_dialog = None
        self.grid.viewport().update()

    # --- life ------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._typing.stop()
        self._rerun.stop()
        if self.settings is not None:
            save_window_state(self.settings, self, {"results": self.splitter})
        self.preview.clear()
        self.thumbnails.shutdown()
        self.engine.shutdown()
        super().closeEvent(event)

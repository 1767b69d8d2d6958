"""Watched folders, their exclusions, and the files that could not be read.

Every engine call goes through :meth:`EngineClient.ask`, so the dialog never waits: it shows
what it last heard, and each answer (or error, shown inline) updates it when it comes. After a
change to the folders or exclusions the watcher is restarted, whose rescan brings the index in
line; the dialog refreshes itself when a run ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.messages import advice
from desktop.worker import EngineClient
from engine.facade import EngineError, Failure, Progress, Root, RunState, Status

# A run has finished (or the watcher went idle): the catalog now says something new.
_SETTLED = (RunState.DONE, RunState.WATCHING, RunState.POLLING, RunState.CANCELLED)
REFRESH_DELAY_MS = 300  # coalesces the burst of reports at the end of a run into one status()
PathRole = Qt.ItemDataRole.UserRole


def shown(path: Path | str) -> str:
    """A path as text Qt can hold: a name that is not UTF-8 gets replacement marks."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def pick_folder(parent: QWidget, title: str) -> Path | None:
    """Ask for one folder; None when the person cancels. Tests replace this function."""
    chosen = QFileDialog.getExistingDirectory(parent, title, str(Path.home()))
    return Path(chosen) if chosen else None


def rows(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The tree's top-level items (a flat list here), in the order shown."""
    found = (tree.topLevelItem(row) for row in range(tree.topLevelItemCount()))
    return [item for item in found if item is not None]


def parse_globs(text: str) -> list[str]:
    """One pattern per line; blank lines and repeats dropped, order kept."""
    lines = (line.strip() for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


class FoldersDialog(QDialog):
    """Non-modal: ``show()`` it beside the window; it stays current while indexing runs."""

    folder_added = Signal(object)  # the folder's Path, once the engine watches it
    folder_removed = Signal(object)  # the folder's Path, once the engine forgot it

    def __init__(self, engine: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.roots: list[Root] = []
        self.last_status: Status | None = None
        self._shown_exclusions: str | None = None  # path whose globs the editor holds
        self.setWindowTitle(self.tr("Folders"))
        self.resize(720, 520)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._folders_page(), self.tr("Folders"))
        self.tabs.addTab(self._failures_page(), "")
        self._set_failure_count(0)

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #d93025;")  # readable on light and dark
        self.error_label.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        engine.progress.connect(self._on_progress)
        self._select_changed()
        self.refresh()

    # --- layout ----------------------------------------------------------------------------------

    def _folders_page(self) -> QWidget:
        page = QWidget(self)
        intro = QLabel(
            self.tr(
                "Trove watches these folders and keeps its index of them up to date. "
                "Removing a folder only forgets its index: your files are not touched."
            ),
            page,
        )
        intro.setWordWrap(True)

        self.folder_list = QTreeWidget(page)
        self.folder_list.setHeaderLabels([self.tr("Folder"), self.tr("State")])
        self.folder_list.setRootIsDecorated(False)
        self.folder_list.setAccessibleName(self.tr("Watched folders"))
        self.folder_list.setColumnWidth(0, 480)
        self.folder_list.itemSelectionChanged.connect(self._select_changed)

        self.add_button = QPushButton(self.tr("Add…"), page)
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(self.tr("Remove"), page)
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch()

        self.exclusions_box = QGroupBox(self.tr("Leave out of this folder"), page)
        help_text = QLabel(
            self.tr(
                "One pattern per line. A pattern matches a file or folder name, or a path "
                "inside the folder; * matches anything. Examples: node_modules (that folder, "
                "wherever it is), *.tmp (every .tmp file), */node_modules/*, Raw/*"
            ),
            self.exclusions_box,
        )
        help_text.setWordWrap(True)
        self.exclusions_edit = QPlainTextEdit(self.exclusions_box)
        self.exclusions_edit.setAccessibleName(self.tr("Patterns to leave out"))
        self.exclusions_edit.setPlaceholderText("*.tmp")
        self.apply_button = QPushButton(self.tr("Apply"), self.exclusions_box)
        self.apply_button.clicked.connect(self.apply_exclusions)
        self.exclusions_note = QLabel(self.exclusions_box)
        apply_row = QHBoxLayout()
        apply_row.addWidget(self.exclusions_note, 1)
        apply_row.addWidget(self.apply_button)
        box = QVBoxLayout(self.exclusions_box)
        box.addWidget(help_text)
        box.addWidget(self.exclusions_edit)
        box.addLayout(apply_row)

        self.summary_label = QLabel(page)
        self.summary_label.setWordWrap(True)

        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.folder_list, 2)
        layout.addLayout(row)
        layout.addWidget(self.exclusions_box, 1)
        layout.addWidget(self.summary_label)
        return page

    def _failures_page(self) -> QWidget:
        page = QWidget(self)
        intro = QLabel(
            self.tr(
                "Trove skipped these files. A file is tried again when it changes; "
                "a damaged file may open in another program and be saved again."
            ),
            page,
        )
        intro.setWordWrap(True)
        self.failures_list = QTreeWidget(page)
        self.failures_list.setHeaderLabels([self.tr("File"), self.tr("Reason")])
        self.failures_list.setRootIsDecorated(False)
        self.failures_list.setSortingEnabled(True)
        self.failures_list.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.failures_list.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.failures_list.setAccessibleName(self.tr("Files that could not be read"))
        self.failures_list.setColumnWidth(0, 420)
        QShortcut(
            QKeySequence.StandardKey.Copy,
            self.failures_list,
            self.copy_failures,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        copy_button = QPushButton(self.tr("Copy"), page)
        copy_button.setToolTip(self.tr("Copy the selected rows (or all) as text"))
        copy_button.clicked.connect(self.copy_failures)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(copy_button)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.failures_list)
        layout.addLayout(row)
        return page

    # --- talking to the engine -------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask for the folders, counts and failures; the view updates when they come."""
        self.engine.status(
            _while_alive(self, self.show_status), _while_alive(self, self.show_error)
        )

    def _changed(self, _answer: object = None) -> None:
        """After a folder or its globs changed (the rescan is under way): show the new list."""
        self.clear_error()
        self.refresh()

    def choose_folder(self) -> None:
        folder = pick_folder(self, self.tr("Choose a folder to watch"))
        if folder is not None:
            self.add_folder(folder)

    def add_folder(self, folder: Path) -> None:
        def added(root: Root) -> None:
            self.folder_added.emit(Path(root.path))
            self._changed()

        self.engine.add_folder(
            folder, _while_alive(self, added), _while_alive(self, self.show_error)
        )

    def remove_selected(self) -> None:
        root = self.selected_root()
        if root is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Remove folder"),
            self.tr(
                "Stop watching {folder}?\n\nTrove forgets what it learned about the files "
                "in it. The files themselves are not touched."
            ).format(folder=shown(root.path)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        folder = Path(root.path)

        def removed(_files: object) -> None:
            self.folder_removed.emit(folder)
            self._changed()

        self.engine.remove_folder(
            folder, _while_alive(self, removed), _while_alive(self, self.show_error)
        )

    def apply_exclusions(self) -> None:
        root = self.selected_root()
        if root is None:
            return
        folder, globs = Path(root.path), parse_globs(self.exclusions_edit.toPlainText())
        self.exclusions_note.setText(self.tr("Saving…"))
        self.engine.set_exclusions(
            folder,
            globs,
            _while_alive(self, self._exclusions_saved),
            _while_alive(self, self.show_error),
        )

    def _exclusions_saved(self, root: Root) -> None:
        self.exclusions_edit.document().setModified(False)
        self.exclusions_note.setText(self.tr("Saved; looking through the folder again."))
        self._shown_exclusions = None  # take the stored globs back from the next refresh
        self._changed()

    # --- showing answers -------------------------------------------------------------------------

    def show_status(self, status: Status) -> None:
        self.last_status = status
        self._show_roots(status.folders)
        self._show_failures(status.failures)
        counts = status.counts
        self.summary_label.setText(
            self.tr(
                "{indexed} files searchable, {pending} waiting, {failed} could not be read"
            ).format(
                indexed=counts.get("files.indexed", 0),
                pending=counts.get("files.pending", 0),
                failed=len(status.failures),
            )
        )

    def show_error(self, error: EngineError) -> None:
        what, todo = advice(error)
        self.exclusions_note.clear()
        self.error_label.setText(f"{what} {todo}")
        self.error_label.setToolTip(str(error))
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def _show_roots(self, roots: Sequence[Root]) -> None:
        selected = self.selected_root()
        self.roots = list(roots)
        self.folder_list.blockSignals(True)  # one selection change below, not one per row
        self.folder_list.clear()
        for root in self.roots:
            state = self.tr("Online") if root.online else self.tr("Offline: not reachable now")
            item = QTreeWidgetItem([shown(root.path), state])
            item.setData(0, PathRole, root.path)
            item.setToolTip(0, shown(root.path))
            self.folder_list.addTopLevelItem(item)
            if selected is not None and root.path == selected.path:
                item.setSelected(True)
        listed = rows(self.folder_list)
        if listed and not self.folder_list.selectedItems():
            listed[0].setSelected(True)
        self.folder_list.blockSignals(False)
        self._select_changed()

    def _show_failures(self, failures: Sequence[Failure]) -> None:
        self.failures_list.setSortingEnabled(False)  # sorting while filling is quadratic
        self.failures_list.clear()
        for failure in failures:
            item = QTreeWidgetItem([shown(failure.path), failure.reason])
            item.setToolTip(0, shown(failure.path))
            item.setToolTip(1, failure.reason)
            self.failures_list.addTopLevelItem(item)
        self.failures_list.setSortingEnabled(True)
        self._set_failure_count(len(failures))

    def _set_failure_count(self, count: int) -> None:
        self.tabs.setTabText(
            1, self.tr("Files that could not be read ({count})").format(count=count)
        )

    def selected_root(self) -> Root | None:
        items = self.folder_list.selectedItems()
        if not items:
            return None
        path = items[0].data(0, PathRole)
        return next((root for root in self.roots if root.path == path), None)

    def select_folder(self, folder: Path) -> bool:
        """Select a listed folder (its exclusions show); False when it is not listed yet."""
        for item in rows(self.folder_list):
            item.setSelected(item.data(0, PathRole) == str(folder))
        root = self.selected_root()
        return root is not None and root.path == str(folder)

    def _select_changed(self) -> None:
        root = self.selected_root()
        self.remove_button.setEnabled(root is not None)
        self.exclusions_box.setEnabled(root is not None)
        if root is None:
            self._shown_exclusions = None
            self.exclusions_edit.clear()
            return
        unsaved = self.exclusions_edit.document().isModified()
        if root.path == self._shown_exclusions and unsaved:
            return  # a refresh must not throw away what the person is typing
        if root.path != self._shown_exclusions:
            self.exclusions_note.clear()
        self._shown_exclusions = root.path
        self.exclusions_edit.setPlainText("\n".join(root.exclude))
        self.exclusions_box.setTitle(
            self.tr("Leave out of {folder}").format(folder=Path(shown(root.path)).name)
        )

    def copy_failures(self) -> None:
        """The selected rows, or every row, as ``path<TAB>reason`` lines."""
        items = self.failures_list.selectedItems() or rows(self.failures_list)
        text = "\n".join(f"{item.text(0)}\t{item.text(1)}" for item in items)
        clipboard = QGuiApplication.clipboard()
        if text and clipboard is not None:
            clipboard.setText(text)

    def _on_progress(self, progress: Progress) -> None:
        if progress.state in _SETTLED:
            self._refresh_timer.start()


def _while_alive(owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """An answer may come after the dialog was closed and deleted: then it goes nowhere."""

    def call(value: Any) -> None:
        if isValid(owner):
            callback(value)

    return call

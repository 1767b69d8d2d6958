"""The Duplicates page: groups of copies among the indexed files, which of each to keep, and the
others shown in the file manager, where the person deletes or moves them if they wish.

Trove itself never deletes or writes in the person's folders: the page only chooses what to
show. The groups come from :meth:`EngineClient.duplicates` (a query-lane call on a worker
thread), asked again when the page is shown and on "Find again".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDateTime, QEvent, QLocale, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.folders import rows, shown
from desktop.messages import advice
from desktop.reveal import reveal
from desktop.worker import EngineClient
from engine.facade import DuplicateGroup, EngineError, FileKind, Likeness, Listed

PathRole = Qt.ItemDataRole.UserRole
FILE_COLUMN, SIZE_COLUMN, DATE_COLUMN = 0, 1, 2


class DuplicatesView(QWidget):
    """Groups of duplicates, one tree row each, its files below with a "keep" check box (the
    first file, the largest, is checked at first)."""

    def __init__(self, engine: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.groups: list[DuplicateGroup] = []
        self.asking = False

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.find_again = QPushButton(self)
        self.find_again.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.find_again)

        self.tree = QTreeWidget(self)
        header = self.tree.header()
        header.setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.tree.itemChanged.connect(lambda _item, _column: self._enable())
        self.tree.currentItemChanged.connect(lambda _now, _before: self._enable())

        self.reveal_button = QPushButton(self)
        self.reveal_button.clicked.connect(self.reveal_others)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.reveal_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        self._word()
        self._enable()

    def _word(self) -> None:
        """The view's fixed words, in the UI's language (again after it changes)."""
        self.summary.setAccessibleName(self.tr("Duplicates found"))
        self.find_again.setText(self.tr("Find again"))
        self.tree.setAccessibleName(self.tr("Groups of duplicates"))
        self.tree.setHeaderLabels([self.tr("File"), self.tr("Size"), self.tr("Modified")])
        self.reveal_button.setText(self.tr("Show the others in the file manager"))
        self.hint.setText(
            self.tr(
                "Check the files to keep. Trove never deletes files: remove the others in "
                "the file manager if you wish."
            )
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.LanguageChange:
            self._word()  # the groups keep their checks; their summary is worded at the next find

    # --- asking ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask the engine for the groups again (an answer already on its way is awaited)."""
        if self.asking:
            return
        self.asking = True
        self.find_again.setEnabled(False)
        self.summary.setText(self.tr("Looking for duplicates…"))
        self.engine.duplicates(self._show, self._failed)

    def _failed(self, error: EngineError) -> None:
        self.asking = False
        self.find_again.setEnabled(True)
        what, todo = advice(error)
        self.summary.setText(f"{what} {todo}")

    def _show(self, groups: list[DuplicateGroup]) -> None:
        self.asking = False
        self.find_again.setEnabled(True)
        self.groups = groups
        self.tree.blockSignals(True)  # one _enable at the end, not one per check box
        self.tree.clear()
        for group in groups:
            self.tree.addTopLevelItem(self._group_row(group))
        self.tree.expandAll()
        for column in (SIZE_COLUMN, DATE_COLUMN):
            self.tree.resizeColumnToContents(column)
        self.tree.blockSignals(False)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
            files = sum(len(group.files) for group in groups)
            # A group has two files at least: only the count of groups can be one, which
            # English (no translation file) would otherwise word as "1 groups".
            counted = (
                self.tr("One group of duplicates")
                if len(groups) == 1
                else self.tr("%n groups of duplicates", "", len(groups))
            )
            of_files = self.tr("%n files", "", files)
            self.summary.setText(f"{counted} · {of_files}")
        else:
            self.summary.setText(self.tr("No duplicates found."))
        self._enable()

    # --- rows --------------------------------------------------------------------------------

    def _group_row(self, group: DuplicateGroup) -> QTreeWidgetItem:
        row = QTreeWidgetItem([f"{self._files_of(group)} · {self._likeness(group)}"])
        locale = QLocale()
        row.setText(SIZE_COLUMN, locale.formattedDataSize(group.size))
        row.setToolTip(SIZE_COLUMN, self.tr("Space the others take"))
        for at, listed in enumerate(group.files):
            row.addChild(self._file_row(listed, keep=at == 0, locale=locale))
        return row

    def _file_row(self, listed: Listed, keep: bool, locale: QLocale) -> QTreeWidgetItem:
        item = QTreeWidgetItem([shown(listed.path), locale.formattedDataSize(listed.size)])
        when = QDateTime.fromSecsSinceEpoch(int(listed.modified))
        item.setText(DATE_COLUMN, locale.toString(when, QLocale.FormatType.ShortFormat))
        item.setData(FILE_COLUMN, PathRole, str(listed.path))
        item.setToolTip(FILE_COLUMN, shown(listed.path))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(FILE_COLUMN, Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)
        return item

    def _files_of(self, group: DuplicateGroup) -> str:
        count = len(group.files)
        kind = group.files[0].kind
        if kind is FileKind.PHOTO:
            return self.tr("%n photos", "", count)
        if kind is FileKind.AUDIO:
            return self.tr("%n recordings", "", count)
        if kind is FileKind.VIDEO:
            return self.tr("%n videos", "", count)
        return self.tr("%n notes", "", count)

    def _likeness(self, group: DuplicateGroup) -> str:
        if group.likeness is Likeness.EXACT:
            return self.tr("exact copies")
        if group.files[0].kind is FileKind.AUDIO:
            return self.tr("sound the same")
        return self.tr("look the same")

    # --- choosing ----------------------------------------------------------------------------

    def current_group(self) -> QTreeWidgetItem | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        return item.parent() or item

    def others(self, group: QTreeWidgetItem | None = None) -> list[Path]:
        """The files of the group (the current one by default) not checked to keep."""
        row = group or self.current_group()
        return [] if row is None else _paths(row, checked=False)

    def kept(self, group: QTreeWidgetItem) -> list[Path]:
        return _paths(group, checked=True)

    def files(self, group: QTreeWidgetItem) -> list[Path]:
        """Every file of a group row, in the order shown."""
        return _paths(group)

    def group_rows(self) -> list[QTreeWidgetItem]:
        return rows(self.tree)

    def reveal_others(self) -> None:
        """Show each file of the current group that is not kept in the file manager."""
        for path in self.others():
            reveal(path, self)

    def _enable(self) -> None:
        self.reveal_button.setEnabled(bool(self.others()))


def _paths(group: QTreeWidgetItem, checked: bool | None = None) -> list[Path]:
    """The paths of a group row's files: all, or those checked to keep (or not)."""
    files = (group.child(at) for at in range(group.childCount()))
    return [
        Path(item.data(FILE_COLUMN, PathRole))
        for item in files
        if item is not None and checked in (None, _is_kept(item))
    ]


def _is_kept(item: QTreeWidgetItem) -> bool:
    return item.checkState(FILE_COLUMN) == Qt.CheckState.Checked

"""The search box and its filter chips: kind (several at once), folder, date and place.

The chips write the engine's own filter words (``Filters.format``: ``kind:audio,photo``,
``in:"/a folder"``, ``after:2024-01-01 before:2024-02-01``, ``place:"Lisbon"``) after the
typed text, so what the
window sends is one query string the engine parses, and filters typed in the box still work.

A file to search with (dropped, pasted, "Find similar", a part of a recording) is no text: it
sits in the box as a removable chip ("Similar to dog.png", "Part of talk.m4a 0:12–0:20", a
pasted picture's thumbnail) and goes to the engine as a typed :class:`ExamplePart`, so no path
is ever written into the box or read back from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QDate,
    QEvent,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.bands import day_text
from desktop.languages import place_name
from desktop.results import clock
from desktop.theme import attention_color
from desktop.worker import search_key
from engine.facade import (
    ExamplePart,
    FileKind,
    Filters,
    Place,
    PlaceName,
    QueryError,
    QueryProblem,
)

Role = QPalette.ColorRole

KINDS: Final = (FileKind.PHOTO, FileKind.AUDIO, FileKind.VIDEO, FileKind.NOTE)


# What to do about each kind of query mistake, in plain words (translated where shown; the
# engine's English message, with its character position, is only for the command line and log).
# (QT_TRANSLATE_NOOP is typed as returning object: it returns its text.)
_QUERY_ADVICE: dict[QueryProblem, object] = {
    QueryProblem.UNREADABLE: QT_TRANSLATE_NOOP(
        "SearchBar", "Trove cannot read this search. Try plain words, like “dog on a beach”."
    ),
    QueryProblem.UNCLOSED_QUOTE: QT_TRANSLATE_NOOP(
        "SearchBar", "A quotation mark is not closed: add the closing one, or remove it."
    ),
    QueryProblem.NOTHING_AFTER_SIGN: QT_TRANSLATE_NOOP(
        "SearchBar", "A + or − needs something after it: add a word, or remove the sign."
    ),
    QueryProblem.BAD_WEIGHT: QT_TRANSLATE_NOOP(
        "SearchBar", "A weight is a positive number and a * before a word, as in 2*dog."
    ),
    QueryProblem.EMPTY_QUOTE: QT_TRANSLATE_NOOP(
        "SearchBar", "The quotation marks hold nothing: type words between them, or remove them."
    ),
    QueryProblem.BAD_KIND: QT_TRANSLATE_NOOP(
        "SearchBar", "kind: takes photo, audio, video or note; or use the buttons below the box."
    ),
    QueryProblem.BAD_DATE: QT_TRANSLATE_NOOP(
        "SearchBar",
        "Write a date as year-month-day, as in after:2024-05-01, or use the date filter.",
    ),
    QueryProblem.BAD_SIZE: QT_TRANSLATE_NOOP(
        "SearchBar", "Write a size as a number and a unit, as in size>10MB."
    ),
    QueryProblem.BAD_TIME_RANGE: QT_TRANSLATE_NOOP(
        "SearchBar", "Write a part as start-end in minutes:seconds, as in 0:12-0:20, the end last."
    ),
    QueryProblem.FILTER_WEIGHTED: QT_TRANSLATE_NOOP(
        "SearchBar", "A filter cannot take a + , − or weight: remove the sign before it."
    ),
    QueryProblem.NO_SUCH_FILE: QT_TRANSLATE_NOOP(
        "SearchBar", "No such file. Check its name, or drop the file on the window."
    ),
    QueryProblem.BAD_PLACE: QT_TRANSLATE_NOOP(
        "SearchBar", "Name one town or country after place:, as in place:Lisbon."
    ),
    QueryProblem.NO_FOLDER: QT_TRANSLATE_NOOP(
        "SearchBar", "Name a folder after in:, or choose one with the folder filter."
    ),
    QueryProblem.UNUSABLE_EXAMPLE: QT_TRANSLATE_NOOP(
        "SearchBar", "This file cannot be used to search with. Try another one."
    ),
    QueryProblem.NOTHING_TO_SEARCH: QT_TRANSLATE_NOOP(
        "SearchBar", "Type what you are looking for."
    ),
    QueryProblem.ALL_SUBTRACTED: QT_TRANSLATE_NOOP(
        "SearchBar", "Everything is subtracted: add something to look for, without a − before it."
    ),
    QueryProblem.FILTER_ALONE: QT_TRANSLATE_NOOP("SearchBar", "Type what you are looking for."),
}


def query_advice(error: QueryError) -> str:
    """What to do about a query the engine could not read, in the UI's language."""
    if error.path is not None and error.problem in (
        QueryProblem.NO_SUCH_FILE,
        QueryProblem.UNUSABLE_EXAMPLE,
    ):
        if error.problem is QueryProblem.NO_SUCH_FILE:
            text = QCoreApplication.translate(
                "SearchBar", "{name} was not found. Check its name, or drop the file on the window."
            )
        else:
            text = QCoreApplication.translate(
                "SearchBar", "{name} cannot be used to search with. Try another file."
            )
        return text.format(name=error.path.name)
    return QCoreApplication.translate("SearchBar", str(_QUERY_ADVICE[error.problem]))


def example_label(example: ExamplePart) -> str:
    """The chip's words for a file searched with: "Similar to dog.png", "Part of talk.m4a
    0:12–0:20"."""
    name = example.path.name
    if example.start is None:
        return QCoreApplication.translate("SearchBar", "Similar to {name}").format(name=name)
    if example.end is None:
        return QCoreApplication.translate("SearchBar", "Part of {name} from {start}").format(
            name=name, start=clock(example.start)
        )
    return QCoreApplication.translate("SearchBar", "Part of {name} {start}–{end}").format(
        name=name, start=clock(example.start), end=clock(example.end)
    )


class DatePreset(Enum):
    ANY = "any"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class DateRange:
    """Both days included."""

    first: date
    last: date


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for last_day in (day.day, 30, 29, 28):  # the 31st of March, a month back, is the 28th/29th
        try:
            return date(year, month + 1, last_day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def preset_range(preset: DatePreset, today: date) -> tuple[date | None, date | None]:
    """``(after, before)`` for a relative preset: ``after`` inclusive, ``before`` exclusive."""
    tomorrow = today + timedelta(days=1)
    if preset is DatePreset.WEEK:
        return today - timedelta(days=7), tomorrow
    if preset is DatePreset.MONTH:
        return _months_back(today, 1), tomorrow
    if preset is DatePreset.YEAR:
        return _months_back(today, 12), tomorrow
    return None, None


class Chip(QToolButton):
    """A rounded pill drawn from palette roles: filled with the highlight when on (checked, or
    a menu chip holding a choice other than its default), outlined when off."""

    PAD_X: Final = 10
    PAD_Y: Final = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._active = False
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.toggled.connect(self.updateGeometry)  # the check mark changes the width

    def is_on(self) -> bool:
        return self.isChecked() or self._active

    def set_active(self, active: bool) -> None:
        """For menu chips: on while a choice other than the default is made."""
        self._active = active
        self.update()

    def _label(self) -> str:
        text = self.text().replace("&&", "&")
        if self.isChecked():
            text = "✓ " + text  # not by colour alone
        if self.menu() is not None:
            text += " ▾"
        return text

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(self._label()) + 2 * self.PAD_X + 2
        return QSize(width, metrics.height() + 2 * self.PAD_Y + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        palette = self.palette()
        group = QPalette.ColorGroup.Active if self.isEnabled() else QPalette.ColorGroup.Disabled
        on = self.is_on()
        fill = palette.color(group, Role.Highlight if on else Role.Button)
        if self.underMouse() or self.isDown():
            fill = fill.lighter(115) if fill.lightness() < 128 else fill.darker(108)
        border = palette.color(group, Role.Highlight if on else Role.Mid)
        width = 1.0
        if self.hasFocus():  # a ring that shows on both the filled and the outlined pill
            border = palette.color(group, Role.Text)
            width = 2.0
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(width / 2, width / 2, -width / 2, -width / 2)
        radius = rect.height() / 2
        painter.setPen(QPen(border, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(palette.color(group, Role.HighlightedText if on else Role.ButtonText))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._label())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.updateGeometry()

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.updateGeometry()


class DateRangeDialog(QDialog):
    """Two days, both included; the last cannot come before the first."""

    def __init__(self, initial: DateRange, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Custom date range"))
        self.first = QDateEdit(_qdate(initial.first), self)
        self.last = QDateEdit(_qdate(initial.last), self)
        for edit, name in ((self.first, self.tr("From")), (self.last, self.tr("To"))):
            edit.setCalendarPopup(True)
            edit.setAccessibleName(name)
        self.first.dateChanged.connect(self.last.setMinimumDate)
        self.last.setMinimumDate(self.first.date())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("&From:"), self.first)
        form.addRow(self.tr("&To:"), self.last)
        form.addRow(buttons)

    def chosen(self) -> DateRange:
        return DateRange(_day(self.first.date()), _day(self.last.date()))


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class ExampleChip(QFrame):
    """The file searched with, inside the box: a thumbnail for a pasted picture, else words,
    and a button that removes it."""

    THUMB: Final = 20
    removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exampleChip")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(Role.AlternateBase)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.thumbnail = QLabel(self)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.remove_button = QToolButton(self)
        self.remove_button.setAutoRaise(True)
        self.remove_button.setText("\u00d7")
        self.remove_button.clicked.connect(self.removed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)
        self.example: ExamplePart | None = None
        self.picture = QImage()
        self.hide()

    def show_example(self, example: ExamplePart, picture: QImage | None = None) -> None:
        """``picture``: the pasted picture itself, shown small instead of its cache name."""
        self.example = example
        self.picture = QImage() if picture is None else picture
        self._retranslate()
        if self.picture.isNull():
            self.thumbnail.clear()
            self.thumbnail.hide()
        else:
            ratio = self.devicePixelRatioF()
            side = round(self.THUMB * ratio)
            pixmap = QPixmap.fromImage(
                self.picture.scaled(
                    side,
                    side,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            pixmap.setDevicePixelRatio(ratio)
            self.thumbnail.setPixmap(pixmap)
            self.thumbnail.show()
        self.adjustSize()
        self.show()

    def clear_example(self) -> None:
        self.example = None
        self.picture = QImage()
        self.hide()

    def _retranslate(self) -> None:
        self.remove_button.setToolTip(self.tr("Stop searching with this file"))
        self.remove_button.setAccessibleName(self.tr("Stop searching with this file"))
        if self.example is None:
            return
        if self.picture.isNull():
            text = example_label(self.example)
            self.label.setText(text)
            self.label.show()
        else:  # its cache name means nothing to the person: the picture says it
            text = self.tr("Similar to the pasted picture")
            self.label.clear()
            self.label.hide()
        self.setToolTip(text)
        self.setAccessibleName(text)
        self.adjustSize()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


class _SearchEdit(QLineEdit):
    """The line edit, with an error border drawn over the style's frame when asked, and the
    example chip inside it at the start (the text begins after it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = False
        self.chip = ExampleChip(self)

    def place_chip(self) -> None:
        if self.chip.isHidden():
            self.setTextMargins(0, 0, 0, 0)
            return
        size = self.chip.sizeHint()
        height = min(size.height(), self.height() - 4)
        self.chip.setGeometry(3, (self.height() - height) // 2, size.width(), height)
        self.setTextMargins(size.width() + 4, 0, 0, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.place_chip()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # Backspace at the very start removes the chip, as a mail client removes an address.
        at_start = self.cursorPosition() == 0 and not self.hasSelectedText()
        if event.key() == Qt.Key.Key_Backspace and at_start and not self.chip.isHidden():
            self.chip.removed.emit()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.error:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(attention_color(self.palette()), 2.0))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 3, 3)


class SearchBar(QWidget):
    """Search text plus filter chips; :meth:`query` is the string to hand the engine."""

    query_changed = Signal(str)  # text or a chip changed (the window throttles)
    submitted = Signal(str)  # Return pressed: run now

    def __init__(
        self, parent: QWidget | None = None, today: Callable[[], date] = date.today
    ) -> None:
        super().__init__(parent)
        self._today = today
        self._folders: list[str] = []
        self._folder: str | None = None
        self._preset = DatePreset.ANY
        self._custom: DateRange | None = None
        self._quiet = False  # batch several chip changes into one query_changed
        self._last_query = ""

        self.edit = _SearchEdit(self)
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self._changed)
        self.edit.returnPressed.connect(lambda: self.submitted.emit(self.query()))
        self.example_chip = self.edit.chip
        self.example_chip.removed.connect(self.clear_example)
        self.error_label = QLabel(self)  # what to do about a query that cannot be read
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.hide()

        self.kind_chips: dict[FileKind, Chip] = {}
        for kind in KINDS:
            chip = Chip(self)
            chip.setCheckable(True)
            chip.toggled.connect(self._changed)
            self.kind_chips[kind] = chip

        self.folder_chip = Chip(self)
        self.folder_menu = QMenu(self)
        self.folder_chip.setMenu(self.folder_menu)
        self.folder_chip.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._folder_group = QActionGroup(self)
        self._folder_group.triggered.connect(self._folder_chosen)

        self.date_chip = Chip(self)
        self.date_menu = QMenu(self)
        self.date_chip.setMenu(self.date_menu)
        self.date_chip.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._date_group = QActionGroup(self)
        self.date_actions: dict[DatePreset, QAction] = {}
        for preset in DatePreset:
            action = QAction(self)
            action.setCheckable(True)
            action.setData(preset.value)
            self._date_group.addAction(action)
            self.date_menu.addAction(action)
            self.date_actions[preset] = action
        self.date_actions[DatePreset.ANY].setChecked(True)
        self._date_group.triggered.connect(self._date_chosen)
        self.range_dialog: DateRangeDialog | None = None

        # Offered only once some file says where it was taken: the towns of the library.
        self._places: list[Place] = []
        self._place: Place | None = None
        self.place_chip = Chip(self)
        self.place_menu = QMenu(self)
        self.place_chip.setMenu(self.place_menu)
        self.place_chip.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._place_group = QActionGroup(self)
        self._place_group.triggered.connect(lambda action: self.set_place(action.data()))

        self.clear_chip = QToolButton(self)
        self.clear_chip.setAutoRaise(True)
        self.clear_chip.clicked.connect(self.clear_filters)

        chips = QHBoxLayout()
        chips.setContentsMargins(0, 0, 0, 0)
        chips.setSpacing(6)
        for chip in (*self.kind_chips.values(), self.folder_chip, self.date_chip, self.place_chip):
            chips.addWidget(chip)
        chips.addWidget(self.clear_chip)
        chips.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)
        layout.addLayout(chips)

        self._retranslate()
        self.set_folders([])
        self.set_places([])

    # --- public --------------------------------------------------------------------------

    def query(self) -> str:
        """The typed text and the chips' filter words. A chip with an empty box is a filter
        alone: the engine lists the files it chooses, newest first."""
        return " ".join([self.edit.text().strip(), *self.filters().format()]).strip()

    def filters(self) -> Filters:
        """What the chips choose (not what is typed in the box)."""
        kinds = frozenset(kind for kind, chip in self.kind_chips.items() if chip.isChecked())
        folders = (Path(self._folder),) if self._folder is not None else ()
        after, before = self._date_bounds()
        # By the town's GeoNames name: the engine takes it in any of the town's names.
        place = None if self._place is None else PlaceName(self._place.name)
        return Filters(kinds=kinds, folders=folders, after=after, before=before, place=place)

    def examples(self) -> tuple[ExamplePart, ...]:
        """The file searched with (the chip in the box), if any, as a typed value."""
        example = self.example_chip.example
        return () if example is None else (example,)

    def search_key(self) -> str:
        """One string that tells two searches apart: the query and the example's own form."""
        return search_key(self.query(), self.examples())

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def set_example(self, example: ExamplePart, picture: QImage | None = None) -> None:
        """Search with ``example``: its chip replaces what was typed (filters stay)."""

        def change() -> None:
            self.edit.clear()
            self.example_chip.show_example(example, picture)
            self.edit.place_chip()

        self._batch(change)

    def clear_example(self) -> None:
        if self.example_chip.example is None:
            return
        self.example_chip.clear_example()
        self.edit.place_chip()
        self._changed()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_search(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def folders(self) -> list[str]:
        """The watched folders the folder chip offers."""
        return list(self._folders)

    def set_folders(self, folders: list[str]) -> None:
        """The watched folders the folder chip offers; a chosen one that left falls back to
        "Any folder"."""
        self._folders = list(folders)
        if self._folder is not None and self._folder not in self._folders:
            self._folder = None
        for action in self._folder_group.actions():
            self._folder_group.removeAction(action)
            action.deleteLater()
        self.folder_menu.clear()
        any_folder = self._folder_action(None, self.tr("Any folder"))
        self.folder_menu.addAction(any_folder)
        if self._folders:
            self.folder_menu.addSeparator()
        for folder in self._folders:
            action = self._folder_action(folder, _home_short(folder))
            # The engine's quoting cannot hold a double quote: such a folder cannot be a filter.
            action.setEnabled('"' not in folder)
            self.folder_menu.addAction(action)
        self._show_folder()
        self._changed()

    def places(self) -> list[Place]:
        """The towns the place chip offers."""
        return list(self._places)

    def set_places(self, places: list[Place]) -> None:
        """The towns the place chip offers (the library's, most files first); a chosen one
        that left falls back to "Any place". No towns: the chip hides."""
        self._places = list(places)
        if self._place is not None and self._place not in self._places:
            self._place = None
        self._show_places()
        self._changed()

    def set_place(self, place: Place | None) -> None:
        """Choose one of the offered towns (or ``None``: any)."""
        if place is not None and place not in self._places:
            raise ValueError(f"{place.name!r} is not a place of the library")
        self._place = place
        self._show_places()
        self._changed()

    def set_kinds(self, kinds: set[FileKind]) -> None:
        def check() -> None:
            for kind, chip in self.kind_chips.items():
                chip.setChecked(kind in kinds)

        self._batch(check)

    def set_folder(self, folder: str | None) -> None:
        """Choose one of the watched folders (or ``None``: any)."""
        if folder is not None and folder not in self._folders:
            raise ValueError(f"{folder!r} is not a watched folder")
        self._folder = folder
        self._show_folder()
        self._changed()

    def set_date(self, preset: DatePreset, custom: DateRange | None = None) -> None:
        if preset is DatePreset.CUSTOM and custom is None:
            raise ValueError("a custom date preset needs its range")
        if custom is not None and custom.last < custom.first:
            raise ValueError("a date range cannot end before it starts")
        self._preset = preset
        self._custom = custom if preset is DatePreset.CUSTOM else None
        self.date_actions[preset].setChecked(True)
        self._show_date()
        self._changed()

    def clear_filters(self) -> None:
        def clear() -> None:
            for chip in self.kind_chips.values():
                chip.setChecked(False)
            self.set_folder(None)
            self.set_date(DatePreset.ANY)
            self.set_place(None)

        self._batch(clear)

    def show_error(self, error: QueryError) -> None:
        """Mark the box as holding a query the engine could not read, until the next edit:
        the culprit selected where it is one character of the box, and in words what is
        wrong (the engine's own message, in English, is only for the log)."""
        at = error.position
        if at is not None and at < len(self.edit.text()):
            self.edit.setSelection(at, 1)
        message = query_advice(error)
        self.edit.error = True
        self.edit.setToolTip(message)
        self.edit.setAccessibleDescription(message)
        self.error_label.setText(message)
        self.error_label.show()
        self.edit.update()

    def clear_error(self) -> None:
        if self.edit.error:
            self.edit.error = False
            self.edit.setToolTip("")
            self.edit.setAccessibleDescription("")
            self.error_label.clear()
            self.error_label.hide()
            self.edit.update()

    def has_error(self) -> bool:
        return self.edit.error

    # --- inside --------------------------------------------------------------------------

    def _batch(self, change: Callable[[], object]) -> None:
        self._quiet = True
        try:
            change()
        finally:
            self._quiet = False
        self._changed()

    def _changed(self, *_args: object) -> None:
        if self._quiet:
            return
        self.clear_error()
        self.clear_chip.setVisible(self.filters() != Filters())
        key = self.search_key()
        if key != self._last_query:
            self._last_query = key
            self.query_changed.emit(self.query())

    def _folder_action(self, folder: str | None, text: str) -> QAction:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setData(folder)
        action.setChecked(folder == self._folder)
        if folder is not None:
            action.setToolTip(folder)
        self._folder_group.addAction(action)
        return action

    def _folder_chosen(self, action: QAction) -> None:
        self.set_folder(action.data())

    def _show_folder(self) -> None:
        for action in self._folder_group.actions():
            if action.data() == self._folder:
                action.setChecked(True)
        if self._folder is None:
            self.folder_chip.setText(self.tr("Any folder"))
            self.folder_chip.setToolTip(self.tr("Only results inside one watched folder"))
        else:
            self.folder_chip.setText(Path(self._folder).name or self._folder)
            self.folder_chip.setToolTip(self._folder)
        self.folder_chip.set_active(self._folder is not None)

    def _show_places(self) -> None:
        """The place menu and chip, named in the UI's language (called again on a change)."""
        for action in self._place_group.actions():
            self._place_group.removeAction(action)
            action.deleteLater()
        self.place_menu.clear()
        for place in (None, *self._places):
            text = self.tr("Any place") if place is None else place_name(place)
            action = QAction(text, self)
            action.setCheckable(True)
            action.setData(place)
            action.setChecked(place == self._place)
            self._place_group.addAction(action)
            self.place_menu.addAction(action)
            if place is None and self._places:
                self.place_menu.addSeparator()
        if self._place is None:
            self.place_chip.setText(self.tr("Any place"))
            self.place_chip.setToolTip(self.tr("Only photos and videos taken near one place"))
        else:
            self.place_chip.setText(place_name(self._place))
            self.place_chip.setToolTip(place_name(self._place))
        self.place_chip.set_active(self._place is not None)
        self.place_chip.setVisible(bool(self._places))

    def _date_chosen(self, action: QAction) -> None:
        preset = DatePreset(action.data())
        if preset is not DatePreset.CUSTOM:
            self.set_date(preset)
            return
        # Non-blocking: the dialog answers later; until then the old choice stays shown.
        self.date_actions[self._preset].setChecked(True)
        today = self._today()
        initial = self._custom or DateRange(_months_back(today, 1), today)
        dialog = DateRangeDialog(initial, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.set_date(DatePreset.CUSTOM, dialog.chosen()))
        dialog.finished.connect(self._range_dialog_closed)
        self.range_dialog = dialog
        dialog.open()

    def _range_dialog_closed(self) -> None:
        self.range_dialog = None

    def _date_bounds(self) -> tuple[date | None, date | None]:
        if self._preset is DatePreset.CUSTOM and self._custom is not None:
            return self._custom.first, self._custom.last + timedelta(days=1)
        return preset_range(self._preset, self._today())

    def _show_date(self) -> None:
        if self._preset is DatePreset.CUSTOM and self._custom is not None:
            first, last = (_qdate(day) for day in (self._custom.first, self._custom.last))
            locale = self.locale()
            text = self.tr("%1 – %2").replace("%1", day_text(first, locale))
            text = text.replace("%2", day_text(last, locale))
        else:
            text = self.date_actions[self._preset].text().removesuffix("…")
        self.date_chip.setText(text)
        self.date_chip.set_active(self._preset is not DatePreset.ANY)

    def _retranslate(self) -> None:
        self.edit.setPlaceholderText(
            self.tr("Search photos, recordings, videos and notes — or drop a file")
        )
        self.edit.setAccessibleName(self.tr("Search"))
        kind_names = {
            FileKind.PHOTO: self.tr("Photos"),
            FileKind.AUDIO: self.tr("Audio"),
            FileKind.VIDEO: self.tr("Video"),
            FileKind.NOTE: self.tr("Notes"),
        }
        for kind, chip in self.kind_chips.items():
            chip.setText(kind_names[kind])
            chip.setAccessibleName(kind_names[kind])
            chip.setToolTip(self.tr("Show only %1").replace("%1", kind_names[kind].lower()))
        self.folder_chip.setAccessibleName(self.tr("Folder filter"))
        self.date_chip.setAccessibleName(self.tr("Date filter"))
        self.place_chip.setAccessibleName(self.tr("Place filter"))
        date_names = {
            DatePreset.ANY: self.tr("Any time"),
            DatePreset.WEEK: self.tr("Past week"),
            DatePreset.MONTH: self.tr("Past month"),
            DatePreset.YEAR: self.tr("Past year"),
            DatePreset.CUSTOM: self.tr("Custom range…"),
        }
        for preset, action in self.date_actions.items():
            action.setText(date_names[preset])
        self.clear_chip.setText(self.tr("Clear filters"))
        self.clear_chip.setAccessibleName(self.tr("Clear filters"))
        if self._folder_group.actions():
            self._folder_group.actions()[0].setText(self.tr("Any folder"))
        self._show_folder()
        self._show_date()
        self._show_places()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


def _home_short(folder: str) -> str:
    """``~/Pictures`` for a folder under home, for the menu."""
    path = Path(folder)
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return folder

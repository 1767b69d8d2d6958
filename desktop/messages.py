"""A bar above the results for what went wrong in the engine, in the person's language.

An :class:`EngineError` arrives with a :class:`Problem`; the bar says what happened and what to
do about it, and stays until it is dismissed or the same trouble is over. The results beside it
are left as they were: an engine error never clears a search. The engine's own English message
goes to the tooltip and the log, for a bug report.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from engine.facade import EngineError, Problem

# What happened, and what to do; translated where shown (the NOOPs let lupdate find them).
# (QT_TRANSLATE_NOOP is typed as returning object: it returns its text.)
_ADVICE: dict[Problem, tuple[object, object]] = {
    Problem.DISK_FULL: (
        QT_TRANSLATE_NOOP("MessageBar", "The disk is full: Trove could not save its index."),
        QT_TRANSLATE_NOOP("MessageBar", "Free some space; indexing goes on by itself afterwards."),
    ),
    Problem.READ_ONLY: (
        QT_TRANSLATE_NOOP("MessageBar", "Trove cannot write its index folder."),
        QT_TRANSLATE_NOOP(
            "MessageBar", "Check that its folder can be written, then restart Trove."
        ),
    ),
    Problem.NOT_A_FOLDER: (
        QT_TRANSLATE_NOOP("MessageBar", "{folder} cannot be watched."),
        QT_TRANSLATE_NOOP(
            "MessageBar", "Choose a folder that exists and is not inside Trove's own data."
        ),
    ),
    Problem.NOT_WATCHED: (
        QT_TRANSLATE_NOOP("MessageBar", "{folder} is not watched."),
        QT_TRANSLATE_NOOP(
            "MessageBar", "Open Folders and exclusions to see the folders Trove watches."
        ),
    ),
    Problem.CANNOT_WATCH: (
        QT_TRANSLATE_NOOP("MessageBar", "The system refused to watch {folder}."),
        QT_TRANSLATE_NOOP("MessageBar", "Trove looks through it for changes every few minutes."),
    ),
    Problem.DAMAGED: (
        QT_TRANSLATE_NOOP("MessageBar", "Trove's index is damaged and was set aside."),
        QT_TRANSLATE_NOOP("MessageBar", "Repair rebuilds it; your files were not touched."),
    ),
    Problem.CANNOT_OPEN: (
        QT_TRANSLATE_NOOP("MessageBar", "Trove could not open its index or its models."),
        QT_TRANSLATE_NOOP(
            "MessageBar", "Check Preferences (search models, graphics chip), then try again."
        ),
    ),
    Problem.UNEXPECTED: (
        QT_TRANSLATE_NOOP("MessageBar", "Something went wrong inside Trove."),
        QT_TRANSLATE_NOOP(
            "MessageBar", "Searching may still work; the log has the details for a bug report."
        ),
    ),
}


def advice(error: EngineError) -> tuple[str, str]:
    """What happened, and what the person can do, for one engine error, in the UI language."""
    folder = str(error.subject) if error.subject is not None else ""
    what, todo = _ADVICE[error.problem]
    return (
        QCoreApplication.translate("MessageBar", str(what)).format(folder=folder),
        QCoreApplication.translate("MessageBar", str(todo)),
    )


class MessageBar(QFrame):
    """One engine error at a time, with a close button; hidden when there is none."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Problem"))
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.close_button = QToolButton(self)
        self.close_button.setText("\u00d7")
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss"))
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button)
        self.problem: Problem | None = None
        self._error: EngineError | None = None  # shown now: worded again in a new language
        self.hide()

    def show_error(self, error: EngineError) -> None:
        what, todo = advice(error)
        self.problem = error.problem
        self._error = error
        self.text.setText(f"<b>{html.escape(what)}</b> {html.escape(todo)}")
        self.setToolTip(str(error))
        self.show()

    def dismiss(self) -> None:
        self.problem = None
        self._error = None
        self.hide()
        self.dismissed.emit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.setAccessibleName(self.tr("Problem"))
            self.close_button.setToolTip(self.tr("Dismiss"))
            self.close_button.setAccessibleName(self.tr("Dismiss"))
            if self._error is not None:
                self.show_error(self._error)
        super().changeEvent(event)

"""A short message in the window that goes away by itself: "Path copied", "Folder added".

Non-modal: it floats over the bottom of its parent, never takes the focus, and what was typed
or selected stays as it was. A message may offer one action ("Show in folder"); it then stays
a little longer. A newer message replaces the one shown. Screen readers hear it (an
accessibility alert), as they would a status bar message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAccessible, QAccessibleEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

SHOWN_MS: Final = 4000
WITH_ACTION_MS: Final = 9000  # time to read it and reach the button
MARGIN: Final = 16


class Toast(QFrame):
    """One transient message over the bottom centre of ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        # The tooltip colours: a floating note, readable in the light and the dark theme.
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.text = QLabel(self)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.action_button = QPushButton(self)
        self.action_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.action_button.clicked.connect(self._act)
        self.close_button = QToolButton(self)
        self.close_button.setAutoRaise(True)
        self.close_button.setText("\u00d7")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self._action: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        parent.installEventFilter(self)  # follows the parent's size
        self._retranslate()
        self.hide()

    def show_message(
        self,
        text: str,
        action: str | None = None,
        on_action: Callable[[], None] | None = None,
    ) -> None:
        """Show ``text`` for a few seconds; ``action`` names a button that calls
        ``on_action`` (and closes the message)."""
        self.text.setText(text)
        self.setAccessibleName(text)
        self._action = on_action if action is not None else None
        self.action_button.setVisible(self._action is not None)
        if action is not None:
            self.action_button.setText(action)
        self._timer.start(WITH_ACTION_MS if self._action is not None else SHOWN_MS)
        self._place()
        self.show()
        self.raise_()
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def message(self) -> str:
        """The text shown, or "" when no message is."""
        return self.text.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._timer.stop()
        self._action = None
        self.hide()

    def _act(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(max(parent.width() // 2, 360), parent.width() - 2 * MARGIN)
        self.setFixedWidth(max(width, 120))
        self.adjustSize()
        x = (parent.width() - self.width()) // 2
        self.move(x, parent.height() - self.height() - MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)

    def _retranslate(self) -> None:
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

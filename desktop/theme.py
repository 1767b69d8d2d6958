"""Light and dark looks: the Fusion style with one of two palettes, or whichever the system shows.

Widgets take every colour from the palette (roles, never literals), so they follow a switch
live. One role carries a meaning of our own: ``BrightText`` is the attention colour (a red),
used for error borders such as the search bar's.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

CHOICES: Final = ("system", "light", "dark")

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# Active/inactive colours per role, then the few that differ when disabled.
_LIGHT: Final = {
    Role.Window: "#f3f3f3",
    Role.WindowText: "#1b1b1b",
    Role.Base: "#ffffff",
    Role.AlternateBase: "#f6f6f6",
    Role.Text: "#1b1b1b",
    Role.Button: "#f0f0f0",
    Role.ButtonText: "#1b1b1b",
    Role.BrightText: "#c62828",
    Role.Highlight: "#2f6fd6",
    Role.HighlightedText: "#ffffff",
    Role.Accent: "#2f6fd6",
    Role.Link: "#1a5fb4",
    Role.LinkVisited: "#6a3fb0",
    Role.ToolTipBase: "#ffffe1",
    Role.ToolTipText: "#1b1b1b",
    Role.PlaceholderText: "#767676",
    Role.Light: "#ffffff",
    Role.Midlight: "#e4e4e4",
    Role.Mid: "#b4b4b4",
    Role.Dark: "#9c9c9c",
    Role.Shadow: "#6e6e6e",
}
_LIGHT_DISABLED: Final = {
    Role.WindowText: "#9a9a9a",
    Role.Text: "#9a9a9a",
    Role.ButtonText: "#9a9a9a",
    Role.Highlight: "#c9c9c9",
    Role.PlaceholderText: "#b0b0b0",
}
_DARK: Final = {
    Role.Window: "#242424",
    Role.WindowText: "#e8e8e8",
    Role.Base: "#1b1b1b",
    Role.AlternateBase: "#2a2a2a",
    Role.Text: "#e8e8e8",
    Role.Button: "#303030",
    Role.ButtonText: "#e8e8e8",
    Role.BrightText: "#ff6b6b",
    Role.Highlight: "#2f6fd6",
    Role.HighlightedText: "#ffffff",
    Role.Accent: "#2f6fd6",
    Role.Link: "#8ab4f8",
    Role.LinkVisited: "#c58af9",
    Role.ToolTipBase: "#303030",
    Role.ToolTipText: "#e8e8e8",
    Role.PlaceholderText: "#8d8d8d",
    Role.Light: "#404040",
    Role.Midlight: "#363636",
    Role.Mid: "#5c5c5c",
    Role.Dark: "#161616",
    Role.Shadow: "#000000",
}
_DARK_DISABLED: Final = {
    Role.WindowText: "#6f6f6f",
    Role.Text: "#6f6f6f",
    Role.ButtonText: "#6f6f6f",
    Role.Highlight: "#3a3a3a",
    Role.PlaceholderText: "#5a5a5a",
}
_FOLLOWER_NAME: Final = "trove-theme-follower"


def palette_for(dark: bool) -> QPalette:
    """The whole palette of one look, every role of every group set."""
    colours, disabled = (_DARK, _DARK_DISABLED) if dark else (_LIGHT, _LIGHT_DISABLED)
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))  # all groups
    for role, colour in disabled.items():
        palette.setColor(Group.Disabled, role, QColor(colour))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Window).lightness() < 128


def attention_color(palette: QPalette) -> QColor:
    """The palette's error colour: ``BrightText`` when it is a red, as our palettes make it.

    A palette that is not ours (a test without :func:`apply_theme`) may hold white there; a
    red matched to the background's lightness stands in."""
    colour = palette.color(Role.BrightText)
    hue = colour.hslHue()
    if colour.hslSaturation() > 100 and (hue < 20 or hue > 340):
        return colour
    return QColor(_DARK[Role.BrightText] if is_dark(palette) else _LIGHT[Role.BrightText])


def apply_theme(app: QApplication, choice: str) -> None:
    """Fusion with the light or dark palette; ``"system"`` follows the system's colour scheme,
    also when it changes while the app runs."""
    if choice not in CHOICES:
        raise ValueError(f"theme {choice!r} is not one of {', '.join(CHOICES)}")
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    follower = app.findChild(_SchemeFollower, _FOLLOWER_NAME)
    if follower is None:
        follower = _SchemeFollower(app)
    follower.choice = choice
    # Ask the platform for the same scheme too, so native parts (title bars, dialogs) match.
    hints.setColorScheme(
        {
            "light": Qt.ColorScheme.Light,
            "dark": Qt.ColorScheme.Dark,
        }.get(choice, Qt.ColorScheme.Unknown)
    )
    dark = choice == "dark" or (choice == "system" and hints.colorScheme() == Qt.ColorScheme.Dark)
    app.setPalette(palette_for(dark))


class _SchemeFollower(QObject):
    """Lives on the application and re-applies the palette when the system scheme changes,
    as long as the person chose "system"."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(_FOLLOWER_NAME)
        self.app = app
        self.choice = "system"
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    def _scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.app.setPalette(palette_for(scheme == Qt.ColorScheme.Dark))

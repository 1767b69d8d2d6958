"""Light, dark and system looks: the palette the app gets, and following the system live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.searchbar import SearchBar
from desktop.theme import apply_theme, attention_color, is_dark, palette_for

Role = QPalette.ColorRole


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application, given back with the palette, style and scheme it had."""
    palette, style = qapp.palette(), qapp.style().name()
    yield qapp
    for follower in qapp.findChildren(QObject, "trove-theme-follower"):
        follower.setParent(None)  # stops following the scheme
    QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Unknown)
    qapp.setStyle(style)
    qapp.setPalette(palette)


def simulate_scheme(scheme: Qt.ColorScheme) -> None:
    """What the platform does when the person switches the system's look. The offscreen
    platform cannot switch, so its change signal is sent by hand where the request did nothing."""
    hints = QGuiApplication.styleHints()
    hints.setColorScheme(scheme)
    if hints.colorScheme() != scheme:
        hints.colorSchemeChanged.emit(scheme)


def assert_dark(palette: QPalette) -> None:
    for background in (Role.Window, Role.Base, Role.Button):
        assert palette.color(background).lightness() < 80, background
    for text in (Role.WindowText, Role.Text, Role.ButtonText):
        assert palette.color(text).lightness() > 180, text


def assert_light(palette: QPalette) -> None:
    for background in (Role.Window, Role.Base, Role.Button):
        assert palette.color(background).lightness() > 200, background
    for text in (Role.WindowText, Role.Text, Role.ButtonText):
        assert palette.color(text).lightness() < 80, text


def test_dark_and_light(app: QApplication) -> None:
    apply_theme(app, "dark")
    assert app.style().name().lower() == "fusion"
    assert_dark(app.palette())
    assert is_dark(app.palette())
    apply_theme(app, "light")
    assert_light(app.palette())
    assert not is_dark(app.palette())


def test_system_follows_the_scheme_live(app: QApplication, qtbot: QtBot) -> None:
    bar = SearchBar()
    qtbot.addWidget(bar)
    apply_theme(app, "system")
    simulate_scheme(Qt.ColorScheme.Dark)
    assert_dark(app.palette())
    chip = bar.kind_chips[next(iter(bar.kind_chips))]
    qtbot.waitUntil(lambda: is_dark(chip.palette()), timeout=5000)  # widgets follow
    simulate_scheme(Qt.ColorScheme.Light)
    assert_light(app.palette())
    apply_theme(app, "dark")  # a choice of one look stops the following
    simulate_scheme(Qt.ColorScheme.Light)
    assert_dark(app.palette())
    apply_theme(app, "light")
    assert len(app.findChildren(QObject, "trove-theme-follower")) == 1


def test_unknown_choice_is_refused(app: QApplication) -> None:
    with pytest.raises(ValueError, match="sepia"):
        apply_theme(app, "sepia")


@pytest.mark.parametrize("dark", [False, True])
def test_palettes_are_readable(dark: bool) -> None:
    palette = palette_for(dark)
    for background, text in (
        (Role.Window, Role.WindowText),
        (Role.Base, Role.Text),
        (Role.Button, Role.ButtonText),
        (Role.Highlight, Role.HighlightedText),
        (Role.ToolTipBase, Role.ToolTipText),
    ):
        assert _contrast(palette.color(background), palette.color(text)) >= 4.5, text
    assert _contrast(palette.color(Role.Base), palette.color(Role.PlaceholderText)) >= 3
    # Chip outlines must show against the window.
    assert _contrast(palette.color(Role.Window), palette.color(Role.Mid)) >= 1.5
    error = attention_color(palette)
    assert error.hslHue() < 20 or error.hslHue() > 340  # a red
    assert _contrast(palette.color(Role.Base), error) >= 3


def test_attention_colour_without_our_palette() -> None:
    palette = palette_for(dark=True)
    palette.setColor(Role.BrightText, QColor("white"))
    assert attention_color(palette).hslSaturation() > 100


def _contrast(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio."""

    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.redF())
            + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF())
        )

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)

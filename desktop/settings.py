"""What the desktop remembers between runs: the person's preferences and the window's shape.

Everything goes through one ``QSettings`` passed in by the caller (``store()`` in the app, an INI
file in tests). Stored values are never trusted: each one is checked on load, and a bad one falls
back to its default with a log line, so a hand-edited or older settings file cannot stop the app.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QSplitter

log = logging.getLogger(__name__)

ORGANISATION = "Trove"
APPLICATION = "Trove"

DeviceName = Literal["auto", "cpu", "cuda", "directml", "coreml", "openvino"]
Theme = Literal["system", "light", "dark"]
Language = Literal["system", "en", "zh_CN", "es"]
DEVICES: tuple[DeviceName, ...] = get_args(DeviceName)
THEMES: tuple[Theme, ...] = get_args(Theme)
LANGUAGES: tuple[Language, ...] = get_args(Language)
MAX_THREADS = 256

PREFERENCES_GROUP = "preferences"
_GEOMETRY = "window/geometry"
_STATE = "window/state"
_SPLITTER = "window/splitter/"
# Bumped when the docks or toolbars change so an old layout is not forced on new ones.
WINDOW_STATE_VERSION = 1

T = TypeVar("T")


@dataclass(frozen=True)
class SharedLibrary:
    """A library another computer indexes, searched from here (Preferences > Libraries):
    its address, and where its folder ``there`` (as that computer names it) is mounted here."""

    uri: str  # http(s)://host:port, or a Milvus Lite file on a share
    there: str = ""  # its folder on the computer that indexes it; "" for no mapping
    here: Path | None = None  # the same folder on this computer

    def folders(self) -> list[tuple[str, Path]]:
        """``(there, here)``, or nothing when no folder is mapped."""
        return [(self.there, self.here)] if self.there and self.here is not None else []


@dataclass(frozen=True)
class Preferences:
    pack: Path | None = None  # None: the engine finds one (bundled, $TROVE_PACK or the dev pack)
    device: DeviceName = "auto"
    threads: int = 0  # 0: the engine decides
    theme: Theme = "system"
    language: Language = "system"
    welcomed: bool = False  # the first-run welcome has been answered
    shared: tuple[SharedLibrary, ...] = ()  # libraries other computers index, searched too
    # The languages the person's recordings are in (codes the speech model knows: "en", "es");
    # none chosen: the window's language and English (desktop.languages.spoken_by_default).
    spoken: tuple[str, ...] = ()


def store() -> QSettings:
    """The app's own settings (registry, plist or ``~/.config/Trove/Trove.conf``)."""
    return QSettings(ORGANISATION, APPLICATION)


# --- checking stored values ----------------------------------------------------------------------


def _one_of(choices: tuple[T, ...]) -> Callable[[Any], T]:
    def parse(value: Any) -> T:
        for choice in choices:
            if value == choice:
                return choice
        raise ValueError(f"not one of {', '.join(map(str, choices))}")

    return parse


def _pack(value: Any) -> Path | None:
    if not isinstance(value, str):
        raise ValueError("not a path")
    return Path(value) if value else None


def _threads(value: Any) -> int:
    # INI files give strings back, native stores give ints; bools are ints to Python: refuse them.
    if isinstance(value, bool):
        raise ValueError("not a number")
    number = int(value)
    if not 0 <= number <= MAX_THREADS:
        raise ValueError(f"outside 0..{MAX_THREADS}")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("not true or false")


def _shared(value: Any) -> tuple[SharedLibrary, ...]:
    """Stored as JSON text: ``[{"uri", "there", "here"}]``."""
    if not isinstance(value, str):
        raise ValueError("not text")
    found = json.loads(value) if value else []
    if not isinstance(found, list):
        raise ValueError("not a list")
    libraries = []
    for entry in found:
        if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str) or not entry["uri"]:
            raise ValueError("a library without an address")
        there, here = entry.get("there", ""), entry.get("here", "")
        if not isinstance(there, str) or not isinstance(here, str):
            raise ValueError("a folder that is not text")
        libraries.append(SharedLibrary(entry["uri"], there, Path(here) if here else None))
    return tuple(libraries)


def _codes(value: Any) -> tuple[str, ...]:
    """Stored as text: ``en,es``."""
    if not isinstance(value, str):
        raise ValueError("not text")
    codes = tuple(code for code in value.split(",") if code)
    if not all(code.isascii() and code.isalpha() and code.islower() for code in codes):
        raise ValueError("not language codes")
    return codes


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "pack": _pack,
    "device": _one_of(DEVICES),
    "threads": _threads,
    "theme": _one_of(THEMES),
    "language": _one_of(LANGUAGES),
    "welcomed": _flag,
    "shared": _shared,
    "spoken": _codes,
}


def _stored(value: Any) -> Any:
    """How a preference is written: text for paths and language codes, plain values otherwise."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple) and all(isinstance(one, str) for one in value):  # codes
        return ",".join(value)
    if isinstance(value, tuple):  # shared libraries
        return json.dumps(
            [{"uri": one.uri, "there": one.there, "here": _stored(one.here)} for one in value]
        )
    return "" if value is None else value


def load_preferences(settings: QSettings) -> Preferences:
    """The stored preferences; anything missing or unreadable takes its default."""
    defaults = Preferences()
    values: dict[str, Any] = {}
    settings.beginGroup(PREFERENCES_GROUP)
    try:
        for field in fields(Preferences):
            if not settings.contains(field.name):
                continue
            raw = settings.value(field.name)
            try:
                values[field.name] = _PARSERS[field.name](raw)
            except (TypeError, ValueError) as error:
                log.warning(
                    "ignoring the stored %s %r (%s); using %r",
                    field.name,
                    raw,
                    error,
                    getattr(defaults, field.name),
                )
    finally:
        settings.endGroup()
    return Preferences(**values)


def save_preferences(settings: QSettings, preferences: Preferences) -> None:
    settings.beginGroup(PREFERENCES_GROUP)
    try:
        for field in fields(Preferences):
            settings.setValue(field.name, _stored(getattr(preferences, field.name)))
    finally:
        settings.endGroup()
    settings.sync()


# --- window state --------------------------------------------------------------------------------


def save_window_state(
    settings: QSettings, window: QMainWindow, splitters: Mapping[str, QSplitter] | None = None
) -> None:
    """Remember the window's place and size, its docks and toolbars, and each named splitter."""
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_STATE, window.saveState(WINDOW_STATE_VERSION))
    for name, splitter in (splitters or {}).items():
        settings.setValue(_SPLITTER + name, splitter.saveState())
    settings.sync()


def restore_window_state(
    settings: QSettings, window: QMainWindow, splitters: Mapping[str, QSplitter] | None = None
) -> bool:
    """Put the window back as it was; returns whether a stored geometry was used.

    Call before ``show()``. A geometry that would put the window where no screen is (a monitor
    unplugged since) is dropped and the window keeps the size and place it had.
    """
    restored = False
    geometry = _bytes(settings.value(_GEOMETRY))
    if geometry is not None:
        before = window.saveGeometry()
        if window.restoreGeometry(geometry) and on_screen(window.frameGeometry()):
            restored = True
        else:
            window.restoreGeometry(before)
            log.info("the stored window geometry is off every screen; not using it")
    state = _bytes(settings.value(_STATE))
    if state is not None and not window.restoreState(state, WINDOW_STATE_VERSION):
        log.info("the stored dock layout is from another version; not using it")
    for name, splitter in (splitters or {}).items():
        sizes = _bytes(settings.value(_SPLITTER + name))
        if sizes is not None:
            splitter.restoreState(sizes)
    return restored


def on_screen(frame: QRect, margin: int = 48) -> bool:
    """Whether at least a ``margin``-pixel square of ``frame`` (enough to grab the title bar)
    lies on some screen's available area. With no screens known, anything goes."""
    screens = QGuiApplication.screens()
    if not screens:
        return True
    for screen in screens:
        overlap = frame.intersected(screen.availableGeometry())
        if overlap.width() >= min(margin, frame.width()) and overlap.height() >= min(
            margin, frame.height()
        ):
            return True
    return False


def _bytes(value: Any) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, bytes) and value:
        return QByteArray(value)
    return None

"""UI languages: English in the source, Simplified Chinese and Spanish from ``desktop/i18n/``.

The ``.ts`` files there are the translations' sources (``./dev i18n`` refreshes them from the
code); ``./dev setup`` compiles them to the ``.qm`` files loaded here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

ENGLISH: Final = "en"
SHIPPED: Final = (ENGLISH, "zh_CN", "es")
_TRANSLATOR_NAME: Final = "trove-translator"


def translations_dir() -> Path:
    """Where the compiled ``trove_<lang>.qm`` files are: beside this module, or in the bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle is not None:
        return Path(bundle) / "desktop" / "i18n"
    return Path(__file__).with_name("i18n")


def install_translations(app: QCoreApplication, language: str, folder: Path | None = None) -> str:
    """Translate the UI into ``language`` (``"system"``: the system's; ``"zh_CN"``, ``"es"``...)
    and return the language in use: one of :data:`SHIPPED`, English when nothing else fits.
    Dates and numbers follow: :func:`ui_locale` becomes the default locale.

    Calling it again replaces the earlier language; widgets that retranslate on
    ``LanguageChange`` follow at once. Qt's own strings (standard buttons, context menus) come
    from Qt's translations where they are installed."""
    in_use = _install(app, language, folder)
    QLocale.setDefault(ui_locale(in_use, QLocale.system()))
    return in_use


def ui_locale(language: str, system: QLocale) -> QLocale:
    """How dates and numbers are written: the system's way when it speaks the UI's language
    (a British English system keeps day-first dates), else the UI language's own. Under the C
    locale (no locale set up) that is English's, not C's "10 04 2022"."""
    wanted = QLocale(language)
    return system if system.language() == wanted.language() else wanted


def _install(app: QCoreApplication, language: str, folder: Path | None) -> str:
    remove_translations(app)
    locale = QLocale.system() if language == "system" else QLocale(language)
    # English first: otherwise a second preferred language (say "en-US, es") would win, as
    # there is no English file to find.
    if locale.language() in (QLocale.Language.English, QLocale.Language.C):
        return ENGLISH
    ours = _load(app, locale, "trove", folder or translations_dir())
    if ours is None:
        return ENGLISH
    qt_folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    _load(app, locale, "qtbase", qt_folder)
    return ours.language() or locale.name()


def ui_language() -> str:
    """The language the UI speaks now: that of Trove's installed translation (``zh_CN``,
    ``es``), else English."""
    app = QCoreApplication.instance()
    installed = app.findChildren(QTranslator, _TRANSLATOR_NAME) if app is not None else []
    for translator in installed:
        if Path(translator.filePath()).name.startswith("trove_") and translator.language():
            return translator.language()
    return ENGLISH


def remove_translations(app: QCoreApplication) -> None:
    """Back to the English of the source."""
    for translator in app.findChildren(QTranslator, _TRANSLATOR_NAME):
        app.removeTranslator(translator)
        translator.setParent(None)


def _load(app: QCoreApplication, locale: QLocale, name: str, folder: Path) -> QTranslator | None:
    # Tries each of the locale's UI languages in turn: trove_zh_CN.qm, trove_zh.qm...
    translator = QTranslator(app)
    if not translator.load(locale, name, "_", str(folder)):
        translator.setParent(None)
        return None
    translator.setObjectName(_TRANSLATOR_NAME)
    app.installTranslator(translator)
    return translator

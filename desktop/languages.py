"""Names of spoken languages, in the UI's language: "Spanish", "西班牙语", "español".

Qt names a language only in English (``QLocale.languageToString``) or in itself
(``nativeLanguageName``), not in a third language, so the languages that the multilingual text
space searches across are named here and translated with the UI; any other code Whisper may
detect is shown by its own name ("Svenska"), which its speakers read, else as the code itself.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCollator, QCollatorSortKey, QCoreApplication, QLocale

from desktop.i18n import ui_language
from engine.facade import Place


def _named() -> dict[str, str]:
    # Built on each call: the UI language may have changed since the last one.
    translate = QCoreApplication.translate  # by this name, lupdate finds the strings
    return {
        "ar": translate("Languages", "Arabic"),
        "de": translate("Languages", "German"),
        "en": translate("Languages", "English"),
        "es": translate("Languages", "Spanish"),
        "fr": translate("Languages", "French"),
        "it": translate("Languages", "Italian"),
        "ja": translate("Languages", "Japanese"),
        "ko": translate("Languages", "Korean"),
        "nl": translate("Languages", "Dutch"),
        "pl": translate("Languages", "Polish"),
        "pt": translate("Languages", "Portuguese"),
        "ru": translate("Languages", "Russian"),
        "th": translate("Languages", "Thai"),
        "tr": translate("Languages", "Turkish"),
        "zh": translate("Languages", "Chinese"),
    }


def is_common(code: str) -> bool:
    """Whether the language is one named here in the UI's own language (the 15 the text spaces
    search across), rather than by its own name."""
    return code in _named()


def language_name(code: str) -> str:
    """The name of the language with ISO 639-1 ``code`` (as the speech model gives it)."""
    named = _named().get(code)
    if named is not None:
        return named
    locale = QLocale(code)
    if locale.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return code
    return locale.nativeLanguageName() or code


def alphabetical() -> Callable[[str], QCollatorSortKey]:
    """A sort key for names shown in the window, in the UI language's alphabetical order
    (pinyin in 简体中文; "Árabe" among the A's in Español), not by code point."""
    return QCollator(QLocale(ui_language())).sortKey


def spoken_by_default() -> tuple[str, ...]:
    """The languages a person's recordings are taken to be in until they choose theirs: the
    window's, the system's and English, as the speech model names them ("zh", "es")."""
    codes = (code.split("_")[0] for code in (ui_language(), QLocale.system().name(), "en"))
    return tuple(dict.fromkeys(code for code in codes if len(code) >= 2 and code.islower()))


def place_name(place: Place) -> str:
    """A town's name in the UI's language, where the place data has one (else its own)."""
    return place.name_in(ui_language())

"""Where the library places a file in time, and the bands it groups files in: a day, a month
or a year, named in the UI's language and locale."""

from __future__ import annotations

import time
from enum import Enum

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale

from engine.facade import Listed


def when(listed: Listed) -> float:
    """The moment the library places a file at (seconds since the epoch): what it is sorted
    and banded by, as the engine orders it: when it was taken or recorded, else modified."""
    return listed.dated


class Grouping(Enum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def band_key(seconds: float, grouping: Grouping) -> tuple[int, ...]:
    """Files with equal keys share a band (local time, as the date filters read it). Asked
    for every file of a listing: the C library's local time, ten times quicker than Qt's."""
    day = time.localtime(int(seconds))
    if grouping is Grouping.YEAR:
        return (day.tm_year,)
    if grouping is Grouping.MONTH:
        return (day.tm_year, day.tm_mon)
    return (day.tm_year, day.tm_mon, day.tm_mday)


def band_title(seconds: float, grouping: Grouping, locale: QLocale | None = None) -> str:
    """The band's name in the UI's language and locale: "Friday 4 December 2026",
    "December 2026", "2026" (a translator orders month and year for their language)."""
    locale = locale or QLocale()
    day = QDateTime.fromSecsSinceEpoch(int(seconds)).date()
    if grouping is Grouping.YEAR:
        return locale.toString(day, "yyyy")
    if grouping is Grouping.MONTH:
        # Qt date format: the month's name and the year, in the order the language says them.
        return locale.toString(day, QCoreApplication.translate("Library", "MMMM yyyy"))
    return locale.toString(day, QLocale.FormatType.LongFormat)


def short_date(seconds: float, locale: QLocale | None = None) -> str:
    """A tile's date: the day in the locale's short form (with the whole year), and the time."""
    locale = locale or QLocale()
    moment = QDateTime.fromSecsSinceEpoch(int(seconds))
    time_of_day = locale.toString(moment.time(), QLocale.FormatType.ShortFormat)
    return f"{day_text(moment.date(), locale)} {time_of_day}"


def day_text(day: QDate, locale: QLocale | None = None) -> str:
    """A day in the locale's short form, with the whole year: "4/10/2022", "10/4/2022",
    "2022/4/10" (a short form's "22" reads as a day or a month)."""
    locale = locale or QLocale()
    form = locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in form:
        form = form.replace("yy", "yyyy")
    return locale.toString(day, form)

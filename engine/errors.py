"""Errors that cross the engine's front door, typed so that each caller puts them in their place.

Two families, told apart by type rather than by message:

- :class:`QueryError`: what a person typed or pointed at cannot be a query (a syntax error with
  its position, an example file that cannot be read). Belongs next to the search box; the
  results of the last good query stay.
- :class:`EngineError`: the engine cannot do its work (cannot open its data, the disk is full,
  a folder cannot be watched). Belongs in a message that says what to do; it carries a
  :class:`Problem` so that the window words it in the person's language.

The messages themselves are English, for the command line and the log.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class QueryProblem(StrEnum):
    """What is wrong with a query, for words at the edge that say what to do about it."""

    UNREADABLE = "unreadable"  # anything not named below
    UNCLOSED_QUOTE = "unclosed-quote"
    NOTHING_AFTER_SIGN = "nothing-after-sign"  # a + or - (or a weight) with no part after it
    BAD_WEIGHT = "bad-weight"  # not a positive number, or two in a row, or a stray *
    EMPTY_QUOTE = "empty-quote"
    BAD_KIND = "bad-kind"
    BAD_DATE = "bad-date"
    BAD_SIZE = "bad-size"
    BAD_PLACE = "bad-place"  # place: with no name, or given twice
    BAD_TIME_RANGE = "bad-time-range"
    FILTER_WEIGHTED = "filter-weighted"  # a filter behind a sign or a weight
    NO_SUCH_FILE = "no-such-file"
    NO_FOLDER = "no-folder"  # in: with nothing after it
    UNUSABLE_EXAMPLE = "unusable-example"  # the file exists but cannot be searched with
    NOTHING_TO_SEARCH = "nothing-to-search"
    ALL_SUBTRACTED = "all-subtracted"
    FILTER_ALONE = "filter-alone"  # a filter alone lists files; it is not a search


class QueryError(ValueError):
    """A query that cannot be answered as asked. ``problem`` says what kind of mistake (the
    message is English, for the command line and the log); ``position`` is the 0-based
    character of the culprit in the query text (None when it is not one character); ``path``
    the example file at fault, if any."""

    def __init__(
        self,
        message: str,
        position: int | None = None,
        path: Path | None = None,
        problem: QueryProblem = QueryProblem.UNREADABLE,
    ) -> None:
        super().__init__(message)
        self.position = position
        self.path = path
        self.problem = problem


class Problem(StrEnum):
    """What went wrong in the engine, for a message that says what to do about it."""

    CANNOT_OPEN = "cannot-open"  # the data folder, the model pack or the device
    DAMAGED = "damaged"  # the catalog was set aside as damaged: repair is offered
    DISK_FULL = "disk-full"
    READ_ONLY = "read-only"  # the data folder cannot be written
    NOT_A_FOLDER = "not-a-folder"  # a folder to watch that is not one (or is inside the data)
    NOT_WATCHED = "not-watched"  # a folder to change that is not watched
    CANNOT_WATCH = "cannot-watch"  # the system refused a watch: timed rescans instead
    UNEXPECTED = "unexpected"  # a bug: the log has the details


class EngineError(Exception):
    """The engine could not do what it was asked; ``problem`` says what kind of trouble,
    ``subject`` the folder or file it concerns (if any)."""

    def __init__(self, problem: Problem, message: str, subject: Path | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.subject = subject

"""Query strings -> a typed :class:`Query`: text, examples, weighted combinations and filters.

The language, by example::

    sunset over the sea            free text (a run of bare words is one text part)
    "beach" + sunset.jpg - people  combination: parts are added or subtracted
    0.5*"dog" + 2*cat.jpg          weights: a positive number and ``*`` before a part
    like:IMG_0042.jpg              an example file (``like:"my dog's.jpg"`` quotes a path)
    meeting.wav@1:05-1:30          a time range of an example, in seconds, mm:ss or h:mm:ss
    talk.wav@90-                   ... from 90 s to the end
    kind:photo  kind:audio,video   filters: kind (photo, audio, video, note; repeat = any of)
    in:~/Pictures                  only files under this folder (repeat = any of)
    after:2024-01-01 before:2024-07  file date on or after / strictly before (YYYY[-MM[-DD]]):
                                   when it was taken or recorded, else last modified
    place:Lisbon  place:"São Paulo"  taken near a town (any of its names: Lisboa, 里斯本) or in
                                   a country (place:Portugal)
    size>10MB  size<=1.5GiB        size bounds (B, KB, MB, GB are powers of 1000; KiB... of 1024)

A bare word is an example file when it names an existing file (optionally with ``@START-END``)
and looks like a path (it holds ``/``, ``.`` or starts with ``~``); otherwise it is text. An
operator (``+``/``-``) or weight applies to the next quoted text, example, or whole run of bare
words. Words with an unknown ``name:`` prefix are plain text (``note:`` or ``10:30``). A quoted
path holds anything but ``"``; ``~`` or ``~user`` at its start is a home folder when there is one.
Text goes to the models as valid Unicode: the undecodable bytes of a command line (lone
surrogates) become U+FFFD in text parts, while paths keep them, since they are a name's bytes.

Errors raise :class:`ParseError` with the 0-based character position of the culprit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engine.catalog.records import FileKind
from engine.errors import QueryError, QueryProblem

_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_TIME = r"(?:\d+(?::\d{1,2}){0,2}(?:\.\d+)?)"
_RANGE = re.compile(rf"({_TIME})-({_TIME})?")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_SIZE = re.compile(r"size(<=|>=|<|>|=)(.*)", re.IGNORECASE)
_SIZE_VALUE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_KIND_NAMES = ", ".join(kind.value for kind in FileKind)
# How os.fsdecode hands over bytes that are not UTF-8 (argv, file names): as lone surrogates.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ParseError(QueryError):
    """A query that cannot be read; ``position`` is the 0-based index of the offending char."""

    position: int

    def __init__(
        self,
        message: str,
        position: int,
        query: str,
        problem: QueryProblem,
        path: Path | None = None,
    ) -> None:
        super().__init__(
            f"{message} (at position {position})", position=position, path=path, problem=problem
        )
        self.message = message
        self.query = query

    def pointer(self) -> str:
        """The query and a caret under the culprit, for a terminal."""
        return f"{self.query}\n{' ' * self.position}^ {self.message}"


@dataclass(frozen=True)
class TextPart:
    """Text to search for; ``phrase`` (quoted words) also means these words, in this order,
    for the exact-word search. ``phrase`` is left out of comparisons: :meth:`Query.format`
    writes every text quoted, so a text of bare words reads back as a phrase; both are the
    same text to the dense search."""

    text: str
    weight: float = 1.0
    phrase: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class ExamplePart:
    """A file to find things like; ``start``/``end`` (seconds) narrow a recording or video."""

    path: Path
    weight: float = 1.0
    start: float | None = None
    end: float | None = None

    def format(self) -> str:
        """``like:"PATH@START-END"``, the weight left out (the query language's form)."""
        span = ""
        if self.start is not None:
            span = f"@{self.start:g}-{'' if self.end is None else f'{self.end:g}'}"
        return f'like:"{self.path}{span}"'


Part = TextPart | ExamplePart


@dataclass(frozen=True)
class PlaceName:
    """A ``place:`` filter: the name as written, and the GeoNames ids of the towns it names,
    which the engine looks up before the filter is applied (None until then)."""

    name: str
    ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Filters:
    """Every set field must hold for a file to be shown; empty collections mean "any"."""

    kinds: frozenset[FileKind] = frozenset()
    folders: tuple[Path, ...] = ()
    after: date | None = None  # file date on or after this day (local time)
    before: date | None = None  # file date strictly before this day
    min_size: int | None = None  # bytes, inclusive
    max_size: int | None = None  # bytes, inclusive
    place: PlaceName | None = None

    def accepts(
        self, path: Path, kind: FileKind, size: int, dated_ns: int, place_id: int | None = None
    ) -> bool:
        """Whether a file passes: ``dated_ns`` is its date (``FileRecord.dated_ns``: taken,
        else modified), ``place_id`` the town it was taken near."""
        if self.kinds and kind not in self.kinds:
            return False
        if self.folders and not any(path.is_relative_to(folder) for folder in self.folders):
            return False
        if self.min_size is not None and size < self.min_size:
            return False
        if self.max_size is not None and size > self.max_size:
            return False
        if self.after is not None or self.before is not None:
            day = date.fromtimestamp(dated_ns / 1e9)
            if self.after is not None and day < self.after:
                return False
            if self.before is not None and day >= self.before:
                return False
        if self.place is not None and (self.place.ids is None or place_id not in self.place.ids):
            return False
        return True

    def format(self) -> list[str]:
        words = []
        if self.kinds:
            words.append("kind:" + ",".join(sorted(kind.value for kind in self.kinds)))
        words += [f'in:"{folder}"' for folder in self.folders]
        if self.after is not None:
            words.append(f"after:{self.after.isoformat()}")
        if self.before is not None:
            words.append(f"before:{self.before.isoformat()}")
        if self.min_size is not None:
            words.append(f"size>={self.min_size}B")
        if self.max_size is not None:
            words.append(f"size<={self.max_size}B")
        if self.place is not None:
            words.append(f'place:"{self.place.name}"')
        return words


@dataclass(frozen=True)
class Query:
    """Parts with signed weights (negative = subtract) and the filters every hit must pass."""

    parts: tuple[Part, ...]
    filters: Filters = field(default_factory=Filters)

    @property
    def browsing(self) -> bool:
        """A filter alone (``kind:audio``): it lists the files it chooses, newest first
        (:mod:`engine.search.browse`), as nothing is asked for by meaning."""
        return not self.parts

    @property
    def positive(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.weight > 0)

    @property
    def negative(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.weight < 0)

    def format(self) -> str:
        """A query string that parses back to this query (paths absolute or as given)."""
        words: list[str] = []
        for index, part in enumerate(self.parts):
            if part.weight < 0:
                words.append("-")
            elif index:
                words.append("+")
            weight = f"{abs(part.weight):g}*" if abs(part.weight) != 1.0 else ""
            if isinstance(part, TextPart):
                words.append(f'{weight}"{part.text}"')
            else:
                words.append(weight + part.format())
        return " ".join(words + self.filters.format())


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "op", "star", "quoted", "word"
    text: str
    position: int
    # For ``name:"quoted value"`` words: the value, unquoted, and where it starts.
    value: str | None = None
    value_position: int = 0


def _tokens(query: str) -> Iterator[_Token]:
    index = 0
    length = len(query)
    while index < length:
        char = query[index]
        if char.isspace():
            index += 1
        elif char in "+-":
            yield _Token("op", char, index)
            index += 1
        elif char == "*":
            yield _Token("star", char, index)
            index += 1
        elif char == '"':
            end = _closing_quote(query, index)
            yield _Token("quoted", query[index + 1 : end], index)
            index = end + 1
        else:
            start = index
            while index < length and not query[index].isspace() and query[index] not in '"*':
                index += 1
            word = query[start:index]
            if word.endswith(":") and index < length and query[index] == '"':
                end = _closing_quote(query, index)
                yield _Token("word", word, start, query[index + 1 : end], index + 1)
                index = end + 1
            else:
                yield _Token("word", word, start)


def _closing_quote(query: str, opening: int) -> int:
    end = query.find('"', opening + 1)
    if end < 0:
        raise ParseError("unterminated quote", opening, query, QueryProblem.UNCLOSED_QUOTE)
    return end


# --- parser -------------------------------------------------------------------------------------


class _Parser:
    def __init__(
        self,
        query: str,
        base: Path,
        is_file: Callable[[Path], bool],
        examples: Sequence[ExamplePart] = (),
    ) -> None:
        self.query = query
        self.base = base
        self.is_file = is_file
        self.examples = examples
        self.parts: list[Part] = []
        self.kinds: set[FileKind] = set()
        self.folders: list[Path] = []
        self.dates: dict[str, date] = {}
        self.sizes: dict[str, int] = {}
        self.place: PlaceName | None = None
        # A pending operator/weight: (sign, weight, position of the operator or weight)
        self.sign = 1.0
        self.weight: float | None = None
        self.pending_at: int | None = None
        self.words: list[str] = []
        self.words_weight = 1.0

    def error(
        self, message: str, position: int, problem: QueryProblem, path: Path | None = None
    ) -> ParseError:
        return ParseError(message, position, self.query, problem, path)

    def run(self) -> Query:
        tokens = list(_tokens(self.query))
        index = 0
        while index < len(tokens):
            token = tokens[index]
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if token.kind == "op":
                self.flush_words()
                if self.pending_at is not None:
                    raise self.error(
                        f"expected a part after {token.text!r}",
                        token.position,
                        QueryProblem.NOTHING_AFTER_SIGN,
                    )
                self.sign = -1.0 if token.text == "-" else 1.0
                self.pending_at = token.position
            elif token.kind == "star":
                raise self.error(
                    "'*' must follow a weight, as in 0.5*\"dog\"",
                    token.position,
                    QueryProblem.BAD_WEIGHT,
                )
            elif token.kind == "word" and following is not None and following.kind == "star":
                self.read_weight(token)
                index += 1
            elif token.kind == "quoted":
                self.flush_words()
                text = token.text.strip()
                if not text:
                    raise self.error("empty quoted text", token.position, QueryProblem.EMPTY_QUOTE)
                # A quoted word is that word; quoted words are that phrase.
                phrase = len(text.split()) > 1
                self.parts.append(TextPart(_readable(text), self.take_weight(), phrase=phrase))
            else:
                self.read_word(token)
            index += 1
        self.flush_words()
        if self.pending_at is not None:
            raise self.error(
                "expected a part after this", self.pending_at, QueryProblem.NOTHING_AFTER_SIGN
            )
        return self.finish()

    def read_weight(self, token: _Token) -> None:
        self.flush_words()
        if not _NUMBER.fullmatch(token.text):
            raise self.error(
                f"weight {token.text!r} is not a number", token.position, QueryProblem.BAD_WEIGHT
            )
        if self.weight is not None:
            raise self.error("two weights in a row", token.position, QueryProblem.BAD_WEIGHT)
        weight = float(token.text)
        if not math.isfinite(weight):
            raise self.error(
                f"weight {token.text[:10]}... is too large", token.position, QueryProblem.BAD_WEIGHT
            )
        if weight <= 0:
            raise self.error(
                "a weight must be positive (use '-' to subtract)",
                token.position,
                QueryProblem.BAD_WEIGHT,
            )
        self.weight = weight
        if self.pending_at is None:
            self.pending_at = token.position

    def take_weight(self) -> float:
        weight = self.sign * (1.0 if self.weight is None else self.weight)
        self.sign, self.weight, self.pending_at = 1.0, None, None
        return weight

    def flush_words(self) -> None:
        if self.words:
            self.parts.append(TextPart(_readable(" ".join(self.words)), self.words_weight))
            self.words = []

    def read_word(self, token: _Token) -> None:
        name, colon, rest = token.text.partition(":")
        name = name.lower()
        if colon and name in ("kind", "in", "after", "before", "place"):
            self.refuse_sign(token)
            value = token.value if token.value is not None else rest
            position = token.value_position if token.value is not None else token.position
            position += 0 if token.value is not None else len(name) + 1
            if name == "kind":
                self.read_kinds(value, position)
            elif name == "in":
                if not value:
                    raise self.error("in: needs a folder", position, QueryProblem.NO_FOLDER)
                self.folders.append(self.path(value))
            elif name == "place":
                self.read_place(value, position)
            else:
                self.read_date(name, value, position)
            return
        if size := _SIZE.fullmatch(token.text):
            self.refuse_sign(token)
            self.read_size(size.group(1), size.group(2), token.position + 4 + len(size.group(1)))
            return
        if colon and name == "like":
            value = token.value if token.value is not None else rest
            position = token.value_position if token.value is not None else token.position + 5
            self.flush_words()
            if not value:
                raise self.error("like: needs a file", position, QueryProblem.NO_SUCH_FILE)
            example = self.example(value, position)
            if example is None:
                raise self.error(
                    f"no such file: {value}", position, QueryProblem.NO_SUCH_FILE, Path(value)
                )
            self.parts.append(example)
            return
        if token.value is None and _looks_like_path(token.text):
            example = self.example(token.text, token.position)
            if example is not None:
                self.flush_words()
                self.parts.append(example)
                return
        if token.value is not None:  # an unknown name:"..." is text, quotes and all dropped
            text = token.text + token.value
        else:
            text = token.text
        if not self.words:
            self.words_weight = self.take_weight()
        self.words.append(text)

    def refuse_sign(self, token: _Token) -> None:
        self.flush_words()
        if self.pending_at is not None:
            raise self.error(
                "a filter cannot be weighted or subtracted",
                self.pending_at,
                QueryProblem.FILTER_WEIGHTED,
            )

    def path(self, text: str) -> Path:
        try:
            path = Path(text).expanduser()
        except (RuntimeError, ValueError):  # "~name" of no user here: a name, as a shell has it
            path = Path(text)
        return self.base / path

    def example(self, text: str, position: int) -> ExamplePart | None:
        """``PATH`` or ``PATH@START-END`` if that file exists; a whole name wins over a range."""
        found = split_example(text, lambda name: self.is_file(self.path(name)))
        if found is None:
            return None
        name, span = found
        start, end = self.read_range(span, position + len(name) + 1)
        return ExamplePart(self.path(name), self.take_weight(), start, end)

    def read_range(self, span: str | None, position: int) -> tuple[float | None, float | None]:
        if span is None:
            return None, None
        try:
            return time_range(span)
        except ValueError as error:
            raise self.error(str(error), position, QueryProblem.BAD_TIME_RANGE) from None

    def read_kinds(self, value: str, position: int) -> None:
        for name in value.split(","):
            try:
                self.kinds.add(FileKind(name.lower().removesuffix("s")))
            except ValueError:
                raise self.error(
                    f"unknown kind {name!r}; expected one of {_KIND_NAMES}",
                    position,
                    QueryProblem.BAD_KIND,
                ) from None
            position += len(name) + 1

    def read_date(self, name: str, value: str, position: int) -> None:
        match = _DATE.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            year, month, day = (int(group) if group else 1 for group in match.groups())
            when = date(year, month, day)
        except ValueError:
            message = f"{name}: wants a date YYYY[-MM[-DD]], got {value!r}"
            raise self.error(message, position, QueryProblem.BAD_DATE) from None
        if name in self.dates:
            raise self.error(f"{name}: given twice", position, QueryProblem.BAD_DATE)
        self.dates[name] = when

    def read_place(self, value: str, position: int) -> None:
        if not value.strip():
            raise self.error("place: needs a name", position, QueryProblem.BAD_PLACE)
        if self.place is not None:
            raise self.error("place: given twice", position, QueryProblem.BAD_PLACE)
        self.place = PlaceName(value.strip())

    def read_size(self, operator: str, value: str, position: int) -> None:
        match = _SIZE_VALUE.fullmatch(value)
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in _UNITS:
            message = f"size wants a number and a unit (B, KB, MB, GB, KiB...), got {value!r}"
            raise self.error(message, position, QueryProblem.BAD_SIZE)
        size = float(match.group(1)) * _UNITS[unit]
        if not math.isfinite(size):
            raise self.error(f"size {value[:10]}... is too large", position, QueryProblem.BAD_SIZE)
        low = {">": int(size) + 1, ">=": -int(-size // 1), "=": -int(-size // 1)}.get(operator)
        high = {"<": -int(-size // 1) - 1, "<=": int(size), "=": int(size)}.get(operator)
        for key, bound in (("min", low), ("max", high)):
            if bound is not None:
                if key in self.sizes:
                    raise self.error(
                        f"a {key}imum size is given twice", position, QueryProblem.BAD_SIZE
                    )
                self.sizes[key] = bound

    def finish(self) -> Query:
        after, before = self.dates.get("after"), self.dates.get("before")
        filters = Filters(
            kinds=frozenset(self.kinds),
            folders=tuple(self.folders),
            after=after,
            before=before,
            min_size=self.sizes.get("min"),
            max_size=self.sizes.get("max"),
            place=self.place,
        )
        self.parts.extend(self.examples)
        if not self.parts and filters == Filters():
            raise self.error(
                "nothing to search for: give text, an example file or a filter",
                0,
                QueryProblem.NOTHING_TO_SEARCH,
            )
        if self.parts and not any(part.weight > 0 for part in self.parts):
            raise self.error(
                "every part is subtracted: add something to look for",
                0,
                QueryProblem.ALL_SUBTRACTED,
            )
        return Query(tuple(self.parts), filters)


def _looks_like_path(word: str) -> bool:
    return "/" in word or "." in word or word.startswith("~") or "\\" in word


def _readable(text: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", text)


def _seconds(text: str) -> float:
    total = 0.0
    for piece in text.split(":"):
        total = total * 60 + float(piece)
    if not math.isfinite(total):
        raise ValueError(f"time {text[:10]}... is too large")
    return total


def seconds(text: str) -> float:
    """A time as a person types it: ``90``, ``2.5``, ``1:30`` or ``1:00:00``; else ValueError."""
    if not re.fullmatch(_TIME, text):
        raise ValueError(f"{text!r} is not a time (seconds, mm:ss or h:mm:ss)")
    return _seconds(text)


def time_range(span: str) -> tuple[float, float | None]:
    """``START-END``, or ``START-`` for "to the end", each read by :func:`seconds`."""
    match = _RANGE.fullmatch(span)
    if match is None:
        raise ValueError(f"time range {span!r} is not START-END (seconds, mm:ss or h:mm:ss)")
    start = _seconds(match.group(1))
    end = None if match.group(2) is None else _seconds(match.group(2))
    check_range(start, end)
    return start, end


def check_range(start: float, end: float | None) -> None:
    """ValueError unless ``end``, when there is one, comes after ``start``."""
    if end is not None and end <= start:
        raise ValueError(f"time range ends ({end:g} s) before it starts")


def split_example(text: str, is_file: Callable[[str], bool]) -> tuple[str, str | None] | None:
    """The file that ``PATH`` or ``PATH@START-END`` names, and the range after the last ``@``
    where there is one: the whole text wins when a file has that name; ``None`` when neither
    names a file."""
    if is_file(text):
        return text, None
    name, at, span = text.rpartition("@")
    if at and name and is_file(name):
        return name, span
    return None


def parse(
    query: str,
    base: Path | None = None,
    is_file: Callable[[Path], bool] = Path.is_file,
    examples: Sequence[ExamplePart] = (),
) -> Query:
    """Read a query string; relative paths are taken from ``base`` (default: the working
    folder). ``is_file`` decides whether a bare word names an example (tests pass a fake).
    ``examples`` are files given apart from the text, as typed values (the command line's
    ``--like``, whose names are never read as query language): they follow the text's parts."""
    folder = base if base is not None else Path.cwd()
    return _Parser(query, folder, is_file, examples).run()

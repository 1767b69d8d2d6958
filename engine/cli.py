"""``trove``: Trove from the command line.

    trove add FOLDER [--exclude GLOB]...     watch a folder
    trove remove FOLDER                      forget a folder and its index
    trove index [--watch]                    bring the index up to date (and keep it so)
    trove search QUERY | --like FILE [--from T --to T] [--kind K] [--limit N] [--json]
    trove list [FILTERS] [--kind K] [--limit N] [--offset N] [--oldest] [--json]
                                             the files a filter chooses, newest first
    trove duplicates [--json]                exact copies and near-duplicates, in groups
    trove status                             counts per kind, files that could not be read
    trove doctor                             execution providers, model pack, index health
    trove repair                             rebuild a damaged catalog, index what was lost
    trove rebuild --library URI              make a Milvus library's collections again
    trove demo [FOLDER]                      index the demo folder and search it

Every command but ``repair`` takes ``--library URI``: where the vectors are searched. FAISS files
in the data folder by default; ``FILE.db`` a Milvus Lite file; ``http(s)://host:port`` a Milvus
server or cluster, its token read from the OS keyring or ``--token-file`` (a file only its owner
may read). The catalog in the data folder stays the source of truth either way.

A library another machine's Trove writes (a NAS that indexes the family's photos) is *shared*:
``trove search --library http://nas:19530`` searches it from here without writing anything to
it, its hits rendered from what the library keeps, and ``--map /srv/photos=/Volumes/photos``
(repeatable) says where its folders are mounted here, so the paths printed open here;
``trove doctor --library URI`` checks it. ``add`` and ``index`` refuse such a library;
``rebuild --take-over`` makes this machine its writer instead, replacing what it holds.

Global options: ``--data-dir DIR`` (default: the user's data folder, or $TROVE_DATA), ``--pack``,
``--device``, ``--threads``, ``--speech-languages en,es`` (the languages the recordings are in:
a short clip's language is then picked among them unless another is much likelier). Exit
codes: 0 ok, 1 no result, 2 bad usage (a malformed query, an example file that cannot serve),
3 engine error; each failure prints one line on stderr.

``search --like FILE`` (repeatable) finds things like a photo, recording, video or note; FILE is
taken literally (spaces, quotes, ``@``, any bytes) and never read as query language. ``--from T``
and ``--to T`` (seconds, mm:ss or h:mm:ss) narrow each example recording or video; so does
``FILE@START-END`` where no file has that whole name but FILE exists. Of an example recording or
video at most 30 s are used (a note says so). ``--limit`` is 1 to 10,000 hits (default 10).

A filter alone (``trove search kind:audio``, ``trove search --kind audio``, ``trove list
after:2024-01-01``) lists the indexed files it chooses, newest first, a page at a time
(``--limit``, ``--offset``); ``--json`` prints ``{"schema", "generation", "query", "total",
"offset", "files": [{"file_id", "path", "kind", "size", "modified", "taken"}]}``; the date
a listing goes by is ``taken`` (from the file's EXIF or tags) where there is one, else ``modified``.

Without a good match, ``search`` prints "no good match — closest:" and the nearest candidates
below the line (exit code 1 still says that nothing was a good match).

``--language zh_CN`` (or ``es``) names tags in that language where the pack has their names
(the printed lines only; the JSON keeps each tag's English ``label``, its identity).

``--json`` prints one object: ``{"schema": 4, "generation", "query", "no_good_match",
"spaces_used", "notes", "hits": [{"file_id", "library" (a shared library's URI, or null), "path",
"kind", "score" (0..1), "strength" (strong, good, weak), "start", "end" (seconds or null), "why":
[{"route", "detail", "start", "end", "score", "label", "probability", "excerpt", "matched",
"asked", "example", "boxes"}]}], "weaker": [hits below the good-match line]}``; routes are
visual, tag, transcript, note, picture-text and sound (:mod:`engine.search.wording` says what
each field means). The schema only grows.

``duplicates`` lists groups of files that are copies of one another: the same bytes, or the
same picture or recording saved again (re-encoded, resized, lightly cropped); the largest file
of each group first. Trove deletes nothing. ``--json`` prints ``{"schema", "generation",
"groups": [{"likeness" (exact, near), "similarity", "extra_bytes", "files": [as list
prints them]}]}``.

The engine is imported by the commands, not here: ``trove --help`` and a usage error load no
ONNX Runtime, FAISS, PyAV or NumPy, and a search loads what the search needs (see
BENCHMARKS.md, "Start-up").
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from engine.errors import EngineError, Problem, QueryError
from engine.inference.devices import Device
from engine.privacy import restrict_new_files

if TYPE_CHECKING:
    from engine.facade import Library, LibraryReport, SharedLibraryInfo, Trove
    from engine.inference.tagnames import TagNames
    from engine.scan.pipeline import Progress, RunSummary
    from engine.search.query import ExamplePart, Query
    from engine.search.results import SearchResult

OK, NO_RESULT, BAD_USAGE, ENGINE_ERROR = 0, 1, 2, 3
# What `trove demo` asks: photos, sounds, recordings, the video's spoken track, and a Spanish
# and a Chinese query for the Spanish and Chinese voice memos (tests/media.py _DEMO_MEMOS).
DEMO_QUERIES = (
    "a cat",
    "an elephant",
    "coffee",
    "the budget on Thursday",
    "a jet plane",
    "the visit to the space museum",
    "el viaje a la playa",
    "去北京旅行",
)
KINDS = ("photo", "audio", "video", "note")
TAG_LANGUAGES = ("en", "zh_CN", "es")  # the UI's languages (desktop/i18n.py SHIPPED)
MAX_LIMIT = 10_000  # hits one search may ask for


class UsageError(ValueError):
    """Options that cannot go together (``--from`` without ``--like``...): exit 2, one line."""


class _OneLineParser(argparse.ArgumentParser):
    """A usage error is one line, like every other failure (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(BAD_USAGE, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="trove", description="Search your media by meaning.")
    parser.add_argument("--data-dir", type=Path, help="where the index lives")
    parser.add_argument("--pack", type=Path, help="model pack folder (default: found)")
    parser.add_argument("--device", choices=[d.value for d in Device], default="auto")
    parser.add_argument("--threads", type=int, default=0, help="inference threads (0: auto)")
    parser.add_argument(
        "--speech-languages",
        type=_codes,
        default=(),
        metavar="CODES",
        help="languages your recordings are in, as en,es,zh: short clips are heard in them",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    where = _OneLineParser(add_help=False)
    where.add_argument("--library", metavar="URI", help="FILE.db or http(s)://host:port")
    where.add_argument("--token-file", type=Path, metavar="FILE", help="a Milvus server's token")
    where.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="THERE=HERE",
        help="a shared library's folder THERE is mounted HERE on this machine",
    )

    add = commands.add_parser("add", parents=[where], help="watch a folder")
    add.add_argument("folder", type=Path)
    add.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    remove = commands.add_parser("remove", parents=[where], help="forget a folder")
    remove.add_argument("folder", type=Path)
    index = commands.add_parser("index", parents=[where], help="bring the index up to date")
    index.add_argument("--watch", action="store_true", help="then keep it current until Ctrl-C")

    search = commands.add_parser("search", parents=[where], help="search by text or by example")
    search.add_argument("query", nargs="?", default="")
    search.add_argument(
        "--like",
        action="append",
        default=[],
        type=_example,
        metavar="FILE",
        help="a file to find things like; its name is taken as it is",
    )
    search.add_argument("--from", dest="start", type=_time, metavar="T", help="seconds or mm:ss")
    search.add_argument("--to", dest="end", type=_time, metavar="T", help="seconds or mm:ss")
    search.add_argument("--kind", action="append", choices=KINDS, default=[])
    search.add_argument("--limit", type=_limit, default=10, metavar="N", help="1 to 10,000")
    search.add_argument("--json", action="store_true")
    search.add_argument(
        "--language",
        choices=TAG_LANGUAGES,
        default="en",
        help="tags in this language (the pack's label files); English by default",
    )

    listing = commands.add_parser(
        "list", parents=[where], help="list the files a filter chooses, newest first"
    )
    listing.add_argument("query", nargs="?", default="", help='filters: kind:audio in:"~/Music"')
    listing.add_argument("--kind", action="append", choices=KINDS, default=[])
    listing.add_argument("--limit", type=_limit, default=50, metavar="N", help="1 to 10,000")
    listing.add_argument("--offset", type=_offset, default=0, metavar="N", help="files to skip")
    listing.add_argument("--oldest", action="store_true", help="oldest first")
    listing.add_argument("--json", action="store_true")

    duplicates = commands.add_parser(
        "duplicates", parents=[where], help="exact copies and near-duplicates"
    )
    duplicates.add_argument("--json", action="store_true")
    commands.add_parser("status", parents=[where], help="counts and unreadable files")
    commands.add_parser(
        "doctor", parents=[where], help="execution providers, model pack, index health"
    )
    commands.add_parser("repair", help="rebuild a damaged catalog, then index what was lost")
    rebuild = commands.add_parser("rebuild", parents=[where], help="make a Milvus library again")
    rebuild.add_argument(
        "--take-over",
        action="store_true",
        help="make this machine the writer of a library another machine writes",
    )
    demo = commands.add_parser("demo", parents=[where], help="index the demo folder and search it")
    demo.add_argument("folder", type=Path, nargs="?")
    return parser


@dataclass(frozen=True)
class _Page:
    limit: int
    offset: int = 0
    oldest: bool = False


class ProgressLine:
    """A one-line progress bar on stderr, redrawn at most every 0.2 s."""

    def __init__(self) -> None:
        self._last = 0.0
        self._lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def __call__(self, progress: Progress) -> None:
        from engine.scan.pipeline import RunState

        now = time.monotonic()
        final = progress.state in (RunState.DONE, RunState.CANCELLED)
        with self._lock:
            if not final and now - self._last < 0.2:
                return
            self._last = now
        if progress.state is RunState.POLLING and progress.message:
            print(f"trove: {progress.message}", file=sys.stderr)
        if not self.tty and not final:
            return
        total = max(progress.files_total, 1)
        filled = int(24 * progress.files_done / total)
        eta = f", {progress.eta:.0f} s left" if progress.eta is not None else ""
        line = (
            f"[{'#' * filled}{'.' * (24 - filled)}] {progress.files_done}/{progress.files_total}"
            f" files, {progress.items} items, {progress.rate:.1f} files/s{eta}"
        )
        end = "\n" if final else ""
        print(f"\r{line[:110]:110}", end=end, file=sys.stderr, flush=True)


def _summary(summary: RunSummary) -> str:
    parts = [f"{summary.indexed} indexed", f"{summary.failed} failed"]
    parts += [
        f"{count} {name}"
        for name, count in (
            ("moved", summary.moved),
            ("copied", summary.copied),
            ("deleted", summary.deleted),
        )
        if count
    ]
    return f"{', '.join(parts)} in {summary.seconds:.1f} s"


def _limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_LIMIT:,}, got {limit}")
    return limit


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(code.strip().lower() for code in text.split(",") if code.strip())
    if not codes:
        raise argparse.ArgumentTypeError("no language codes (e.g. en,es,zh)")
    return codes


def _unheard(codes: Sequence[str], pack: Path | None) -> str | None:
    """What to say where a --speech-languages code is none the pack's speech model knows."""
    from engine.facade import speech_languages

    known = speech_languages(pack)
    unknown = [code for code in codes if code not in known]
    if not unknown:
        return None
    if not known:
        return "trove: --speech-languages: this model pack's speech model detects no languages"
    return (
        f"trove: --speech-languages: no language {', '.join(map(repr, unknown))} "
        f"(the speech model knows {', '.join(known)})"
    )


def _time(text: str) -> float:
    from engine.search.query import seconds

    try:
        return seconds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _example(text: str) -> ExamplePart:
    """A --like file by its name as given; ``FILE@START-END`` is a range only where no file has
    the whole name and FILE exists. A missing file is left for the search to name."""
    from engine.search.query import ExamplePart, split_example, time_range

    name, span = split_example(text, lambda name: Path(name).is_file()) or (text, None)
    if span is None:
        return ExamplePart(Path(name))
    try:
        start, end = time_range(span)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error}") from None
    return ExamplePart(Path(name), start=start, end=end)


def _examples(args: argparse.Namespace) -> list[ExamplePart]:
    """The --like files, each narrowed by --from/--to where those are given."""
    from engine.search.query import check_range

    if args.start is None and args.end is None:
        return list(args.like)
    if not args.like:
        raise UsageError("--from and --to narrow a --like recording or video: give one")
    start = 0.0 if args.start is None else args.start
    try:
        check_range(start, args.end)
    except ValueError as error:
        raise UsageError(f"--from/--to: {error}") from None
    for part in args.like:
        if part.start is not None:
            raise UsageError(f"{part.path}: its time range is given twice (@ and --from/--to)")
    return [replace(part, start=start, end=args.end) for part in args.like]


def _query(args: argparse.Namespace, examples: Sequence[ExamplePart]) -> Query:
    """The text read as query language; the examples and kinds as the typed values they are."""
    from engine.catalog.records import FileKind
    from engine.search.query import Filters, Query, parse

    kinds = frozenset(FileKind(kind) for kind in args.kind)
    if not args.query and not examples and kinds:
        return Query((), Filters(kinds=kinds))  # --kind alone: a browse
    query = parse(args.query, examples=examples)
    return replace(query, filters=replace(query.filters, kinds=query.filters.kinds | kinds))


def _said(args: argparse.Namespace, examples: Sequence[ExamplePart]) -> str:
    """The search in one line, for the output: its text, then its examples and kinds."""
    words = [args.query] if args.query else []
    words += [part.format() for part in examples]
    words += [f"kind:{kind}" for kind in args.kind]
    return " ".join(words)


def _json_line(value: object) -> str:
    """JSON as UTF-8 text, except that the lone surrogates of a non-UTF-8 file name are written
    as ``\\udcXX`` escapes: the output stays valid UTF-8, and ``os.fsencode(json.loads(...))``
    gives back the name's exact bytes."""
    from engine.search.query import LONE_SURROGATE

    text = json.dumps(value, ensure_ascii=False)
    return LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _print_result(
    query: str, result: SearchResult, as_json: bool, names: TagNames | None = None
) -> None:
    from engine.search.wording import hit_line, result_json

    if as_json:
        print(_json_line({"query": query, **result_json(result)}))
        return
    if result.no_good_match:
        print(f'"{query}": no good match' + (" \u2014 closest:" if result.weaker else ""))
    for rank, hit in enumerate(result.hits or result.weaker, 1):
        print(hit_line(rank, hit, names=names) if names else hit_line(rank, hit))
    for note in result.notes:
        print(f"     ({note})")


def _list(trove: Trove, query: Query, said: str, page: _Page, as_json: bool) -> int:
    """The files a filter alone chooses, newest first (``trove list``, or a search with
    nothing but filters)."""
    from engine.search.browse import Order
    from engine.search.wording import listed_line, listing_json

    offset = page.offset
    order = Order.OLDEST if page.oldest else Order.NEWEST
    listing = trove.browse(query.filters, offset, page.limit, order)
    if as_json:
        print(_json_line({"query": said, **listing_json(listing)}))
    else:
        for rank, listed in enumerate(listing.files, offset + 1):
            print(listed_line(rank, listed))
        shown = f"{offset + 1}-{offset + len(listing.files)}" if listing.files else "none"
        more = f" (--offset {offset + len(listing.files)} for more)" if listing.more else ""
        print(f"     files {shown} of {listing.total}{more}")
    return OK if listing.files else NO_RESULT


def _duplicates(trove: Trove, as_json: bool) -> int:
    from engine.search.wording import duplicates_json, group_lines

    generation = trove.generation()
    groups = trove.duplicates()
    if as_json:
        print(_json_line(duplicates_json(groups, generation)))
        return OK if groups else NO_RESULT
    for number, group in enumerate(groups, 1):
        print("\n".join(group_lines(number, group)))
    print(f"     {len(groups)} groups of duplicates" if groups else "no duplicates found")
    return OK if groups else NO_RESULT


def _index(trove: Trove, watch: bool) -> int:
    if watch:
        trove.start_watching()
        print("watching; Ctrl-C stops", file=sys.stderr)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            trove.stop_watching()
        return OK
    summary = trove.index()
    print(_summary(summary))
    for path, reason in summary.failures:
        print(f"  could not read {path}: {reason}")
    for unreadable in summary.unreadable:
        print(f"  could not read {unreadable.path}: {unreadable.reason}")
    return OK


def _status(trove: Trove) -> int:
    status = trove.status()
    for root in status.folders:
        state = "" if root.online else "  (offline: drive not present)"
        print(f"folder {root.path}{state}")
    for name, count in sorted(status.counts.items()):
        print(f"  {name:24} {count}")
    for space, (_, indexed) in status.spaces.items():
        print(f"  vectors in {space:21} {indexed}")
    for failure in status.failures:
        print(f"  could not read {failure.path}: {failure.reason}")
    return OK


def _doctor(trove: Trove, pack: Path | None) -> int:
    import onnxruntime as ort

    from engine.inference.pack import candidates
    from models.manifest import verify_files

    placement = trove.placement
    print(f"onnxruntime {ort.__version__}: {', '.join(ort.get_available_providers())}")
    print(f"device: {placement.device.value} ({placement.reason}), threads {placement.threads}")
    print("packs looked for in: " + ", ".join(str(path) for path in candidates(pack)))
    manifest = trove.manifest
    verify_files(manifest)  # every byte, whatever the memo of earlier runs vouches for
    print(f"pack {manifest.name} {manifest.version} at {manifest.root}: every hash ok")
    for entry in manifest.models:
        size = sum(ref.bytes for ref in entry.files.values()) / 1e6
        print(f"  {entry.id:26} {entry.task.value:10} {size:7.1f} MB  {entry.licence}")
    if manifest.calibration:
        print(f"good-match lines: fitted for {len(manifest.calibration)} routes of this pack")
    else:
        print("good-match lines: none fitted for this pack; searches use cautious defaults")
    print(f"data: {trove.data_dir}")
    problems = trove.integrity()
    if problems:
        print(f"catalog: damaged ({'; '.join(problems[:3])})")
        print("  run `trove repair`: it keeps what can be read and indexes the rest again")
        return ENGINE_ERROR
    print("catalog: passes SQLite's integrity check")
    backup = trove.last_backup()
    if backup is None:
        print("backup: none yet (one is kept daily)")
    else:
        taken = time.strftime("%Y-%m-%d %H:%M", time.localtime(backup.stat().st_mtime))
        print(f"backup: {backup} (taken {taken})")
    return _doctor_library(trove)


def _doctor_library(trove: Trove) -> int:
    """Where the vectors are searched, and whether they are in step with the catalog."""
    report = trove.library_report()
    if report is None:
        print(f"library: FAISS files in {trove.data_dir}")
    else:
        print(f"library: {report.backend.value} {report.uri}, Milvus {report.version}")
        for space, rows in report.collections.items():
            print(f"  collection of {space:21} {rows} rows")
        _print_words(report)
        if report.undelivered:
            print(f"  {report.undelivered} changes wait in the catalog's outbox")
    status = trove.status()
    for space, (stored, indexed) in status.spaces.items():
        print(f"  {space:26} {stored} vectors in the catalog, {indexed} in the index")
    if not status.consistent and report is not None:
        print("index: out of step with the catalog; `trove rebuild --library URI` mends it")
        return ENGINE_ERROR
    if not status.consistent:
        print("index: out of step with the catalog; it is rebuilt on the next start")
        return ENGINE_ERROR
    print(f"index: {len(status.spaces)} spaces, consistent with the catalog")
    return OK


def _demo(trove: Trove, folder: Path) -> int:
    trove.add_folder(folder)
    print(f"indexing the demo folder {folder}", file=sys.stderr)
    print(_summary(trove.index()))
    found = False
    for query in DEMO_QUERIES:
        result = trove.search(query, limit=3)
        found = found or bool(result.hits)
        print(f'\n"{query}"')
        _print_result(query, result, as_json=False)
    return OK if found else NO_RESULT


def _repair(args: argparse.Namespace) -> int:
    from engine.catalog.health import describe
    from engine.facade import Trove, repair_catalog

    report = repair_catalog(args.data_dir)
    for line in describe(report):
        print(line)
    if report.healthy:
        return OK
    with Trove(
        args.data_dir,
        args.pack,
        args.device,
        args.threads,
        ProgressLine(),
        spoken_languages=args.speech_languages,
    ) as trove:
        print(f"indexing again: {_summary(trove.index())}")
    return OK


# What a shared library (another machine writes it) answers from here, and what only the
# machine that writes a library can answer (its catalog holds the files).
SHARED_COMMANDS = frozenset({"search", "doctor"})
WRITER_ONLY = frozenset({"list", "duplicates", "status"})


def _shared(args: argparse.Namespace, data: Path | None, library: Library) -> int:
    """``search`` or ``doctor`` of a library another machine writes: attached read-only."""
    from engine.facade import PathMapping, Trove

    if args.command in WRITER_ONLY:
        print(
            f"trove: {library.uri} is written by another machine's Trove: from here it can be "
            f"searched (trove search --library {library.uri}) and checked (trove doctor); "
            f"{args.command} answers on the machine that indexes it",
            file=sys.stderr,
        )
        return BAD_USAGE
    mapping = PathMapping.parse(args.map)
    with Trove(data, args.pack, args.device, args.threads) as trove:
        info = trove.attach_library(library, mapping)
        if args.command == "doctor":
            return _doctor_shared(trove, info)
        asked = _search_query(args)
        if asked is None:
            return BAD_USAGE
        query, said = asked
        if query.browsing:
            print(
                f"trove: a filter alone lists files, which {library.uri} cannot do from here: "
                "add words or --like FILE to search it",
                file=sys.stderr,
            )
            return BAD_USAGE
        result = trove.search(query, limit=args.limit, libraries=[library.uri])
        _print_result(said, result, args.json, trove.tag_names(args.language))
        return OK if result.hits else NO_RESULT


def _search_query(args: argparse.Namespace) -> tuple[Query, str] | None:
    """What ``search`` asks, and how it is said back; None (said on stderr) for nothing."""
    examples = _examples(args)
    if not args.query and not examples and not args.kind:
        print("trove: search needs a query, --like FILE or a filter", file=sys.stderr)
        return None
    return _query(args, examples), _said(args, examples)


def _print_words(report: LibraryReport) -> None:
    if report.words is None:
        print("  no words kept (full-text search needs Milvus Lite or a server from 2.5)")
    else:
        print(f"  words of {report.words} note chunks, transcript lines and file names")


def _doctor_shared(trove: Trove, info: SharedLibraryInfo) -> int:
    report = trove.shared_report(info.uri)
    print(f"library: shared, {report.backend.value} {report.uri}, Milvus {report.version}")
    print(f"  written by another machine; its folders: {', '.join(info.folders) or 'none yet'}")
    for there, here in info.mapping.pairs:
        print(f"  {there} is mounted here at {here}")
    for space, rows in report.collections.items():
        print(f"  {space:26} {rows} vectors")
    _print_words(report)
    if info.missing:
        print(f"  not searchable with this model pack: {', '.join(info.missing)}")
    return OK


def run(args: argparse.Namespace) -> int:
    from engine.datadir import demo_data_dir, demo_folder
    from engine.facade import Library, Trove, library_writer

    if args.speech_languages and (unheard := _unheard(args.speech_languages, args.pack)):
        print(unheard, file=sys.stderr)
        return BAD_USAGE
    if args.command == "repair":
        return _repair(args)
    data = args.data_dir
    if args.command == "demo":
        args.folder = args.folder or demo_folder()
        if not args.folder.is_dir():
            print(f"trove: no demo folder at {args.folder} (./dev demo makes one)", file=sys.stderr)
            return BAD_USAGE
        data = data or demo_data_dir()
    library = Library.parse(args.library, args.token_file)
    if library.is_milvus and args.command in SHARED_COMMANDS | WRITER_ONLY:
        if library_writer(data) != library.uri:  # another machine writes it: read it
            return _shared(args, data, library)
    with Trove(
        data,
        args.pack,
        args.device,
        args.threads,
        on_progress=ProgressLine(),
        library=library,
        take_over=args.command == "rebuild" and args.take_over,
        spoken_languages=args.speech_languages,
    ) as trove:
        if trove.made_private:
            print(
                f"trove: made {trove.data_dir} private to you: other accounts could read "
                f"{len(trove.made_private)} of its files and folders",
                file=sys.stderr,
            )
        if args.command == "add":
            root = trove.add_folder(args.folder, args.exclude)
            print(f"watching {root.path}; run `trove index` to index it")
            return OK
        if args.command == "remove":
            count = trove.remove_folder(args.folder)
            print(f"forgot {args.folder} ({count} vectors)")
            return OK
        if args.command == "index":
            return _index(trove, args.watch)
        if args.command == "search":
            asked = _search_query(args)
            if asked is None:
                return BAD_USAGE
            query, said = asked
            if query.browsing:
                return _list(trove, query, said, _Page(args.limit), args.json)
            result = trove.search(query, limit=args.limit)
            _print_result(said, result, args.json, trove.tag_names(args.language))
            return OK if result.hits else NO_RESULT
        if args.command == "list":
            query = _query(args, [])
            if not query.browsing:
                print(
                    "trove: list takes filters only (kind:, in:, after:...); search for words",
                    file=sys.stderr,
                )
                return BAD_USAGE
            page = _Page(args.limit, args.offset, args.oldest)
            return _list(trove, query, _said(args, []), page, args.json)
        if args.command == "duplicates":
            return _duplicates(trove, args.json)
        if args.command == "status":
            return _status(trove)
        if args.command == "doctor":
            return _doctor(trove, args.pack)
        if args.command == "rebuild":
            built = trove.rebuild_library()
            for space, rows in built.items():
                print(f"  {space:26} {rows} vectors in {trove.library.uri}")
            print(f"rebuilt {len(built)} collections from the catalog")
            return OK
        return _demo(trove, args.folder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return BAD_USAGE if exit_.code else OK
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    restrict_new_files()  # the catalog, its side files, indexes and backups: 0600 in 0700
    # Text output prints a non-UTF-8 file name as its own bytes, as ls does, instead of failing
    # under a strict UTF-8 locale (the usual desktop one); --json escapes them instead.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    return _run_reporting(args, program=argv is None)


@contextmanager
def _importing_the_engine(program: bool) -> Iterator[None]:
    """How the `trove` program imports the engine (a caller that runs ``main`` in its own
    process keeps its settings):

    - NumPy's OpenBLAS with one thread: it starts a thread per core that spins for its first
      0.1 s, a core taken from the command on two cores. Trove does no large matrix work in
      NumPy (ONNX Runtime and FAISS keep threads of their own); an explicit setting stands.
    - The cyclic garbage collector paused, then what the imports made frozen: those objects live
      as long as the process, and the collector's passes over them, while importing and again
      at exit, took 40 ms of a search on two cores.
    """
    if not program:
        yield
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _run_reporting(args: argparse.Namespace, program: bool) -> int:
    """Run the command; a failure is one line on stderr and its exit code."""
    with _importing_the_engine(program):
        from engine.datadir import DataDirError
        from engine.facade import FolderError, MappingError
        from engine.inference.session import InferenceError
        from engine.media.errors import MediaError
        from models.manifest import PackError

    try:
        return run(args)
    except (QueryError, UsageError, FolderError, DataDirError, MappingError) as error:  # theirs
        print(f"trove: {error}", file=sys.stderr)
        return BAD_USAGE
    except EngineError as error:
        hint = ": run `trove repair`" if error.problem is Problem.DAMAGED else ""
        print(f"trove: {error}{hint}", file=sys.stderr)
        return ENGINE_ERROR
    except (PackError, InferenceError, MediaError, OSError) as error:
        print(f"trove: {error}", file=sys.stderr)
        return ENGINE_ERROR


if __name__ == "__main__":
    sys.exit(main())

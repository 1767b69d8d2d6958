"""``trove``: Trove from the command line.

    trove add FOLDER [--exclude GLOB]...     watch a folder
    trove remove FOLDER                      forget a folder and its index
    trove index [--watch]                    bring the index up to date (and keep it so)
    trove search QUERY | --like FILE[@START-END] [--kind K] [--limit N] [--json]
    trove status                             counts per kind, files that could not be read
    trove doctor                             execution providers, model pack, index health
    trove demo [FOLDER]                      index the demo folder and search it

Global options: ``--data-dir DIR`` (default: the user's data folder, or $TROVE_DATA), ``--pack``,
``--device``, ``--threads``. Exit codes: 0 ok, 1 no result, 2 bad usage, 3 engine error; each
failure prints one line on stderr.

``--json`` prints one object: ``{"query", "no_good_match", "spaces_used", "notes", "hits": [{"path",
"kind", "score" (0..1), "start", "end" (seconds or null), "why": [{"route", "detail", "start",
"end"}]}]}``; routes are visual, tag, transcript, note and sound. The schema only grows.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from engine.catalog.records import CatalogError
from engine.datadir import DataDirError, demo_data_dir, demo_folder
from engine.facade import FolderError, Trove
from engine.inference.pack import candidates
from engine.inference.providers import Device, DeviceUnavailableError
from engine.inference.session import InferenceError
from engine.media.errors import MediaError
from engine.scan.pipeline import Progress, RunState, RunSummary
from engine.search.query import ParseError
from engine.search.results import SearchResult
from models.manifest import PackError

OK, NO_RESULT, BAD_USAGE, ENGINE_ERROR = 0, 1, 2, 3
DEMO_QUERIES = ("a cat", "an elephant", "coffee", "the budget on Thursday", "a jet plane")
KINDS = ("photo", "audio", "video", "note")
# A name that is not UTF-8 reaches Python as os.fsdecode makes it: its bad bytes as lone surrogates.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trove", description="Search your media by meaning.")
    parser.add_argument("--data-dir", type=Path, help="where the index lives")
    parser.add_argument("--pack", type=Path, help="model pack folder (default: found)")
    parser.add_argument("--device", choices=[d.value for d in Device], default="auto")
    parser.add_argument("--threads", type=int, default=0, help="inference threads (0: auto)")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="watch a folder")
    add.add_argument("folder", type=Path)
    add.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    remove = commands.add_parser("remove", help="forget a folder")
    remove.add_argument("folder", type=Path)
    index = commands.add_parser("index", help="bring the index up to date")
    index.add_argument("--watch", action="store_true", help="then keep it current until Ctrl-C")

    search = commands.add_parser("search", help="search by text or by example")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--like", action="append", default=[], metavar="FILE[@START-END]")
    search.add_argument("--kind", action="append", choices=KINDS, default=[])
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--json", action="store_true")

    commands.add_parser("status", help="counts and unreadable files")
    commands.add_parser("doctor", help="execution providers, model pack, index health")
    demo = commands.add_parser("demo", help="index the demo folder and search it")
    demo.add_argument("folder", type=Path, nargs="?")
    return parser


class ProgressLine:
    """A one-line progress bar on stderr, redrawn at most every 0.2 s."""

    def __init__(self) -> None:
        self._last = 0.0
        self._lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def __call__(self, progress: Progress) -> None:
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


def _query_text(args: argparse.Namespace) -> str:
    parts = [args.query] if args.query else []
    parts += [f"like:{shlex.quote(example)}" for example in args.like]
    parts += [f"kind:{kind}" for kind in args.kind]
    return " ".join(parts)


def _json_line(value: object) -> str:
    """JSON as UTF-8 text, except that the lone surrogates of a non-UTF-8 file name are written
    as ``\\udcXX`` escapes: the output stays valid UTF-8, and ``os.fsencode(json.loads(...))``
    gives back the name's exact bytes."""
    text = json.dumps(value, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _print_result(query: str, result: SearchResult, as_json: bool) -> None:
    if as_json:
        print(_json_line({"query": query, **result.to_json()}))
        return
    if result.no_good_match:
        print(f'"{query}": no good match')
    for rank, hit in enumerate(result.hits, 1):
        when = f" @ {hit.start:.1f}-{hit.end:.1f} s" if hit.start is not None and hit.end else ""
        why = "; ".join(reason.detail for reason in hit.why[:2])
        print(f"{rank:3}. {hit.score:4.2f}  {hit.path}{when}  [{why}]")
    for note in result.notes:
        print(f"     ({note})")


def _index(trove: Trove, watch: bool) -> int:
    if watch:
        watcher = trove.watcher(on_status=ProgressLine())
        watcher.start()
        print("watching; Ctrl-C stops", file=sys.stderr)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            watcher.stop()
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
    placement = trove.placement
    print(f"onnxruntime {ort.__version__}: {', '.join(ort.get_available_providers())}")
    print(f"device: {placement.device.value} ({placement.reason}), threads {placement.threads}")
    print("packs looked for in: " + ", ".join(str(path) for path in candidates(pack)))
    manifest = trove.manifest
    print(f"pack {manifest.name} {manifest.version} at {manifest.root}: every hash ok")
    for entry in manifest.models:
        size = sum(ref.bytes for ref in entry.files.values()) / 1e6
        print(f"  {entry.id:26} {entry.task.value:10} {size:7.1f} MB  {entry.licence}")
    print(f"data: {trove.data_dir}")
    status = trove.status()
    for space, (stored, indexed) in status.spaces.items():
        print(f"  {space:26} {stored} vectors in the catalog, {indexed} in the index")
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


def run(args: argparse.Namespace) -> int:
    data = args.data_dir
    if args.command == "demo":
        args.folder = args.folder or demo_folder()
        if not args.folder.is_dir():
            print(f"trove: no demo folder at {args.folder} (./dev demo makes one)", file=sys.stderr)
            return BAD_USAGE
        data = data or demo_data_dir()
    with Trove(data, args.pack, args.device, args.threads, on_progress=ProgressLine()) as trove:
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
            query = _query_text(args)
            if not query:
                print("trove: search needs a query or --like FILE", file=sys.stderr)
                return BAD_USAGE
            result = trove.search(query, limit=args.limit)
            _print_result(query, result, args.json)
            return OK if result.hits else NO_RESULT
        if args.command == "status":
            return _status(trove)
        if args.command == "doctor":
            return _doctor(trove, args.pack)
        return _demo(trove, args.folder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return BAD_USAGE if exit_.code else OK
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    # Text output prints a non-UTF-8 file name as its own bytes, as ls does, instead of failing
    # under a strict UTF-8 locale (the usual desktop one); --json escapes them instead.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    try:
        return run(args)
    except (ParseError, FolderError, DataDirError) as error:
        print(f"trove: {error}", file=sys.stderr)
        return BAD_USAGE
    except (
        PackError,
        DeviceUnavailableError,
        InferenceError,
        MediaError,
        CatalogError,
        OSError,
    ) as error:
        print(f"trove: {error}", file=sys.stderr)
        return ENGINE_ERROR


if __name__ == "__main__":
    sys.exit(main())

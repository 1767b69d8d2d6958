"""``trove``: the command line.

    trove demo [FOLDER] [--query TEXT]... [--like FILE]...
    trove doctor

Global options pick the model pack and the device. Exit codes: 0 ok, 1 no result,
2 bad usage, 3 engine error; each failure prints one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from engine.demo import DEFAULT_QUERIES, Collection, Hit, Kind, default_demo_folder, describe
from engine.inference.models import ModelSet
from engine.inference.pack import candidates, open_pack
from engine.inference.providers import Device, DeviceUnavailableError, choose
from engine.inference.session import InferenceError
from engine.media.errors import MediaError
from models.manifest import PackError

OK, NO_RESULT, BAD_USAGE, ENGINE_ERROR = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trove", description="Search your media by meaning.")
    parser.add_argument("--pack", type=Path, help="model pack folder (default: found)")
    parser.add_argument("--device", choices=[d.value for d in Device], default="auto")
    parser.add_argument("--threads", type=int, default=0, help="inference threads (0: auto)")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="embed a folder in memory and query it")
    demo.add_argument("folder", type=Path, nargs="?", help="default: the demo folder")
    demo.add_argument("--query", action="append", help="text query (repeatable)")
    demo.add_argument("--like", type=Path, action="append", help="query by example (repeatable)")
    demo.add_argument("--limit", type=int, default=3)

    commands.add_parser("doctor", help="execution providers and model pack health")
    return parser


def _show(title: str, hits: Sequence[Hit], root: Path) -> None:
    print(f"\n{title}")
    if not hits:
        print("  no match")
    for rank, hit in enumerate(hits, 1):
        when = f" @ {hit.start:.1f}-{hit.end:.1f} s" if hit.start is not None else ""
        name = hit.path.relative_to(root) if hit.path.is_relative_to(root) else hit.path
        print(f"  {rank}. {hit.score:5.3f}  {name}{when}  [{hit.why}]")


def run_demo(args: argparse.Namespace) -> int:
    folder: Path = args.folder or default_demo_folder()
    if not folder.is_dir():
        print(f"trove: no folder at {folder}", file=sys.stderr)
        return BAD_USAGE
    manifest = open_pack(args.pack)
    models = ModelSet(manifest, choose(args.device, args.threads))
    started = time.perf_counter()
    collection = Collection(models)
    collection.add_folder(folder)
    elapsed = time.perf_counter() - started
    print(f"Trove demo on {folder} with pack {manifest.name} {manifest.version}")
    print(
        f"read {len(collection.items)} files in {elapsed:.1f} s; {len(collection.skipped)} skipped"
    )
    for kind in Kind:
        for item in collection.by_kind(kind):
            print(f"  {kind.value:5}  {item.path.relative_to(folder)}: {describe(item)}")
    for skipped in collection.skipped:
        print(f"  skipped {skipped.path.relative_to(folder)}: {skipped.reason}")

    found = False
    for query in args.query or DEFAULT_QUERIES:
        hits = collection.search_text(query, args.limit)
        found = found or bool(hits)
        _show(f'"{query}"', hits, folder)
    examples = args.like or [
        group[0].path for kind in (Kind.PHOTO, Kind.AUDIO) if (group := collection.by_kind(kind))
    ]
    for example in examples:
        hits = collection.search_like(example, args.limit)
        found = found or bool(hits)
        _show(f"like {example.name}", hits, folder)
    return OK if found else NO_RESULT


def run_doctor(args: argparse.Namespace) -> int:
    placement = choose(args.device, args.threads)
    print(f"onnxruntime {ort.__version__}: {', '.join(ort.get_available_providers())}")
    print(f"device: {placement.device.value} ({placement.reason}), threads {placement.threads}")
    print("packs looked for in: " + ", ".join(str(path) for path in candidates(args.pack)))
    started = time.perf_counter()
    manifest = open_pack(args.pack)
    took = time.perf_counter() - started
    print(
        f"pack {manifest.name} {manifest.version} at {manifest.root}: every hash ok ({took:.1f} s)"
    )
    for entry in manifest.models:
        size = sum(ref.bytes for ref in entry.files.values()) / 1e6
        print(f"  {entry.id:26} {entry.task.value:10} {size:7.1f} MB  {entry.licence}")
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return BAD_USAGE if exit_.code else OK
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    command = {"demo": run_demo, "doctor": run_doctor}[args.command]
    try:
        return command(args)
    except (PackError, DeviceUnavailableError, InferenceError, MediaError) as error:
        print(f"trove: {error}", file=sys.stderr)
        return ENGINE_ERROR


if __name__ == "__main__":
    sys.exit(main())

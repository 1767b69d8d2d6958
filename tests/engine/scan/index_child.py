"""Index a folder into a data dir, as the real engine does; run as a child process by the
crash tests, which kill it part way: ``python -m tests.engine.scan.index_child DATA ROOT PACK
[--held-sound-seconds S --piece-seconds S] [--stall-after-part]``.

``--stall-after-part`` prints ``part committed`` once the first part of a streamed file is
committed and published, then waits there for the kill (a kill between two parts, at a moment
the test knows). Prints one JSON line at the end: seconds, files indexed, peak RSS (MiB)."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

from engine.catalog.catalog import Catalog
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.scan.changes import ChangeKind, IndexChanges
from engine.scan.extract import Extractor, ExtractSettings
from engine.scan.pipeline import Pipeline, PipelineSettings
from engine.scan.scanner import Scanner
from models.manifest import load_manifest


def stall_after_first_part(changes: IndexChanges) -> None:
    """The first part of a streamed file made it searchable (ADDED while still PENDING):
    say so and wait to be killed."""
    if any(change.change is ChangeKind.ADDED for change in changes.files):
        print("part committed", flush=True)
        threading.Event().wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("root", type=Path)
    parser.add_argument("pack", type=Path)
    defaults = ExtractSettings()
    parser.add_argument("--held-sound-seconds", type=float, default=defaults.held_sound_seconds)
    parser.add_argument("--piece-seconds", type=float, default=defaults.piece_seconds)
    parser.add_argument("--stall-after-part", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    args.data.mkdir(parents=True, exist_ok=True)
    settings = ExtractSettings(
        held_sound_seconds=args.held_sound_seconds, piece_seconds=args.piece_seconds
    )
    with Catalog(args.data / "catalog.sqlite3") as catalog:
        if not catalog.roots():
            catalog.add_root(args.root)
        indexes = SpaceIndexes(args.data / "indexes")
        indexes.open(catalog)
        extractor = Extractor(ModelSet(load_manifest(args.pack, verify=False)), settings)
        on_change = stall_after_first_part if args.stall_after_part else None
        pipeline = Pipeline(
            catalog, indexes, extractor, PipelineSettings(batch_files=4), on_change=on_change
        )
        summary = pipeline.run(Scanner(catalog).scan())
        indexes.close()
    report = {
        "seconds": time.monotonic() - started,
        "indexed": summary.indexed,
        "failed": summary.failed,
        "bytes": summary.bytes,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

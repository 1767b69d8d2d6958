"""Index a folder into a data dir, as the real engine does; run as a child process by the
crash test, which kills it part way: ``python -m tests.engine.scan.index_child DATA ROOT PACK``.

Prints one JSON line at the end: seconds, files indexed, peak RSS (MiB)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from engine.catalog.catalog import Catalog
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, PipelineSettings
from engine.scan.scanner import Scanner
from models.manifest import load_manifest


def main(data: Path, root: Path, pack: Path) -> int:
    started = time.monotonic()
    data.mkdir(parents=True, exist_ok=True)
    with Catalog(data / "catalog.sqlite3") as catalog:
        if not catalog.roots():
            catalog.add_root(root)
        indexes = SpaceIndexes(data / "indexes")
        indexes.open(catalog)
        extractor = Extractor(ModelSet(load_manifest(pack, verify=False)))
        pipeline = Pipeline(catalog, indexes, extractor, PipelineSettings(batch_files=4))
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
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))

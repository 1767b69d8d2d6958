"""Child processes for the durability tests: ``python -m tests.engine.catalog.workers CMD PATH``.

They run in their own process so that a test can kill them with SIGKILL or give them a file size
limit without touching the test runner.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog, CatalogError
from engine.catalog.records import FileKind, Item, ItemKind

SPACE = "space-a"
DIM = 64
ITEMS_PER_ROUND = 1500


def round_items(r: int) -> list[Item]:
    """The items written in round ``r``: every one tagged with it, vectors derived from it."""
    vectors = np.random.default_rng(r).standard_normal((ITEMS_PER_ROUND, DIM)).astype(np.float32)
    return [
        Item(kind=ItemKind.TEXT_CHUNK, char_start=i, text=f"round {r}", vectors={SPACE: v})
        for i, v in enumerate(vectors)
    ]


def churn(path: Path, first_round: int) -> None:
    """Rewrite one file's items forever, saying after each commit which round and generation."""
    cat = Catalog(path)
    root = cat.add_root(path.parent / "root")
    f = cat.upsert_file(root.id, "churn.md", 1, 1, "h", FileKind.NOTE)
    r = first_round
    while True:
        cat.replace_items(f.id, round_items(r))
        print(r, cat.generation(), flush=True)
        r += 1


def fill(path: Path) -> None:
    """Write under a file size limit until the catalog refuses, then read it back."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    cat = Catalog(path)
    root = cat.add_root(path.parent / "root")
    f = cat.upsert_file(root.id, "big.md", 1, 1, "big", FileKind.NOTE)
    before = {"counts": cat.counts(), "generation": cat.generation()}
    limit = max(p.stat().st_size for p in path.parent.glob(path.name + "*")) + 256 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    error = None
    for r in range(20):
        try:
            cat.replace_items(f.id, round_items(r))
        except CatalogError as e:
            error = str(e)
            break
    after = {"counts": cat.counts(), "generation": cat.generation()}
    status = cat.file(root.id, "big.md")
    print(json.dumps({"error": error, "before": before, "after": after, "status": str(status)}))


def read_only(path: Path) -> None:
    """Open a catalog that cannot be written, read it, try to write."""
    cat = Catalog(path)
    report: dict[str, object] = {"counts": cat.counts(), "generation": cat.generation()}
    try:
        cat.add_root(path.parent / "elsewhere")
    except CatalogError as e:
        report["error"] = str(e)
    report["roots"] = len(cat.roots())
    print(json.dumps(report))


if __name__ == "__main__":
    command, target = sys.argv[1], Path(sys.argv[2])
    if command == "churn":
        churn(target, int(sys.argv[3]))
    elif command == "fill":
        fill(target)
    elif command == "read-only":
        read_only(target)
    else:
        raise SystemExit(f"unknown command {command}")

"""A process that indexes into a Milvus Lite library and is killed (SIGKILL) at a chosen point:
``python -m tests.engine.index.milvus_child CATALOG LIBRARY_DB POINT``.

POINT ``after-commit``: the catalog has committed new items, Milvus has not been told.
POINT ``after-write``: Milvus has the rows, the catalog's outbox still has their notes.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.outbox import OutboxBatch
from engine.catalog.records import FileKind, Item, ItemKind
from engine.index.library import Library
from engine.index.milvus import MilvusSpaces

SPACE, DIM, FILES, ITEMS = "minilm-l6-v2", 8, 4, 25


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(catalog_path: Path, library_path: Path, point: str) -> None:
    catalog = Catalog(catalog_path)
    spaces = MilvusSpaces(Library.parse(str(library_path)))
    spaces.open(catalog)
    root = catalog.add_root(Path("/home/ann/Notes"))
    rng = np.random.default_rng(7)
    for n in range(FILES):
        record = catalog.upsert_file(root.id, f"note{n}.md", 100, 10**18, f"h{n}", FileKind.NOTE)
        vectors = rng.standard_normal((ITEMS, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        items = [
            Item(kind=ItemKind.TEXT_CHUNK, text=f"chunk {i}", vectors={SPACE: vector})
            for i, vector in enumerate(vectors)
        ]
        result = catalog.replace_items(record.id, items)
        if n < FILES - 1:
            spaces.apply(result)
    if point == "after-commit":
        die()

    def delivered_then_die(batch: OutboxBatch) -> None:
        die()

    catalog.outbox_delivered = delivered_then_die  # type: ignore[method-assign]
    spaces.apply(result)
    raise SystemExit("not killed")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])

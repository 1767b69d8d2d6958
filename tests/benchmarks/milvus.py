"""Milvus backends against FAISS: insert rate, build time, query latency with and without a kind
filter, recall@10 against exact search, memory; same data, same run.

    .venv/bin/python -m tests.benchmarks.milvus [--size 100000] [--backends faiss,lite,server]
                                                [--no-write]

Data: ``tests.benchmarks.latency.Synthetic`` (clustered unit vectors, d=384, the text case), each
vector a kind in turn (photo, audio, video, note: a kind filter keeps a quarter). Every backend
uses Trove's HNSW parameters (M=32, efConstruction=40, ef=256). FAISS is the engine's
``HnswIndex``; it has no filter, so its filtered figure is what the planner does: ask for 4 x k
and keep the kind (recall shows what that loses). Milvus Lite is a ``.db`` file in this
process; the server is the real Milvus 2.3.5 standalone (``tests/engine/index/milvus_server.py``,
in its own network namespace, reached over loopback). Milvus rows are written as Trove writes
them (``upsert`` of full rows, 2,000 at a time); "build s" is from the last write until the
first answered query (flush, index, load). RSS: this process's growth, and for the server also
the server's own resident memory.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.catalog.outbox import VectorRow
from engine.index.base import Ids, Vectors
from engine.index.flat import FlatIndex
from engine.index.hnsw import HnswIndex, HnswParams
from engine.index.library import Library
from engine.index.milvus import Collection, connect, row_of
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.latency import QUERIES, Synthetic, recall, rss_mib
from tests.engine.index.milvus_server import NamespacedMilvus, unshare_refusal

COMMAND = ".venv/bin/python -m tests.benchmarks.milvus"
K = 10
DIM = 384
KINDS = ("photo", "audio", "video", "note")
WRITE_BATCH = 2000
OVERFETCH = 4  # FAISS's filtered search: 4 x k, then the kind kept
DEFAULT_SIZE = 100_000
BACKENDS = ("faiss", "lite", "server")


@dataclass(frozen=True)
class Row:
    backend: str
    insert_per_s: float
    build_s: float
    recall: float
    p50_ms: float
    p95_ms: float
    filtered_recall: float
    filtered_p50_ms: float
    filtered_p95_ms: float
    rss_mib: float
    server_rss_mib: float | None = None


Search = Callable[[Vectors, bool], Ids]  # queries, kind-filtered -> ids


def kind_of(ids: Ids) -> NDArray[np.int64]:
    return ids % len(KINDS)


def exact(data: Synthetic, size: int, queries: Vectors) -> tuple[Ids, Ids]:
    """True top-k ids, of all rows and of photos alone."""
    everything, photos = FlatIndex(DIM), FlatIndex(DIM)
    for ids, vectors in data.batches(size):
        everything.add(ids, vectors)
        keep = kind_of(ids) == 0
        photos.add(ids[keep], vectors[keep])
    return everything.search(queries, K)[1], photos.search(queries, K)[1]


def timed(search: Search, queries: Vectors, filtered: bool) -> tuple[Ids, NDArray[np.float64]]:
    found, times = [], []
    for row in range(len(queries)):
        began = time.perf_counter()
        found.append(search(queries[row : row + 1], filtered)[0])
        times.append(time.perf_counter() - began)
    width = max(len(ids) for ids in found)
    padded = np.full((len(found), width), -1, dtype=np.int64)
    for row, ids in enumerate(found):
        padded[row, : len(ids)] = ids
    return padded, np.array(times) * 1e3


def measure(
    backend: str, search: Search, queries: Vectors, truth: tuple[Ids, Ids],
    rates: tuple[float, float], before_mib: float, server_mib: float | None = None,
) -> Row:  # fmt: skip
    found, times = timed(search, queries, False)
    filtered, filtered_times = timed(search, queries, True)
    return Row(
        backend,
        rates[0],
        rates[1],
        recall(found, truth[0]),
        float(np.percentile(times, 50)),
        float(np.percentile(times, 95)),
        recall(filtered, truth[1]),
        float(np.percentile(filtered_times, 50)),
        float(np.percentile(filtered_times, 95)),
        rss_mib() - before_mib,
        server_mib,
    )


def faiss_row(data: Synthetic, size: int, queries: Vectors, truth: tuple[Ids, Ids]) -> Row:
    gc.collect()
    before = rss_mib()
    began = time.perf_counter()
    index = HnswIndex(DIM, HnswParams())
    for ids, vectors in data.batches(size):
        index.add(ids, vectors)
    seconds = time.perf_counter() - began

    def search(query: Vectors, filtered: bool) -> Ids:
        if not filtered:
            return index.search(query, K)[1]
        ids = index.search(query, K * OVERFETCH)[1]
        return ids[:, kind_of(ids[0]) == 0][:, :K]

    # FAISS builds the graph while adding: the insert rate includes the build
    row = measure("FAISS HNSW (in process)", search, queries, truth, (size / seconds, 0.0), before)
    index.close()
    return row


def milvus_row(
    backend: str, uri: str, data: Synthetic, size: int, queries: Vectors,
    truth: tuple[Ids, Ids], server_rss: Callable[[], float] | None = None,
) -> Row:  # fmt: skip
    gc.collect()
    before = rss_mib()
    library = Library.parse(uri)
    collection = Collection.of(library, connect(library), "benchmark", DIM, HnswParams())
    collection.drop()
    collection.create()
    began = time.perf_counter()
    for ids, vectors in data.batches(size):
        for start in range(0, len(ids), WRITE_BATCH):
            chunk = slice(start, start + WRITE_BATCH)
            collection.upsert(
                [_row(int(i), v) for i, v in zip(ids[chunk], vectors[chunk], strict=True)]
            )
    inserted = time.perf_counter()
    collection.client.flush(collection.name)
    collection.client.release_collection(collection.name)
    collection.load()
    collection.search(queries[:1], K)
    built = time.perf_counter()

    def search(query: Vectors, filtered: bool) -> Ids:
        return collection.search(query, K, f'kind == "{KINDS[0]}"' if filtered else "")[1]

    rates = (size / (inserted - began), built - inserted)
    row = measure(backend, search, queries, truth, rates, before,
                  server_rss() if server_rss else None)  # fmt: skip
    collection.drop()
    collection.client.close()
    return row


def _row(item_id: int, vector: NDArray[np.float32]) -> dict[str, object]:
    return row_of(
        VectorRow(item_id, "benchmark", vector, item_id, KINDS[item_id % len(KINDS)], "photo",
                  "/bench", f"{item_id}.jpg", None, None, 0, 1000, "")
    )  # fmt: skip


def process_tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and every process below it."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return total


def table(rows: Sequence[Row], size: int) -> str:
    lines = [
        "| backend | inserts/s | build s | recall@10 | p50 ms | p95 ms | kind filter: recall@10 "
        "| p50 ms | p95 ms | Trove RSS growth MiB | server RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        server = "" if row.server_rss_mib is None else f"{row.server_rss_mib:.0f}"
        lines.append(
            f"| {row.backend} | {row.insert_per_s:,.0f} | {row.build_s:.1f} | {row.recall:.3f} "
            f"| {row.p50_ms:.2f} | {row.p95_ms:.2f} | {row.filtered_recall:.3f} "
            f"| {row.filtered_p50_ms:.2f} | {row.filtered_p95_ms:.2f} | {row.rss_mib:.0f} "
            f"| {server} |"
        )
    return f"{size:,} vectors x {DIM}, {QUERIES} queries, k = {K}:\n\n" + "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="which to measure (Milvus Lite takes about an hour to index a million)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    chosen = set(args.backends.split(","))
    if not chosen or not chosen <= set(BACKENDS):
        parser.error(f"--backends takes some of {', '.join(BACKENDS)}")
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    data = Synthetic(DIM)
    queries = data.queries(QUERIES)
    truth = exact(data, args.size, queries)
    rows = [faiss_row(data, args.size, queries, truth)] if "faiss" in chosen else []
    print(table(rows, args.size), flush=True)
    with tempfile.TemporaryDirectory(prefix="trove-bench-") as folder:
        if "lite" in chosen:
            rows.append(
                milvus_row("Milvus Lite 3.2.2 (in process)", str(Path(folder) / "bench.db"),
                           data, args.size, queries, truth)
            )  # fmt: skip
            print(table(rows, args.size), flush=True)
        refusal = unshare_refusal() if "server" in chosen else None
        if refusal is not None:
            print(f"no server row: {refusal}")
        elif "server" in chosen:
            server = NamespacedMilvus(Path(folder) / "server")
            try:
                rows.append(
                    milvus_row("Milvus 2.3.5 server (loopback)", server.uri, data, args.size,
                               queries, truth, lambda: process_tree_rss_mib(server.pid))
                )  # fmt: skip
            finally:
                server.close()
    text = f"""- Date: {today()}
- Machine: {machine()}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after
- Command: `{COMMAND} --size {args.size} --backends {args.backends}` \
({time.perf_counter() - began:.0f} s)
- Data: `tests.benchmarks.latency.Synthetic`, d={DIM}; a kind per vector in turn (the filter \
keeps a quarter). FAISS's filtered search asks for {OVERFETCH} x k and keeps the kind, as the \
planner does; Milvus filters inside the search. One query at a time; HNSW M=32, \
efConstruction=40, ef=256 everywhere. Milvus rows are whole Trove rows (path, kind, times, \
text), upserted {WRITE_BATCH:,} at a time; "build s" runs from the last write to the first \
answered query (flush, index, load); FAISS builds while it adds, so its insert rate includes \
its build.

{table(rows, args.size)}

When to choose which: FAISS files (the default) for one laptop: the fastest queries, nothing \
to run. Milvus Lite when a library should live in one file that another Trove can be pointed \
at, or to try Milvus before a server; it is the slowest here, to build its index and per \
query (tens of times FAISS's), it keeps that index in Trove's own memory, and one process at a \
time may open it. A kind filter inside Milvus keeps recall where FAISS's ask-for-more-and-keep \
loses some. A Milvus \
server when the library must be shared by several machines or outgrow one process's memory: \
indexed once on an always-on machine, searched from every laptop over the network; the \
vectors and their index live in the server's memory, not Trove's, and queries pay a network \
round trip.
"""
    print(text)
    if not args.no_write:
        section = "Milvus backends"
        if args.size != DEFAULT_SIZE:
            section += f" at {args.size:,} vectors"
        print(f"wrote {write_section(section, text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

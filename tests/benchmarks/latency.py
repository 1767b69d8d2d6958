"""Vector search benchmark: query latency, recall@10, build time and memory per index kind.

    .venv/bin/python -m tests.benchmarks.latency [--sizes 10000,100000,1000000] [--no-write]

Synthetic unit vectors stand in for a large collection: a mixture of 4096 Gaussian clusters with
a power-law spectrum (variance of coordinate i falls as 1/i, as learned embeddings' does), so
that neighbours are neither trivially separated clusters nor the structureless isotropic case.
Queries come from the same mixture but are not in the database. Vectors are generated in
deterministic batches and streamed into each index in turn, so that only one index is held at a
time (1M x 384 float32 alone is 1.5 GB). Recall@10 is against ``FlatIndex`` (exact) on the
same data. Latency is one query at a time through the engine's index classes, with FAISS on
one OpenMP thread (as ``SpaceIndexes`` searches) and on ``default_threads()`` (FAISS's own
default) to show why; builds use ``default_threads()`` as the indexing pipeline does.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import faiss
import numpy as np
from numpy.typing import NDArray

from engine.index.base import Ids, Vectors
from engine.index.flat import FlatIndex
from engine.index.hnsw import HnswIndex, HnswParams
from engine.index.spaces import FLAT_LIMIT, SEARCH_THREADS
from engine.inference.providers import default_threads
from tests.benchmarks import machine, today, write_section

COMMAND = ".venv/bin/python -m tests.benchmarks.latency"
K = 10
QUERIES = 200
ROUNDS = 3  # p95 is the best round's: other work on a shared machine only ever slows one down
DEFAULT_THREAD_QUERIES = 50  # a flat scan on two spinning threads is slow: fewer of them
BATCH = 65536
CLUSTERS = 4096
RECALL_TARGET = 0.95
TARGET_P95_MS = {100_000: 50.0, 1_000_000: 100.0}  # whole text query, from the issue
EF_SEARCH = (32, 64, 128, 256)
NPROBE = (8, 16, 32, 64)
TEXT_DIM = 384
IMAGE_DIM = 1280
IMAGE_SIZES = (10_000, 100_000)  # photo libraries past 100k are rare; 1M is the text case


class Synthetic:
    """Deterministic clustered unit vectors; batch ``i`` is the same on every run."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self.scale = (np.arange(1, dim + 1, dtype=np.float32) ** -0.5).astype(np.float32)
        rng = np.random.default_rng([seed, dim])
        self.centres = (rng.standard_normal((CLUSTERS, dim), dtype=np.float32) * self.scale).astype(
            np.float32
        )

    def _draw(self, stream: int, start: int, count: int) -> Vectors:
        rng = np.random.default_rng([self.seed, self.dim, stream, start])
        vectors = self.centres[rng.integers(0, CLUSTERS, count)]
        vectors += rng.standard_normal((count, self.dim), dtype=np.float32) * self.scale
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    def batches(self, size: int) -> Iterator[tuple[Ids, Vectors]]:
        for start in range(0, size, BATCH):
            count = min(BATCH, size - start)
            yield np.arange(start, start + count, dtype=np.int64), self._draw(0, start, count)

    def queries(self, count: int) -> Vectors:
        return self._draw(1, 0, count)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Row:
    size: int
    dim: int
    kind: str
    setting: str
    build_s: float
    memory_mib: float
    recall: float
    p50_ms: float
    p95_ms: float
    p95_default_ms: float


Search = Callable[[Vectors, int], tuple[NDArray[np.float32], Ids]]


def latencies(search: Search, queries: Vectors, threads: int) -> NDArray[np.float64]:
    faiss.omp_set_num_threads(threads)
    times = []
    for row in range(len(queries)):
        began = time.perf_counter()
        search(queries[row : row + 1], K)
        times.append(time.perf_counter() - began)
    return np.array(times) * 1e3


def recall(found: Ids, truth: Ids) -> float:
    hits = sum(len(np.intersect1d(f[f >= 0], t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


@dataclass
class Built:
    search: Search
    build_s: float
    memory_mib: float


def build(make: Callable[[], Search]) -> Built:
    gc.collect()
    before = rss_mib()
    faiss.omp_set_num_threads(default_threads())
    began = time.perf_counter()
    search = make()
    return Built(search, time.perf_counter() - began, rss_mib() - before)


def measure(built: Built, kind: str, setting: str, data: Synthetic, size: int, truth: Ids) -> Row:
    queries = data.queries(QUERIES)
    _, found = built.search(queries, K)
    single = min(
        (latencies(built.search, queries, SEARCH_THREADS) for _ in range(ROUNDS)),
        key=lambda times: float(np.percentile(times, 95)),
    )
    default = latencies(built.search, queries[:DEFAULT_THREAD_QUERIES], default_threads())
    return Row(
        size,
        data.dim,
        kind,
        setting,
        built.build_s,
        built.memory_mib,
        recall(found, truth),
        float(np.percentile(single, 50)),
        float(np.percentile(single, 95)),
        float(np.percentile(default, 95)),
    )


def flat_rows(data: Synthetic, size: int) -> tuple[list[Row], Ids]:
    index = FlatIndex(data.dim)

    def make() -> Search:
        for ids, vectors in data.batches(size):
            index.add(ids, vectors)
        return index.search

    built = build(make)
    faiss.omp_set_num_threads(default_threads())
    _, truth = index.search(data.queries(QUERIES), K)
    return [measure(built, "flat", "exact", data, size, truth)], truth


def hnsw_rows(data: Synthetic, size: int, truth: Ids, params: HnswParams) -> list[Row]:
    index = HnswIndex(data.dim, params)

    def make() -> Search:
        for ids, vectors in data.batches(size):
            index.add(ids, vectors)
        return index.search

    built = build(make)
    rows = []
    for ef in EF_SEARCH:
        index.params = replace(params, ef_search=ef)
        setting = f"M={params.m} efC={params.ef_construction} efS={ef}"
        rows.append(measure(built, "hnsw", setting, data, size, truth))
    return rows


def faiss_search(index: faiss.Index) -> Search:
    def search(queries: Vectors, k: int) -> tuple[NDArray[np.float32], Ids]:
        scores, ids = index.search(queries, k)
        return scores, ids

    return search


def sq8_rows(data: Synthetic, size: int, truth: Ids) -> list[Row]:
    index = faiss.IndexScalarQuantizer(
        data.dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )

    def make() -> Search:
        index.train(next(data.batches(size))[1])
        for _, vectors in data.batches(size):
            index.add(vectors)
        return faiss_search(index)

    return [measure(build(make), "sq8 flat", "8-bit scalar quantiser", data, size, truth)]


def ivf_rows(data: Synthetic, size: int, truth: Ids) -> list[Row]:
    lists = 1 << round(np.log2(4 * np.sqrt(size)))  # the usual 4 sqrt(n), to a power of two
    quantizer = faiss.IndexFlatIP(data.dim)  # the IVF index borrows it: keep it referenced
    index = faiss.IndexIVFFlat(quantizer, data.dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = 32  # train on one batch: enough for a few thousand lists

    def make() -> Search:
        index.train(next(data.batches(size))[1])
        for ids, vectors in data.batches(size):
            index.add_with_ids(vectors, ids)
        return faiss_search(index)

    built = build(make)
    rows = []
    for probes in NPROBE:
        index.nprobe = probes
        rows.append(measure(built, "ivf flat", f"nlist={lists} nprobe={probes}", data, size, truth))
    return rows


def run_size(dim: int, size: int, params: HnswParams, hnsw: bool, large: bool) -> list[Row]:
    data = Synthetic(dim)
    rows, truth = flat_rows(data, size)
    gc.collect()
    if hnsw:
        rows += hnsw_rows(data, size, truth, params)
        gc.collect()
    if large:
        rows += sq8_rows(data, size, truth)
        gc.collect()
        rows += ivf_rows(data, size, truth)
        gc.collect()
    return rows


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| vectors | d | index | setting | build s | index MiB | recall@10 | p50 ms | p95 ms "
        "| p95 ms, default threads |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.size:,} | {row.dim} | {row.kind} | {row.setting} | {row.build_s:.1f} "
            f"| {row.memory_mib:.0f} | {row.recall:.3f} | {row.p50_ms:.2f} | {row.p95_ms:.2f} "
            f"| {row.p95_default_ms:.2f} |"
        )
    return "\n".join(lines)


def report(
    rows: Sequence[Row], params: HnswParams, seconds: float, load: tuple[float, float]
) -> str:
    return f"""- Date: {today()}
- Machine: {machine()}; load average {load[0]:.1f} before, {load[1]:.1f} after (1-minute)
- Command: `{COMMAND}` ({seconds:.0f} s, peak RSS {peak_rss_mib():.0f} MiB)
- Data: synthetic unit vectors, a mixture of {CLUSTERS} Gaussian clusters with a power-law \
spectrum; {QUERIES} queries from the same mixture, not in the database; k = {K}.
- Latency: one query at a time through the engine's index classes. "p50/p95 ms": FAISS on \
{SEARCH_THREADS} OpenMP thread, as `SpaceIndexes` searches; of {ROUNDS} rounds of {QUERIES} \
queries the one with the lowest p95 is shown, since other work on a shared machine only ever \
slows a round down. Last column: FAISS's default of {default_threads()} threads, \
{DEFAULT_THREAD_QUERIES} queries. Builds use {default_threads()} threads; "index MiB" is the \
growth of resident memory while building (batches in flight and, for IVF, training included).
- Chosen: exact `FlatIndex` while a space holds at most {FLAT_LIMIT:,} floats (vectors x d: \
{FLAT_LIMIT // TEXT_DIM:,} text vectors of d={TEXT_DIM}, {FLAT_LIMIT // IMAGE_DIM:,} image \
vectors of d={IMAGE_DIM}), then `HnswIndex` with M={params.m}, \
efConstruction={params.ef_construction}, efSearch={params.ef_search}, rebuilt once \
{params.rebuild_fraction:.0%} of its slots are tombstones.
- Targets (a whole text query; the encoder adds about 3 ms): p95 < 50 ms at 100k, < 100 ms \
at 1M.
- Reading (when the parameters were chosen): a flat scan grows linearly with vectors x d and \
misses the 1M target; the 8-bit quantised scan quarters memory but is still linear; IVF needs \
training and gave less recall per millisecond than HNSW; HNSW reaches recall@10 >= 0.95 at \
efSearch 256 at every size in a few milliseconds, its cost is build time (about 0.5 ms a \
vector on this machine, paid while indexing) and memory (vectors + about 170 bytes each).

{table(rows)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--hnsw-max",
        type=int,
        default=None,
        help="build HNSW only up to this size (its 1M build takes most of the run)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    params = HnswParams()
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    rows: list[Row] = []
    runs = [(IMAGE_DIM, size) for size in sizes if size in IMAGE_SIZES]
    runs += [(TEXT_DIM, size) for size in sizes]
    for dim, size in sorted(runs, key=lambda run: run[0] * run[1]):  # the biggest last
        hnsw = args.hnsw_max is None or size <= args.hnsw_max
        found = run_size(dim, size, params, hnsw, large=size >= 1_000_000)
        print(table(found), flush=True)
        rows += found
    text = report(rows, params, time.perf_counter() - began, (load_before, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        print(f"wrote {write_section('Vector search', text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

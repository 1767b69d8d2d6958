"""One vector index per model space, kept in a folder of the data dir and in step with the catalog.

The catalog holds every vector, so an index file is only a cache: ``open`` rebuilds from the
catalog each index that is missing, cut short or stale, and leaves the others on disk until a
search or a change first needs them (a text query reads the text space's index alone; a file
found damaged then is rebuilt then). Staleness is judged by the catalog's generation, which
bumps on every committed change of vectors: ``save`` records the generation beside each index,
and a crash between a catalog commit and the next save leaves a generation that no longer
matches, so the index is rebuilt rather than trusted. Judging it reads two small files per
space, never the vectors.

Files per space (``<slug>`` is the space name made safe for a file name):
``<slug>.json`` (space, kind, dim, generation, index file name) is the commit point, written
after ``<slug>-<random>.idx``; an index file no manifest names is a leftover and is deleted.
The folder belongs to ``SpaceIndexes`` alone (``indexes/`` in the data dir).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

import faiss
import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.catalog.records import ReplaceResult
from engine.index.base import Ids, Vectors
from engine.index.checks import as_vectors, check_k, empty_result
from engine.index.flat import FlatIndex
from engine.index.hnsw import HnswIndex, HnswParams
from engine.index.storage import IndexFileError, atomic_write, check_ends

if TYPE_CHECKING:
    from engine.search.query import Filters

log = logging.getLogger(__name__)

# Exact search while a space holds at most this many floats (vectors x dimension): 50M floats
# (200 MB; 130k text vectors of d=384, 39k image vectors of d=1280). A flat scan of 100k x 384
# measured 21 ms p95 for one query on one core of a busy two-core machine, 100k x 1280 67 ms and
# 1M x 384 168 ms; HNSW answered in 1-11 ms at every size. See BENCHMARKS.md "Vector search".
FLAT_LIMIT = 50_000_000
# One query is one FAISS OpenMP thread: a second thread made a flat scan several times slower
# on a busy two-core machine (threads spin waiting for each other), and HNSW runs one query
# on one thread anyway.
SEARCH_THREADS = 1

Index = FlatIndex | HnswIndex


class VectorSource(Protocol):
    """What ``SpaceIndexes`` needs of the catalog."""

    def spaces(self) -> dict[str, int]: ...

    def generation(self) -> int: ...

    def iter_vectors(self, space: str, batch: int = 65536) -> Iterator[tuple[Ids, Vectors]]: ...


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """OpenMP's thread count is per calling thread: set it for this block, then restore it."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def slug(space: str) -> str:
    """A file name for ``space``: readable, and distinct even when two names clean up alike."""
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", space).strip(".") or "space"
    return f"{readable[:60]}.{hashlib.sha1(space.encode()).hexdigest()[:8]}"


@dataclass
class _Space:
    name: str
    dim: int
    index: Index | None  # None until first needed: then read from ``file`` (``saved_kind``)
    generation: int | None = None  # the catalog generation its saved files match
    file: str | None = None
    saved_kind: str = FlatIndex.kind
    dirty: bool = True
    # ``lock`` guards the index object (searches and changes); ``writing`` serialises writers,
    # so that a flat -> HNSW switch can build outside ``lock`` while searches go on
    lock: threading.Lock = field(default_factory=threading.Lock)
    writing: threading.Lock = field(default_factory=threading.Lock)


class SpaceIndexes:
    """The vector indexes of every space, in ``folder``. Thread-safe: searches may run while
    the pipeline applies changes; one lock per space.

    ``save`` records ``catalog.generation()`` as read at save time, so call it where every
    committed change has been applied (the writer, after ``apply``), not concurrently with one.
    """

    def __init__(
        self,
        folder: Path,
        flat_limit: int = FLAT_LIMIT,
        hnsw: HnswParams | None = None,
    ) -> None:
        self.folder = folder
        self.flat_limit = flat_limit
        self.hnsw = hnsw or HnswParams()
        self._spaces: dict[str, _Space] = {}
        self._lock = threading.Lock()  # guards the ``_spaces`` mapping itself
        self._catalog: VectorSource | None = None

    # --- opening ------------------------------------------------------------------------

    def open(self, catalog: VectorSource) -> list[str]:
        """Rebuild from ``catalog`` every space's index that is missing, cut short or stale,
        and save it; the others are read on first use. Returns the spaces rebuilt. Call before
        any writer."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._catalog = catalog
        generation = catalog.generation()
        spaces: dict[str, _Space] = {}
        rebuilt = []
        for name, dim in catalog.spaces().items():
            saved = self._saved(name, dim, generation)
            if saved is None:
                saved = _Space(name, dim, self._build(dim, catalog.iter_vectors(name)))
                rebuilt.append(name)
            spaces[name] = saved
        with self._lock:
            for old in self._spaces.values():
                if old.index is not None:
                    old.index.close()
            self._spaces = spaces
        self._forget_others(set(spaces))
        if rebuilt:
            self.save()
        return rebuilt

    def _manifest(self, name: str) -> Path:
        return self.folder / f"{slug(name)}.json"

    def _saved(self, name: str, dim: int, generation: int) -> _Space | None:
        """The space as saved, not yet read, if its files are whole and of this generation."""
        manifest = self._manifest(name)
        try:
            saved = json.loads(manifest.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("index manifest %s unreadable (%s): rebuilding %s", manifest, error, name)
            return None
        if not isinstance(saved, dict) or saved.get("space") != name or saved.get("dim") != dim:
            log.warning("index manifest %s is not of %s/%d: rebuilding", manifest, name, dim)
            return None
        if saved.get("generation") != generation:
            log.info("index of %s is stale (generation %s, catalog %d): rebuilding",
                     name, saved.get("generation"), generation)  # fmt: skip
            return None
        kind = HnswIndex.kind if saved.get("kind") == HnswIndex.kind else FlatIndex.kind
        try:
            check_ends(self.folder / str(saved.get("file")), kind)
        except IndexFileError as error:
            log.warning("index of %s unreadable (%s): rebuilding", name, error)
            return None
        return _Space(name, dim, None, generation, str(saved["file"]), kind, dirty=False)

    def _index(self, space: _Space) -> Index:
        """The space's index, read from its file the first time; one found damaged now is
        rebuilt from the catalog (and saved by the next ``save``). Hold ``space.lock``."""
        if space.index is None:
            space.index = self._read(space)
        return space.index

    def _read(self, space: _Space) -> Index:
        index: Index = (
            HnswIndex(space.dim, self.hnsw)
            if space.saved_kind == HnswIndex.kind
            else FlatIndex(space.dim)
        )
        try:
            index.load(self.folder / str(space.file))
            return index
        except IndexFileError as error:
            log.warning("index of %s unreadable (%s): rebuilding", space.name, error)
        if self._catalog is None:
            raise RuntimeError("SpaceIndexes used before open(catalog)")
        # The catalog's state now, so also any change committed since open: ``apply`` of that
        # change after this adds again what is there (a replacement) and removes what is gone.
        space.dirty = True
        return self._build(space.dim, self._catalog.iter_vectors(space.name))

    def _build(self, dim: int, batches: Iterable[tuple[Ids, Vectors]]) -> Index:
        index: Index = FlatIndex(dim)
        for ids, vectors in batches:
            index.add(ids, vectors)
            index = self._grown(index)
        return index

    def _grown(self, index: Index) -> Index:
        """The index to keep: ``index`` itself, or an HNSW copy once a flat one is too big."""
        if not isinstance(index, FlatIndex) or index.count() * index.dim <= self.flat_limit:
            return index
        graph = HnswIndex(index.dim, self.hnsw)
        for ids, vectors in index.export():
            graph.add(ids, vectors)
        return graph

    def _forget_others(self, keep: set[str]) -> None:
        """Delete files of spaces the catalog no longer has, and leftovers of crashed saves."""
        named = {space.file for space in self._spaces.values() if space.file}
        wanted = {self._manifest(name).name for name in keep}
        for path in self.folder.iterdir():
            leftover = path.suffix == ".tmp" or (path.suffix == ".idx" and path.name not in named)
            if leftover or (path.suffix == ".json" and path.name not in wanted):
                _delete(path)

    # --- changes ------------------------------------------------------------------------

    def _space(self, name: str, dim: int) -> _Space:
        with self._lock:
            space = self._spaces.get(name)
            if space is None:
                space = self._spaces[name] = _Space(name, dim, FlatIndex(dim))
            elif space.dim != dim:
                raise ValueError(f"space {name} holds {space.dim}-d vectors, not {dim}-d")
            return space

    def apply(self, result: ReplaceResult) -> None:
        """Follow one committed catalog change: drop its removed vectors, add its new ones."""
        self.remove(result.removed)
        for name, (ids, vectors) in result.added.items():
            self.add(name, ids, vectors)

    def add(self, name: str, ids: ArrayLike, vectors: ArrayLike) -> None:
        checked = np.asarray(vectors, dtype=np.float32)
        if checked.ndim != 2:
            raise ValueError(f"vectors must have shape (n, d), got {checked.shape}")
        space = self._space(name, checked.shape[1])
        with space.writing:
            with space.lock:
                current = self._index(space)
                current.add(ids, checked)
                space.dirty = True
            grown = self._grown(current)  # outside ``lock``: searches go on meanwhile
            if grown is not current:
                with space.lock:
                    space.index = grown
                current.close()

    def remove(self, pairs: Iterable[tuple[str, int]]) -> int:
        """Drop ``(space, item_id)`` pairs, as the catalog's delete and remove calls return."""
        grouped: dict[str, list[int]] = defaultdict(list)
        for name, item_id in pairs:
            grouped[name].append(item_id)
        removed = 0
        for name, ids in grouped.items():
            with self._lock:
                space = self._spaces.get(name)
            if space is None:
                continue
            with space.writing, space.lock:
                gone = self._index(space).remove(np.array(ids, dtype=np.int64))
                space.dirty = space.dirty or gone > 0
                removed += gone
        return removed

    # --- queries ------------------------------------------------------------------------

    def search(
        self, name: str, queries: ArrayLike, k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], Ids]:
        """Best ``k`` (at most) per query row by inner product, best first; a space with no
        vectors yet gives zero columns. ``filters`` are not read: the planner filters hits."""
        check_k(k)
        with self._lock:
            space = self._spaces.get(name)
        if space is None:
            rows = np.atleast_2d(np.asarray(queries, dtype=np.float32))
            return empty_result(len(rows))
        checked = as_vectors(np.atleast_2d(np.asarray(queries)), space.dim, "queries")
        with space.lock:
            index = self._index(space)
            with faiss_threads(SEARCH_THREADS):
                return index.search(checked, k)

    def count(self, name: str) -> int:
        with self._lock:
            space = self._spaces.get(name)
        if space is None:
            return 0
        with space.lock:
            return self._index(space).count()

    def spaces(self) -> Sequence[str]:
        with self._lock:
            return sorted(self._spaces)

    # --- saving -------------------------------------------------------------------------

    def save(self) -> None:
        """Write every changed index and record the catalog's current generation for all."""
        if self._catalog is None:
            raise RuntimeError("SpaceIndexes.save before open(catalog)")
        generation = self._catalog.generation()
        with self._lock:
            spaces = list(self._spaces.values())
        for space in spaces:
            with space.writing, space.lock:
                self._save(space, generation)

    def _save(self, space: _Space, generation: int) -> None:
        if not space.dirty and space.generation == generation:
            return
        old = space.file
        if space.dirty or space.file is None:
            index = self._index(space)
            space.file = f"{slug(space.name)}-{secrets.token_hex(4)}.idx"
            index.save(self.folder / space.file)
            space.saved_kind = index.kind
        manifest = {
            "space": space.name,
            "kind": space.saved_kind,
            "dim": space.dim,
            "generation": generation,
            "file": space.file,
        }
        text = json.dumps(manifest, indent=1).encode()

        def write(stream: BinaryIO) -> None:
            stream.write(text)

        atomic_write(self._manifest(space.name), write)
        space.generation, space.dirty = generation, False
        if old and old != space.file:
            _delete(self.folder / old)

    def close(self) -> None:
        with self._lock:
            for space in self._spaces.values():
                with space.writing, space.lock:
                    if space.index is not None:
                        space.index.close()
            self._spaces = {}


def _delete(path: Path) -> None:
    """Delete a file no manifest names. Where another process still has it mapped, Windows
    refuses: it stays, a leftover that a later ``open`` deletes."""
    try:
        path.unlink(missing_ok=True)
    except PermissionError as error:
        log.info("index file %s is still in use, left for later: %s", path, error)

"""Vectors in Milvus: a collection per model space, in a Milvus Lite file or on a server.

:class:`MilvusIndex` is one space's collection behind the seven-method contract every index kind
passes (``tests/engine/index/test_contract.py``). :class:`MilvusSpaces` is what the engine uses in
place of :class:`engine.index.spaces.SpaceIndexes` for a Milvus library: it follows the catalog
through the catalog's outbox (:mod:`engine.catalog.outbox`), never through the values a write
hands it, so a write the process did not live to deliver is delivered by the next one.

Each row carries what a hit is shown with (file, kind, root, relative path, times, size, text),
and the root is the partition key, so a folder filter reads only that root's partitions.
Counts are read "Strong" and searches "Session": either way a writer sees its own writes (a
server's default, "Bounded", may answer a count right after an insert one short), and a search
does not wait for the server's next time tick.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.catalog.outbox import OutboxBatch, VectorRow
from engine.index.base import Ids, Vectors
from engine.index.checks import as_batch, as_ids, as_vectors, check_k, empty_result
from engine.index.expressions import milvus_filter
from engine.index.hnsw import HnswParams
from engine.index.library import Backend, Library, LibraryError

if TYPE_CHECKING:
    from pymilvus import CollectionSchema, MilvusClient

    from engine.catalog.records import ReplaceResult, Root
    from engine.index.milvus_words import WordsCollection
    from engine.search.query import Filters

log = logging.getLogger(__name__)
T = TypeVar("T")

COLLECTION_PREFIX = "trove_"
# Milvus answers at most this many neighbours per query.
MAX_K = 16384
# Seconds a server may take to connect, and to answer one call (retries included), before it
# counts as unreachable; after a failed delivery the next waits ``RETRY_AFTER`` seconds, so
# that indexing while the server is away does not wait on it for every file.
CONNECT_TIMEOUT = 10.0
CALL_TIMEOUT = 10.0
# A write of a few thousand rows to Milvus Lite, in this process (it cannot be unreachable):
# it took over 10 s for 2,000 on a busy two-core machine once it held tens of thousands. A
# server's write that times out is simply delivered again later, so it keeps CALL_TIMEOUT.
LITE_WRITE_TIMEOUT = 120.0
# Loading a large collection (a restarted server, a reopened Lite file) waits for its index.
LOAD_TIMEOUT = 600.0
RETRY_AFTER = 30.0
LITE_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": 0}
# VARCHAR limits (bytes): longer paths and texts are cut at a character boundary.
PATH_BYTES = 4096
TEXT_BYTES = 8192
LANGUAGE_BYTES = 16
# Item ids are 1 and up; a row added through the bare contract (no catalog) has no file.
NO_FILE = -1
# What a number field holds where the catalog holds NULL (Milvus 2.3 has no nullable fields).
NONE = -1
# Every scalar field of a row: a collection without them all (made by an older Trove) is rebuilt.
ROW_FIELDS = (
    "file_id", "kind", "item_kind", "root", "relpath", "start", "end", "dated", "size", "text",
    "score", "language", "taken", "place_id",
)  # fmt: skip


def collection_name(space: str) -> str:
    """A Milvus collection name for ``space`` (letters, digits and ``_`` only): readable, and
    distinct even when two names clean up alike."""
    readable = re.sub(r"[^A-Za-z0-9_]", "_", space)[:60]
    return f"{COLLECTION_PREFIX}{readable}_{hashlib.sha1(space.encode()).hexdigest()[:8]}"


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def connect(library: Library) -> MilvusClient:
    """A client of ``library``; a library that cannot be opened or reached raises
    :class:`LibraryError` with one sentence (the token never appears in it)."""
    try:  # imported on first use: a FAISS library never pays for it
        from pymilvus import MilvusClient
    except ImportError as error:  # a build or an environment without the Milvus client
        raise LibraryError(
            f"this Trove has no Milvus client to open {library.uri}: install Trove with pip "
            "(pymilvus, milvus-lite) to use a Milvus library"
        ) from error
    try:
        if library.backend is Backend.MILVUS_LITE:
            # Milvus Lite serves in this process and refuses pings more often than every five
            # minutes (it closes the channel, and gRPC logs it): ping no more often.
            return MilvusClient(library.uri, grpc_options=LITE_GRPC_OPTIONS)
        return MilvusClient(library.uri, token=library.token, timeout=CONNECT_TIMEOUT)
    except Exception as error:  # pymilvus raises its own, grpc's and the OS's errors alike
        raise unreachable(library, error) from error


def unreachable(library: Library, error: BaseException) -> LibraryError:
    reason = str(getattr(error, "message", "") or error).splitlines()[0] if str(error) else ""
    reason = reason.replace(library.token, "***") if library.token else reason
    return LibraryError(
        f"cannot reach the Milvus library {library.uri}: {reason or type(error).__name__}"
    )


def loaded(ask: Callable[[], T], load: Callable[[], None]) -> T:
    """``ask()``; if its collection was released (a restarted server, a Lite file opened
    again), ``load()`` it and ask once more."""
    try:
        return ask()
    except Exception as error:
        text = str(error).lower()
        if "not loaded" not in text and "released" not in text:
            raise
    load()
    return ask()


class StoredCollection:
    """A collection of a library, as every kind of it is kept: made when missing, loaded when
    released, written, counted. Not locked: callers are."""

    # Reads as the collection was made to read ("Strong"), unless a kind says otherwise.
    consistency: str | None = None

    def __init__(self, client: MilvusClient, name: str, write_timeout: float) -> None:
        self.client, self.name, self.write_timeout = client, name, write_timeout

    def create(self) -> None:
        raise NotImplementedError

    def exists(self) -> bool:
        return bool(self.client.has_collection(self.name, timeout=CALL_TIMEOUT))

    def drop(self) -> None:
        if self.exists():
            self.client.drop_collection(self.name, timeout=CALL_TIMEOUT)

    def ensure(self) -> None:
        """Made if missing, loaded if not (a reopened Lite file has every collection released)."""
        if not self.exists():
            self.create()
        elif "Loaded" not in str(
            self.client.get_load_state(self.name, timeout=CALL_TIMEOUT).get("state")
        ):
            self.load()

    def load(self) -> None:
        """Make it searchable (a reopened Lite file or a restarted server needs it)."""
        self.client.load_collection(self.name, timeout=LOAD_TIMEOUT)

    def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.client.upsert(self.name, list(rows), timeout=self.write_timeout)

    def query(
        self, where: str, fields: Sequence[str], limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The rows ``where`` selects, with these fields (``count(*)``: how many)."""
        options: dict[str, Any] = {} if limit is None else {"limit": limit}
        if self.consistency is not None:
            options["consistency_level"] = self.consistency
        return list(
            self._loaded(
                lambda: self.client.query(
                    self.name,
                    filter=where,
                    output_fields=list(fields),
                    timeout=CALL_TIMEOUT,
                    **options,
                )
            )
        )

    def count(self, where: str = "") -> int:
        return int(self.query(where, ["count(*)"])[0]["count(*)"])

    def _loaded(self, ask: Callable[[], T]) -> T:
        return loaded(ask, self.load)


class Collection(StoredCollection):
    """One space's collection in a library: create, write, search."""

    def __init__(
        self,
        client: MilvusClient,
        space: str,
        dim: int,
        hnsw: HnswParams,
        write_timeout: float = CALL_TIMEOUT,
        consistency: str = "Session",
    ) -> None:
        super().__init__(client, collection_name(space), write_timeout)
        self.space, self.dim, self.hnsw = space, dim, hnsw
        # Searches: "Session" sees every write this client made and does not wait for the
        # server's next time tick ("Strong" did: about 200 ms a query on 2.3.5); another
        # client's latest writes may show a moment later. "Strong" where that matters.
        self.consistency: str | None = consistency

    @classmethod
    def of(cls, library: Library, client: MilvusClient, space: str, dim: int,
           hnsw: HnswParams) -> Collection:  # fmt: skip
        """The collection of ``space`` in ``library``, with the write timeout its kind needs."""
        lite = library.backend is Backend.MILVUS_LITE
        return cls(client, space, dim, hnsw, LITE_WRITE_TIMEOUT if lite else CALL_TIMEOUT)

    def stored_dim(self) -> int | None:
        """The dimension of the collection's vectors, if it exists."""
        fields = self._stored_fields()
        return None if fields is None or "vector" not in fields else fields["vector"]

    def current(self) -> bool:
        """It exists, with vectors of this dimension and every field this Trove writes."""
        fields = self._stored_fields()
        return (
            fields is not None
            and fields.get("vector") == self.dim
            and set(ROW_FIELDS) <= set(fields)
        )

    def _stored_fields(self) -> dict[str, int] | None:
        """Each field's name -> its vector dimension (0 for a scalar); None if there is none."""
        if not self.exists():
            return None
        described = self.client.describe_collection(self.name, timeout=CALL_TIMEOUT)["fields"]
        return {field["name"]: int(field.get("params", {}).get("dim", 0)) for field in described}

    def create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("item_id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        add_row_fields(schema)
        index = self.client.prepare_index_params()
        # Trove's own HNSW parameters (BENCHMARKS.md), inner product of unit vectors as FAISS.
        index.add_index(
            "vector",
            index_type="HNSW",
            metric_type="IP",
            params={"M": self.hnsw.m, "efConstruction": self.hnsw.ef_construction},
        )
        self.client.create_collection(self.name, schema=schema, consistency_level="Strong")
        # Not waited for: the wait asks for a timestamp, which Milvus Lite does not serve (its
        # log fills with tracebacks); loading waits for the index on every kind alike.
        self.client.create_index(self.name, index, sync=False)
        self.client.load_collection(self.name, timeout=LOAD_TIMEOUT)

    def present(self, ids: Ids) -> list[int]:
        if not len(ids):
            return []
        found = self.query(f"item_id in {[int(i) for i in ids]}", ["item_id"])
        return [int(row["item_id"]) for row in found]

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.client.delete(self.name, ids=[int(i) for i in ids], timeout=self.write_timeout)

    def search(self, queries: Vectors, k: int, where: str = "") -> tuple[NDArray[np.float32], Ids]:
        scores, ids, _ = self.found(queries, k, where)
        return scores, ids

    def found(
        self, queries: Vectors, k: int, where: str = "", fields: Sequence[str] = ()
    ) -> tuple[NDArray[np.float32], Ids, dict[int, dict[str, Any]]]:
        """The best ``k`` per query (scores, ids) and, by item id, each hit's ``fields``."""
        k = min(k, MAX_K)
        params = {"metric_type": "IP", "params": {"ef": max(self.hnsw.ef_search, k)}}
        answers = self._loaded(
            lambda: self.client.search(
                self.name,
                data=list(queries),
                limit=k,
                filter=where,
                output_fields=list(fields),
                search_params=params,
                timeout=CALL_TIMEOUT,
                consistency_level=self.consistency,
            )
        )
        width = max((len(hits) for hits in answers), default=0)
        scores, ids = empty_result(len(queries), width)
        rows: dict[int, dict[str, Any]] = {}
        for row, hits in enumerate(answers):
            for column, hit in enumerate(hits):
                item_id = int(hit["item_id"] if "item_id" in hit else hit["id"])
                ids[row, column] = item_id
                scores[row, column] = float(hit["distance"])
                if fields:
                    rows[item_id] = {"item_id": item_id, **hit["entity"]}
        return scores, ids, rows

    def rows(self, where: str, fields: Sequence[str], limit: int = MAX_K) -> list[dict[str, Any]]:
        """The rows ``where`` selects (at most ``limit``), with their ids and these fields."""
        return self.query(where, ["item_id", *fields], limit)

    def export(self, batch: int) -> Iterator[tuple[Ids, Vectors]]:
        """Every row's id and vector. Up to Milvus's query window (16,384 rows) by offset: the
        query iterator asks a 2.3 server for a session timestamp it does not give and then
        waits out its own clock (20 s for 300 rows); beyond that, by the iterator."""
        batch = min(batch, MAX_K)
        if self.count() > MAX_K:
            yield from self._iterated(batch)
            return
        for offset in range(0, MAX_K, batch):
            rows = self._page(offset, min(batch, MAX_K - offset))
            if not rows:
                return
            yield _columns(rows)

    def _page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        return list(
            self.client.query(
                self.name,
                filter="item_id >= 0",
                output_fields=["item_id", "vector"],
                offset=offset,
                limit=limit,
            )
        )

    def _iterated(self, batch: int) -> Iterator[tuple[Ids, Vectors]]:
        iterator = self.client.query_iterator(
            self.name, batch_size=batch, filter="", output_fields=["item_id", "vector"]
        )
        try:
            while rows := iterator.next():
                yield _columns(rows)
        finally:
            iterator.close()


def _columns(rows: Sequence[dict[str, Any]]) -> tuple[Ids, Vectors]:
    ids = np.array([row["item_id"] for row in rows], dtype=np.int64)
    return ids, np.array([row["vector"] for row in rows], dtype=np.float32)


def add_row_fields(schema: CollectionSchema) -> None:
    """Add to ``schema`` the :data:`ROW_FIELDS`: what a hit is shown and filtered with."""
    from pymilvus import DataType

    schema.add_field("file_id", DataType.INT64)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)
    schema.add_field("item_kind", DataType.VARCHAR, max_length=32)
    schema.add_field("root", DataType.VARCHAR, max_length=PATH_BYTES, is_partition_key=True)
    schema.add_field("relpath", DataType.VARCHAR, max_length=PATH_BYTES)
    schema.add_field("start", DataType.DOUBLE)  # seconds into the media; -1 for none
    schema.add_field("end", DataType.DOUBLE)
    schema.add_field("dated", DataType.INT64)  # seconds: when taken, else modified
    schema.add_field("size", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("score", DataType.DOUBLE)  # a tag's probability; -1 for none
    schema.add_field("language", DataType.VARCHAR, max_length=LANGUAGE_BYTES)
    schema.add_field("taken", DataType.INT64)  # seconds, when the file says; -1 for none
    schema.add_field("place_id", DataType.INT64)  # the town it was taken near; -1 for none


def row_of(item: VectorRow) -> dict[str, Any]:
    """The Milvus row of one catalog vector."""
    return {"item_id": item.item_id, "vector": item.vector, **row_fields(item)}


def row_fields(item: VectorRow) -> dict[str, Any]:
    """The :data:`ROW_FIELDS` of one catalog vector's item."""
    return {
        "file_id": item.file_id,
        "kind": item.kind,
        "item_kind": item.item_kind,
        "root": _cut(item.root, PATH_BYTES),
        "relpath": _cut(item.relpath, PATH_BYTES),
        "start": float(NONE) if item.start is None else item.start,
        "end": float(NONE) if item.end is None else item.end,
        "dated": item.dated,
        "size": item.size,
        "text": _cut(item.text, TEXT_BYTES),
        "score": float(NONE) if item.score is None else item.score,
        "language": _cut(item.language or "", LANGUAGE_BYTES),
        "taken": NONE if item.taken is None else item.taken,
        "place_id": NONE if item.place_id is None else item.place_id,
    }


def bare_row(item_id: int, vector: NDArray[np.float32]) -> dict[str, Any]:
    """A row with a vector alone: what the seven-method contract's ``add`` knows."""
    return {
        "item_id": item_id,
        "vector": vector,
        "file_id": NO_FILE,
        "kind": "",
        "item_kind": "",
        "root": "",
        "relpath": "",
        "start": float(NONE),
        "end": float(NONE),
        "dated": 0,
        "size": 0,
        "text": "",
        "score": float(NONE),
        "language": "",
        "taken": NONE,
        "place_id": NONE,
    }


# A library's card: one row in a collection of its own (Milvus wants a vector in every collection:
# two zeros), naming the catalog that writes the library, its folders and its spaces.
CARD_COLLECTION = f"{COLLECTION_PREFIX}library"
_CARD_KEY = "card"
_CARD_BYTES = 65535


@dataclass(frozen=True)
class LibraryCard:
    """What a library says of itself: the id of the catalog that writes it, its watched folders
    (as the indexing machine names them) and its spaces with their dimensions. A reader on
    another machine learns from it what to search and how to place a folder filter; a second
    catalog is refused by it instead of taking the library over."""

    catalog_id: int
    roots: tuple[str, ...]
    spaces: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, catalog: OutboxSource) -> LibraryCard:
        spaces = tuple(sorted(catalog.spaces().items()))
        return cls(catalog.catalog_id(), tuple(root.path for root in catalog.roots()), spaces)

    @classmethod
    def read(cls, client: MilvusClient) -> LibraryCard | None:
        """The card, or None for a library without one (empty, or made before cards)."""
        if not client.has_collection(CARD_COLLECTION, timeout=CALL_TIMEOUT):
            return None
        client.load_collection(CARD_COLLECTION, timeout=LOAD_TIMEOUT)
        found = client.query(
            CARD_COLLECTION,
            filter=f'key == "{_CARD_KEY}"',
            output_fields=["card"],
            timeout=CALL_TIMEOUT,
            consistency_level="Strong",
        )
        if not found:
            return None
        data = json.loads(found[0]["card"])
        spaces = tuple((str(name), int(dim)) for name, dim in data["spaces"])
        return cls(int(data["catalog"]), tuple(map(str, data["roots"])), spaces)

    def write(self, client: MilvusClient) -> None:
        from pymilvus import DataType, MilvusClient

        if not client.has_collection(CARD_COLLECTION, timeout=CALL_TIMEOUT):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.VARCHAR, max_length=16, is_primary=True)
            schema.add_field("card", DataType.VARCHAR, max_length=_CARD_BYTES)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)
            index = client.prepare_index_params()
            index.add_index("vector", index_type="FLAT", metric_type="L2")
            client.create_collection(CARD_COLLECTION, schema=schema, consistency_level="Strong")
            client.create_index(CARD_COLLECTION, index, sync=False)
        client.load_collection(CARD_COLLECTION, timeout=LOAD_TIMEOUT)
        text = json.dumps(
            {"catalog": self.catalog_id, "roots": self.roots, "spaces": self.spaces},
            ensure_ascii=False,
        )
        if len(text.encode("utf-8")) > _CARD_BYTES:  # thousands of folders: keep the spaces
            text = json.dumps({"catalog": self.catalog_id, "roots": [], "spaces": self.spaces})
        row = {"key": _CARD_KEY, "card": text, "vector": [0.0, 0.0]}
        client.upsert(CARD_COLLECTION, [row], timeout=CALL_TIMEOUT)


class MilvusIndex:
    """One space's collection behind the seven-method contract. ``load`` and ``save`` take no
    file of their own: the collection lives in the library, so ``save`` has Milvus persist it
    (Milvus does on each write; nothing to do) and ``load`` (re)opens it for searching."""

    kind = "milvus"

    def __init__(
        self, library: Library, space: str, dim: int, hnsw: HnswParams | None = None
    ) -> None:
        if dim < 1:
            raise ValueError(f"dimension must be positive, got {dim}")
        self.dim, self.library, self.space = dim, library, space
        self.hnsw = hnsw or HnswParams()
        self._collection: Collection | None = self._opened()

    def _opened(self) -> Collection:
        collection = Collection.of(
            self.library, connect(self.library), self.space, self.dim, self.hnsw
        )
        # The contract promises that a search sees every change made so far, whichever
        # instance made it: several may share one collection.
        collection.consistency = "Strong"
        found = collection.stored_dim()
        if found is not None and found != self.dim:
            raise ValueError(f"{collection.name} holds {found}-d vectors, not {self.dim}-d")
        collection.ensure()
        return collection

    @property
    def _open(self) -> Collection:
        if self._collection is None:
            raise RuntimeError("the index is closed")
        return self._collection

    def load(self, path: Path) -> None:
        """Open the collection again and load it; ``path`` is not read."""
        if self._collection is not None:
            self._collection.client.close()
        self._collection = self._opened()
        self._collection.load()

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        checked_ids, checked_vectors = as_batch(ids, vectors, self.dim)
        rows = [bare_row(int(i), v) for i, v in zip(checked_ids, checked_vectors, strict=True)]
        self._open.upsert(rows)

    def remove(self, ids: ArrayLike) -> int:
        present = self._open.present(as_ids(ids))
        self._open.delete(present)
        return len(present)

    def search(self, queries: ArrayLike, k: int) -> tuple[NDArray[np.float32], Ids]:
        check_k(k)
        checked = as_vectors(queries, self.dim, "queries")
        return self._open.search(checked, k)

    def count(self) -> int:
        return self._open.count()

    def save(self, path: Path) -> None:
        """Nothing to write: Milvus persists each accepted write itself."""
        self._open  # noqa: B018 (a closed index refuses, as every kind does)

    def export(self, batch: int = 65536) -> Iterator[tuple[Ids, Vectors]]:
        return self._open.export(batch)

    def close(self) -> None:
        if self._collection is not None:
            self._collection.client.close()
            self._collection = None


class OutboxSource(Protocol):
    """What :class:`MilvusSpaces` needs of the catalog."""

    def spaces(self) -> dict[str, int]: ...

    def roots(self) -> list[Root]: ...

    def outbox_target(self) -> str | None: ...

    def set_outbox_target(self, uri: str | None) -> bool: ...

    def outbox_pending(self, limit: int = 4096) -> OutboxBatch: ...

    def outbox_delivered(self, batch: OutboxBatch) -> None: ...

    def outbox_size(self) -> int: ...

    def catalog_id(self) -> int: ...

    def vector_rows(self, space: str, batch: int = 4096) -> Iterator[list[VectorRow]]: ...


@dataclass(frozen=True)
class LibraryReport:
    """What ``trove doctor`` says of a library."""

    backend: Backend
    uri: str
    version: str
    collections: dict[str, int]  # space -> rows
    undelivered: int  # outbox notes not yet in Milvus
    words: int | None = None  # rows of its words (note chunks, names...); None: none kept


class MilvusSpaces:
    """A Milvus library in place of ``SpaceIndexes``: the same calls, followed through the
    catalog's outbox. While the library cannot be reached, writes stay in the outbox (indexing
    goes on in the catalog) and are delivered by the next call that reaches it."""

    def __init__(
        self,
        library: Library,
        hnsw: HnswParams | None = None,
        take_over: bool = False,
        words: bool = True,
    ) -> None:
        """``take_over``: write the library even if another catalog wrote it until now (what
        it holds is then made again from this catalog). ``words``: keep the catalog's words in
        the library too, for its readers, where Milvus can search them (a benchmark leaves
        them out to measure what they cost)."""
        self.library = library
        self.hnsw = hnsw or HnswParams()
        self.take_over = take_over
        self._card: LibraryCard | None = None  # as last written
        self._catalog: OutboxSource | None = None
        self._client: MilvusClient | None = None
        self._collections: dict[str, Collection] = {}
        self._full_text: bool | None = None if words else False  # the library keeps words
        self._lock = threading.RLock()  # one delivery at a time; searches take it briefly
        self._warned = False
        self._retry_at = 0.0  # time.monotonic() before which deliveries do not try

    # --- opening ------------------------------------------------------------------------

    def open(self, catalog: OutboxSource) -> list[str]:
        """Connect, make the catalog note changes for this library, rebuild each collection
        that is missing or of another dimension (all of them when the catalog delivered to
        another library before), then deliver what is waiting. Returns the spaces rebuilt."""
        self._catalog = catalog
        self._connected()
        # A new target is set only once every collection is made (open runs before any
        # writer): a rebuild cut short is started again by the next open, not taken as done.
        changed = catalog.outbox_target() != self.library.uri
        rebuilt = []
        try:
            self._check_writer(catalog)
            if changed:
                self._forget_other_catalogs()
            for space, dim in catalog.spaces().items():
                collection = self._collection(space, dim)
                if changed or not collection.current():
                    self._rebuild(collection)
                    rebuilt.append(space)
                else:
                    collection.ensure()
            words = self._words()
            if words is not None and (changed or not words.current()):
                self._rebuild_words(words)
            elif words is not None:
                words.ensure()
        except LibraryError:
            raise
        except Exception as error:
            raise unreachable(self.library, error) from error
        if changed:
            catalog.set_outbox_target(self.library.uri)
        self.deliver()
        self._write_card()
        return rebuilt

    def _check_writer(self, catalog: OutboxSource) -> None:
        """Refuse a library that another catalog writes (another machine's, most likely): this
        one would otherwise replace what it holds."""
        card = LibraryCard.read(self._connected())
        if card is None or card.catalog_id == catalog.catalog_id() or self.take_over:
            return
        uri = self.library.uri
        raise LibraryError(
            f"the library {uri} is written by another Trove (another machine's catalog): search "
            f"it from here with `trove search --library {uri}`, or make this machine its writer "
            f"with `trove rebuild --library {uri} --take-over`, which replaces what it holds"
        )

    def _write_card(self) -> None:
        """Keep the library's card as the catalog is now (folders added, spaces made)."""
        card = LibraryCard.of(self._source())
        if card != self._card:
            card.write(self._connected())
            self._card = card

    def _forget_other_catalogs(self) -> None:
        """A library is written by one catalog: when this catalog first delivers to it, Trove's
        collections there (of another catalog, or of this one's older self) go, and are made
        again from this catalog, each space as it comes."""
        client = self._connected()
        for name in client.list_collections():
            if name.startswith(COLLECTION_PREFIX):
                client.drop_collection(name)

    def _connected(self) -> MilvusClient:
        if self._client is None:
            self._client = connect(self.library)
        return self._client

    def _collection(self, space: str, dim: int) -> Collection:
        with self._lock:
            found = self._collections.get(space)
            if found is None:
                found = Collection.of(self.library, self._connected(), space, dim, self.hnsw)
                self._collections[space] = found
            return found

    def _words(self) -> WordsCollection | None:
        """The library's words (:mod:`engine.index.milvus_words`), where it can search them."""
        from engine.index.milvus_words import WordsCollection, has_full_text

        client = self._connected()
        if self._full_text is None:
            self._full_text = has_full_text(str(client.get_server_version()))
        if not self._full_text:
            return None
        lite = self.library.backend is Backend.MILVUS_LITE
        return WordsCollection(client, LITE_WRITE_TIMEOUT if lite else CALL_TIMEOUT)

    def _source(self) -> OutboxSource:
        if self._catalog is None:
            raise RuntimeError("MilvusSpaces used before open(catalog)")
        return self._catalog

    def rebuild(self) -> dict[str, int]:
        """Every collection made again from the catalog; returns rows per space."""
        with self._lock:
            built = {}
            for space, dim in self._source().spaces().items():
                collection = self._collection(space, dim)
                self._rebuild(collection)
                built[space] = collection.count()
            words = self._words()
            if words is not None:
                self._rebuild_words(words)
            self.deliver()
            return built

    def _rebuild(self, collection: Collection) -> None:
        try:
            collection.drop()
            collection.create()
            for rows in self._source().vector_rows(collection.space):
                collection.upsert([row_of(row) for row in rows])
        except LibraryError:
            raise
        except Exception as error:
            raise unreachable(self.library, error) from error

    def _rebuild_words(self, words: WordsCollection) -> None:
        from engine.index.milvus_words import word_rows

        try:
            words.drop()
            words.create()
            for space in self._source().spaces():
                for rows in self._source().vector_rows(space):
                    words.upsert(word_rows(rows))
        except Exception as error:
            raise unreachable(self.library, error) from error

    # --- changes: delivered from the outbox -----------------------------------------------

    def deliver(self, limit: int = 4096, force: bool = False) -> int:
        """Send every outbox note to Milvus; returns how many rows went. A library that cannot
        be reached leaves the notes for a later call (logged once until it is back), and calls
        in the next ``RETRY_AFTER`` seconds do not try unless ``force``d."""
        catalog = self._source()
        sent = 0
        with self._lock:
            if not force and time.monotonic() < self._retry_at:
                return 0
            while (batch := catalog.outbox_pending(limit)).last_id:
                try:
                    self._send(batch)
                except Exception as error:
                    self._lost(error)
                    return sent
                catalog.outbox_delivered(batch)
                self._warned, self._retry_at = False, 0.0
                sent += len(batch.upserts) + len(batch.deletes)
        return sent

    def _lost(self, error: Exception) -> None:
        """The library did not answer: say so once, start afresh with the next try (a client
        whose server went away does not always find it back)."""
        if not self._warned:
            log.warning("%s; the changes wait in the catalog", unreachable(self.library, error))
            self._warned = True
        self._retry_at = time.monotonic() + RETRY_AFTER
        self._drop_client()

    def _drop_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None
        self._collections = {}

    def _send(self, batch: OutboxBatch) -> None:
        spaces = self._source().spaces()
        upserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in batch.upserts:
            upserts[row.space].append(row_of(row))
        deletes: dict[str, list[int]] = defaultdict(list)
        for space, item_id in batch.deletes:
            deletes[space].append(item_id)
        for space, rows in upserts.items():
            collection = self._collection(space, spaces[space])
            collection.ensure()
            collection.upsert(rows)
        for space, ids in deletes.items():
            collection = self._collection(space, spaces[space])
            if collection.exists():
                collection.delete(ids)
        self._send_words(batch)

    def _send_words(self, batch: OutboxBatch) -> None:
        """The batch's items in the library's words; a file's name stays while any of its
        items is in the library."""
        from engine.index.milvus_words import word_rows

        words = self._words()
        if words is None:
            return
        words.ensure()
        words.upsert(word_rows(batch.upserts))
        named = words.delete([item_id for _, item_id in batch.deletes])
        if named:
            kept = set()
            for space, dim in self._source().spaces().items():
                collection = self._collection(space, dim)
                if collection.exists():
                    rows = collection.rows(f"file_id in {named}", ["file_id"])
                    kept |= {int(row["file_id"]) for row in rows}
            words.delete_names(set(named) - kept)

    def apply(self, result: ReplaceResult) -> None:
        """A committed change: its notes are in the outbox already."""
        self.deliver()

    def remove(self, pairs: Iterable[tuple[str, int]]) -> int:
        """Removed vectors: their notes are in the outbox already. Returns how many."""
        count = len(list(pairs))
        self.deliver()
        return count

    def save(self) -> None:
        """The writer's checkpoint: try the library even if it was just away, and keep its
        card current."""
        self.deliver(force=True)
        try:
            self._write_card()
        except Exception as error:  # away: the next checkpoint writes it
            self._lost(error)

    # --- queries ------------------------------------------------------------------------

    def search(
        self, name: str, queries: ArrayLike, k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], Ids]:
        """Best ``k`` per query row; ``filters`` are pushed down into Milvus."""
        check_k(k)
        rows = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        dim = self._source().spaces().get(name)
        if dim is None:
            return empty_result(len(rows))
        checked = as_vectors(rows, dim, "queries")
        where = ""
        if filters is not None:
            where = milvus_filter(filters, [root.path for root in self._source().roots()])
        collection = self._collection(name, dim)
        try:
            if not collection.exists():
                return empty_result(len(rows))
            return collection.search(checked, k, where)
        except Exception as error:
            with self._lock:  # the next call connects afresh
                self._drop_client()
            raise unreachable(self.library, error) from error

    def count(self, name: str) -> int:
        dim = self._source().spaces().get(name)
        if dim is None:
            return 0
        collection = self._collection(name, dim)
        try:
            return collection.count() if collection.exists() else 0
        except Exception as error:
            raise unreachable(self.library, error) from error

    def spaces(self) -> Sequence[str]:
        return sorted(self._source().spaces())

    def report(self) -> LibraryReport:
        """Backend, server version, rows per collection, and what waits to be delivered."""
        try:
            version = str(self._connected().get_server_version())
            counts = {space: self.count(space) for space in self.spaces()}
            words = self._words()
            kept = words.count() if words is not None and words.exists() else None
        except LibraryError:
            raise
        except Exception as error:
            raise unreachable(self.library, error) from error
        undelivered = self._source().outbox_size()
        backend, uri = self.library.backend, self.library.uri
        return LibraryReport(backend, uri, version, counts, undelivered, kept)

    def close(self) -> None:
        with self._lock:
            self._drop_client()

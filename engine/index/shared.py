"""A shared library: a Milvus library that another machine's Trove writes, searched from here.

The indexing machine's catalog is not here, so a hit is rendered from the fields each Milvus row
carries (:func:`engine.index.milvus.row_of`): its file, kinds, path, times, size, text, tag
probability, spoken language, date and place. The paths are the indexing machine's; a
:class:`PathMapping` says where the same share is mounted here, so that a hit opens here and a
folder filter typed here is asked of Milvus in the indexing machine's terms.

A reader never writes: it makes, fills and drops nothing. It loads a released collection (a
restarted server), which changes what the server holds in memory, not what it stores.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.catalog.records import (
    FileKind,
    FileRecord,
    FileStatus,
    Item,
    ItemKind,
    ItemRow,
    MediaFacts,
)
from engine.catalog.words import Matches
from engine.index.base import Ids
from engine.index.checks import as_vectors, check_k, empty_result
from engine.index.expressions import milvus_filter
from engine.index.hnsw import HnswParams
from engine.index.library import Library, LibraryError
from engine.index.milvus import (
    NONE,
    ROW_FIELDS,
    Collection,
    LibraryCard,
    LibraryReport,
    connect,
    unreachable,
)
from engine.index.milvus_words import WordsCollection

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from engine.search.query import Filters

T = TypeVar("T")

# A file has at most this many items in one space (a long recording's windows and transcript).
ITEMS_PER_FILE = 16384


class MappingError(ValueError):
    """A path mapping that is not ``THERE=HERE`` with both sides absolute."""


@dataclass(frozen=True)
class PathMapping:
    """Where the indexing machine's folders are mounted on this one: ``(there, here)`` pairs,
    ``there`` as the indexing machine names it (``/srv/photos``), ``here`` a folder on this
    machine (``/Volumes/photos``). The longest ``there`` that holds a path wins; a path no pair
    holds stays as the indexing machine names it."""

    pairs: tuple[tuple[str, Path], ...] = ()

    @classmethod
    def parse(cls, texts: Sequence[str]) -> PathMapping:
        """From ``THERE=HERE`` texts (the command line's ``--map``)."""
        pairs = []
        for text in texts:
            there, sep, here = text.partition("=")
            if not sep or not there or not here:
                raise MappingError(f"the path mapping {text!r} is not THERE=HERE")
            pairs.append((there, Path(here)))
        return cls.of(pairs)

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, Path]]) -> PathMapping:
        checked = []
        for there, here in pairs:
            if not any(kind(there).is_absolute() for kind in (PurePosixPath, PureWindowsPath)):
                raise MappingError(f"the library's folder {there} is not an absolute path")
            if not here.expanduser().is_absolute():
                raise MappingError(f"the folder {here} on this machine is not an absolute path")
            checked.append((there.rstrip("/\\") or there, here.expanduser()))
        return cls(tuple(sorted(checked, key=lambda pair: -len(pair[0]))))

    def here(self, there: str) -> Path:
        """Where ``there`` (a path on the indexing machine) is on this machine."""
        for prefix, folder in self.pairs:
            rest = _below(there, prefix)
            if rest is not None:
                return folder.joinpath(*rest)
        return Path(there)

    def there(self, here: Path) -> str:
        """How the indexing machine names ``here`` (a path on this machine)."""
        for prefix, folder in sorted(self.pairs, key=lambda pair: -len(str(pair[1]))):
            if here == folder or here.is_relative_to(folder):
                names = here.relative_to(folder).parts
                separator = "\\" if "\\" in prefix and "/" not in prefix else "/"
                return separator.join([prefix.rstrip(separator), *names]) if names else prefix
        return str(here)


def _below(path: str, prefix: str) -> list[str] | None:
    """The names that lead from ``prefix`` to ``path`` (none for the prefix itself), split by
    the separator the prefix is followed by there ("/", or a Windows share's "\\"); None if
    ``path`` is not below ``prefix``."""
    if path == prefix:
        return []
    for separator in ("/", "\\"):
        if path.startswith(prefix.rstrip(separator) + separator):
            return path[len(prefix.rstrip(separator)) + 1 :].split(separator)
    return None


@dataclass(frozen=True)
class SharedLibraryInfo:
    """A shared library as this machine sees it: what a settings page lists."""

    uri: str
    mapping: PathMapping
    folders: tuple[str, ...]  # its watched folders, as the indexing machine names them
    spaces: tuple[str, ...]  # the spaces searched here (this pack's models that it holds)
    missing: tuple[str, ...]  # spaces it holds that this pack cannot search (other models)


class SharedLibrary:
    """A library another machine writes, read from here. Searches go through :meth:`reading`,
    one per search: it answers the planner's vector searches and item lookups from Milvus
    alone. Safe to use from several threads."""

    def __init__(self, library: Library, mapping: PathMapping, models: Mapping[str, int]) -> None:
        """``models``: this pack's spaces and their dimensions (a query is embedded here)."""
        self.library, self.mapping, self.models = library, mapping, dict(models)
        self._lock = threading.Lock()
        self._client: MilvusClient | None = None
        self._card: LibraryCard | None = None
        self._has_words: bool | None = None  # its writer keeps its words (Milvus >= 2.5, Lite)

    def open(self) -> SharedLibraryInfo:
        """Reach the library and read its card; a library no Trove has written is refused."""
        with self._lock:
            card = self._read_card()
        searched = tuple(name for name, dim in card.spaces if self.models.get(name) == dim)
        missing = tuple(name for name, _ in card.spaces if name not in searched)
        return SharedLibraryInfo(self.library.uri, self.mapping, card.roots, searched, missing)

    def _read_card(self) -> LibraryCard:
        try:
            card = LibraryCard.read(self._connected())
        except LibraryError:
            raise
        except Exception as error:
            self._drop_client()
            raise unreachable(self.library, error) from error
        if card is None:
            raise LibraryError(
                f"{self.library.uri} holds no Trove library yet: index into it from the machine "
                f"that watches the folders (trove index --library {self.library.uri})"
            )
        self._card, self._has_words = card, None
        return card

    def _connected(self) -> MilvusClient:
        if self._client is None:
            self._client = connect(self.library)
        return self._client

    def _drop_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None

    def _collection(self, space: str) -> Collection | None:
        """The collection of ``space`` if the library holds it and this pack can search it."""
        with self._lock:
            card = self._card or self._read_card()
            dim = dict(card.spaces).get(space)
            if dim is None or self.models.get(space) != dim:
                return None
            return Collection(self._connected(), space, dim, HnswParams())

    def words(self) -> WordsCollection | None:
        """The library's words, if its writer keeps them (:mod:`engine.index.milvus_words`)."""
        with self._lock:
            words = WordsCollection(self._connected())
            if self._has_words is None:
                self._has_words = self._asked_locked(words.exists)
            return words if self._has_words else None

    def reading(self) -> SharedReading:
        return SharedReading(self)

    def items_of_file(self, file_id: int) -> list[ItemRow]:
        """Every item of one of the library's files, in each space (a transcript's lines,
        tags), for a preview: from the rows Milvus keeps."""
        found: dict[int, ItemRow] = {}
        with self._lock:
            card = self._card or self._read_card()
        where = f"file_id == {int(file_id)}"
        for space, _ in card.spaces:
            collection = self._collection(space)
            if collection is None:
                continue
            rows = self._asked(partial(collection.rows, where, ROW_FIELDS, ITEMS_PER_FILE))
            for row in rows:
                found.setdefault(int(row["item_id"]), self.item_row(row))
        return [found[item_id] for item_id in sorted(found)]

    def _asked(self, ask: Callable[[], T]) -> T:
        """``ask()``, a library that does not answer said in one sentence (and connected
        afresh on the next call)."""
        try:
            return ask()
        except LibraryError:
            raise
        except Exception as error:
            with self._lock:
                self._drop_client()
            raise unreachable(self.library, error) from error

    def _asked_locked(self, ask: Callable[[], T]) -> T:
        """:meth:`_asked`, for a caller that holds the lock."""
        try:
            return ask()
        except Exception as error:
            self._drop_client()
            raise unreachable(self.library, error) from error

    def item_row(self, row: Mapping[str, Any], space: str | None = None) -> ItemRow:
        """An item as the planner reads it, from a Milvus row: paths as mounted here."""
        taken = int(row["taken"])
        place = int(row["place_id"])
        dated = int(row["dated"])
        facts = MediaFacts(taken_ns=None if taken == NONE else taken * 10**9)
        record = FileRecord(
            id=int(row["file_id"]),
            root_id=NONE,
            relpath=str(row["relpath"]),
            size=int(row["size"]),
            mtime_ns=dated * 10**9,
            content_hash="",
            kind=FileKind(row["kind"]),
            status=FileStatus.INDEXED,
            facts=facts,
            place_id=None if place == NONE else place,
        )
        vectors = {}
        if space is not None and "vector" in row:
            vectors[space] = np.asarray(row["vector"], dtype=np.float32)
        item = Item(
            kind=ItemKind(row["item_kind"]),
            start=_seconds(row["start"]),
            end=_seconds(row["end"]),
            text=str(row["text"]) or None,
            score=None if float(row["score"]) == NONE else float(row["score"]),
            language=str(row["language"]) or None,
            vectors=vectors,
        )
        root_here = str(self.mapping.here(str(row["root"])))
        return ItemRow.of(item, id=int(row["item_id"]), file=record, root_path=root_here)

    def where(self, filters: Filters | None) -> str:
        """``filters`` (typed here, in this machine's paths) as a Milvus expression in the
        indexing machine's terms."""
        if filters is None:
            return ""
        card = self._card
        there = tuple(Path(self.mapping.there(folder)) for folder in filters.folders)
        return milvus_filter(replace(filters, folders=there), card.roots if card else ())

    def report(self) -> LibraryReport:
        """Backend, server version and rows per collection (``trove doctor``)."""
        info = self.open()

        def ask() -> LibraryReport:
            version = str(self._connected().get_server_version())
            counts = {}
            for space in info.spaces:
                collection = self._collection(space)
                counts[space] = collection.count() if collection and collection.exists() else 0
            words = self.words()
            kept = None if words is None else words.count()
            backend, uri = self.library.backend, self.library.uri
            return LibraryReport(backend, uri, version, counts, 0, kept)

        return self._asked(ask)

    def close(self) -> None:
        with self._lock:
            self._drop_client()


def _seconds(value: Any) -> float | None:
    return None if float(value) == NONE else float(value)


class SharedReading:
    """One search of a shared library: the planner's :class:`VectorSearch` and
    :class:`ItemLookup` at once. The rows a vector search brings back are kept for the item
    lookups that follow, so rendering a hit costs no second trip to the server."""

    def __init__(self, shared: SharedLibrary) -> None:
        self.shared = shared
        # item id -> (its space, row); a row found by its words has no space (nor vector)
        self._rows: dict[int, tuple[str | None, dict[str, Any]]] = {}

    def search(
        self, space: str, queries: ArrayLike, k: int, filters: Filters | None = None
    ) -> tuple[NDArray[np.float32], Ids]:
        check_k(k)
        rows = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        collection = self.shared._collection(space)
        if collection is None:
            return empty_result(len(rows))
        checked = as_vectors(rows, collection.dim, "queries")
        where = self.shared.where(filters)

        def ask() -> tuple[NDArray[np.float32], Ids, dict[int, dict[str, Any]]]:
            if not collection.exists():
                return (*empty_result(len(rows)), {})
            return collection.found(checked, k, where, ROW_FIELDS)

        scores, ids, found = self.shared._asked(ask)
        for item_id, row in found.items():
            self._rows[item_id] = (space, row)
        return scores, ids

    def match_units(self, units: Sequence[Sequence[str]], k: int) -> Matches:
        """The rows of the library's words that hold any of ``units`` (see
        :class:`engine.search.lexical.WordLookup`); nothing where its writer keeps no words."""
        words = self.shared.words()
        if words is None:
            return Matches([], [0] * len(units), 0)
        matches, rows = self.shared._asked(partial(words.matches, units, k))
        for row in rows:  # a row a vector search brought keeps its space (and vector)
            self._rows.setdefault(int(row["item_id"]), (None, row))
        return matches

    def items(self, item_ids: Sequence[int], with_vectors: bool = False) -> list[ItemRow]:
        """The items of these ids that a search of this reading brought back (the planner
        asks for no others), with their vectors when asked for."""
        wanted = [int(i) for i in item_ids if int(i) in self._rows]
        if with_vectors:
            self._fetch_vectors(wanted)
        return [self.shared.item_row(self._rows[i][1], self._rows[i][0]) for i in wanted]

    def _fetch_vectors(self, item_ids: Sequence[int]) -> None:
        by_space: dict[str, list[int]] = {}
        for item_id in item_ids:
            space, row = self._rows[item_id]
            if space is not None and "vector" not in row:
                by_space.setdefault(space, []).append(item_id)
        for space, ids in by_space.items():
            collection = self.shared._collection(space)
            if collection is None:
                continue
            asked = partial(collection.rows, f"item_id in {ids}", ["vector"])
            for row in self.shared._asked(asked):
                self._rows[int(row["item_id"])][1]["vector"] = row["vector"]

    def generation(self) -> int:
        """A shared library has no generation here: its catalog is on another machine."""
        return 0

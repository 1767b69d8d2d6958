"""The engine's one front door: what the command line and the desktop app may ask of Trove.

``Trove`` wires the parts together: the catalog and vector indexes in the data directory, the
model pack's encoders, the scanner, the indexing pipeline, the watcher and the search planner.
Its methods fall in two lanes:

- The **indexing lane** has one writer. While Trove watches, that is the watcher's thread:
  ``add_folder``, ``remove_folder`` and ``set_exclusions`` are handed to it as commands and wait
  for its answer (a run under way stops after its batch in hand and goes on afterwards). When
  nothing watches, they run on the caller's thread under the same lock as ``index``.
  ``pause``, ``resume`` and ``cancel`` are signals to the running pipeline, from any thread.
- The **query lane**: ``search``, ``details``, ``duplicates``, ``status``, ``folders`` and
  ``generation`` read committed state and may run on any number of threads at once, while
  indexing goes on; a search never waits for the indexing lane. Examples from outside the
  index are embedded by the query lane's own extractor.

The engine publishes what each commit changed (:class:`IndexChanges`) to ``on_change``.

This module is the only one the desktop imports: everything it needs of the engine (values,
errors, the tile pictures of :mod:`engine.media.previews`) is named here, in ``__all__``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from engine.catalog.health import (
    BACKUP_FOLDER,
    RepairReport,
    back_up,
    backups,
    open_catalog,
    repair,
)
from engine.catalog.records import (
    Box,
    CatalogError,
    Failure,
    FileKind,
    FileRecord,
    FileStatus,
    ItemKind,
    ItemRow,
    Root,
)
from engine.datadir import DataDirError, check_not_inside, data_dir, demo_data_dir, demo_folder
from engine.errors import EngineError, Problem, QueryError, QueryProblem
from engine.index.library import Library, LibraryError
from engine.index.milvus import LibraryReport, MilvusSpaces
from engine.index.shared import MappingError, PathMapping, SharedLibrary, SharedLibraryInfo
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.inference.pack import open_pack
from engine.inference.providers import Device, DeviceUnavailableError, Placement, choose
from engine.inference.speech import Segment, detected_languages
from engine.inference.tagnames import IN_ENGLISH, TagNames
from engine.media.previews import media_seconds, photo_thumbnail, video_frame, waveform_peaks
from engine.places import Gazetteer, Place
from engine.privacy import make_private, persons_umask, restrict_new_files
from engine.scan.changes import ChangeCallback, ChangeKind, FileChange, IndexChanges
from engine.scan.extract import Extractor, ExtractSettings
from engine.scan.pipeline import Pipeline, Progress, ProgressCallback, RunState, RunSummary
from engine.scan.scanner import Scanner
from engine.scan.watcher import Watcher
from engine.search.browse import DEFAULT_PAGE, Listed, Listing, Order, list_page
from engine.search.calibration import CalibrationTable
from engine.search.duplicates import DuplicateGroup, Likeness, find_duplicates, near_lines
from engine.search.planner import Planner
from engine.search.probes import ModelProbes, RememberedProbes
from engine.search.query import ExamplePart, Filters, PlaceName, Query, TextPart, parse
from engine.search.results import FileKey, Hit, Reason, Route, SearchResult, Span, Strength
from models.generation import WhisperGeneration
from models.manifest import MANIFEST_NAME, Manifest, PackError, Task, read_manifest

__all__ = [
    "IN_ENGLISH",
    "MANIFEST_NAME",
    "Box",
    "DuplicateGroup",
    "ChangeKind",
    "EngineError",
    "ExamplePart",
    "Failure",
    "FileChange",
    "FileDetails",
    "FileKey",
    "FileKind",
    "FileStatus",
    "Filters",
    "Hit",
    "IndexChanges",
    "Library",
    "LibraryError",
    "LibraryReport",
    "Likeness",
    "MappingError",
    "PathMapping",
    "Listed",
    "Listing",
    "Order",
    "PackError",
    "Place",
    "PlaceName",
    "Problem",
    "Progress",
    "QueryError",
    "QueryProblem",
    "Reason",
    "RepairReport",
    "Root",
    "Route",
    "RunState",
    "RunSummary",
    "SearchResult",
    "Segment",
    "SharedLibraryInfo",
    "Span",
    "Status",
    "Strength",
    "TagNames",
    "TextPart",
    "Trove",
    "available_devices",
    "demo_data_dir",
    "demo_folder",
    "library_writer",
    "make_private",
    "media_seconds",
    "parse",
    "persons_umask",
    "photo_thumbnail",
    "read_manifest",
    "repair_catalog",
    "restrict_new_files",
    "speech_languages",
    "video_frame",
    "waveform_peaks",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

CATALOG_FILE = "catalog.sqlite3"
INDEX_FOLDER = "indexes"
# Where Trove before schema 3 kept what a full scan could not open; the catalog holds it now.
_OLD_UNREADABLE_FILE = "unreadable.json"


class FolderError(EngineError):
    """A folder that cannot be watched, or is not watched: the message says which and why."""


@dataclass(frozen=True)
class Status:
    """Counts for the status bar and ``trove status``, and every file that could not be read."""

    folders: list[Root]
    counts: dict[str, int]
    failures: list[Failure]
    spaces: dict[str, tuple[int, int]]  # space -> (vectors in the catalog, in the index)
    generation: int = 0

    @property
    def consistent(self) -> bool:
        """Every vector the catalog holds is searchable, and nothing else is."""
        return all(stored == indexed for stored, indexed in self.spaces.values())


@dataclass(frozen=True)
class FileDetails:
    """What the catalog knows of one file: for a preview pane and ``trove status``-like views."""

    file_id: int
    path: Path
    kind: FileKind
    size: int
    modified: float  # seconds since the epoch
    status: FileStatus
    error: str | None
    transcript: list[Segment]  # in time order; empty for photos and notes
    tags: list[tuple[str, float]]  # label, probability; best first
    taken: float | None = None  # seconds since the epoch, when taken or recorded, if it says
    place: Place | None = None  # the town it was taken near (its name in any UI language)
    camera: str | None = None  # "Make Model"

    @property
    def languages(self) -> tuple[str, ...]:
        """Codes of the languages spoken in its transcript ("es"), most seconds first (ties:
        first heard)."""
        seconds: dict[str, float] = {}
        for segment in self.transcript:
            if segment.language:
                spoken = max(segment.end - segment.start, 0.0)
                seconds[segment.language] = seconds.get(segment.language, 0.0) + spoken
        return tuple(sorted(seconds, key=lambda code: -seconds[code]))


def available_devices() -> list[str]:
    """The devices a settings page may offer here: ``auto``, ``cpu`` and each accelerator whose
    execution provider this machine's ONNX Runtime has (asked of the providers module)."""
    found = []
    for device in Device:
        try:
            choose(device, threads=1)
        except DeviceUnavailableError:
            continue
        found.append(device.value)
    return found


def speech_languages(pack: Path | None = None) -> tuple[str, ...]:
    """The codes of the languages the pack's speech model detects ("en", "es", "zh"), sorted:
    those a settings page may offer as the languages spoken in the person's recordings. None
    where the pack has no multilingual speech model or cannot be read (only its manifest and
    the model's decoding file are read, so this is quick)."""
    try:
        manifest = open_pack(pack, verify=False)
        entry = ModelSet(manifest).entry(Task.SPEECH)
        if entry is None:
            return ()
        return detected_languages(WhisperGeneration.read(manifest.path(entry, "generation")))
    except (PackError, OSError, ValueError):
        return ()


class Trove:
    """Open once per process. Query-lane methods may run on several threads at once; the
    indexing lane has one writer (see the module's notes). Every method may block, so a UI
    calls them off its main thread."""

    def __init__(
        self,
        data: Path | None = None,
        pack: Path | None = None,
        device: Device | str = Device.AUTO,
        threads: int = 0,
        on_progress: ProgressCallback | None = None,
        on_change: ChangeCallback | None = None,
        library: Library | str | None = None,
        take_over: bool = False,
        spoken_languages: Sequence[str] = (),
    ) -> None:
        """``on_progress`` hears how indexing goes, ``on_change`` of every committed change of
        the index; both on the indexing lane's thread. ``library`` is where this machine's
        vectors are kept and searched: FAISS files in the data folder (the default), or a Milvus
        library by URI (:class:`Library`); the catalog in the data folder stays the source of
        truth. A Milvus library another catalog writes is refused, unless ``take_over`` (its
        collections are then made again from this catalog). Libraries other machines write are
        searched from here through :meth:`attach_library`. ``spoken_languages``: the languages
        the person's recordings are likely in (codes of :func:`speech_languages`); speech in
        another language is still heard, where it is clear (a long recording), and none: any."""
        self.data_dir = data_dir(data)
        self.spoken_languages = tuple(spoken_languages)
        self.on_change = on_change
        # Paths that other accounts could read before (a folder made by hand, an older Trove):
        # private now, and listed so that the caller can say so.
        self.made_private: list[Path] = self._make_data_private()
        try:
            self.manifest: Manifest = open_pack(pack)
        except PackError as error:
            raise EngineError(Problem.CANNOT_OPEN, str(error), pack) from error
        self.placement: Placement = choose(device, threads)
        self.catalog = open_catalog(self.data_dir / CATALOG_FILE)
        try:
            (self.data_dir / _OLD_UNREADABLE_FILE).unlink(missing_ok=True)
        except OSError:
            pass  # a read-only data folder: the file is ignored all the same
        self.library = library if isinstance(library, Library) else Library.parse(library)
        self.indexes: SpaceIndexes | MilvusSpaces = (
            MilvusSpaces(self.library, take_over=take_over)
            if self.library.is_milvus
            else SpaceIndexes(self.data_dir / INDEX_FOLDER)
        )
        try:
            rebuilt = self.indexes.open(self.catalog)
        except LibraryError:
            self.catalog.close()
            raise
        if rebuilt:
            log.info("rebuilt vector indexes from the catalog: %s", ", ".join(rebuilt))
        self.models = ModelSet(self.manifest, self.placement)
        self._on_progress = on_progress
        self._writer = threading.Lock()  # the indexing lane's one writer when nothing watches
        self.gazetteer = Gazetteer()  # shared by both lanes; read on first use
        self._watcher: Watcher | None = None
        self._shared: dict[str, SharedLibrary] = {}  # attached libraries by URI

    # Parts made on first use: a text search needs neither the pipeline nor the extractors.

    @cached_property
    def scanner(self) -> Scanner:
        return Scanner(self.catalog)

    @cached_property
    def extractor(self) -> Extractor:
        """The indexing lane's extractor; its settings are read afresh for each file."""
        return Extractor(self.models, ExtractSettings(spoken_languages=self.spoken_languages))

    @cached_property
    def pipeline(self) -> Pipeline:
        return Pipeline(
            self.catalog,
            self.indexes,
            self.extractor,
            on_progress=self._on_progress,
            on_change=self.on_change,
            places=self.gazetteer,
        )

    @cached_property
    def planner(self) -> Planner:
        # The query lane's own extractor: an example from outside the index is embedded
        # alongside indexing, never queued behind it.
        # It reads no words in pictures: an example is compared by what it looks like.
        looking = Extractor(self.models, ExtractSettings(read_text=False))
        probes = ModelProbes(self.models, extractor=looking, catalog=self.catalog)
        return Planner(
            probes,
            self.indexes,
            self.catalog,
            CalibrationTable.of(self.manifest),
            words=self.catalog,
        )

    def hear_in(self, languages: Sequence[str]) -> None:
        """Hear the recordings indexed from now on as in ``languages`` (``spoken_languages``
        of the constructor); those already indexed keep their transcripts (see
        :meth:`hear_again`)."""
        self.spoken_languages = tuple(languages)
        if "extractor" in self.__dict__:  # made already: the next file reads the new settings
            settings = replace(self.extractor.settings, spoken_languages=self.spoken_languages)
            self.extractor.settings = settings

    def hear_again(self) -> int:
        """Have the recordings indexed before with words heard in a language not named now
        heard again by the next run (at once, while watching); how many. None named: none."""
        if not self.spoken_languages:
            return 0
        elsewhere = self.catalog.heard_elsewhere(self.spoken_languages)
        if not elsewhere:  # asked of the watcher, even nothing would start a scan
            return 0
        return self._indexing(lambda: self.catalog.mark_pending(elsewhere))

    def _make_data_private(self) -> list[Path]:
        """The data folder itself and what Trove keeps in it: nothing else there is touched
        (``--data-dir`` may name a folder that holds other things of the person's)."""
        folder = self.data_dir
        owned = [
            *folder.glob(f"{CATALOG_FILE}*"),  # with its -wal, -shm, note and damaged copies
            folder / INDEX_FOLDER,
            folder / BACKUP_FOLDER,
        ]
        changed = make_private(folder, recursive=False)
        for path in owned:
            if path.exists():
                changed += make_private(path)
        return changed

    # --- indexing lane: folders --------------------------------------------------------------

    def add_folder(self, folder: Path, exclude: Sequence[str] = ()) -> Root:
        """Watch ``folder`` (with these exclusion globs); while watching, it is scanned at once."""
        folder = folder.expanduser().resolve()
        if not folder.is_dir():
            raise FolderError(Problem.NOT_A_FOLDER, f"{folder} is not a folder", folder)
        try:
            check_not_inside(self.data_dir, folder)
        except DataDirError as error:  # a person's choice, not a broken data folder
            raise FolderError(Problem.NOT_A_FOLDER, str(error), folder) from error
        return self._indexing(lambda: self.catalog.add_root(folder, exclude=exclude))

    def remove_folder(self, folder: Path) -> int:
        """Forget a folder: its files, items, vectors and failures. Returns how many vectors
        went; ``on_change`` hears that each of its files is REMOVED."""
        return self._indexing(lambda: self._remove_root(self._root(folder)))

    def set_exclusions(self, folder: Path, exclude: Sequence[str]) -> Root:
        """Replace a watched folder's exclusion globs; the next scan drops what they exclude
        (at once, while watching)."""

        def change() -> Root:
            root = self._root(folder)
            return self.catalog.add_root(Path(root.path), include=root.include, exclude=exclude)

        return self._indexing(change)

    def _remove_root(self, root: Root) -> int:
        removal = self.catalog.remove_root(root.id)
        self.indexes.remove(removal.vectors)
        self.indexes.save()
        if self.on_change is not None and removal.files:
            top = Path(removal.root.path)
            gone = [
                FileChange(ChangeKind.REMOVED, file.id, top / file.relpath, file.kind)
                for file in removal.files
            ]
            self.on_change(IndexChanges(removal.generation, tuple(gone)))
        return len(removal.vectors)

    def _root(self, folder: Path) -> Root:
        wanted = str(folder.expanduser().resolve())
        for root in self.catalog.roots():
            if root.path == wanted:
                return root
        raise FolderError(Problem.NOT_WATCHED, f"{wanted} is not a watched folder", Path(wanted))

    def _indexing(self, work: Callable[[], T]) -> T:
        """Run ``work`` as the indexing lane's writer: on the watcher's thread while it runs
        (waiting for its answer), else here, one writer at a time."""
        watcher = self._watcher
        if watcher is not None and watcher.running:
            return watcher.submit(work).result()
        with self._writer:
            return work()

    # --- indexing lane: runs -----------------------------------------------------------------

    def index(self) -> RunSummary:
        """Bring the index up to date with every folder, once (not while watching)."""
        if self.watching:
            raise EngineError(Problem.UNEXPECTED, "Trove is watching: the watcher indexes")
        with self._writer:
            summary = self.pipeline.run(self.scanner.scan())
        self.back_up()
        return summary

    def start_watching(self) -> None:
        """Keep the index current on the watcher's thread, which becomes the indexing lane's
        writer, until :meth:`stop_watching` (or :meth:`close`). It scans everything first;
        each time it falls idle, the daily backup is taken if one is due."""
        with self._writer:
            if self._watcher is not None:
                return

            def status(progress: Progress) -> None:
                if progress.state is RunState.WATCHING:
                    self.back_up()  # on the watcher's thread: between runs, never during one
                if self._on_progress is not None:
                    self._on_progress(progress)

            self._watcher = Watcher(self.scanner, self.pipeline, on_status=status)
            self._watcher.start()

    def stop_watching(self) -> None:
        with self._writer:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    @property
    def polled(self) -> dict[int, str]:
        """Roots rescanned on a timer because the system refused to watch them, with why."""
        watcher = self._watcher
        return watcher.polled if watcher is not None else {}

    def pause(self) -> None:
        self.pipeline.pause()

    def resume(self) -> None:
        self.pipeline.resume()

    def cancel(self) -> None:
        self.pipeline.cancel()

    def back_up(self) -> Path | None:
        """Keep the daily backup of the catalog (at most one a day); the new backup, or None.
        A failed backup is logged, never fatal: the catalog itself is fine."""
        try:
            return back_up(self.catalog, self.data_dir / BACKUP_FOLDER)
        except (CatalogError, OSError) as error:
            log.warning("could not back up the catalog: %s", error)
            return None

    def last_backup(self) -> Path | None:
        """The newest daily backup of the catalog, if one was taken."""
        taken = backups(self.data_dir / BACKUP_FOLDER)
        return taken[-1] if taken else None

    def integrity(self) -> list[str]:
        """SQLite's full check of the catalog: what is wrong, or nothing (``trove doctor``)."""
        return self.catalog.integrity()

    # --- query lane --------------------------------------------------------------------------

    def search(
        self,
        query: str | Query,
        limit: int = 20,
        base: Path | None = None,
        libraries: Sequence[str] | None = None,
    ) -> SearchResult:
        """Answer a query string (see :mod:`engine.search.query` for its forms; relative paths
        from ``base``), or a :class:`Query` of typed values, such as example files whose names
        must not be read as query language (``parse(text, examples=...)`` makes one).

        ``libraries``: the URIs to search, this machine's own (``self.library.uri``) and
        attached ones; None for all of them. A hit of an attached library names it
        (:attr:`Hit.library`). An attached library that cannot be reached is said in the
        notes while others answer; asked alone, it raises :class:`LibraryError`."""
        parsed = parse(query, base) if isinstance(query, str) else query
        if parsed.browsing:
            raise QueryError(
                "a filter alone lists files (browse), it is not a search",
                problem=QueryProblem.FILTER_ALONE,
            )
        located = replace(parsed, filters=self._located(parsed.filters))
        # This machine's library, when asked; asked for all, only if it holds anything (a
        # laptop that only reads a shared library has nothing to say "nothing indexed" of).
        own = bool(self.catalog.spaces()) if libraries is None else self.library.uri in libraries
        shared = [
            library
            for uri, library in list(self._shared.items())
            if libraries is None or uri in libraries
        ]
        if not shared:
            return self.planner.search(located, limit)
        probes = RememberedProbes(self.planner.probes)  # each example embedded once
        results = [self.planner.with_probes(probes).search(located, limit)] if own else []
        worded = any(isinstance(part, TextPart) for part in located.positive)
        for library in shared:
            uri = library.library.uri
            try:
                found = self.planner.with_probes(probes).over(library.reading())
                result = found.search(located, limit)
                if worded and library.words() is None:
                    said = f"{uri} keeps no words (a Milvus server before 2.5): searched by meaning"
                    result = replace(result, notes=[*result.notes, said])
            except LibraryError as error:
                if not own and len(shared) == 1:
                    raise
                results.append(SearchResult([], True, notes=[str(error)]))
                continue
            results.append(
                replace(
                    result,
                    hits=[replace(hit, library=uri) for hit in result.hits],
                    weaker=[replace(hit, library=uri) for hit in result.weaker],
                )
            )
        return SearchResult.merged(results, limit)

    # --- shared libraries: written by another machine, searched from here -------------------

    def attach_library(
        self, library: Library | str, mapping: PathMapping | None = None
    ) -> SharedLibraryInfo:
        """Search ``library``, which another machine's Trove writes, along with this machine's
        (read only: nothing is ever written to it). ``mapping`` says where its folders are
        mounted here. Raises :class:`LibraryError` (one sentence) if it cannot be read."""
        library = library if isinstance(library, Library) else Library.parse(library)
        if not library.is_milvus or library.uri == self.library.uri:
            raise LibraryError(
                f"{library.uri} is this machine's own library, not one another machine writes"
            )
        models = {
            entry.id: entry.dims["embedding"] for entry in self.manifest.models
            if "embedding" in entry.dims
        }  # fmt: skip
        shared = SharedLibrary(library, mapping or PathMapping(), models)
        try:
            info = shared.open()
        except LibraryError:
            shared.close()
            raise
        replaced = self._shared.pop(library.uri, None)
        self._shared[library.uri] = shared
        if replaced is not None:
            replaced.close()
        return info

    def attached_libraries(self) -> list[str]:
        """The URIs of the libraries attached here, in the order they were attached."""
        return list(self._shared)

    def detach_library(self, uri: str) -> None:
        """Stop searching an attached library (nothing of it is kept here)."""
        shared = self._shared.pop(uri, None)
        if shared is not None:
            shared.close()

    def shared_report(self, uri: str) -> LibraryReport:
        """Server version and rows per collection of an attached library (``trove doctor``)."""
        return self._attached(uri).report()

    def _attached(self, uri: str) -> SharedLibrary:
        found = self._shared.get(uri)
        if found is None:
            raise LibraryError(f"{uri} is not a library attached here")
        return found

    def browse(
        self,
        filters: Filters,
        offset: int = 0,
        limit: int = DEFAULT_PAGE,
        order: Order = Order.NEWEST,
    ) -> Listing:
        """The indexed files ``filters`` chooses, newest (or oldest) first, one page from
        ``offset``: what a filter alone (``kind:audio``) shows, and the library's view."""
        return list_page(self.catalog, self._located(filters), offset, limit, order)

    def _located(self, filters: Filters) -> Filters:
        """``filters`` with the towns its ``place:`` names looked up."""
        if filters.place is None or filters.place.ids is not None:
            return filters
        name = filters.place.name
        return replace(filters, place=PlaceName(name, self.gazetteer.ids_named(name)))

    def duplicates(self) -> list[DuplicateGroup]:
        """Groups of exact copies and near-duplicates among the indexed files, the most space
        to free first (see :mod:`engine.search.duplicates`). Trove only lists them."""
        table = CalibrationTable.of(self.manifest)
        return find_duplicates(self.catalog, near_lines(self.manifest, table))

    def details(self, file_id: int, library: str | None = None) -> FileDetails | None:
        """The catalog's record of a file with its transcript and tags; None when it is no
        longer indexed (deleted, or its folder removed). ``library``: the attached library a
        hit came from (:attr:`Hit.library`), whose file it is, told from what that keeps."""
        if library is not None:
            items = self._attached(library).items_of_file(file_id)
            if not items:
                return None
            return self._details_of(items[0].file, items[0].root_path, items, None)
        found = self.catalog.file_by_id(file_id)
        if found is None:
            return None
        record, root_path = found
        items = self.catalog.items_of_file(record.id)
        failure = self.catalog.failure(record.id)
        return self._details_of(record, root_path, items, failure)

    def _details_of(
        self,
        record: FileRecord,
        root_path: str,
        items: Sequence[ItemRow],
        failure: Failure | None,
    ) -> FileDetails:
        transcript = [
            Segment(
                item.start or 0.0, item.end or item.start or 0.0, item.text or "", item.language
            )
            for item in sorted(items, key=lambda item: item.start or 0.0)
            if item.kind is ItemKind.TRANSCRIPT and item.text
        ]
        best: dict[str, float] = {}  # a label may come from several windows: keep its best
        for item in items:
            if item.kind is ItemKind.TAG and item.text:
                best[item.text] = max(best.get(item.text, 0.0), item.score or 0.0)
        tags = sorted(best.items(), key=lambda tag: -tag[1])
        return FileDetails(
            file_id=record.id,
            path=Path(root_path) / record.relpath,
            kind=record.kind,
            size=record.size,
            modified=record.mtime_ns / 1e9,
            status=record.status,
            error=None if failure is None else failure.reason,
            transcript=transcript,
            tags=tags,
            taken=None if record.facts.taken_ns is None else record.facts.taken_ns / 1e9,
            place=None if record.place_id is None else self.gazetteer.place(record.place_id),
            camera=record.facts.camera,
        )

    def tag_names(self, language: str) -> TagNames:
        """The pack's tag names in ``language`` (``"zh_CN"``, ``"es"``) for the caller to show
        tags and reasons in; English names where the pack has none in that language. A label
        file that does not fit its model is reported in the log and left out."""
        try:
            return TagNames.of_pack(self.manifest, language)
        except (PackError, OSError, UnicodeDecodeError) as error:
            log.warning("tag names in %s left out: %s", language, error)
            return TagNames()

    def file_id(self, path: Path) -> int | None:
        """The id of the indexed file at ``path`` (as given, or with links resolved)."""
        record = self.catalog.file_at(path)
        return None if record is None else record.id

    def folders(self) -> list[Root]:
        return self.catalog.roots()

    def places(self) -> list[tuple[Place, int]]:
        """The towns the indexed files were taken near, each with how many: most first (ties
        by name), for a place filter to offer."""
        counts = self.catalog.place_counts()
        if not counts:
            return []  # no GPS anywhere: the place names are not even read
        found = [
            (place, n)
            for place_id, n in counts.items()
            if (place := self.gazetteer.place(place_id))
        ]
        return sorted(found, key=lambda pair: (-pair[1], pair[0].name))

    def generation(self) -> int:
        """The catalog's change counter: a query asked again answers differently only after
        it moved."""
        return self.catalog.generation()

    def status(self) -> Status:
        failures = self.catalog.failures()
        counts = self.catalog.counts()
        names = set(self.catalog.spaces()) | set(self.indexes.spaces())
        spaces = {
            name: (counts.get(f"vectors.{name}", 0), self.indexes.count(name))
            for name in sorted(names)
        }
        return Status(self.catalog.roots(), counts, failures, spaces, self.catalog.generation())

    # --- the library: FAISS files or Milvus ---------------------------------------------------

    def library_report(self) -> LibraryReport | None:
        """Server version, rows per collection and undelivered changes of a Milvus library
        (None for FAISS files)."""
        if isinstance(self.indexes, MilvusSpaces):
            return self.indexes.report()
        return None

    def rebuild_library(self) -> dict[str, int]:
        """Make every collection of a Milvus library again from the catalog; rows per space.
        FAISS files need no command: a stale or damaged one is rebuilt when Trove opens."""
        if not isinstance(self.indexes, MilvusSpaces):
            raise LibraryError(
                "rebuild is for a Milvus library (--library FILE.db or http(s)://host:port): "
                "FAISS index files rebuild themselves when they are stale or damaged"
            )
        return self._indexing(self.indexes.rebuild)

    # --- life --------------------------------------------------------------------------------

    def close(self) -> None:
        self.stop_watching()
        if "pipeline" in self.__dict__:  # made: it may be running
            self.pipeline.cancel()
        self.indexes.save()
        if isinstance(self.indexes, MilvusSpaces):
            self.indexes.close()  # its connection; FAISS indexes are left to the process
        for uri in list(self._shared):
            self.detach_library(uri)
        self.catalog.close()

    def __enter__(self) -> Trove:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def library_writer(data: Path | None = None) -> str | None:
    """The Milvus library the catalog in the data folder writes (its URI), if any: a command
    naming another library reads it as a shared one instead of taking it over."""
    catalog = open_catalog(data_dir(data) / CATALOG_FILE)
    try:
        return catalog.outbox_target()
    finally:
        catalog.close()


def repair_catalog(data: Path | None = None) -> RepairReport:
    """Rebuild a damaged catalog in the data folder from its backup and what can still be read
    (see :mod:`engine.catalog.health`); open a ``Trove`` afterwards and index to finish."""
    folder = data_dir(data)
    return repair(folder / CATALOG_FILE, folder / BACKUP_FOLDER)

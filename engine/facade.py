"""The engine's one front door: what the command line and the desktop app may ask of Trove.

``Trove`` wires the parts together: the catalog and vector indexes in the data directory, the
model pack's encoders, the scanner, the indexing pipeline, the watcher and the search planner.
Callers never reach past it, so the UI can run every call on a worker thread.

Tile pictures for a results grid (``photo_thumbnail``, ``video_frame``, ``waveform_peaks``,
``media_seconds``, from :mod:`engine.media.previews`) are re-exported here for the same reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.catalog.health import (
    BACKUP_FOLDER,
    RepairReport,
    back_up,
    backups,
    open_catalog,
    repair,
)
from engine.catalog.records import (
    CatalogError,
    FileKind,
    FileRecord,
    FileStatus,
    ItemKind,
    Root,
)
from engine.datadir import DataDirError, check_not_inside, data_dir
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.inference.pack import open_pack
from engine.inference.providers import Device, DeviceUnavailableError, Placement, choose
from engine.inference.speech import Segment
from engine.media.previews import (  # noqa: F401  re-exported for the desktop's tiles
    media_seconds,
    photo_thumbnail,
    video_frame,
    waveform_peaks,
)
from engine.privacy import make_private
from engine.scan.extract import Extractor
from engine.scan.pipeline import (  # noqa: F401  Progress, RunState: re-exported for the UI
    Pipeline,
    Progress,
    ProgressCallback,
    RunState,
    RunSummary,
)
from engine.scan.scanner import Scanner
from engine.scan.watcher import Watcher
from engine.search.calibration import CalibrationTable
from engine.search.planner import Planner
from engine.search.probes import ModelProbes
from engine.search.query import Query, parse
from engine.search.results import SearchResult
from models.manifest import Manifest

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite3"
INDEX_FOLDER = "indexes"
# What the last full scan could not even open (no catalog row: a dangling link, a locked
# folder, a file without read permission), kept so that ``status`` in a later process lists it.
UNREADABLE_FILE = "unreadable.json"


class FolderError(ValueError):
    """A folder that cannot be watched, or is not watched: the message says which and why."""


@dataclass(frozen=True)
class Failure:
    path: Path
    reason: str


@dataclass(frozen=True)
class Status:
    """Counts for the status bar and ``trove status``, and every file that could not be read."""

    folders: list[Root]
    counts: dict[str, int]
    failures: list[Failure]
    spaces: dict[str, tuple[int, int]]  # space -> (vectors in the catalog, in the index)

    @property
    def consistent(self) -> bool:
        """Every vector the catalog holds is searchable, and nothing else is."""
        return all(stored == indexed for stored, indexed in self.spaces.values())


@dataclass(frozen=True)
class FileDetails:
    """What the catalog knows of one file: for a preview pane and ``trove status``-like views."""

    path: Path
    kind: FileKind
    size: int
    modified: float  # seconds since the epoch
    status: FileStatus
    error: str | None
    transcript: list[Segment]  # in time order; empty for photos and notes
    tags: list[tuple[str, float]]  # label, probability; best first


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


class Trove:
    """Open once per process; every method may block, so a UI calls them off its main thread."""

    def __init__(
        self,
        data: Path | None = None,
        pack: Path | None = None,
        device: Device | str = Device.AUTO,
        threads: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.data_dir = data_dir(data)
        # Paths that other accounts could read before (a folder made by hand, an older Trove):
        # private now, and listed so that the caller can say so.
        self.made_private: list[Path] = self._make_data_private()
        self.manifest: Manifest = open_pack(pack)
        self.placement: Placement = choose(device, threads)
        self.catalog = open_catalog(self.data_dir / CATALOG_FILE)
        self.indexes = SpaceIndexes(self.data_dir / INDEX_FOLDER)
        rebuilt = self.indexes.open(self.catalog)
        if rebuilt:
            log.info("rebuilt vector indexes from the catalog: %s", ", ".join(rebuilt))
        self.models = ModelSet(self.manifest, self.placement)
        self.extractor = Extractor(self.models)
        self.scanner = Scanner(self.catalog)
        self.pipeline = Pipeline(
            self.catalog, self.indexes, self.extractor, on_progress=on_progress
        )
        self.planner = Planner(
            ModelProbes(self.models, extractor=self.extractor),
            self.indexes,
            self.catalog,
            CalibrationTable(),
        )

    def _make_data_private(self) -> list[Path]:
        """The data folder itself and what Trove keeps in it: nothing else there is touched
        (``--data-dir`` may name a folder that holds other things of the person's)."""
        folder = self.data_dir
        owned = [
            *folder.glob(f"{CATALOG_FILE}*"),  # with its -wal, -shm, note and damaged copies
            folder / INDEX_FOLDER,
            folder / BACKUP_FOLDER,
            folder / UNREADABLE_FILE,
        ]
        changed = make_private(folder, recursive=False)
        for path in owned:
            if path.exists():
                changed += make_private(path)
        return changed

    # --- folders -----------------------------------------------------------------------------

    def add_folder(self, folder: Path, exclude: Sequence[str] = ()) -> Root:
        folder = folder.expanduser().resolve()
        if not folder.is_dir():
            raise FolderError(f"{folder} is not a folder")
        try:
            check_not_inside(self.data_dir, folder)
        except DataDirError as error:  # a person's choice, not a broken data folder
            raise FolderError(str(error)) from error
        return self.catalog.add_root(folder, exclude=exclude)

    def remove_folder(self, folder: Path) -> int:
        """Forget a folder: its files, items and vectors. Returns how many vectors went."""
        root = self._root(folder)
        dropped = self.catalog.remove_root(root.id)
        self.indexes.remove(dropped)
        self.indexes.save()
        return len(dropped)

    def set_exclusions(self, folder: Path, exclude: Sequence[str]) -> Root:
        """Replace a watched folder's exclusion globs; the next scan drops what they exclude."""
        root = self._root(folder)
        return self.catalog.add_root(Path(root.path), include=root.include, exclude=exclude)

    def folders(self) -> list[Root]:
        return self.catalog.roots()

    def _root(self, folder: Path) -> Root:
        wanted = str(folder.expanduser().resolve())
        for root in self.catalog.roots():
            if root.path == wanted:
                return root
        raise FolderError(f"{wanted} is not a watched folder")

    # --- indexing ----------------------------------------------------------------------------

    def index(self) -> RunSummary:
        """Bring the index up to date with every folder, once."""
        summary = self.pipeline.run(self.scanner.scan())
        self._keep_unreadable([Failure(Path(u.path), u.reason) for u in summary.unreadable])
        self.back_up()
        return summary

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

    def _keep_unreadable(self, failures: Sequence[Failure]) -> None:
        rows = [[str(failure.path), failure.reason] for failure in failures]
        target = self.data_dir / UNREADABLE_FILE
        temporary = target.with_suffix(".tmp")
        # ASCII JSON escapes the lone surrogates of a non-UTF-8 name, so it comes back exact.
        temporary.write_text(json.dumps(rows), encoding="ascii")
        temporary.replace(target)

    def _unreadable(self) -> list[Failure]:
        try:
            rows = json.loads((self.data_dir / UNREADABLE_FILE).read_bytes())
        except (OSError, ValueError):
            return []  # never scanned, or a file cut short: the next index run rewrites it
        roots = [Path(root.path) for root in self.catalog.roots()]
        return [
            Failure(Path(path), reason)
            for path, reason in rows
            if any(Path(path).is_relative_to(root) for root in roots)  # not a removed folder's
        ]

    def watcher(self, on_status: ProgressCallback | None = None) -> Watcher:
        """A watcher that keeps the index current until it is stopped (``with`` works).
        Each time it falls idle, the daily backup is taken if one is due."""

        def status(progress: Progress) -> None:
            if progress.state is RunState.WATCHING:
                self.back_up()  # on the watcher's thread: between runs, never during one
            if on_status is not None:
                on_status(progress)

        return Watcher(self.scanner, self.pipeline, on_status=status)

    def pause(self) -> None:
        self.pipeline.pause()

    def resume(self) -> None:
        self.pipeline.resume()

    def cancel(self) -> None:
        self.pipeline.cancel()

    # --- search and status -------------------------------------------------------------------

    def search(self, query: str | Query, limit: int = 20, base: Path | None = None) -> SearchResult:
        """Answer a query string (see :mod:`engine.search.query` for its forms; relative paths
        from ``base``), or a :class:`Query` of typed values, such as example files whose names
        must not be read as query language (``parse(text, examples=...)`` makes one)."""
        parsed = parse(query, base) if isinstance(query, str) else query
        return self.planner.search(parsed, limit)

    def details(self, path: Path) -> FileDetails | None:
        """The catalog's record of ``path`` with its transcript and tags; None when not indexed."""
        found = self._record(path)
        if found is None:
            return None
        record, where = found
        items = self.catalog.items_of_file(record.id)
        transcript = [
            Segment(item.start or 0.0, item.end or item.start or 0.0, item.text or "")
            for item in items
            if item.kind is ItemKind.TRANSCRIPT and item.text
        ]
        best: dict[str, float] = {}  # a label may come from several windows: keep its best
        for item in items:
            if item.kind is ItemKind.TAG and item.text:
                best[item.text] = max(best.get(item.text, 0.0), item.score or 0.0)
        tags = sorted(best.items(), key=lambda tag: -tag[1])
        return FileDetails(
            path=where,
            kind=record.kind,
            size=record.size,
            modified=record.mtime_ns / 1e9,
            status=record.status,
            error=record.error,
            transcript=transcript,
            tags=tags,
        )

    def _record(self, path: Path) -> tuple[FileRecord, Path] | None:
        for candidate in dict.fromkeys([Path(path).absolute(), Path(path).resolve()]):
            for root in self.catalog.roots():
                if candidate.is_relative_to(root.path):
                    relpath = str(candidate.relative_to(root.path))
                    record = self.catalog.file(root.id, relpath)
                    if record is not None:
                        return record, candidate
        return None

    def status(self) -> Status:
        roots = {root.id: Path(root.path) for root in self.catalog.roots()}

        def where(record: FileRecord) -> Path:
            return roots.get(record.root_id, Path("?")) / record.relpath

        failures = [
            Failure(where(record), record.error or "unknown error")
            for record in self.catalog.files(status=FileStatus.FAILED)
        ] + self._unreadable()
        counts = self.catalog.counts()
        names = set(self.catalog.spaces()) | set(self.indexes.spaces())
        spaces = {
            name: (counts.get(f"vectors.{name}", 0), self._indexed(name)) for name in sorted(names)
        }
        return Status(self.catalog.roots(), counts, failures, spaces)

    def _indexed(self, space: str) -> int:
        try:
            return self.indexes.count(space)
        except KeyError:
            return 0

    def close(self) -> None:
        self.pipeline.cancel()
        self.indexes.save()
        self.catalog.close()

    def __enter__(self) -> Trove:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_catalog(data: Path | None = None) -> RepairReport:
    """Rebuild a damaged catalog in the data folder from its backup and what can still be read
    (see :mod:`engine.catalog.health`); open a ``Trove`` afterwards and index to finish."""
    folder = data_dir(data)
    return repair(folder / CATALOG_FILE, folder / BACKUP_FOLDER)

"""The engine's one front door: what the command line and the desktop app may ask of Trove.

``Trove`` wires the parts together: the catalog and vector indexes in the data directory, the
model pack's encoders, the scanner, the indexing pipeline, the watcher and the search planner.
Callers never reach past it, so the UI can run every call on a worker thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileRecord, FileStatus, Root
from engine.datadir import check_not_inside, data_dir
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.inference.pack import open_pack
from engine.inference.providers import Device, Placement, choose
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, ProgressCallback, RunSummary
from engine.scan.scanner import Scanner
from engine.scan.watcher import Watcher
from engine.search.calibration import CalibrationTable
from engine.search.planner import Planner
from engine.search.probes import ModelProbes
from engine.search.query import parse
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
        self.manifest: Manifest = open_pack(pack)
        self.placement: Placement = choose(device, threads)
        self.catalog = Catalog(self.data_dir / CATALOG_FILE)
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

    # --- folders -----------------------------------------------------------------------------

    def add_folder(self, folder: Path, exclude: Sequence[str] = ()) -> Root:
        folder = folder.expanduser().resolve()
        if not folder.is_dir():
            raise FolderError(f"{folder} is not a folder")
        check_not_inside(self.data_dir, folder)
        return self.catalog.add_root(folder, exclude=exclude)

    def remove_folder(self, folder: Path) -> int:
        """Forget a folder: its files, items and vectors. Returns how many vectors went."""
        root = self._root(folder)
        dropped = self.catalog.remove_root(root.id)
        self.indexes.remove(dropped)
        self.indexes.save()
        return len(dropped)

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
        return summary

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
        """A watcher that keeps the index current until it is stopped (``with`` works)."""
        return Watcher(self.scanner, self.pipeline, on_status=on_status)

    def pause(self) -> None:
        self.pipeline.pause()

    def resume(self) -> None:
        self.pipeline.resume()

    def cancel(self) -> None:
        self.pipeline.cancel()

    # --- search and status -------------------------------------------------------------------

    def search(self, query: str, limit: int = 20, base: Path | None = None) -> SearchResult:
        """Answer a query string (see :mod:`engine.search.query` for its forms)."""
        return self.planner.search(parse(query, base), limit)

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

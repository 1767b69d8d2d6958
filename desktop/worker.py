"""The engine on a worker thread: the window asks through queued signals, answers come back as
signals, so the GUI thread never waits on a model, the catalog or a scan.

One ``QThread`` owns the :class:`engine.facade.Trove`; every facade call (open, add a folder,
search, status, close) runs there in order, which serialises the writes. Indexing runs on the
watcher's own thread; its progress reaches the window through ``progress``, a signal emitted
from that thread and delivered queued to the GUI thread.

Searches coalesce: the window may ask for one per keystroke, but a request only records the
latest query and wakes the worker; when it gets to it, it runs whatever is latest, once.

Anything else the window needs (details for a preview, folders, status, exclusions) goes through
:meth:`EngineClient.ask`: a function of the facade, run on the worker thread, whose answer (or
error message) comes back to a callback on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.catalog.records import CatalogDamagedError, CatalogError
from engine.facade import Trove, repair_catalog
from engine.scan.pipeline import Progress
from engine.scan.watcher import Watcher

log = logging.getLogger(__name__)


SEARCH_LIMIT = 500  # hits a search shows: enough to scroll, few enough to rank in milliseconds


@dataclass(frozen=True)
class EngineSettings:
    data: Path | None = None
    pack: Path | None = None
    device: str = "auto"
    threads: int = 0


@dataclass(frozen=True)
class _Job:
    """One :meth:`EngineClient.ask`: the function to run on the facade and whose answer it is."""

    token: int
    work: Callable[[Trove], Any] = field(compare=False)
    # Folders change: the watcher stops first (no run writes for a folder being removed) and
    # starts again after, so its scan sees the new folders and globs.
    changes_folders: bool = False


@dataclass(frozen=True)
class _Answer:
    token: int
    value: Any = None
    error: str | None = None


class _Engine(QObject):
    """Lives on the worker thread; its slots are the only code that touches the facade."""

    opened = Signal()
    progress = Signal(object)  # Progress, from the pipeline's or the watcher's thread
    searched = Signal(str, object)  # query, SearchResult
    answered = Signal(object)  # _Answer of a job
    failed = Signal(str)  # a message a person can read
    damaged = Signal(str)  # the catalog was found damaged and set aside: the engine's account
    repaired = Signal(object)  # RepairReport
    closed = Signal()

    def __init__(self, settings: EngineSettings) -> None:
        super().__init__()
        self._settings = settings
        self._trove: Trove | None = None
        self._watcher: Watcher | None = None
        self._pending_lock = threading.Lock()
        self._pending: str | None = None

    # Written from the GUI thread, read here: only the latest query survives.
    def set_pending(self, query: str | None) -> None:
        with self._pending_lock:
            self._pending = query

    def _take_pending(self) -> str | None:
        with self._pending_lock:
            query, self._pending = self._pending, None
        return query

    def _report(self, progress: Progress) -> None:
        self.progress.emit(progress)

    @Slot()
    def open(self) -> None:
        try:
            s = self._settings
            self._trove = Trove(s.data, s.pack, s.device, s.threads, on_progress=self._report)
        except CatalogDamagedError as error:  # the window offers the repair
            log.error("%s", error)
            self.damaged.emit(str(error))
            return
        except Exception as error:  # a missing pack, a bad data dir: say so in the window
            log.exception("could not open the engine")
            self.failed.emit(f"Could not open Trove: {error}")
            return
        self.opened.emit()

    @Slot()
    def repair(self) -> None:
        """Rebuild the damaged catalog, open the engine on it and watch: the watcher's first
        scan indexes again what the repair could not bring back."""
        try:
            report = repair_catalog(self._settings.data)
        except (CatalogError, OSError) as error:
            log.exception("repair failed")
            self.failed.emit(f"Could not repair Trove's index: {error}")
            return
        self.open()
        if self._trove is not None:
            self.repaired.emit(report)
            self.start_watching()

    @Slot(object)
    def reopen(self, settings: EngineSettings) -> None:
        """Close the facade and open it again with other settings (pack, device, threads)."""
        watching = self._watcher is not None
        self.stop_watching()
        if self._trove is not None:
            self._trove.close()
            self._trove = None
        self._settings = settings
        self.open()
        if watching:
            self.start_watching()

    @Slot(object)
    def run_job(self, job: _Job) -> None:
        if self._trove is None:
            self.answered.emit(_Answer(job.token, error="Trove is not open"))
            return
        watching = self._watcher is not None
        if job.changes_folders:
            self.stop_watching()
        try:
            value = job.work(self._trove)
        except Exception as error:  # the caller shows it; a bug also goes to the log
            if not isinstance(error, (ValueError, OSError)):
                log.exception("engine job failed")
            self.answered.emit(_Answer(job.token, error=str(error)))
            return
        finally:
            if job.changes_folders and watching:
                self.start_watching()
        self.answered.emit(_Answer(job.token, value=value))

    @Slot(str)
    def add_folder(self, folder: str) -> None:
        if self._trove is None:
            return
        watching = self._watcher is not None
        self.stop_watching()
        try:
            self._trove.add_folder(Path(folder))
        except Exception as error:
            self.failed.emit(f"Cannot watch {folder}: {error}")
        finally:
            if watching:
                self.start_watching()

    @Slot()
    def restart_watching(self) -> None:
        """After the folders change: the running watcher only knows its old roots."""
        if self._watcher is not None:
            self.stop_watching()
            self.start_watching()

    @Slot(str)
    def ensure_folder(self, folder: str) -> None:
        """Watch ``folder`` when nothing is watched yet (the demo on a first run)."""
        if self._trove is not None and not self._trove.folders():
            self.add_folder(folder)

    @Slot()
    def start_watching(self) -> None:
        if self._trove is None or self._watcher is not None:
            return
        self._watcher = self._trove.watcher(on_status=self._report)
        self._watcher.start()  # its thread runs the initial scan

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    @Slot()
    def pause(self) -> None:
        if self._trove is not None:
            self._trove.pause()

    @Slot()
    def resume(self) -> None:
        if self._trove is not None:
            self._trove.resume()

    @Slot()
    def search(self) -> None:
        query = self._take_pending()
        if query is None or self._trove is None:
            return  # an earlier wake-up already ran the latest query
        try:
            result = self._trove.search(query, limit=SEARCH_LIMIT)
        except Exception as error:  # a ParseError names the culprit; others are engine bugs
            if not isinstance(error, ValueError):
                log.exception("search failed for %r", query)
            self.failed.emit(str(error))
            return
        self.searched.emit(query, result)

    @Slot()
    def close(self) -> None:
        try:
            self.stop_watching()
            if self._trove is not None:
                self._trove.close()
                self._trove = None
        finally:
            self.closed.emit()
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()


class EngineClient(QObject):
    """The GUI thread's handle on the engine: plain method calls that never block."""

    opened = Signal()
    progress = Signal(object)
    searched = Signal(str, object)
    failed = Signal(str)
    damaged = Signal(str)
    repaired = Signal(object)

    _open = Signal()
    _repair = Signal()
    _reopen = Signal(object)
    _run_job = Signal(object)
    _restart_watching = Signal()
    _add_folder = Signal(str)
    _ensure_folder = Signal(str)
    _start_watching = Signal()
    _search = Signal()
    _pause = Signal()
    _resume = Signal()
    _close = Signal()

    def __init__(self, settings: EngineSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("trove-engine")
        self._engine = _Engine(settings)
        self._engine.moveToThread(self._thread)
        # Requests: queued onto the worker thread, run in the order asked.
        self._open.connect(self._engine.open)
        self._repair.connect(self._engine.repair)
        self._reopen.connect(self._engine.reopen)
        self._run_job.connect(self._engine.run_job)
        self._restart_watching.connect(self._engine.restart_watching)
        self._add_folder.connect(self._engine.add_folder)
        self._ensure_folder.connect(self._engine.ensure_folder)
        self._start_watching.connect(self._engine.start_watching)
        self._search.connect(self._engine.search)
        self._pause.connect(self._engine.pause)
        self._resume.connect(self._engine.resume)
        self._close.connect(self._engine.close)
        # Answers: re-emitted on the GUI thread.
        self._engine.opened.connect(self.opened)
        self._engine.progress.connect(self.progress)
        self._engine.searched.connect(self.searched)
        self._engine.failed.connect(self.failed)
        self._engine.damaged.connect(self.damaged)
        self._engine.repaired.connect(self.repaired)
        self._engine.answered.connect(self._answered)
        self._running = False
        self._settings = settings
        self._tokens = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None] | None, Callable[[str], None]]] = {}

    @property
    def settings(self) -> EngineSettings:
        return self._settings

    def start(self) -> None:
        self._thread.start()
        self._running = True
        self._open.emit()

    def repair(self) -> None:
        """Repair a damaged catalog (after ``damaged``); ``repaired`` or ``failed`` follows."""
        self._repair.emit()

    def reopen(self, **changes: Any) -> None:
        """Open the engine again with some settings changed (``device="cpu"``, ``threads=2``)."""
        self._settings = replace(self._settings, **changes)
        self._reopen.emit(self._settings)

    def ask(
        self,
        work: Callable[[Trove], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``work(trove)`` on the worker thread, after every request made before it;
        ``on_done(answer)`` or ``on_error(message)`` then runs on the GUI thread."""
        self._send(work, on_done, on_error, changes_folders=False)

    def change_folders(
        self,
        work: Callable[[Trove], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Like :meth:`ask`, for work that adds, removes or re-globs folders: it runs with the
        watcher stopped, which then starts again and rescans."""
        self._send(work, on_done, on_error, changes_folders=True)

    def _send(
        self,
        work: Callable[[Trove], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[str], None] | None,
        changes_folders: bool,
    ) -> None:
        token = next(self._tokens)
        self._callbacks[token] = (on_done, on_error or self.failed.emit)
        self._run_job.emit(_Job(token, work, changes_folders))

    def _answered(self, answer: _Answer) -> None:
        on_done, on_error = self._callbacks.pop(answer.token, (None, None))
        if answer.error is not None:
            if on_error is not None:
                on_error(answer.error)
        elif on_done is not None:
            on_done(answer.value)

    def add_folder(self, folder: Path) -> None:
        self._add_folder.emit(str(folder))

    def restart_watching(self) -> None:
        self._restart_watching.emit()

    def ensure_folder(self, folder: Path) -> None:
        self._ensure_folder.emit(str(folder))

    def start_watching(self) -> None:
        self._start_watching.emit()

    def search(self, query: str) -> None:
        self._engine.set_pending(query)
        self._search.emit()

    def pause(self) -> None:
        self._pause.emit()

    def resume(self) -> None:
        self._resume.emit()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop the watcher, close the facade and join the thread (blocks, at exit only)."""
        if not self._running:
            return
        self._running = False
        self._engine.set_pending(None)  # drop a queued search
        self._callbacks.clear()  # answers after closing have nobody to go to
        self._close.emit()
        if not self._thread.wait(timeout_ms):
            log.error("the engine thread did not stop in %d ms", timeout_ms)

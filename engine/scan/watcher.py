"""Keep the index in step with the roots: file-system events, debounced into small runs.

A watchdog observer reports creates, edits, moves and deletes under every online root. Events
only name paths: they are collected, and once the folder has been quiet for ``quiet`` seconds
(or ``max_delay`` after the first of a long burst, so a big copy is indexed as it goes) the
scanner compares just those paths with the catalog and the pipeline runs the small plan. Moves
are therefore found the same way as in a full scan, by content hash: a renamed file keeps its
vectors, and a folder moved in from elsewhere is walked.

The watcher's thread is the indexing lane's one writer: changes of folders and exclusions come
to it as commands (:meth:`Watcher.submit`), run between two runs, so a folder change never
stops the watcher. A run in progress when a command arrives stops after the batch in hand; the
command runs, the watches follow the new folders and a scan picks up where the run left off.

When the operating system refuses more watches (inotify's ``max_user_watches`` is often 8192
or 65536, and a large photo library has more folders than that), the root falls back to a full
rescan every ``rescan_every`` seconds and the status callback says so. Offline roots are looked
at on the same schedule and watched again when their drive comes back.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from watchdog.events import (
    DirModifiedEvent,
    FileClosedNoWriteEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from engine.catalog.records import Root
from engine.scan.pipeline import Pipeline, Progress, ProgressCallback, RunState, RunSummary
from engine.scan.scanner import SYSTEM_FOLDERS, Scanner, Scope

log = logging.getLogger(__name__)

T = TypeVar("T")
ObserverFactory = Callable[[], BaseObserver]
RunCallback = Callable[[RunSummary], None]
# Events that change nothing on disk.
_IGNORED = (FileOpenedEvent, FileClosedNoWriteEvent, DirModifiedEvent)


@dataclass(frozen=True)
class WatchSettings:
    quiet: float = 0.5  # seconds without events before a burst is indexed
    max_delay: float = 2.0  # a burst that never goes quiet is indexed this often anyway
    rescan_every: float = 300.0  # full rescans of unwatchable roots, checks of offline ones
    save_every: float = 30.0  # index saves while watching (and one at stop)


class WatcherStoppedError(RuntimeError):
    """A command reached a watcher that is not running (or stopped before running it)."""


@dataclass(frozen=True, eq=False)
class _Command:
    work: Callable[[], Any]
    answer: Future[Any]


def _hidden(relpath: str) -> bool:
    return any(
        part.startswith(".") or part.lower() in SYSTEM_FOLDERS for part in relpath.split("/")
    )


class _Collector(FileSystemEventHandler):
    """Collects changed paths from the observer's thread; the watcher takes them in bursts."""

    def __init__(self, wake: threading.Condition) -> None:
        self._wake = wake
        self.paths: set[str] = set()
        self.first = 0.0
        self.last = 0.0

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, _IGNORED):
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        with self._wake:
            now = time.monotonic()
            if not self.paths:
                self.first = now
            self.last = now
            self.paths.update(os.fsdecode(path) for path in paths if path)
            self._wake.notify_all()

    def take(self) -> set[str]:
        taken, self.paths = self.paths, set()
        return taken


class Watcher:
    """Watches every online root and feeds changes to the pipeline on its own thread.

    ``start`` schedules the watches first and then, by default, runs one full scan, so nothing
    that changes between the two is missed. The catalog, scanner and pipeline are used only from
    the watcher's thread while it runs.
    """

    def __init__(
        self,
        scanner: Scanner,
        pipeline: Pipeline,
        settings: WatchSettings | None = None,
        on_status: ProgressCallback | None = None,
        on_run: RunCallback | None = None,
        observer_factory: ObserverFactory = Observer,
    ) -> None:
        self.scanner = scanner
        self.pipeline = pipeline
        self.settings = settings or WatchSettings()
        self.on_status = on_status
        self.on_run = on_run
        self._observer_factory = observer_factory
        self._wake = threading.Condition()
        self._collector = _Collector(self._wake)
        self._observer: BaseObserver | None = None
        self._watches: dict[int, ObservedWatch] = {}
        self._polled: dict[int, str] = {}  # root id -> why it is rescanned instead of watched
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_rescan = 0.0
        self._last_save = time.monotonic()
        self._commands: deque[_Command] = deque()  # guarded by ``_wake``
        self._in_run = False  # guarded by ``_wake``: a run is under way on the thread

    # --- life ------------------------------------------------------------------------------------

    def start(self, initial_scan: bool = True) -> None:
        if self._thread is not None:
            raise RuntimeError("the watcher is already running")
        self._stop.clear()
        self.pipeline.clear_cancel()  # left by an earlier watcher's stop: not for this one
        self._observer = self._observer_factory()
        self._observer.start()
        self._thread = threading.Thread(
            target=self._loop, args=(initial_scan,), name="trove-watcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop watching; a run in progress ends after its current batch. Commands still
        waiting are answered with :class:`WatcherStoppedError`."""
        self._stop.set()
        self.pipeline.cancel()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._refuse_waiting()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
            self._observer = None
        self._watches.clear()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stop.is_set()

    def submit(self, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` on the watcher's thread between two runs, then watch and scan the roots
        as they are after it. A run under way stops after its batch in hand and resumes in
        that scan. Its answer (or exception) comes back through the future."""
        command = _Command(work, Future())
        with self._wake:
            if not self.running:
                raise WatcherStoppedError("the watcher is not running")
            self._commands.append(command)
            if self._in_run:
                self.pipeline.interrupt()
            self._wake.notify_all()
        return command.answer

    def _refuse_waiting(self) -> None:
        with self._wake:
            waiting, self._commands = list(self._commands), deque()
        for command in waiting:
            command.answer.set_exception(WatcherStoppedError("the watcher stopped first"))

    @property
    def polled(self) -> dict[int, str]:
        """Roots rescanned on a timer instead of watched, with the reason."""
        return dict(self._polled)

    # --- the watcher's thread ------------------------------------------------------------------

    def _loop(self, initial_scan: bool) -> None:
        try:
            self._watch_roots()
            if initial_scan:
                self._run(None)
            self._status(RunState.WATCHING, None)
            while not self._stop.is_set():
                if self._run_commands():
                    continue
                paths = self._next_burst()
                if self._stop.is_set():
                    break
                if paths:
                    self._run(self._scopes(paths))
                if time.monotonic() >= self._next_rescan:
                    self._rescan_unwatched()
                self._maybe_save(force=False)
        except Exception:
            log.exception("the watcher stopped on an error")
            self._status(RunState.CANCELLED, "the watcher stopped on an error; see the log")
            raise
        finally:
            self._maybe_save(force=True)
            self._refuse_waiting()

    def _run_commands(self) -> bool:
        """Run the waiting commands, then bring the watches and the index in line with the
        roots they left (a folder added is scanned; a run they interrupted goes on)."""
        with self._wake:
            waiting, self._commands = list(self._commands), deque()
        if not waiting:
            return False
        for command in waiting:
            if command.answer.set_running_or_notify_cancel():
                try:
                    command.answer.set_result(command.work())
                except BaseException as error:  # handed to the caller, who decides
                    command.answer.set_exception(error)
        self._unwatch_removed()
        self._watch_roots()
        self._run(None)
        return True

    def _unwatch_removed(self) -> None:
        """Stop watching roots that are no longer in the catalog (a folder removed)."""
        current = {root.id for root in self.scanner.catalog.roots()}
        for root_id in [root_id for root_id in self._watches if root_id not in current]:
            self._unwatch(root_id)
        for root_id in [root_id for root_id in self._polled if root_id not in current]:
            del self._polled[root_id]

    def _next_burst(self) -> set[str]:
        """Wait for events, then until they go quiet (or ``max_delay``); take their paths."""
        settings = self.settings
        with self._wake:
            while not self._collector.paths and not self._stop.is_set():
                if self._commands:
                    return set()
                timeout = max(0.05, self._next_rescan - time.monotonic())
                if not self._wake.wait(timeout=min(timeout, settings.save_every)):
                    return set()  # time for a rescan or a save
            while not self._stop.is_set() and not self._commands:
                now = time.monotonic()
                due = min(
                    self._collector.last + settings.quiet,
                    self._collector.first + settings.max_delay,
                )
                if now >= due:
                    break
                self._wake.wait(timeout=due - now)
            return self._collector.take()

    def _watch_roots(self) -> None:
        """Watch each online root not yet watched; a refused watch means timed rescans."""
        assert self._observer is not None  # started before the thread
        for root in self.scanner.catalog.roots():
            if root.id in self._watches or not Path(root.path).is_dir():
                continue
            try:
                watch = self._observer.schedule(self._collector, root.path, recursive=True)
            except OSError as error:
                self._fall_back(root, error)
                continue
            self._watches[root.id] = watch
            self._polled.pop(root.id, None)
        self._check_emitters()
        self._next_rescan = time.monotonic() + self.settings.rescan_every

    def _check_emitters(self) -> None:
        """An emitter whose thread died (a watch refused for a folder made later) stops
        reporting; its root goes over to timed rescans."""
        if self._observer is None:
            return
        alive = {emitter.watch for emitter in self._observer.emitters if emitter.is_alive()}
        for root_id, watch in list(self._watches.items()):
            if watch not in alive:
                del self._watches[root_id]
                root = next((r for r in self.scanner.catalog.roots() if r.id == root_id), None)
                if root is not None:
                    self._fall_back(root, OSError("the folder watch stopped"))

    def _fall_back(self, root: Root, error: OSError) -> None:
        minutes = self.settings.rescan_every / 60
        reason = (
            f"cannot watch {root.path} ({error.strerror or error}); rescanning it every "
            f"{minutes:g} min instead (raise fs.inotify.max_user_watches to watch it)"
        )
        log.warning("%s", reason)
        self._polled[root.id] = reason
        self._status(RunState.POLLING, reason, Path(root.path))

    def _rescan_unwatched(self) -> None:
        """Rescan roots that are not watched (refused, or offline: back yet?), and roots whose
        folder went away under a watch (an unplugged drive may send no event at all)."""
        roots = self.scanner.catalog.roots()
        for root in roots:
            if not root.online or not Path(root.path).is_dir():
                self._unwatch(root.id)
        unwatched = [Scope(root.id) for root in roots if root.id not in self._watches]
        # Watch first, then scan, so that nothing written in between is missed.
        self._watch_roots()
        if unwatched:
            self._run(unwatched)

    def _unwatch(self, root_id: int) -> None:
        watch = self._watches.pop(root_id, None)
        if watch is None or self._observer is None:
            return
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError):
            pass  # already gone with its folder

    def _scopes(self, paths: set[str]) -> list[Scope]:
        """Event paths as relative paths of their roots; the deepest root that holds a path."""
        roots = sorted(self.scanner.catalog.roots(), key=lambda root: -len(root.path))
        parts: dict[int, set[str]] = {}
        for path in paths:
            for root in roots:
                try:
                    relative = Path(path).relative_to(root.path).as_posix()
                except ValueError:
                    continue
                relpath = "" if relative == "." else relative
                if not _hidden(relpath):
                    parts.setdefault(root.id, set()).add(relpath)
                break
        return [
            Scope(root_id, () if "" in rels else tuple(sorted(rels)))
            for root_id, rels in parts.items()
        ]

    def _run(self, scopes: list[Scope] | None) -> None:
        if not scopes and scopes is not None:
            return
        self._status(RunState.SCANNING, None)
        plan = self.scanner.scan(scopes)
        for root in plan.offline:
            # A watch follows the folder's inode wherever it went; the timed check watches
            # the path again once a folder is back there.
            self._unwatch(root.id)
        if not plan.empty or plan.online or any(root.online for root in plan.offline):
            with self._wake:
                self._in_run = True
                if self._commands:  # one came while the scan ran: run it first
                    self.pipeline.interrupt()
            try:
                summary = self.pipeline.run(plan, final_save=False)
            finally:
                with self._wake:  # with ``submit``'s lock: no interrupt is left for a later run
                    self._in_run = False
                    self.pipeline.clear_interrupt()
            if self.on_run is not None:
                self.on_run(summary)
        if not self._stop.is_set():
            self._status(RunState.POLLING if self._polled else RunState.WATCHING, None)

    def _maybe_save(self, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._last_save >= self.settings.save_every:
            self.pipeline.flush()
            self._last_save = now

    def _status(self, state: RunState, message: str | None, folder: Path | None = None) -> None:
        if self.on_status is not None:
            self.on_status(Progress(state=state, message=message, folder=folder))

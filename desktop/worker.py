"""The engine off the GUI thread, in the engine's two lanes; answers come back as signals.

- **Control**: one thread opens, reopens, repairs and closes the :class:`Trove` and hands it
  folder changes. While Trove watches, a folder change is a command to the watcher's thread
  (the indexing lane's one writer), which runs it between two batches and goes on: nothing here
  stops or restarts the watcher.
- **Queries**: a small pool answers searches, file details, status and the folder list from
  committed state, at the same time as indexing and as a folder change waits.

Every request is a named method with typed arguments; its answer reaches the given callback on
the GUI thread. Errors keep their type: a :class:`QueryError` goes to ``query_failed`` (the
search box), an :class:`EngineError` to the request's ``on_error`` or else ``engine_failed`` (a
message saying what to do), and a damaged catalog to ``damaged`` (the repair offer).

Searches coalesce: the window may ask one per keystroke, but only the latest waiting query runs.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.settings import SharedLibrary
from engine.facade import (
    DuplicateGroup,
    EngineError,
    ExamplePart,
    FileDetails,
    Filters,
    Listing,
    MappingError,
    PathMapping,
    Place,
    Problem,
    QueryError,
    RepairReport,
    Root,
    Status,
    TagNames,
    Trove,
    demo_folder,
    parse,
    repair_catalog,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
SEARCH_LIMIT = 500  # hits a search shows: enough to scroll, few enough to rank in milliseconds
FIRST_PAGE = 400  # files of a listing shown at once; more follow as the grid scrolls
QUERY_THREADS = 2  # a search and a preview's details at once, while indexing has its own


@dataclass(frozen=True)
class EngineSettings:
    data: Path | None = None
    pack: Path | None = None
    device: str = "auto"
    threads: int = 0
    shared: tuple[SharedLibrary, ...] = ()  # libraries other computers index, searched too
    spoken: tuple[str, ...] = ()  # the languages the recordings are in (none: any)


OnError = Callable[[EngineError], None]


def search_key(query: str, examples: Sequence[ExamplePart] = ()) -> str:
    """The one string that names a search, in its answers' signals: the query text, then
    each example file in the query language's own form (only compared, never parsed)."""
    return " ".join([query, *(example.format() for example in examples)]).strip()


def listed_filters(query: str) -> Filters:
    """The filters of a query that lists files: none for an empty box (everything)."""
    return Filters() if not query.strip() else parse(query).filters


def _as_engine_error(error: BaseException) -> EngineError:
    """An engine error as it is, anything else as the bug it is (logged with its trace)."""
    if isinstance(error, EngineError):
        return error
    log.error("engine request failed", exc_info=error)
    return EngineError(Problem.UNEXPECTED, str(error) or type(error).__name__)


class EngineClient(QObject):
    """The GUI thread's handle on the engine: plain method calls that never block."""

    opened = Signal()
    made_private = Signal(int)  # how many of Trove's own files other accounts could read
    progress = Signal(object)  # engine Progress, from the indexing lane
    changed = Signal(object)  # engine IndexChanges, after each commit
    searched = Signal(str, object)  # the query text, its SearchResult
    listed = Signal(str, object)  # a query of filters alone, and its Listing (newest first)
    query_failed = Signal(str, object)  # the query text, its QueryError
    engine_failed = Signal(object)  # EngineError nobody else took
    damaged = Signal(object)  # EngineError: the catalog was set aside, repair is offered
    repaired = Signal(object)  # RepairReport
    shared_failed = Signal(str, object)  # a shared library's address, its EngineError

    # From any thread to the GUI thread: a callback and its argument.
    _deliver = Signal(object, object)

    def __init__(self, settings: EngineSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._control = ThreadPoolExecutor(1, thread_name_prefix="trove-control")
        self._queries = ThreadPoolExecutor(QUERY_THREADS, thread_name_prefix="trove-query")
        self._trove: Future[Trove] = Future()
        self._running = False
        self._pending_lock = threading.Lock()
        # The latest query (text, files to search with) not yet taken by the pool.
        self._pending: tuple[str, tuple[ExamplePart, ...]] | None = None
        self._deliver.connect(self._call)
        self._watch_after_open = False
        self._before_start: list[Callable[[], object]] = []
        self._closed = False  # shut down: requests from now on are dropped

    @property
    def settings(self) -> EngineSettings:
        return self._settings

    # --- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the engine; what was asked of the control thread before runs after it."""
        self._running = True
        self._control.submit(self._open)
        waiting, self._before_start = self._before_start, []
        for work in waiting:
            self._control.submit(work)

    def _on_control(self, work: Callable[..., object], *args: object) -> None:
        """Run ``work`` on the control thread, in the order asked; before :meth:`start`, it
        waits for the open (it would wait there for an open queued behind it)."""
        call = functools.partial(work, *args)
        if self._closed:
            return
        if self._running:
            self._control.submit(call)
        else:
            self._before_start.append(call)

    def reopen(self, **changes: Any) -> None:
        """Open the engine again with some settings changed (``device="cpu"``, ``threads=2``);
        requests meanwhile wait for the new one."""
        self._settings = replace(self._settings, **changes)
        settings = self._settings
        self._on_control(self._reopen, settings)

    def set_shared(self, libraries: Sequence[SharedLibrary]) -> None:
        """Search these libraries (other computers index them) along with this one's, from
        now on; each that cannot be read is said by ``shared_failed``."""
        self._settings = replace(self._settings, shared=tuple(libraries))
        self._on_control(self._attach_shared, tuple(libraries))

    def hear_in(self, languages: Sequence[str]) -> None:
        """Hear the recordings indexed from now on as in these languages (see ``Trove``)."""
        self._settings = replace(self._settings, spoken=tuple(languages))
        self._on_control(self._hear_in, tuple(languages))

    def hear_again(self) -> None:
        """Hear again the recordings heard before in a language not named now (see
        ``Trove.hear_again``)."""
        self._on_control(self._answer, lambda trove: trove.hear_again(), None, None)

    def repair(self) -> None:
        """Repair a damaged catalog (after ``damaged``); ``repaired`` or ``engine_failed``
        follows, and watching starts on the repaired index."""
        self._on_control(self._repair)

    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Stop watching, close the facade, join the threads (blocks, at exit only)."""
        if self._closed:
            return
        self._closed = True
        with self._pending_lock:
            self._pending = None
        self._deliver.disconnect(self._call)  # answers after closing have nobody to go to
        if not self._running:  # never started: what waits for an open is answered now
            self._trove.set_exception(EngineError(Problem.UNEXPECTED, "Trove is closed"))
        self._queries.shutdown(wait=True, cancel_futures=True)
        if self._running:
            self._running = False
            closing = self._control.submit(self._close)
            try:
                closing.result(timeout=timeout_s)
            except TimeoutError:
                log.error("the engine did not close in %.0f s", timeout_s)
        self._control.shutdown(wait=False, cancel_futures=True)

    # --- indexing lane ---------------------------------------------------------------------------

    def start_watching(self) -> None:
        self._watch_after_open = True
        self._on_control(self._answer, lambda trove: trove.start_watching(), None, None)

    def ensure_folder(self, folder: Path) -> None:
        """Watch ``folder`` when nothing is watched yet (the demo on a first run)."""

        def ensure(trove: Trove) -> None:
            if not trove.folders():
                trove.add_folder(folder)

        self._on_control(self._answer, ensure, None, None)

    def add_folder(
        self,
        folder: Path,
        on_done: Callable[[Root], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self._change(lambda trove: trove.add_folder(folder), on_done, on_error)

    def remove_folder(
        self,
        folder: Path,
        on_done: Callable[[int], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self._change(lambda trove: trove.remove_folder(folder), on_done, on_error)

    def set_exclusions(
        self,
        folder: Path,
        exclude: Sequence[str],
        on_done: Callable[[Root], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self._change(lambda trove: trove.set_exclusions(folder, exclude), on_done, on_error)

    def replace_demo(
        self, folders: Sequence[Path], on_done: Callable[[list[Root]], None] | None = None
    ) -> None:
        """Watch ``folders`` instead of the demo (its index goes; its files stay)."""

        def replace_it(trove: Trove) -> list[Root]:
            demo = str(demo_folder().resolve())
            if any(root.path == demo for root in trove.folders()):
                trove.remove_folder(Path(demo))
            return [trove.add_folder(folder) for folder in folders]

        self._change(replace_it, on_done, None)

    # Signals to the running pipeline: sent from the query pool, so that a pause is not
    # queued behind a folder change waiting on the control thread.

    def pause(self) -> None:
        if not self._closed:
            self._queries.submit(self._answer, lambda trove: trove.pause(), None, None)

    def resume(self) -> None:
        if not self._closed:
            self._queries.submit(self._answer, lambda trove: trove.resume(), None, None)

    # --- query lane ------------------------------------------------------------------------------

    def search(self, query: str, examples: Sequence[ExamplePart] = ()) -> None:
        """Ask for ``query`` with the files to search with (typed values, never written into
        the text); ``searched`` or ``query_failed`` follows, with :func:`search_key` of the
        two, unless a newer query was asked before this one ran."""
        if self._closed:
            return
        with self._pending_lock:
            self._pending = (query, tuple(examples))
        self._queries.submit(self._search)

    def browse(
        self,
        query: str,
        offset: int,
        limit: int,
        on_done: Callable[[Listing], None],
        on_error: OnError | None = None,
    ) -> None:
        """A page of what a filter alone (or an empty box: everything) lists, newest first:
        the library's next files. A query that cannot be read lists nothing."""

        def page(trove: Trove) -> Listing:
            try:
                filters = listed_filters(query)
            except QueryError as error:
                raise EngineError(Problem.UNEXPECTED, str(error)) from error
            return trove.browse(filters, offset, limit)

        self._ask(page, on_done, on_error)

    def details(
        self,
        file_id: int,
        on_done: Callable[[FileDetails | None], None],
        on_error: OnError,
        library: str | None = None,
    ) -> None:
        """A file's details: of this computer's library, or of the shared one a hit names."""
        self._ask(lambda trove: trove.details(file_id, library), on_done, on_error)

    def tag_names(
        self, language: str, on_done: Callable[[TagNames], None], on_error: OnError | None = None
    ) -> None:
        """The pack's tag names in ``language`` (read from its label files off this thread)."""
        self._ask(lambda trove: trove.tag_names(language), on_done, on_error)

    def status(self, on_done: Callable[[Status], None], on_error: OnError | None = None) -> None:
        self._ask(lambda trove: trove.status(), on_done, on_error)

    def folders(
        self, on_done: Callable[[list[Root]], None], on_error: OnError | None = None
    ) -> None:
        self._ask(lambda trove: trove.folders(), on_done, on_error)

    def places(
        self, on_done: Callable[[list[tuple[Place, int]]], None], on_error: OnError | None = None
    ) -> None:
        """The towns the library's files were taken near, most files first."""
        self._ask(lambda trove: trove.places(), on_done, on_error)

    def duplicates(
        self, on_done: Callable[[list[DuplicateGroup]], None], on_error: OnError | None = None
    ) -> None:
        self._ask(lambda trove: trove.duplicates(), on_done, on_error)

    # --- the threads' side -----------------------------------------------------------------------

    def _open(self) -> None:
        s = self._settings
        try:
            trove = Trove(
                s.data,
                s.pack,
                s.device,
                s.threads,
                on_progress=self.progress.emit,
                on_change=self.changed.emit,
                spoken_languages=s.spoken,
            )
        except EngineError as error:
            log.error("could not open Trove: %s", error)
            self._trove.set_exception(error)
            (self.damaged if error.problem is Problem.DAMAGED else self.engine_failed).emit(error)
            return
        except Exception as error:  # a bug: logged, and said in the window
            failure = _as_engine_error(error)
            self._trove.set_exception(failure)
            self.engine_failed.emit(failure)
            return
        self._trove.set_result(trove)
        self.opened.emit()
        if trove.made_private:
            self.made_private.emit(len(trove.made_private))
        self._attach_shared(s.shared)

    def _hear_in(self, languages: tuple[str, ...]) -> None:
        trove = self._opened()
        if trove is not None:
            trove.hear_in(languages)

    def _attach_shared(self, libraries: tuple[SharedLibrary, ...]) -> None:
        """On the control thread: attach exactly these shared libraries."""
        trove = self._opened()
        if trove is None:
            return
        for uri in trove.attached_libraries():
            trove.detach_library(uri)
        for one in libraries:
            try:
                mapping = PathMapping.of(one.folders())
                trove.attach_library(one.uri, mapping)
            except EngineError as error:
                log.warning("shared library %s left out: %s", one.uri, error)
                self.shared_failed.emit(one.uri, error)
            except MappingError as error:  # a hand-edited settings file
                log.warning("shared library %s left out: %s", one.uri, error)
                self.shared_failed.emit(one.uri, EngineError(Problem.CANNOT_OPEN, str(error)))

    def _close(self) -> None:
        """Close the engine for good: requests still coming are answered by nobody."""
        trove = self._opened()
        closed: Future[Trove] = Future()
        closed.set_exception(EngineError(Problem.UNEXPECTED, "Trove is closed"))
        self._trove = closed
        if trove is not None:
            trove.close()

    def _reopen(self, settings: EngineSettings) -> None:
        """Close and open again; requests meanwhile wait for the new engine."""
        trove = self._opened()
        self._trove = Future()
        if trove is not None:
            trove.close()
        self._settings = settings
        self._open()
        if self._watch_after_open:
            self._answer(lambda trove: trove.start_watching(), None, None)

    def _repair(self) -> None:
        try:
            report: RepairReport = repair_catalog(self._settings.data)
        except (EngineError, OSError) as error:
            log.exception("repair failed")
            self.engine_failed.emit(_as_engine_error(error))
            return
        self._trove = Future()
        self._open()
        trove = self._opened()
        if trove is not None:
            self.repaired.emit(report)
            trove.start_watching()
            self._watch_after_open = True

    def _opened(self) -> Trove | None:
        """The open Trove, waiting for an open under way; None when it could not open."""
        try:
            return self._trove.result()
        except Exception:  # said once, when the open failed
            return None

    def _change(
        self,
        work: Callable[[Trove], T],
        on_done: Callable[[T], None] | None,
        on_error: OnError | None,
    ) -> None:
        """A folder change, in the order asked, on the control thread (it waits there for
        the indexing lane's answer, so queries go on meanwhile)."""
        self._on_control(self._answer, work, on_done, on_error)

    def _ask(
        self,
        work: Callable[[Trove], T],
        on_done: Callable[[T], None],
        on_error: OnError | None,
    ) -> None:
        if not self._closed:
            self._queries.submit(self._answer, work, on_done, on_error)

    def _answer(
        self,
        work: Callable[[Trove], T],
        on_done: Callable[[T], None] | None,
        on_error: OnError | None,
    ) -> None:
        """Run ``work`` on the open engine, on this (pool or control) thread; its answer goes
        to ``on_done`` on the GUI thread (or nowhere), an error to ``on_error`` or else to
        ``engine_failed``."""
        trove = self._opened()
        if trove is None:
            return
        try:
            value = work(trove)
        except Exception as error:
            failure = _as_engine_error(error)
            if on_error is not None:
                self._deliver.emit(on_error, failure)
            else:
                self.engine_failed.emit(failure)
            return
        if on_done is not None:
            self._deliver.emit(on_done, value)

    def _search(self) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return  # an earlier wake-up already ran the latest query
        trove = self._opened()
        if trove is None:
            return
        text, examples = pending
        query = search_key(text, examples)
        try:
            if not query.strip():  # the library: everything, newest first
                self.listed.emit(query, trove.browse(Filters(), limit=FIRST_PAGE))
                return
            parsed = parse(text, examples=examples)
            if parsed.browsing:  # a chip or a typed filter alone: its files, newest first
                self.listed.emit(query, trove.browse(parsed.filters, limit=FIRST_PAGE))
                return
            result = trove.search(parsed, limit=SEARCH_LIMIT)
        except QueryError as error:
            self.query_failed.emit(query, error)
            return
        except Exception as error:
            self.engine_failed.emit(_as_engine_error(error))
            return
        self.searched.emit(query, result)

    def _call(self, callback: Callable[[Any], None], value: object) -> None:
        callback(value)

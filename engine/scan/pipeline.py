"""The indexing run: a scan's plan carried out, files decoded in parallel and embedded in batches.

Shape (rclip's ``_load_images``, grown up): a bounded look-ahead of decode threads reads and
decodes the next files while ONE consumer, the thread that calls :meth:`Pipeline.run`, runs the
models on batches of decoded files, writes each file's items to the catalog and hands what
changed to the vector indexes. The look-ahead holds at most ``lookahead`` decoded files and
stops reading ahead past ``lookahead_bytes``, so memory stays flat however large the folder.

Crash safety: each model batch of files is one catalog transaction (``replace_many``, one
commit for up to ``batch_files`` files), committed before its vectors reach the index, and a
file stays PENDING until that commit. A run killed at any moment leaves committed files INDEXED
and the rest PENDING; the next scan lists the PENDING ones again and ``replace_many`` replaces
rather than adds, so nothing is lost and nothing is doubled. The
index files record the catalog generation they match and are rebuilt when they lag behind.

A long recording or video (a *streamed* file) is not held; its items come in parts, one per
piece decoded (:meth:`Extract.embed_parts`), and each part is committed as it comes
(``write_part``), so the start of a three-hour recording is searchable while the rest is still
being heard. The file stays PENDING until its last part is in: the first part replaces
whatever it held, so a run stopped part way (killed, cancelled, or interrupted for a folder
change) leaves its parts searchable and the file to be indexed again from its start by the
next run, with nothing doubled. A pause between parts keeps the parts and goes on from there.

What could not be read is written to the catalog as it is met (a failure to open a path, from
the plan; a failure to decode or embed a file, from here), by a full run and a watcher's small
run alike. What the commits changed is published to ``on_change`` once the vector indexes hold
it, so a query asked on receipt already sees it: after the plan's deletes and moves, after the
copies, after each model batch, each time with the generation after the last of its commits.

An updated pack may bring another build of a text model under the same id (the compact pack's
MiniLM went from fp32 to int8). The catalog records which build made each space; a run that
finds another one makes that space's vectors again once, after its own files: from the texts
the catalog keeps, and for what a picture shows, from the picture. Vectors of two builds are
never compared for long, and no recording is heard again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import (
    NO_FACTS,
    FileKind,
    FileRecord,
    FileStatus,
    Item,
    MediaFacts,
    ReplaceResult,
    Root,
    SpaceBuild,
)
from engine.inference.session import InferenceError
from engine.media.errors import MediaError
from engine.media.images import load_image
from engine.media.looks import Look
from engine.media.metadata import read_facts
from engine.places import Gazetteer
from engine.scan.changes import ChangeCallback, ChangeKind, FileChange, IndexChanges
from engine.scan.scanner import Copy, Found, Plan, Unreadable, Work

log = logging.getLogger(__name__)


class RunState(StrEnum):
    SCANNING = "scanning"
    INDEXING = "indexing"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"
    WATCHING = "watching"  # the watcher is idle and listening
    POLLING = "polling"  # the OS ran out of watches: periodic rescans instead


@dataclass(frozen=True)
class Progress:
    """One report to the progress callback; the rate and the estimate are over the last
    :data:`RATE_WINDOW_S` seconds of work (see :class:`RecentRate`)."""

    state: RunState
    files_done: int = 0
    files_total: int = 0
    files_failed: int = 0
    items: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    elapsed: float = 0.0
    rate: float = 0.0  # files per second, lately
    eta: float | None = None  # seconds left, from the recent byte rate; None until measured
    current: str | None = None
    message: str | None = None  # English, for the log and the command line
    folder: Path | None = None  # the folder a message is about (one that cannot be watched)


ProgressCallback = Callable[[Progress], None]

RATE_WINDOW_S = 30.0  # the rate is of the work in this many seconds, not of the whole run
RATE_MIN_FILES = 4  # no estimate until this many files were measured
LOOK_BATCH = 64  # photos of an older catalog looked at (and written) at a time
# Texts embedded again (and written) a commit, after a text model changed.
RESTATE_BATCH = 512


class RecentRate:
    """Files and bytes per second over a sliding window of the run's counts.

    Measuring starts at the first count with a file done: the time before it (the models
    loading, the first batch decoding) says nothing about the pace of the rest, and an average
    over it once told "1711 s left" for a minute's work. Counts older than the window drop
    out, so the estimate follows the pace of the files now being read (photos, then videos).
    """

    def __init__(self, window: float = RATE_WINDOW_S, min_files: int = RATE_MIN_FILES) -> None:
        self.window = window
        self.min_files = min_files
        self._counts: deque[tuple[float, int, int]] = deque()  # (time, files, bytes)

    def add(self, now: float, files: int, done_bytes: int) -> None:
        if files <= 0:
            return
        self._counts.append((now, files, done_bytes))
        # Keep the newest count at or before the window's start: the span covers the window.
        while len(self._counts) > 2 and self._counts[1][0] <= now - self.window:
            self._counts.popleft()

    def rates(self) -> tuple[float, float] | None:
        """(files, bytes) per second, or None while too little was measured."""
        if len(self._counts) < 2:
            return None
        (first, files0, bytes0), (last, files1, bytes1) = self._counts[0], self._counts[-1]
        if last <= first or files1 - files0 < self.min_files:
            return None
        span = last - first
        return (files1 - files0) / span, (bytes1 - bytes0) / span


@dataclass(frozen=True)
class PipelineSettings:
    decode_threads: int = 2
    lookahead: int = 8
    lookahead_bytes: int = 256 << 20
    batch_files: int = 16  # decoded files per model batch
    save_every: float = 30.0  # seconds between index saves (and one at the end)
    progress_every: float = 0.1  # seconds between progress reports


@dataclass
class RunSummary:
    indexed: int = 0
    failed: int = 0
    copied: int = 0
    moved: int = 0
    deleted: int = 0
    touched: int = 0
    items: int = 0
    bytes: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    changed_while_read: list[str] = field(default_factory=list)  # left for the next scan
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    unreadable: list[Unreadable] = field(default_factory=list)
    offline: list[Root] = field(default_factory=list)


class CatalogWriter(Protocol):
    """The catalog calls a run makes (:class:`engine.catalog.catalog.Catalog` has them)."""

    def roots(self) -> list[Root]: ...

    def generation(self) -> int: ...

    def set_root_online(self, root_id: int, online: bool) -> None: ...

    def upsert_file(
        self,
        root_id: int,
        relpath: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        kind: FileKind,
    ) -> FileRecord: ...

    def unread_facts(self) -> list[tuple[FileRecord, str]] | None: ...

    def set_facts(
        self, facts: Sequence[tuple[int, MediaFacts, int | None]], caught_up: bool = False
    ) -> None: ...

    def unlooked_photos(self, after: int, limit: int) -> list[tuple[int, Path]] | None: ...

    def space_builds(self) -> dict[str, str | None]: ...

    def set_space_build(self, name: str, dim: int, build: str) -> None: ...

    def stored_texts(self, space: str, after: int, limit: int) -> list[tuple[int, Item]]: ...

    def files_shown_in(self, space: str) -> list[tuple[FileRecord, str]]: ...

    def restate_vectors(
        self, space: str, ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> ReplaceResult: ...

    def set_looks(self, looks: Sequence[tuple[int, Look]], caught_up: bool = False) -> None: ...

    def mark_failed(self, file_id: int, reason: str) -> None: ...

    def record_failures(self, root_id: int, found: Sequence[tuple[Path, str]]) -> None: ...

    def clear_failures(self, paths: Sequence[Path]) -> None: ...

    def move_file(self, file_id: int, root_id: int, relpath: str) -> None: ...

    def delete_file(self, file_id: int) -> list[tuple[str, int]]: ...

    def find_by_hash(self, content_hash: str) -> FileRecord | None: ...

    def replace_many(self, files: Sequence[tuple[int, Sequence[Item]]]) -> ReplaceResult: ...

    def write_part(
        self, file_id: int, items: Sequence[Item], first: bool, last: bool
    ) -> ReplaceResult: ...

    def copy_items(self, source_file_id: int, target_file_id: int) -> ReplaceResult: ...


class IndexSink(Protocol):
    """What a run tells the vector indexes (:class:`engine.index.spaces.SpaceIndexes`)."""

    def apply(self, result: ReplaceResult) -> None: ...

    def save(self) -> None: ...


class Decoded(Protocol):
    """A decoded file waiting for the models; ``nbytes`` is what it holds in memory, and a
    ``streamed`` one holds nothing: its items come in parts (:meth:`Extract.embed_parts`)."""

    @property
    def nbytes(self) -> int: ...

    @property
    def streamed(self) -> bool: ...


D = TypeVar("D", bound=Decoded)


class Extract(Protocol[D]):
    """Decode on any thread, embed on the consumer (:class:`engine.scan.extract.Extractor`)."""

    def decode(self, path: Path, kind: FileKind) -> D: ...

    def embed(self, files: Sequence[D]) -> list[list[Item]]: ...

    def embed_parts(self, decoded: D) -> Generator[list[Item]]: ...

    def text_spaces(self) -> list[SpaceBuild]: ...

    def embed_stored(self, space: str, items: Sequence[Item]) -> NDArray[np.float32]: ...


@dataclass
class _Job:
    work: Work
    record: FileRecord
    future: Future[Decoded] | None = None
    facts: Future[MediaFacts] | None = None  # what its metadata says (never raises)


class _LookAhead:
    """Decode futures in file order, never more than the settings allow in memory at once."""

    def __init__(
        self, jobs: Sequence[_Job], extract: Extract[Any], settings: PipelineSettings
    ) -> None:
        self._jobs = deque(jobs)
        self._extract = extract
        self._settings = settings
        self._ahead: deque[_Job] = deque()
        self._pool = ThreadPoolExecutor(
            max(1, settings.decode_threads), thread_name_prefix="trove-decode"
        )

    def _held_bytes(self) -> int:
        held = 0
        for job in self._ahead:
            future = job.future
            if future is not None and future.done() and future.exception() is None:
                held += future.result().nbytes
        return held

    def _fill(self) -> None:
        while (
            self._jobs
            and len(self._ahead) < self._settings.lookahead
            and (not self._ahead or self._held_bytes() < self._settings.lookahead_bytes)
        ):
            job = self._jobs.popleft()
            found = job.work.found
            job.future = self._pool.submit(self._extract.decode, found.path, found.kind)
            # The header only, beside the decode (a video's takes some milliseconds to open).
            job.facts = self._pool.submit(read_facts, found.path, found.kind)
            self._ahead.append(job)

    def take(self, limit: int) -> list[_Job]:
        """The next job (waiting for its decode) and up to ``limit - 1`` more already decoded."""
        self._fill()
        if not self._ahead:
            return []
        taken = [self._ahead.popleft()]
        if taken[0].future is not None:
            taken[0].future.exception()  # waits for the decode, whatever its outcome
        while len(taken) < limit and self._ahead:
            head = self._ahead[0].future
            if head is None or not head.done():
                break
            taken.append(self._ahead.popleft())
        self._fill()
        return taken

    def close(self) -> None:
        for job in self._ahead:
            for future in (job.future, job.facts):
                if future is not None:
                    future.cancel()
        self._ahead.clear()
        self._jobs.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


class Pipeline:
    """Carries out scan plans; :meth:`pause`, :meth:`resume` and :meth:`cancel` may be called
    from any thread while :meth:`run` works on its own. ``on_progress`` and ``on_change`` are
    called on the thread of :meth:`run`."""

    def __init__(
        self,
        catalog: CatalogWriter,
        indexes: IndexSink,
        extract: Extract[Any],
        settings: PipelineSettings | None = None,
        on_progress: ProgressCallback | None = None,
        on_change: ChangeCallback | None = None,
        places: Gazetteer | None = None,
    ) -> None:
        self.catalog = catalog
        self.indexes = indexes
        self.extract = extract
        self.places = places or Gazetteer()  # read on the first file with a GPS position
        self.settings = settings or PipelineSettings()
        self.on_progress = on_progress
        self.on_change = on_change
        self._running = threading.Event()
        self._running.set()
        self._cancel = threading.Event()
        # The lane's own stop (a folder change waits): like a cancel, but a pause stays a
        # pause and the run is not reported as cancelled by the person.
        self._interrupt = threading.Event()
        self._last_report = 0.0
        self._last_save = time.monotonic()
        self._dirty = False

    # --- control, from any thread --------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        """Stop the current run after the batch in hand; what is committed stays committed."""
        self._cancel.set()
        self._running.set()

    def interrupt(self) -> None:
        """Stop the current run after the batch in hand so that the lane can run a command;
        the watcher scans again afterwards, which takes up the files this run left."""
        self._interrupt.set()

    def clear_interrupt(self) -> None:
        self._interrupt.clear()

    def clear_cancel(self) -> None:
        """Forget a cancel that found no run to stop (a watcher stopped while idle): it would
        otherwise end the next run before it starts."""
        self._cancel.clear()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def _stopping(self) -> bool:
        return self._cancel.is_set() or self._interrupt.is_set()

    # --- the run ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Save the indexes now if anything changed since the last save."""
        self._save(force=True)

    def run(self, plan: Plan, final_save: bool = True) -> RunSummary:
        """Apply ``plan``: roots on/offline, stat updates, deletes, moves, copies, then index
        every file of ``plan.work``. Returns what was done; a bad file never stops the run.

        The indexes are saved every ``save_every`` seconds and, with ``final_save``, at the
        end; the watcher's small runs leave the final save to its own timer."""
        sizes = [work.found.size for work in plan.work]
        sizes += [copy.work.found.size for copy in plan.copies]
        run = _Run(
            RunSummary(unreadable=list(plan.unreadable), offline=list(plan.offline)),
            files_total=len(sizes),
            bytes_total=sum(sizes),
            roots={root.id: Path(root.path) for root in self.catalog.roots()},
        )
        try:
            self._catch_up_facts(run)
            stale = self._stale_spaces()
            self._apply_structure(plan, run)
            jobs = [self._store(work) for work in plan.work]
            for copy in plan.copies:
                if copy.source is not None:
                    self._copy(copy, copy.source, run)
            self._publish(run)
            self._index(jobs, run)
            self._copies_of_this_run([c for c in plan.copies if c.source is None], run)
            self._catch_up_models(stale, {job.record.id for job in jobs}, run)
            self._catch_up_looks()
        finally:
            self._publish(run)
            self._save(force=final_save)
            run.summary.cancelled = self._cancel.is_set()
            run.summary.seconds = time.monotonic() - run.started
            state = RunState.CANCELLED if run.summary.cancelled else RunState.DONE
            self._report(run, state, None, force=True)
            self._cancel.clear()
        return run.summary

    def _apply_structure(self, plan: Plan, run: _Run) -> None:
        summary = run.summary
        for root in plan.offline:
            if root.online:
                self.catalog.set_root_online(root.id, False)
                log.info("root %s is offline: its files are kept", root.path)
        for root in plan.online:
            self.catalog.set_root_online(root.id, True)
        self._record_unreadable(plan)
        for work in plan.touched:
            self._store(work)
            summary.touched += 1
        for record in plan.deleted:
            self._apply(ReplaceResult(removed=self.catalog.delete_file(record.id)))
            run.changed(ChangeKind.REMOVED, record)
            summary.deleted += 1
        for move in plan.moves:
            self.catalog.move_file(move.record.id, move.to.root_id, move.to.relpath)
            self._dirty = True  # the generation moved on: the indexes' saved one must follow
            if (move.record.size, move.record.mtime_ns) != (move.to.size, move.to.mtime_ns):
                self._store(Work(move.to, move.record.content_hash, move.record))
            run.changed(ChangeKind.MOVED, move.record, move.to.path)
            summary.moved += 1
        self._publish(run)

    def _record_unreadable(self, plan: Plan) -> None:
        """Failures to open a path: those that hold no more go, those met now are written."""
        if plan.readable_again:
            self.catalog.clear_failures(plan.readable_again)
        by_root: dict[int, list[tuple[Path, str]]] = {}
        for unreadable in plan.unreadable:
            by_root.setdefault(unreadable.root_id, []).append(
                (Path(unreadable.path), unreadable.reason)
            )
        for root_id, found in by_root.items():
            self.catalog.record_failures(root_id, found)

    def _store(self, work: Work) -> _Job:
        found = work.found
        record = self.catalog.upsert_file(
            found.root_id, found.relpath, found.size, found.mtime_ns, work.content_hash, found.kind
        )
        return _Job(work, record)

    def _write_facts(self, jobs: Sequence[_Job]) -> None:
        """What the files' metadata says (read in the decode pool), and the towns nearest
        their positions, written just before their items."""
        facts = [NO_FACTS if job.facts is None else job.facts.result() for job in jobs]
        self.catalog.set_facts(self._placed([job.record.id for job in jobs], facts))

    def _placed(
        self, file_ids: Sequence[int], facts: Sequence[MediaFacts]
    ) -> list[tuple[int, MediaFacts, int | None]]:
        """Each file's facts with the GeoNames id of the town nearest its position."""
        placed = []
        for file_id, one in zip(file_ids, facts, strict=True):
            place = None
            if one.latitude is not None and one.longitude is not None:
                place = self.places.nearest(one.latitude, one.longitude)
            placed.append((file_id, one, None if place is None else place.id))
        return placed

    def _catch_up_facts(self, run: _Run) -> None:
        """Once, in a catalog from before Trove read metadata: the dates, places and cameras
        of the files it had indexed (headers only, in parallel: BENCHMARKS.md, "Dates and
        places"), so that an updated Trove need not index them again to know them."""
        backlog = self.catalog.unread_facts()
        if backlog is None:
            return
        paths = [(Path(root) / record.relpath, record.kind) for record, root in backlog]
        threads = max(1, self.settings.decode_threads)
        with ThreadPoolExecutor(threads, thread_name_prefix="trove-facts") as pool:
            facts = list(pool.map(lambda pair: read_facts(*pair), paths))
        records = [record for record, _root in backlog]
        self.catalog.set_facts(self._placed([r.id for r in records], facts), caught_up=True)
        for record, one in zip(records, facts, strict=True):
            if one != NO_FACTS:
                run.changed(ChangeKind.CHANGED, record)
        self._publish(run)

    def _stale_spaces(self) -> list[SpaceBuild]:
        """The text spaces whose vectors another build of their model made (an updated pack
        brought a new one under the same id); a space new to the catalog is recorded as this
        build's before the run writes to it."""
        recorded = self.catalog.space_builds()
        stale = []
        for space in self.extract.text_spaces():
            if space.name not in recorded:
                self.catalog.set_space_build(space.name, space.dim, space.build)
            elif recorded[space.name] != space.build:
                stale.append(space)
        return stale

    def _catch_up_models(self, stale: Sequence[SpaceBuild], indexed: set[int], run: _Run) -> None:
        """Once per model change, after the run's own files (``indexed``): the vectors of the
        stale spaces made again, so that vectors of two builds are not compared. Items made
        from a text (tags, transcripts, note chunks, words in pictures) from the text the
        catalog keeps, :data:`RESTATE_BATCH` a commit; what a picture shows from the picture,
        read again once for all those spaces. The old vectors answer until then; the builds are
        recorded once all is made again (a run stopped first starts over next time)."""
        for space in stale:
            log.info("the %s model changed: making its vectors again", space.name)
            self._restate_texts(space.name)
        shown = {
            record.id: _Job(Work(_found(record, root), record.content_hash, record), record)
            for space in stale
            for record, root in self.catalog.files_shown_in(space.name)
            if record.id not in indexed
        }
        run.files_total += len(shown)
        self._index(list(shown.values()), run)
        if self._stopping:
            return
        for space in stale:
            self.catalog.set_space_build(space.name, space.dim, space.build)

    def _restate_texts(self, space: str) -> None:
        """The vectors in ``space`` of every item made from a text, made again from it."""
        after = 0
        while not self._stopping:
            rows = self.catalog.stored_texts(space, after, RESTATE_BATCH)
            if not rows:
                return
            ids = [item_id for item_id, _ in rows]
            vectors = self.extract.embed_stored(space, [item for _, item in rows])
            self._apply(self.catalog.restate_vectors(space, ids, vectors))
            self._save(force=False)
            after = ids[-1]

    def _catch_up_looks(self) -> None:
        """Once, in a catalog from before Trove kept looks: the look of each photo indexed
        then, so that near-duplicates need not wait for it to be indexed again. A decode each,
        in parallel, after the run's own files; a run stopped first goes on from the start
        next time (the photos done are not asked for again)."""
        photos = self.catalog.unlooked_photos(0, LOOK_BATCH)
        if photos is None:
            return  # caught up long ago: every run after the first asks only this
        threads = max(1, self.settings.decode_threads)
        with ThreadPoolExecutor(threads, thread_name_prefix="trove-looks") as pool:
            while photos and not self._stopping:
                looks = pool.map(lambda photo: _look_at(photo[1]), photos)
                found = zip((item_id for item_id, _ in photos), looks, strict=True)
                self.catalog.set_looks([(item_id, look) for item_id, look in found if look])
                photos = self.catalog.unlooked_photos(photos[-1][0], LOOK_BATCH)
        if photos == []:
            self.catalog.set_looks([], caught_up=True)

    def _copy(self, copy: Copy, source: FileRecord, run: _Run) -> None:
        target = self._store(copy.work).record
        self._apply(self.catalog.copy_items(source.id, target.id))
        run.indexed(copy.work, target)
        run.summary.copied += 1
        run.done(copy.work, 0)

    def _copies_of_this_run(self, copies: Sequence[Copy], run: _Run) -> None:
        """Files whose bytes first appeared in this same run: copy from the one indexed now, or
        index them themselves when that one failed."""
        orphans: list[_Job] = []
        for copy in copies:
            if self._stopping:
                return
            source = self.catalog.find_by_hash(copy.work.content_hash)
            if source is not None and source.kind is copy.work.found.kind:
                self._copy(copy, source, run)
            else:
                orphans.append(self._store(copy.work))
        self._index(orphans, run)

    def _index(self, jobs: Sequence[_Job], run: _Run) -> None:
        if not jobs:
            return
        ahead = _LookAhead(jobs, self.extract, self.settings)
        try:
            while not self._stopping:
                self._wait_while_paused(run)
                if self._stopping:
                    break
                batch = ahead.take(self.settings.batch_files)
                if not batch:
                    break
                self._report(run, RunState.INDEXING, batch[0].work.found.relpath)
                self._embed_and_write(batch, run)
                self._publish(run)
                self._save(force=False)
        finally:
            ahead.close()

    def _wait_while_paused(self, run: _Run) -> None:
        while not self._running.is_set() and not self._interrupt.is_set():
            self._report(run, RunState.PAUSED, None, force=True)
            self._save(force=True)  # a long pause is a good moment to be safe
            self._running.wait(timeout=1.0)

    def _embed_and_write(self, batch: list[_Job], run: _Run) -> None:
        decoded: list[tuple[_Job, Decoded]] = []
        streamed: list[tuple[_Job, Decoded]] = []
        for job in batch:
            assert job.future is not None  # every job taken was submitted
            error = job.future.exception()
            if error is not None:
                self._fail(job, error, run)
            elif job.future.result().streamed:
                streamed.append((job, job.future.result()))
            else:
                decoded.append((job, job.future.result()))
        self._embed_held(decoded, run)
        for job, one in streamed:
            if self._stopping:
                return
            self._write_in_parts(job, one, run)

    def _embed_held(self, decoded: list[tuple[_Job, Decoded]], run: _Run) -> None:
        """Embed decoded files together and commit them in one transaction."""
        if not decoded:
            return
        try:
            results: list[list[Item] | None] = list(self.extract.embed([one for _, one in decoded]))
        except InferenceError:
            raise  # the pack is broken, not the files: stop, and leave them PENDING
        except Exception:  # noqa: BLE001 - find the file the models choke on, one at a time
            results = [self._embed_one(job, one, run) for job, one in decoded]
        ready = [
            (job, items)
            for (job, _), items in zip(decoded, results, strict=True)
            if items is not None and self._still_valid(job, items, run)
        ]
        if ready:
            self._write_facts([job for job, _ in ready])
            self._apply(self.catalog.replace_many([(job.record.id, items) for job, items in ready]))
            for job, items in ready:
                run.indexed(job.work, job.record)
                run.summary.indexed += 1
                run.done(job.work, len(items))

    def _write_in_parts(self, job: _Job, decoded: Decoded, run: _Run) -> None:
        """Commit a streamed file's parts as they come (see the module's notes). A part is
        checked as a held file is (the file still there, unchanged, its vectors sound); one
        that fails the check ends the file there, its parts so far kept. A pause waits between
        parts; a stop leaves the file PENDING."""
        parts = self.extract.embed_parts(decoded)
        written = 0  # items committed so far
        first = True
        try:
            while True:
                self._wait_while_paused(run)
                if self._stopping:
                    return
                self._report(run, RunState.INDEXING, job.work.found.relpath)
                try:
                    part = next(parts, None)
                except InferenceError:
                    raise  # the pack is broken, not the file: stop, and leave it PENDING
                except Exception as error:  # noqa: BLE001 - a person's file must never stop a run
                    if not isinstance(error, MediaError):
                        log.exception("embedding %s failed", job.work.found.path)
                    self._fail(job, error, run)
                    return
                last, items = part is None, part or []
                if not (last or items):
                    continue  # a piece that completed nothing
                if not self._still_valid(job, items, run):
                    return
                if first:
                    self._write_facts([job])
                self._apply(self.catalog.write_part(job.record.id, items, first, last))
                if first:
                    run.indexed(job.work, job.record)  # searchable (again) from here
                elif items:
                    run.changed(ChangeKind.CHANGED, job.record)
                first = False
                written += len(items)
                self._publish(run)
                if last:
                    run.summary.indexed += 1
                    run.done(job.work, written)
                    return
                self._save(force=False)
        finally:
            parts.close()

    def _embed_one(self, job: _Job, decoded: Decoded, run: _Run) -> list[Item] | None:
        try:
            return self.extract.embed([decoded])[0]
        except InferenceError:
            raise
        except Exception as error:  # noqa: BLE001 - a person's file must never stop a run
            log.exception("embedding %s failed", job.work.found.path)
            self._fail(job, error, run)
            return None

    def _still_valid(self, job: _Job, items: list[Item], run: _Run) -> bool:
        """Whether the file may be written as decoded: it is still there, unchanged, and every
        vector is sound. Otherwise it is dealt with here and left out of the batch's commit."""
        found = job.work.found
        try:
            now = found.path.stat()
        except FileNotFoundError:
            # Vanished while being read: it is gone, so forget it rather than call it failed.
            self._apply(ReplaceResult(removed=self.catalog.delete_file(job.record.id)))
            run.changed(ChangeKind.REMOVED, job.record)
            run.summary.deleted += 1
            run.done(job.work, 0)
            return False
        except OSError as error:
            self._fail(job, error, run)
            return False
        if (now.st_size, now.st_mtime_ns) != (found.size, found.mtime_ns):
            # Changed while being read: what was decoded may be half old, half new. It stays
            # PENDING, and the next scan (or the watcher's event) indexes the new bytes.
            run.summary.changed_while_read.append(str(found.path))
            run.done(job.work, 0)
            return False
        bad = _bad_vector(items)
        if bad is not None:
            self._fail(job, MediaError(f"{found.path.name}: {bad}"), run)
            return False
        return True

    def _fail(self, job: _Job, error: BaseException, run: _Run) -> None:
        found = job.work.found
        if isinstance(error, MediaError):
            reason = str(error)
        else:
            reason = f"{found.path.name}: {type(error).__name__}: {error}"
            if not isinstance(error, OSError):
                log.error("unexpected error on %s: %r", found.path, error)
        self.catalog.mark_failed(job.record.id, reason)
        run.changed(ChangeKind.FAILED, job.record)
        run.summary.failed += 1
        run.summary.failures.append((str(found.path), reason))
        run.done(job.work, 0)

    def _apply(self, result: ReplaceResult) -> None:
        if result.added or result.removed:
            self.indexes.apply(result)
            self._dirty = True

    def _publish(self, run: _Run) -> None:
        """Tell ``on_change`` what the commits since the last call changed; the indexes
        already hold it."""
        if run.changes and self.on_change is not None:
            changes = IndexChanges(self.catalog.generation(), tuple(run.changes))
            run.changes.clear()
            self.on_change(changes)

    def _save(self, force: bool) -> None:
        now = time.monotonic()
        if self._dirty and (force or now - self._last_save >= self.settings.save_every):
            self.indexes.save()
            self._dirty = False
            self._last_save = now

    def _report(self, run: _Run, state: RunState, current: str | None, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < self.settings.progress_every:
            return
        self._last_report = now
        self.on_progress(run.progress(state, current, now))


def _found(record: FileRecord, root: str) -> Found:
    """An indexed file as a walk would find it unchanged."""
    path = Path(root) / record.relpath
    return Found(record.root_id, record.relpath, path, record.size, record.mtime_ns, record.kind)


@dataclass
class _Run:
    """Counts of one run, from which progress reports are made, and the changes of its
    commits not yet published."""

    summary: RunSummary
    files_total: int
    bytes_total: int
    roots: dict[int, Path]  # root id -> its folder, for the paths of changes
    started: float = field(default_factory=time.monotonic)
    files_done: int = 0
    changes: list[FileChange] = field(default_factory=list)
    pace: RecentRate = field(default_factory=RecentRate)

    def changed(self, change: ChangeKind, record: FileRecord, moved_to: Path | None = None) -> None:
        """``record`` as it was before the change; ``moved_to`` where a moved file is now."""
        path = self.roots.get(record.root_id, Path()) / record.relpath
        if moved_to is None:
            self.changes.append(FileChange(change, record.id, path, record.kind))
        else:
            self.changes.append(FileChange(change, record.id, moved_to, record.kind, path))

    def indexed(self, work: Work, record: FileRecord) -> None:
        """A file's new items are committed: searchable for the first time, or again after
        its bytes changed (it was searchable before)."""
        was = work.record
        searchable = was is not None and was.status in (FileStatus.INDEXED, FileStatus.MISSING)
        change = ChangeKind.CHANGED if searchable else ChangeKind.ADDED
        self.changes.append(FileChange(change, record.id, work.found.path, work.found.kind))

    def done(self, work: Work, items: int) -> None:
        self.files_done += 1
        self.summary.items += items
        self.summary.bytes += work.found.size

    def progress(self, state: RunState, current: str | None, now: float) -> Progress:
        elapsed = now - self.started
        self.pace.add(now, self.files_done, self.summary.bytes)
        rates = self.pace.rates()
        file_rate, byte_rate = rates if rates is not None else (0.0, 0.0)
        left = max(0, self.bytes_total - self.summary.bytes)
        return Progress(
            state=state,
            files_done=self.files_done,
            files_total=self.files_total,
            files_failed=self.summary.failed,
            items=self.summary.items,
            bytes_done=self.summary.bytes,
            bytes_total=self.bytes_total,
            elapsed=elapsed,
            rate=file_rate,
            eta=left / byte_rate if byte_rate > 0 else None,
            current=current,
        )


def _bad_vector(items: Sequence[Item]) -> str | None:
    """Why an item cannot be stored (a NaN from a degenerate input), or ``None``."""
    for item in items:
        for space, vector in item.vectors.items():
            if not np.isfinite(vector).all():
                return f"the {space!r} model gave a non-finite vector for a {item.kind} item"
    return None


def _look_at(path: Path) -> Look | None:
    """A photo's look, or None (logged) where it cannot be read now: offline, gone, damaged."""
    try:
        return Look.of(load_image(path))
    except (MediaError, OSError) as error:
        log.info("no look taken of %s: %s", path, error)
        return None

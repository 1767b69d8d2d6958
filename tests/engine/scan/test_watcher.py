"""The watcher: a dropped photo becomes searchable quickly, bursts coalesce, moves stay moves,
and a refused watch falls back to timed rescans that say so."""

from __future__ import annotations

import errno
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileStatus
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.media.images import load_image
from engine.scan.changes import ChangeKind, FileChange, IndexChanges
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, Progress, RunState, RunSummary
from engine.scan.scanner import Scanner
from engine.scan.watcher import Watcher, WatchSettings
from models.manifest import Manifest
from tests import media
from tests.engine.scan.conftest import FakeExtract, RecordingIndex, tree_digest

FAST = WatchSettings(quiet=0.3, max_delay=1.5, rescan_every=600.0, save_every=600.0)


class Runs:
    """Collects the watcher's run summaries, status reports and published changes, and waits
    for them."""

    def __init__(self) -> None:
        self.summaries: list[RunSummary] = []
        self.statuses: list[Progress] = []
        self.changes: list[IndexChanges] = []
        self._changed = threading.Condition()

    def on_change(self, changes: IndexChanges) -> None:
        with self._changed:
            self.changes.append(changes)
            self._changed.notify_all()

    def published(self, change: ChangeKind, name: str) -> FileChange | None:
        """The latest change of that kind to a file of that name."""
        found = [
            one
            for changes in self.changes
            for one in changes.files
            if one.change is change and one.path.name == name
        ]
        return found[-1] if found else None

    def on_run(self, summary: RunSummary) -> None:
        with self._changed:
            self.summaries.append(summary)
            self._changed.notify_all()

    def on_status(self, progress: Progress) -> None:
        with self._changed:
            self.statuses.append(progress)
            self._changed.notify_all()

    def wait(self, test: Callable[[], bool], timeout: float = 20.0) -> None:
        with self._changed:
            if not self._changed.wait_for(test, timeout):
                states = [(s.state.value, s.message) for s in self.statuses[-5:]]
                raise AssertionError(f"timed out waiting for the watcher; last: {states}")

    def watching(self) -> bool:
        return any(s.state in (RunState.WATCHING, RunState.POLLING) for s in self.statuses)


def _watcher(
    catalog: Catalog, extract: object, index: object, runs: Runs, **kwargs: object
) -> Watcher:
    pipeline = Pipeline(
        catalog,
        index,  # type: ignore[arg-type]
        extract,  # type: ignore[arg-type]
        on_progress=runs.on_status,
        on_change=runs.on_change,
    )
    return Watcher(
        Scanner(catalog),
        pipeline,
        kwargs.pop("settings", FAST),  # type: ignore[arg-type]
        on_status=runs.on_status,
        on_run=runs.on_run,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_dropped_photo_is_searchable_within_two_seconds(
    user_folder: Path, catalog: Catalog, dev_pack: Manifest, tmp_path: Path
) -> None:
    catalog.add_root(user_folder)
    indexes = SpaceIndexes(tmp_path / "data" / "indexes")
    indexes.open(catalog)
    extractor = Extractor(ModelSet(dev_pack))
    assert extractor.image is not None
    space = extractor.image.entry.id
    photo = media.skimage_photos()["astronaut"]
    query = extractor.image.encode([load_image(photo)])
    runs = Runs()
    before = tree_digest(user_folder)
    # The shipped debounce (0.5 s of quiet), not the tests' shorter one.
    with _watcher(catalog, extractor, indexes, runs, settings=WatchSettings()):
        runs.wait(runs.watching)
        assert catalog.counts()["files.indexed"] == 6
        dropped = time.monotonic()
        shutil.copyfile(photo, user_folder / "Photos" / "astronaut.png")
        found_at = None
        while time.monotonic() - dropped < 10 and found_at is None:
            scores, ids = indexes.search(space, query, 1)
            rows = catalog.items([int(ids[0, 0])]) if ids[0, 0] >= 0 else []
            if rows and rows[0].file.relpath == "Photos/astronaut.png":
                found_at = time.monotonic()
            time.sleep(0.02)
    # Found at all within 10 s is the test; the 2 s target is measured by tests.benchmarks.speed,
    # since a timed assertion would fail whenever the shared machine is busy.
    assert found_at is not None, "the dropped photo never became searchable"
    assert float(scores[0, 0]) > 0.99
    after_watch = tree_digest(user_folder)
    del after_watch[str(user_folder / "Photos" / "astronaut.png")]
    assert after_watch == before  # nothing written, made or removed in the user's folder
    indexes.close()


def test_burst_is_coalesced_and_moves_stay_moves(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    root = catalog.add_root(folder)
    extract = FakeExtract()
    index = RecordingIndex()
    runs = Runs()
    with _watcher(catalog, extract, index, runs):
        runs.wait(runs.watching)
        for number in range(20):
            (folder / f"n{number}.txt").write_text(f"note {number}\n")
        runs.wait(lambda: sum(s.indexed for s in runs.summaries) == 20)
        assert len(runs.summaries) <= 3  # 20 files, a handful of runs
        decoded = len(extract.decoded)
        (folder / "sub").mkdir()
        (folder / "n1.txt").rename(folder / "sub" / "renamed.txt")
        runs.wait(lambda: sum(s.moved for s in runs.summaries) == 1)
        assert len(extract.decoded) == decoded  # a rename is not re-embedded
        (folder / "n2.txt").unlink()
        runs.wait(lambda: sum(s.deleted for s in runs.summaries) == 1)
        (folder / "n3.txt").write_text("edited\n")
        runs.wait(lambda: sum(s.indexed for s in runs.summaries) == 21)
    record = catalog.file(root.id, "sub/renamed.txt")
    assert record is not None and record.status is FileStatus.INDEXED
    assert catalog.file(root.id, "n2.txt") is None
    assert index.count() == catalog.counts()["items"] == 19


def test_a_watcher_started_after_an_idle_one_stopped_still_indexes(
    tmp_path: Path, catalog: Catalog
) -> None:
    """Restarting the watcher (what the app does when folders change) must not inherit the
    old watcher's cancel: its first scan would end before it began."""
    folder = tmp_path / "notes"
    folder.mkdir()
    catalog.add_root(folder)
    runs = Runs()
    pipeline = Pipeline(catalog, RecordingIndex(), FakeExtract(), on_progress=runs.on_status)  # type: ignore[arg-type]
    first = Watcher(Scanner(catalog), pipeline, FAST, on_status=runs.on_status, on_run=runs.on_run)
    with first:
        runs.wait(runs.watching)
    (folder / "later.txt").write_text("written while nothing watched\n")
    with Watcher(Scanner(catalog), pipeline, FAST, on_status=runs.on_status, on_run=runs.on_run):
        runs.wait(lambda: sum(s.indexed for s in runs.summaries) == 1)
    assert catalog.counts()["files.indexed"] == 1


class RefusingObserver(Observer):  # type: ignore[misc,valid-type]
    """An observer on a system whose inotify watches are used up."""

    def schedule(self, *args: object, **kwargs: object) -> ObservedWatch:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_watch_limit_falls_back_to_timed_rescans(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    root = catalog.add_root(folder)
    runs = Runs()
    settings = WatchSettings(quiet=0.1, max_delay=0.5, rescan_every=0.5, save_every=600.0)
    factory: Callable[[], BaseObserver] = RefusingObserver
    watcher = _watcher(
        catalog, FakeExtract(), RecordingIndex(), runs, settings=settings, observer_factory=factory
    )
    with watcher:
        runs.wait(lambda: any(s.state is RunState.POLLING for s in runs.statuses))
        (folder / "late.txt").write_text("written while nobody watched\n")
        runs.wait(lambda: sum(s.indexed for s in runs.summaries) == 1, timeout=10)
        assert root.id in watcher.polled
    message = next(s.message for s in runs.statuses if s.state is RunState.POLLING)
    assert message is not None and "inotify watch limit reached" in message
    assert "rescanning" in message


def test_unplugged_root_goes_offline_without_losing_its_items(
    tmp_path: Path, catalog: Catalog
) -> None:
    folder = tmp_path / "drive" / "notes"
    folder.mkdir(parents=True)
    for number in range(3):
        (folder / f"n{number}.txt").write_text(f"note {number}\n")
    catalog.add_root(folder)
    index = RecordingIndex()
    runs = Runs()
    settings = WatchSettings(quiet=0.1, max_delay=0.5, rescan_every=0.5, save_every=600.0)
    with _watcher(catalog, FakeExtract(), index, runs, settings=settings) as watcher:
        runs.wait(runs.watching)
        shutil.move(folder, tmp_path / "elsewhere")  # the drive goes away
        runs.wait(lambda: any(s.offline for s in runs.summaries))
        assert not catalog.roots()[0].online
        assert index.count() == 3 and catalog.counts()["files"] == 3
        shutil.move(tmp_path / "elsewhere", folder)  # and comes back
        runs.wait(lambda: catalog.roots()[0].online, timeout=10)
        (folder / "new.txt").write_text("written after the drive came back\n")
        runs.wait(lambda: sum(s.indexed for s in runs.summaries) == 4, timeout=10)
        assert watcher.polled == {}
    assert index.count() == 4


def test_the_watcher_keeps_the_failures_list_current(tmp_path: Path, catalog: Catalog) -> None:
    """What the watcher's own runs meet is listed as it happens, and leaves once mended."""
    folder = tmp_path / "notes"
    folder.mkdir()
    catalog.add_root(folder)
    runs = Runs()

    def listed() -> dict[str, int | None]:
        return {failure.path.name: failure.file_id for failure in catalog.failures()}

    with _watcher(catalog, FakeExtract(), RecordingIndex(), runs):
        runs.wait(runs.watching)
        (folder / "torn.txt").write_bytes(b"BAD: cut short")  # FakeExtract cannot decode it
        (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
        runs.wait(lambda: set(listed()) == {"torn.txt", "dangling.txt"})
        failed = runs.published(ChangeKind.FAILED, "torn.txt")
        assert failed is not None and listed() == {"torn.txt": failed.file_id, "dangling.txt": None}
        assert failed.path == folder / "torn.txt"
        reasons = {failure.path.name: failure.reason for failure in catalog.failures()}
        assert reasons["torn.txt"] == "torn.txt: corrupt"
        assert "No such file" in reasons["dangling.txt"]

        (folder / "torn.txt").write_text("mended\n")
        runs.wait(lambda: runs.published(ChangeKind.ADDED, "torn.txt") is not None)
        added = runs.published(ChangeKind.ADDED, "torn.txt")
        assert added is not None and added.file_id == failed.file_id
        assert set(listed()) == {"dangling.txt"}
        (folder / "dangling.txt").unlink()
        runs.wait(lambda: listed() == {})


def test_the_watcher_publishes_each_change_with_a_newer_generation(
    tmp_path: Path, catalog: Catalog
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    # Not alone in its folder: an emptied root is taken for an unplugged drive (offline).
    (folder / "other.txt").write_text("another note\n")
    catalog.add_root(folder)
    runs = Runs()
    index = RecordingIndex()

    def seen(change: ChangeKind, name: str) -> Callable[[], bool]:
        return lambda: runs.published(change, name) is not None

    with _watcher(catalog, FakeExtract(), index, runs):
        runs.wait(runs.watching)
        (folder / "a.txt").write_text("a note\n")
        runs.wait(seen(ChangeKind.ADDED, "a.txt"))
        (folder / "a.txt").write_text("a note, edited\n")
        runs.wait(seen(ChangeKind.CHANGED, "a.txt"))
        (folder / "a.txt").rename(folder / "b.txt")
        runs.wait(seen(ChangeKind.MOVED, "b.txt"))
        (folder / "b.txt").unlink()
        runs.wait(seen(ChangeKind.REMOVED, "b.txt"))
    steps = [
        runs.published(ChangeKind.ADDED, "a.txt"),
        runs.published(ChangeKind.CHANGED, "a.txt"),
        runs.published(ChangeKind.MOVED, "b.txt"),
        runs.published(ChangeKind.REMOVED, "b.txt"),
    ]
    assert len({step.file_id for step in steps if step is not None}) == 1  # one file throughout
    moved = steps[2]
    assert moved is not None and moved.previous == folder / "a.txt"
    generation_of = {
        id(one): changes.generation for changes in runs.changes for one in changes.files
    }
    generations = [generation_of[id(step)] for step in steps]
    assert generations == sorted(set(generations)), generations
    assert index.count() == catalog.counts()["items"] == 1

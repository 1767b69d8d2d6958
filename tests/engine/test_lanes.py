"""The facade's two lanes on the real engine (dev pack, real photos): folder changes go to the
watcher's thread as commands without stopping it, and searches answer from committed state
while a folder change is under way."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.facade import Progress, RunState, Trove
from models.manifest import Manifest
from tests import media

COPIES = 200  # of one small photo (under the planner's 256 nearest per probe): a big folder


class Reports:
    def __init__(self) -> None:
        self.states: list[RunState] = []
        self._changed = threading.Condition()

    def __call__(self, progress: Progress) -> None:
        with self._changed:
            self.states.append(progress.state)
            self._changed.notify_all()

    def wait(self, test: Callable[[], bool], timeout: float = 120.0) -> None:
        with self._changed:
            assert self._changed.wait_for(test, timeout), f"last states: {self.states[-5:]}"


def hits_in(trove: Trove, query: str, folder: Path) -> list[Path]:
    return [
        hit.path for hit in trove.search(query, limit=1000).hits if hit.path.is_relative_to(folder)
    ]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("broccoli.png", "chelsea.png", "cow.png"):
        shutil.copy(media.demo_folder() / "Photos" / name, folder / name)
    return folder


@pytest.fixture
def broccolis(tmp_path: Path) -> Path:
    folder = tmp_path / "broccolis"
    folder.mkdir()
    source = tmp_path / "broccoli-source.png"
    shutil.copy(media.demo_folder() / "Photos" / "broccoli.png", source)
    for number in range(COPIES):
        os.link(source, folder / f"broccoli-{number:04}.png")
    return folder


@pytest.mark.slow
def test_a_folder_added_while_watching_is_indexed_by_the_same_watcher(
    tmp_path: Path, dev_pack: Manifest, photos: Path
) -> None:
    reports = Reports()
    with Trove(tmp_path / "data", dev_pack.root, on_progress=reports) as trove:
        trove.add_folder(photos)
        trove.start_watching()
        reports.wait(lambda: RunState.WATCHING in reports.states)
        watcher = trove._watcher
        assert watcher is not None
        later = tmp_path / "later"
        later.mkdir()
        shutil.copy(media.demo_folder() / "Photos" / "elephant.png", later / "elephant.png")

        root = trove.add_folder(later)

        assert root.path == str(later.resolve())
        deadline = time.monotonic() + 120
        while not hits_in(trove, "an elephant", later) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert hits_in(trove, "an elephant", later) == [later / "elephant.png"]
        assert trove._watcher is watcher and watcher.running  # never stopped by hand


@pytest.mark.slow
def test_a_search_answers_from_committed_state_while_a_large_folder_is_removed(
    tmp_path: Path, dev_pack: Manifest, photos: Path, broccolis: Path
) -> None:
    reports = Reports()
    with Trove(tmp_path / "data", dev_pack.root, on_progress=reports) as trove:
        trove.add_folder(photos)
        trove.add_folder(broccolis)
        trove.index()
        assert len(hits_in(trove, "broccoli", broccolis)) == COPIES
        trove.start_watching()
        reports.wait(lambda: RunState.WATCHING in reports.states)

        # The removal is held half-way, on the watcher's thread, until the searches are done.
        removing, release = threading.Event(), threading.Event()
        real_remove = trove.catalog.remove_root

        def held_remove(root_id: int) -> list[tuple[str, int]]:
            removing.set()
            assert release.wait(60)
            return real_remove(root_id)

        trove.catalog.remove_root = held_remove  # type: ignore[method-assign]
        removed: list[int] = []
        remover = threading.Thread(target=lambda: removed.append(trove.remove_folder(broccolis)))
        remover.start()
        assert removing.wait(30)

        started = time.monotonic()
        during = hits_in(trove, "broccoli", broccolis)
        elsewhere = hits_in(trove, "broccoli", photos)
        answered_in = time.monotonic() - started
        release.set()
        remover.join(60)

        assert answered_in < 5.0  # at once: not behind the lane (the removal was still held)
        assert len(during) == COPIES  # nothing of the removal was committed yet
        # The other folder's broccoli leads (USE-multilingual's tag space also lets a few
        # unrelated photos over the good-match line: EVALUATION.md, and issue 11's note).
        assert elsewhere[0] == photos / "broccoli.png"
        assert removed and removed[0] > 0
        assert hits_in(trove, "broccoli", broccolis) == []
        assert hits_in(trove, "broccoli", photos) == elsewhere
        assert trove.status().consistent

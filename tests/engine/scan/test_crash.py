"""kill -9 in the middle of indexing real media, then a second run: nothing committed is lost,
nothing is doubled, and the catalog and indexes end as a clean run leaves them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.catalog.catalog import Catalog
from engine.index.spaces import SpaceIndexes
from models.manifest import Manifest
from tests import media
from tests.conftest import dev_pack_path
from tests.engine.scan.conftest import tree_digest

REPO = Path(__file__).resolve().parents[3]


def _folder(tmp_path: Path) -> Path:
    """The demo's photos and notes and one recording: every kind of item, in little time."""
    demo = media.demo_folder()
    folder = tmp_path / "user" / "media"
    for part in ("Photos", "Notes"):
        shutil.copytree(demo / part, folder / part)
    (folder / "Recordings").mkdir()
    shutil.copyfile(demo / "Recordings/budget_meeting.wav", folder / "Recordings/meeting.wav")
    return folder


def _child(data: Path, root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.scan.index_child", str(data), str(root)]
        + [str(dev_pack_path())],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(data: Path, root: Path) -> dict[str, float]:
    child = _child(data, root)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    report: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return report


def _state(data: Path) -> tuple[dict[str, int], dict[str, int], set[tuple[str, str, int]]]:
    """Catalog counts, index counts per space, and every (file, item kind, item count)."""
    with Catalog(data / "catalog.sqlite3") as catalog:
        counts = catalog.counts()
        indexes = SpaceIndexes(data / "indexes")
        indexes.open(catalog)
        sizes = {space: indexes.count(space) for space in catalog.spaces()}
        indexes.close()
        per_file: dict[tuple[str, str], int] = {}
        ids = [
            int(i) for space in catalog.spaces() for b, _ in catalog.iter_vectors(space) for i in b
        ]
        for row in catalog.items(sorted(set(ids))):
            key = (row.file.relpath, row.kind.value)
            per_file[key] = per_file.get(key, 0) + 1
    return counts, sizes, {(path, kind, n) for (path, kind), n in per_file.items()}


def _indexed(data: Path) -> int:
    catalog_file = data / "catalog.sqlite3"
    if not catalog_file.exists():
        return 0
    with Catalog(catalog_file) as catalog:
        return catalog.counts()["files.indexed"]


@pytest.mark.slow
def test_kill_mid_run_then_resume_matches_a_clean_run(tmp_path: Path, dev_pack: Manifest) -> None:
    folder = _folder(tmp_path)
    before = tree_digest(folder)
    clean = tmp_path / "clean"
    report = _finish(clean, folder)
    total = int(report["indexed"])
    assert total == 27 and report["failed"] == 0

    crashed = tmp_path / "crashed"
    child = _child(crashed, folder)
    deadline = time.monotonic() + 120
    while _indexed(crashed) < 5:
        assert child.poll() is None, child.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done_at_kill = _indexed(crashed)
    assert 5 <= done_at_kill < total, "the kill came too late to prove anything"

    resumed = _finish(crashed, folder)
    # Only what was not committed before the kill is indexed again.
    assert resumed["indexed"] == total - done_at_kill

    clean_counts, clean_sizes, clean_items = _state(clean)
    counts, sizes, items = _state(crashed)
    assert counts == clean_counts
    assert sizes == clean_sizes == {k[8:]: v for k, v in counts.items() if k.startswith("vectors.")}
    assert items == clean_items
    assert tree_digest(folder) == before  # the user's folder was only read

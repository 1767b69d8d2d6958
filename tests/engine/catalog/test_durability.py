"""The catalog under stress: kill -9 mid-write, a full disk, a read-only folder, threads."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind
from tests.engine.catalog import workers

REPO = Path(__file__).resolve().parents[3]


def worker(*args: str, user: list[str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*(user or []), sys.executable, "-m", "tests.engine.catalog.workers", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        result: str = conn.execute("PRAGMA integrity_check").fetchone()[0]
        return result
    finally:
        conn.close()


def test_kill_9_during_replace_items_keeps_the_last_complete_state(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    last_round, last_generation, next_round = -1, 0, 0
    rng = random.Random(0)
    for _ in range(4):
        child = worker("churn", str(path), str(next_round))
        assert child.stdout is not None
        seen = 0
        for line in child.stdout:
            last_round, last_generation = map(int, line.split())
            seen += 1
            if seen == 3:
                break
        assert seen == 3, child.stderr.read() if child.stderr else ""
        # a round takes tens of ms, nearly all of it inside the transaction
        time.sleep(rng.uniform(0.0, 0.05))
        child.kill()
        child.wait(timeout=30)
        assert child.returncode == -9
        next_round = last_round + 2  # the round after a killed one may have committed unseen

    assert integrity(path) == "ok"
    with Catalog(path) as cat:
        (f,) = cat.files()
        assert cat.generation() >= last_generation  # never goes back
        counts = cat.counts()
        assert counts["items"] == counts["vectors"] == workers.ITEMS_PER_ROUND
        ((ids, vectors),) = list(cat.iter_vectors(workers.SPACE, batch=10**6))
        texts = {row.text for row in cat.items(ids.tolist())}
        assert len(texts) == 1  # all items of one round, never a mix or a part
        committed = int(str(texts.pop()).split()[1])
        assert committed >= last_round
        expected = np.stack([i.vectors[workers.SPACE] for i in workers.round_items(committed)])
        assert vectors.tobytes() == expected.tobytes()
        # The word index holds that round's words, for exactly these items.
        found = cat.match_words('{words extra} : "' + str(committed) + '"', [], 10**6).found
        assert sorted(m.item_id for m in found) == sorted(ids.tolist())
        older = cat.match_words('{words extra} : "' + str(committed - 1) + '"', [], 10).found
        assert older == []
        # and it is still writable
        cat.replace_items(f.id, [])
        assert cat.counts()["items"] == 0


def test_a_full_disk_refuses_the_write_and_keeps_the_catalog(tmp_path: Path) -> None:
    # RLIMIT_FSIZE stands in for a full disk: it binds root too, and needs no mount or image.
    path = tmp_path / "catalog.sqlite3"
    rng = np.random.default_rng(0)
    with Catalog(path) as cat:
        root = cat.add_root(tmp_path / "root")
        f = cat.upsert_file(root.id, "small.md", 1, 1, "small", FileKind.NOTE)
        items = [
            Item(kind=ItemKind.TAG, text="kept", vectors={"s": rng.random(8, np.float32)})
            for _ in range(3)
        ]
        cat.replace_items(f.id, items)
        kept = list(cat.iter_vectors("s"))
    child = worker("fill", str(path))
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    report = json.loads(out)
    assert report["error"] is not None, "the write under the size limit did not fail"
    assert report["error"].startswith(f"cannot write the catalog {path}: the disk is full")
    assert report["after"] == report["before"]  # readable in the same process, unchanged
    assert "status=<FileStatus.PENDING" in report["status"]

    assert integrity(path) == "ok"
    with Catalog(path) as cat:
        assert cat.counts() == report["before"]["counts"]
        assert cat.generation() == report["before"]["generation"]
        ((ids, vectors),) = cat.iter_vectors("s")
        assert ids.tolist() == kept[0][0].tolist() and vectors.tobytes() == kept[0][1].tobytes()
        big = cat.file(cat.roots()[0].id, "big.md")
        assert big is not None
        result = cat.replace_items(big.id, workers.round_items(0))  # room again: it works
        assert len(result.added[workers.SPACE][0]) == workers.ITEMS_PER_ROUND


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="trove-ro-"))
    folder.chmod(0o755)
    yield folder
    for p in (folder, *folder.iterdir()):
        p.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.parametrize("locked", ["file", "file-and-folder"])
def test_a_read_only_catalog_is_readable_and_refuses_writes(shared_dir: Path, locked: str) -> None:
    # Root ignores file modes, so as root the child runs as nobody (setpriv, util-linux).
    user: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file read-only")
        user = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    path = shared_dir / "catalog.sqlite3"
    with Catalog(path) as cat:
        root = cat.add_root(shared_dir / "root")
        f = cat.upsert_file(root.id, "a.md", 1, 1, "h", FileKind.NOTE)
        cat.replace_items(
            f.id, [Item(kind=ItemKind.TAG, text="t", vectors={"s": np.ones(4, np.float32)})]
        )
        before = {"counts": cat.counts(), "generation": cat.generation()}
    path.chmod(0o444)
    if locked == "file-and-folder":
        shared_dir.chmod(0o555)
    child = worker("read-only", str(path), user=user)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    report = json.loads(out)
    assert {k: report[k] for k in before} == before
    assert report["roots"] == 1
    assert "read-only" in report["error"] and report["error"].startswith("cannot write the catalog")
    assert integrity(path) == "ok"


def test_readers_never_see_half_a_write(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "catalog.sqlite3")
    root = cat.add_root(tmp_path / "root")
    n, rounds = 200, 30
    errors: list[BaseException] = []
    done = threading.Event()
    phases: set[str] = set()

    def write(name: str, kinds: tuple[ItemKind, ItemKind]) -> None:
        try:
            f = cat.upsert_file(root.id, name, 1, 1, name, FileKind.VIDEO)
            rng = np.random.default_rng(len(name))
            for r in range(rounds):
                vectors = rng.standard_normal((n, 16)).astype(np.float32)
                items = [Item(kind=kinds[r % 2], vectors={name: v}) for v in vectors]
                cat.replace_items(f.id, items)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    def read() -> None:
        try:
            generation = 0
            written: set[str] = set()  # once a file has items, it never has none again
            while not done.is_set():
                counts = cat.counts()
                for a, b, space in (("photo", "frame", "one"), ("transcript", "tag", "two")):
                    pair = (counts[f"items.{a}"], counts[f"items.{b}"])
                    allowed = {(n, 0), (0, n)} if space in written else {(0, 0), (n, 0), (0, n)}
                    assert pair in allowed, (space, pair)
                    if pair != (0, 0):
                        written.add(space)
                    assert counts.get(f"vectors.{space}", 0) == sum(pair)
                    phases.add(a if pair[0] else b if pair[1] else "empty")
                now = cat.generation()
                assert now >= generation
                generation = now
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    writers = [
        threading.Thread(target=write, args=("one", (ItemKind.PHOTO, ItemKind.FRAME))),
        threading.Thread(target=write, args=("two", (ItemKind.TRANSCRIPT, ItemKind.TAG))),
    ]
    reader = threading.Thread(target=read)
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=120)
    done.set()
    reader.join(timeout=30)
    assert errors == []
    assert {"photo", "frame", "transcript", "tag"} <= phases  # the reader ran during the writes
    assert cat.generation() == 2 * rounds
    cat.close()


def test_processes_that_make_the_catalog_at_once_all_open_it(tmp_path: Path) -> None:
    """A catalog is made whole and linked into place: a process starting beside another never
    finds it empty (which would be damage) while the other is still making it."""
    target = tmp_path / "catalog.sqlite3"
    start = time.time() + 1.5
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from engine.catalog.catalog import Catalog\n"
        f"time.sleep(max(0.0, {start!r} - time.time()))\n"
        f"with Catalog(Path({str(target)!r})) as catalog:\n"
        "    print(catalog.generation())\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(6)
    ]
    results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0] * 6, [err for _, err in results]
    assert sorted(path.name for path in tmp_path.iterdir() if "new-" in path.name) == []
    with Catalog(target) as catalog:
        assert catalog.generation() == 0

"""Nothing leaves the machine and nothing is lost silently (issue 9), proved on the processes a
person runs: the ``trove`` command and the desktop window, each in a child with a fresh $HOME.

- No network: ``trove index --watch`` and the window stay up for a minute under strace (ONNX
  Runtime's telemetry started a few seconds into a long-lived process, so a short run proves
  nothing); any AF_INET/AF_INET6 socket, or a lookup through nscd, fails the test.
- No writes in $HOME outside Trove's own data, cache and settings folders.
- Files private to their user: checked as an ordinary user, and read back as another one.
- A damaged catalog: exit code 3 and a clear message, set aside with the vector indexes kept,
  ``trove doctor`` failing on what only the full check sees, ``trove repair`` bringing it back.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.catalog.catalog import Catalog
from engine.cli import ENGINE_ERROR
from models.manifest import Manifest
from tests import media
from tests.badfiles import NOBODY, open_folder
from tests.engine.test_withstand import REPO, as_user, copy_media, ok, trove
from tests.privacy import (
    network_attempts,
    signal_traced,
    traced,
    written_outside_troves_folders,
)

WATCH_SECONDS = 60
# A second ordinary account, for reading back what the first one wrote.
OTHER_USER = 1  # "daemon" on Debian; any uid other than NOBODY and root does


def fresh_home(tmp_path: Path, name: str) -> tuple[Path, dict[str, str]]:
    """A new, empty $HOME and an environment that points every XDG folder into it."""
    home = tmp_path / name
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env = {key: value for key, value in env.items() if key not in ("TROVE_DATA", "TROVE_CACHE")}
    return home, {**env, "HOME": str(home)}


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=as_in_a_terminal,
    )


def as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a test run started in the background (``cmd &`` in a
    script) hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(tracer: subprocess.Popen[bytes], sig: signal.Signals) -> str:
    """Stop the traced program with ``sig``, wait for it and strace; its stderr."""
    signal_traced(tracer.pid, sig)
    try:
        _, err = tracer.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        # the program too: killing strace alone leaves it holding the pipe, and this waits on
        signal_traced(tracer.pid, signal.SIGKILL)
        tracer.kill()
        _, err = tracer.communicate()
        pytest.fail(
            f"it did not stop within a minute of {sig.name}: {err.decode(errors='replace')}"
        )
    return err.decode(errors="replace")


def catalog_files(data: Path) -> int:
    with Catalog(data / "catalog.sqlite3") as catalog:
        return catalog.counts()["files.indexed"]


# --- 1. no network, no writes outside Trove's folders, for a minute of watching ---------------


@pytest.mark.timeout(WATCH_SECONDS + 240)
def test_a_minute_of_watching_makes_no_network_call_and_writes_only_troves_folders(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    cli_home, cli_env = fresh_home(tmp_path, "cli-home")
    window_home, window_env = fresh_home(tmp_path, "window-home")
    cli_folder, window_folder = tmp_path / "cli-photos", tmp_path / "window-photos"
    for folder in (cli_folder, window_folder):
        folder.mkdir()
        copy_media(folder, ["Photos/chelsea.png"])
    pack = ["--pack", str(dev_pack.root)]
    added = subprocess.run(
        [sys.executable, "-m", "engine.cli", *pack, "add", str(cli_folder)],
        cwd=REPO,
        env=cli_env,
        capture_output=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    cli = start(
        traced(
            [sys.executable, "-m", "engine.cli", *pack, "index", "--watch"],
            tmp_path / "cli.trace",
        ),
        cli_env,
    )
    window = start(
        traced(
            [sys.executable, "-m", "desktop.app", *pack, "--folder", str(window_folder)],
            tmp_path / "window.trace",
        ),
        {**window_env, "QT_QPA_PLATFORM": "offscreen"},
    )
    started = time.monotonic()
    time.sleep(15)  # both are up and have indexed their first photo: now a new one arrives
    for folder in (cli_folder, window_folder):
        shutil.copyfile(media.demo_folder() / "Photos" / "dog.png", folder / "dog.png")
    time.sleep(max(0.0, WATCH_SECONDS - (time.monotonic() - started)))
    cli_err = stop(cli, signal.SIGINT)  # Ctrl-C, as a person stops it
    window_err = stop(window, signal.SIGTERM)

    assert network_attempts(tmp_path / "cli.trace") == [], cli_err
    assert network_attempts(tmp_path / "window.trace") == [], window_err
    # Both did their work meanwhile: the photo dropped in mid-run was indexed.
    assert catalog_files(cli_home / ".local/share/trove") == 2, cli_err
    assert catalog_files(window_home / ".local/share/trove") == 2, window_err
    assert written_outside_troves_folders(cli_home) == []
    assert written_outside_troves_folders(window_home) == []
    assert not (cli_home / ".cache/Microsoft").exists()  # ONNX Runtime's device id and queue


# --- 2. private files ---------------------------------------------------------------------------


def test_everything_trove_writes_is_private_to_its_user(tmp_path: Path, dev_pack: Manifest) -> None:
    user = as_user()
    with open_folder() as place:
        folder, data = place / "photos", place / "data"
        folder.mkdir(mode=0o755)
        copy_media(folder, ["Photos/chelsea.png", "Notes/zoo-trip.md"])
        for path in folder.iterdir():
            path.chmod(0o644)
        # A data folder made by hand (0755, as people make them), holding a file an older Trove
        # left readable by everyone.
        data.mkdir()
        data.chmod(0o755)
        (data / "unreadable.json").write_text("[]")
        (data / "unreadable.json").chmod(0o644)
        if user:
            for path in (data, data / "unreadable.json"):
                os.chown(path, NOBODY, NOBODY)
        pack = place / "pack"
        shutil.copytree(dev_pack.root, pack, copy_function=os.link)
        for path in (pack, *pack.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        options = ["--data-dir", str(data), "--pack", str(pack)]
        added = trove(options, "add", str(folder), user=user)
        assert added.returncode == 0, added.stderr
        assert f"made {data} private to you" in added.stderr
        indexed = ok(trove(options, "index", user=user))
        assert indexed.startswith("2 indexed, 0 failed"), indexed

        written = [data, *data.rglob("*")]
        names = {path.name for path in written}
        assert "catalog.sqlite3" in names and "indexes" in names and "backups" in names
        assert "unreadable.json" not in names  # obsolete: failures live in the catalog
        assert any(name.endswith(".idx") for name in names)
        loose = [
            f"{path} {stat.filemode(path.stat().st_mode)}"
            for path in written
            if path.stat().st_mode & 0o077
        ]
        assert loose == []
        if user:
            # Another ordinary account can neither list the folder nor read the catalog.
            other = [
                shutil.which("setpriv") or "setpriv",
                f"--reuid={OTHER_USER}",
                f"--regid={OTHER_USER}",
                "--clear-groups",
            ]
            reader = subprocess.run(
                [*other, sys.executable, "-c", _READ_CATALOG, str(data / "catalog.sqlite3")],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert reader.returncode == 3, reader.stdout + reader.stderr


# Exit 3 when the catalog cannot be opened or read at all, 0 when its rows can be listed.
_READ_CATALOG = """
import sqlite3, sys
try:
    open(sys.argv[1], "rb").read(16)
    rows = sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM files").fetchall()
except (OSError, sqlite3.Error) as error:
    print(error)
    sys.exit(3)
print(rows)
"""


# --- 3. damaged catalogs --------------------------------------------------------------------------


@pytest.fixture
def indexed(tmp_path: Path, dev_pack: Manifest) -> tuple[list[str], Path]:
    """A data folder with a few real files indexed (and so backed up)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    copy_media(folder, ["Photos/chelsea.png", "Photos/dog.png", "Notes/zoo-trip.md"])
    data = tmp_path / "data"
    options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
    ok(trove(options, "add", str(folder)))
    assert ok(trove(options, "index")).startswith("3 indexed, 0 failed")
    return options, data


def _index_files(data: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (data / "indexes").iterdir()}


def test_an_empty_catalog_is_refused_set_aside_and_repaired_from_the_backup(
    indexed: tuple[list[str], Path],
) -> None:
    options, data = indexed
    status_before = ok(trove(options, "status"))
    indexes = _index_files(data)
    (data / "catalog.sqlite3").write_bytes(b"")

    for command in ("status", "search"):  # every command refuses; none starts an empty index
        args = [command, "a cat"] if command == "search" else [command]
        refused = trove(options, *args)
        assert refused.returncode == ENGINE_ERROR, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "is damaged" in refused.stderr and "trove repair" in refused.stderr
    assert not (data / "catalog.sqlite3").exists()
    assert [p.name for p in data.glob("catalog.sqlite3.damaged-*")]
    assert _index_files(data) == indexes  # the vector indexes are kept

    repaired = ok(trove(options, "repair"))
    assert "started from the backup catalog-" in repaired
    assert "0 files will be indexed again" in repaired
    assert ok(trove(options, "status")) == status_before
    assert "chelsea.png" in ok(trove(options, "search", "a cat"))


def test_doctor_runs_the_full_check_and_repair_salvages_the_rest(
    indexed: tuple[list[str], Path],
) -> None:
    options, data = indexed
    shutil.rmtree(data / "backups")  # no backup to fall back on: the salvage alone
    ok(trove(options, "doctor"))
    conn = sqlite3.connect(data / "catalog.sqlite3")
    conn.execute("PRAGMA writable_schema = ON")  # an index out of step with its table
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX files_by_hash ON files (size)' "
        "WHERE name = 'files_by_hash'"
    )
    conn.commit()
    conn.close()

    doctor = trove(options, "doctor")
    assert doctor.returncode == ENGINE_ERROR, doctor.stdout
    assert "catalog: damaged" in doctor.stdout and "trove repair" in doctor.stdout
    repaired = ok(trove(options, "repair"))
    assert "no usable backup" in repaired and "files: 3 rows" in repaired
    assert "catalog: passes SQLite's integrity check" in ok(trove(options, "doctor"))
    assert "chelsea.png" in ok(trove(options, "search", "a cat"))

"""engine.privacy on its own: telemetry switches, Trove's umask and the person's, and making an
old data folder private. (The whole app under strace: tests/engine/test_withstand_privacy.py.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from engine.catalog.catalog import Catalog
from engine.facade import Trove
from engine.privacy import make_private, persons_umask, restrict_new_files
from models.manifest import Manifest


def test_the_telemetry_switch_is_set_before_onnxruntime_loads() -> None:
    # A fresh interpreter that imports the engine first, with the switch set to "on" outside.
    probe = (
        "import os, sys; import engine; "
        "print(os.environ['ORT_DISABLE_TELEMETRY'], 'onnxruntime' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "ORT_DISABLE_TELEMETRY": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["1", "False"]


def test_trove_files_are_private_and_programs_it_starts_get_the_persons_umask(
    tmp_path: Path,
) -> None:
    os.umask(0o022)  # the person's (the suite's session_umask fixture restores its own)
    restrict_new_files()
    (tmp_path / "catalog").write_bytes(b"")
    (tmp_path / "indexes").mkdir()
    with persons_umask():
        (tmp_path / "saved by an app").write_bytes(b"")
        child = subprocess.run(["sh", "-c", "umask"], capture_output=True, text=True, check=True)
    (tmp_path / "thumbnail").write_bytes(b"")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
    assert modes == {
        "catalog": 0o600,
        "indexes": 0o700,
        "saved by an app": 0o644,
        "thumbnail": 0o600,
    }
    assert child.stdout.strip() == "0022"


def test_an_old_folder_of_troves_is_made_private_and_what_changed_is_listed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    (data / "indexes").mkdir(parents=True)
    for path in (data, data / "indexes"):
        path.chmod(0o755)
    (data / "catalog.sqlite3").write_bytes(b"")
    (data / "catalog.sqlite3").chmod(0o644)
    (data / "indexes" / "private.idx").write_bytes(b"")
    (data / "indexes" / "private.idx").chmod(0o600)
    (data / "link").symlink_to("/etc/hostname")  # not followed, not changed
    changed = make_private(data)
    assert sorted(changed) == sorted([data, data / "indexes", data / "catalog.sqlite3"])
    assert all(not path.stat().st_mode & 0o077 for path in (data, *changed))
    assert make_private(data) == []


def test_a_folder_the_person_chose_is_tightened_alone_not_what_it_holds(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    chosen = tmp_path / "my folder"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    theirs = chosen / "tax return.pdf"
    theirs.write_bytes(b"%PDF")
    theirs.chmod(0o644)
    Catalog(chosen / "catalog.sqlite3").close()  # left by an older Trove, readable by all
    (chosen / "catalog.sqlite3").chmod(0o644)
    with Trove(chosen, dev_pack.root) as trove:
        assert chosen in trove.made_private and chosen / "catalog.sqlite3" in trove.made_private
        assert theirs not in trove.made_private
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o700
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o644  # the person's file: untouched

"""packaging/smoke.py against the dev tree's own executables (``python -m engine.cli`` and
``python -m desktop.app`` behind two small launchers) on the demo files the installers ship,
with the dev pack: every kind of search passes, and a demo that lacks what a check looks for
fails that check, by name, with what was found. The release workflow and tests/packaging/
test_deb.py run the same script against an installed app."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import dev_pack_path
from tests.media import demo_folder

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _packaging_module(name: str) -> ModuleType:
    sys.path.insert(0, str(PACKAGING))
    try:  # packaging/ is not a package: its name would shadow PyPI's `packaging`
        return __import__(name)
    finally:
        sys.path.remove(str(PACKAGING))


smoke = _packaging_module("smoke")
DEMO_FILES: tuple[str, ...] = _packaging_module("build").DEMO_FILES


def launcher(folder: Path, name: str, module: str) -> Path:
    """An executable that runs ``module`` of this checkout with the test's Python."""
    path = folder / name
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture()
def installed(tmp_path: Path) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """The two executables, and an environment with the dev pack, the shipped demo files (a
    copy) and a private settings folder (the window writes its settings there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    demo = tmp_path / "demo"
    source = demo_folder()
    for name in DEMO_FILES:
        (demo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, demo / name)
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TROVE_PACK=str(dev_pack_path()),
        TROVE_DEMO=str(demo),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    cli = launcher(bin_dir, "trove", "engine.cli")
    desktop = launcher(bin_dir, "trove-desktop", "desktop.app")
    yield cli, desktop, env


def run_smoke(cli: Path, desktop: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(PACKAGING / "smoke.py"), str(cli), str(desktop)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_every_kind_is_found_in_the_shipped_demo(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    result = run_smoke(*installed)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("ok")] == [
        "ok      photo by text",
        "ok      sound by example",
        "ok      spoken phrase with its time",
        "ok      note by a word",
        "ok      doctor clean",
        "ok      shared library",
    ]
    assert "(the example itself left out)" in result.stdout
    assert "-> budget_meeting.wav @ 0.00-" in result.stdout
    assert "in a Milvus Lite library -> [" in result.stdout
    assert lines[-1] == "smoke test passed: 6 checks"


@pytest.mark.slow
def test_a_demo_without_a_note_or_a_second_sound_fails_those_checks_by_name(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    cli, desktop, env = installed
    demo = Path(env["TROVE_DEMO"])
    (demo / "Notes" / "recipes.txt").unlink()
    (demo / "Sounds" / "elephant.ogg").unlink()
    result = run_smoke(cli, desktop, env)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert [line.split(":")[0] for line in failed] == [
        "FAILED  sound by example",
        "FAILED  note by a word",
    ]
    assert "the other sound effect, elephant.ogg, should come before" in failed[0]
    assert "expected the note recipes.txt first" in failed[1]
    assert "ok      spoken phrase with its time" in result.stdout
    assert result.stdout.splitlines()[-1] == ("smoke test failed: sound by example, note by a word")


def fake_cli(folder: Path, doctor_says: str, exit_code: int = 0) -> Path:
    """A stand-in ``trove`` whose ``doctor`` prints ``doctor_says``."""
    path = folder / "trove"
    path.write_text(
        f"#!{sys.executable}\nimport sys\nprint({doctor_says!r})\nsys.exit({exit_code})\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


CLEAN = (
    "pack trove-release 2026.11 at /opt/trove/packs/trove-release: every hash ok\n"
    "good-match lines: fitted for 12 routes of this pack\n"
    "catalog: passes SQLite's integrity check\n"
    "index: 5 spaces, consistent with the catalog"
)


@pytest.mark.parametrize(
    ("says", "exit_code", "error"),
    [
        (CLEAN, 3, "trove doctor exited 3"),
        (
            CLEAN.replace(
                "fitted for 12 routes of this pack",
                "none fitted for this pack; searches use cautious defaults",
            ),
            0,
            "trove doctor flagged: good-match lines: none fitted",
        ),
        (
            CLEAN.replace("5 spaces, consistent with the catalog", "out of step with the catalog"),
            0,
            "trove doctor flagged: index: out of step",
        ),
    ],
    ids=["exit status", "no fitted lines", "index out of step"],
)
def test_doctor_is_clean_only_with_exit_0_and_nothing_flagged(
    tmp_path: Path, says: str, exit_code: int, error: str
) -> None:
    app = smoke.Installed(str(fake_cli(tmp_path, says, exit_code)), "", str(tmp_path), {})
    with pytest.raises(smoke.SmokeError, match=error):
        smoke.doctor_is_clean(app)
    clean = smoke.Installed(str(fake_cli(tmp_path, CLEAN)), "", str(tmp_path), {})
    assert smoke.doctor_is_clean(clean) == "trove doctor: exit 0, nothing flagged"

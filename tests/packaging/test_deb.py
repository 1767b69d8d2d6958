"""The Linux package end to end: build, install, first start offline, search, upgrade, remove.

Builds the PyInstaller bundle and the .deb (cached in $TROVE_CACHE/packaging by a hash of their
inputs), installs it with dpkg on this machine, and drives the installed commands as a new user
with no network but loopback (``unshare -n``, ``lo`` up: an offline laptop) on a private X
server. Needs root, as CI runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.settings import PREFERENCES_GROUP
from models.sources import cache_root
from tests.packaging.installed import (
    User,
    build,
    catalog_state,
    missing_tools,
    package_files,
    screenshot,
    stop,
    wait_for,
    window_geometry,
    xvfb,
)
from tests.privacy import network_attempts, signal_traced, written_outside_troves_folders

PACKAGE = "trove"
DEMO_FILES = 19  # packaging/build.py DEMO_FILES
MAX_DEB_BYTES = 450 * 10**6  # issue 11: the compact pack with Whisper base and USE-m3 (and OCR)
BUILD_ONLY = ("torch", "transformers", "optimum", "pytest", "_pytest", "ruff", "mypy", "hypothesis")

# How long the installed window is watched for network calls: telemetry of a library would
# start a few seconds into a long-lived process.
TRACED_SECONDS = 60
SMOKE = Path(__file__).resolve().parents[2] / "packaging" / "smoke.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def _version() -> str:
    for line in (Path(__file__).parents[2] / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise AssertionError("no version in pyproject.toml")


@pytest.fixture(scope="module")
def debs() -> tuple[Path, Path]:
    """The package at the project's version and a rebuilt one with a higher version."""
    if os.geteuid() != 0:
        pytest.skip("installs a .deb with dpkg: run as root (CI does)")
    if missing := missing_tools("dpkg-deb", "Xvfb", "xwininfo", "unshare", "ip"):
        pytest.fail(f"missing tools {missing}: ./dev setup installs them")
    version = _version()
    return build("deb", "--version", version), build("deb", "--version", f"{version}+upgrade1")


@pytest.fixture
def clean_install() -> Iterator[None]:
    """No Trove package before the test, and none after it, whatever happens in between."""
    subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True)
    yield
    subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True)


def _install(deb: Path) -> None:
    result = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _report(label: str, value: object) -> None:
    # One line per figure in the test's output (pytest -s, or the CI log on failure).
    print(f"[packaging] {label}: {value}")


def _search(user: User, query: str) -> list[str]:
    result = user.run(["trove", "search", query, "--json", "--limit", "5"], timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return [Path(hit["path"]).name for hit in json.loads(result.stdout)["hits"]]


def test_deb_holds_the_app_and_no_build_tools(debs: tuple[Path, Path]) -> None:
    deb, _ = debs
    assert deb.stat().st_size < MAX_DEB_BYTES
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    for path in (
        "./opt/trove/trove",
        "./opt/trove/trove-desktop",
        "./opt/trove/packs/dev/manifest.json",
        "./opt/trove/demo/Photos/chelsea.png",
        "./opt/trove/licences/demo-media.txt",
        "./usr/share/applications/trove.desktop",
        "./usr/share/icons/hicolor/48x48/apps/trove.png",
        "./usr/share/icons/hicolor/scalable/apps/trove.svg",
    ):
        assert f" {path}" in listing, path
    for module in BUILD_ONLY:
        assert f"/_internal/{module}/" not in listing, module
    assert "QtWebEngine" not in listing
    control = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    assert "libxcb-cursor0" in control and "libegl1" in control


def test_install_start_search_upgrade_remove(
    debs: tuple[Path, Path], clean_install: None, tmp_path: Path
) -> None:
    started = time.monotonic()
    deb, newer = debs
    _install(deb)
    assert Path("/usr/bin/trove").resolve() == Path("/opt/trove/trove")
    before_removal = package_files(PACKAGE)
    user = User(tmp_path / "home")
    user.home.mkdir()

    with xvfb() as display:
        user = User(user.home, display)
        # A first start with nothing watched: the window appears, then indexes the bundled demo.
        ready_at = time.monotonic()
        ready = user.run(["trove-desktop", "--exit-when-ready"], timeout=120)
        assert ready.returncode == 0 and "ready" in ready.stdout, ready.stdout + ready.stderr
        _report(
            "launch to interactive window (first start)", f"{time.monotonic() - ready_at:.2f} s"
        )
        # Traced for at least a minute: the installed app reaches for no network and writes
        # nothing in the person's home outside Trove's folders.
        trace = tmp_path / "window.trace"
        app = user.start(["trove-desktop"], trace=trace)
        try:
            wait_for(lambda: window_geometry(display) is not None, timeout=60)
            catalog = user.data / "catalog.sqlite3"

            def demo_indexed() -> bool:
                return catalog.exists() and catalog_state(user.data).indexed >= DEMO_FILES

            wait_for(demo_indexed, timeout=600, step=0.5)
            time.sleep(max(0.0, TRACED_SECONDS - (time.monotonic() - ready_at)))
        finally:
            signal_traced(app.pid, signal.SIGTERM)
            output = stop(app)
        assert "Traceback" not in output, output
        assert network_attempts(trace) == []
        written = written_outside_troves_folders(user.home)
        # XDG_RUNTIME_DIR lies in this test's home only to keep the test in one folder.
        assert [path for path in written if path.split("/")[0] != "runtime"] == []

        # A second start, the welcome answered ("just the demo"), shows a search on the index
        # the first one built: the screenshot.
        settings = user.home / ".config" / "Trove" / "Trove.conf"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(f"[{PREFERENCES_GROUP}]\nwelcomed=true\n")
        app = user.start(["trove-desktop", "--query", "a cat"])
        try:
            wait_for(lambda: window_geometry(display) is not None, timeout=60)
            time.sleep(4)  # thumbnails load lazily; nothing to wait on from outside
            shot = screenshot(display, cache_root() / "packaging" / "installed-linux.png")
        finally:
            stop(app)
        _report("screenshot", shot)

    hits = _search(user, "a cat")
    assert "chelsea.png" in hits[:3], hits
    # The release workflow's smoke test on the installed executables: every kind is found.
    smoke = [sys.executable, str(SMOKE), "/usr/bin/trove", "/usr/bin/trove-desktop"]
    checked = user.run(smoke, timeout=900)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    state = catalog_state(user.data)
    assert state.files == DEMO_FILES

    # Upgrade: the index in the user's data folder stays, and nothing is indexed again.
    _install(newer)
    assert catalog_state(user.data) == state
    index = user.run(["trove", "index"], timeout=600)
    assert index.returncode == 0, index.stdout + index.stderr
    after = catalog_state(user.data)
    assert (after.files, after.indexed, after.generation) == (
        state.files,
        state.indexed,
        state.generation,
    ), (state, after)
    assert "chelsea.png" in _search(user, "a cat")[:3]

    # Removal: every file the package put on disk is gone, and /opt/trove with it.
    remove = subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True, text=True)
    assert remove.returncode == 0, remove.stdout + remove.stderr
    left = [path for path in before_removal if path.is_file() or path.is_symlink()]
    assert left == [], left[:10]
    assert not Path("/opt/trove").exists()
    assert shutil.which("trove-desktop") is None or "/opt/trove" not in str(
        Path(shutil.which("trove-desktop") or "").resolve()
    )
    assert catalog_state(user.data) == after  # the person's index is theirs: left in place
    _report("install to removal", f"{time.monotonic() - started:.0f} s")

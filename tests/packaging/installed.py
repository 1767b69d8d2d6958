"""Driving an installed Trove from outside: a private X display, a user with no network.

Shared by the end-to-end test of the .deb and by the packaging benchmark.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.privacy import traced

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "packaging" / "build.py"
GRAB = Path(__file__).with_name("grab.py")


def build(what: str, *args: str, timeout: float = 1800) -> Path:
    """Run packaging/build.py with the run-time env and return the one path it built."""
    import json

    result = subprocess.run(
        [sys.executable, str(BUILD), what, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise AssertionError(f"build.py {what} failed:\n{result.stderr[-4000:]}")
    return Path(next(iter(json.loads(result.stdout.strip().splitlines()[-1]).values())))


@dataclass(frozen=True)
class User:
    """A fresh person: their own HOME and XDG folders, and for every command a network namespace
    of its own with nothing but loopback, as an offline laptop has (Milvus Lite serves its file
    on 127.0.0.1)."""

    home: Path
    display: str = ""

    @property
    def data(self) -> Path:
        return self.home / ".local" / "share" / "trove"

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TROVE_", "XDG_", "QT_"))
        }
        env.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_RUNTIME_DIR=str(self.home / "runtime"),
            QT_QPA_PLATFORM="xcb",
        )
        if self.display:
            env["DISPLAY"] = self.display
        (self.home / "runtime").mkdir(mode=0o700, parents=True, exist_ok=True)
        return env

    def command(self, argv: Sequence[str]) -> list[str]:
        return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]

    def run(self, argv: Sequence[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(argv),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
        )

    def start(self, argv: Sequence[str], trace: Path | None = None) -> subprocess.Popen[str]:
        """``argv`` running in the background; under strace into ``trace`` when given."""
        return subprocess.Popen(
            self.command(traced(argv, trace) if trace is not None else argv),
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.home,
        )


@contextmanager
def xvfb(size: str = "1280x800x24") -> Iterator[str]:
    """A private X server; yields its DISPLAY."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as stream:
            number = stream.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def window_geometry(display: str, title: str = "Trove") -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the top-level window with this title, if it is mapped."""
    result = subprocess.run(
        ["xwininfo", "-display", display, "-name", title],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or "IsViewable" not in result.stdout:
        return None
    values: dict[str, int] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.strip().partition(":")
        if key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"):
            values[key] = int(value)
    return (
        values["Absolute upper-left X"],
        values["Absolute upper-left Y"],
        values["Width"],
        values["Height"],
    )


def wait_for(predicate: object, timeout: float, step: float = 0.05) -> float:
    """Seconds until ``predicate()`` is true; raises TimeoutError past ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(step)
    raise TimeoutError(f"not true after {timeout} s")


def screenshot(display: str, target: Path, title: str = "Trove", width: int = 1000) -> Path:
    """Grab the window's area of the screen with Qt (the run-time env's PySide6), as a small PNG."""
    geometry = window_geometry(display, title)
    if geometry is None:
        raise AssertionError(f"no window titled {title!r} on {display}")
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    subprocess.run(
        [sys.executable, str(GRAB), str(target), str(width), *map(str, geometry)],
        env=env,
        check=True,
        timeout=60,
    )
    return target


def stop(process: subprocess.Popen[str], timeout: float = 30) -> str:
    """End an app started by ``User.start`` and return what it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


@dataclass(frozen=True)
class CatalogState:
    files: int
    indexed: int
    generation: int


def catalog_state(data: Path) -> CatalogState:
    """Counts straight from the catalog (read-only), so reading never changes what it measures."""
    uri = f"file:{data / 'catalog.sqlite3'}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as conn:
        files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM files WHERE status = 'indexed'").fetchone()[0]
        generation = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
    return CatalogState(int(files), int(indexed), int(generation))


def package_files(package: str) -> list[Path]:
    """What dpkg says a package installed (files and folders)."""
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True)
    return [Path(line) for line in listing.stdout.splitlines() if line.startswith("/")]


def installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return result.returncode == 0 and "ok installed" in result.stdout


def missing_tools(*tools: str) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]

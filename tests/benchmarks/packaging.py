"""Installer sizes, installed size, and launch-to-window time of the installed Linux app.

    .venv/bin/python -m tests.benchmarks.packaging    (as root: installs the .deb, then purges it)

Builds (or takes from the cache) the bundle, the .deb with and without the dev pack, and the
Windows installer without the pack; installs the .deb and starts the installed window on a private
X server as a new user with no network, `--exit-when-ready` timing the start to a window that
takes input. Rewrites the "Installers" section of BENCHMARKS.md.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from models.manifest import load_manifest
from tests.benchmarks import machine, today, write_section
from tests.packaging.installed import User, build, xvfb

LAUNCHES = 5
MB = 10**6


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    # PyInstaller links the wheels' .libs folders into place: count each file once, not its links.
    files = (item for item in path.rglob("*") if item.is_file() and not item.is_symlink())
    return sum(item.lstat().st_size for item in files)


def _field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def _launches(user: User, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        result = user.run(["trove-desktop", "--exit-when-ready"], timeout=120)
        if "ready" not in result.stdout:
            raise RuntimeError(result.stdout + result.stderr)
        seconds.append(time.perf_counter() - start)
    return seconds


def _timed(user: User, argv: list[str]) -> float:
    start = time.perf_counter()
    result = user.run(argv, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    return time.perf_counter() - start


def main() -> int:
    bundle_bytes = _size(build("bundle"))  # now: a later build may prune it
    deb = build("deb")
    deb_bare = build("deb", "--no-pack")
    nsis_bare = build("nsis", "--no-pack", "--nsis-compressor", "zlib")
    installed_kib = int(_field(deb, "Installed-Size"))

    subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
    try:
        pack = Path("/opt/trove/packs/dev")
        pack_bytes = sum(path.stat().st_size for path in pack.rglob("*") if path.is_file())
        demo_files = sum(path.is_file() for path in Path("/opt/trove/demo").rglob("*"))
        verify_start = time.perf_counter()
        load_manifest(pack)
        verify = time.perf_counter() - verify_start
        with tempfile.TemporaryDirectory() as home, xvfb() as display:
            user = User(Path(home), display)
            first = _launches(user, 1)[0]
            index = _timed(user, ["trove", "demo"])
            warm = _launches(user, LAUNCHES)
            doctor = _timed(user, ["trove", "doctor"])
    finally:
        subprocess.run(["dpkg", "--purge", "trove"], check=True, capture_output=True)

    rows = [
        ("PyInstaller bundle, no pack (on disk)", f"{bundle_bytes / MB:.0f} MB"),
        (
            ".deb with the dev pack (zstd -19)",
            f"{deb.stat().st_size / MB:.0f} MB (target < 450 MB)",
        ),
        (".deb without a pack (zstd -19)", f"{deb_bare.stat().st_size / MB:.0f} MB"),
        ("Windows installer without a pack (NSIS zlib)", f"{nsis_bare.stat().st_size / MB:.0f} MB"),
        ("installed size with the dev pack", f"{installed_kib / 1024:.0f} MiB"),
        ("launch to interactive window, first start", f"{first:.2f} s (target < 3 s)"),
        (
            f"launch to interactive window, median of {LAUNCHES}",
            f"{statistics.median(warm):.2f} s (max {max(warm):.2f} s)",
        ),
        (f"pack hash check ({pack_bytes / MB:.0f} MB, sha256, page cache warm)", f"{verify:.2f} s"),
        ("`trove doctor` (opens the engine, verifies the pack)", f"{doctor:.2f} s"),
        (f"`trove demo`: index the bundled demo ({demo_files} files) and search", f"{index:.1f} s"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    body = (
        f"Measured {today()} on {machine()} with "
        "`.venv/bin/python -m tests.benchmarks.packaging` (as root: installs the .deb, then "
        "purges it). Launch time is from exec to `--exit-when-ready` printing `ready` (window "
        "shown, event loop running), on Xvfb, as a new user with no network but loopback "
        "(`unshare -n`, `lo` up); the "
        "engine (pack hash check included) opens on its worker thread meanwhile.\n\n"
        "| what | measured |\n|---|---|\n" + table
    )
    write_section("Installers", body)
    sys.stdout.write(body + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

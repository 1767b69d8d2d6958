"""The Windows installer: compiled with makensis, installed and removed silently under wine.

The Linux bundle stands in for the Windows one (the installer only copies files, writes shortcuts
and registry entries), without the model pack to keep the test short. What runs on real Windows
(the app itself, DirectML) is the release workflow's smoke test, not this.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.packaging.installed import build, missing_tools

UNINSTALL_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Trove"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


class Wine:
    """A throwaway wine prefix and HOME (wine links the Windows desktop to $HOME)."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.home.mkdir()
        self.prefix = root / "prefix"
        self.env = {
            key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND")
        }
        self.env.update(
            HOME=str(self.home), WINEPREFIX=str(self.prefix), WINEDEBUG="-all", WINEDLLOVERRIDES=""
        )
        self.user_dir = self.prefix / "drive_c" / "users" / getpass.getuser()

    def run(self, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["wine", *argv], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        self.wait()
        return result

    def wait(self) -> None:
        # An NSIS uninstaller re-launches itself from a temp copy: wait for every process.
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=600)

    def close(self) -> None:
        subprocess.run(["wineserver", "-k"], env=self.env, capture_output=True)

    def registry(self, key: str) -> str | None:
        result = self.run("reg", "query", key, timeout=120)
        return result.stdout if result.returncode == 0 else None

    def windows_path(self, path: Path) -> str:
        return "C:\\" + str(path.relative_to(self.prefix / "drive_c")).replace("/", "\\")


@pytest.fixture(scope="module")
def installer() -> Path:
    if missing := missing_tools("makensis", "wine", "wineserver"):
        pytest.skip(f"{missing} not installed (Debian packages nsis and wine; ./dev setup)")
    return build("nsis", "--no-pack", "--nsis-compressor", "zlib")


def test_silent_install_and_uninstall_under_wine(installer: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    wine = Wine(tmp_path)
    try:
        installed = wine.run(str(installer), "/S", "/DESKTOP=1")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        folder = wine.user_dir / "AppData" / "Local" / "Programs" / "Trove"
        menu = wine.user_dir / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu"
        shortcuts = [
            menu / "Programs" / "Trove" / "Trove.lnk",
            menu / "Programs" / "Trove" / "Uninstall Trove.lnk",
            wine.user_dir / "Desktop" / "Trove.lnk",
        ]
        assert (folder / "uninstall.exe").is_file()
        assert (folder / "_internal").is_dir() and (folder / "demo" / "Photos").is_dir()
        for shortcut in shortcuts:
            assert shortcut.is_file(), shortcut
        entry = wine.registry(UNINSTALL_KEY)
        assert entry is not None
        assert "DisplayName" in entry and "uninstall.exe" in entry
        assert wine.windows_path(folder) in entry

        removed = wine.run(str(folder / "uninstall.exe"), "/S")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        assert not folder.exists()
        for shortcut in shortcuts:
            assert not shortcut.exists(), shortcut
        assert wine.registry(UNINSTALL_KEY) is None
    finally:
        wine.close()
    print(f"[packaging] wine install + uninstall: {time.monotonic() - started:.0f} s")

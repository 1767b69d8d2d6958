"""Watching a process of Trove's for what must never happen: a network call, or a write in the
person's home outside Trove's own folders. Shared by the engine's withstand tests and the
installed-package tests."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path

import pytest

# Where Trove may write in a person's home: its data, cache and settings folders.
TROVES_FOLDERS = (".local/share/trove", ".cache/trove", ".config/Trove")


def traced(command: Sequence[str], trace: Path) -> list[str]:
    """``command`` run under strace, recording every socket made and every connect tried."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: ./dev installs it (Debian package strace)")
    return [strace, "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace), *command]


def signal_traced(tracer_pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the program strace runs, not to strace (which would only detach)."""
    children = Path(f"/proc/{tracer_pid}/task/{tracer_pid}/children")
    try:
        pids = children.read_text().split()
    except OSError:
        return  # strace has ended, and its program with it
    for pid in pids:
        os.kill(int(pid), sig)


def network_attempts(trace: Path) -> list[str]:
    """Every line of the trace that opened an internet socket or asked nscd for a name."""
    lines = trace.read_text(errors="replace").splitlines()
    return [line for line in lines if "AF_INET" in line or "nscd" in line]


def written_outside_troves_folders(home: Path) -> list[str]:
    """Paths below ``home`` that are neither one of Trove's folders, inside one, nor a parent."""
    outside = []
    for path in home.rglob("*"):
        relative = path.relative_to(home).as_posix()
        if path.is_dir() and any(folder.startswith(f"{relative}/") for folder in TROVES_FOLDERS):
            continue  # a parent of one of Trove's folders (.local, .local/share...)
        if not any(relative == f or relative.startswith(f"{f}/") for f in TROVES_FOLDERS):
            outside.append(relative)
    return outside

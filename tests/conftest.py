"""Suite-wide guards and fixtures.

Every test runs with network sockets blocked: Trove is offline, and this proves it for the code
under test. Tests that need real models take the dev pack, hash-verified, from ``dev_pack``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.manifest import Manifest, load_manifest
from models.sources import cache_root

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class NetworkBlockedError(RuntimeError):
    """Raised instead of opening a connection: the code under test tried to reach a network."""


def _is_local(address: Any) -> bool:
    # Unix sockets and loopback carry no traffic off the machine (Qt and test servers use them).
    if isinstance(address, str | bytes):
        return True
    host = address[0] if isinstance(address, tuple) else address
    return host in ("localhost", "::1") or str(host).startswith("127.")


@pytest.fixture(autouse=True, scope="session")
def block_network() -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_local(address):
            raise NetworkBlockedError(f"network access blocked in tests: connect to {address!r}")
        real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local(address):
            raise NetworkBlockedError(f"network access blocked in tests: connect to {address!r}")
        return real_connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_local((host,)):
            raise NetworkBlockedError(f"network access blocked in tests: resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo


# The umask this test process started with (read by setting it, then putting it back).
_SESSION_UMASK = os.umask(0o022)
os.umask(_SESSION_UMASK)


@pytest.fixture(autouse=True)
def session_umask() -> Iterator[None]:
    """The app's entry points set umask 077 for their process. A test (or a module's fixture)
    that calls one in this process must not leave it so for the next test, whose files ordinary
    users may need to read: every test starts and ends with the session's umask."""
    os.umask(_SESSION_UMASK)
    yield
    os.umask(_SESSION_UMASK)


def dev_pack_path() -> Path:
    configured = os.environ.get("TROVE_PACK")
    return Path(configured) if configured else cache_root() / "packs" / "dev"


@pytest.fixture(scope="session")
def dev_pack() -> Manifest:
    """The dev pack of real weights, every file hash-checked. Missing pack = failed test, not a
    skip: the suite's promise is that it ran on real models."""
    folder = dev_pack_path()
    if not folder.is_dir():
        pytest.fail(f"dev pack missing at {folder}: run `python -m models.devpack` (./dev does)")
    return load_manifest(folder)

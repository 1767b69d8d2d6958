"""A real Milvus 2.3.5 standalone server (the ``milvus`` package) for the tests and the benchmark,
inside a loopback-only network namespace.

The server binds nine ports on all interfaces and writes ``/run/milvus/standalone.pid`` and
``/tmp/milvus/server_id_<pid>``, so it runs in a child started by ``unshare --net`` (where only
``lo`` exists, brought up here). The test process stays in its own namespace and reaches the
server through a relay: in the namespace, a Unix socket in the test's temporary folder forwards
to the server's port; outside, a listener on 127.0.0.1 (an ephemeral port, loopback only)
forwards to that Unix socket. The child takes ``start``, ``stop`` and ``quit`` on its stdin and
answers each with a line, so a test can take the server away and bring it back. Stopping uses
the package's own ``stop()`` (SIGTERM, then SIGKILL after 1 s: the server's graceful stop waits
up to 1800 s, and loses no acknowledged write either way).

``python -m tests.engine.index.milvus_server DATA_DIR SOCKET`` is the child; tests use
:class:`NamespacedMilvus`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

SESSION_TTL = 3
# Files the server leaves outside its data folder.
LEFTOVERS = ("/run/milvus/standalone.pid", "/tmp/milvus/server_id_*")


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


Target = tuple[int, str | tuple[str, int]]


def relay(listener: socket.socket, target: Callable[[], Target]) -> None:
    """Forward every connection ``listener`` accepts to a new socket of the family and address
    ``target()`` names then (a restarted server may listen on another port), both ways, until
    the listener is closed."""
    while True:
        try:
            accepted, _ = listener.accept()
        except OSError:
            return
        family, address = target()
        outgoing = socket.socket(family, socket.SOCK_STREAM)
        try:
            outgoing.connect(address)
        except OSError:
            accepted.close()  # the server is away: the client sees the connection drop
            outgoing.close()
            continue
        for one, other in ((accepted, outgoing), (outgoing, accepted)):
            threading.Thread(target=_pump, args=(one, other), daemon=True).start()


def _clean_leftovers(before: set[str]) -> None:
    """Delete what the server wrote outside its data folder (not what was there before), and
    its folders when they are empty and were not there before either."""
    for pattern in LEFTOVERS:
        for path in set(glob.glob(pattern)) - before:
            with contextlib.suppress(OSError):
                os.unlink(path)
        folder = os.path.dirname(pattern)
        if folder not in before:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only an empty one goes


def _present() -> set[str]:
    """The server's files and folders outside its data folder that exist now."""
    found = {path for pattern in LEFTOVERS for path in glob.glob(pattern)}
    return found | {
        os.path.dirname(pattern) for pattern in LEFTOVERS if os.path.isdir(os.path.dirname(pattern))
    }


def _serve(data_dir: Path, socket_path: Path) -> None:
    """The child, inside the namespace: the server, the Unix-socket relay, the command loop."""
    from milvus import MilvusServer

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Answers go to the parent on the stdout it gave; everything else (the package's banner,
    # the server's own output) to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    before = _present()
    server = MilvusServer()
    server.set_base_dir(str(data_dir))
    # A killed server's session lease must run out before a new one starts: 30 s by default
    # (a restart took 54 s), 3 s here.
    server.config.set("common.session.ttl", SESSION_TTL)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(64)
    threading.Thread(
        target=relay,
        args=(listener, lambda: (socket.AF_INET, ("127.0.0.1", server.listen_port))),
        daemon=True,
    ).start()
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "start":
                server.start()
            elif command == "stop":
                server.stop()
                _clean_leftovers(before)
            elif command == "quit":
                break
            print(f"{command} done", file=answers, flush=True)
    finally:
        server.stop()
        _clean_leftovers(before)
        listener.close()


def unshare_refusal() -> str | None:
    """Why this machine cannot give the server a namespace of its own, or None if it can."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "the Milvus server tests need unshare and ip (util-linux, iproute2)"
    tried = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if tried.returncode != 0:
        return f"unshare --net is not permitted here ({tried.stderr.strip()}): run as root"
    return None


class NamespacedMilvus:
    """The server in its namespace, reached at :attr:`uri` (http://127.0.0.1:PORT)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # A short path: a Unix socket's name is at most 107 bytes.
        self._socket = Path(tempfile.mkdtemp(prefix="trove-milvus-")) / "s"
        self._child = subprocess.Popen(
            [
                "unshare",
                "--net",
                sys.executable,
                "-m",
                __name__,
                str(folder / "data"),
                str(self._socket),
            ],  # fmt: skip
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[3],
        )
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.uri = f"http://127.0.0.1:{port}"
        threading.Thread(
            target=relay,
            args=(self._listener, lambda: (socket.AF_UNIX, str(self._socket))),
            daemon=True,
        ).start()
        self.start()

    @property
    def pid(self) -> int:
        """The namespace's first process: the server runs below it."""
        return self._child.pid

    def _ask(self, command: str) -> None:
        stdin, stdout = self._child.stdin, self._child.stdout
        assert stdin is not None and stdout is not None
        stdin.write(command + "\n")
        stdin.flush()
        answer = _line(stdout)
        if answer != f"{command} done":
            raise RuntimeError(f"the Milvus server child did not {command} ({answer!r})")

    def start(self) -> None:
        self._ask("start")

    def stop(self) -> None:
        self._ask("stop")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self._ask("quit")
        self._listener.close()
        try:
            self._child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        shutil.rmtree(self._socket.parent, ignore_errors=True)


def _line(stream: IO[str]) -> str:
    return stream.readline().strip()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]), Path(sys.argv[2]))

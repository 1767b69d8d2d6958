"""Smoke test of an installed Trove, run by the release workflow on each operating system.

    python packaging/smoke.py TROVE_CLI TROVE_DESKTOP

Starts the window (offscreen) until it reports ready, indexes the demo shipped with the app into
a fresh data folder, searches it, and checks the cat photo comes first. Standard library only:
it runs with whatever Python the runner has, against the installed executables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

QUERY, EXPECTED = "a cat", "chelsea.png"


def check(argv: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main(argv: list[str]) -> int:
    cli, desktop = argv[0], argv[1]
    with tempfile.TemporaryDirectory() as scratch:
        data = str(Path(scratch) / "data")
        cache = str(Path(scratch) / "cache")
        env = dict(os.environ, TROVE_CACHE=cache, QT_QPA_PLATFORM="offscreen")
        ready = check([desktop, "--data-dir", data, "--exit-when-ready"], env, timeout=120)
        if "ready" not in ready:
            raise RuntimeError(f"the window did not report ready: {ready!r}")
        check([cli, "--data-dir", data, "doctor"], env)
        check([cli, "--data-dir", data, "demo"], env)  # indexes the demo shipped with the app
        search = [cli, "--data-dir", data, "search", QUERY, "--json", "--limit", "3"]
        found = json.loads(check(search, env))
        names = [Path(hit["path"]).name for hit in found["hits"]]
        if EXPECTED not in names:
            raise RuntimeError(f"{QUERY!r} found {names}, expected {EXPECTED}")
    sys.stdout.write(f"smoke test passed: {QUERY!r} -> {names}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

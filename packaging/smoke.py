"""Smoke test of an installed Trove, run by the release workflow on each operating system.

    python packaging/smoke.py TROVE_CLI TROVE_DESKTOP

Starts the window (offscreen) until it reports ready, indexes the demo shipped with the app into
a fresh data folder, then searches it for every kind the app finds (see packaging/README.md,
"Release checks"):

- a photo by text: "a cat" has chelsea.png among its first three hits;
- a sound by example: ``--like`` the demo's dog.ogg leaves the example itself out and finds the
  demo's other sound effect (elephant.ogg) first, above the spoken recordings;
- a spoken phrase with its time: "the budget meeting has moved to Thursday" finds
  budget_meeting.wav first, by its transcript, with start and end seconds inside the recording;
- a note by a word: "pizza" finds recipes.txt first;
- ``trove doctor`` is clean: exit 0, every vector space consistent, nothing flagged;
- a shared library: the demo indexed by a second data folder (another machine) into a Milvus
  Lite file, then searched from the first: "a cat" has chelsea.png among its first three hits,
  marked with that library (the installers carry the Milvus client).

Every check runs and says what it found; the exit status is 1 when any failed. Standard library
only: it runs with whatever Python the runner has, against the installed executables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHOTO_QUERY, PHOTO = "a cat", "chelsea.png"
SOUND_EXAMPLE, OTHER_SOUND = "dog.ogg", "elephant.ogg"
PHRASE, RECORDING = "the budget meeting has moved to Thursday", "budget_meeting.wav"
NOTE_WORD, NOTE = "pizza", "recipes.txt"
# What `trove doctor` prints where something needs a person's attention (engine/cli.py _doctor).
DOCTOR_FLAGS = ("damaged", "out of step", "cautious defaults", "none fitted")
# How far past a recording's end a hit's end may lie (Whisper's timestamps are 20 ms steps).
TIME_SLACK = 0.5
NO_GOOD_MATCH = 1  # `trove search`'s exit status when it found only weaker hits

Hits = list[dict[str, Any]]


class SmokeError(RuntimeError):
    """A check that did not hold, with what was found instead."""


@dataclass(frozen=True)
class Installed:
    """The installed executables and the environment they run in (a fresh data folder)."""

    cli: str
    desktop: str
    data: str
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        argv = [self.cli, "--data-dir", self.data, *args]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)

    def check(self, *args: str, timeout: float = 600, allowed: tuple[int, ...] = (0,)) -> str:
        result = self.run(*args, timeout=timeout)
        if result.returncode not in allowed:
            raise SmokeError(
                f"trove {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def search(self, *args: str) -> Hits:
        """The hits of ``trove search ARGS --json``, the weaker ones after the good ones (the
        search exits 1 when none is a good match, and still prints them)."""
        said = self.check("search", *args, "--json", "--limit", "5", allowed=(0, NO_GOOD_MATCH))
        found = json.loads(said)
        hits: Hits = found["hits"] + found["weaker"]
        return hits


def names(hits: Hits) -> list[str]:
    return [Path(hit["path"]).name for hit in hits]


def start_window(app: Installed) -> str:
    argv = [app.desktop, "--data-dir", app.data, "--exit-when-ready"]
    result = subprocess.run(argv, env=app.env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or "ready" not in result.stdout:
        raise SmokeError(
            f"the window did not report ready (exit {result.returncode}): "
            f"{result.stdout!r} {result.stderr!r}"
        )
    return "the window started and reported ready"


def photo_by_text(app: Installed) -> str:
    hits = app.search(PHOTO_QUERY)[:3]
    if PHOTO not in names(hits):
        raise SmokeError(f"{PHOTO_QUERY!r} found {names(hits)}, expected {PHOTO} among them")
    (hit,) = [hit for hit in hits if Path(hit["path"]).name == PHOTO]
    if hit["kind"] != "photo":
        raise SmokeError(f"{PHOTO} came back as a {hit['kind']}, not a photo")
    return f"{PHOTO_QUERY!r} -> {names(hits)}"


def sound_by_example(app: Installed) -> str:
    listed = json.loads(app.check("list", "--kind", "audio", "--json"))["files"]
    examples = [file["path"] for file in listed if Path(file["path"]).name == SOUND_EXAMPLE]
    if not examples:
        raise SmokeError(f"the demo's {SOUND_EXAMPLE} is not indexed: {names(listed)}")
    example = examples[0]
    hits = app.search("--like", example, "--kind", "audio")
    if not hits:
        raise SmokeError(f"--like {SOUND_EXAMPLE} found nothing")
    if any(Path(hit["path"]) == Path(example) for hit in hits):
        raise SmokeError(f"--like {SOUND_EXAMPLE} found the example itself: {names(hits)}")
    if names(hits)[0] != OTHER_SOUND:
        raise SmokeError(
            f"--like {SOUND_EXAMPLE} found {names(hits)}: the other sound effect, "
            f"{OTHER_SOUND}, should come before the spoken recordings"
        )
    routes = {reason["route"] for reason in hits[0]["why"]}
    if "sound" not in routes:
        raise SmokeError(f"{OTHER_SOUND} was found by {sorted(routes)}, not by its sound")
    return f"--like {SOUND_EXAMPLE} -> {names(hits)} (the example itself left out)"


def phrase_with_time(app: Installed) -> str:
    hits = app.search(PHRASE)
    if not hits or names(hits)[0] != RECORDING:
        raise SmokeError(f"{PHRASE!r} found {names(hits)}, expected {RECORDING} first")
    hit = hits[0]
    start, end = hit["start"], hit["end"]
    if start is None or end is None:
        raise SmokeError(f"{RECORDING} was found without its time: start {start}, end {end}")
    with wave.open(hit["path"]) as recording:
        seconds = recording.getnframes() / recording.getframerate()
    if not 0 <= start < end <= seconds + TIME_SLACK:
        raise SmokeError(f"{RECORDING} @ {start}-{end} s lies outside its {seconds:.2f} s")
    if "transcript" not in {reason["route"] for reason in hit["why"]}:
        raise SmokeError(f"{RECORDING} was not found by what is said in it: {hit['why']}")
    return f"{PHRASE!r} -> {RECORDING} @ {start:.2f}-{end:.2f} s of {seconds:.2f} s"


def note_by_word(app: Installed) -> str:
    hits = app.search(NOTE_WORD)
    if not hits or names(hits)[0] != NOTE or hits[0]["kind"] != "note":
        raise SmokeError(f"{NOTE_WORD!r} found {names(hits)}, expected the note {NOTE} first")
    return f"{NOTE_WORD!r} -> {names(hits)[:3]}"


def doctor_is_clean(app: Installed) -> str:
    report = app.run("doctor")
    text = report.stdout + report.stderr
    if report.returncode != 0:
        raise SmokeError(f"trove doctor exited {report.returncode}:\n{text}")
    flagged = [line.strip() for line in text.splitlines() if any(f in line for f in DOCTOR_FLAGS)]
    if flagged:
        raise SmokeError("trove doctor flagged: " + " | ".join(flagged))
    if "consistent with the catalog" not in text:
        raise SmokeError(f"trove doctor did not find the index consistent:\n{text}")
    return "trove doctor: exit 0, nothing flagged"


def shared_library(app: Installed) -> str:
    library = str(Path(app.data).parent / "shared.db")
    writer = Installed(app.cli, app.desktop, str(Path(app.data).parent / "writer"), app.env)
    writer.check("demo", "--library", library)
    hits = app.search(PHOTO_QUERY, "--library", library)[:3]
    if PHOTO not in names(hits):
        raise SmokeError(f"{PHOTO_QUERY!r} in {library} found {names(hits)}, expected {PHOTO}")
    marked = {hit["library"] for hit in hits}
    if marked != {library}:
        raise SmokeError(f"the shared library's hits were marked {sorted(map(str, marked))}")
    report = app.check("doctor", "--library", library)
    if "milvus-lite" not in report:
        raise SmokeError(f"trove doctor --library did not name Milvus Lite:\n{report}")
    return f"{PHOTO_QUERY!r} in a Milvus Lite library -> {names(hits)}"


CHECKS: tuple[tuple[str, Callable[[Installed], str]], ...] = (
    ("photo by text", photo_by_text),
    ("sound by example", sound_by_example),
    ("spoken phrase with its time", phrase_with_time),
    ("note by a word", note_by_word),
    ("doctor clean", doctor_is_clean),
    ("shared library", shared_library),
)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python packaging/smoke.py TROVE_CLI TROVE_DESKTOP\n")
        return 2
    cli, desktop = argv
    with tempfile.TemporaryDirectory() as scratch:
        cache = str(Path(scratch) / "cache")
        env = dict(os.environ, TROVE_CACHE=cache, QT_QPA_PLATFORM="offscreen")
        app = Installed(cli, desktop, str(Path(scratch) / "data"), env)
        sys.stdout.write(start_window(app) + "\n")
        indexed = app.check("demo")  # indexes the demo shipped with the app
        sys.stdout.write(f"demo indexed: {indexed.splitlines()[0] if indexed else '?'}\n")
        failed = []
        for name, check in CHECKS:
            try:
                found = check(app)
            except (SmokeError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as error:
                failed.append(name)
                sys.stdout.write(f"FAILED  {name}: {error}\n")
            else:
                sys.stdout.write(f"ok      {name}: {found}\n")
    if failed:
        sys.stdout.write(f"smoke test failed: {', '.join(failed)}\n")
        return 1
    sys.stdout.write(f"smoke test passed: {len(CHECKS)} checks\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

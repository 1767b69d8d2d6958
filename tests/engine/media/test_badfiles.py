"""Every decoder over every hostile file of tests/badfiles.py: the file's own decoder meets the
expected outcome; every other decoder either decodes or raises MediaError (never anything else);
each call is quick, and decoding all of them stays within a memory bound."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from engine.catalog.records import FileKind
from engine.media.audio import load_audio
from engine.media.errors import MediaError
from engine.media.images import load_image
from engine.media.kinds import check_content, shown
from engine.media.notes import load_note
from engine.media.video import TruncatedVideoError, audio_track, keyframes
from tests.badfiles import BadFile, make_bad_files, open_folder, unprivileged

RATE = 16_000
# Generous for two shared cores: every file here is a few seconds of media at most.
SECONDS_PER_CALL = 5.0
# Peak resident memory that decoding every bad file may add to a process that has imported the
# decoders: a bomb that got through would take gigabytes.
MAX_EXTRA_MB = 300


def _photo(path: Path) -> str | None:
    load_image(path)
    return None


def _sound(path: Path) -> str | None:
    return load_audio(path, RATE).damage


def _video(path: Path) -> str | None:
    try:
        list(keyframes(path, 1.0, 20))
    except TruncatedVideoError as error:
        return str(error)
    audio_track(path, RATE)
    return None


def _note(path: Path) -> str | None:
    load_note(path)
    return None


def _content(path: Path) -> str | None:
    check_content(path)
    return None


DECODERS: dict[str, Callable[[Path], str | None]] = {
    "photo": _photo,
    "audio": _sound,
    "video": _video,
    "note": _note,
    "content-check": _content,
}
OWN = {
    FileKind.PHOTO: "photo",
    FileKind.AUDIO: "audio",
    FileKind.VIDEO: "video",
    FileKind.NOTE: "note",
}


@pytest.fixture(scope="module")
def bad_files() -> Iterator[dict[str, BadFile]]:
    # Warm every decoder (lazy imports, plugin registries) before any runs as another user.
    Image.init()
    with open_folder() as folder:
        yield {bad.case: bad for bad in make_bad_files(folder)}


def _cases() -> list[str]:
    with open_folder() as folder:
        return [bad.case for bad in make_bad_files(folder)]


CASES = _cases()


def _run(decoder: Callable[[Path], str | None], bad: BadFile) -> tuple[str, str | None, float]:
    started = time.perf_counter()
    with bad.access():
        try:
            damage = decoder(bad.path)
            outcome, message = ("damaged", damage) if damage else ("decodes", None)
        except MediaError as error:
            outcome, message = "fails", str(error)
    return outcome, message, time.perf_counter() - started


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES)
def test_own_decoder_meets_the_expected_outcome(bad_files: dict[str, BadFile], case: str) -> None:
    bad = bad_files[case]
    outcome, message, seconds = _run(DECODERS[OWN[bad.kind]], bad)
    expected = bad.expected
    if not expected.decodes:
        assert outcome == "fails", f"{case}: expected {expected}, got {outcome} ({message})"
    elif expected.reason is None:
        assert outcome == "decodes", f"{case}: expected to decode, got {outcome}: {message}"
    else:
        assert outcome == "damaged", f"{case}: expected {expected}, got {outcome} ({message})"
    if expected.reason is not None:
        assert message is not None and expected.reason in message
        assert message.startswith(shown(bad.path)), message  # names the file
    assert seconds < SECONDS_PER_CALL


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES)
def test_every_decoder_decodes_or_raises_media_error(
    bad_files: dict[str, BadFile], case: str
) -> None:
    bad = bad_files[case]
    for name, decoder in DECODERS.items():
        # Anything but MediaError escapes _run and fails the test with its traceback.
        outcome, message, seconds = _run(decoder, bad)
        assert seconds < SECONDS_PER_CALL, f"{name} took {seconds:.1f} s on {case}"
        if outcome == "fails":
            assert message and ":" in message, f"{name} gave no reason on {case}"


def test_notes_decode_to_their_text(bad_files: dict[str, BadFile]) -> None:
    notes = [bad for bad in bad_files.values() if bad.text is not None]
    assert len(notes) >= 5
    for bad in notes:
        assert load_note(bad.path).text == bad.text, bad.case


def test_unreadable_cases_are_refused_for_permissions_not_for_the_folder(
    bad_files: dict[str, BadFile],
) -> None:
    """The permission cases are honest: as the same user, a readable file beside them decodes."""
    control = bad_files["wav-valid"]
    with unprivileged():
        assert load_audio(control.path, RATE).duration == pytest.approx(2.0, abs=0.01)
    for case in ("unreadable-file", "unreadable-folder"):
        outcome, message, _ = _run(DECODERS[OWN[bad_files[case].kind]], bad_files[case])
        assert outcome == "fails" and message and "Permission denied" in message


_MEMORY_PROBE = """
import json, resource, sys
from pathlib import Path
from tests.badfiles import make_bad_files, open_folder
from tests.engine.media import test_badfiles as t
with open_folder() as folder:
    files = make_bad_files(folder)
    for bad in files:  # once, so every library is loaded before the baseline
        t._run(t.DECODERS["content-check"], bad)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for bad in files:
        for decoder in t.DECODERS.values():
            t._run(decoder, bad)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_mb": base / 1024, "peak_mb": peak / 1024, "files": len(files)}))
"""


@pytest.mark.timeout(300)
def test_decoding_every_bad_file_stays_within_memory() -> None:
    # A fresh process: the test runner's own high-water mark would hide a spike.
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["files"] >= 40
    assert figures["peak_mb"] - figures["base_mb"] < MAX_EXTRA_MB, figures

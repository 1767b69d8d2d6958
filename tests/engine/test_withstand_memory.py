"""Bounded memory on any single file (issue 9, item 5): no file, whatever its length or format,
raises the peak memory of indexing more than :data:`LIMIT_MIB` above the warmed models.

Each case makes its file in the test's tmp dir (:mod:`tests.engine.scan.bigfiles`: sox, FFmpeg
and Pillow make them in seconds from real media), then indexes it in a child process
(:mod:`tests.engine.scan.memory_child`): the child first indexes a folder that fills every
model's batches, then restarts its peak-RSS mark (``VmHWM``), indexes the one file and reports
the peak above its resident size at the restart.

What is real: decoding (libsndfile, soxr, FFmpeg through PyAV, Pillow, the tokenizer), the
sound model's windows, Whisper's windows with its energy gate, timestamp rules and segment
parsing, the image model (EfficientNet), the scanner, the pipeline, and the catalog and index
writes. What is stood in: the forward passes of the sound model, of Whisper's encoder and
decoder and of the text model, each by a cheap function with the same input and output names,
shapes and dtypes (see the child's module). Real Whisper over three hours of speech would take
hours on two cores, and what those models hold is fixed per batch, whatever the file's length:
``python -m tests.benchmarks.memory`` measures the real models on the hour of silence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.manifest import Manifest
from tests.engine.scan import bigfiles

LIMIT_MIB = 300
CHILD_SECONDS = 240


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bigfiles.make_warm_folder(tmp_path_factory.mktemp("warm"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "user"
    made.mkdir()
    return made


def index_alone(folder: Path, warm: Path, pack: Manifest) -> dict:
    report = bigfiles.index_alone(
        folder, warm, pack.root, folder.parent / "data", stand_ins=True, timeout=CHILD_SECONDS
    )
    print(f"{folder.name}: {report}")  # the figures, for -s and for failures
    assert report["above_mib"] < LIMIT_MIB, report
    return report


@pytest.mark.timeout(300)
def test_an_hour_of_silence(folder: Path, warm: Path, dev_pack: Manifest) -> None:
    bigfiles.silent_hour(folder)
    report = index_alone(folder, warm, dev_pack)
    assert report["indexed"] == 1
    assert report["items"] == {"audio-window": 120}  # every 30 s window; silence says nothing


@pytest.mark.timeout(300)
def test_three_hours_of_speech(folder: Path, warm: Path, dev_pack: Manifest) -> None:
    bigfiles.speech_hours(folder, hours=3)
    report = index_alone(folder, warm, dev_pack)
    assert report["indexed"] == 1
    windows = 3 * 3600 // 30
    assert report["items"]["audio-window"] == windows
    # Whisper's windows walked the whole recording: (nearly) every one of them has speech.
    assert report["items"]["transcript"] >= 0.95 * windows


@pytest.mark.timeout(300)
def test_a_200_mb_note(folder: Path, warm: Path, dev_pack: Manifest) -> None:
    bigfiles.huge_note(folder)
    report = index_alone(folder, warm, dev_pack)
    assert report["indexed"] == 1
    assert report["items"]["text-chunk"] > 1000  # its first megabyte, ~250 pages


@pytest.mark.timeout(300)
def test_a_100_megapixel_photo(folder: Path, warm: Path, dev_pack: Manifest) -> None:
    _, png = bigfiles.hundred_megapixels(folder)
    report = index_alone(folder, warm, dev_pack)
    # The camera's JPEG decodes at 1/8 scale and is indexed; the PNG would take 400 MB at
    # full size and is refused with the reason.
    assert report["indexed"] == 1 and report["items"]["photo"] == 1
    ((path, reason),) = report["failures"]
    assert path == str(png) and "too large to decode" in reason


@pytest.mark.timeout(300)
def test_a_video_ten_hours_long(folder: Path, warm: Path, dev_pack: Manifest) -> None:
    bigfiles.ten_hour_video(folder)
    report = index_alone(folder, warm, dev_pack)
    assert report["indexed"] == 1
    assert report["items"]["frame"] == 600  # one a minute: fewer than the 720 a video may have
    assert report["items"]["audio-window"] >= 1200
    assert report["seconds"] < 120  # time-bounded: keyframes are sought, not decoded through


@pytest.mark.timeout(300)
def test_a_video_that_says_it_is_ten_hours_long(
    folder: Path, warm: Path, dev_pack: Manifest
) -> None:
    """A 12 s clip whose header states ten hours: nothing is sized by the header, and the
    walk ends where the pictures and sound do."""
    bigfiles.video_saying_ten_hours(folder)
    report = index_alone(folder, warm, dev_pack)
    assert report["indexed"] == 1
    assert report["items"]["frame"] >= 1 and report["items"]["audio-window"] >= 1
    assert report["seconds"] < 30

"""What a file's metadata says, read from real photos and recordings with tags written into
copies at set-up (the media cache is never changed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from engine.catalog.records import NO_FACTS, FileKind, MediaFacts
from engine.media.images import _open_heif_too
from engine.media.metadata import read_facts
from tests import media
from tests.exif import LISBON, Written, photo_with_exif


def ns(*when: int) -> int:
    return int(datetime(*when, tzinfo=UTC).timestamp()) * 1_000_000_000  # type: ignore[misc]


@pytest.fixture(scope="module")
def cat() -> Path:
    return media.skimage_photos()["chelsea"]


def test_a_photo_says_when_where_and_with_what_it_was_taken(cat: Path, tmp_path: Path) -> None:
    written = Written("2019:06:13 18:30:05", "+01:00", LISBON, "Canon", "Canon EOS R5")
    facts = read_facts(photo_with_exif(cat, tmp_path / "a.jpg", written), FileKind.PHOTO)
    assert facts.taken_ns == ns(2019, 6, 13, 17, 30, 5)  # 18:30 at +01:00
    assert facts.latitude == pytest.approx(LISBON[0], abs=1e-6)
    assert facts.longitude == pytest.approx(LISBON[1], abs=1e-6)
    assert facts.camera == "Canon EOS R5"  # the make once, not "Canon Canon EOS R5"


@pytest.mark.parametrize(
    ("suffix", "format"), [(".png", "PNG"), (".webp", "WEBP"), (".heic", "HEIF"), (".tif", "TIFF")]
)
def test_every_photo_format_with_exif_says_the_same(
    cat: Path, tmp_path: Path, suffix: str, format: str
) -> None:
    written = Written("2019:06:13 18:30:05", "+01:00", LISBON, "Canon", "Canon EOS R5")
    jpeg = photo_with_exif(cat, tmp_path / "a.jpg", written)
    _open_heif_too()
    with Image.open(jpeg) as image:
        image.save(tmp_path / f"a{suffix}", format, exif=image.getexif())
    assert read_facts(tmp_path / f"a{suffix}", FileKind.PHOTO) == read_facts(jpeg, FileKind.PHOTO)
    assert read_facts(jpeg, FileKind.PHOTO).camera == "Canon EOS R5"


def test_a_time_without_offset_is_this_computers_local_time(cat: Path, tmp_path: Path) -> None:
    written = Written("2019:06:13 18:30:05", make="NIKON CORPORATION", model="NIKON D750")
    facts = read_facts(photo_with_exif(cat, tmp_path / "a.jpg", written), FileKind.PHOTO)
    local = time.mktime((2019, 6, 13, 18, 30, 5, 0, 0, -1))
    assert facts == MediaFacts(int(local) * 1_000_000_000, camera="NIKON D750")


@pytest.mark.parametrize(
    "written",
    [
        Written("0000:00:00 00:00:00"),  # a camera whose clock was never set
        Written("2019:02:31 10:00:00"),  # no such day
        Written("1970:01:01 00:00:00", "+00:00"),
        Written("2019-06-13 18:30:05"),  # not EXIF's form
        Written(position=(0.0, 0.0)),  # a receiver without a fix
        Written(position=(95.0, 10.0)),  # beyond the pole
    ],
)
def test_garbled_or_unset_tags_are_left_out(cat: Path, tmp_path: Path, written: Written) -> None:
    assert read_facts(photo_with_exif(cat, tmp_path / "a.jpg", written), FileKind.PHOTO) == (
        NO_FACTS
    )


def test_files_that_say_nothing_or_are_not_what_they_claim_give_no_facts(
    cat: Path, tmp_path: Path
) -> None:
    assert read_facts(cat, FileKind.PHOTO) == NO_FACTS  # a PNG without EXIF
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff" + b"\x00" * 20)
    assert read_facts(broken, FileKind.PHOTO) == NO_FACTS
    assert read_facts(tmp_path / "gone.m4a", FileKind.AUDIO) == NO_FACTS
    note = tmp_path / "note.md"
    note.write_text("# a note")
    assert read_facts(note, FileKind.NOTE) == NO_FACTS


@pytest.fixture(scope="module")
def sound() -> tuple[np.ndarray, int]:
    samples, rate = sf.read(media.desktop_sounds()[0], dtype="float32", always_2d=True)
    return samples.mean(axis=1), rate


def test_a_recording_says_when_it_was_made(sound: tuple[np.ndarray, int], tmp_path: Path) -> None:
    samples, rate = sound
    path = tmp_path / "memo.wav"
    with sf.SoundFile(path, "w", rate, 1) as out:  # the date goes in the WAV's ICRD tag
        out.date = "2021-08-01T09:15:00Z"
        out.write(samples)
    assert read_facts(path, FileKind.AUDIO) == MediaFacts(ns(2021, 8, 1, 9, 15))


def test_an_m4a_says_when_and_where_it_was_made(
    sound: tuple[np.ndarray, int], tmp_path: Path
) -> None:
    samples, rate = sound
    path = tmp_path / "memo.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["creation_time"] = "2022-03-04T05:06:07.000000Z"  # as phones write them
        out.metadata["location"] = "+38.7223-009.1393/"
        stream = out.add_stream("aac", rate=rate)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    assert read_facts(path, FileKind.AUDIO) == MediaFacts(ns(2022, 3, 4, 5, 6, 7), 38.7223, -9.1393)

"""The table of formats Trove reads, and the content check that catches a file whose bytes do not
fit its name: every format's signature is tried on real or library-written files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
import soundfile as sf
from PIL import Image

from engine.catalog.records import FileKind
from engine.media.errors import MediaError
from engine.media.kinds import BY_SUFFIX, check_content, kind_of, sniff
from tests.media import Videos, skimage_photos, videos

pillow_heif.register_heif_opener()

# The formats the issue names, by a suffix each goes by.
REQUIRED = {
    FileKind.PHOTO: (".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".heic"),
    FileKind.AUDIO: (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aac"),
    FileKind.VIDEO: (".mp4", ".mov", ".mkv", ".webm", ".avi"),
    FileKind.NOTE: (".txt", ".md"),
}


def test_every_required_suffix_has_its_kind_in_any_case() -> None:
    for kind, suffixes in REQUIRED.items():
        for suffix in suffixes:
            assert kind_of(Path(f"a{suffix}")) is kind
            assert kind_of(f"Holiday/IMG_0001{suffix.upper()}") is kind
    assert kind_of(Path("a.exe")) is None and kind_of(Path("Makefile")) is None
    assert kind_of(Path("archive.jpg.zip")) is None


def _image_bytes(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format=format)
    return buffer.getvalue()


def _sound_bytes(format: str, subtype: str, rate: int = 48_000) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(rate // 10, np.float32), rate, format=format, subtype=subtype)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def made() -> Videos:
    return videos()


def test_signatures_of_real_and_library_written_files(made: Videos) -> None:
    photos = skimage_photos()
    real = {
        "chelsea.png": photos["chelsea"],
        "rocket.jpg": photos["rocket"],
        "slideshow.mp4": made.slideshow,
        "rotated.mov": made.rotated,
        "silent.mkv": made.silent,
        "clip.webm": made.webm,
        "clip.avi": made.avi,
        "tone.m4a": made.m4a,
        "tone.aac": made.aac,
    }
    written = {
        "a.bmp": _image_bytes("BMP"),
        "a.gif": _image_bytes("GIF"),
        "a.webp": _image_bytes("WEBP"),
        "a.heic": _image_bytes("HEIF"),
        "a.tif": _image_bytes("TIFF"),
        "a.wav": _sound_bytes("WAV", "PCM_16"),
        "a.flac": _sound_bytes("FLAC", "PCM_16"),
        "a.ogg": _sound_bytes("OGG", "VORBIS"),
        "a.opus": _sound_bytes("OGG", "OPUS"),
        "a.mp3": _sound_bytes("MP3", "MPEG_LAYER_III"),
    }
    for name, path in real.items():
        written[name] = path.read_bytes()[:64]
    for name, head in written.items():
        found = sniff(head, BY_SUFFIX[Path(name).suffix].kind)
        assert found is not None and found is BY_SUFFIX[Path(name).suffix], name


def test_content_check_names_what_a_misnamed_file_holds(tmp_path: Path) -> None:
    text = tmp_path / "holiday.jpg"
    text.write_text("Dear diary, today we went to the beach.\n")
    with pytest.raises(MediaError, match=r"holiday.jpg: not a photo: the file holds text"):
        check_content(text)
    wav = tmp_path / "film.mp4"
    wav.write_bytes(_sound_bytes("WAV", "PCM_16"))
    with pytest.raises(MediaError, match="not a video: the file holds WAV data"):
        check_content(wav)
    png_named_jpg = tmp_path / "photo.jpg"
    png_named_jpg.write_bytes(_image_bytes("PNG"))
    assert check_content(png_named_jpg).name == "PNG"  # right kind, other format: fine
    note_holding_gif = tmp_path / "note.txt"
    note_holding_gif.write_bytes(_image_bytes("GIF"))
    with pytest.raises(MediaError, match="not a text note: the file holds GIF data"):
        check_content(note_holding_gif)
    words = tmp_path / "car.txt"
    words.write_text("BMW service on Monday; OggS is a codec name, GIF89a a format.\n")
    assert check_content(words).name == "Text"  # signatures in plain words are not binary
    with pytest.raises(MediaError, match="not a file type Trove reads"):
        check_content(tmp_path / "setup.exe")

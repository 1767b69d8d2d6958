"""The decoders' pieces for bounded memory: windows cut from a stream as from the whole, pieces
of a long recording, the limit on sound held whole, note slices, large photos reduced as they
decode (or refused with the reason), and the end of a slideshow-like video."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from engine.media import audio, images
from engine.media.audio import (
    LongAudioError,
    Samples,
    TruncatedAudioError,
    Windower,
    load_audio,
    pieces,
    window_spans,
)
from engine.media.images import ImageTooLargeError, load_image
from engine.media.notes import slices
from engine.media.video import keyframes
from tests import media

RATE = 16_000


def _blocks(samples: Samples, sizes: list[int]) -> Iterator[Samples]:
    start = 0
    for size in sizes * (1 + len(samples) // max(1, sum(sizes))):
        if start >= len(samples):
            return
        yield samples[start : start + size]
        start += size


@pytest.mark.parametrize("total", [7, 10, 20, 23, 101])
@pytest.mark.parametrize("sizes", [[1], [3, 11], [64]])
def test_windows_cut_from_pushed_blocks_are_those_of_the_whole(
    total: int, sizes: list[int]
) -> None:
    samples = np.arange(total, dtype=np.float32)
    windower = Windower(1, 10.0, 5.0)  # at 1 Hz: windows of 10 samples every 5
    windows = [w for block in _blocks(samples, sizes) for w in windower.push(block)]
    windows += windower.close()
    assert [(int(start), int(end)) for start, end, _ in windows] == window_spans(total, 10, 5)
    for start, end, cut in windows:
        assert np.array_equal(cut, samples[int(start) : int(end)])


def test_pieces_gather_blocks_and_keep_what_came_before_a_break() -> None:
    def broken() -> Iterator[Samples]:
        for value in range(7):
            yield np.full(3, value, np.float32)
        raise TruncatedAudioError("cut", 21 / RATE)

    got: list[Samples] = []
    with pytest.raises(TruncatedAudioError):
        for piece in pieces(broken(), 10):
            got.append(piece)
    assert [len(piece) for piece in got] == [12, 9]  # whole blocks, then the rest
    assert np.array_equal(np.concatenate(got), np.repeat(np.arange(7, dtype=np.float32), 3))


def test_sound_past_the_limit_is_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tone.wav"
    seconds = np.arange(5 * RATE) / RATE
    soundfile.write(path, (0.1 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32), RATE)
    assert load_audio(path, RATE, max_seconds=5.0).duration == pytest.approx(5.0)
    with pytest.raises(LongAudioError, match="past 4 s"):
        load_audio(path, RATE, max_seconds=4.0)
    # A header that understates is not trusted: decoding stops once past the limit.
    real = audio.probe(path)
    lying = audio.AudioInfo(real.sample_rate, real.channels, 1, real.format, real.subtype)
    monkeypatch.setattr(audio, "probe", lambda _: lying)
    with pytest.raises(LongAudioError):
        load_audio(path, RATE, block_frames=RATE, max_seconds=2.0)


def test_note_slices_cover_the_text_and_end_at_breaks() -> None:
    text = "First paragraph, one line.\n\nSecond one, with words. " * 40 + "x" * 300
    parts = list(slices(text, 100))
    assert "".join(part for _, part in parts) == text
    assert all(len(part) <= 100 and text[start:].startswith(part) for start, part in parts)
    # A slice ends at a break in its second half, or at the size where there is none.
    for _, part in parts[:-1]:
        assert part.endswith(("\n\n", " ")) or (len(part) == 100 and " " not in part[50:])
    assert parts[-1][1] == "x" * len(parts[-1][1])


def _photo(size: tuple[int, int], mode: str) -> Image.Image:
    with Image.open(media.skimage_photos()["astronaut"]) as photo:
        return photo.convert(mode).resize(size, Image.Resampling.BILINEAR)


@pytest.fixture
def large_from_1mb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Photos past 1 MB decoded take the large-photo path, so small ones stand for huge ones."""
    monkeypatch.setattr(images, "REDUCE_EARLY_BYTES", 1 << 20)


@pytest.mark.usefixtures("large_from_1mb")
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "I;16"])
def test_a_large_photo_is_reduced_as_it_decodes_and_looks_the_same(
    tmp_path: Path, mode: str
) -> None:
    """Past the early-reduce size a photo comes back reduced by a whole factor, a strip at a
    time; scaled to the model's size it matches the full decode."""
    big = _photo((2000, 1500), "RGB")
    picture = big.quantize(256) if mode == "P" else big.convert("L" if mode == "I;16" else mode)
    if mode == "I;16":
        picture = Image.fromarray(np.asarray(picture, dtype=np.uint16) * 256)
    path = tmp_path / "big.png"
    picture.save(path)
    reduced = load_image(path, min_side=128)
    assert reduced.mode == "RGB" and reduced.size == (667, 500)  # 1/3 keeps 3 x 128 and more
    full = load_image(path, min_side=0)  # no reduction: the whole picture, for comparison
    assert full.size == (2000, 1500)
    side = (160, 120)
    a = np.asarray(reduced.resize(side, Image.Resampling.BICUBIC), dtype=np.float32)
    b = np.asarray(full.resize(side, Image.Resampling.BICUBIC), dtype=np.float32)
    assert np.abs(a - b).mean() < 2.0


@pytest.mark.usefixtures("large_from_1mb")
def test_a_large_photo_is_turned_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored lying on its side: turn 90 degrees clockwise
    path = tmp_path / "turned.png"
    photo = _photo((2000, 1500), "RGB")
    photo.save(path, exif=exif)
    upright = load_image(path, min_side=128)
    assert upright.size == (500, 667)
    expected = photo.transpose(Image.Transpose.ROTATE_270).reduce(3)
    assert np.abs(np.asarray(upright, np.float32) - np.asarray(expected, np.float32)).max() < 1


def test_a_decode_past_the_memory_limit_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    _photo((2000, 1500), "RGB").save(path)
    with pytest.raises(ImageTooLargeError, match=r"within memory.*PNG of 2000x1500.*12 MB"):
        load_image(path, max_decode_bytes=10_000_000)
    assert load_image(path, max_decode_bytes=12_000_000).size == (2000, 1500)


def test_a_progressive_jpeg_counts_its_coefficients(tmp_path: Path) -> None:
    photo = _photo((4000, 3000), "RGB")
    baseline, progressive = tmp_path / "baseline.jpg", tmp_path / "progressive.jpg"
    photo.save(baseline, quality=90)
    photo.save(progressive, quality=90, progressive=True)
    with Image.open(baseline) as one, Image.open(progressive) as other:
        one.draft("RGB", (256, 256))
        other.draft("RGB", (256, 256))
        plain = images.decode_bytes(one, (4000, 3000))
        # 4:2:0: a full-size luma plane and two quarter-size chroma planes, 2 bytes a value.
        assert images.decode_bytes(other, (4000, 3000)) == plain + 4000 * 3000 * 3
    assert load_image(progressive).size == (500, 375)  # 1/8 scale, as a baseline JPEG


def test_a_slideshow_video_is_not_taken_for_a_cut_one(tmp_path: Path) -> None:
    """One picture a minute: the last one starts a minute before the end, and lasts to it."""
    path = tmp_path / "slides.mkv"
    photo = media.demo_folder() / "Photos" / "chelsea.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-loop", "1", "-framerate", "1/60", "-i", str(photo)]
        + ["-t", "300", "-c:v", "libx264", "-preset", "ultrafast", "-g", "1", str(path)],
        check=True,
    )
    assert [seconds for seconds, _ in keyframes(path, 5.0, 100)] == [0, 60, 120, 180, 240]


def test_a_heif_counts_libheifs_copy_too(tmp_path: Path) -> None:
    path = tmp_path / "phone.heic"
    _photo((300, 200), "RGB").save(path, quality=50)
    with Image.open(path) as photo:
        assert photo.format == "HEIF"
        assert images.decode_bytes(photo, photo.size) == 300 * 200 * (4 + 3)
    with pytest.raises(ImageTooLargeError, match="HEIF of 300x200"):
        load_image(path, max_decode_bytes=300 * 200 * 5)

"""Tile pictures on real media: waveforms against the samples themselves, video frames against
the photos a slideshow shows, thumbnails against their photos (tests/media.py)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageOps

from engine.media.errors import MediaError
from engine.media.previews import (
    media_seconds,
    photo_thumbnail,
    video_frame,
    waveform_peaks,
)
from engine.media.video import keyframes
from tests.media import SLIDE_SECONDS, Videos, demo_folder, long_speech, videos


@pytest.fixture(scope="module")
def made() -> Videos:
    return videos()


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def reference_peaks(path: Path, bins: int) -> np.ndarray:
    samples, _ = sf.read(str(path), dtype="float32", always_2d=True)
    loud = np.abs(samples.mean(axis=1))
    edges = (np.arange(bins + 1) * len(loud)) // bins
    return np.array([loud[a:b].max() for a, b in zip(edges, edges[1:], strict=False)])


# --- waveforms ---------------------------------------------------------------------------------


def test_speech_peaks_are_loud_in_speech_and_zero_in_the_silence_after_it() -> None:
    clip = long_speech()  # sentences, then silence up to exactly 30 s
    spoken = _speech_seconds(clip.path)
    peaks = waveform_peaks(clip.path, 60)
    assert peaks.shape == (60,) and peaks.dtype == np.float32
    bins_spoken = int(spoken / 30.0 * 60)
    assert peaks[: bins_spoken - 1].max() > 0.3
    assert np.median(peaks[: bins_spoken - 1]) > 0.1
    assert peaks[bins_spoken + 1 :].max() < 0.01  # the silent tail
    assert media_seconds(clip.path) == pytest.approx(30.0)


def _speech_seconds(path: Path) -> float:
    """Where the padding starts: the last sample above a whisper."""
    samples, rate = sf.read(str(path), dtype="float32")
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return float(loud[-1] / rate)


@pytest.mark.parametrize("name", ["Recordings/tomato_plants.wav", "Sounds/dog.ogg"])
def test_peaks_match_the_decoded_samples(name: str) -> None:
    path = demo_folder() / name
    peaks = waveform_peaks(path, 50)
    expected = reference_peaks(path, 50)
    # Bins are whole chunks, so their edges sit within an eighth of a bin of the reference's:
    # no peak exceeds what its bin and its neighbours hold, and the shapes agree.
    padded = np.concatenate([[0.0], expected, [0.0]])
    neighbourhood = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    assert np.all(peaks <= neighbourhood + 1e-4)
    assert np.corrcoef(peaks, expected)[0, 1] > 0.95


def test_a_short_clip_gives_every_bin_a_value() -> None:
    peaks = waveform_peaks(demo_folder() / "Sounds/owl.ogg", 5000)
    assert peaks.shape == (5000,) and peaks.max() > 0.1


def test_a_videos_sound_has_peaks_in_its_speech_only(made: Videos) -> None:
    peaks = waveform_peaks(made.slideshow, 24)  # 12 s: speech (~3 s) then silence
    assert peaks[:4].max() > 0.2
    assert peaks[12:].max() < 0.01


def test_a_long_recording_is_streamed_not_loaded(tmp_path: Path) -> None:
    rate, minutes = 8000, 20
    path = tmp_path / "long.wav"
    with sf.SoundFile(str(path), "w", rate, 1, "PCM_16") as out:
        noise = np.random.default_rng(1).uniform(-0.5, 0.5, rate * 60).astype(np.float32)
        for minute in range(minutes):
            out.write(noise * (0.1 if minute < minutes // 2 else 1.0))
    tracemalloc.start()
    try:
        peaks = waveform_peaks(path, 100)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    whole = rate * 60 * minutes * 4  # the file as float32: 38 MB
    assert peak_bytes < whole / 8, peak_bytes
    assert peaks[:50].max() < 0.06 and peaks[50:].min() > 0.4


def test_files_without_sound_are_refused(made: Videos, tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not a recording\n" * 20)
    for path in (text, made.silent, demo_folder() / "Photos/dog.png"):
        with pytest.raises(MediaError):
            waveform_peaks(path)


# --- video frames ------------------------------------------------------------------------------


def slide(path: Path, size: tuple[int, int]) -> Image.Image:
    padded = ImageOps.pad(Image.open(path).convert("RGB"), (480, 360), color=(0, 0, 0))
    return padded.resize(size, Image.Resampling.BOX)


@pytest.mark.parametrize("seconds", [0.0, 1.5, 4.2, 7.9, 10.5, 11.9])
def test_the_frame_at_a_time_shows_the_slide_on_screen_then(made: Videos, seconds: float) -> None:
    frame = video_frame(made.slideshow, seconds, 160)
    assert frame.size == (160, 120)
    distances = [difference(frame, slide(path, frame.size)) for path in made.slides]
    assert int(np.argmin(distances)) == int(seconds // SLIDE_SECONDS), distances
    assert min(distances) < 12.0


def test_the_frame_is_the_keyframe_before_the_time(made: Videos) -> None:
    # testsrc.mp4: a moving pattern with a keyframe every 2 s exactly.
    reference = dict(keyframes(made.testsrc, 1.0, 100, min_side=0))
    for seconds, keyframe in ((5.0, 4.0), (5.99, 4.0), (6.0, 6.0), (0.5, 0.0), (99.0, 10.0)):
        frame = video_frame(made.testsrc, seconds, 320)
        assert frame.size == reference[keyframe].size
        distances = {t: difference(frame, image) for t, image in reference.items()}
        assert min(distances, key=lambda t: distances[t]) == keyframe, (seconds, distances)


def test_rotated_video_frames_come_upright(made: Videos) -> None:
    frame = video_frame(made.rotated, 4.5, 160)
    assert frame.size == (120, 160)  # stored landscape, shown turned a quarter
    upright = video_frame(made.slideshow, 4.5, 160)
    turned = [upright.transpose(t) for t in (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)]
    assert min(difference(frame, t) for t in turned) < 3.0


@pytest.mark.parametrize("field", ["webm", "avi", "silent"])
def test_other_containers(made: Videos, field: str) -> None:
    frame = video_frame(getattr(made, field), 3.0, 100)
    assert max(frame.size) == 100 and np.asarray(frame).std() > 10


def test_videos_without_pictures_and_broken_videos_are_refused(
    made: Videos, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(made.slideshow.read_bytes()[:2000])  # the header, no pictures
    text = tmp_path / "text.mp4"
    text.write_text("hello\n" * 100)
    for path in (made.audio_only, cut, text, demo_folder() / "Recordings/tomato_plants.wav"):
        with pytest.raises(MediaError):
            video_frame(path, 1.0, 160)


# --- photos ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["china.jpg", "elephant.png", "astronaut.png"])
def test_photo_thumbnails_fit_and_look_like_the_photo(name: str) -> None:
    path = demo_folder() / "Photos" / name
    thumb = photo_thumbnail(path, 96)
    assert max(thumb.size) == 96 and thumb.mode == "RGB"
    photo = Image.open(path).convert("RGB").resize(thumb.size, Image.Resampling.BOX)
    if name.endswith(".png") and Image.open(path).mode in ("RGBA", "LA", "P"):
        return  # cut-outs are flattened onto grey: compared in the desktop tests by shape only
    assert difference(thumb, photo) < 8.0


def test_a_cut_out_keeps_its_transparency_only_when_asked() -> None:
    cut_out = demo_folder() / "Photos" / "elephant.png"
    source = Image.open(cut_out).convert("RGBA")
    kept = photo_thumbnail(cut_out, 96, alpha=True)
    assert kept.mode == "RGBA" and max(kept.size) == 96
    # The see-through background stays so, and the elephant as opaque as in the file.
    alpha = np.asarray(kept.getchannel("A"), np.float32) / 255
    expected = source.getchannel("A").resize(kept.size, Image.Resampling.BOX)
    assert np.abs(alpha - np.asarray(expected, np.float32) / 255).mean() < 0.05
    assert alpha.min() == 0.0 and alpha.max() == 1.0
    assert photo_thumbnail(cut_out, 96).mode == "RGB"  # flattened, as the models see it
    assert photo_thumbnail(demo_folder() / "Photos" / "china.jpg", 96, alpha=True).mode == "RGB"


def test_a_corrupt_photo_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes((demo_folder() / "Photos/china.jpg").read_bytes()[:300])
    with pytest.raises(MediaError):
        photo_thumbnail(bad, 96)

"""Video keyframes and sound tracks through PyAV, on videos made by ffmpeg from real photos and
speech (tests/media.py), checked against the photos themselves and against ffmpeg's own output."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageOps

from engine.media.audio import iter_windows, load_audio, resample, window_spans
from engine.media.errors import MediaError
from engine.media.images import ImageTooLargeError
from engine.media.video import _KeyframeReader, audio_track, keyframes, probe_video
from tests.media import SLIDE_SECONDS, TONES, Videos, videos

RATE = 16_000


@pytest.fixture(scope="module")
def made() -> Videos:
    return videos()


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def test_slideshow_frames_show_the_photo_on_screen(made: Videos) -> None:
    frames = list(keyframes(made.slideshow, SLIDE_SECONDS, 10))
    assert [seconds for seconds, _ in frames] == pytest.approx([0.0, 3.0, 6.0, 9.0])
    for seconds, frame in frames:
        # The slideshow letterboxes each photo into 480x360; so does the reference.
        references = [
            ImageOps.pad(Image.open(slide).convert("RGB"), (480, 360), color=(0, 0, 0)).resize(
                frame.size, Image.Resampling.BOX
            )
            for slide in made.slides
        ]
        distances = [difference(frame, reference) for reference in references]
        shown = int(seconds // SLIDE_SECONDS)
        assert int(np.argmin(distances)) == shown, (seconds, distances)
        assert distances[shown] < 10.0


def test_rotated_video_frames_match_ffmpegs_own_upright_frames(
    made: Videos, tmp_path: Path
) -> None:
    frames = list(keyframes(made.rotated, 4.0, 3, min_side=0))
    assert len(frames) == 3
    for seconds, frame in frames:
        assert frame.size == (360, 480)  # stored 480x360, displayed turned a quarter
        expected = tmp_path / f"{seconds}.png"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-ss", str(seconds), "-i", str(made.rotated)]
            + ["-frames:v", "1", str(expected)],
            check=True,
        )
        assert difference(frame, Image.open(expected).convert("RGB")) < 2.0


def test_interval_max_frames_and_size(made: Videos) -> None:
    # testsrc.mp4: 12 s, a keyframe every 2 s exactly.
    def times(every: float, most: int) -> list[float]:
        return [seconds for seconds, _ in keyframes(made.testsrc, every, most)]

    assert times(1.0, 100) == pytest.approx([0, 2, 4, 6, 8, 10])
    assert times(3.0, 100) == pytest.approx([0, 4, 8])  # the first keyframe at or after due
    assert times(1.0, 3) == pytest.approx([0, 4, 8])  # spread over the whole video
    assert times(10.0, 100) == pytest.approx([0, 10])  # seeks past the interval
    sizes = {frame.size for _, frame in keyframes(made.testsrc, 2.0, 10, min_side=120)}
    assert sizes == {(160, 120)}
    with pytest.raises(ImageTooLargeError, match="too large"):
        list(keyframes(made.testsrc, 2.0, 10, max_pixels=10_000))


def test_keyframes_decode_far_less_than_the_whole_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted, not timed: how many packets reach the decoder for 5 frames out of 1000.
    video = tmp_path / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=40"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", str(video)],
        check=True,
    )
    with av.open(str(video)) as container:
        every_frame = sum(1 for _ in container.decode(video=0))
    decoded = 0
    decode = _KeyframeReader._decode

    def counting(reader: _KeyframeReader, packet: Any) -> Any:
        nonlocal decoded
        decoded += 1
        return decode(reader, packet)

    monkeypatch.setattr(_KeyframeReader, "_decode", counting)
    frames = list(keyframes(video, 8.0, 100))
    assert every_frame == 1000 and len(frames) == 5
    assert decoded <= 20, decoded  # at most its 20 keyframes, never the 980 frames between


def test_video_sound_tracks(made: Videos) -> None:
    tone = audio_track(made.testsrc, RATE)
    assert tone is not None and tone.dtype == np.float32 and tone.ndim == 1
    assert len(tone) / RATE == pytest.approx(12.0, abs=0.05)
    assert peak_hz(tone, RATE) == pytest.approx(TONES["testsrc"], abs=3)
    assert audio_track(made.silent, RATE) is None
    for path, name in ((made.webm, "webm"), (made.avi, "avi")):
        samples = audio_track(path, RATE)
        assert samples is not None and peak_hz(samples, RATE) == pytest.approx(TONES[name], abs=3)
        assert len(list(keyframes(path, 2.0, 10))) >= 2


def test_slideshow_sound_is_the_speech_it_was_made_from(made: Videos) -> None:
    track = audio_track(made.slideshow, RATE)
    speech, rate = sf.read(made.speech.path, dtype="float32")
    speech = resample(speech, rate, RATE)
    assert track is not None and len(track) / RATE == pytest.approx(12.0, abs=0.05)

    def envelope(samples: np.ndarray) -> np.ndarray:
        hop = RATE // 100  # 10 ms
        frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
        return np.sqrt((frames**2).mean(axis=1))

    spoken, heard = envelope(speech), envelope(track[: len(speech)])
    assert np.corrcoef(spoken, heard)[0, 1] > 0.95
    assert envelope(track[len(speech) + RATE // 10 :]).max() < 1e-3  # then silence


def test_a_video_without_pictures_yields_no_frames_but_its_sound(made: Videos) -> None:
    info = probe_video(made.audio_only)
    assert (info.has_video, info.has_audio) == (False, True)
    assert list(keyframes(made.audio_only, 1.0, 10)) == []
    samples = audio_track(made.audio_only, RATE)
    assert samples is not None and peak_hz(samples, RATE) == pytest.approx(TONES["audio_only"], 3)


def test_m4a_and_aac_load_through_the_audio_api(made: Videos) -> None:
    decoded = load_audio(made.m4a, RATE)
    assert (decoded.original_rate, decoded.original_channels) == (48_000, 2)
    assert decoded.duration == pytest.approx(5.0, abs=0.05) and decoded.damage is None
    assert peak_hz(decoded.samples, RATE) == pytest.approx(TONES["m4a"], abs=3)
    adts = load_audio(made.aac, RATE)
    assert adts.duration == pytest.approx(5.0, abs=0.08)
    assert peak_hz(adts.samples, RATE) == pytest.approx(TONES["aac"], abs=3)
    windows = list(iter_windows(made.m4a, RATE, 1.0, 0.5))
    spans = window_spans(len(decoded.samples), RATE, RATE // 2)
    assert [(round(a * RATE), round(b * RATE)) for a, b, _ in windows] == spans
    assert np.array_equal(windows[3][2], decoded.samples[spans[3][0] : spans[3][1]])


def test_files_that_are_not_video_are_refused_with_what_they_hold(
    made: Videos, tmp_path: Path
) -> None:
    wav = tmp_path / "sound.mp4"
    sf.write(wav, np.zeros(1600, np.float32), RATE, format="WAV")
    with pytest.raises(MediaError, match="sound.mp4: .* holds WAV data"):
        list(keyframes(wav, 1.0, 5))
    with pytest.raises(MediaError, match="holds no sound stream"):
        load_audio(made.silent, RATE)

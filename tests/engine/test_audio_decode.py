"""Audio decoding on files made here: every format libsndfile reads, odd shapes, and bad files,
each met with a correct result or a MediaError that says why."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.media.audio import (
    TruncatedAudioError,
    iter_windows,
    load_audio,
    probe,
    window_spans,
)
from engine.media.errors import MediaError

RATE = 32000


def tone(seconds: float, rate: int, hz: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1) if channels > 1 else wave


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(
    ("name", "format", "subtype", "rate"),
    [
        ("a.wav", "WAV", "PCM_16", 44100),
        ("a.flac", "FLAC", "PCM_24", 44100),
        ("a.ogg", "OGG", "VORBIS", 44100),
        ("a.opus", "OGG", "OPUS", 48000),
        ("a.mp3", "MP3", "MPEG_LAYER_III", 44100),
    ],
)
def test_each_format_decodes_to_mono_at_the_model_rate(
    tmp_path: Path, name: str, format: str, subtype: str, rate: int
) -> None:
    path = tmp_path / name
    sf.write(path, tone(2.0, rate, channels=2), rate, format=format, subtype=subtype)
    decoded = load_audio(path, RATE)
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.sample_rate == RATE
    assert (decoded.original_rate, decoded.original_channels) == (rate, 2)
    assert decoded.duration == pytest.approx(2.0, abs=0.08)  # lossy codecs pad a little
    assert peak_hz(decoded.samples, RATE) == pytest.approx(440.0, abs=3.0)
    assert decoded.damage is None


def test_eight_channels_at_192k_are_averaged_and_resampled(tmp_path: Path) -> None:
    path = tmp_path / "eight.wav"
    block = np.zeros((2 * 192000, 8), np.float32)
    block[:, 3] = tone(2.0, 192000, hz=1000.0)  # one loud channel among seven silent ones
    sf.write(path, block, 192000, subtype="FLOAT")
    info = probe(path)
    assert (info.sample_rate, info.channels, info.frames) == (192000, 8, 384000)
    decoded = load_audio(path, RATE)
    assert len(decoded.samples) == 2 * RATE
    assert peak_hz(decoded.samples, RATE) == pytest.approx(1000.0, abs=2.0)
    middle = decoded.samples[RATE // 2 : 3 * RATE // 2]
    assert np.max(np.abs(middle)) == pytest.approx(0.5 / 8, rel=0.02)


@pytest.mark.parametrize("rate", [8000, 48000, 192000])
def test_one_sample_file_gives_one_sample(tmp_path: Path, rate: int) -> None:
    path = tmp_path / "one.wav"
    sf.write(path, np.array([0.25], np.float32), rate, subtype="FLOAT")
    decoded = load_audio(path, RATE)
    assert len(decoded.samples) >= 1
    assert decoded.duration <= max(2 / RATE, 1 / rate + 1 / RATE)
    windows = list(iter_windows(path, RATE, 10.0, 5.0))
    assert len(windows) == 1 and windows[0][0] == 0.0


def test_silence_decodes_to_zeros(tmp_path: Path) -> None:
    path = tmp_path / "silence.flac"
    sf.write(path, np.zeros(3 * 22050, np.int16), 22050, subtype="PCM_16")
    decoded = load_audio(path, RATE)
    assert len(decoded.samples) == 3 * RATE
    assert not np.any(decoded.samples)
    assert decoded.damage is None


def test_not_finite_float_samples_become_finite(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    samples = tone(1.0, RATE)
    samples[100:200] = np.nan
    samples[300] = np.inf
    sf.write(path, samples, RATE, subtype="FLOAT")
    assert np.all(np.isfinite(load_audio(path, RATE).samples))


def test_zero_byte_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(MediaError, match="empty file"):
        load_audio(path, RATE)


def test_wav_with_no_frames_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header-only.wav"
    sf.write(path, np.zeros(0, np.float32), RATE)
    assert path.stat().st_size > 0
    with pytest.raises(MediaError, match="no audio samples"):
        load_audio(path, RATE)
    with pytest.raises(MediaError, match="no audio samples"):
        list(iter_windows(path, RATE, 10.0, 5.0))


def test_random_bytes_named_wav_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(MediaError, match="not a readable audio file"):
        load_audio(path, RATE)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read file"):
        load_audio(tmp_path / "gone.wav", RATE)


def test_truncated_flac_keeps_what_decoded_and_says_so(tmp_path: Path) -> None:
    whole = tmp_path / "whole.flac"
    sf.write(whole, tone(6.0, 44100, channels=2), 44100, subtype="PCM_24")
    cut = tmp_path / "cut.flac"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    decoded = load_audio(cut, RATE)
    assert decoded.damage is not None and "cut.flac" in decoded.damage
    assert 1.0 < decoded.duration < 5.0
    assert peak_hz(decoded.samples, RATE) == pytest.approx(440.0, abs=3.0)
    windows = []
    with pytest.raises(TruncatedAudioError) as raised:
        for window in iter_windows(cut, RATE, 1.0, 0.5):
            windows.append(window)
    assert windows and windows[-1][1] <= raised.value.decoded_seconds + 1e-6


def test_truncated_wav_is_flagged(tmp_path: Path) -> None:
    whole = tmp_path / "whole.wav"
    sf.write(whole, tone(3.0, 16000), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:40000])
    decoded = load_audio(cut, RATE)
    assert decoded.damage is not None and "truncated" in decoded.damage
    assert decoded.duration == pytest.approx((40000 - 44) / 2 / 16000, abs=0.01)


def test_window_spans_cover_the_clip_with_full_windows() -> None:
    assert window_spans(0, 10, 5) == []
    assert window_spans(7, 10, 5) == [(0, 7)]
    assert window_spans(10, 10, 5) == [(0, 10)]
    assert window_spans(20, 10, 5) == [(0, 10), (5, 15), (10, 20)]
    assert window_spans(23, 10, 5) == [(0, 10), (5, 15), (10, 20), (13, 23)]


def test_streamed_windows_equal_windows_of_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "long.flac"
    rng = np.random.default_rng(2)
    sf.write(path, (0.1 * rng.standard_normal((23 * 44100, 2))).astype(np.float32), 44100)
    whole = load_audio(path, RATE).samples
    spans = window_spans(len(whole), 4 * RATE, 2 * RATE)
    streamed = list(iter_windows(path, RATE, 4.0, 2.0, block_frames=10000))
    assert [(round(a * RATE), round(b * RATE)) for a, b, _ in streamed] == spans
    for (start, end), (_, _, samples) in zip(spans, streamed, strict=True):
        assert np.allclose(samples, whole[start:end], atol=1e-4)


def test_long_recording_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Ten minutes at 8 kHz (77 MB as float32 at 32 kHz) stream through a few MB."""
    path = tmp_path / "ten-minutes.wav"
    rng = np.random.default_rng(3)
    with sf.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as out:
        for _ in range(60):
            out.write((0.1 * rng.standard_normal(80000)).astype(np.float32))
    tracemalloc.start()
    ends = []
    try:
        for _start, end, samples in iter_windows(path, RATE, 10.0, 5.0):
            assert len(samples) == 10 * RATE
            ends.append(end)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(ends) == 119 and ends[-1] == pytest.approx(600.0)
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"

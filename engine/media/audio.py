"""Audio decoding: any file libsndfile reads -> mono float32 at the model's rate, in blocks.

libsndfile (through soundfile) reads WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3 here; what it
cannot read and FFmpeg can (M4A/AAC, and the sound of MP4, MOV, MKV, WebM and AVI videos) is
chosen by the file's first bytes and decoded through PyAV (:mod:`engine.media.video`). soxr
resamples both block by block, so a two-hour recording never sits in memory at its original
rate, and :func:`iter_windows` hands out model windows without holding more than a window and
a block.

Damage policy: a file that yields no audio raises :class:`MediaError`. A file that breaks part
way (a cut-off FLAC, a WAV whose header promises more than it holds) keeps the audio that did
decode: :func:`load_audio` returns it with ``damage`` set, and :func:`iter_windows` yields every
window it could build and then raises :class:`TruncatedAudioError`, so callers can keep or
drop what they got and record the reason either way.

Memory: :func:`load_audio` holds the whole file (230 MB an hour at 16 kHz), so callers that
meet recordings of any length give it ``max_seconds`` and stream the longer ones in
:func:`pieces`, cutting model windows with a :class:`Windower`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from numpy.typing import NDArray

from engine.media.errors import MediaError
from engine.media.kinds import Decoder, read_head, regular_size, shown, sniff

# Frames read per block at the file's own rate: ~1.4 s at 48 kHz, a few hundred kB at 8 channels.
BLOCK_FRAMES = 1 << 16
# After a decode error, the failed block is read again in pieces this small.
_SALVAGE_FRAMES = 1024

Samples = NDArray[np.float32]


class TruncatedAudioError(MediaError):
    """The file ended or broke before its header said it would; ``decoded_seconds`` did decode."""

    def __init__(self, message: str, decoded_seconds: float) -> None:
        super().__init__(message)
        self.decoded_seconds = decoded_seconds


class LongAudioError(MediaError):
    """The file holds more sound than the caller would hold in memory: stream it instead
    (:func:`mono_blocks`, :func:`iter_windows`)."""

    def __init__(self, path: Path, seconds: float, limit: float) -> None:
        super().__init__(f"{shown(path)}: {seconds:.0f} s or more of sound, past {limit:.0f} s")
        self.seconds = seconds


@dataclass(frozen=True)
class AudioInfo:
    """What the header says, read without decoding."""

    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples at ``sample_rate``, and what the file was before conversion."""

    samples: Samples
    sample_rate: int
    original_rate: int
    original_channels: int
    damage: str | None = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def _open(path: Path) -> sf.SoundFile:
    # Not a bare stat: a FIFO would block the open forever, a folder would fail obscurely.
    regular_size(path)
    try:
        # Bytes, not str: soundfile encodes a str name strictly and fails on non-UTF-8 names.
        sound = sf.SoundFile(os.fsencode(path))
    except (sf.SoundFileError, RuntimeError, TypeError) as error:
        raise MediaError(f"{shown(path)}: not a readable audio file ({error})") from error
    if sound.samplerate <= 0 or sound.channels <= 0:
        sound.close()
        raise MediaError(f"{shown(path)}: header gives {sound.samplerate} Hz, {sound.channels} ch")
    if sound.frames == 0:
        sound.close()
        raise MediaError(f"{shown(path)}: holds no audio samples (0 frames)")
    return sound


def _needs_ffmpeg(path: Path) -> bool:
    """Whether the file's bytes are a container libsndfile cannot read (M4A, AAC, a video)."""
    found = sniff(read_head(path))
    return found is not None and found.decoder == Decoder.PYAV


def _header_damage(sound: sf.SoundFile, path: Path) -> str | None:
    # libsndfile quietly shortens a WAV whose chunk sizes exceed the file, and an Ogg stream cut
    # inside a page; its log says so, and the person should hear of it.
    log = sound.extra_info
    if "should be" in log or "Junk after the last page" in log:
        return f"{shown(path)}: truncated, the file holds less audio than its header promises"
    return None


def _seek(sound: sf.SoundFile, frame: int) -> bool:
    try:
        sound.seek(frame)
    except (sf.SoundFileError, RuntimeError):
        return False
    return True


def probe(path: Path) -> AudioInfo:
    """Header facts, or :class:`MediaError` for a file that is not audio."""
    if _needs_ffmpeg(path):
        from engine.media.video import probe_audio  # video.py builds on this module

        return probe_audio(path)
    with _open(path) as sound:
        return AudioInfo(
            sound.samplerate, sound.channels, sound.frames, sound.format, sound.subtype
        )


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Mono samples from one rate to another (soxr, high quality); at least one sample out."""
    mono = np.ascontiguousarray(samples, dtype=np.float32)
    if from_rate == to_rate or len(mono) == 0:
        return mono
    out = np.asarray(soxr.resample(mono, from_rate, to_rate), dtype=np.float32)
    return out if len(out) else mono[:1]


def mono_blocks(path: Path, sample_rate: int, block_frames: int) -> Iterator[Samples]:
    """Mono blocks at ``sample_rate``; raises :class:`TruncatedAudioError` at a break."""
    if _needs_ffmpeg(path):
        from engine.media.video import audio_blocks, probe_audio  # video.py builds on this

        info = probe_audio(path)
        native = audio_blocks(path, info.sample_rate)
        yield from _resampled(native, info.sample_rate, sample_rate)
        return
    with _open(path) as sound:
        native = _sndfile_blocks(sound, path, block_frames)
        yield from _resampled(native, sound.samplerate, sample_rate)


def _sndfile_blocks(sound: sf.SoundFile, path: Path, block_frames: int) -> Iterator[Samples]:
    """Mono blocks at the file's own rate; raises :class:`TruncatedAudioError` at a break."""
    read = 0
    damage: str | None = None
    size = block_frames
    reopened: sf.SoundFile | None = None
    try:
        while True:
            try:
                block = sound.read(size, dtype="float32", always_2d=True)
            except (sf.SoundFileError, RuntimeError) as error:
                if size > _SALVAGE_FRAMES:
                    # Re-read the failed block in small pieces to keep what precedes the break;
                    # a FLAC decoder that broke cannot seek back, so a fresh one is opened.
                    salvage = sound if _seek(sound, read) else _reopen_at(path, read)
                    if salvage is not None:
                        reopened = salvage if salvage is not sound else reopened
                        sound, size = salvage, _SALVAGE_FRAMES
                        continue
                damage = (
                    f"{shown(path)}: corrupt or truncated after {read / sound.samplerate:.2f} s"
                )
                damage += f" ({error})"
                break
            if len(block) == 0:
                break
            # Channels are averaged: a stereo or 8-channel recording is one scene to the model.
            mono = block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]
            read += len(mono)
            yield np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0)
        damage = damage or _header_damage(sound, path)
    finally:
        if reopened is not None:
            reopened.close()
    if damage is not None:
        raise TruncatedAudioError(damage, read / sound.samplerate)


def _reopen_at(path: Path, frame: int) -> sf.SoundFile | None:
    """The file opened afresh at ``frame``, or ``None`` when that fails too."""
    try:
        sound = sf.SoundFile(os.fsencode(path))
    except (sf.SoundFileError, RuntimeError):
        return None
    if _seek(sound, frame):
        return sound
    sound.close()
    return None


def _resampled(blocks: Iterator[Samples], from_rate: int, to_rate: int) -> Iterator[Samples]:
    """Mono blocks at ``from_rate`` -> at ``to_rate``, streaming; a break in ``blocks``
    (:class:`TruncatedAudioError`) is raised again after the resampler's tail is out."""
    stream = (
        soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32")
        if from_rate != to_rate
        else None
    )
    produced = 0
    first: float | None = None
    failure: TruncatedAudioError | None = None
    try:
        for mono in blocks:
            if first is None and len(mono):
                first = float(mono[0])
            out = stream.resample_chunk(mono) if stream is not None else mono
            if len(out):
                produced += len(out)
                yield np.asarray(out, dtype=np.float32)
    except TruncatedAudioError as error:
        failure = error
    if stream is not None:
        tail = np.asarray(stream.resample_chunk(np.zeros(0, np.float32), last=True), np.float32)
        # A file shorter than one output sample still yields one sample, not nothing.
        if produced == 0 and len(tail) == 0 and first is not None:
            tail = np.array([first], dtype=np.float32)
        if len(tail):
            produced += len(tail)
            yield tail
    if failure is not None:
        # Said in the samples handed out, so it matches the ends of the windows built from them.
        failure.decoded_seconds = produced / to_rate
        raise failure


def load_audio(
    path: Path,
    sample_rate: int,
    block_frames: int = BLOCK_FRAMES,
    max_seconds: float | None = None,
) -> DecodedAudio:
    """The whole file as mono float32 at ``sample_rate``.

    Raises :class:`MediaError` with the reason when nothing decodes; a file that breaks part way
    comes back with what decoded and ``damage`` saying why it stopped. With ``max_seconds``, a
    file that states or holds more than that raises :class:`LongAudioError` instead of being
    held whole (the header alone is not trusted: decoding stops once past the limit).
    """
    info = probe(path)
    if max_seconds is not None and info.duration > max_seconds:
        raise LongAudioError(path, info.duration, max_seconds)
    limit = None if max_seconds is None else round(max_seconds * sample_rate)
    blocks: list[Samples] = []
    held = 0
    damage: str | None = None
    try:
        for block in mono_blocks(path, sample_rate, block_frames):
            blocks.append(block)
            held += len(block)
            if limit is not None and held > limit:
                raise LongAudioError(path, held / sample_rate, max_seconds or 0.0)
    except TruncatedAudioError as error:
        damage = str(error)
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if len(samples) == 0:
        raise MediaError(damage or f"{shown(path)}: no audio could be decoded")
    return DecodedAudio(samples, sample_rate, info.sample_rate, info.channels, damage)


def _window_frames(sample_rate: int, window_s: float, hop_s: float) -> tuple[int, int]:
    if window_s <= 0 or hop_s <= 0:
        raise ValueError(f"window and hop must be positive, got {window_s} s and {hop_s} s")
    return max(1, round(window_s * sample_rate)), max(1, round(hop_s * sample_rate))


def window_spans(total: int, window: int, hop: int) -> list[tuple[int, int]]:
    """Sample spans [start, end) that cover ``total`` samples.

    Windows start every ``hop``; when the last regular window stops short of the end, one more
    window is aligned to the end so that every window has full length (a batch needs equal
    lengths, and a tail padded with silence would dilute its embedding). A clip shorter than one
    window is one window of its own length.
    """
    if total <= 0:
        return []
    if total <= window:
        return [(0, total)]
    spans = [(start, start + window) for start in range(0, total - window + 1, hop)]
    if spans[-1][1] < total:
        spans.append((total - window, total))
    return spans


Window = tuple[float, float, Samples]  # (start_s, end_s, samples)


class Windower:
    """Cuts mono blocks, pushed in order, into the windows :func:`window_spans` gives for the
    whole stream, holding no more than a window beside the block pushed.

    Each :meth:`push` gives the windows that end within what has come so far; :meth:`close`
    gives the last one, aligned to the end (or the whole clip when it is shorter than a window).
    """

    def __init__(self, sample_rate: int, window_s: float, hop_s: float) -> None:
        self.sample_rate = sample_rate
        self._window, self._hop = _window_frames(sample_rate, window_s, hop_s)
        self._buffer = np.zeros(0, np.float32)
        self._offset = 0  # absolute index of buffer[0]
        self._next_start = 0
        self._last_end = 0

    def push(self, block: Samples) -> list[Window]:
        window = self._window
        self._buffer = np.concatenate([self._buffer, block])
        windows = []
        while self._next_start + window <= self._offset + len(self._buffer):
            local = self._next_start - self._offset
            samples = self._buffer[local : local + window]
            windows.append(_window(self._next_start, window, samples, self.sample_rate))
            self._last_end = self._next_start + window
            # Keep from this window's start on: the end-aligned last window may reach back.
            self._buffer = self._buffer[local:]
            self._offset = self._next_start
            self._next_start += self._hop
        return windows

    def close(self) -> list[Window]:
        total = self._offset + len(self._buffer)
        if self._last_end == 0 and total > 0:
            return [_window(0, total, self._buffer, self.sample_rate)]
        if self._last_end < total:
            tail = self._buffer[len(self._buffer) - self._window :]
            return [_window(total - self._window, self._window, tail, self.sample_rate)]
        return []


def iter_windows(
    path: Path,
    sample_rate: int,
    window_s: float,
    hop_s: float,
    block_frames: int = BLOCK_FRAMES,
) -> Iterator[Window]:
    """Stream ``(start_s, end_s, samples)`` windows of a file, the same spans that
    :func:`window_spans` gives for the whole decoded file, holding about one window in memory.

    A file that breaks part way yields the windows of what decoded, then raises
    :class:`TruncatedAudioError`.
    """
    windower = Windower(sample_rate, window_s, hop_s)
    failure: TruncatedAudioError | None = None
    try:
        for block in mono_blocks(path, sample_rate, block_frames):
            yield from windower.push(block)
    except TruncatedAudioError as error:
        failure = error
    yield from windower.close()
    if failure is not None:
        raise failure


def pieces(blocks: Iterable[Samples], size: int) -> Iterator[Samples]:
    """``blocks`` gathered into pieces of ``size`` samples or a little more (the last may be
    shorter), so that a long recording is handed on a few minutes at a time. A
    :class:`TruncatedAudioError` from ``blocks`` is raised again after the piece that holds
    what decoded before it."""
    held: list[Samples] = []
    count = 0
    try:
        for block in blocks:
            held.append(block)
            count += len(block)
            if count >= size:
                yield np.concatenate(held)
                held, count = [], 0
    except TruncatedAudioError:
        if held:
            yield np.concatenate(held)
        raise
    if held:
        yield np.concatenate(held)


def _window(start: int, length: int, samples: Samples, sample_rate: int) -> Window:
    return start / sample_rate, (start + length) / sample_rate, np.ascontiguousarray(samples)

"""Small pictures of media for a results grid: a photo's thumbnail, a video's frame at a time,
the waveform of a recording.

Everything decodes through the engine's own decoders (:mod:`engine.media.images`,
:mod:`engine.media.video`, :mod:`engine.media.audio`), so a preview honours what indexing
honours: EXIF orientation, the rotation of phone videos, the pixel limits against decompression
bombs, and every format those modules read. Each function raises :class:`MediaError` for a file
it cannot show; nothing here is fatal.

:func:`waveform_peaks` streams: a two-hour recording is read block by block at its own rate
(no resampling) and only a few thousand chunk peaks are kept, never the samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# The decoders' own helpers, reused rather than copied.
from engine.media.audio import TruncatedAudioError, mono_blocks, probe
from engine.media.errors import MediaError
from engine.media.images import DEFAULT_MAX_PIXELS, load_cutout, load_image
from engine.media.kinds import shown
from engine.media.video import (
    ROTATIONS,
    av_errors,
    check_frame_size,
    display_size,
    open_container,
    video_stream,
)

if TYPE_CHECKING:  # PyAV itself is imported by the video module, where a file is opened
    from av.container import InputContainer
    from av.packet import Packet
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

WAVEFORM_BINS = 160
# Chunks kept per bin while streaming: enough to re-bin without visible steps, few in all.
_CHUNKS_PER_BIN = 8
# Chunk length when the header gives no length: 10 ms.
_CHUNKS_PER_SECOND = 100
# Containers whose index makes a seek land on the keyframe asked for (others are read through).
_SEEKABLE = ("mov", "matroska", "avi")


def photo_thumbnail(path: Path, max_side: int, alpha: bool = False) -> Image.Image:
    """An upright RGB thumbnail whose longer side is at most ``max_side`` pixels.

    JPEGs decode at a reduced scale near that size; transparency is flattened as for the models,
    or kept (RGBA) with ``alpha``: a screen shows a cut-out as one.
    """
    if max_side <= 0:
        raise ValueError(f"max_side must be positive, got {max_side}")
    image = load_cutout(path, max_side) if alpha else load_image(path, min_side=max_side)
    image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return image


# --- video -------------------------------------------------------------------------------------


def video_frame(
    path: Path, seconds: float, max_side: int, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """The keyframe at or before ``seconds`` (the first keyframe when none precedes it), upright,
    with square pixels, scaled so its longer side is at most ``max_side``.

    Only that keyframe is decoded: the container seeks to it where its index allows, else the
    packets before it are read without decoding. Raises :class:`MediaError` for a file without
    pictures or that cannot be read, :class:`ImageTooLargeError` past ``max_pixels``.
    """
    if max_side <= 0:
        raise ValueError(f"max_side must be positive, got {max_side}")
    with open_container(path) as container:
        stream = video_stream(container)
        if stream is None:
            raise MediaError(f"{shown(path)}: holds no pictures (sound only)")
        context = stream.codec_context
        check_frame_size(path, stream, max_pixels)
        context.skip_frame = "NONKEY"
        time_base = stream.time_base or Fraction(1, 1)
        target = (stream.start_time or 0) + math.floor(max(0.0, seconds) / time_base)
        _seek_before(container, stream, target)
        packet = _keyframe_before(_packets(container, stream, path), target)
        if packet is None:
            raise MediaError(f"{shown(path)}: no keyframe found")
        return _picture(_decode(packet, stream, path), stream, max_side)


def _seek_before(container: InputContainer, stream: VideoStream, target: int) -> None:
    """Seek to the keyframe at or before ``target`` where that is reliable; a failed seek leaves
    the container at its start, which reading through copes with."""
    if container.format.name.split(",")[0] not in _SEEKABLE:
        return
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
    except av_errors():
        return
    stream.codec_context.flush_buffers()


def _packets(container: InputContainer, stream: VideoStream, path: Path) -> Iterator[Packet]:
    try:
        yield from container.demux(stream)
    except av_errors() as error:
        raise MediaError(f"{shown(path)}: corrupt video ({error})") from error


def _keyframe_before(packets: Iterator[Packet], target: int) -> Packet | None:
    """The last keyframe packet at or before ``target`` (stream time), else the first after."""
    chosen: Packet | None = None
    for packet in packets:
        if packet.pts is None or packet.size == 0:
            continue
        if packet.is_keyframe and packet.pts <= target:
            chosen = packet
            continue
        # Decode order: once a packet decodes after the target, no keyframe before it follows.
        order = packet.dts if packet.dts is not None else packet.pts
        if order > target and (chosen is not None or packet.is_keyframe):
            return chosen or packet
    return chosen


def _decode(packet: Packet, stream: VideoStream, path: Path) -> VideoFrame:
    context = stream.codec_context
    try:
        # A keyframe decodes on its own; draining hands out a frame a threaded decoder holds.
        frames = context.decode(packet) or context.decode(None)
    except av_errors() as error:
        raise MediaError(f"{shown(path)}: corrupt video frame ({error})") from error
    if not frames:
        raise MediaError(f"{shown(path)}: the keyframe decoded to no picture")
    return frames[0]


def _picture(frame: VideoFrame, stream: VideoStream, max_side: int) -> Image.Image:
    width, height = display_size(frame, stream)
    scale = min(1.0, max_side / max(width, height))
    image = frame.to_image(
        width=max(1, round(width * scale)),
        height=max(1, round(height * scale)),
        interpolation="AREA",
    )
    turn = ROTATIONS.get(frame.rotation % 360)
    return image.transpose(turn) if turn is not None else image


# --- audio -------------------------------------------------------------------------------------


def media_seconds(path: Path) -> float:
    """The length the header of a recording (or a video's sound) states, 0.0 when it states none;
    :class:`MediaError` for a file without sound."""
    return probe(path).duration


def waveform_peaks(path: Path, bins: int = WAVEFORM_BINS) -> NDArray[np.float32]:
    """The loudest sample of each of ``bins`` equal stretches of the whole file, 0..1, float32.

    Channels are averaged first. A file that breaks part way keeps the peaks of what decoded,
    and the stretches its header promised beyond the break read as silence. Raises
    :class:`MediaError` when nothing decodes.
    """
    if bins <= 0:
        raise ValueError(f"bins must be positive, got {bins}")
    info = probe(path)
    if info.frames > 0:
        chunk = max(1, info.frames // (bins * _CHUNKS_PER_BIN))
    else:
        chunk = max(1, info.sample_rate // _CHUNKS_PER_SECOND)
    peaks = _ChunkPeaks(chunk)
    try:
        # At the file's own rate: no resampling, and a peak is a sample the file holds.
        for block in mono_blocks(path, info.sample_rate, 1 << 16):
            peaks.add(block)
    except TruncatedAudioError:
        pass  # keep what decoded; the rest stays flat, which shows where the file broke
    chunks = peaks.finish()
    if len(chunks) == 0:
        raise MediaError(f"{shown(path)}: no audio could be decoded")
    promised = -(-info.frames // chunk)
    if len(chunks) < promised:
        chunks = np.concatenate([chunks, np.zeros(promised - len(chunks), np.float32)])
    return _rebinned(chunks, bins)


class _ChunkPeaks:
    """Peaks of fixed-length chunks of a stream of blocks, keeping no samples between blocks."""

    def __init__(self, chunk: int) -> None:
        self._chunk = chunk
        self._done: list[NDArray[np.float32]] = []
        self._open_peak = 0.0
        self._open_count = 0

    def add(self, block: NDArray[np.float32]) -> None:
        loud = np.abs(block)
        start = 0
        if self._open_count:
            start = min(self._chunk - self._open_count, len(loud))
            if start:
                self._open_peak = max(self._open_peak, float(loud[:start].max()))
            self._open_count += start
            if self._open_count == self._chunk:
                self._close()
        whole = (len(loud) - start) // self._chunk * self._chunk
        if whole:
            self._done.append(loud[start : start + whole].reshape(-1, self._chunk).max(axis=1))
        tail = loud[start + whole :]
        if len(tail):
            self._open_peak, self._open_count = float(tail.max()), len(tail)

    def _close(self) -> None:
        self._done.append(np.array([self._open_peak], np.float32))
        self._open_peak, self._open_count = 0.0, 0

    def finish(self) -> NDArray[np.float32]:
        if self._open_count:
            self._close()
        if not self._done:
            return np.zeros(0, np.float32)
        return np.minimum(np.concatenate(self._done), 1.0).astype(np.float32)


def _rebinned(chunks: NDArray[np.float32], bins: int) -> NDArray[np.float32]:
    """The maximum over each of ``bins`` equal runs of chunks; with fewer chunks than bins, each
    bin takes the chunk it falls in."""
    starts = (np.arange(bins) * len(chunks)) // bins
    # reduceat takes the element alone where a start repeats: what a short file needs.
    return np.maximum.reduceat(chunks, starts).astype(np.float32)

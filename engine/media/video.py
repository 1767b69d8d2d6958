"""Video and FFmpeg-only audio decoding through PyAV: keyframes at an interval, and sound tracks.

Only what is needed is decoded: :func:`keyframes` hands the decoder nothing but keyframe packets
at or after each due time (a keyframe decodes on its own), and past a long interval it seeks
instead of reading on, so a two-hour film costs about one decoded picture per frame returned.
Frames come back upright (the display-matrix rotation of phone videos is applied), with square
pixels, scaled so the shorter side is ``min_side``.

The sound of a video, and M4A/AAC files that libsndfile cannot read, are decoded here to mono
blocks at the stream's own rate; :mod:`engine.media.audio` resamples them, so
:func:`~engine.media.audio.load_audio` and :func:`~engine.media.audio.iter_windows` take videos
and M4A files as they take a WAV. Which files come here is decided by their first bytes
(:mod:`engine.media.kinds`), and the demuxer is forced from that, so FFmpeg never probes a file
into a playlist or any format that would open other files or the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from engine.media.audio import AudioInfo, Samples, TruncatedAudioError, load_audio, resample
from engine.media.errors import MediaError
from engine.media.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIDE, ImageTooLargeError
from engine.media.kinds import Decoder, describe, format_of, read_head, shown, sniff

if TYPE_CHECKING:  # PyAV itself is imported where a file is opened: a search needs none of it
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from av.packet import Packet
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

# Past this interval between frames, seeking to the next due time beats reading packets on.
SEEK_AFTER_S = 4.0
# A file whose packets fail this many times in a row is garbage from there on.
MAX_BAD_PACKETS = 32
# Decoded sound this much shorter than the stream's stated length means the file was cut.
_SHORT_BY_S = 0.5
# Video packets ending this long before the stated length (> one frame of any sane rate) too.
_CUT_BY_S = 1.0
_INT_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2.0**31, "s64": 2.0**63}
ROTATIONS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def av_errors() -> tuple[type[Exception], ...]:
    """What PyAV raises for a bad file (for ``except``, which evaluates it only on an error)."""
    import av

    return (av.error.FFmpegError, OSError, ValueError)


class TruncatedVideoError(MediaError):
    """The video broke part way; ``frames`` frames were returned before the break."""

    def __init__(self, message: str, frames: int) -> None:
        super().__init__(message)
        self.frames = frames


@dataclass(frozen=True)
class VideoInfo:
    """What the container says, read without decoding a picture."""

    container: str
    duration: float | None
    width: int  # as stored (before rotation); 0 when the file has no video stream
    height: int
    video_codec: str | None
    audio_codec: str | None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def _reason(error: BaseException) -> str:
    # PyAV's str() repeats the "file:" URL; the reason alone is what a person needs.
    return str(getattr(error, "strerror", None) or error)


@contextmanager
def open_container(path: Path) -> Iterator[InputContainer]:
    head = read_head(path)  # regular, readable, non-empty: else MediaError
    named = format_of(path)
    found = sniff(head, named.kind if named else None)
    if found is None or found.decoder != Decoder.PYAV:
        what = f"{found.name} data" if found else describe(head)
        raise MediaError(f"{shown(path)}: not a video or M4A/AAC file: the file holds {what}")
    import av

    try:
        container = av.open(
            f"file:{path}",
            format=found.demuxer,
            options={"protocol_whitelist": "file"},
            metadata_errors="replace",
        )
    except av_errors() as error:
        raise MediaError(
            f"{shown(path)}: not a readable {found.name} file ({_reason(error)})"
        ) from error
    try:
        yield container
    finally:
        container.close()


def _seconds(stream: VideoStream | AudioStream, value: int | None) -> float | None:
    if value is None or stream.time_base is None:
        return None
    return float(value * stream.time_base)


def _duration(container: InputContainer, stream: VideoStream | AudioStream) -> float | None:
    import av

    seconds = _seconds(stream, stream.duration)
    if seconds is None and container.duration is not None:
        seconds = container.duration / av.time_base
    return seconds if seconds is not None and seconds > 0 else None


def video_stream(container: InputContainer) -> VideoStream | None:
    # Cover art in MP4 and MKV is a one-picture "video" stream: not the film.
    streams = [s for s in container.streams.video if not _is_attached_picture(s)]
    return streams[0] if streams else None


def check_frame_size(path: Path, stream: VideoStream, max_pixels: int) -> None:
    """Refuse a video whose frames are too large to decode safely (a decompression bomb)."""
    context = stream.codec_context
    if context.width * context.height > max_pixels:
        raise ImageTooLargeError(
            f"{shown(path)}: video frames too large to decode safely: "
            f"{context.width}x{context.height} pixels (limit {max_pixels / 1e6:.0f} MP)"
        )


def _is_attached_picture(stream: VideoStream) -> bool:
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _audio_stream(container: InputContainer) -> AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def probe_video(path: Path) -> VideoInfo:
    """Container facts, or :class:`MediaError` for a file FFmpeg cannot open."""
    with open_container(path) as container:
        video = video_stream(container)
        audio = _audio_stream(container)
        timed = video or audio
        duration = _duration(container, timed) if timed is not None else None
        width = height = 0
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
        return VideoInfo(
            container.format.name,
            duration,
            width,
            height,
            video.codec_context.name if video is not None else None,
            audio.codec_context.name if audio is not None else None,
        )


def keyframes(
    path: Path,
    every_seconds: float,
    max_frames: int,
    min_side: int = DEFAULT_MIN_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Iterator[tuple[float, Image.Image]]:
    """Upright RGB frames ``(time_s, image)``: the first keyframe at or after 0 s, then the first
    keyframe at least ``every_seconds`` after the last one returned, at most ``max_frames`` in
    all; a video longer than ``every_seconds * max_frames`` is spread evenly instead.

    Frames are scaled so the shorter side is ``min_side`` (0 keeps full size). A file without a
    video stream (sound only, in an MP4) yields nothing. Raises :class:`MediaError` when the file
    cannot be opened or its pictures exceed ``max_pixels``; a video that breaks part way yields
    the frames before the break and then raises :class:`TruncatedVideoError`.
    """
    if every_seconds <= 0 or max_frames <= 0:
        raise ValueError(
            f"need a positive interval and frame count, got {every_seconds}, {max_frames}"
        )
    with open_container(path) as container:
        stream = video_stream(container)
        if stream is None:
            return
        context = stream.codec_context
        check_frame_size(path, stream, max_pixels)
        # The decoder drops anything but keyframes, should a non-key packet reach it.
        context.skip_frame = "NONKEY"
        duration = _duration(container, stream)
        step = max(every_seconds, duration / max_frames) if duration else every_seconds
        reader = _KeyframeReader(path, container, stream, step, max_frames, min_side, duration)
        yield from reader.frames()


class _KeyframeReader:
    """The state of one pass over a video's keyframes."""

    def __init__(
        self,
        path: Path,
        container: InputContainer,
        stream: VideoStream,
        step: float,
        max_frames: int,
        min_side: int,
        duration: float | None,
    ) -> None:
        self.path = path
        self.duration = duration
        self.last_packet = 0.0  # where the latest packet read ends, key or not
        self.container = container
        self.stream = stream
        self.step = step
        self.max_frames = max_frames
        self.min_side = min_side
        self.start = stream.start_time or 0
        self.time_base = stream.time_base or Fraction(1, 1)
        self.returned = 0
        self.bad_packets = 0
        self.damage: str | None = None
        self.can_seek = container.format.name.split(",")[0] in ("mov", "matroska", "avi")

    def frames(self) -> Iterator[tuple[float, Image.Image]]:
        due = 0.0
        packets = self._packets()
        while self.returned < self.max_frames:
            packet = next(packets, None)
            if packet is None:
                self._check_length()
                break
            if packet.pts is not None:
                # Its end, not its start: a slideshow's last picture may last a minute.
                lasts = float((packet.duration or 0) * self.time_base)
                self.last_packet = max(self.last_packet, self._time(packet.pts) + lasts)
            if not packet.is_keyframe or packet.pts is None or self._time(packet.pts) < due:
                continue
            frame = self._decode(packet)
            if frame is None:
                continue
            seconds = self._time(frame.pts if frame.pts is not None else packet.pts)
            yield seconds, self._picture(frame)
            self.returned += 1
            due = max(seconds, due) + self.step
            if self.can_seek and self.step >= SEEK_AFTER_S:
                packets = self._seek(due) or packets
        if self.damage is not None:
            if self.returned == 0:
                raise MediaError(self.damage)
            raise TruncatedVideoError(self.damage, self.returned)

    def _check_length(self) -> None:
        """At the end of the packets: a stream that stops well short of its stated length was
        cut (demuxers meet the end of a cut file as a normal end)."""
        if self.damage is None and self.duration and self.last_packet < self.duration - _CUT_BY_S:
            self.damage = (
                f"{shown(self.path)}: truncated, the video stops at {self.last_packet:.1f} s "
                f"of the {self.duration:.1f} s it states"
            )

    def _time(self, pts: int) -> float:
        return max(0.0, float((pts - self.start) * self.time_base))

    def _packets(self) -> Iterator[Packet]:
        demuxer = self.container.demux(self.stream)
        while True:
            try:
                packet = next(demuxer)
            except StopIteration:
                return
            except av_errors() as error:
                self._broke(error)
                return
            yield packet

    def _seek(self, due: float) -> Iterator[Packet] | None:
        """Packets from the keyframe at or before ``due``; ``None`` (read on) if seeking fails."""
        target = self.start + math.floor(due / self.time_base)
        try:
            self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
        except av_errors():
            self.can_seek = False
            return None
        self.stream.codec_context.flush_buffers()
        return self._packets()

    def _decode(self, packet: Packet) -> VideoFrame | None:
        """The picture of one keyframe packet, draining the decoder's delay so that the next
        keyframe (perhaps after a seek) starts clean; ``None`` when the packet is damaged."""
        context = self.stream.codec_context
        try:
            frames = context.decode(packet) or context.decode(None)
        except av_errors() as error:
            self.bad_packets += 1
            self._broke(error)
            frames = []
        context.flush_buffers()
        return frames[0] if frames else None

    def _broke(self, error: BaseException) -> None:
        at = f"{self.returned} frame{'s' if self.returned != 1 else ''}"
        self.damage = (
            f"{shown(self.path)}: corrupt or truncated video after {at} ({_reason(error)})"
        )

    def _picture(self, frame: VideoFrame) -> Image.Image:
        width, height = display_size(frame, self.stream)
        if self.min_side > 0 and min(width, height) > self.min_side:
            scale = self.min_side / min(width, height)
            width, height = max(1, round(width * scale)), max(1, round(height * scale))
        image = frame.to_image(width=width, height=height, interpolation="AREA")
        turn = ROTATIONS.get(frame.rotation % 360)
        return image.transpose(turn) if turn is not None else image


def display_size(frame: VideoFrame, stream: VideoStream) -> tuple[int, int]:
    """Width and height with square pixels (anamorphic video is stored squeezed)."""
    aspect = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if aspect is not None and aspect > 0 and aspect != 1:
        return max(1, round(frame.width * aspect)), frame.height
    return frame.width, frame.height


# --- sound -------------------------------------------------------------------------------------


def audio_track(path: Path, sample_rate: int) -> Samples | None:
    """A video's sound as mono float32 at ``sample_rate``, or ``None`` when it has none.

    A track that breaks part way comes back with what decoded; use
    :func:`~engine.media.audio.load_audio` for the reason, or
    :func:`~engine.media.audio.iter_windows` to stream it.
    """
    if not probe_video(path).has_audio:
        return None
    return load_audio(path, sample_rate).samples


def probe_audio(path: Path) -> AudioInfo:
    """The first sound stream's facts, or :class:`MediaError` when there is none."""
    with open_container(path) as container:
        stream = _required_audio(container, path)
        context = stream.codec_context
        rate, channels = context.sample_rate, context.channels
        if rate <= 0 or channels <= 0:
            raise MediaError(f"{shown(path)}: sound stream gives {rate} Hz, {channels} ch")
        duration = _duration(container, stream)
        frames = round(duration * rate) if duration else 0
        return AudioInfo(rate, channels, frames, container.format.name, context.name)


def _required_audio(container: InputContainer, path: Path) -> AudioStream:
    stream = _audio_stream(container)
    if stream is None:
        raise MediaError(f"{shown(path)}: holds no sound stream")
    return stream


def audio_blocks(path: Path, sample_rate: int) -> Iterator[Samples]:
    """The first sound stream as mono float32 blocks at ``sample_rate`` (the stream's own rate
    from :func:`probe_audio`; a frame at another rate is resampled to it).

    Damaged packets are skipped; a file that breaks or ends early raises
    :class:`TruncatedAudioError` after the blocks that decoded.
    """
    import av

    with open_container(path) as container:
        stream = _required_audio(container, path)
        stated = _duration(container, stream)
        decoded = 0
        damage: str | None = None
        bad_in_a_row = 0
        demuxer = container.demux(stream)
        while bad_in_a_row < MAX_BAD_PACKETS:
            try:
                packet = next(demuxer)
                frames = stream.decode(packet)
                bad_in_a_row = 0
            except StopIteration:
                break
            except av_errors() as error:
                bad_in_a_row += 1
                damage = damage or (
                    f"{shown(path)}: corrupt sound after {decoded / sample_rate:.2f} s "
                    f"({_reason(error)})"
                )
                if isinstance(error, av.error.EOFError):
                    break
                continue
            for frame in frames:
                mono = _mono(frame)
                if frame.sample_rate != sample_rate:
                    mono = resample(mono, frame.sample_rate, sample_rate)
                decoded += len(mono)
                yield mono
        seconds = decoded / sample_rate
        if damage is None and stated is not None and seconds < stated - _SHORT_BY_S:
            damage = (
                f"{shown(path)}: truncated, {seconds:.2f} s of sound decoded where the file "
                f"states {stated:.2f} s"
            )
        if damage is not None:
            raise TruncatedAudioError(damage, seconds)


def _mono(frame: AudioFrame) -> Samples:
    """One frame's samples averaged over channels, float32 in [-1, 1]."""
    values = frame.to_ndarray()
    channels = frame.layout.nb_channels
    # Planar formats come as (channels, n); packed ones interleaved as (1, n * channels).
    per_channel = values if frame.format.is_planar else values.reshape(-1, channels).T
    name = frame.format.name.rstrip("p")
    data = per_channel.astype(np.float32)
    if name == "u8":
        data -= 128.0
    if name in _INT_SCALE:
        data /= _INT_SCALE[name]
    mono = data.mean(axis=0, dtype=np.float32) if len(data) > 1 else data[0]
    return np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0)

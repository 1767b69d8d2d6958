"""Hostile inputs for every decoder, made on the fly in a folder, each with the outcome it must
meet.

    files = make_bad_files(folder)      # folder: empty, traversable by every user (see below)
    for bad in files:
        with bad.access():              # reads unreadable files as an unprivileged user under root
            ...decode bad.path as bad.kind; compare with bad.expected...

Outcomes: ``decodes`` (nothing wrong), ``damaged(reason)`` (what decoded is kept and the damage is
reported with ``reason`` in its message) and ``fails(reason)`` (a MediaError whose message holds
``reason``). Valid files sit beside the bad ones as controls, so a decoder that refuses everything
does not pass.

Permissions mean nothing to root, and tests here run as root: a file or folder made unreadable
with ``chmod 000`` is read inside :func:`unprivileged`, which sets the effective user to
``nobody`` for the duration (and does nothing for an ordinary user). That user must be able to
reach the folder, so it should not lie under a private temporary folder such as pytest's
``tmp_path`` (mode 700): use :func:`open_folder`.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from engine.catalog.records import FileKind

NOBODY = 65534
# Declared size of the decompression bomb: 10 gigapixels (30 GB as RGB) in a file of ~100 bytes.
BOMB_SIDE = 100_000


@dataclass(frozen=True)
class Outcome:
    decodes: bool
    reason: str | None = None  # in the MediaError's message, or in the damage report

    def __str__(self) -> str:
        if self.decodes:
            return f"damaged: {self.reason}" if self.reason else "decodes"
        return f"MediaError containing {self.reason!r}"


DECODES = Outcome(True)


def damaged(reason: str) -> Outcome:
    return Outcome(True, reason)


def fails(reason: str) -> Outcome:
    return Outcome(False, reason)


@dataclass(frozen=True)
class BadFile:
    case: str
    path: Path
    kind: FileKind
    expected: Outcome
    unprivileged: bool = False  # must be read without root's power over permissions
    text: str | None = field(default=None, compare=False)  # a note's expected text

    def access(self) -> AbstractContextManager[None]:
        return unprivileged() if self.unprivileged else nullcontext()

    def __str__(self) -> str:
        return self.case


@contextmanager
def unprivileged() -> Iterator[None]:
    """Run the body as user ``nobody`` when root (so permissions apply), else as is."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@contextmanager
def open_folder() -> Iterator[Path]:
    """A fresh folder that every user can reach (under the system temp folder, mode 755),
    removed afterwards even where a test left parts of it unreadable."""
    folder = Path(tempfile.mkdtemp(prefix="trove-badfiles-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        _open_up(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _open_up(folder: Path) -> None:
    """Make every folder below ``folder`` listable again (top down: a locked one hides its
    children until it is opened)."""
    for name in os.listdir(folder):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
            _open_up(path)


# --- good bytes to break ------------------------------------------------------------------------


def _photo(size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A picture with edges and noise, so that its JPEG has real entropy-coded data."""
    width, height = size
    rows = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    cols = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    noise = np.random.default_rng(7).integers(0, 40, (height, width), dtype=np.int16)
    red = (rows + noise) % 256
    green = (cols + noise) % 256
    blue = ((rows + cols) / 2 + (cols > width / 2) * 90) % 256
    return Image.fromarray(np.stack([red, green, blue], axis=2).astype(np.uint8))


def _encoded(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_bomb() -> bytes:
    """A valid PNG header declaring BOMB_SIDE x BOMB_SIDE RGB pixels, with one tiny IDAT."""
    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def _wav(samples: np.ndarray, rate: int, format: str = "WAV", subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=format, subtype=subtype)
    return buffer.getvalue()


def _tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = (0.4 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1) if channels > 1 else wave


def _ffmpeg_bytes(folder: Path, name: str, *args: str) -> bytes:
    """A small file made by ffmpeg (a test pattern and a tone), as bytes."""
    target = folder / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)],
        check=True,
        capture_output=True,
    )
    data = target.read_bytes()
    target.unlink()
    return data


def _mp4(folder: Path, faststart: bool) -> bytes:
    return _ffmpeg_bytes(
        folder,
        "base.mp4",
        *("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=4"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=4"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-shortest"),
        *(("-movflags", "+faststart") if faststart else ()),
    )


def _m4a(folder: Path) -> bytes:
    return _ffmpeg_bytes(
        folder, "base.m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac"
    )


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def _scrambled(data: bytes, start: int, length: int, seed: int = 3) -> bytes:
    noise = np.random.default_rng(seed).integers(0, 256, length, dtype=np.uint8).tobytes()
    return data[:start] + noise + data[start + length :]


# --- the cases ----------------------------------------------------------------------------------

NOTE_TEXT = "Pick up the bicycle from the repair shop on Friday.\n"


def make_bad_files(folder: Path) -> list[BadFile]:
    """Make every hostile (and control) file in ``folder``; see the module's notes on folders."""
    made: list[BadFile] = []

    def write(
        case: str,
        name: str | bytes,
        kind: FileKind,
        data: bytes,
        expected: Outcome,
        text: str | None = None,
        unprivileged: bool = False,
    ) -> Path:
        path = folder / os.fsdecode(name)
        path.write_bytes(data)
        made.append(BadFile(case, path, kind, expected, unprivileged, text))
        return path

    def special(
        case: str, name: str, kind: FileKind, expected: Outcome, make: Callable[[Path], None]
    ) -> None:
        path = folder / name
        make(path)
        made.append(BadFile(case, path, kind, expected))

    photo = _photo()
    jpeg, png = _encoded(photo, "JPEG"), _encoded(photo, "PNG")
    photos = FileKind.PHOTO
    write("jpeg-valid", "valid.jpg", photos, jpeg, DECODES)
    write("jpeg-truncated", "truncated.jpg", photos, _cut(jpeg, 0.5), fails("truncated"))
    write("jpeg-corrupt-header", "corrupt.jpg", photos, _scrambled(jpeg, 3, 300), fails("image"))
    write("jpeg-zero-bytes", "empty.jpg", photos, b"", fails("empty file (0 bytes)"))
    write("jpeg-holds-text", "text.jpg", photos, NOTE_TEXT.encode() * 20, fails("not a recognised"))
    write("png-truncated", "truncated.png", photos, _cut(png, 0.5), fails("truncated"))
    write("png-corrupt-data", "corrupt.png", photos, _scrambled(png, 200, 400), fails("corrupt"))
    write("png-zero-bytes", "empty.png", photos, b"", fails("empty file (0 bytes)"))
    write("png-decompression-bomb", "bomb.png", photos, _png_bomb(), fails("too large"))
    write("name-not-utf8", b"caf\xe9-\xff.jpg", photos, jpeg, DECODES)

    sounds = FileKind.AUDIO
    rate = 16_000
    wav = _wav(_tone(2.0, rate), rate)
    flac = _wav(_tone(3.0, 44_100, 2), 44_100, "FLAC", "PCM_16")
    write("wav-valid", "valid.wav", sounds, wav, DECODES)
    write("wav-zero-bytes", "empty.wav", sounds, b"", fails("empty file (0 bytes)"))
    write("wav-no-samples", "no-samples.wav", sounds, _wav(np.zeros(0, np.float32), rate),
          fails("no audio samples"))  # fmt: skip
    write("wav-one-sample", "one-sample.wav", sounds, _wav(np.array([0.5], np.float32), rate),
          DECODES)  # fmt: skip
    write("wav-8ch-192k", "8ch-192k.wav", sounds, _wav(_tone(1.0, 192_000, 8), 192_000), DECODES)
    write("wav-silent", "silent.wav", sounds, _wav(np.zeros(2 * rate, np.float32), rate), DECODES)
    write("wav-truncated", "truncated.wav", sounds, _cut(wav, 0.5), damaged("truncated"))
    write("wav-corrupt-header", "corrupt.wav", sounds, _scrambled(wav, 4, 40),
          fails("not a readable audio file"))  # fmt: skip
    write("flac-truncated", "truncated.flac", sounds, _cut(flac, 0.5), damaged("truncated"))
    write("flac-zero-bytes", "empty.flac", sounds, b"", fails("empty file (0 bytes)"))
    write("name-not-utf8-wav", b"\xff\xfe-noise.wav", sounds, wav, DECODES)
    m4a = _m4a(folder)
    write("m4a-valid", "valid.m4a", sounds, m4a, DECODES)
    write("m4a-truncated", "truncated.m4a", sounds, _cut(m4a, 0.5), fails("not a readable M4A"))
    write("m4a-zero-bytes", "empty.m4a", sounds, b"", fails("empty file (0 bytes)"))

    videos = FileKind.VIDEO
    plain, faststart = _mp4(folder, faststart=False), _mp4(folder, faststart=True)
    write("mp4-valid", "valid.mp4", videos, faststart, DECODES)
    write("mp4-zero-bytes", "empty.mp4", videos, b"", fails("empty file (0 bytes)"))
    write("mp4-holds-text", "text.mp4", videos, NOTE_TEXT.encode() * 20, fails("holds text"))
    # The index (moov) comes last unless +faststart: cut in half, nothing can be found.
    write("mp4-truncated-no-index", "truncated-no-index.mp4", videos, _cut(plain, 0.5),
          fails("not a readable MP4"))  # fmt: skip
    write("mp4-truncated", "truncated.mp4", videos, _cut(faststart, 0.5), damaged("truncated"))
    write("mp4-corrupt-header", "corrupt.mp4", videos, _scrambled(faststart, 12, 600),
          fails("not a readable MP4"))  # fmt: skip

    notes = FileKind.NOTE
    write("txt-valid", "valid.txt", notes, NOTE_TEXT.encode(), DECODES, text=NOTE_TEXT)
    write("txt-zero-bytes", "empty.txt", notes, b"", DECODES, text="")
    write("txt-binary", "binary.txt", notes, b"abc\x00\x01\x02" * 50, fails("binary data"))
    write("txt-holds-jpeg", "photo.txt", notes, jpeg, fails("JPEG data"))
    cut = "Café au lait, crème brûlé".encode()  # ends inside the two bytes of "é"
    write("txt-truncated-utf8", "truncated.txt", notes, cut[:-1], DECODES,
          text="Café au lait, crème brûl\ufffd")  # fmt: skip
    write("txt-latin1", "latin1.txt", notes, "Café, crème brûlée".encode("latin-1"), DECODES,
          text="Café, crème brûlée")  # fmt: skip
    write("txt-utf16", "utf16.txt", notes, "Notes: 東京 trip".encode("utf-16"), DECODES,
          text="Notes: 東京 trip")  # fmt: skip

    # Paths the file system itself makes hostile.
    denied = fails("Permission denied")
    write("unreadable-file", "unreadable.wav", sounds, wav, denied, unprivileged=True).chmod(0)
    locked = folder / "locked"
    locked.mkdir()
    inside = locked / "inside.png"
    inside.write_bytes(png)
    locked.chmod(0)
    made.append(BadFile("unreadable-folder", inside, photos, denied, unprivileged=True))
    special("fifo", "pipe.wav", sounds, fails("not a regular file (a named pipe)"), os.mkfifo)
    special("folder-named-like-a-photo", "album.jpg", photos,
            fails("not a regular file (a folder)"), Path.mkdir)  # fmt: skip
    special("dangling-symlink", "gone.jpg", photos, fails("No such file or directory"),
            lambda path: path.symlink_to(folder / "never-made.jpg"))  # fmt: skip
    (folder / "loop-b.mp4").symlink_to(folder / "loop-a.mp4")
    special("symlink-loop", "loop-a.mp4", videos, fails("Too many levels of symbolic links"),
            lambda path: path.symlink_to(folder / "loop-b.mp4"))  # fmt: skip
    return made

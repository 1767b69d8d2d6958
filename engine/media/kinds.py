"""Which files Trove reads, as what, with which decoder: the one table, and cheap checks on a
file before any decoder sees it.

A file's suffix chooses its kind (:func:`kind_of`); its first bytes must then agree
(:func:`check_content`): a ``.jpg`` that holds text, or a ``.mp4`` that holds a WAV, fails with a
reason that names what the bytes really are. A file of the right kind in another format of it
(a PNG named ``.jpg``) passes, since every decoder here detects formats by content.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.catalog.records import FileKind
from engine.media.errors import MediaError

# Enough bytes for every signature below (the longest is an MP4 brand at offset 8).
HEAD_BYTES = 64


class Decoder(StrEnum):
    """The library that decodes a format (named in messages, the README and tests)."""

    PILLOW = "Pillow"
    PILLOW_HEIF = "pillow-heif (libheif)"
    LIBSNDFILE = "libsndfile (soundfile)"
    PYAV = "PyAV (FFmpeg)"
    TEXT = "notes.py (Python codecs)"


def _at(offset: int, *magics: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head[offset : offset + len(magic)] == magic for magic in magics)


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == form


def _after_id3(test: Callable[[bytes], bool]) -> Callable[[bytes], bool]:
    # MP3, AAC and (rarely) FLAC files may open with an ID3v2 tag; what follows it is not in the
    # head, so a tagged file is taken on the tag's word.
    return lambda head: head[:3] == b"ID3" or test(head)


def _mpeg_audio_frame(head: bytes) -> bool:
    # 11 sync bits, then a layer that is not "reserved" (00).
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def _adts_frame(head: bytes) -> bool:
    # 12 sync bits, layer 00: an AAC frame in an ADTS stream.
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def _iso_brand(*brands: bytes) -> Callable[[bytes], bool]:
    """An ISO base media file (MP4, MOV, M4A, HEIF): ``ftyp`` box first, major brand given."""
    return lambda head: head[4:8] == b"ftyp" and (not brands or head[8:12] in brands)


def _quicktime(head: bytes) -> bool:
    # Old QuickTime files may start with any top-level atom instead of ``ftyp``.
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


@dataclass(frozen=True)
class Format:
    """One file format Trove reads: its kind, the suffixes it goes by, its signature in the first
    bytes, the library that decodes it, and (for FFmpeg) the demuxer to force, so that a file is
    never probed as a playlist or other format that would open further files."""

    name: str
    kind: FileKind
    suffixes: tuple[str, ...]
    decoder: Decoder
    signature: Callable[[bytes], bool]
    demuxer: str | None = None


FORMATS: tuple[Format, ...] = (
    Format(
        "JPEG",
        FileKind.PHOTO,
        (".jpg", ".jpeg", ".jpe", ".jfif"),
        Decoder.PILLOW,
        _at(0, b"\xff\xd8\xff"),
    ),
    Format("PNG", FileKind.PHOTO, (".png",), Decoder.PILLOW, _at(0, b"\x89PNG\r\n\x1a\n")),
    Format("WebP", FileKind.PHOTO, (".webp",), Decoder.PILLOW, _riff(b"WEBP")),
    Format("GIF", FileKind.PHOTO, (".gif",), Decoder.PILLOW, _at(0, b"GIF87a", b"GIF89a")),
    Format(
        "TIFF",
        FileKind.PHOTO,
        (".tif", ".tiff"),
        Decoder.PILLOW,
        _at(0, b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ),
    Format("BMP", FileKind.PHOTO, (".bmp",), Decoder.PILLOW, _at(0, b"BM")),
    Format(
        "HEIF",
        FileKind.PHOTO,
        (".heic", ".heif", ".hif"),
        Decoder.PILLOW_HEIF,
        _iso_brand(*_HEIF_BRANDS),
    ),
    Format("WAV", FileKind.AUDIO, (".wav", ".wave"), Decoder.LIBSNDFILE, _riff(b"WAVE")),
    Format("FLAC", FileKind.AUDIO, (".flac",), Decoder.LIBSNDFILE, _after_id3(_at(0, b"fLaC"))),
    Format("Ogg", FileKind.AUDIO, (".ogg", ".oga", ".opus"), Decoder.LIBSNDFILE, _at(0, b"OggS")),
    Format("MP3", FileKind.AUDIO, (".mp3",), Decoder.LIBSNDFILE, _after_id3(_mpeg_audio_frame)),
    Format("M4A", FileKind.AUDIO, (".m4a", ".m4b"), Decoder.PYAV, _iso_brand(), "mov"),
    Format("AAC", FileKind.AUDIO, (".aac",), Decoder.PYAV, _after_id3(_adts_frame), "aac"),
    Format(
        "MP4",
        FileKind.VIDEO,
        (".mp4", ".m4v", ".mov", ".qt", ".3gp"),
        Decoder.PYAV,
        _quicktime,
        "mov",
    ),
    Format(
        "Matroska",
        FileKind.VIDEO,
        (".mkv", ".webm"),
        Decoder.PYAV,
        _at(0, b"\x1a\x45\xdf\xa3"),
        "matroska",
    ),
    Format("AVI", FileKind.VIDEO, (".avi",), Decoder.PYAV, _riff(b"AVI "), "avi"),
    Format("Text", FileKind.NOTE, (".txt", ".text"), Decoder.TEXT, lambda head: True),
    Format("Markdown", FileKind.NOTE, (".md", ".markdown"), Decoder.TEXT, lambda head: True),
)

BY_SUFFIX: Mapping[str, Format] = {
    suffix: format for format in FORMATS for suffix in format.suffixes
}
SUFFIXES: Mapping[str, FileKind] = {suffix: format.kind for suffix, format in BY_SUFFIX.items()}
# Formats recognised by content; notes (which have no signature) are left out.
_SIGNED = tuple(format for format in FORMATS if format.kind is not FileKind.NOTE)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def format_of(path: Path | str) -> Format | None:
    """The format a file's suffix names (any case), or ``None`` for a file Trove does not read."""
    return BY_SUFFIX.get(os.path.splitext(path)[1].lower())


def kind_of(path: Path | str) -> FileKind | None:
    """The kind of file its suffix makes it, or ``None`` for a file Trove does not read."""
    format = format_of(path)
    return format.kind if format else None


def shown(path: Path) -> str:
    """The file's name as messages show it: bytes that are not UTF-8 become U+FFFD, so that a
    reason can always be printed and stored."""
    return os.fsencode(path.name).decode("utf-8", "replace")


def regular_size(path: Path, allow_empty: bool = False) -> int:
    """The size of a regular file, following links.

    Raises :class:`MediaError` for a file that is gone, unreachable (a dangling link, a link loop,
    a folder without permission), not a regular file (a folder, a FIFO, which would block a
    reader forever, a device) or, unless ``allow_empty``, empty.
    """
    try:
        info = path.stat()
    except OSError as error:
        raise MediaError(f"{shown(path)}: cannot read file: {error.strerror or error}") from error
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(f"{shown(path)}: not a regular file ({_file_type(info.st_mode)})")
    if info.st_size == 0 and not allow_empty:
        raise MediaError(f"{shown(path)}: empty file (0 bytes)")
    return info.st_size


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a regular file (see :func:`regular_size` for what fails)."""
    regular_size(path)
    try:
        with path.open("rb") as file:
            return file.read(size)
    except OSError as error:
        raise MediaError(f"{shown(path)}: cannot read file: {error.strerror or error}") from error


def sniff(head: bytes, prefer: FileKind | None = None) -> Format | None:
    """The format whose signature the bytes carry, or ``None`` (text, or unknown).

    MP4 and M4A share a container, so one file may match both: ``prefer`` picks the format of
    that kind among the matches (the kind the file's suffix names).
    """
    found = [format for format in _SIGNED if format.signature(head)]
    preferred = [format for format in found if format.kind is prefer]
    matches = preferred or found
    return matches[0] if matches else None


def looks_binary(head: bytes) -> bool:
    """NUL bytes outside a UTF-16 text: no note has them."""
    return b"\x00" in head and not head.startswith(_TEXT_BOMS[1:])


def check_content(path: Path, expected: Format | None = None) -> Format:
    """The format of ``path`` by content, checked against the kind its suffix names.

    Returns the sniffed format (for a note, the note format of the suffix). Raises
    :class:`MediaError` that names what the bytes are when they do not fit the kind, e.g.
    ``holiday.jpg: not a photo: the file holds text``.
    """
    named = expected or format_of(path)
    if named is None:
        raise MediaError(f"{shown(path)}: not a file type Trove reads")
    head = read_head(path)
    found = sniff(head, named.kind)
    if named.kind is FileKind.NOTE:
        # Text never holds NUL (UTF-16 aside); without NULs a "signature" is just words ("BM...").
        if looks_binary(head):
            what = f"{found.name} data" if found is not None else "binary data"
            raise MediaError(f"{shown(path)}: not a text note: the file holds {what}")
        return named
    if found is not None and found.kind is named.kind:
        return found
    what = f"{found.name} data" if found is not None else describe(head)
    raise MediaError(f"{shown(path)}: not {_CALLED[named.kind]}: the file holds {what}")


# What a file of each kind is called in a message ("not a recording", never "not a audio").
_CALLED = {
    FileKind.PHOTO: "a photo",
    FileKind.AUDIO: "a recording",
    FileKind.VIDEO: "a video",
    FileKind.NOTE: "a text note",
}


def describe(head: bytes) -> str:
    """What bytes without a known signature look like: ``text`` or unknown data."""
    if looks_binary(head):
        return "data of an unknown format"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not merely a character cut by the head's end
            return "data of an unknown format"
    return "text"

"""Text notes: plain text and Markdown on disk -> the text that is chunked and embedded.

Encodings: UTF-8 (with or without a byte-order mark) and UTF-16/UTF-32 with a byte-order mark are
read as such; anything else that is not valid UTF-8 is taken as Windows-1252 (the usual legacy
encoding of notes), or Latin-1 where Windows-1252 leaves a byte undefined, since both decode
every text the person could have meant. NUL bytes outside UTF-16/32 mean the file is not text,
and it is refused with that reason rather than indexed as noise.

Markdown stays text, with markup that carries no meaning taken out lightly: a link keeps its
text, an image its alt text, emphasis and heading marks go, HTML tags and comments go; fenced
code is kept as written. Offsets of chunks refer to the text returned here.

A huge note is read to ``max_bytes`` only, and :class:`Note` says it was cut: a 200 MB log or
export is not a note anyone reads end to end, and its first megabyte (~250 pages) is what a search
should find; reading on would cost memory and minutes of embedding for little. Callers hand the
text to the tokenizer in :func:`slices`, since tokenizing holds a few hundred bytes per character.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.media.errors import MediaError
from engine.media.kinds import looks_binary, regular_size, shown, sniff

log = logging.getLogger(__name__)

# Past this, a note is cut: 1 MiB is ~250 pages, more than any note meant for reading.
DEFAULT_MAX_BYTES = 1 << 20
# Where a slice of text may end, best first: a paragraph, a line, a sentence, a word.
_BREAKS = ("\n\n", "\n", ". ", " ")
_BOMS = (
    # UTF-32 first: its little-endian mark begins with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})


@dataclass(frozen=True)
class Note:
    """A note's text and how it was read."""

    text: str
    encoding: str
    size: int  # bytes on disk
    truncated: bool  # only the first ``max_bytes`` were read


def read_note(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a note (see :func:`load_note`); a cut is logged."""
    note = load_note(path, max_bytes)
    if note.truncated:
        log.info("%s: read the first %d of %d bytes", shown(path), max_bytes, note.size)
    return note.text


def load_note(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Note:
    """Read and decode a ``.txt`` or ``.md`` note, Markdown lightly stripped.

    An empty file is an empty note. Raises :class:`MediaError` for a file that cannot be read or
    holds binary data (an image, NUL bytes).
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    size = regular_size(path, allow_empty=True)
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise MediaError(f"{shown(path)}: cannot read file: {error.strerror or error}") from error
    truncated = len(data) > max_bytes
    text, encoding = _decode(data[:max_bytes], truncated, path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() in _MARKDOWN_SUFFIXES:
        text = strip_markdown(text)
    return Note(text, encoding, size, truncated)


def slices(text: str, size: int) -> Iterator[tuple[int, str]]:
    """``(start, text[start:end])`` pieces of at most ``size`` characters that cover ``text``,
    each ended at a paragraph, line, sentence or word break found in its second half (at
    ``size`` when there is none), so that a piece tokenizes as the same span of the whole does."""
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            floor = start + size // 2
            for mark in _BREAKS:
                cut = text.rfind(mark, floor, end)
                if cut >= 0:
                    end = cut + len(mark)
                    break
        yield start, text[start:end]
        start = end


def _decode(data: bytes, truncated: bool, path: Path) -> tuple[str, str]:
    """Text and the encoding it was read in; a character cut by ``max_bytes`` is dropped."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decoded(data[len(bom) :], encoding, truncated, "replace"), encoding
    if looks_binary(data):
        # Text never holds NUL; the signature, where known, says what the file is instead.
        found = sniff(data)
        what = f"{found.name} data" if found else f"binary data (a NUL byte at {data.index(0)})"
        raise MediaError(f"{shown(path)}: not a text note: the file holds {what}")
    try:
        return _decoded(data, "utf-8", truncated, "strict"), "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":  # a file cut inside its last character
            return _decoded(data, "utf-8", truncated, "replace"), "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _decoded(data: bytes, encoding: str, truncated: bool, errors: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    # final=False keeps back a character whose bytes the cut split, instead of failing on it.
    return decoder.decode(data, final=not truncated)


# --- Markdown -----------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+.*$")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RULE = re.compile(r"^ {0,3}(?:=+|-{2,})[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BLOCKQUOTE = re.compile(r"^ {0,3}>[ \t]?")
# Emphasis: ** __ * _ around text; underscores only at word edges (snake_case stays).
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def strip_markdown(text: str) -> str:
    """Markdown with meaningless markup taken out; fenced code blocks kept as they are."""
    text = _HTML_COMMENT.sub("", text)
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            out.append(line)
            continue
        out.append(_strip_line(line))
    return "\n".join(out)


def _strip_line(line: str) -> str:
    if _LINK_DEFINITION.match(line) or _SETEXT_RULE.match(line) or _THEMATIC_BREAK.match(line):
        return ""
    while _BLOCKQUOTE.match(line):
        line = _BLOCKQUOTE.sub("", line, count=1)
    heading = _HEADING.match(line)
    if heading:
        line = heading.group(1)
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _REFERENCE_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _HTML_TAG.sub("", line)
    line = _INLINE_CODE.sub(lambda match: match.group(2).strip(), line)
    line = _STRONG.sub(r"\2", line)
    for pattern in (_STRIKE, _EMPHASIS_STAR, _EMPHASIS_UNDERSCORE):
        line = pattern.sub(r"\1", line)
    return line

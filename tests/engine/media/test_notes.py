"""Notes: encodings, binary refusal, the size cap, and light Markdown stripping."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from engine.media.errors import MediaError
from engine.media.notes import load_note, read_note, strip_markdown
from tests.media import demo_folder

TEXT = "Grüße from Zürich: “smart quotes” — and a café.\nSecond line.\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16-le"),  # Python writes a BOM, little-endian here
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (b"\xff\xfe\x00\x00" + TEXT.encode("utf-32-le"), "utf-32-le"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(data)
    note = load_note(path)
    assert (note.text, note.encoding, note.truncated) == (TEXT, encoding, False)


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(b"caf\xe9 \x81")
    assert load_note(path).encoding == "latin-1" and load_note(path).text == "café \x81"


def test_binary_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(b"header\x00\x00\x01data")
    with pytest.raises(MediaError, match=r"dump.txt: not a text note: .*binary data"):
        read_note(path)
    utf16_without_bom = tmp_path / "utf16.txt"
    utf16_without_bom.write_bytes("plain words".encode("utf-16-le"))
    with pytest.raises(MediaError, match="binary data"):  # known limit: no BOM, no guess
        read_note(utf16_without_bom)


def test_a_huge_note_is_cut_at_max_bytes_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "huge.md"
    line = "Ünïcödé words about the garden, repeated. "
    path.write_text(line * 80_000)  # ~3.7 MB
    note = load_note(path, max_bytes=1001)
    assert note.truncated and note.size == path.stat().st_size
    assert len(note.text.encode()) <= 1001
    assert "\ufffd" not in note.text  # a character cut by the limit is dropped, not mangled
    assert (line * 30).startswith(note.text)
    with caplog.at_level(logging.INFO, logger="engine.media.notes"):
        read_note(path, max_bytes=1001)
    assert "first 1001 of" in caplog.text
    assert not load_note(path, max_bytes=10_000_000).truncated


MARKDOWN = """# Garden *plan* #

Plant [tomatoes](https://example.com/tomatoes) and ![a photo of basil](basil.jpg) by <https://seeds.example>.
**Water** __daily__, *early* and _late_; keep snake_case_names and 2 * 3 * 4 as they are.
> Remember: `compost` first. <!-- hidden note --> <br/>

[tomatoes]: https://example.com/tomatoes

```python
plants = [a](b) **kept as written**
```
- see [the list][tomatoes]
"""


def test_markdown_loses_markup_but_keeps_words_and_code() -> None:
    assert strip_markdown(MARKDOWN) == (
        "Garden plan\n"
        "\n"
        "Plant tomatoes and a photo of basil by https://seeds.example.\n"
        "Water daily, early and late; keep snake_case_names and 2 * 3 * 4 as they are.\n"
        "Remember: compost first.  \n"
        "\n"
        "\n"
        "\n"
        "```python\n"
        "plants = [a](b) **kept as written**\n"
        "```\n"
        "- see the list\n"
    )


def test_only_markdown_files_are_stripped(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("**bold** [link](x)")
    (tmp_path / "a.txt").write_text("**bold** [link](x)")
    assert read_note(tmp_path / "a.md") == "bold link"
    assert read_note(tmp_path / "a.txt") == "**bold** [link](x)"


def test_demo_notes_read_as_text() -> None:
    notes = demo_folder() / "Notes"
    zoo = read_note(notes / "zoo-trip.md")
    assert zoo.startswith("Zoo trip\n") and "penguins were fed fish" in zoo
    assert "Pizza dough for four" in read_note(notes / "recipes.txt")

"""Every bad query gets a one-line message and the documented exit code, never a traceback
(issue 9, item 4); and a file is searched by example whatever its name.

Each case runs the ``trove`` command in a child process, as the person would (the helpers of
``test_withstand``); the property tests call ``engine.cli.main`` in this process, with stdout
and stderr as a terminal gives them, since a child costs a second of start-up per example. The
data dir holds real media indexed with the dev pack, once for the module.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import BAD_USAGE, NO_RESULT, OK, main
from models.manifest import Manifest
from tests import media
from tests.engine.test_withstand import REPO, STRICT_UTF8, trove

HUGE = 200_000_000  # bytes, as the tester's files
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Names that the old command line turned into query language, and failed on.
ODD_NAMES = ("my dog.png", "rex's.png", "🐶.png", 'say "cheese".png', "cat@home.png")


@dataclass(frozen=True)
class Library:
    options: list[str]  # global options of the indexed data dir
    files: Path  # example files made by the tests, outside the indexed folder
    photo: Path  # a real photo (a copy of the indexed chelsea.png)
    talk: Path  # a real recording, 3 s of speech


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Library:
    root = tmp_path_factory.mktemp("queries")
    indexed = root / "indexed"
    indexed.mkdir()
    demo = media.demo_folder()
    for name in ("Photos/chelsea.png", "Photos/tiger.png", "Recordings/tomato_plants.wav"):
        shutil.copyfile(demo / name, indexed / Path(name).name)
    options = ["--data-dir", str(root / "data"), "--pack", str(dev_pack.root)]
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        assert main([*options, "add", str(indexed)]) == OK
        assert main([*options, "index"]) == OK
    files = root / "files"
    files.mkdir()
    photo, talk = files / "photo.png", files / "my talk.wav"
    shutil.copyfile(indexed / "chelsea.png", photo)
    shutil.copyfile(indexed / "tomato_plants.wav", talk)
    return Library(options, files, photo, talk)


def refused(result: subprocess.CompletedProcess[str], words: str, code: int = BAD_USAGE) -> None:
    """Exit ``code``; stderr one line that starts with ``trove`` and holds ``words``."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("trove"), result.stderr
    assert words in lines[0], result.stderr


def found(result: subprocess.CompletedProcess[str]) -> dict:
    """The --json answer of a search that worked (0 or 1) and said nothing on stderr."""
    assert result.returncode in (OK, NO_RESULT), result.stderr
    assert result.stderr == ""
    answer: dict = json.loads(result.stdout)
    return answer


def top_name(answer: dict) -> str:
    return Path(answer["hits"][0]["path"]).name


# --- bad example files --------------------------------------------------------------------------


def _random_file(path: Path, size: int, head: bytes = b"") -> None:
    with path.open("wb") as stream:
        stream.write(head)
        for _ in range(size // 2**23):
            stream.write(os.urandom(2**23))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.fixture(scope="module")
def huge(library: Library) -> Iterator[dict[str, Path]]:
    """200 MB files: random bytes (twice: no suffix Trove reads, and ``.png``), a PNG
    signature then random bytes, and a valid PNG header over random pixel data."""
    folder = library.files / "huge"
    folder.mkdir()
    files = {name: folder / name for name in ("random.bin", "random.png", "broken.png")}
    _random_file(files["random.bin"], HUGE)
    os.link(files["random.bin"], files["random.png"])  # the same bytes, another name
    _random_file(files["broken.png"], HUGE, PNG_SIGNATURE)
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8000, 8000, 8, 2, 0, 0, 0))
    files["damaged.png"] = folder / "damaged.png"
    _random_file(
        files["damaged.png"], HUGE, PNG_SIGNATURE + header + struct.pack(">I", HUGE) + b"IDAT"
    )
    yield files
    shutil.rmtree(folder)


def peak(options: list[str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``trove`` as :func:`trove` does; the result and the child's own peak memory in MB
    (from wait4: not this process's, not other children's)."""
    command = [sys.executable, "-m", "engine.cli", *options, *args]
    child = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **STRICT_UTF8},
    )
    assert child.stderr is not None
    with child.stderr:
        stderr = child.stderr.read().decode("utf-8", "surrogateescape")
    _, status, usage = os.wait4(child.pid, 0)  # reaps it: Popen.wait would not say how much
    child.returncode = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(
        command, child.returncode, "", stderr
    ), usage.ru_maxrss / 1024


@pytest.mark.timeout(120)
def test_huge_bad_files_are_refused_at_once_in_little_memory(
    library: Library, huge: dict[str, Path]
) -> None:
    empty = library.files / "empty.png"
    empty.touch()
    small, baseline = peak(library.options, "search", "--like", str(empty))
    refused(small, "empty.png: empty file (0 bytes)")
    expected = {
        "random.bin": "random.bin: not a photo, recording, video or note Trove reads: "
        "the file holds data of an unknown format",
        "random.png": "random.png: not a photo: the file holds data of an unknown format",
        "broken.png": "broken.png: not a recognised image format",
    }
    for name, words in expected.items():
        began = time.monotonic()
        result, memory = peak(library.options, "search", "--like", str(huge[name]))
        refused(result, words)
        assert time.monotonic() - began < 10, name
        assert memory < baseline + 50, f"{name}: {memory:.0f} MB, {baseline:.0f} MB when empty"
    # A valid PNG header (8000x8000 pixels) over random data: refused by the image decoder,
    # for the size or the damage, either way within its limits on pixels and memory.
    began = time.monotonic()
    refused(trove(library.options, "search", "--like", str(huge["damaged.png"])), "damaged.png: ")
    assert time.monotonic() - began < 10


@pytest.mark.parametrize(
    ("make", "words"),
    [
        ("missing.png", "missing.png: cannot read file: No such file or directory"),
        ("folder.png/", "folder.png: not a regular file (a folder)"),
        (
            "passwd",
            "passwd: not a photo, recording, video or note Trove reads: the file holds text",
        ),
        ("text.png", "text.png: not a photo: the file holds text"),
    ],
)
def test_a_file_that_cannot_be_an_example_exits_2(library: Library, make: str, words: str) -> None:
    path = library.files / make.rstrip("/")
    if make.endswith("/"):
        path.mkdir(exist_ok=True)
    elif make != "missing.png":
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    refused(trove(library.options, "search", "--like", str(path)), words)
    # the same file named in the query language
    refused(trove(library.options, "search", f'like:"{path}"'), words.split(": ")[0])


def test_the_systems_own_passwd_file_exits_2(library: Library) -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd here")
    refused(trove(library.options, "search", "like:/etc/passwd"), "passwd: not a photo")


# --- --limit, and text that is not UTF-8 --------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-1", "10001", "ten"])
def test_a_limit_outside_1_to_10000_is_bad_usage(library: Library, limit: str) -> None:
    result = trove(library.options, "search", "a cat", f"--limit={limit}")
    refused(result, "trove search: argument --limit: ")


def test_limits_at_the_bounds_work(library: Library) -> None:
    assert top_name(found(trove(library.options, "search", "a cat", "--limit", "1", "--json")))
    found(trove(library.options, "search", "a cat", "--limit", "10000", "--json"))


def test_query_bytes_that_are_not_utf8_are_searched_as_replacement_characters(
    library: Library,
) -> None:
    text = os.fsdecode(b"a cat caf\xe9 \xff\xfe")  # as argv hands them over: lone surrogates
    answer = found(trove(library.options, "search", text, "--json"))
    assert answer["query"] == text  # the JSON escapes them: \udce9...
    assert top_name(answer) == "chelsea.png"
    plain = trove(library.options, "search", f'"{text}"')  # strict UTF-8 stdout, quoted text
    assert plain.returncode in (OK, NO_RESULT) and plain.stderr == ""


# --- --like takes the path literally ------------------------------------------------------------


def _copy_photo(library: Library, name: str | bytes, folder: str = "") -> Path:
    target = os.path.join(os.fsencode(library.files / folder), os.fsencode(name))
    shutil.copyfile(library.photo, target)
    return Path(os.fsdecode(target))


@pytest.mark.parametrize("name", [*ODD_NAMES, b"caf\xe9 \xff.png", "no suffix"])
def test_any_file_name_can_be_an_example(library: Library, name: str | bytes) -> None:
    path = _copy_photo(library, name)
    answer = found(trove(library.options, "search", "--like", str(path), "--json"))
    assert top_name(answer) == "chelsea.png"
    if '"' not in str(path):  # the query language quotes a path in "..."
        answer = found(trove(library.options, "search", f'like:"{path}"', "--json"))
        assert top_name(answer) == "chelsea.png"


def test_a_time_range_by_options_or_by_an_unambiguous_suffix(library: Library) -> None:
    talk = str(library.talk)
    by_options = trove(library.options, "search", "--like", talk, "--from", "0:01", "--to", "3")
    assert by_options.returncode in (OK, NO_RESULT) and by_options.stderr == ""
    answer = found(trove(library.options, "search", "--like", f"{talk}@1-3", "--json"))
    assert answer["query"] == f'like:"{talk}@1-3"'
    # A range on a photo is parsed, then ignored with a note.
    answer = found(trove(library.options, "search", "--like", f"{library.photo}@2-", "--json"))
    assert f"{library.photo.name} is a photo: its time range is ignored" in answer["notes"]
    # A file whose whole name ends in @START-END is taken as it is.
    literal = _copy_photo(library, "cat.png@1-2")
    answer = found(trove(library.options, "search", "--like", str(literal), "--json"))
    assert top_name(answer) == "chelsea.png" and answer["notes"] == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--like", "{talk}", "--from", "0:30", "--to", "0:10"], "ends (10 s) before it starts"),
        (["--like", "{talk}", "--from", "soon"], "argument --from: 'soon' is not a time"),
        (["--like", "{talk}@1-2", "--from", "1"], "its time range is given twice"),
        (["--like", "{talk}@9-1"], "time range ends (1 s) before it starts"),
        (["--like", "{talk}@later"], "time range 'later' is not START-END"),
        (["a cat", "--to", "5"], "--from and --to narrow a --like recording or video"),
        (["--like", "{talk}", "--from", "1:00"], "lies past the end of the recording"),
    ],
)
def test_a_bad_time_range_exits_2(library: Library, args: list[str], words: str) -> None:
    argv = [arg.format(talk=library.talk) for arg in args]
    refused(trove(library.options, "search", *argv), words)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("after:not-a-date", "wants a date"),
        ('"unterminated', "unterminated quote"),
        ("9" * 400 + "*cat", "is too large"),
        ("", "search needs a query, --like FILE or a filter"),
        ("- cat", "every part is subtracted"),
    ],
)
def test_a_malformed_query_exits_2(library: Library, query: str, words: str) -> None:
    refused(trove(library.options, "search", query), words)


# --- properties, in this process ----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: bytes
    stderr: str


def run(argv: list[str]) -> Run:
    """``main(argv)`` with a strict UTF-8 stdout (main lets it write a name's own bytes) and
    stderr kept as text (Python's own writes any character, escaped)."""
    written = io.BytesIO()
    stdout = io.TextIOWrapper(written, encoding="utf-8")
    stderr = io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(argv)
    stdout.flush()
    return Run(code, written.getvalue(), stderr.getvalue())


def check(result: Run) -> None:
    """A documented exit code; a failure is one line of stderr, a search prints valid JSON."""
    assert result.code in (OK, NO_RESULT, BAD_USAGE), result
    assert "Traceback" not in result.stderr
    if result.code == BAD_USAGE:
        assert len(result.stderr.splitlines()) == 1, result.stderr
    else:
        assert result.stderr == ""
        json.loads(result.stdout)


_argv_bytes = st.binary(min_size=1, max_size=8).filter(lambda b: b"\0" not in b).map(os.fsdecode)
_words = st.sampled_from(
    ["cat", "a tiger", '"', "'", "@", ":", "+", "-", "*", "0.5*", "like:", "kind:", "in:",
     "after:", "size>", "~", "/", ".", "🐶", " ", "\t", "photo", "1:30", "@1-2", "x.png"]
)  # fmt: skip
_text = st.text(st.characters(exclude_characters="\0"), max_size=6)  # argv cannot hold NUL


@settings(max_examples=30, deadline=None)
@given(pieces=st.lists(st.one_of(_words, _argv_bytes, _text), max_size=8), photo=st.booleans())
def test_any_query_exits_0_1_or_2_without_a_traceback(
    library: Library, pieces: list[str], photo: bool
) -> None:
    if photo:  # some queries name a real example
        pieces = [*pieces, " ", f'like:"{library.photo}"']
    # After "--": a query that starts with "-" is a query, not an option (argparse's business).
    check(run([*library.options, "search", "--json", "--", "".join(pieces)]))


# Names as text are valid Unicode (lone surrogates stand for bytes: ``_name_bytes`` has those).
_name_text = st.text(
    st.characters(exclude_characters="\0/", exclude_categories=("Cs",)), min_size=1, max_size=40
)
_name_bytes = st.binary(min_size=1, max_size=40).filter(lambda b: b"\0" not in b and b"/" not in b)
_names = st.one_of(_name_text.map(os.fsencode), _name_bytes).filter(
    lambda name: name not in (b".", b"..")
)


@settings(max_examples=12, deadline=None)
@given(name=_names, suffix=st.sampled_from([b".png", b".PNG", b""]))
def test_a_photo_by_any_name_finds_itself(library: Library, name: bytes, suffix: bytes) -> None:
    (library.files / "names").mkdir(exist_ok=True)  # a folder of its own: no name is taken
    path = _copy_photo(library, name + suffix, "names")
    try:
        result = run([*library.options, "search", "--like", str(path), "--json"])
        check(result)
        assert result.code == OK and top_name(json.loads(result.stdout)) == "chelsea.png"
        if '"' not in str(path):
            result = run([*library.options, "search", f'like:"{path}"', "--json"])
            check(result)
            assert result.code == OK
    finally:
        path.unlink()

"""What Trove must withstand (issue 3, section 5), proved through what the person runs: the
``trove`` command in a child process, as an ordinary user, with a data dir of its own and the
dev pack. The module tests of the scanner, pipeline, catalog and decoders prove each part alone;
these prove that the promises still hold once the parts are put together.

A non-UTF-8 file name is printed as follows: ``--json`` writes its undecodable bytes as
``\\udcXX`` escapes (the lone surrogates of ``os.fsdecode``), so the output stays valid UTF-8
and ``os.fsencode(json.loads(line)["hits"][i]["path"])`` gives back the exact bytes; the text
output writes the bytes themselves, as ``ls`` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.catalog.catalog import Catalog
from engine.cli import BAD_USAGE, ENGINE_ERROR, NO_RESULT, OK
from models.manifest import Manifest
from tests import media
from tests.badfiles import NOBODY, BadFile, make_bad_files, open_folder

REPO = Path(__file__).resolve().parents[2]
# Decoding never hangs: a whole run over the hostile folder ends well within this.
RUN_SECONDS = 120
# A strict UTF-8 stdout, as under the usual desktop locale (this machine's C.UTF-8 is lenient).
STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8:strict"}
# Neither indexed nor failed: the scanner takes only regular files (opening a pipe would block)
# and walks into a folder, whatever its name.
NOT_MEDIA = {"fifo", "folder-named-like-a-photo"}

Preexec = Callable[[], None]


def as_user() -> list[str]:
    """The prefix that runs a command as an ordinary user (under root, permissions mean nothing)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot run trove as an ordinary user")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def trove(
    options: list[str],
    *args: str,
    user: list[str] | None = None,
    preexec: Preexec | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``trove OPTIONS ARGS`` as a command; bytes that are not UTF-8 come back escaped."""
    return subprocess.run(
        [*(user or []), sys.executable, "-m", "engine.cli", *options, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=RUN_SECONDS,
        preexec_fn=preexec,
        env={**os.environ, **STRICT_UTF8, **(env or {})},
    )


def ok(result: subprocess.CompletedProcess[str], code: int = OK) -> str:
    assert result.returncode == code, result.stderr
    return result.stdout


def search(options: list[str], query: str, user: list[str] | None = None) -> dict:
    found: dict = json.loads(ok(trove(options, "search", query, "--json", user=user)))
    return found


def failures(status: str) -> dict[str, str]:
    """``trove status`` output -> {path: reason} of every file it could not read."""
    listed = {}
    for line in status.splitlines():
        if line.startswith("  could not read "):
            path, reason = line.removeprefix("  could not read ").split(": ", 1)
            listed[path] = reason
    return listed


def tree_state(folder: Path) -> dict[bytes, tuple[str, int, int]]:
    """Every entry below ``folder`` by its name's bytes -> (content hash or link target or
    kind, mode, mtime): any write, rename, touch or new file in a user's folder shows."""
    state = {}
    for top, dirs, files in os.walk(os.fsencode(folder)):
        for name in dirs + files:
            path = os.path.join(top, name)
            info = os.lstat(path)
            if os.path.islink(path):
                what = os.fsdecode(os.readlink(path))
            elif os.path.isfile(path):
                what = hashlib.sha256(Path(os.fsdecode(path)).read_bytes()).hexdigest()
            else:
                what = "special"
            state[path] = (what, info.st_mode, info.st_mtime_ns)
    return state


def copy_media(folder: Path, names: list[str]) -> None:
    demo = media.demo_folder()
    for name in names:
        shutil.copyfile(demo / name, folder / Path(name).name)


@pytest.fixture(scope="module")
def shared_pack(dev_pack: Manifest) -> Iterator[Path]:
    """The dev pack where an ordinary user can read it (hard links: no bytes are copied)."""
    with open_folder() as folder:
        pack = folder / "pack"
        shutil.copytree(dev_pack.root, pack, copy_function=os.link)
        for path in (pack, *pack.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        yield pack


@pytest.fixture
def options(tmp_path: Path, dev_pack: Manifest) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--pack", str(dev_pack.root)]


# --- 1. every hostile file, beside real ones ----------------------------------------------------


@pytest.mark.timeout(300)
def test_hostile_files_fail_alone_with_their_reasons(shared_pack: Path) -> None:
    user = as_user()
    with open_folder() as place:
        folder = place / "user"
        folder.mkdir()
        data = place / "data"
        data.mkdir(mode=0o777)
        data.chmod(0o777)
        bad = make_bad_files(folder)
        copy_media(folder, ["Photos/chelsea.png", "Sounds/dog.ogg", "Notes/zoo-trip.md"])
        options = ["--data-dir", str(data), "--pack", str(shared_pack)]
        ok(trove(options, "add", str(folder), user=user))

        first = ok(trove(options, "index", user=user))
        status = ok(trove(options, "status", user=user))
        listed = failures(status)
        expected = _expected_failures(bad)
        for case, (path, reason) in expected.items():
            assert path in listed, f"{case}: {path} not listed by trove status:\n{status}"
            assert reason in listed[path], f"{case}: {listed[path]!r} lacks {reason!r}"
        assert sorted(listed) == sorted(path for path, _ in expected.values())
        assert f"{len(_failed_rows(expected))} failed" in first

        # Every good file is indexed and found.
        hits = search(options, "a cat", user)["hits"]
        assert Path(hits[0]["path"]).name == "chelsea.png"
        note = search(options, "pick up the bicycle from the repair shop", user)["hits"]
        assert {Path(hit["path"]).name for hit in note} >= {"valid.txt"}
        zoo = search(options, "zoo trip", user)["hits"]
        assert Path(zoo[0]["path"]).name == "zoo-trip.md"
        good = [one for one in bad if one.expected.decodes and one.case not in NOT_MEDIA]
        counts = _counts(status)
        assert counts["files.indexed"] == len(good) + 3
        assert counts["files.pending"] == 0

        # Unchanged bad files are not tried again; a mended one is.
        again = ok(trove(options, "index", user=user))
        assert again.startswith("0 indexed, 0 failed")
        assert failures(ok(trove(options, "status", user=user))) == listed
        mended = next(one.path for one in bad if one.case == "png-corrupt-data")
        shutil.copyfile(media.demo_folder() / "Photos/tiger.png", mended)
        assert ok(trove(options, "index", user=user)).startswith("1 indexed, 0 failed")
        after = failures(ok(trove(options, "status", user=user)))
        assert str(mended) not in after and len(after) == len(listed) - 1
        tiger = search(options, "a tiger", user)["hits"]
        assert str(mended) in [hit["path"] for hit in tiger[:3]]


def _expected_failures(bad: list[BadFile]) -> dict[str, tuple[str, str]]:
    """case -> (path as printed, reason fragment) for every file that must be listed."""
    expected = {}
    for one in bad:
        if one.expected.decodes or one.case in NOT_MEDIA:
            continue
        assert one.expected.reason is not None
        path = str(one.path.parent if one.case == "unreadable-folder" else one.path)
        expected[one.case] = (path, one.expected.reason)
    # Both ends of the loop are listed (the fixture names one).
    loop = next(one.path for one in bad if one.case == "symlink-loop")
    expected["symlink-loop-other-end"] = (
        str(loop.with_name("loop-b.mp4")),
        "Too many levels of symbolic links",
    )
    return expected


def _failed_rows(expected: dict[str, tuple[str, str]]) -> list[str]:
    """Cases that reach the decoders (and so count as failed): not those the walk cannot open."""
    walk = {"unreadable-folder", "dangling-symlink", "symlink-loop", "symlink-loop-other-end"}
    walk.add("unreadable-file")  # cannot even be hashed
    return [case for case in expected if case not in walk]


def _counts(status: str) -> dict[str, int]:
    counts = {}
    for line in status.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


# --- 2. symlink loops and non-UTF-8 names -------------------------------------------------------

ODD_NAME = b"caf\xe9 \xff-notes.txt"


def tricky_folder(tmp_path: Path) -> Path:
    """Real media, a note with a name that is not UTF-8, and links that loop."""
    folder = tmp_path / "user"
    (folder / "sub").mkdir(parents=True)
    copy_media(folder, ["Photos/rocket.jpg", "Sounds/owl.ogg"])
    odd = os.path.join(os.fsencode(folder / "sub"), ODD_NAME)
    with open(odd, "wb") as stream:
        stream.write(b"Remember to water the orchids before the holiday.\n")
    (folder / "sub" / "up").symlink_to(folder)  # a folder loop
    (folder / "a.jpg").symlink_to(folder / "b.jpg")  # a file loop
    (folder / "b.jpg").symlink_to(folder / "a.jpg")
    return folder


@pytest.mark.timeout(120)
def test_symlink_loops_and_non_utf8_names(tmp_path: Path, options: list[str]) -> None:
    folder = tricky_folder(tmp_path)
    ok(trove(options, "add", str(folder)))
    index = ok(trove(options, "index"))
    assert index.startswith("3 indexed, 0 failed")  # each file once, through no loop
    result = search(options, "water the orchids")
    top = result["hits"][0]["path"]
    assert os.fsencode(top) == os.path.join(os.fsencode(folder / "sub"), ODD_NAME)
    raw = trove(options, "search", "water the orchids", "--json").stdout
    assert "\\udce9" in raw and "\\udcff" in raw  # escaped: the JSON is valid UTF-8
    raw.encode("utf-8")
    text = ok(trove(options, "search", "water the orchids"))
    assert os.fsencode(text).count(ODD_NAME) == 1  # the bytes themselves, as ls prints them
    listed = failures(ok(trove(options, "status")))
    loop = "Too many levels of symbolic links"
    assert listed == {str(folder / "a.jpg"): loop, str(folder / "b.jpg"): loop}


# --- 3. kill -9 mid-index, then again -----------------------------------------------------------


def _indexed(data: Path) -> int:
    if not (data / "catalog.sqlite3").exists():
        return 0
    with Catalog(data / "catalog.sqlite3") as catalog:
        return catalog.counts()["files.indexed"]


@pytest.mark.timeout(300)
def test_kill_9_mid_index_then_again_matches_a_clean_run(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    folder = tmp_path / "user"
    shutil.copytree(media.demo_folder() / "Photos", folder / "Photos")
    shutil.copytree(media.demo_folder() / "Notes", folder / "Notes")
    total = sum(1 for path in folder.rglob("*") if path.is_file())

    def state(data: Path) -> tuple[str, str]:
        options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
        return ok(trove(options, "status")), ok(trove(options, "doctor"))

    clean = tmp_path / "clean"
    clean_options = ["--data-dir", str(clean), "--pack", str(dev_pack.root)]
    ok(trove(clean_options, "add", str(folder)))
    assert ok(trove(clean_options, "index")).startswith(f"{total} indexed, 0 failed")

    crashed = tmp_path / "crashed"
    options = ["--data-dir", str(crashed), "--pack", str(dev_pack.root)]
    ok(trove(options, "add", str(folder)))
    child = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *options, "index"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + RUN_SECONDS
    while _indexed(crashed) < 1:
        assert child.poll() is None, "the run ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    at_kill = _indexed(crashed)
    assert 1 <= at_kill < total, "the kill came too late to prove anything"

    resumed = ok(trove(options, "index"))
    assert resumed.startswith(f"{total - at_kill} indexed, 0 failed")
    status, doctor = state(crashed)
    clean_status, clean_doctor = state(clean)
    assert _counts(status) == _counts(clean_status)
    counts = _counts(status)
    # One vector per picture, and one per text space for each tag, note chunk, transcript, line
    # of words read in a picture and "what it shows".
    pictures = counts["items.photo"] + counts["items.frame"]
    texts = counts["items.tag"] + counts["items.text-chunk"] + counts["items.transcript"]
    texts += counts["items.picture-text"] + counts["items.shows"]
    spaces = sum(1 for name in counts if name.startswith("vectors.")) - 1  # the image space
    assert counts["vectors"] == pictures + spaces * texts
    assert "consistent with the catalog" in doctor and "consistent with the catalog" in clean_doctor
    vectors = [line for line in doctor.splitlines() if "vectors in the catalog" in line]
    assert vectors == [line for line in clean_doctor.splitlines() if "in the catalog" in line]
    # One hit per file, and no file twice.
    paths = [hit["path"] for hit in search(options, "an animal")["hits"]]
    assert len(paths) == len(set(paths))


# --- 4. the data dir on a full disk -------------------------------------------------------------


def _file_size_limit(limit: int) -> Preexec:
    def limit_writes() -> None:
        # RLIMIT_FSIZE stands in for a full disk (it binds root too); a write past it fails with
        # EFBIG once SIGXFSZ, which would kill the process, is ignored as a full disk's ENOSPC
        # never signals.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return limit_writes


@pytest.mark.timeout(180)
def test_full_disk_is_a_clear_error_and_keeps_the_catalog(
    tmp_path: Path, options: list[str]
) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    copy_media(folder, ["Photos/chelsea.png", "Notes/zoo-trip.md"])
    ok(trove(options, "add", str(folder)))
    assert ok(trove(options, "index")).startswith("2 indexed")
    before = _counts(ok(trove(options, "status")))
    data = Path(options[1])
    biggest = max(path.stat().st_size for path in data.rglob("*") if path.is_file())

    shutil.copytree(media.demo_folder() / "Photos", folder / "more")
    full = trove(options, "index", preexec=_file_size_limit(biggest + 4096))
    assert full.returncode == ENGINE_ERROR, full.stdout + full.stderr
    lines = full.stderr.strip().splitlines()  # the progress bar's last state, then the error
    errors = [line for line in lines if line.startswith("trove: ")]
    assert errors == lines[-1:], full.stderr
    assert "disk is full" in errors[0] and str(data) in errors[0]

    doctor = ok(trove(options, "doctor"))
    assert "consistent with the catalog" in doctor
    after = _counts(ok(trove(options, "status")))
    assert after["files.indexed"] >= before["files.indexed"]
    assert search(options, "a cat")["hits"][0]["path"] == str(folder / "chelsea.png")
    # With room again, the rest is indexed.
    assert " 0 failed" in ok(trove(options, "index"))
    final = _counts(ok(trove(options, "status")))
    assert final["files.indexed"] == 2 + 24 and final["files.pending"] == 0


# --- 5. the person's folders are only read ------------------------------------------------------


@pytest.mark.timeout(120)
def test_user_folders_are_never_written(tmp_path: Path, options: list[str]) -> None:
    folder = tricky_folder(tmp_path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    before = tree_state(folder)
    ok(trove(options, "add", str(folder)))
    ok(trove(options, "index"))
    ok(trove(options, "search", "a rocket", "--json"))
    like = trove(options, "search", "--like", str(folder / "rocket.jpg"))
    assert like.returncode in (OK, NO_RESULT), like.stderr
    ok(trove(options, "status"))
    ok(trove(options, "remove", str(folder)))
    assert tree_state(folder) == before


# --- 6. the data dir and a watched folder never overlap -----------------------------------------


def test_a_data_dir_and_a_watched_folder_never_overlap(tmp_path: Path, dev_pack: Manifest) -> None:
    home = tmp_path / "home"
    inner = home / "trove-data"
    inner.mkdir(parents=True, mode=0o700)  # private already: the refusal is the only line
    refused = trove(["--data-dir", str(inner), "--pack", str(dev_pack.root)], "add", str(home))
    assert refused.returncode == BAD_USAGE
    assert refused.stderr.count("\n") == 1 and "is inside it" in refused.stderr

    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
    refused = trove(options, "add", str(data / "photos"))
    assert refused.returncode == BAD_USAGE
    assert refused.stderr.count("\n") == 1 and "inside Trove's data folder" in refused.stderr
    assert trove(options, "search", "anything").returncode == NO_RESULT  # nothing was added

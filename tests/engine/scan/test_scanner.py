"""The scanner: what a walk takes and skips, and how disk and catalog are compared."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileStatus, Root
from engine.media.kinds import kind_of
from engine.scan.pipeline import Pipeline
from engine.scan.scanner import PathFilter, Scanner, Scope, content_hash, walk
from tests.engine.scan.conftest import FakeExtract, RecordingIndex


def _index(catalog: Catalog, index: RecordingIndex | None = None) -> Pipeline:
    return Pipeline(catalog, index or RecordingIndex(), FakeExtract())


def _relpaths(root: Root) -> list[str]:
    found, _ = walk(root, kind_of)
    return sorted(file.relpath for file in found)


def test_walk_takes_media_and_skips_hidden_system_and_other_files(user_folder: Path) -> None:
    (user_folder / ".thumbnails").mkdir()
    shutil.copyfile(user_folder / "Photos/dog.png", user_folder / ".thumbnails/dog.png")
    (user_folder / "$RECYCLE.BIN").mkdir()
    shutil.copyfile(user_folder / "Photos/dog.png", user_folder / "$RECYCLE.BIN/dog.png")
    shutil.copyfile(user_folder / "Photos/dog.png", user_folder / "Photos/.hidden.png")
    (user_folder / "Photos/readme.pdf").write_bytes(b"%PDF-1.4")
    root = Root(1, str(user_folder))
    assert _relpaths(root) == [
        "Notes/zoo-trip.md",
        "Photos/chelsea.png",
        "Photos/coffee.png",
        "Photos/dog.png",
        "Photos/rocket.jpg",
        "Sounds/dog.ogg",
    ]


def test_include_and_exclude_globs(user_folder: Path) -> None:
    assert _relpaths(Root(1, str(user_folder), exclude=("Photos",))) == [
        "Notes/zoo-trip.md",
        "Sounds/dog.ogg",
    ]
    assert _relpaths(Root(1, str(user_folder), include=("*.png",), exclude=("c*",))) == [
        "Photos/dog.png"
    ]
    rule = PathFilter(exclude=("*/raw/*",))
    assert not rule.file("2024/raw/a.jpg") and rule.file("2024/a.jpg")


def test_symlink_loops_end_and_linked_folders_are_walked_once(user_folder: Path) -> None:
    (user_folder / "Photos/loop").symlink_to(user_folder)  # back to the top
    (user_folder / "again").symlink_to(user_folder / "Sounds")
    (user_folder / "dangling.jpg").symlink_to(user_folder / "gone.jpg")
    found, unreadable = walk(Root(1, str(user_folder)), kind_of)
    relpaths = [file.relpath for file in found]
    assert len(relpaths) == len(set(relpaths))
    # Sounds is reached once, by whichever name came first; the loop adds nothing.
    assert sum(path.endswith("dog.ogg") for path in relpaths) == 1
    assert len(found) == 6
    assert [Path(item.path).name for item in unreadable] == ["dangling.jpg"]


def test_unreadable_folder_is_recorded_and_the_walk_goes_on(
    user_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root here, where chmod cannot lock a folder, so the refusal is simulated.
    real_scandir = os.scandir
    locked = str(user_folder / "Sounds")

    def scandir(path: str | os.PathLike[str]) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found, unreadable = walk(Root(1, str(user_folder)), kind_of)
    assert len(found) == 5
    assert [(item.path, item.reason) for item in unreadable] == [(locked, "Permission denied")]


def test_non_utf8_name_is_found_and_round_trips_through_the_catalog(
    user_folder: Path, catalog: Catalog
) -> None:
    name = os.fsdecode(b"caf\xe9.png")  # Latin-1 bytes: not UTF-8
    shutil.copyfile(user_folder / "Photos/dog.png", user_folder / "Photos" / name)
    root = catalog.add_root(user_folder)
    _index(catalog).run(Scanner(catalog).scan())
    record = catalog.file(root.id, f"Photos/{name}")
    assert record is not None and record.status is FileStatus.INDEXED
    assert Scanner(catalog).scan().empty


def test_second_scan_of_an_indexed_folder_finds_nothing_to_do(
    user_folder: Path, catalog: Catalog
) -> None:
    catalog.add_root(user_folder)
    first = Scanner(catalog).scan()
    assert len(first.work) == 6 and not first.copies
    _index(catalog).run(first)
    again = Scanner(catalog).scan()
    assert again.empty and again.unchanged == 6


def test_touch_edit_move_copy_delete(user_folder: Path, catalog: Catalog) -> None:
    root = catalog.add_root(user_folder)
    index = RecordingIndex()
    _index(catalog, index).run(Scanner(catalog).scan())
    photos = user_folder / "Photos"
    os.utime(photos / "coffee.png", ns=(1, 1))  # same bytes, new mtime
    (photos / "rocket.jpg").write_bytes((user_folder / "Photos/dog.png").read_bytes() + b"x")
    (photos / "chelsea.png").rename(user_folder / "Notes/cat.png")
    shutil.copyfile(photos / "dog.png", user_folder / "Sounds/dog copy.png")
    (user_folder / "Notes/zoo-trip.md").unlink()
    before = {r.relpath: r for r in catalog.files(root.id)}

    plan = Scanner(catalog).scan()
    assert [w.found.relpath for w in plan.touched] == ["Photos/coffee.png"]
    assert [w.found.relpath for w in plan.work] == ["Photos/rocket.jpg"]
    assert [(m.record.relpath, m.to.relpath) for m in plan.moves] == [
        ("Photos/chelsea.png", "Notes/cat.png")
    ]
    assert [
        (c.source.relpath if c.source else None, c.work.found.relpath) for c in plan.copies
    ] == [("Photos/dog.png", "Sounds/dog copy.png")]
    assert [r.relpath for r in plan.deleted] == ["Notes/zoo-trip.md"]

    extract = FakeExtract()
    summary = Pipeline(catalog, index, extract).run(plan)
    assert (summary.indexed, summary.moved, summary.copied, summary.deleted) == (1, 1, 1, 1)
    assert [path.name for path in extract.decoded] == ["rocket.jpg"]  # nothing else re-embedded
    after = {r.relpath: r for r in catalog.files(root.id)}
    assert after["Notes/cat.png"].id == before["Photos/chelsea.png"].id
    assert after["Photos/coffee.png"].status is FileStatus.INDEXED
    assert "Notes/zoo-trip.md" not in after
    # One vector per file on disk, no orphan left by the delete or the edit.
    assert index.count() == len(after) == 6
    assert Scanner(catalog).scan().empty


def test_identical_new_files_are_embedded_once(user_folder: Path, catalog: Catalog) -> None:
    for copy in ("a.png", "b.png", "c.png"):
        shutil.copyfile(user_folder / "Photos/dog.png", user_folder / copy)
    catalog.add_root(user_folder)
    plan = Scanner(catalog).scan()
    dog_hash = content_hash(user_folder / "Photos/dog.png")
    assert sum(w.content_hash == dog_hash for w in plan.work) == 1
    assert len(plan.copies) == 3
    extract = FakeExtract()
    index = RecordingIndex()
    summary = Pipeline(catalog, index, extract).run(plan)
    assert summary.copied == 3 and len(extract.decoded) == 6
    assert index.count() == 9
    assert catalog.counts()["files.indexed"] == 9


def test_missing_root_goes_offline_and_keeps_its_files(
    user_folder: Path, catalog: Catalog, tmp_path: Path
) -> None:
    root = catalog.add_root(user_folder)
    index = RecordingIndex()
    _index(catalog, index).run(Scanner(catalog).scan())
    moved_away = tmp_path / "unplugged"
    user_folder.rename(moved_away)
    plan = Scanner(catalog).scan()
    assert [r.id for r in plan.offline] == [root.id] and plan.empty
    _index(catalog, index).run(plan)
    assert not catalog.roots()[0].online
    assert len(catalog.files(root.id)) == 6 and index.count() == 6
    # An empty mount point left by the drive is offline too, not "everything deleted".
    user_folder.mkdir()
    assert [r.id for r in Scanner(catalog).scan().offline] == [root.id]
    user_folder.rmdir()
    moved_away.rename(user_folder)
    back = Scanner(catalog).scan()
    assert [r.id for r in back.online] == [root.id] and back.empty
    _index(catalog, index).run(back)
    assert catalog.roots()[0].online


def test_scope_limits_the_comparison(user_folder: Path, catalog: Catalog) -> None:
    root = catalog.add_root(user_folder)
    _index(catalog).run(Scanner(catalog).scan())
    (user_folder / "Photos/dog.png").unlink()
    (user_folder / "Notes/zoo-trip.md").unlink()
    plan = Scanner(catalog).scan([Scope(root.id, ("Photos",))])
    assert [r.relpath for r in plan.deleted] == ["Photos/dog.png"]
    plan = Scanner(catalog).scan([Scope(root.id, ("Notes/zoo-trip.md",))])
    assert [r.relpath for r in plan.deleted] == ["Notes/zoo-trip.md"]

"""Duplicates on the real engine: copies made at set-up from real photos and recordings (Pillow,
sox, ffmpeg), indexed by the dev pack, found by ``Trove.duplicates`` and ``trove duplicates``."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.cli import NO_RESULT, OK, main
from engine.facade import DuplicateGroup, Likeness, Trove
from engine.media.looks import Look
from engine.search.duplicates import close_pairs
from models.manifest import Manifest
from tests.copies import Library, library


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> tuple[Library, Path]:
    """The library of copies, indexed once; and its data folder."""
    shelf = library(tmp_path_factory.mktemp("library"))
    data = tmp_path_factory.mktemp("data")
    with Trove(data, dev_pack.root) as trove:
        trove.add_folder(shelf.folder)
        trove.index()
    return shelf, data


@pytest.fixture
def trove(made: tuple[Library, Path], dev_pack: Manifest) -> Iterator[Trove]:
    with Trove(made[1], dev_pack.root) as engine:
        yield engine


def group_of(groups: list[DuplicateGroup], path: Path) -> DuplicateGroup | None:
    return next((g for g in groups if any(f.path == path for f in g.files)), None)


def paths(group: DuplicateGroup | None) -> set[Path]:
    return set() if group is None else {listed.path for listed in group.files}


@pytest.mark.slow
def test_exact_copies_are_one_group_of_every_kind(made: tuple[Library, Path], trove: Trove) -> None:
    shelf = made[0]
    groups = trove.duplicates()
    for copies in (shelf.exact, shelf.exact_notes):
        group = group_of(groups, copies[0])
        assert group is not None and group.likeness is Likeness.EXACT
        assert paths(group) == set(copies)
        assert group.similarity == 1.0


@pytest.mark.slow
def test_a_photo_and_its_edits_are_one_near_group(made: tuple[Library, Path], trove: Trove) -> None:
    original, *edits = made[0].near_photos
    group = group_of(trove.duplicates(), original)
    assert group is not None and group.likeness is Likeness.NEAR
    assert paths(group) == {original, *edits}
    # The largest first: the original, which the edits shrank, cut or re-encoded.
    assert group.files[0].path == original
    assert group.size == sum(path.stat().st_size for path in edits)


@pytest.mark.slow
def test_a_recording_and_its_conversions_are_one_near_group(
    made: tuple[Library, Path], trove: Trove
) -> None:
    original, *conversions = made[0].near_sounds
    group = group_of(trove.duplicates(), original)
    assert group is not None and group.likeness is Likeness.NEAR
    assert paths(group) == {original, *conversions}
    assert all(listed.kind.value == "audio" for listed in group.files)


@pytest.mark.slow
def test_unrelated_files_are_in_no_group(made: tuple[Library, Path], trove: Trove) -> None:
    groups = trove.duplicates()
    for path in made[0].unrelated:
        assert group_of(groups, path) is None, path
    assert len(groups) == 4  # two exact, two near: nothing else


@pytest.mark.slow
def test_finding_duplicates_writes_nothing_in_the_folder(
    made: tuple[Library, Path], trove: Trove
) -> None:
    shelf = made[0]
    before = {path: path.stat().st_mtime_ns for path in shelf.files()}
    trove.duplicates()
    assert {path: path.stat().st_mtime_ns for path in shelf.files()} == before


def test_close_pairs_keeps_pairs_at_or_over_the_line_once() -> None:
    vectors = np.array([[1, 0], [0.8, 0.6], [0, 1], [1, 0]], dtype=np.float32)
    pairs = close_pairs(vectors, 0.8)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (0, 3), (1, 3)]
    assert [round(cosine, 3) for *_, cosine in pairs] == [0.8, 1.0, 0.8]
    assert close_pairs(vectors[:1], 0.5) == []


@pytest.mark.slow
def test_cli_json_lists_the_groups(
    made: tuple[Library, Path], dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    shelf, data = made
    options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
    capsys.readouterr()
    assert main([*options, "duplicates", "--json"]) == OK
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"schema", "generation", "groups"}
    assert len(answer["groups"]) == 4
    for group in answer["groups"]:
        assert set(group) == {"likeness", "similarity", "extra_bytes", "files"}
        assert group["likeness"] in ("exact", "near")
        sizes = [listed["size"] for listed in group["files"]]
        assert group["extra_bytes"] == sum(sizes[1:])
        assert sizes == sorted(sizes, reverse=True)
        for listed in group["files"]:
            assert set(listed) == {"file_id", "path", "kind", "size", "modified", "taken"}
    exact = {frozenset(Path(f["path"]) for f in g["files"]) for g in answer["groups"]}
    assert frozenset(shelf.exact) in exact

    assert main([*options, "duplicates"]) == OK
    printed = capsys.readouterr().out
    assert "4 groups of duplicates" in printed
    assert str(shelf.near_photos[0]) in printed


def test_cli_says_when_there_are_none(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--data-dir", str(tmp_path / "data"), "--pack", str(dev_pack.root)]
    assert main([*options, "duplicates"]) == NO_RESULT
    assert "no duplicates found" in capsys.readouterr().out


@pytest.mark.slow
def test_a_catalog_from_before_looks_gets_them_on_its_next_run(
    made: tuple[Library, Path], dev_pack: Manifest, tmp_path: Path
) -> None:
    """Photos indexed by a Trove that kept no looks (schema 9, migrated: the looks empty,
    ``meta.looks`` 0) are looked at once, after the next run's own files, without being
    indexed again; one that cannot be read then keeps none and does not stop the others."""
    data = tmp_path / "data"
    shutil.copytree(made[1], data)
    with sqlite3.connect(data / "catalog.sqlite3") as conn:
        kept = dict(conn.execute("SELECT id, look FROM items WHERE look IS NOT NULL"))
        conn.execute("UPDATE items SET look = NULL")
        conn.execute("UPDATE meta SET value = 0 WHERE key = 'looks'")
    conn.close()
    damaged = made[0].near_photos[1]
    bytes_kept, stat = damaged.read_bytes(), damaged.stat()
    # Garbage of the same size and time: the scan sees no change, the decode fails.
    damaged.write_bytes(bytes(len(bytes_kept)))
    os.utime(damaged, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    try:
        with Trove(data, dev_pack.root) as trove:
            assert list(trove.catalog.file_looks()) == []
            assert trove.index().indexed == 0  # nothing embedded again
            assert trove.catalog.unlooked_photos(0, 100) is None  # once only
            looks = dict(trove.catalog.file_looks())
            groups = trove.duplicates()
    finally:
        damaged.write_bytes(bytes_kept)
        os.utime(damaged, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with sqlite3.connect(data / "catalog.sqlite3") as conn:
        now = dict(conn.execute("SELECT id, look FROM items WHERE look IS NOT NULL"))
    conn.close()
    assert len(looks) == len(now) == len(kept) - 1 and set(now) < set(kept)
    for item_id, blob in now.items():  # as indexing took them, from another decode of the photo
        assert Look.from_bytes(blob).likeness(Look.from_bytes(kept[item_id])) > 0.97
    near = set(made[0].near_photos) - {damaged}
    assert near <= paths(group_of(groups, made[0].near_photos[0]))

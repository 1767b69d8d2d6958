"""The data folder: which one is chosen, how it is made, and that it never overlaps a root."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs
import pytest

from engine.datadir import DataDirError, check_not_inside, data_dir


def test_explicit_then_environment_then_platform_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TROVE_DATA", str(tmp_path / "from-env"))
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert data_dir(None) == tmp_path / "from-env"
    monkeypatch.delenv("TROVE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # platformdirs honours XDG/HOME
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "share"))
    expected = Path(platformdirs.user_data_dir("trove", appauthor=False))
    assert expected.is_relative_to(tmp_path)
    assert data_dir(None) == expected and expected.is_dir()


def test_a_new_data_folder_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        made = data_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert made.is_dir() and stat.S_IMODE(made.stat().st_mode) == 0o700


def test_home_is_expanded_and_relative_paths_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir(Path("~/trove-data")) == tmp_path / "trove-data"
    monkeypatch.chdir(tmp_path)
    assert data_dir(Path("rel")) == tmp_path / "rel"


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(DataDirError, match="not a folder"):
        data_dir(tmp_path / "taken")


def test_roots_may_not_overlap_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "home" / ".local" / "share" / "trove"
    data.mkdir(parents=True)
    (tmp_path / "photos").mkdir()
    check_not_inside(data, tmp_path / "photos")  # siblings are fine
    check_not_inside(data, tmp_path / "home" / ".local" / "share" / "trove-other")
    for root in (tmp_path / "home", tmp_path, data):
        with pytest.raises(DataDirError, match="data folder .* is inside it"):
            check_not_inside(data, root)
    with pytest.raises(DataDirError, match="inside Trove's data folder"):
        check_not_inside(data, data / "indexes")


def test_links_do_not_hide_an_overlap(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "trove").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(DataDirError, match="is inside it"):
        check_not_inside(link / "trove", real)
    with pytest.raises(DataDirError, match="is inside it"):
        check_not_inside(real / "trove", link)

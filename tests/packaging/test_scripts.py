"""Quick checks of what the installers are made from: scripts parse, NSIS compiles, the icon
renders, the release workflow calls only what exists, and a frozen app finds its bundled pack."""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PySide6.QtGui import QImage

from engine.inference import pack as pack_module

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP_FILE = PACKAGING / "linux" / "trove.desktop"
SHELL_SCRIPTS = sorted(PACKAGING.glob("macos/*.sh")) + [
    PACKAGING / "linux" / "postinst",
    PACKAGING / "linux" / "postrm",
]


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_scripts_parse(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck"):
        result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_python_files_of_the_bundle_parse() -> None:
    for path in [PACKAGING / "trove.spec", *PACKAGING.glob("*.py")]:
        ast.parse(path.read_text(), filename=str(path))


def test_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP_FILE)
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "trove-desktop"
    assert section["Icon"] == "trove"


def test_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate not installed (Debian package desktop-file-utils)")
    result = subprocess.run([validator, str(DESKTOP_FILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nsis_script_compiles(tmp_path: Path) -> None:
    if shutil.which("makensis") is None:
        pytest.skip("makensis not installed (Debian package nsis; ./dev setup)")
    tree = tmp_path / "bundle"
    (tree / "_internal").mkdir(parents=True)
    (tree / "trove-desktop.exe").write_bytes(b"stand-in")
    out = tmp_path / "Trove-1.2.3-setup.exe"
    subprocess.run(
        [
            "makensis",
            "-V2",
            "-DVERSION=1.2.3",
            f"-DSOURCE_DIR={tree}",
            f"-DOUTFILE={out}",
            str(PACKAGING / "windows" / "trove.nsi"),
        ],
        check=True,
    )
    assert out.read_bytes()[:2] == b"MZ"


def test_icon_renders_at_every_size(tmp_path: Path) -> None:
    sizes = "16,48,512"
    subprocess.run(
        [sys.executable, str(PACKAGING / "icons.py"), str(ROOT / "desktop/assets/trove.svg")]
        + [str(tmp_path), sizes],
        check=True,
    )
    for size in map(int, sizes.split(",")):
        image = QImage(str(tmp_path / f"{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        centre = image.pixelColor(size // 2, size // 2)
        corner = image.pixelColor(0, 0)
        assert centre.alpha() == 255 and corner.alpha() == 0  # a rounded square on transparency


def test_release_workflow_calls_what_exists() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    assert workflow[True]["push"]["tags"]  # PyYAML reads the key `on` as True
    text = (ROOT / ".github/workflows/release.yml").read_text()
    for script in ("packaging/build.py", "packaging/smoke.py", "packaging/macos/make_dmg.sh"):
        assert script in text and (ROOT / script).is_file()
    assert "models.release" in text and "onnxruntime-directml" in text
    # The release pack's good-match lines are fitted on it and held to the dev pack's figures.
    assert "--write-calibration --compare-with models/calibration/trove-dev.json" in text
    assert (ROOT / "models" / "calibration" / "trove-dev.json").is_file()


def test_a_frozen_app_finds_the_pack_beside_its_executables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "trove"
    (app / "packs" / "dev").mkdir(parents=True)
    (app / "packs" / "dev" / "manifest.json").write_text("{}")
    (app / "_internal").mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "trove"))
    monkeypatch.setattr(sys, "_MEIPASS", str(app / "_internal"), raising=False)
    monkeypatch.delenv(pack_module.PACK_ENV, raising=False)
    assert pack_module.find_pack() == app / "packs" / "dev"


def test_a_macos_app_finds_the_pack_in_its_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = tmp_path / "Trove.app" / "Contents"
    (contents / "Resources" / "packs" / "release").mkdir(parents=True)
    (contents / "Resources" / "packs" / "release" / "manifest.json").write_text("{}")
    (contents / "MacOS").mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(contents / "MacOS" / "trove-desktop"))
    monkeypatch.setattr(sys, "_MEIPASS", str(contents / "Frameworks"), raising=False)
    monkeypatch.delenv(pack_module.PACK_ENV, raising=False)
    assert pack_module.find_pack() == contents / "Resources" / "packs" / "release"


def test_the_gpl_notice_names_x264_and_x265(tmp_path: Path) -> None:
    sys.path.insert(0, str(PACKAGING))
    try:
        import licences  # packaging/ is not a package: its name would shadow PyPI's `packaging`
    finally:
        sys.path.remove(str(PACKAGING))
    (tmp_path / "_internal" / "av.libs").mkdir(parents=True)
    (tmp_path / "_internal" / "av.libs" / "libx264-d6533a8d.so.165").write_bytes(b"")
    (tmp_path / "_internal" / "libx264-d6533a8d.so.165").symlink_to(
        "av.libs/libx264-d6533a8d.so.165"
    )
    text = licences.notice(tmp_path)
    assert text.count("x264, GPL-2.0-or-later") == 1
    assert "no GPL" in licences.notice(tmp_path / "_internal" / "missing")

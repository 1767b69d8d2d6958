"""`trove` end to end on the real dev pack and the demo folder of real media."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli import BAD_USAGE, ENGINE_ERROR, OK, main
from models.manifest import Manifest
from tests import media


@pytest.fixture(scope="module")
def demo() -> Path:
    return media.demo_folder()


def ranked_names(output: str, heading: str) -> list[str]:
    """File names listed under one heading of the demo's output, best first."""
    lines = output.split(f"\n{heading}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [Path(line.split()[2]).name for line in lines if line.strip()[:1].isdigit()]


@pytest.mark.slow
def test_demo_finds_photos_and_recordings_by_text_and_example(
    demo: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--pack",
            str(dev_pack.root),
            "demo",
            str(demo),
            "--query",
            "a cat",
            "--query",
            "the budget meeting",
            "--like",
            str(demo / "Sounds" / "cow.ogg"),
        ]
    )
    output = capsys.readouterr().out
    assert code == OK
    assert ranked_names(output, '"a cat"')[0] == "chelsea.png"
    assert ranked_names(output, '"the budget meeting"')[0] == "budget_meeting.wav"
    assert "budget_meeting.wav @ 0.0-" in output  # a transcript hit carries its time
    assert "cow.ogg" not in ranked_names(output, "like cow.ogg")  # the example is left out
    assert "; 0 skipped" in output


def test_demo_lists_a_broken_file_with_its_reason_and_goes_on(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(media.skimage_photos()["chelsea"], tmp_path / "chelsea.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg at all")
    (tmp_path / "empty.wav").write_bytes(b"")
    code = main(["--pack", str(dev_pack.root), "demo", str(tmp_path), "--query", "a cat"])
    output = capsys.readouterr().out
    assert code == OK
    assert "skipped broken.jpg:" in output and "skipped empty.wav:" in output
    assert ranked_names(output, '"a cat"') == ["chelsea.png"]


def test_doctor_reports_providers_and_verified_pack(
    dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--pack", str(dev_pack.root), "doctor"]) == OK
    output = capsys.readouterr().out
    assert "CPUExecutionProvider" in output
    assert "every hash ok" in output
    for entry in dev_pack.models:
        assert entry.id in output


def test_a_damaged_pack_is_an_engine_error_naming_the_file(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    manifest = json.loads((dev_pack.root / "manifest.json").read_text())
    (pack / "manifest.json").write_text(json.dumps(manifest))
    assert main(["--pack", str(pack), "doctor"]) == ENGINE_ERROR
    assert "missing" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search-everything"]) == BAD_USAGE
    assert main(["--device", "tpu", "doctor"]) == BAD_USAGE

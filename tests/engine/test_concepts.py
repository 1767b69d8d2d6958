"""Concepts: a classifier's classes summed into what they are, read from the pack's file; a
broken file is a pack error. The real file, on real photos: tests/engine/search/test_kinds.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.inference.concepts import Concepts
from models.manifest import PackError

# Three classes: a husky and a malamute (dogs, animals), a cab (a vehicle).
CONTENT = {
    "notice": "test",
    "concepts": ["dog", "animal", "vehicle"],
    "classes": [
        {"wnid": "n1", "gloss": "a husky", "ancestors": [0, 1]},
        {"wnid": "n2", "gloss": "a malamute", "ancestors": [0, 1]},
        {"wnid": "n3", "gloss": "a cab", "ancestors": [2]},
    ],
}


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "concepts.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_a_concept_holds_the_sum_of_its_classes(tmp_path: Path) -> None:
    concepts = Concepts.read(_write(tmp_path, CONTENT), 3)
    found = concepts.tags(np.array([0.15, 0.15, 0.7], np.float32))
    assert [name for name, _ in found] == ["vehicle", "dog", "animal"]
    assert dict(found)["dog"] == pytest.approx(0.3)
    assert concepts.glosses[2] == "a cab"


def test_floor_and_limit(tmp_path: Path) -> None:
    concepts = Concepts.read(_write(tmp_path, CONTENT), 3)
    classes = np.array([0.1, 0.05, 0.85], np.float32)
    assert concepts.tags(classes) == [("vehicle", pytest.approx(0.85))]
    assert len(concepts.tags(classes, floor=0.0, limit=2)) == 2


@pytest.mark.parametrize(
    "content",
    [
        {"concepts": ["dog"]},
        {"concepts": ["dog"], "classes": [{"gloss": "x", "ancestors": [5]}] * 3},
        {"concepts": ["dog"], "classes": [{"gloss": "x", "ancestors": ["a"]}] * 3},
        ["not", "a", "mapping"],
    ],
)
def test_a_broken_file_is_a_pack_error(tmp_path: Path, content: object) -> None:
    with pytest.raises(PackError, match="concepts file"):
        Concepts.read(_write(tmp_path, content), 3)


def test_a_file_for_another_classifier_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="3 classes, the model has 1000"):
        Concepts.read(_write(tmp_path, CONTENT), 1000)


def test_unreadable_bytes_are_a_pack_error(tmp_path: Path) -> None:
    path = tmp_path / "concepts.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PackError):
        Concepts.read(path, 3)

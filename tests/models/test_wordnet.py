"""WordNet 3.0 (Debian's wordnet-base) -> the image classifier's ``concepts`` file: what each
ImageNet class is, checked on the real database and ImageNet's real class list."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.inference.concepts import Concepts
from models.export import wordnet
from models.export.imagenet import imagenet_labels, imagenet_synsets

HUSKY, GOLDFINCH, SEASHORE, CAB = "n02110185", "n01531178", "n09428293", "n02930766"


@pytest.fixture(scope="module")
def content() -> dict[str, object]:
    return wordnet.concepts(imagenet_synsets(), wordnet.read_nouns(wordnet.data_noun()))


def _ancestors(content: dict[str, object], wnid: str) -> list[str]:
    names = content["concepts"]
    assert isinstance(names, list)
    rows = content["classes"]
    assert isinstance(rows, list)
    row = next(row for row in rows if row["wnid"] == wnid)
    return [names[i].split(", ")[0] for i in row["ancestors"]]


def test_every_imagenet_class_is_described_in_logit_order(content: dict[str, object]) -> None:
    rows = content["classes"]
    assert isinstance(rows, list)
    assert [row["wnid"] for row in rows] == imagenet_synsets()
    assert all(row["gloss"] for row in rows)
    assert "Princeton" in str(content["notice"])


def test_a_husky_is_a_dog_and_an_animal_nearest_first(content: dict[str, object]) -> None:
    found = _ancestors(content, HUSKY)
    assert found[0] == "sled dog"
    for kind in ("working dog", "dog", "canine", "mammal", "animal"):
        assert kind in found
    assert (
        found.index("working dog")
        < found.index("dog")
        < min(found.index("mammal"), found.index("animal"))
    )


@pytest.mark.parametrize(("wnid", "kind"), [(GOLDFINCH, "bird"), (CAB, "vehicle")])
def test_classes_reach_the_kinds_people_ask_for(
    content: dict[str, object], wnid: str, kind: str
) -> None:
    assert kind in _ancestors(content, wnid)


def test_vague_and_near_root_ancestors_are_left_out(content: dict[str, object]) -> None:
    names = {str(name).split(", ")[0] for name in content["concepts"]}  # type: ignore[union-attr]
    for vague in ("entity", "physical entity", "object", "whole", "artifact", "organism"):
        assert vague not in names
    assert {"food", "fruit", "vehicle", "bird", "dog"} <= names


def test_the_seashore_gloss_says_what_it_is(content: dict[str, object]) -> None:
    rows = content["classes"]
    assert isinstance(rows, list)
    assert "shore" in next(row["gloss"] for row in rows if row["wnid"] == SEASHORE)


def test_the_engine_reads_the_written_file(tmp_path: Path) -> None:
    path = wordnet.write_concepts(tmp_path / "concepts.json", imagenet_synsets())
    assert json.loads(path.read_text(encoding="utf-8"))["classes"]
    concepts = Concepts.read(path, len(imagenet_labels()))
    husky = np.zeros(1000, np.float32)
    husky[imagenet_synsets().index(HUSKY)] = 0.6
    tags = dict(concepts.tags(husky))
    assert tags["dog, domestic dog, Canis familiaris"] == pytest.approx(0.6)
    assert all(p == pytest.approx(0.6) for p in tags.values())


def test_a_synset_wordnet_lacks_is_an_error() -> None:
    with pytest.raises(wordnet.WordNetError, match="n99999999"):
        wordnet.concepts(["n99999999"], {})

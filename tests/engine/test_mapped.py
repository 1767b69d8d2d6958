"""The query encoders' sessions open a copy of the model whose weights ONNX Runtime maps: made
once, the same numbers as the pack's file, made again when it changed, skipped when it cannot
be written. On the dev pack's real text model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from engine.inference import session
from engine.inference.mapped import COPY_FOLDER
from engine.inference.models import ModelSet
from engine.inference.session import LazySession
from engine.inference.text import TextEncoder
from models.manifest import Manifest, Task

QUERIES = ["a cat on a sofa", "the budget meeting on Thursday"]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The model files sessions are opened on, with the copies made in a cache of the test's."""
    monkeypatch.setenv("TROVE_CACHE", str(tmp_path / "cache"))
    paths: list[str] = []
    real = session.ort.InferenceSession

    def recorded(path: str, *args: object, **kwargs: object) -> object:
        paths.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(session.ort, "InferenceSession", recorded)
    return paths


def encode(dev_pack: Manifest) -> np.ndarray:
    return ModelSet(dev_pack).text().encode(QUERIES, kind="query")


def test_the_copy_is_made_once_and_gives_the_pack_files_vectors(
    dev_pack: Manifest, opened: list[str], tmp_path: Path
) -> None:
    entry = dev_pack.by_task(Task.TEXT)[0]
    source = dev_pack.path(entry, "model")
    first = encode(dev_pack)
    made, copy = opened  # the pack's file, read to write the copy; then the copy
    assert made == str(source)
    assert Path(copy).is_relative_to(tmp_path / "cache" / COPY_FOLDER)
    assert (Path(copy).parent / "model.data").stat().st_size > 0.9 * source.stat().st_size
    again = encode(dev_pack)
    assert opened[2:] == [copy]
    tokenizer = Tokenizer.from_file(str(dev_pack.path(entry, "tokenizer")))
    unmapped = TextEncoder(entry, LazySession(source), tokenizer).encode(QUERIES, kind="query")
    np.testing.assert_allclose(first, unmapped, atol=1e-6)
    np.testing.assert_array_equal(again, first)


def test_a_copy_changed_since_it_was_made_is_made_again(
    dev_pack: Manifest, opened: list[str]
) -> None:
    first = encode(dev_pack)
    weights = Path(opened[-1]).parent / "model.data"
    made = weights.stat().st_ino
    with weights.open("r+b") as stream:  # the weights of the last tensor scribbled over
        stream.seek(-4, os.SEEK_END)
        stream.write(b"\xff\xff\xff\xff")
    np.testing.assert_array_equal(encode(dev_pack), first)
    assert weights.stat().st_ino != made


def test_where_no_copy_can_be_made_the_pack_file_is_opened(
    dev_pack: Manifest, opened: list[str], tmp_path: Path
) -> None:
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    assert encode(dev_pack).shape == (len(QUERIES), 384)
    assert opened == [str(dev_pack.path(dev_pack.by_task(Task.TEXT)[0], "model"))]

"""Loading a pack verifies every file; a damaged pack names the damaged file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.inference.pack import find_pack, open_pack
from models.manifest import (
    Manifest,
    ModelEntry,
    PackError,
    Preprocessing,
    Task,
    file_ref,
    load_manifest,
)


@pytest.fixture()
def tiny_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    (folder / "text").mkdir(parents=True)
    model = folder / "text" / "model.onnx"
    model.write_bytes(b"not really onnx, but hashed all the same" * 100)
    vocab = folder / "text" / "tokenizer.json"
    vocab.write_text("{}")
    entry = ModelEntry(
        id="tiny-text",
        task=Task.TEXT,
        files={"model": file_ref(folder, model), "tokenizer": file_ref(folder, vocab)},
        dims={"embedding": 8},
        preprocessing=Preprocessing(max_tokens=16),
        pooling="cls",
        prefixes={"query": "Q: "},
    )
    Manifest("tiny", "1", (entry,), root=folder).write(folder)
    return folder


def test_round_trip_keeps_every_field(tiny_pack: Path) -> None:
    manifest = load_manifest(tiny_pack)
    entry = manifest.get("tiny-text")
    assert entry.task is Task.TEXT
    assert entry.pooling == "cls"
    assert entry.prefix("query") == "Q: " and entry.prefix("document") == ""
    assert entry.preprocessing.max_tokens == 16
    assert manifest.path(entry, "model") == tiny_pack / "text" / "model.onnx"


def test_missing_file_is_named(tiny_pack: Path) -> None:
    (tiny_pack / "text" / "tokenizer.json").unlink()
    with pytest.raises(PackError, match=r"missing: text/tokenizer.json"):
        load_manifest(tiny_pack)


def test_truncated_file_is_named(tiny_pack: Path) -> None:
    model = tiny_pack / "text" / "model.onnx"
    model.write_bytes(model.read_bytes()[:100])
    with pytest.raises(PackError, match=r"truncated or altered: text/model.onnx"):
        load_manifest(tiny_pack)


def test_altered_file_of_same_size_fails_its_hash(tiny_pack: Path) -> None:
    model = tiny_pack / "text" / "model.onnx"
    data = bytearray(model.read_bytes())
    data[10] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(PackError, match=r"altered: text/model.onnx .*sha256"):
        load_manifest(tiny_pack)


def test_newer_format_is_refused_clearly(tiny_pack: Path) -> None:
    path = tiny_pack / "manifest.json"
    data = json.loads(path.read_text())
    data["format"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(PackError, match="format 99"):
        load_manifest(tiny_pack)


def test_find_pack_prefers_explicit_then_env(
    tiny_pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    shutil.copytree(tiny_pack, other)
    monkeypatch.setenv("TROVE_PACK", str(other))
    assert find_pack() == other
    assert find_pack(tiny_pack) == tiny_pack
    with pytest.raises(PackError, match="no model pack at"):
        find_pack(tmp_path / "nowhere")


def test_open_pack_reports_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TROVE_PACK", raising=False)
    monkeypatch.setenv("TROVE_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(PackError, match="models.devpack"):
        open_pack()


def test_the_dev_pack_verifies(dev_pack: Manifest) -> None:
    tasks = {entry.task for entry in dev_pack.models}
    assert {Task.TEXT, Task.IMAGE, Task.AUDIO, Task.SPEECH} <= tasks
    for entry in dev_pack.models:
        assert entry.licence and entry.source, entry.id

"""Loading a pack verifies every file; a damaged pack names the damaged file."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from engine.inference import pack
from engine.inference.pack import find_pack, open_pack
from models import manifest
from models.manifest import (
    Manifest,
    ModelEntry,
    PackError,
    Task,
    TextPreprocessing,
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
        preprocessing=TextPreprocessing(max_tokens=16),
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
    assert entry.preprocessing == TextPreprocessing(max_tokens=16)
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


@pytest.fixture()
def hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files hashed, with the memo of earlier runs in a cache of the test's."""
    monkeypatch.setenv("TROVE_CACHE", str(tmp_path / "cache"))
    names: list[str] = []
    real = manifest.sha256_of

    def counted(path: Path) -> str:
        names.append(path.name)
        return real(path)

    monkeypatch.setattr(manifest, "sha256_of", counted)
    return names


def test_a_file_hashed_before_is_read_again_only_once_it_changed(
    tiny_pack: Path, hashed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pack, "_SETTLED_NS", 0)  # the fixture's files were written just now
    open_pack(tiny_pack)
    assert sorted(hashed) == ["model.onnx", "tokenizer.json"]
    hashed.clear()
    open_pack(tiny_pack)
    assert hashed == []
    # Altered in place, its size and modification time put back: its change time moved.
    time.sleep(0.05)  # past a tick of the kernel's coarse clock
    model = tiny_pack / "text" / "model.onnx"
    before = model.stat()
    data = bytearray(model.read_bytes())
    data[10] ^= 0xFF
    model.write_bytes(bytes(data))
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(PackError, match=r"altered: text/model.onnx .*sha256"):
        open_pack(tiny_pack)
    assert hashed == ["model.onnx"]


def test_a_file_changed_just_before_it_was_hashed_is_not_vouched_for(
    tiny_pack: Path, hashed: list[str]
) -> None:
    open_pack(tiny_pack)
    open_pack(tiny_pack)  # a second write within the same clock tick would leave no trace
    assert sorted(hashed) == ["model.onnx", "model.onnx", "tokenizer.json", "tokenizer.json"]


def test_an_unreadable_memo_vouches_for_nothing(
    tiny_pack: Path, hashed: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pack, "_SETTLED_NS", 0)
    open_pack(tiny_pack)
    memo = tmp_path / "cache" / pack.HASH_MEMO_NAME
    for garbage in ("{not json", '{"x": 1}', "[]"):
        memo.write_text(garbage)
        hashed.clear()
        open_pack(tiny_pack)
        assert sorted(hashed) == ["model.onnx", "tokenizer.json"]


def test_the_dev_pack_verifies(dev_pack: Manifest) -> None:
    tasks = {entry.task for entry in dev_pack.models}
    assert {Task.TEXT, Task.IMAGE, Task.AUDIO, Task.SPEECH} <= tasks
    for entry in dev_pack.models:
        assert entry.licence and entry.source, entry.id

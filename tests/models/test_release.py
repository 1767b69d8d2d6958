"""The release-pack builder: every named model has a source and an exporter, and the pack it
writes is a verified manifest. Sources are faked here (the hub is not reachable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import release
from models.manifest import (
    AudioPreprocessing,
    ModelEntry,
    Preprocessing,
    TextPreprocessing,
    file_ref,
    load_manifest,
)

NAMED = {
    "Snowflake/snowflake-arctic-embed-xs",
    "Snowflake/snowflake-arctic-embed-s",
    "Snowflake/snowflake-arctic-embed-m-v1.5",
    "unum-cloud/uform3-image-text-english-small",
    "unum-cloud/uform3-image-text-multilingual-base",
    "openai/whisper-tiny",
    "openai/whisper-base",
}


def test_every_named_model_has_a_source_and_an_exporter() -> None:
    pairs = release._exporters()
    hub = {source.hub_repo for source, _ in pairs if source.hub_repo}
    files = {Path(source.url).name for source, _ in pairs if source.url}
    assert hub == NAMED
    assert {"resnet50-11ad3fa6.pth", "Cnn14_mAP%3D0.431.pth"} <= files
    assert len({source.name for source, _ in pairs}) == len(pairs)
    assert all(callable(export) for _, export in pairs)


def test_build_writes_a_verified_pack_from_what_each_exporter_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[Path] = []

    def fake_fetch(source: release.Source, weights: Path) -> Path:
        folder = weights / source.name
        folder.mkdir(parents=True)
        fetched.append(folder)
        return folder

    def exporter(preprocessing: Preprocessing) -> release.Exporter:
        def export(weights: Path, pack: Path) -> ModelEntry:
            model = pack / weights.name / "model.onnx"
            model.parent.mkdir(parents=True)
            model.write_bytes(weights.name.encode())
            files = {"model": file_ref(pack, model)}
            return ModelEntry(
                weights.name, preprocessing.task, files, {"embedding": 4}, preprocessing
            )

        return export

    sources = [
        (
            release.Source("text-model", hub_repo="example/text"),
            exporter(TextPreprocessing(max_tokens=8)),
        ),
        (
            release.Source("sound-model", url="https://example.org/w.pth"),
            exporter(AudioPreprocessing(sample_rate=16000, window_seconds=2.0, hop_seconds=1.0)),
        ),
    ]
    monkeypatch.setattr(release.Source, "fetch", fake_fetch)
    monkeypatch.setattr(release, "_exporters", lambda: sources)
    manifest = release.build(tmp_path / "pack", tmp_path / "weights")
    assert [entry.id for entry in manifest.models] == ["text-model", "sound-model"]
    assert [path.name for path in fetched] == ["text-model", "sound-model"]
    assert load_manifest(tmp_path / "pack").name == release.PACK_NAME
    assert (tmp_path / "pack" / "build-key.txt").read_text().strip()

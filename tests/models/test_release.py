"""The release-pack builder: every named model has a source and an exporter, and the pack it
writes is a verified manifest. Sources are faked here (the hub is not reachable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.inference.models import ModelSet
from models import release
from models.manifest import (
    AudioPreprocessing,
    ModelEntry,
    Preprocessing,
    SpeechPreprocessing,
    Task,
    TextPreprocessing,
    VoicePreprocessing,
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
    monkeypatch.setattr(release, "_compact_builders", lambda: [])
    monkeypatch.setattr(release, "ALTERNATIVES", {})
    manifest = release.build(tmp_path / "pack", tmp_path / "weights")
    assert [entry.id for entry in manifest.models] == ["text-model", "sound-model"]
    assert [path.name for path in fetched] == ["text-model", "sound-model"]
    assert load_manifest(tmp_path / "pack").name == release.PACK_NAME
    assert (tmp_path / "pack" / "build-key.txt").read_text().strip()


def test_one_model_serves_each_role_and_the_compact_pack_s_own_models_join(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release pack as the engine sees it: arctic-embed-xs and USE-m3 are its two text
    spaces (not three arctic ones, each embedding every item again); the other arctic sizes,
    the multilingual UForm and Whisper tiny serve only when chosen; voice activity and OCR
    come from the compact pack's builders."""

    def made(model_id: str, preprocessing: Preprocessing) -> Callable[[Path], ModelEntry]:
        def export(pack: Path) -> ModelEntry:
            model = pack / model_id / "model.onnx"
            model.parent.mkdir(parents=True, exist_ok=True)
            model.write_bytes(model_id.encode())
            files = {"model": file_ref(pack, model)}
            return ModelEntry(model_id, preprocessing.task, files, {"embedding": 4}, preprocessing)

        return export

    text = TextPreprocessing(max_tokens=8)
    speech = SpeechPreprocessing(sample_rate=16000, window_seconds=30.0, n_mels=80)
    voice = VoicePreprocessing(sample_rate=16000, chunk_samples=512, context_samples=64)
    named = [
        made("arctic-embed-xs", text),
        made("arctic-embed-s", text),
        made("arctic-embed-m-v1.5", text),
        made("whisper-base", speech),
        made("whisper-tiny", speech),
    ]
    sources = [
        (release.Source(f"source-{at}", hub_repo="example/x"), lambda _w, pack, e=e: e(pack))
        for at, e in enumerate(named)
    ]
    compact = [made("use-m3", text), made("silero-vad", voice)]
    monkeypatch.setattr(release.Source, "fetch", lambda source, weights: weights)
    monkeypatch.setattr(release, "_exporters", lambda: sources)
    monkeypatch.setattr(
        release, "_compact_builders", lambda: [lambda p, e=e: [e(p)] for e in compact]
    )
    # No image-text model in this pack: its pair of alternatives is left out.
    kept = {k: v for k, v in release.ALTERNATIVES.items() if not k.startswith("uform3")}
    monkeypatch.setattr(release, "ALTERNATIVES", kept)
    manifest = release.build(tmp_path / "pack", tmp_path / "weights")
    models = ModelSet(manifest)
    assert [entry.id for entry in models.text_entries()] == ["arctic-embed-xs", "use-m3"]
    assert models.entry(Task.SPEECH).id == "whisper-base"
    assert models.entry(Task.VAD).id == "silero-vad"
    chosen = ModelSet(manifest, choice={Task.TEXT: "arctic-embed-m-v1.5"})
    assert [entry.id for entry in chosen.text_entries()] == ["arctic-embed-m-v1.5", "use-m3"]


def test_an_alternative_of_a_model_the_pack_lacks_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release, "_exporters", lambda: [])
    monkeypatch.setattr(release, "_compact_builders", lambda: [])
    with pytest.raises(ValueError, match="arctic-embed-xs"):
        release.build(tmp_path / "pack", tmp_path / "weights")

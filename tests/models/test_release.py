"""The release-pack builder: every named model has a source and an exporter, and the pack it
writes is a verified manifest. Sources are faked here (the hub is not reachable)."""

from __future__ import annotations

import hashlib
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
    files = {file.name for source, _ in pairs for file in source.files}
    assert hub == NAMED
    assert {"resnet50-11ad3fa6.pth", "Cnn14_mAP=0.431.pth", "class_labels_indices.csv"} <= files
    assert len({source.name for source, _ in pairs}) == len(pairs)
    assert all(callable(export) for _, export in pairs)


def test_build_writes_a_verified_pack_from_what_each_exporter_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[Path] = []

    def fake_fetch(source: release.Source, weights: Path, allow_unpinned: bool = False) -> Path:
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
            release.Source(
                "text-model", hub_repo="example/text", revision="0" * 40, allow_patterns=("a",)
            ),
            exporter(TextPreprocessing(max_tokens=8)),
        ),
        (
            release.Source(
                "sound-model", files=(release.PinnedFile("https://example.org/w.pth", "0" * 64),)
            ),
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
    pinned = {"hub_repo": "example/x", "revision": "0" * 40, "allow_patterns": ("a",)}
    sources = [
        (release.Source(f"source-{at}", **pinned), lambda _w, pack, e=e: e(pack))
        for at, e in enumerate(named)
    ]
    compact = [made("use-m3", text), made("silero-vad", voice)]
    monkeypatch.setattr(release.Source, "fetch", lambda source, weights, **_: weights)
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


# --- pinned sources ----------------------------------------------------------------------------

# Sources no public record of a pin was found for (packaging/README.md, "Pinned sources").
UNPINNED = {"uform-multi": "no revision"}
README = Path(__file__).resolve().parents[2] / "packaging" / "README.md"


def test_every_source_is_pinned_but_the_documented_unknowns() -> None:
    sources = [source for source, _ in release._exporters()]
    found = {source.name: source.unpinned() for source in sources if source.unpinned()}
    assert {name: " ".join(what) for name, what in found.items()} == {
        name: f"{source.hub_repo} ({reason})"
        for source in sources
        for name, reason in UNPINNED.items()
        if source.name == name
    }
    section = README.read_text().split("## Pinned sources", 1)[1].split("\n## ", 1)[0]
    workflow = (README.parents[1] / ".github" / "workflows" / "release.yml").read_text()
    for source in sources:
        if source.name in UNPINNED:
            assert f"`{source.name}`" in section and "--allow-unpinned" in section
            assert f"--allow-unpinned {source.name}" in workflow  # or the release stops
    for source in sources:
        if source.revision is not None:
            assert len(source.revision) == 40 and int(source.revision, 16) >= 0
        for file in source.files:
            assert file.sha256 is None or len(file.sha256) == 64
            assert file.pinned


def test_hub_sources_fetch_only_what_their_exporter_reads() -> None:
    for source, _ in release._exporters():
        if source.hub_repo is None:
            continue
        assert source.allow_patterns, source.name
        assert not any("*" in pattern for pattern in source.allow_patterns), source.name
        assert not any(
            pattern.endswith((".onnx", ".msgpack", ".h5", ".mlpackage"))
            for pattern in source.allow_patterns
        )
        assert "config.json" in source.allow_patterns


def test_zenodo_is_asked_for_the_file_itself() -> None:
    assert release.CNN14_FILE.url.endswith("Cnn14_mAP%3D0.431.pth?download=1")
    assert release.CNN14_FILE.name == "Cnn14_mAP=0.431.pth"
    assert release.RESNET50_FILE.sha256 is not None
    # torchvision names its files by the first 8 hex digits of their SHA-256.
    assert release.RESNET50_FILE.sha256.startswith("11ad3fa6")


def _local(tmp_path: Path, content: bytes) -> tuple[str, str]:
    upstream = tmp_path / "upstream" / "weights.pth"
    upstream.parent.mkdir(parents=True, exist_ok=True)
    upstream.write_bytes(content)
    return upstream.as_uri(), hashlib.sha256(content).hexdigest()


def test_a_file_with_the_pinned_sha256_is_fetched(tmp_path: Path) -> None:
    url, digest = _local(tmp_path, b"the weights")
    source = release.Source("model", files=(release.PinnedFile(url, sha256=digest),))
    folder = source.fetch(tmp_path / "weights")
    assert (folder / "weights.pth").read_bytes() == b"the weights"
    assert source.fetch(tmp_path / "weights") == folder  # cached, and checked again


def test_a_file_whose_sha256_differs_stops_the_build(tmp_path: Path) -> None:
    url, digest = _local(tmp_path, b"changed upstream")
    pinned = "0" * 64
    source = release.Source("model", files=(release.PinnedFile(url, sha256=pinned),))
    with pytest.raises(release.SourceError) as raised:
        source.fetch(tmp_path / "weights")
    message = str(raised.value)
    assert f"weights.pth from {url}: sha256 {digest}, expected {pinned}" in message
    assert list((tmp_path / "weights" / "model").iterdir()) == []  # nothing left to be used


def test_a_cached_file_that_changed_is_refused(tmp_path: Path) -> None:
    url, digest = _local(tmp_path, b"the weights")
    source = release.Source("model", files=(release.PinnedFile(url, sha256=digest),))
    folder = source.fetch(tmp_path / "weights")
    (folder / "weights.pth").write_bytes(b"tampered")
    with pytest.raises(release.SourceError, match="sha256 .*, expected " + digest):
        source.fetch(tmp_path / "weights")


def test_the_publishers_md5_is_checked_beside_the_sha256(tmp_path: Path) -> None:
    url, digest = _local(tmp_path, b"zenodo file")
    right = hashlib.md5(b"zenodo file").hexdigest()  # noqa: S324 (the publisher's checksum)
    both = release.PinnedFile(url, sha256=digest, md5=right)
    release.Source("ok", files=(both,)).fetch(tmp_path / "w")
    wrong = release.PinnedFile(url, sha256=digest, md5="0" * 32)
    with pytest.raises(release.SourceError, match=f"md5 {right}, expected 0+ "):
        release.Source("bad", files=(wrong,)).fetch(tmp_path / "w")
    assert release.CNN14_FILE.sha256 is not None and release.CNN14_FILE.md5 is not None


def test_unpinned_sources_stop_the_build_before_any_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []
    monkeypatch.setattr(release.Source, "fetch", lambda source, *_, **__: fetched.append(source))
    with pytest.raises(release.SourceError) as raised:
        release.build(tmp_path / "pack", tmp_path / "weights")
    for name in UNPINNED:
        assert f"{name}: " in str(raised.value)
    assert "--allow-unpinned" in str(raised.value)
    assert fetched == []
    with pytest.raises(release.SourceError, match="names no source"):
        release.build(tmp_path / "pack", tmp_path / "weights", ["no-such-model"])


def test_an_unpinned_source_is_fetched_only_when_named(tmp_path: Path) -> None:
    url, _ = _local(tmp_path, b"unverified")
    source = release.Source("loose", files=(release.PinnedFile(url),))
    with pytest.raises(release.SourceError, match="loose is not pinned"):
        source.fetch(tmp_path / "weights")
    release.check_pins([source], ["loose"])
    assert (source.fetch(tmp_path / "weights", allow_unpinned=True) / "weights.pth").is_file()

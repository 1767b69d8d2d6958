"""PANNs CNN14 exporter on random weights: the release checkpoint's key names load strictly,
ONNX matches torch at dynamic batch and length, and the entry describes the graph."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from engine.inference.audio import AudioEncoder
from engine.media.audio import resample
from models.arch.cnn14 import CNN14_FRONT_END, Cnn14, multiply_accumulates
from models.export.common import parity, run_onnx
from models.export.panns import (
    GRAPH,
    PARITY,
    PannsExportError,
    export_cnn14,
    load_cnn14,
    read_labels,
)
from models.manifest import AudioPreprocessing, Manifest, ModelEntry, Task, load_manifest

RATE = 32000
CLASSES = 527


def reference_keys() -> set[str]:
    """The state-dict keys of ``Cnn14_mAP=0.431.pth`` (audioset_tagging_cnn's Cnn14)."""
    batch_norm = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    keys = {
        "spectrogram_extractor.stft.conv_real.weight",
        "spectrogram_extractor.stft.conv_imag.weight",
        "logmel_extractor.melW",
        "fc1.weight",
        "fc1.bias",
        "fc_audioset.weight",
        "fc_audioset.bias",
    }
    keys |= {f"bn0.{name}" for name in batch_norm}
    for block in range(1, 7):
        keys |= {f"conv_block{block}.conv1.weight", f"conv_block{block}.conv2.weight"}
        for bn in ("bn1", "bn2"):
            keys |= {f"conv_block{block}.{bn}.{name}" for name in batch_norm}
    return keys


def randomised(seed: int = 0) -> Cnn14:
    """CNN14 with random weights and batch-norm statistics, scaled so activations stay O(1)."""
    torch.manual_seed(seed)
    network = Cnn14()
    with torch.no_grad():
        for name, module in network.named_modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
                torch.nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    module.bias.uniform_(-0.1, 0.1)
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.normal_(0.0, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                if name == "bn0":  # log-mel values are in dB, tens below zero
                    module.running_mean.normal_(-40.0, 5.0)
                    module.running_var.fill_(400.0)
    return network.eval()


@pytest.fixture(scope="module")
def labels() -> list[str]:
    return [f"Sound {index}, kind {index % 7}" for index in range(CLASSES)]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, labels: list[str]) -> tuple[Path, Path]:
    """A checkpoint laid out like the release (weights under "model", a sampler's numpy state)
    and a class_labels_indices.csv with quoted display names."""
    folder = tmp_path_factory.mktemp("release")
    checkpoint = folder / "Cnn14_mAP=0.431.pth"
    sampler = {"indexes": np.arange(10), "random_state": np.random.RandomState(0).get_state()}
    torch.save({"model": randomised().state_dict(), "iteration": 0, "sampler": sampler}, checkpoint)
    table = folder / "class_labels_indices.csv"
    with table.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["index", "mid", "display_name"])
        for index, name in enumerate(labels):
            writer.writerow([index, f"/m/{index:05x}", name])
    return checkpoint, table


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, release: tuple[Path, Path]
) -> tuple[Path, ModelEntry]:
    pack = tmp_path_factory.mktemp("pack")
    checkpoint, table = release
    return pack, export_cnn14(checkpoint, pack, table)


def test_state_dict_has_the_release_checkpoint_keys() -> None:
    state = Cnn14().state_dict()
    assert set(state) == reference_keys()
    assert state["spectrogram_extractor.stft.conv_real.weight"].shape == (513, 1, 1024)
    assert state["logmel_extractor.melW"].shape == (513, 64)
    assert state["fc_audioset.weight"].shape == (CLASSES, 2048)


def test_checkpoint_loads_strictly_and_unchanged(release: tuple[Path, Path]) -> None:
    checkpoint, _ = release
    saved = torch.load(checkpoint, weights_only=False)["model"]
    loaded = load_cnn14(checkpoint).state_dict()
    assert set(loaded) == set(saved)
    for key, tensor in saved.items():
        assert torch.equal(loaded[key], tensor), key


def test_checkpoint_missing_a_key_is_refused(tmp_path: Path) -> None:
    state = Cnn14().state_dict()
    del state["conv_block3.bn2.running_var"]
    checkpoint = tmp_path / "bad.pth"
    torch.save({"model": state}, checkpoint)
    with pytest.raises(PannsExportError, match="running_var"):
        load_cnn14(checkpoint)


def test_checkpoint_with_a_renamed_key_is_refused_by_name(tmp_path: Path) -> None:
    state = Cnn14().state_dict()
    state["fc_audioset.weights"] = state.pop("fc_audioset.weight")
    checkpoint = tmp_path / "renamed.pth"
    torch.save({"model": state}, checkpoint)
    with pytest.raises(PannsExportError) as raised:
        export_cnn14(checkpoint, tmp_path / "pack", None)
    assert "missing 1: fc_audioset.weight;" in str(raised.value)
    assert "unexpected 1: fc_audioset.weights" in str(raised.value)
    assert not (tmp_path / "pack").exists()


def test_checkpoint_with_a_mis_shaped_key_is_refused_by_name(tmp_path: Path) -> None:
    state = Cnn14().state_dict()
    state["conv_block1.bn1.weight"] = torch.ones(32)
    checkpoint = tmp_path / "shaped.pth"
    torch.save({"model": state}, checkpoint)
    with pytest.raises(
        PannsExportError, match=r"conv_block1.bn1.weight \(32,\) \(expected \(64,\)\)"
    ):
        load_cnn14(checkpoint)


def test_stft_front_end_matches_numpy_fft() -> None:
    """The conv STFT gives numpy's rfft power of reflect-padded, periodic-Hann frames."""
    rng = np.random.default_rng(1)
    signal = rng.standard_normal(RATE // 4).astype(np.float32)
    power = Cnn14().spectrogram_extractor(torch.from_numpy(signal)[None])[0].numpy()
    n_fft, hop = CNN14_FRONT_END.n_fft, CNN14_FRONT_END.hop_length
    padded = np.pad(signal.astype(np.float64), n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.stack([padded[i : i + n_fft] for i in range(0, len(padded) - n_fft + 1, hop)])
    expected = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    assert power.shape == expected.shape
    assert np.max(np.abs(power - expected)) / expected.max() < 1e-5


def test_entry_describes_the_graph(exported: tuple[Path, ModelEntry], labels: list[str]) -> None:
    pack, entry = exported
    assert entry.id == "panns-cnn14"
    assert entry.task is Task.AUDIO
    assert entry.dims == {"embedding": 2048, "clipwise": CLASSES}
    assert entry.preprocessing == AudioPreprocessing(
        sample_rate=RATE, window_seconds=10.0, hop_seconds=5.0
    )
    assert entry.inputs == {"model": ["waveform"]}
    assert entry.outputs == {"model": ["embedding", "clipwise"]}
    assert entry.licence.startswith("MIT; ") and "CC BY-SA 4.0" in entry.licence
    assert "zenodo.org/record/3987831" in entry.source
    assert entry.files["model"].path == "panns-cnn14/model.onnx"
    written = (pack / entry.files["labels"].path).read_text(encoding="utf-8").splitlines()
    assert written == labels
    # AudioSet's names in the UI's other languages, line for line, beside the English ones.
    for language, first in (("zh_CN", "说话声"), ("es", "habla")):
        path = pack / entry.files[f"labels.{language}"].path
        assert path.name == f"labels.{language}.txt"
        names = path.read_text(encoding="utf-8").splitlines()
        assert len(names) == CLASSES and names[0] == first
    others = (pack / entry.files["synonyms.zh_CN"].path).read_text(encoding="utf-8")
    assert "狗: 犬, 狗狗\n" in others and "虎鲸" not in others  # its own names' synonyms only


def test_onnx_inputs_and_outputs_are_named_and_dynamic(exported: tuple[Path, ModelEntry]) -> None:
    pack, entry = exported
    session = ort.InferenceSession(str(pack / entry.files["model"].path))
    (waveform,) = session.get_inputs()
    assert (waveform.name, waveform.type, waveform.shape) == (
        "waveform",
        "tensor(float)",
        ["batch", "samples"],
    )
    outputs = {output.name: output.shape for output in session.get_outputs()}
    assert outputs == {"embedding": ["batch", 2048], "clipwise": ["batch", CLASSES]}


@pytest.mark.parametrize(("batch", "seconds"), [(1, 1), (2, 1), (1, 10), (2, 10)])
def test_onnx_matches_torch(
    exported: tuple[Path, ModelEntry], release: tuple[Path, Path], batch: int, seconds: int
) -> None:
    pack, entry = exported
    network = load_cnn14(release[0])
    generator = torch.Generator().manual_seed(batch * 100 + seconds)
    waveform = 0.2 * torch.randn(batch, seconds * RATE, generator=generator)
    example = {"waveform": waveform}
    found = parity(network, pack / entry.files["model"].path, example, GRAPH)
    assert all(item.within(PARITY) for item in found.values()), found
    with torch.no_grad():
        embedding, clipwise = network(waveform)
    # Ranges, and outputs that move with the input (a constant output would pass parity).
    assert embedding.shape == (batch, 2048) and clipwise.shape == (batch, CLASSES)
    assert torch.all(embedding >= 0) and float(embedding.max()) > 0.01
    assert torch.all((clipwise >= 0) & (clipwise <= 1))
    assert float(clipwise.std()) > 1e-3


def test_label_table_with_the_wrong_count_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "labels.csv"
    table.write_text("index,mid,display_name\n0,/m/0,Speech\n1,/m/1,Music\n", encoding="utf-8")
    assert read_labels(table, classes=2) == ["Speech", "Music"]
    with pytest.raises(PannsExportError, match="expected 527"):
        read_labels(table)


def test_cost_per_ten_second_window() -> None:
    """About 21 G multiply-accumulates (42 GFLOPs), as the PANNs paper reports for CNN14."""
    cost = multiply_accumulates(10 * RATE)
    assert 20e9 < cost.total < 22.5e9
    assert cost.convolutions > 0.9 * cost.total


def test_audio_encoder_runs_the_exported_graph(exported: tuple[Path, ModelEntry]) -> None:
    """The engine's AudioEncoder on the random-weight CNN14 pack: 10 s windows every 5 s of a
    44.1 kHz clip, unit vectors equal to the graph's own output, tags named from labels.txt."""
    pack, entry = exported
    Manifest("panns-test", "0", (entry,), root=pack).write(pack)
    manifest = load_manifest(pack)
    encoder = AudioEncoder.from_pack(manifest, manifest.get(entry.id))
    encoder.min_score = 0.0  # random weights score near 0.5; every top-k label is a tag
    assert encoder.dim == 2048 and encoder.has_tags
    clip = (0.1 * np.random.default_rng(5).standard_normal(23 * 44100)).astype(np.float32)
    windows = encoder.encode_windows(clip, 44100)
    assert [(w.start, w.end) for w in windows] == [(0, 10), (5, 15), (10, 20), (13, 23)]
    at_rate = resample(clip, 44100, RATE)
    last = windows[-1]
    direct = run_onnx(pack / entry.files["model"].path, {"waveform": at_rate[None, 13 * RATE :]})
    embedding = direct["embedding"][0] / np.linalg.norm(direct["embedding"][0])
    assert np.allclose(last.embedding, embedding, atol=1e-5)
    labels = (pack / entry.files["labels"].path).read_text(encoding="utf-8").splitlines()
    best = np.argsort(-direct["clipwise"][0])[:5]
    assert [label for label, _ in last.tags] == [labels[i] for i in best]
    query = encoder.encode_clip(clip, 44100, start=5.0, end=15.0)
    assert float(query @ windows[1].embedding) > 0.999

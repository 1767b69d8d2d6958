"""Shared steps of every exporter: torch module -> ONNX file with fixed names, and parity checks.

Build-time only: this module imports torch, which the run-time app never does.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from numpy.typing import NDArray

OPSET = 17


@dataclass(frozen=True)
class Graph:
    """What one ONNX graph takes and gives: names in order, and which axes may vary."""

    inputs: Sequence[str]
    outputs: Sequence[str]
    dynamic_axes: Mapping[str, Mapping[int, str]]


def export_onnx(
    module: torch.nn.Module,
    example: Mapping[str, torch.Tensor],
    graph: Graph,
    target: Path,
) -> Path:
    """Trace ``module`` on ``example`` (keyed by input name) and write ``target``.

    The TorchScript exporter is used on purpose: it keeps the given input/output names and
    ``dynamic_axes`` exactly, and it is the path that optimum also proves for BERT and Whisper.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    module.eval()
    args = tuple(example[name] for name in graph.inputs)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            str(target),
            input_names=list(graph.inputs),
            output_names=list(graph.outputs),
            dynamic_axes={name: dict(axes) for name, axes in graph.dynamic_axes.items()},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return target


def store_exact_float16(path: Path, smallest: int = 1024) -> int:
    """Store each float32 weight of ``path`` whose every value is exactly a float16 as float16,
    cast back to float32 by a ``Cast`` node in the graph; return how many were stored so.

    Lossless by construction (weights that came from a float16 checkpoint), so the outputs are
    bit for bit those of the float32 file, while such weights take half the bytes on disk. ONNX
    Runtime folds each cast of a constant when it loads the graph, so a session runs float32
    kernels at float32 speed. Weights with fewer than ``smallest`` values stay as they are.
    """
    model = onnx.load(str(path))
    graph = model.graph
    kept: list[onnx.TensorProto] = []
    casts: list[onnx.NodeProto] = []
    for tensor in graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT and np.prod(tensor.dims) >= smallest:
            weights = onnx.numpy_helper.to_array(tensor)
            half = weights.astype(np.float16)
            if np.array_equal(half.astype(np.float32), weights):
                stored = f"{tensor.name}.float16"
                kept.append(onnx.numpy_helper.from_array(half, stored))
                casts.append(
                    onnx.helper.make_node(
                        "Cast",
                        [stored],
                        [tensor.name],
                        name=f"{stored}.cast",
                        to=onnx.TensorProto.FLOAT,
                    )
                )
                continue
        kept.append(tensor)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)  # a cast runs before any node that reads its weight
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(path))
    return len(casts)


def run_onnx(path: Path, feed: Mapping[str, NDArray[np.generic]]) -> dict[str, NDArray[np.float32]]:
    """Run an ONNX file once on the CPU and return its outputs by name."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, dict(feed)), strict=True))


def run_torch(
    module: torch.nn.Module, example: Mapping[str, torch.Tensor], graph: Graph
) -> dict[str, NDArray[np.float32]]:
    """Run the torch module the way the exporter traced it, outputs keyed like the graph."""
    module.eval()
    with torch.no_grad():
        result = module(*(example[name] for name in graph.inputs))
    outputs = result if isinstance(result, tuple | list) else (result,)
    return {
        name: tensor.detach().cpu().numpy()
        for name, tensor in zip(graph.outputs, outputs, strict=True)
    }


def max_abs_difference(
    module: torch.nn.Module, path: Path, example: Mapping[str, torch.Tensor], graph: Graph
) -> dict[str, float]:
    """Largest absolute difference between torch and ONNX Runtime, per output."""
    expected = run_torch(module, example, graph)
    feed = {name: example[name].detach().cpu().numpy() for name in graph.inputs}
    actual = run_onnx(path, feed)
    return {
        name: float(np.max(np.abs(expected[name].astype(np.float64) - actual[name])))
        for name in graph.outputs
    }

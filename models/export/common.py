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


# --- strict loading ------------------------------------------------------------------------------


class WeightsMismatch(RuntimeError):
    """A checkpoint whose parameter names or shapes differ from the module it is loaded into."""


def _listed(keys: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return f"{shown} (+{len(keys) - limit} more)" if len(keys) > limit else shown


def describe_mismatch(
    missing: Sequence[str],
    unexpected: Sequence[str],
    mismatched: Sequence[tuple[str, tuple[int, ...], tuple[int, ...]]],
) -> str:
    """One line naming every kind of disagreement, empty when there is none."""
    parts = []
    if missing:
        parts.append(f"missing {len(missing)}: {_listed(missing)}")
    if unexpected:
        parts.append(f"unexpected {len(unexpected)}: {_listed(unexpected)}")
    if mismatched:
        shapes = [f"{key} {found} (expected {wanted})" for key, found, wanted in mismatched]
        parts.append(f"mis-shaped {len(mismatched)}: {_listed(shapes)}")
    return "; ".join(parts)


def load_strict(
    module: torch.nn.Module,
    state: Mapping[str, torch.Tensor],
    where: object,
    error: type[Exception] = WeightsMismatch,
) -> None:
    """Load ``state`` into ``module`` only if every key is there, none is extra and every shape
    fits; otherwise raise ``error`` naming the keys, before any weight is copied."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [
        (key, tuple(state[key].shape), tuple(expected[key].shape))
        for key in sorted(set(state) & set(expected))
        if tuple(state[key].shape) != tuple(expected[key].shape)
    ]
    problems = describe_mismatch(missing, unexpected, mismatched)
    if problems:
        raise error(f"{where} does not fit {type(module).__name__}: {problems}")
    module.load_state_dict(dict(state), strict=True)


# --- parity: torch vs ONNX Runtime, relative to the output's scale -----------------------------


class ParityError(RuntimeError):
    """An exported graph whose outputs drift from the torch module beyond the exporter's bound."""


@dataclass(frozen=True)
class ParityBound:
    """How far an ONNX graph may drift from torch, independent of the outputs' scale.

    ``relative``: max |torch - onnx| / max |torch| over the output; ``cosine``: the smallest
    cosine similarity between a torch row and its ONNX row (axis 0 is the row) must be at least
    ``1 - cosine`` (a cosine distance, so both bounds read "smaller is stricter").

    Each exporter's bound is set from ``tests/benchmarks/parity.py`` ("Export parity" in
    BENCHMARKS.md): 10x the worst relative error and 100x the worst cosine distance (which
    grows as the error squared) measured on its graphs. An exporter measured only on random
    weights takes the worst real-weights figure of any exporter instead: trained weights have
    larger outlier activations (MiniLM's real relative error is 30x a random BERT's).
    """

    relative: float
    cosine: float


@dataclass(frozen=True)
class Parity:
    """How one output of the ONNX graph compares with torch's on the same input."""

    relative: float
    cosine_distance: float  # 1 - the smallest cosine over the output's rows
    max_abs: float

    def within(self, bound: ParityBound) -> bool:
        return self.relative <= bound.relative and self.cosine_distance <= bound.cosine

    def describe(self) -> str:
        return (
            f"relative {self.relative:.1e}, cosine distance {self.cosine_distance:.1e}, "
            f"max abs {self.max_abs:.1e}"
        )

    @staticmethod
    def worst(found: Sequence[Parity]) -> Parity:
        return Parity(
            relative=max(item.relative for item in found),
            cosine_distance=max(item.cosine_distance for item in found),
            max_abs=max(item.max_abs for item in found),
        )


def compare(expected: NDArray[np.generic], actual: NDArray[np.generic]) -> Parity:
    """Relative error and the worst row's cosine distance of ``actual`` against ``expected``."""
    reference = np.asarray(expected, dtype=np.float64)
    found = np.asarray(actual, dtype=np.float64)
    if reference.shape != found.shape:
        raise ParityError(f"ONNX output shape {found.shape}, torch {reference.shape}")
    difference = float(np.max(np.abs(reference - found))) if reference.size else 0.0
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    relative = difference / scale if scale > 0 else difference
    rows_expected = reference.reshape(reference.shape[0] if reference.ndim else 1, -1)
    rows_found = found.reshape(rows_expected.shape)
    norms = np.linalg.norm(rows_expected, axis=1) * np.linalg.norm(rows_found, axis=1)
    dots = (rows_expected * rows_found).sum(axis=1)
    # A row that is zero on both sides agrees exactly; one zero on one side only does not.
    both_zero = (np.linalg.norm(rows_expected, axis=1) == 0) & (
        np.linalg.norm(rows_found, axis=1) == 0
    )
    cosines = np.where(both_zero, 1.0, dots / np.where(norms > 0, norms, 1.0))
    distance = float(max(0.0, 1.0 - cosines.min())) if cosines.size else 0.0
    return Parity(relative=relative, cosine_distance=distance, max_abs=difference)


def parity(
    module: torch.nn.Module, path: Path, example: Mapping[str, torch.Tensor], graph: Graph
) -> dict[str, Parity]:
    """Torch vs ONNX Runtime on ``example``, per output."""
    expected = run_torch(module, example, graph)
    feed = {name: example[name].detach().cpu().numpy() for name in graph.inputs}
    actual = run_onnx(path, feed)
    return {name: compare(expected[name], actual[name]) for name in graph.outputs}


def check_parity(label: str, found: Mapping[str, Parity], bound: ParityBound) -> Parity:
    """The worst of ``found``; raise :class:`ParityError` naming each output beyond ``bound``."""
    beyond = {name: item for name, item in found.items() if not item.within(bound)}
    if beyond:
        listed = "; ".join(f"{name}: {item.describe()}" for name, item in beyond.items())
        raise ParityError(
            f"{label}: ONNX drifts from torch beyond relative {bound.relative:.0e} / cosine "
            f"distance {bound.cosine:.0e}: {listed}"
        )
    return Parity.worst(list(found.values()))

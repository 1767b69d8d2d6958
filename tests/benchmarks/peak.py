"""This machine's float32 matrix-multiply peak, the yardstick for the encoder benchmarks.

Two figures: NumPy's (its BLAS, with the threads it uses by default) and ONNX Runtime's on a
graph holding one MatMul (ORT is what runs our models, with the engine's thread count). The
best of several runs at square sizes 1024..4096 is taken, since a shared machine only ever
makes a run slower.

    .venv/bin/python -m tests.benchmarks.peak
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.inference.providers import choose, session_options

SIZES = (1024, 2048, 4096)
REPEATS = 4
Matrix = NDArray[np.float32]


@dataclass(frozen=True)
class Peak:
    """The best rate seen, and at which size."""

    backend: str
    flops: float
    size: int
    threads: int | None = None

    def describe(self) -> str:
        threads = f", {self.threads} threads" if self.threads else ""
        return f"{self.backend}: {self.flops / 1e9:.1f} GFLOP/s (n={self.size}{threads})"


def _best_rate(
    multiply: Callable[[Matrix, Matrix], object], sizes: Sequence[int], repeats: int
) -> tuple[float, int]:
    rng = np.random.default_rng(0)
    best, best_size = 0.0, sizes[0]
    for size in sizes:
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        multiply(a, b)  # warm-up: thread pools, page faults, ORT's first-run allocations
        for _ in range(repeats):
            start = time.perf_counter()
            multiply(a, b)
            rate = 2.0 * size**3 / (time.perf_counter() - start)
            if rate > best:
                best, best_size = rate, size
    return best, best_size


class MatmulProbe:
    """One quick float32 matmul, timed on demand: a reference rate taken right beside another
    measurement, so that both see the same load from other processes."""

    def __init__(self, size: int = 2048) -> None:
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((size, size), dtype=np.float32)
        self.b = rng.standard_normal((size, size), dtype=np.float32)
        np.matmul(self.a, self.b)  # warm-up

    def rate(self) -> float:
        start = time.perf_counter()
        np.matmul(self.a, self.b)
        return 2.0 * self.a.shape[0] ** 3 / (time.perf_counter() - start)


def numpy_peak(sizes: Sequence[int] = SIZES, repeats: int = REPEATS) -> Peak:
    """float32 ``a @ b`` with NumPy's BLAS and its default threads."""
    flops, size = _best_rate(np.matmul, sizes, repeats)
    return Peak("numpy", flops, size)


def onnxruntime_peak(
    sizes: Sequence[int] = SIZES, repeats: int = REPEATS, threads: int | None = None
) -> Peak | None:
    """One MatMul node run by ONNX Runtime on the CPU with the engine's session options;
    ``None`` when the ``onnx`` package (needed to write the graph) is not installed."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return None
    import onnxruntime as ort

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "matmul",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", "k"]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["k", "m"]),
        ],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["n", "m"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every ORT the project supports
    placement = choose("cpu", threads=threads)
    session = ort.InferenceSession(
        model.SerializeToString(),
        sess_options=session_options(placement),
        providers=list(placement.providers),
    )

    def multiply(a: Matrix, b: Matrix) -> object:
        return session.run(["c"], {"a": a, "b": b})

    flops, size = _best_rate(multiply, sizes, repeats)
    return Peak("onnxruntime", flops, size, placement.threads)


def main() -> int:
    print(numpy_peak().describe())
    ort_peak = onnxruntime_peak()
    print(ort_peak.describe() if ort_peak else "onnxruntime: skipped (the onnx package is missing)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

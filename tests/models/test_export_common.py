"""The shared exporter checks: strict loading names every key that does not fit, and parity is
measured relative to the output's scale and per row by cosine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    ParityError,
    WeightsMismatch,
    check_parity,
    compare,
    export_onnx,
    load_strict,
    parity,
)


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.first(x)) * 1000.0  # a large scale: absolute errors grow with it


GRAPH = Graph(inputs=("x",), outputs=("y",), dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def test_a_renamed_key_is_named_as_missing_and_unexpected() -> None:
    state = Tiny().state_dict()
    state["first.weights"] = state.pop("first.weight")
    module = Tiny()
    before = module.first.bias.clone()
    with pytest.raises(WeightsMismatch) as raised:
        load_strict(module, state, "ckpt.pth")
    message = str(raised.value)
    assert "ckpt.pth does not fit Tiny" in message
    assert "missing 1: first.weight" in message and "unexpected 1: first.weights" in message
    assert torch.equal(module.first.bias, before)  # nothing was copied


def test_a_mis_shaped_key_is_named_with_both_shapes() -> None:
    state = Tiny().state_dict()
    state["norm.bias"] = torch.zeros(5)
    with pytest.raises(ValueError, match=r"mis-shaped 1: norm.bias \(5,\) \(expected \(3,\)\)"):
        load_strict(Tiny(), state, "here", ValueError)  # the caller's error type


def test_a_fitting_state_loads() -> None:
    source = Tiny()
    target = Tiny()
    load_strict(target, source.state_dict(), "here")
    assert torch.equal(target.first.weight, source.first.weight)


def test_compare_is_relative_to_the_outputs_scale() -> None:
    expected = np.array([[1000.0, -500.0], [3.0, 4.0]])
    actual = expected + np.array([[0.1, 0.0], [0.0, 0.0]])
    found = compare(expected, actual)
    assert found.max_abs == pytest.approx(0.1)
    assert found.relative == pytest.approx(1e-4)
    assert found.cosine_distance < 1e-8
    # Same relative error, a row pointing elsewhere: the cosine catches what max abs hides.
    flipped = compare(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert flipped.cosine_distance == pytest.approx(1.0)


def test_zero_rows_agree_only_with_zero_rows() -> None:
    assert compare(np.zeros((2, 3)), np.zeros((2, 3))) == Parity(0.0, 0.0, 0.0)
    assert compare(np.zeros((1, 3)), np.ones((1, 3))).cosine_distance == pytest.approx(1.0)


def test_parity_of_an_export_and_the_bound(tmp_path: Path) -> None:
    module = Tiny().eval()
    example = {"x": torch.randn(2, 4, generator=torch.Generator().manual_seed(0))}
    path = export_onnx(module, example, GRAPH, tmp_path / "tiny.onnx")
    check = {"x": torch.randn(5, 4, generator=torch.Generator().manual_seed(1))}
    found = parity(module, path, check, GRAPH)
    assert found["y"].relative < 1e-6
    assert check_parity("tiny", found, ParityBound(relative=1e-5, cosine=1e-10)) == found["y"]
    with pytest.raises(ParityError, match=r"tiny: .* y: relative"):
        check_parity("tiny", {"y": Parity(2e-5, 0.0, 1.0)}, ParityBound(1e-5, 1e-10))
    with pytest.raises(ParityError, match="cosine distance"):
        check_parity("tiny", {"y": Parity(0.0, 1e-9, 0.0)}, ParityBound(1e-5, 1e-10))

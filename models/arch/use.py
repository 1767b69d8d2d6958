"""Universal Sentence Encoder Multilingual v3 (Yang et al. 2019, "Multilingual Universal Sentence
Encoder for Semantic Retrieval"), inference only, from the numpy port's ``weights.npz``.

SentencePiece ids ``[batch, tokens]`` (right-padded; ``attention_mask`` marks the real ones) ->
embedding rows (a uint8 table quantised per chunk, chunk = id % 17, dequantised after the gather)
-> a joint projection to three 256-d branches with one layer norm over all 768 -> per branch a
two-layer residual n-gram CNN (orders 2, 3 and 5, each window centred by its left context) ->
``[embedding | three branches]`` layer-normed -> sum over real tokens, projected, over
sqrt(length) -> a residual DAN head with tanh -> L2-normalised 512-d sentence embedding.

Each sentence's windows see zeros beyond its own tokens, exactly as the numpy port's sentinel row
gives them: conv inputs are zeroed at padded positions before every window is taken.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional

CHUNKS = 17
EMBEDDING_DIM = 512
BRANCH_DIM = 256
# (n-gram order, tokens of left context) for the three CNN branches.
ORDERS = ((2, 0), (3, 1), (5, 2))


def _tensor(array: NDArray[np.generic]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


class NgramBranch(nn.Module):
    """Two residual convolutions over windows of ``order`` tokens, ``left`` of them before."""

    def __init__(self, weights: Mapping[str, NDArray[np.generic]], order: int, left: int) -> None:
        super().__init__()
        self.order, self.left = order, left
        self.w1 = nn.Parameter(_tensor(weights[f"w1_{order}"]), requires_grad=False)
        self.b1 = nn.Parameter(_tensor(weights[f"b1_{order}"]), requires_grad=False)
        self.w2 = nn.Parameter(_tensor(weights[f"w2_{order}"]), requires_grad=False)
        self.b2 = nn.Parameter(_tensor(weights[f"b2_{order}"]), requires_grad=False)

    def windows(self, x: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """[batch, tokens, d] -> [batch, tokens, order * d]: token t's window t-left ..
        t-left+order-1, with zeros wherever a slot falls outside the sentence."""
        tokens = x.shape[1]
        padded = functional.pad(x * real, (0, 0, self.left, self.order - 1 - self.left))
        return torch.cat([padded[:, k : k + tokens] for k in range(self.order)], dim=-1)

    def forward(self, x: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.windows(x, real) @ self.w1 + self.b1) + x
        return torch.relu(self.windows(h, real) @ self.w2 + self.b2) + h


class UniversalSentenceEncoderM3(nn.Module):
    """``input_ids, attention_mask`` (int64) -> ``sentence_embedding`` [batch, 512], unit rows."""

    def __init__(self, weights: Mapping[str, NDArray[np.generic]]) -> None:
        super().__init__()
        chunks = [weights[f"q{i + 1}"] for i in range(CHUNKS)]
        rows = sum(chunk.shape[0] for chunk in chunks)
        table = np.empty((rows, EMBEDDING_DIM), dtype=np.uint8)
        for i, chunk in enumerate(chunks):
            table[i::CHUNKS] = chunk  # the npz interleaves ids by id % 17
        self.register_buffer("table", _tensor(table))
        self.register_buffer("scale", _tensor(weights["scale"]).float())
        self.register_buffer("low", _tensor(weights["lo"]).float())
        self.eps = float(weights["eps"])
        orders = [order for order, _ in ORDERS]
        self.proj_w = nn.Parameter(
            _tensor(np.concatenate([weights[f"proj{n}"] for n in orders], axis=1)),
            requires_grad=False,
        )
        self.proj_b = nn.Parameter(
            _tensor(np.concatenate([weights[f"proj_b{n}"] for n in orders])), requires_grad=False
        )
        self.proj_norm = self._norm(
            np.concatenate([weights[f"ln_g{n}"] for n in orders]),
            np.concatenate([weights[f"ln_b{n}"] for n in orders]),
        )
        self.branches = nn.ModuleList(NgramBranch(weights, n, left) for n, left in ORDERS)
        self.feature_norm = self._norm(weights["ln_g"], weights["ln_b"])
        for name in ("cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
            setattr(self, name.lower(), nn.Parameter(_tensor(weights[name]), requires_grad=False))

    def _norm(self, gamma: NDArray[np.generic], beta: NDArray[np.generic]) -> nn.LayerNorm:
        norm = nn.LayerNorm(gamma.shape[0], eps=self.eps)
        norm.weight = nn.Parameter(_tensor(gamma), requires_grad=False)
        norm.bias = nn.Parameter(_tensor(beta), requires_grad=False)
        return norm

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Gather uint8 rows, then dequantise them with their chunk's scale and offset."""
        chunk = torch.remainder(input_ids, CHUNKS)
        rows = self.table[input_ids].float()
        return rows * self.scale[chunk].unsqueeze(-1) + self.low[chunk].unsqueeze(-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        real = attention_mask.unsqueeze(-1).float()
        embedded = self.embed(input_ids)
        projected = self.proj_norm(embedded @ self.proj_w + self.proj_b)
        branches = [
            branch(projected[..., i * BRANCH_DIM : (i + 1) * BRANCH_DIM], real)
            for i, branch in enumerate(self.branches)
        ]
        features = self.feature_norm(torch.cat([embedded, *branches], dim=-1))
        length = real.sum(dim=1)
        # Sum, then project: the numpy port's order, which the linear projection allows.
        pooled = ((features * real).sum(dim=1) @ self.cnn_w + length * self.cnn_b) / length.sqrt()
        y0 = torch.relu(pooled @ self.d0)
        y1 = torch.relu(pooled @ self.p1 + y0 @ self.d1)
        y2 = torch.relu(y1 @ self.d2)
        z = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
        norm = (z * z).sum(dim=-1, keepdim=True).clamp(min=self.eps).sqrt()
        return z / norm

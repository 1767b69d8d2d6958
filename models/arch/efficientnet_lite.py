"""EfficientNet-Lite0 in plain torch, named so the converted TensorFlow checkpoint loads strictly.

Lite differs from EfficientNet-B0 in ways the checkpoint fixes: no squeeze-excitation, ReLU6
instead of swish, and a stem (32) and head (1280) that do not scale. The weights were converted
from TensorFlow, so stride-2 convolutions pad like TF's "SAME" (more on the bottom/right) and batch
norm uses TF's epsilon; both are kept here, or the features drift. Parameter names follow the
``_conv_stem`` / ``_blocks.N._expand_conv`` / ``_fc`` layout of the checkpoint.
Build-time only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

IMAGE_SIZE = 224
EMBEDDING_DIM = 1280
NUM_CLASSES = 1000
_BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the converted statistics assume


@dataclass(frozen=True)
class Stage:
    """One row of the Lite0 table: ``repeats`` blocks, the first one striding and widening."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    channels_in: int
    channels_out: int


LITE0_STAGES = (
    Stage(1, 3, 1, 1, 32, 16),
    Stage(2, 3, 2, 6, 16, 24),
    Stage(2, 5, 2, 6, 24, 40),
    Stage(3, 3, 2, 6, 40, 80),
    Stage(3, 5, 1, 6, 80, 112),
    Stage(4, 5, 2, 6, 112, 192),
    Stage(1, 3, 1, 6, 192, 320),
)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding on one axis: (before, after), the odd pixel going after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """A bias-free convolution padded like TF "SAME" for a fixed input side (static pads export
    to a single Pad node, and the network only ever sees one resolution)."""

    def __init__(
        self, channels_in: int, channels_out: int, kernel: int, stride: int, size: int, groups: int
    ) -> None:
        super().__init__(channels_in, channels_out, kernel, stride, 0, groups=groups, bias=False)
        before, after = same_padding(size, kernel, stride)
        padding = (before, after, before, after)
        self.pad: nn.Module = nn.ZeroPad2d(padding) if any(padding) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.pad(x))


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise kxk, 1x1 project; identity skip if shapes match."""

    def __init__(self, stage: Stage, channels_in: int, stride: int, size: int) -> None:
        super().__init__()
        hidden = channels_in * stage.expand
        self.expands = stage.expand != 1
        if self.expands:
            self._expand_conv = SameConv2d(channels_in, hidden, 1, 1, size, 1)
            self._bn0 = nn.BatchNorm2d(hidden, eps=_BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, stage.kernel, stride, size, hidden)
        self._bn1 = nn.BatchNorm2d(hidden, eps=_BN_EPS)
        self._project_conv = SameConv2d(hidden, stage.channels_out, 1, 1, size // stride, 1)
        self._bn2 = nn.BatchNorm2d(stage.channels_out, eps=_BN_EPS)
        self.act = nn.ReLU6()
        self.skip = stride == 1 and channels_in == stage.channels_out

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expands:
            x = self.act(self._bn0(self._expand_conv(x)))
        x = self.act(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.skip else x


class EfficientNetLite0(nn.Module):
    """``pixel_values`` (already scaled to (x - 127) / 128) -> (pooled 1280-d features, logits)."""

    def __init__(self, image_size: int = IMAGE_SIZE, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        stem = LITE0_STAGES[0].channels_in
        self._conv_stem = SameConv2d(3, stem, 3, 2, image_size, 1)
        self._bn0 = nn.BatchNorm2d(stem, eps=_BN_EPS)
        size = math.ceil(image_size / 2)
        blocks: list[nn.Module] = []
        for stage in LITE0_STAGES:
            channels_in = stage.channels_in
            for index in range(stage.repeats):
                stride = stage.stride if index == 0 else 1
                blocks.append(MBConv(stage, channels_in, stride, size))
                size = math.ceil(size / stride)
                channels_in = stage.channels_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(LITE0_STAGES[-1].channels_out, EMBEDDING_DIM, 1, 1, size, 1)
        self._bn1 = nn.BatchNorm2d(EMBEDDING_DIM, eps=_BN_EPS)
        self._fc = nn.Linear(EMBEDDING_DIM, num_classes)
        self.act = nn.ReLU6()

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.act(self._bn0(self._conv_stem(pixel_values)))
        for block in self._blocks:
            x = block(x)
        x = self.act(self._bn1(self._conv_head(x)))
        embedding = x.mean(dim=(2, 3))
        return embedding, self._fc(embedding)

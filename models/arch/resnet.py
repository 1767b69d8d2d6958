"""ResNet-50 in plain torch, with torchvision's parameter names: its ImageNet weights load strictly.

torchvision itself is not needed (and does not install cleanly beside the pinned torch); this is
the v1.5 network it ships: the stride sits on the 3x3 convolution of each stage's first block.
Build-time only.
"""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_DIM = 2048
NUM_CLASSES = 1000
_EXPANSION = 4
# (blocks, bottleneck width, stride of the first block) per stage.
RESNET50_STAGES = ((3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand by 4; ``downsample`` projects the skip when needed."""

    def __init__(self, channels_in: int, width: int, stride: int) -> None:
        super().__init__()
        channels_out = width * _EXPANSION
        self.conv1 = nn.Conv2d(channels_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, channels_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels_out)
        self.relu = nn.ReLU()
        self.downsample: nn.Module | None = None
        if stride != 1 or channels_in != channels_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels_out),
            )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(inputs)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        skip = inputs if self.downsample is None else self.downsample(inputs)
        return self.relu(x + skip)


class ResNet50(nn.Module):
    """``pixel_values`` (ImageNet-normalised) -> (pooled 2048-d features, logits)."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = 64
        layers: list[nn.Sequential] = []
        for blocks, width, stride in RESNET50_STAGES:
            stage = [Bottleneck(channels, width, stride)]
            channels = width * _EXPANSION
            stage += [Bottleneck(channels, width, 1) for _ in range(blocks - 1)]
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(EMBEDDING_DIM, num_classes)

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(pixel_values))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        embedding = x.mean(dim=(2, 3))
        return embedding, self.fc(embedding)

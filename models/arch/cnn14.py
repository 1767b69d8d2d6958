"""PANNs CNN14 (Kong et al. 2020, "PANNs: Large-Scale Pretrained Audio Neural Networks"),
inference only, with the parameter names of the released checkpoint ``Cnn14_mAP=0.431.pth``.

Waveform ``[batch, samples]`` at 32 kHz -> log-mel (64 bands, 50 Hz-14 kHz, 1024-point Hann STFT,
hop 320, reflect-padded centre frames, 10 log10 power with amin 1e-10 and no top_db) -> six
double-conv blocks -> time pooling (max + mean) -> ``fc1`` (2048-d embedding) and
``fc_audioset`` (527 AudioSet classes, sigmoid). SpecAugment, mixup and dropout are training
devices and are left out.

The front end keeps the checkpoint's layout (``spectrogram_extractor.stft.conv_real/conv_imag``
as Conv1d kernels, ``logmel_extractor.melW`` as ``[bins, mels]``) so the release state dict loads
with ``strict=True``; its window, DFT kernels, filterbank and dB compression come from
:mod:`models.arch.spectrogram`, shared with Whisper's front end.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from models.arch.spectrogram import (
    DecibelCompression,
    Spectrogram,
    SpectrogramConfig,
    mel_filterbank,
)

# Every release checkpoint of CNN14 at 32 kHz uses these (audioset_tagging_cnn, scripts/).
CNN14_FRONT_END = SpectrogramConfig(
    sample_rate=32000,
    n_fft=1024,
    hop_length=320,
    n_mels=64,
    fmin=50.0,
    fmax=14000.0,
    mel_scale="slaney",
    slaney_norm=True,
    center=True,
    pad_mode="reflect",
    log="db",
    amin=1e-10,
    top_db=None,
)
AUDIOSET_CLASSES = 527
EMBEDDING_DIM = 2048
BLOCK_CHANNELS = (64, 128, 256, 512, 1024, 2048)


class _Stft(nn.Module):
    """Windowed DFT kernels as two strided convolutions (torchlibrosa's names)."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        reference = Spectrogram(config)
        bins = reference.bins
        kernels = reference.get_buffer("kernels")
        self.conv_real = nn.Conv1d(1, bins, config.n_fft, stride=config.hop_length, bias=False)
        self.conv_imag = nn.Conv1d(1, bins, config.n_fft, stride=config.hop_length, bias=False)
        with torch.no_grad():
            self.conv_real.weight.copy_(kernels[:bins])
            self.conv_imag.weight.copy_(kernels[bins:])
        self.requires_grad_(False)


class _PowerSpectrogram(nn.Module):
    """Waveform ``[batch, samples]`` -> power ``[batch, frames, bins]``."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        self.stft = _Stft(config)
        self.half = config.n_fft // 2
        self.pad_mode = config.pad_mode

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = functional.pad(waveform[:, None, :], (self.half, self.half), mode=self.pad_mode)
        real = self.stft.conv_real(signal)
        imag = self.stft.conv_imag(signal)
        return (real * real + imag * imag).transpose(1, 2)


class _LogMel(nn.Module):
    """Power ``[batch, frames, bins]`` -> dB log-mel ``[batch, frames, mels]``."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        filters = mel_filterbank(
            config.sample_rate,
            config.n_fft,
            config.n_mels,
            config.fmin,
            config.fmax,
            config.mel_scale,
            config.slaney_norm,
        )
        self.melW = nn.Parameter(torch.from_numpy(filters.T.copy()), requires_grad=False)
        self.compress = DecibelCompression(config.amin, top_db=config.top_db)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return self.compress(torch.matmul(power, self.melW))


class ConvBlock(nn.Module):
    """Two 3x3 conv + batch-norm + ReLU, then average pooling."""

    def __init__(self, in_channels: int, out_channels: int, pool: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = functional.relu(self.bn1(self.conv1(x)))
        x = functional.relu(self.bn2(self.conv2(x)))
        # The last block pools 1x1 (a no-op), as in the reference.
        return functional.avg_pool2d(x, self.pool) if self.pool > 1 else x


class Cnn14(nn.Module):
    """Waveform ``[batch, samples]`` at 32 kHz -> (embedding ``[batch, 2048]``,
    clipwise ``[batch, classes]`` probabilities). Needs at least ~0.31 s (32 frames) of audio."""

    def __init__(
        self, classes: int = AUDIOSET_CLASSES, front_end: SpectrogramConfig = CNN14_FRONT_END
    ) -> None:
        super().__init__()
        self.front_end = front_end
        self.spectrogram_extractor = _PowerSpectrogram(front_end)
        self.logmel_extractor = _LogMel(front_end)
        self.bn0 = nn.BatchNorm2d(front_end.n_mels)
        inputs = (1, *BLOCK_CHANNELS[:-1])
        for index, (cin, cout) in enumerate(zip(inputs, BLOCK_CHANNELS, strict=True), start=1):
            pool = 2 if index < len(BLOCK_CHANNELS) else 1
            self.add_module(f"conv_block{index}", ConvBlock(cin, cout, pool))
        self.fc1 = nn.Linear(EMBEDDING_DIM, EMBEDDING_DIM)
        self.fc_audioset = nn.Linear(EMBEDDING_DIM, classes)
        self.eval()

    def blocks(self) -> list[ConvBlock]:
        return [self.get_submodule(f"conv_block{i}") for i in range(1, len(BLOCK_CHANNELS) + 1)]

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.logmel_extractor(self.spectrogram_extractor(waveform))[:, None]  # [b, 1, t, mel]
        # bn0 normalises each mel band: the bands are its channels.
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for block in self.blocks():
            x = block(x)
        x = x.mean(dim=3)  # over what is left of frequency
        x = x.amax(dim=2) + x.mean(dim=2)  # over time: peak plus average
        embedding = functional.relu(self.fc1(x))
        return embedding, torch.sigmoid(self.fc_audioset(embedding))


@dataclass(frozen=True)
class Cost:
    """Multiply-accumulates of one forward pass, by stage."""

    front_end: int
    convolutions: int
    dense: int

    @property
    def total(self) -> int:
        return self.front_end + self.convolutions + self.dense


def multiply_accumulates(
    samples: int, classes: int = AUDIOSET_CLASSES, front_end: SpectrogramConfig = CNN14_FRONT_END
) -> Cost:
    """Analytic MACs of one clip (FLOPs are about twice this); batch norm and pooling omitted."""
    frames = samples // front_end.hop_length + 1
    bins = front_end.n_fft // 2 + 1
    stft = 2 * frames * bins * front_end.n_fft
    mel = frames * bins * front_end.n_mels
    time, freq, channels, convs = frames, front_end.n_mels, 1, 0
    for index, out in enumerate(BLOCK_CHANNELS, start=1):
        convs += time * freq * 9 * (channels * out + out * out)
        channels = out
        if index < len(BLOCK_CHANNELS):
            time, freq = time // 2, freq // 2
    dense = EMBEDDING_DIM * EMBEDDING_DIM + EMBEDDING_DIM * classes
    return Cost(stft + mel, convs, dense)

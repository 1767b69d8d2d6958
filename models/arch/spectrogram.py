"""Audio front ends as plain torch modules that export to ONNX: STFT as a strided convolution,
a mel filterbank, and the log compressions that Whisper and PANNs use.

The STFT is a ``Conv1d`` whose kernels are the windowed cosine and sine bases, so the exported
graph holds only Pad/Conv/Mul/MatMul: every ONNX runtime runs it, and the engine needs no DSP.
The filterbank is computed here in numpy, following the formulas librosa (``slaney``, its default)
and HTK use, so no audio library is needed at build time either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

MelScale = Literal["htk", "slaney"]

# Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
_SLANEY_HZ_PER_MEL = 200.0 / 3.0
_SLANEY_LOG_HZ = 1000.0
_SLANEY_LOG_MEL = _SLANEY_LOG_HZ / _SLANEY_HZ_PER_MEL
_SLANEY_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: float | NDArray[np.float64], scale: MelScale) -> NDArray[np.float64]:
    hz = np.asarray(hz, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    linear = hz / _SLANEY_HZ_PER_MEL
    above = _SLANEY_LOG_MEL + np.log(np.maximum(hz, _SLANEY_LOG_HZ) / _SLANEY_LOG_HZ) / (
        _SLANEY_LOG_STEP
    )
    return np.where(hz >= _SLANEY_LOG_HZ, above, linear)


def mel_to_hz(mel: float | NDArray[np.float64], scale: MelScale) -> NDArray[np.float64]:
    mel = np.asarray(mel, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    linear = mel * _SLANEY_HZ_PER_MEL
    above = _SLANEY_LOG_HZ * np.exp(
        _SLANEY_LOG_STEP * (np.maximum(mel, _SLANEY_LOG_MEL) - _SLANEY_LOG_MEL)
    )
    return np.where(mel >= _SLANEY_LOG_MEL, above, linear)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    scale: MelScale = "slaney",
    slaney_norm: bool = True,
) -> NDArray[np.float32]:
    """Triangular filters, shape ``[n_mels, n_fft // 2 + 1]``.

    ``slaney_norm`` scales each triangle to unit area (librosa's ``norm="slaney"``), as Whisper
    and PANNs both expect.
    """
    top = sample_rate / 2.0 if fmax is None else fmax
    bins = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, scale), hz_to_mel(top, scale), n_mels + 2), scale)
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if slaney_norm:
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def hann_window(length: int) -> NDArray[np.float64]:
    """The periodic Hann window (``torch.hann_window``'s and librosa's default)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)


@dataclass(frozen=True)
class SpectrogramConfig:
    """Everything that fixes a log-mel front end.

    ``log`` picks the compression: ``"whisper"`` (log10, floor at max - 8, then (x + 4) / 4) or
    ``"db"`` (10 log10 with ``amin``, optional ``top_db``: torchlibrosa/PANNs). ``drop_last_frame``
    mirrors Whisper, which discards the final centred frame.
    """

    sample_rate: int
    n_fft: int
    hop_length: int
    n_mels: int
    win_length: int | None = None
    fmin: float = 0.0
    fmax: float | None = None
    mel_scale: MelScale = "slaney"
    slaney_norm: bool = True
    center: bool = True
    pad_mode: str = "reflect"
    power: float = 2.0
    log: Literal["whisper", "db"] = "whisper"
    amin: float = 1e-10
    top_db: float | None = None
    drop_last_frame: bool = False


WHISPER_FRONT_END = SpectrogramConfig(
    sample_rate=16000, n_fft=400, hop_length=160, n_mels=80, fmax=8000.0, drop_last_frame=True
)


class Spectrogram(nn.Module):
    """Waveform ``[batch, samples]`` -> power spectrogram ``[batch, bins, frames]``
    (``power=1`` gives the magnitude)."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        win = config.win_length or config.n_fft
        window = np.zeros(config.n_fft)
        start = (config.n_fft - win) // 2  # a shorter window sits centred in the frame
        window[start : start + win] = hann_window(win)
        bins = config.n_fft // 2 + 1
        phase = 2.0 * np.pi * np.outer(np.arange(bins), np.arange(config.n_fft)) / config.n_fft
        kernels = np.concatenate([np.cos(phase), -np.sin(phase)]) * window
        self.register_buffer(
            "kernels", torch.from_numpy(kernels.astype(np.float32))[:, None, :], persistent=False
        )
        self.bins = bins
        self.config = config

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        config = self.config
        signal = waveform[:, None, :]
        if config.center:
            half = config.n_fft // 2
            signal = nn.functional.pad(signal, (half, half), mode=config.pad_mode)
        parts = nn.functional.conv1d(signal, self.kernels, stride=config.hop_length)
        real, imag = parts[:, : self.bins], parts[:, self.bins :]
        power = real * real + imag * imag
        if config.power != 2.0:
            power = power ** (config.power / 2.0)
        if config.drop_last_frame:
            power = power[..., :-1]
        return power


class WhisperLogCompression(nn.Module):
    """log10, clipped to 8 decades below each clip's peak, then scaled to about [-1, 1]."""

    def __init__(self, amin: float = 1e-10) -> None:
        super().__init__()
        self.amin = amin

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        log = torch.log10(torch.clamp(mel, min=self.amin))
        peak = log.amax(dim=(-2, -1), keepdim=True)
        return (torch.maximum(log, peak - 8.0) + 4.0) / 4.0


class DecibelCompression(nn.Module):
    """10 log10(max(x, amin)) relative to ``ref``, optionally floored ``top_db`` under the peak."""

    def __init__(self, amin: float = 1e-10, ref: float = 1.0, top_db: float | None = None) -> None:
        super().__init__()
        self.amin = amin
        self.offset = 10.0 * math.log10(max(amin, ref))
        self.top_db = top_db

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        db = 10.0 * torch.log10(torch.clamp(mel, min=self.amin)) - self.offset
        if self.top_db is not None:
            db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - self.top_db)
        return db


class LogMelSpectrogram(nn.Module):
    """Waveform ``[batch, samples]`` -> log-mel ``[batch, n_mels, frames]``."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        self.spectrogram = Spectrogram(config)
        filters = mel_filterbank(
            config.sample_rate,
            config.n_fft,
            config.n_mels,
            config.fmin,
            config.fmax,
            config.mel_scale,
            config.slaney_norm,
        )
        self.register_buffer("filters", torch.from_numpy(filters), persistent=False)
        self.compress: nn.Module = (
            WhisperLogCompression(config.amin)
            if config.log == "whisper"
            else DecibelCompression(config.amin, top_db=config.top_db)
        )
        self.config = config

    def frames(self, samples: int) -> int:
        """How many frames ``samples`` of audio give."""
        padded = samples + (self.config.n_fft // 2) * 2 if self.config.center else samples
        count = (padded - self.config.n_fft) // self.config.hop_length + 1
        return count - 1 if self.config.drop_last_frame else count

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        power = self.spectrogram(waveform)
        return self.compress(torch.matmul(self.filters, power))

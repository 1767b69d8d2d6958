"""Whisper (Radford et al., 2022) in plain torch, shaped for ONNX export with a KV cache.

Parameter names follow Hugging Face's ``WhisperForConditionalGeneration`` (minus its ``model.``
prefix), so a hub checkpoint loads with a prefix strip and a strict ``load_state_dict``.

Three export wrappers sit on top of :class:`Whisper`:

* :class:`SpeechEncoder`: 30 s of 16 kHz waveform -> the cross-attention keys and values of every
  decoder layer (computed once per window), log-mel front end inside.
* :class:`DecoderStep`: tokens plus the self-attention cache -> logits and the grown cache.
* :class:`AudioEmbedder`: waveform of any length up to 30 s -> the encoder states mean-pooled over
  the frames that hold audio (zero padding is masked out of attention and of the mean).

The self-attention cache is stacked over layers, ``[layers, batch, heads, time, head_dim]``; the
cross-attention keys and values (9 MB per layer and role for a 30 s window) are one tensor per
layer, because slicing a stacked one inside the graph copies it on every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from models.arch.spectrogram import WHISPER_FRONT_END, LogMelSpectrogram

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 30 * SAMPLE_RATE
# One encoder frame is two mel frames of 10 ms.
SAMPLES_PER_FRAME = 2 * WHISPER_FRONT_END.hop_length


@dataclass(frozen=True)
class WhisperConfig:
    """The sizes that differ between Whisper models."""

    d_model: int = 384
    encoder_layers: int = 4
    decoder_layers: int = 4
    heads: int = 6
    vocab_size: int = 51864
    n_mels: int = 80
    audio_frames: int = 1500
    text_positions: int = 448

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads


# Sizes of the released checkpoints; the vocabulary is 51864 for ".en" and 51865 otherwise.
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (384, 4, 6),
    "base": (512, 6, 8),
    "small": (768, 12, 12),
}


def config_for(size: str, english_only: bool) -> WhisperConfig:
    d_model, layers, heads = SIZES[size]
    return WhisperConfig(d_model, layers, layers, heads, 51864 if english_only else 51865)


class Attention(nn.Module):
    """Multi-head attention whose key projection has no bias, as in Whisper."""

    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = d_model // heads
        self.scale = self.head_dim**-0.5
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, time, d]`` -> ``[batch, heads, time, head_dim]``."""
        batch, time = x.shape[0], x.shape[1]
        return x.reshape(batch, time, self.heads, self.head_dim).transpose(1, 2)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split(self.k_proj(x)), self.split(self.v_proj(x))

    def attend(
        self,
        x: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        query = self.split(self.q_proj(x)) * self.scale
        scores = torch.matmul(query, keys.transpose(-1, -2))
        if bias is not None:
            scores = scores + bias
        mixed = torch.matmul(torch.softmax(scores, dim=-1), values)
        batch, time = x.shape[0], x.shape[1]
        return self.out_proj(mixed.transpose(1, 2).reshape(batch, time, -1))


class EncoderLayer(nn.Module):
    def __init__(self, config: WhisperConfig) -> None:
        super().__init__()
        self.self_attn = Attention(config.d_model, config.heads)
        self.self_attn_layer_norm = nn.LayerNorm(config.d_model)
        self.fc1 = nn.Linear(config.d_model, 4 * config.d_model)
        self.fc2 = nn.Linear(4 * config.d_model, config.d_model)
        self.final_layer_norm = nn.LayerNorm(config.d_model)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        normed = self.self_attn_layer_norm(x)
        keys, values = self.self_attn.keys_values(normed)
        x = x + self.self_attn.attend(normed, keys, values, bias)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.final_layer_norm(x))))


class DecoderLayer(nn.Module):
    def __init__(self, config: WhisperConfig) -> None:
        super().__init__()
        self.self_attn = Attention(config.d_model, config.heads)
        self.self_attn_layer_norm = nn.LayerNorm(config.d_model)
        self.encoder_attn = Attention(config.d_model, config.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(config.d_model)
        self.fc1 = nn.Linear(config.d_model, 4 * config.d_model)
        self.fc2 = nn.Linear(4 * config.d_model, config.d_model)
        self.final_layer_norm = nn.LayerNorm(config.d_model)

    def forward(
        self,
        x: torch.Tensor,
        past: tuple[torch.Tensor, torch.Tensor],
        cross: tuple[torch.Tensor, torch.Tensor],
        causal: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        normed = self.self_attn_layer_norm(x)
        new_keys, new_values = self.self_attn.keys_values(normed)
        keys = torch.cat([past[0], new_keys], dim=2)
        values = torch.cat([past[1], new_values], dim=2)
        x = x + self.self_attn.attend(normed, keys, values, causal)
        x = x + self.encoder_attn.attend(self.encoder_attn_layer_norm(x), cross[0], cross[1])
        x = x + self.fc2(nn.functional.gelu(self.fc1(self.final_layer_norm(x))))
        return x, keys, values


class Encoder(nn.Module):
    def __init__(self, config: WhisperConfig) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(config.n_mels, config.d_model, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(config.d_model, config.d_model, kernel_size=3, stride=2, padding=1)
        self.embed_positions = nn.Embedding(config.audio_frames, config.d_model)
        self.embed_positions.weight.data.copy_(sinusoids(config.audio_frames, config.d_model))
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.layer_norm = nn.LayerNorm(config.d_model)

    def forward(self, features: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """Log-mel ``[batch, n_mels, 2 * frames]`` -> states ``[batch, frames, d]``.

        Fewer than ``audio_frames`` frames take the leading positional embeddings; ``bias``
        (``[batch, 1, 1, frames]``, 0 or a large negative) hides frames from attention.
        """
        x = nn.functional.gelu(self.conv1(features))
        x = nn.functional.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.embed_positions.weight[: x.shape[1]]
        for layer in self.layers:
            x = layer(x, bias)
        return self.layer_norm(x)


class Decoder(nn.Module):
    def __init__(self, config: WhisperConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.embed_positions = nn.Embedding(config.text_positions, config.d_model)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self.layer_norm = nn.LayerNorm(config.d_model)

    def cross_keys_values(self, states: torch.Tensor) -> list[torch.Tensor]:
        """Encoder states -> each layer's cross-attention keys and values, in the order
        ``keys_0, values_0, keys_1, values_1, ...``, each ``[batch, heads, frames, head_dim]``."""
        return [
            tensor for layer in self.layers for tensor in layer.encoder_attn.keys_values(states)
        ]

    def forward(
        self,
        input_ids: torch.Tensor,
        past_keys: torch.Tensor,
        past_values: torch.Tensor,
        cross: list[torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``cross`` as :meth:`cross_keys_values` gives it: one tensor per layer and role, since
        slicing a stacked cross cache would copy it on every decoding step."""
        past, new = past_keys.shape[3], input_ids.shape[1]
        # Both the lookup and the output projection read the transposed table, so the exported
        # graph folds one transposed copy instead of keeping the table twice.
        table = self.embed_tokens.weight.t()
        picked = torch.index_select(table, 1, input_ids.reshape(-1))
        tokens = picked.t().reshape(input_ids.shape[0], new, -1)
        x = tokens + self.embed_positions.weight[past : past + new]
        # Token i (at absolute position past + i) sees cache entries 0 .. past + i.
        rows = torch.arange(new, device=input_ids.device)[:, None] + past
        cols = torch.arange(past + new, device=input_ids.device)[None, :]
        causal = torch.where(cols > rows, -1e9, 0.0).to(x.dtype)
        keys, values = [], []
        for index, layer in enumerate(self.layers):
            x, layer_keys, layer_values = layer(
                x,
                (past_keys[index], past_values[index]),
                (cross[2 * index], cross[2 * index + 1]),
                causal,
            )
            keys.append(layer_keys)
            values.append(layer_values)
        logits = torch.matmul(self.layer_norm(x), table)
        return logits, torch.stack(keys), torch.stack(values)


class Whisper(nn.Module):
    """Encoder and decoder, with Hugging Face's parameter names."""

    def __init__(self, config: WhisperConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def empty_cache(self, batch: int) -> torch.Tensor:
        config = self.config
        return torch.zeros(config.decoder_layers, batch, config.heads, 0, config.head_dim)


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> torch.Tensor:
    """Whisper's fixed audio positional embedding (checkpoints store it too)."""
    increment = math.log(max_timescale) / (channels // 2 - 1)
    inverse = torch.exp(-increment * torch.arange(channels // 2, dtype=torch.float32))
    angles = torch.arange(length, dtype=torch.float32)[:, None] * inverse[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class SpeechEncoder(nn.Module):
    """``waveform [batch, 480000]`` (16 kHz, zero-padded to 30 s) -> for each decoder layer i,
    ``cross_keys_i`` and ``cross_values_i`` ``[batch, heads, 1500, head_dim]``."""

    def __init__(self, whisper: Whisper) -> None:
        super().__init__()
        self.front_end = LogMelSpectrogram(WHISPER_FRONT_END)
        self.whisper = whisper

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, ...]:
        states = self.whisper.encoder(self.front_end(waveform))
        return tuple(self.whisper.decoder.cross_keys_values(states))


class DecoderStep(nn.Module):
    """``input_ids [batch, tokens]``, ``past_keys``/``past_values``
    ``[layers, batch, heads, past, head_dim]`` (``past`` may be 0), then the encoder's per-layer
    cross keys and values -> ``logits [batch, tokens, vocab]``, ``present_keys``/
    ``present_values`` (``past + tokens`` long)."""

    def __init__(self, whisper: Whisper) -> None:
        super().__init__()
        self.decoder = whisper.decoder

    def forward(
        self,
        input_ids: torch.Tensor,
        past_keys: torch.Tensor,
        past_values: torch.Tensor,
        *cross: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.decoder(input_ids, past_keys, past_values, list(cross))


class AudioEmbedder(nn.Module):
    """``waveform [batch, samples]`` (16 kHz, up to 30 s) -> ``embedding [batch, d]``.

    Whisper's encoder states averaged over the frames that hold audio. A 20 ms frame counts as
    audio when any of its samples is non-zero, so the zero padding a caller adds to batch clips of
    different lengths is kept out of attention and out of the mean; a clip of pure digital
    silence falls back to all its frames.
    """

    def __init__(self, whisper: Whisper, silence: float = 1e-7) -> None:
        super().__init__()
        self.front_end = LogMelSpectrogram(WHISPER_FRONT_END)
        self.encoder = whisper.encoder
        self.silence = silence

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        features = self.front_end(waveform)
        frames = (features.shape[2] + 1) // 2
        # Pad by a whole frame, then cut: a negative pad (a crop) is not portable ONNX.
        padded = nn.functional.pad(waveform, (0, SAMPLES_PER_FRAME))[
            :, : frames * SAMPLES_PER_FRAME
        ]
        blocks = padded.reshape(waveform.shape[0], frames, SAMPLES_PER_FRAME)
        audible = (blocks.abs().amax(dim=2) > self.silence).to(waveform.dtype)
        none = (audible.sum(dim=1, keepdim=True) == 0).to(waveform.dtype)
        mask = torch.clamp(audible + none, max=1.0)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        states = self.encoder(features, bias)
        return (states * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)

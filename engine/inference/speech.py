"""Speech to text with a pack's Whisper graphs: 30 s windows, greedy decoding, timestamps.

The encoder graph takes the raw 16 kHz waveform (its log-mel front end is inside) and returns the
decoder's cross-attention keys and values once per window; the decoder graph then runs one token
at a time on its self-attention cache. Decoding follows Whisper's own rules (Radford et al.,
2022, and ``whisper/decoding.py``): timestamps come in pairs and never go back, the first token
is a timestamp within the first second, a window whose text ends on a complete segment moves on
by the whole window, otherwise it restarts at the last complete segment's end.

Silence gives no text: a window whose loudness lies under an energy gate is not decoded at all,
and a decoded one is dropped when the model's no-speech probability is high and its own
confidence low (Whisper's thresholds). A token budget per window stops repetition loops, and a
segment whose text compresses too well (a loop that fitted the budget) is dropped.

A recording of any length can be pushed through a :class:`SpeechStream` a piece at a time; it
cuts the same windows as :meth:`SpeechTranscriber.transcribe` does from the whole.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
import soxr
from numpy.typing import NDArray
from tokenizers import Tokenizer

from engine.inference.needs import Needs
from engine.inference.providers import Placement
from engine.inference.session import LazySession, Session
from engine.media.audio import resample
from models.generation import WhisperGeneration
from models.manifest import Manifest, ModelEntry, SpeechPreprocessing

SAMPLE_RATE = 16000
WINDOW_SECONDS = 30
WINDOW_SAMPLES = WINDOW_SECONDS * SAMPLE_RATE
DECODER_OUTPUTS = ("logits", "present_keys", "present_values")
# Whisper: a first timestamp after 1 s is not allowed (50 steps of 20 ms).
MAX_INITIAL_TIMESTAMP_STEPS = 50
SPACE_TOKEN = 220
# The decoder's graph depends on the layer count, so its tensor names are checked in
# ``_whisper_problems`` rather than declared here.
NEEDS = Needs(
    "a speech model",
    SpeechPreprocessing,
    graphs=(),
    dims=("layers", "heads", "head_dim", "text_positions"),
    files=("encoder", "decoder", "tokenizer", "generation"),
)


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, in seconds from the start of the recording, what was said, and the
    language it was heard in (an ISO 639-1 code such as ``es``; ``None`` for an English-only
    model, which detects nothing)."""

    start: float
    end: float
    text: str
    language: str | None = None


@dataclass(frozen=True)
class DecodingSettings:
    """Knobs with Whisper's defaults; ``energy_gate`` is the RMS (of full scale 1.0) under which a
    window counts as silent without running the model (1e-3 is -60 dBFS)."""

    max_tokens: int = 224
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    energy_gate: float = 1e-3
    max_repeats: int = 4  # the same 1-4 tokens this many times in a row is a loop


Cache = tuple[NDArray[np.float32], NDArray[np.float32]]
# The encoder's per-layer cross-attention keys and values, by input name of the decoder.
Cross = dict[str, NDArray[np.float32]]


@dataclass(frozen=True)
class _Window:
    tokens: list[int]
    no_speech_prob: float
    avg_logprob: float
    looped: bool = False  # decoding fell into a repetition loop and was stopped


@dataclass(frozen=True)
class _Parsed:
    segments: list[Segment]
    advance: int
    language: str | None = None


def to_mono_16k(waveform: NDArray[np.floating], sample_rate: int) -> NDArray[np.float32]:
    """``[samples]`` or ``[samples, channels]`` (soundfile's layout) at any rate -> mono 16 kHz."""
    audio = np.asarray(waveform, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32)
    elif audio.ndim != 1:
        raise ValueError(f"waveform must be [samples] or [samples, channels], got {audio.shape}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    return resample(audio, sample_rate, SAMPLE_RATE)


def ends_in_loop(tokens: list[int], repeats: int, longest: int = 4) -> bool:
    """Whether ``tokens`` end with some run of 1..``longest`` tokens said ``repeats`` times over."""
    for size in range(1, longest + 1):
        span = size * repeats
        if len(tokens) >= span:
            tail = tokens[-span:]
            if all(tail[i] == tail[i % size] for i in range(span)):
                return True
    return False


def _log_softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    finite = scores - scores.max()
    result: NDArray[np.float64] = finite - np.log(np.exp(finite).sum())
    return result


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def cross_names(layers: int) -> list[str]:
    """The encoder graph's outputs: cross-attention keys and values of each decoder layer."""
    return [f"cross_{role}_{index}" for index in range(layers) for role in ("keys", "values")]


def _whisper_problems(entry: ModelEntry, pre: SpeechPreprocessing) -> list[str]:
    problems = []
    # The graphs' front end and positions are fixed to Whisper's own windows.
    if (pre.sample_rate, pre.window_seconds) != (SAMPLE_RATE, WINDOW_SECONDS):
        problems.append(
            f"its windows are {pre.window_seconds} s at {pre.sample_rate} Hz, "
            f"not Whisper's {WINDOW_SECONDS} s at {SAMPLE_RATE} Hz"
        )
    layers = entry.dims.get("layers")
    if layers is not None and entry.outputs.get("encoder") != cross_names(layers):
        problems.append(f"encoder outputs are not {cross_names(layers)}")
    return problems


class SpeechTranscriber:
    """Turns a recording into timed segments of text."""

    def __init__(
        self,
        entry: ModelEntry,
        encoder: Session,
        decoder: Session,
        tokenizer: Tokenizer,
        generation: WhisperGeneration,
        settings: DecodingSettings | None = None,
    ) -> None:
        NEEDS.check(entry, more=_whisper_problems)
        self._cache_shape = (entry.dims["layers"], entry.dims["heads"], entry.dims["head_dim"])
        self._text_positions = entry.dims["text_positions"]
        self._cross_names = cross_names(entry.dims["layers"])
        self.entry = entry
        self.encoder = encoder
        self.decoder = decoder
        self.tokenizer = tokenizer
        self.generation = generation
        self.settings = settings or DecodingSettings()
        self._suppress = np.array(generation.suppress + [generation.no_timestamps], dtype=np.int64)
        self._suppress_at_begin = np.array(generation.suppress_at_begin, dtype=np.int64)

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> SpeechTranscriber:
        return cls(
            entry,
            LazySession(manifest.path(entry, "encoder"), placement),
            LazySession(manifest.path(entry, "decoder"), placement),
            Tokenizer.from_file(str(manifest.path(entry, "tokenizer"))),
            WhisperGeneration.read(manifest.path(entry, "generation")),
        )

    def transcribe(self, waveform: NDArray[np.floating], sample_rate: int) -> list[Segment]:
        """Segments in time order; ``[]`` for silence or anything without speech."""
        stream = self.stream()
        return stream.push(to_mono_16k(waveform, sample_rate)) + stream.close()

    def stream(self, sample_rate: int = SAMPLE_RATE) -> SpeechStream:
        """A transcription fed a piece at a time (mono, at ``sample_rate``): for recordings too
        long to hold whole."""
        return SpeechStream(self, sample_rate)

    def _window(
        self, chunk: NDArray[np.float32], prompt: list[int] | None
    ) -> tuple[_Parsed, list[int] | None]:
        """One window's segments (seconds from its start) and how far to move on, with the
        prompt, which is chosen at the first window with sound and kept for the rest."""
        skip = _Parsed([], chunk.size)
        if float(np.sqrt(np.mean(np.square(chunk, dtype=np.float64)))) < self.settings.energy_gate:
            return skip, prompt
        cross = self._encode(chunk)
        if prompt is None:
            prompt = self._prompt(cross)
        window = self._decode(cross, prompt)
        if window.looped or (
            window.no_speech_prob > self.settings.no_speech_threshold
            and window.avg_logprob < self.settings.logprob_threshold
        ):
            return skip, prompt
        parsed = self._segments(window.tokens, chunk.size)
        return replace(parsed, language=self.language_of(prompt)), prompt

    def language_of(self, prompt: list[int]) -> str | None:
        """The language code a prompt names (its ``<|xx|>`` token), or ``None``."""
        codes = {token: code for code, token in self.generation.languages.items()}
        return next((codes[token] for token in prompt if token in codes), None)

    # --- one window ------------------------------------------------------------------------

    def _encode(self, chunk: NDArray[np.float32]) -> Cross:
        padded = np.zeros((1, WINDOW_SAMPLES), dtype=np.float32)
        padded[0, : chunk.size] = chunk
        outputs = self.encoder.run(self._cross_names, {"waveform": padded})
        return dict(zip(self._cross_names, outputs, strict=True))

    def _step(
        self, tokens: list[int], past: Cache, cross: Cross
    ) -> tuple[NDArray[np.float32], Cache]:
        feed: dict[str, NDArray[np.generic]] = {
            "input_ids": np.array([tokens], dtype=np.int64),
            "past_keys": past[0],
            "past_values": past[1],
            **cross,
        }
        logits, keys, values = self.decoder.run(DECODER_OUTPUTS, feed)
        return logits[0], (keys, values)

    def _empty_cache(self) -> Cache:
        layers, heads, head_dim = self._cache_shape
        empty = np.zeros((layers, 1, heads, 0, head_dim), dtype=np.float32)
        return empty, empty

    def _prompt(self, cross: Cross) -> list[int]:
        """``<|startoftranscript|>``, and for multilingual models the language the first window
        with sound is most likely in, then ``<|transcribe|>``."""
        generation = self.generation
        if generation.english_only or not generation.languages:
            return [generation.sot]
        logits, _ = self._step([generation.sot], self._empty_cache(), cross)
        ids = np.array(sorted(generation.languages.values()), dtype=np.int64)
        language = int(ids[np.argmax(logits[-1][ids])])
        return [generation.sot, language, generation.transcribe]

    def _decode(self, cross: Cross, prompt: list[int]) -> _Window:
        generation = self.generation
        logits, past = self._step(prompt, self._empty_cache(), cross)
        first = _log_softmax(logits[0].astype(np.float64))
        no_speech = float(np.exp(first[generation.no_speech])) if generation.no_speech >= 0 else 0.0
        budget = min(self.settings.max_tokens, self._text_positions - len(prompt) - 1)
        tokens: list[int] = []
        total_logprob = 0.0
        for _ in range(budget):
            logprobs = _log_softmax(self._constrain(logits[-1].astype(np.float64), tokens))
            token = int(np.argmax(logprobs))
            total_logprob += float(logprobs[token])
            tokens.append(token)
            if token == generation.eot:
                break
            if ends_in_loop(tokens, self.settings.max_repeats):
                # "Shh! Shh! Shh!...": what non-speech sounds make the model say. Stopping here
                # saves most of a window's decoding, and the window's text is dropped.
                return _Window(tokens, no_speech, total_logprob / len(tokens), looped=True)
            logits, past = self._step([token], past, cross)
        return _Window(tokens, no_speech, total_logprob / max(1, len(tokens)))

    def _constrain(self, scores: NDArray[np.float64], tokens: list[int]) -> NDArray[np.float64]:
        """Whisper's suppression and timestamp rules, applied to one step's logits."""
        generation = self.generation
        begin = generation.timestamp_begin
        scores[self._suppress] = -np.inf
        if not tokens:
            scores[self._suppress_at_begin] = -np.inf
            scores[:begin] = -np.inf
            scores[begin + MAX_INITIAL_TIMESTAMP_STEPS + 1 :] = -np.inf
            return scores
        last_is_time = tokens[-1] >= begin
        before_is_time = len(tokens) < 2 or tokens[-2] >= begin
        if last_is_time:
            if before_is_time:
                scores[begin:] = -np.inf  # a pair just closed: text or the end comes next
            else:
                scores[: generation.eot] = -np.inf  # a segment's end time, or the end
        times = [token for token in tokens if token >= begin]
        if times:
            # Never go back in time; after a closed pair, the next start is strictly later.
            floor = times[-1] if last_is_time and not before_is_time else times[-1] + 1
            scores[begin:floor] = -np.inf
        logprobs = _log_softmax(scores)
        time_mass = np.logaddexp.reduce(logprobs[begin:])
        if time_mass > logprobs[:begin].max():
            scores[:begin] = -np.inf
        return scores

    def _segments(self, tokens: list[int], chunk_samples: int) -> _Parsed:
        """Timed segments of one window (seconds from the window start) and where to go next."""
        generation = self.generation
        begin, step = generation.timestamp_begin, generation.seconds_per_timestamp
        duration = chunk_samples / SAMPLE_RATE
        if tokens and tokens[-1] == generation.eot:
            tokens = tokens[:-1]
        is_time = [token >= begin for token in tokens]
        pairs = [i for i in range(1, len(tokens)) if is_time[i] and is_time[i - 1]]
        single_ending = len(tokens) >= 2 and is_time[-1] and not is_time[-2]
        if not pairs:
            times = [token for token in tokens if token >= begin]
            end = (times[-1] - begin) * step if times and times[-1] > begin else duration
            segment = self._segment(tokens, 0.0, end, duration)
            return _Parsed([segment] if segment else [], chunk_samples)
        cuts = pairs + [len(tokens)] if single_ending else pairs
        segments: list[Segment] = []
        start = 0
        for cut in cuts:
            piece = tokens[start:cut]
            if piece:
                segment = self._segment(
                    piece, (piece[0] - begin) * step, (piece[-1] - begin) * step, duration
                )
                if segment:
                    segments.append(segment)
            start = cut
        if single_ending:
            advance = chunk_samples
        else:
            advance = round((tokens[cuts[-1] - 1] - begin) * step * SAMPLE_RATE)
        return _Parsed(segments, advance if advance > 0 else chunk_samples)

    def _segment(
        self, piece: list[int], start: float, end: float, duration: float
    ) -> Segment | None:
        text_ids = [token for token in piece if token < self.generation.eot]
        text = self.tokenizer.decode(text_ids).strip()
        if not text or _compression_ratio(text) > self.settings.compression_ratio_threshold:
            return None
        start = min(max(start, 0.0), duration)
        return Segment(start, min(max(end, start), duration), text)


class SpeechStream:
    """A recording transcribed as it comes, pushed in pieces of any length.

    Each 30 s window is cut from the samples in hand exactly where
    :meth:`SpeechTranscriber.transcribe` cuts it from the whole recording (a window is decoded
    only once all of it has come, or at :meth:`close`), so the segments are the same, while no
    more than a piece and a window are held. Pieces at another rate than 16 kHz are resampled
    as they come.
    """

    def __init__(self, transcriber: SpeechTranscriber, sample_rate: int = SAMPLE_RATE) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self._transcriber = transcriber
        self._resampler = (
            soxr.ResampleStream(sample_rate, SAMPLE_RATE, 1, dtype="float32")
            if sample_rate != SAMPLE_RATE
            else None
        )
        self._buffer = np.zeros(0, np.float32)
        self._offset = 0  # the absolute sample of buffer[0]
        self._seek = 0  # the absolute sample where the next window starts
        self._prompt: list[int] | None = None

    def push(self, samples: NDArray[np.float32]) -> list[Segment]:
        """The segments of every window that the samples so far complete."""
        self._take(samples, last=False)
        return self._windows(final=False)

    def close(self) -> list[Segment]:
        """The segments of what is left: the last, shorter window."""
        self._take(np.zeros(0, np.float32), last=True)
        return self._windows(final=True)

    def _take(self, samples: NDArray[np.float32], last: bool) -> None:
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        if self._resampler is not None:
            audio = np.asarray(self._resampler.resample_chunk(audio, last=last), np.float32)
        # Only what lies past the next window's start is kept.
        done = min(self._seek - self._offset, len(self._buffer))
        self._buffer = np.concatenate([self._buffer[done:], audio])
        self._offset += done

    def _windows(self, final: bool) -> list[Segment]:
        segments: list[Segment] = []
        end = self._offset + len(self._buffer)
        while self._seek < end and (final or end - self._seek >= WINDOW_SAMPLES):
            start = self._seek - self._offset
            chunk = self._buffer[start : start + WINDOW_SAMPLES]
            parsed, self._prompt = self._transcriber._window(chunk, self._prompt)
            offset = self._seek / SAMPLE_RATE
            segments.extend(
                Segment(offset + part.start, offset + part.end, part.text, parsed.language)
                for part in parsed.segments
            )
            self._seek += parsed.advance
        return segments

"""Speech to text with a pack's Whisper graphs: 30 s windows, greedy decoding, timestamps.

The encoder graph takes the raw 16 kHz waveform (its log-mel front end is inside) and returns the
decoder's cross-attention keys and values once per window; the decoder graph then runs one token
at a time on its self-attention cache. Decoding follows Whisper's own rules (Radford et al.,
2022, and ``whisper/decoding.py``): timestamps come in pairs and never go back, the first token
is a timestamp within the first second, a window whose text ends on a complete segment moves on
by the whole window, otherwise it restarts at the last complete segment's end.

With a voice activity model (:mod:`engine.inference.vad`), only the stretches where someone
speaks are heard: they are laid end to end and cut into 30 s windows from that, so a recording
of short remarks costs one window per 30 s of speech rather than per 30 s of recording, and one
with no voice costs none (and says nothing: no "Thank you." over a cow's moo). Each segment's
times are mapped back to the recording's own. The language is detected per window, so a
recording in two languages has segments in each. On a clip of a word or two, detection over
Whisper's 99 languages is close to a guess ("Penguin." heard as Korean, "Un pato." as
Portuguese), so it can be weighed towards the languages a person says their recordings are in:
another language is then chosen only where it is :data:`ODDS_FOR_OTHER_LANGUAGES` times likelier
than the likeliest of theirs, which a long recording in that language easily is.

Silence gives no text: a window whose loudness lies under an energy gate is not decoded at all,
and a decoded one is dropped when the model's no-speech probability is high and its own
confidence low (Whisper's thresholds). The same 1-4 tokens repeated stops decoding as a loop,
and a segment whose text compresses too well (a loop that fitted the budget) is dropped; where
the voice model says someone speaks, repeats are likelier said ("no, no, no, no, no") than
dreamt, so both limits are looser there, and a loop of words keeps its text, cut to the repeats
allowed elsewhere (a sound drawn out, "AHHHHHHHH" over a cow's moo, is still dropped).

A recording of any length can be pushed through a :class:`SpeechStream` a piece at a time; it
cuts the same windows as :meth:`SpeechTranscriber.transcribe` does from the whole.
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import soxr
from numpy.typing import NDArray
from tokenizers import Tokenizer

from engine.inference.needs import Needs
from engine.inference.providers import Placement
from engine.inference.session import LazySession, Session
from engine.inference.vad import VoiceDetector, VoiceStream
from engine.media.audio import resample
from models.generation import WhisperGeneration
from models.manifest import Manifest, ModelEntry, SpeechPreprocessing

SAMPLE_RATE = 16000
WINDOW_SECONDS = 30
WINDOW_SAMPLES = WINDOW_SECONDS * SAMPLE_RATE
DECODER_OUTPUTS = ("logits", "present_keys", "present_values")
# Whisper: a first timestamp after 1 s is not allowed (50 steps of 20 ms).
MAX_INITIAL_TIMESTAMP_STEPS = 50
# A loop's repeated text is a word said again when it holds a word after a space (", no") or
# is in a script written without spaces ("不"); otherwise it is a sound drawn out ("HHHH", "-W").
_SAID_AGAIN = re.compile(r"\s[^\W\d_]|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
SPACE_TOKEN = 220
# A language the person did not name must be this many times likelier than the likeliest one
# they did. Measured on Tux Paint's spoken captions (65 en, 79 es, 79 fr; with the voice
# model), clips heard in their language with en, es and fr named: 61/55/55 at odds 1 (none),
# 63/58/58 at 2, 65/68/61 at 10, 65/70/62 at 100; French clips with only en, es and zh named
# lose at 10 (55 -> 49) and far more at 100 (31). See BENCHMARKS.md "Speech: the languages a
# person names".
ODDS_FOR_OTHER_LANGUAGES = 10.0
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
class LoopLimits:
    """When decoding counts as a loop: the same 1-4 tokens ``repeats`` times in a row, or a
    segment whose text compresses better than ``compression_ratio`` (a loop that fitted)."""

    repeats: int
    compression_ratio: float


@dataclass(frozen=True)
class DecodingSettings:
    """Knobs with Whisper's defaults; ``energy_gate`` is the RMS (of full scale 1.0) under which a
    window counts as silent without running the model (1e-3 is -60 dBFS). ``voiced_loops`` hold
    where a voice model says someone speaks: "no, no, no, no, no, no, no, no, no, no, no, no"
    compresses 2.9 to 1, and 16 repeats are rarely said."""

    max_tokens: int = 224
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    energy_gate: float = 1e-3
    loops: LoopLimits = LoopLimits(repeats=4, compression_ratio=2.4)
    voiced_loops: LoopLimits = LoopLimits(repeats=16, compression_ratio=4.0)


Cache = tuple[NDArray[np.float32], NDArray[np.float32]]
# The encoder's per-layer cross-attention keys and values, by input name of the decoder.
Cross = dict[str, NDArray[np.float32]]


@dataclass(frozen=True)
class _Window:
    tokens: list[int]
    no_speech_prob: float
    avg_logprob: float
    looped: bool = False  # decoding fell into a repetition loop and was stopped
    words_looped: bool = False  # and what it repeated is a word said again


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


def find_loop(tokens: list[int], repeats: int, longest: int = 4) -> tuple[int, int] | None:
    """The loop that ``tokens`` end in (some run of 1..``longest`` tokens said ``repeats``
    times over, or more): where it begins and how many tokens it repeats; ``None`` if none."""
    for size in range(1, longest + 1):
        span = size * repeats
        if len(tokens) >= span:
            tail = tokens[-span:]
            if all(tail[i] == tail[i % size] for i in range(span)):
                start = len(tokens) - span
                while start >= size and tokens[start - size : start] == tail[:size]:
                    start -= size
                return start, size
    return None


def ends_in_loop(tokens: list[int], repeats: int, longest: int = 4) -> bool:
    """Whether ``tokens`` end with some run of 1..``longest`` tokens said ``repeats`` times over."""
    return find_loop(tokens, repeats, longest) is not None


def detected_languages(generation: WhisperGeneration) -> tuple[str, ...]:
    """The codes of the languages a Whisper model detects, sorted; none for an English-only one."""
    return () if generation.english_only else tuple(sorted(generation.languages))


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
        # The language tokens, read once: each window's detection and its segments' code use them.
        self._language_ids = np.array(sorted(generation.languages.values()), dtype=np.int64)
        self._language_codes = {token: code for code, token in generation.languages.items()}

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

    @property
    def languages(self) -> tuple[str, ...]:
        return detected_languages(self.generation)

    def transcribe(
        self,
        waveform: NDArray[np.floating],
        sample_rate: int,
        voice: VoiceDetector | None = None,
        spoken: Collection[str] = (),
    ) -> list[Segment]:
        """Segments in time order; ``[]`` for silence or anything without speech. With
        ``voice``, only where it hears someone speak; ``spoken``: the languages the recording
        is likely in (codes of :attr:`languages`; none: any, as the model detects)."""
        stream = self.stream(voice=voice, spoken=spoken)
        return stream.push(to_mono_16k(waveform, sample_rate)) + stream.close()

    def stream(
        self,
        sample_rate: int = SAMPLE_RATE,
        voice: VoiceDetector | None = None,
        spoken: Collection[str] = (),
    ) -> SpeechStream:
        """A transcription fed a piece at a time (mono, at ``sample_rate``): for recordings too
        long to hold whole."""
        return SpeechStream(self, sample_rate, voice, spoken)

    def language_weights(self, spoken: Collection[str]) -> NDArray[np.float64]:
        """What is added to each language token's score (a log-probability, up to a constant)
        before the likeliest is taken: nothing for the ``spoken`` languages, and the log of
        :data:`ODDS_FOR_OTHER_LANGUAGES` off the others; nothing at all where no spoken
        language is one the model knows."""
        known = self.generation.languages
        named = [known[code] for code in spoken if code in known]
        weights = np.zeros(len(self._language_ids), dtype=np.float64)
        if named:
            weights[~np.isin(self._language_ids, named)] = -np.log(ODDS_FOR_OTHER_LANGUAGES)
        return weights

    def _window(
        self,
        chunk: NDArray[np.float32],
        voiced: bool = False,
        weights: NDArray[np.float64] | None = None,
    ) -> _Parsed:
        """One window's segments (seconds from its start), how far to move on, and the language
        it is in; ``voiced``: a voice model heard someone speak in all of it; ``weights``: see
        :meth:`language_weights`."""
        skip = _Parsed([], chunk.size)
        if float(np.sqrt(np.mean(np.square(chunk, dtype=np.float64)))) < self.settings.energy_gate:
            return skip
        limits = self.settings.voiced_loops if voiced else self.settings.loops
        cross = self._encode(chunk)
        prompt = self._prompt(cross, weights)
        window = self._decode(cross, prompt, limits)
        if (window.looped and not (voiced and window.words_looped)) or (
            window.no_speech_prob > self.settings.no_speech_threshold
            and window.avg_logprob < self.settings.logprob_threshold
        ):
            return skip
        parsed = self._segments(window.tokens, chunk.size, limits, cut_short=window.looped)
        return replace(parsed, language=self.language_of(prompt))

    def language_of(self, prompt: list[int]) -> str | None:
        """The language code a prompt names (its ``<|xx|>`` token), or ``None``."""
        codes = self._language_codes
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

    def _prompt(self, cross: Cross, weights: NDArray[np.float64] | None = None) -> list[int]:
        """``<|startoftranscript|>``, and for multilingual models the language the window is
        most likely in (weighed by ``weights``), then ``<|transcribe|>``."""
        generation = self.generation
        if generation.english_only or not generation.languages:
            return [generation.sot]
        logits, _ = self._step([generation.sot], self._empty_cache(), cross)
        ids = self._language_ids
        scores = logits[-1][ids].astype(np.float64)
        if weights is not None:
            scores += weights
        language = int(ids[np.argmax(scores)])
        return [generation.sot, language, generation.transcribe]

    def _decode(self, cross: Cross, prompt: list[int], limits: LoopLimits) -> _Window:
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
            loop = find_loop(tokens, limits.repeats)
            if loop is not None:
                # "Shh! Shh! Shh!...": what non-speech sounds make the model say. Stopping here
                # saves most of a window's decoding; the window's text is dropped, or, in voice,
                # kept with the loop cut to the repeats allowed anywhere ("no, no, no, no").
                start, size = loop
                kept = tokens[: start + size * self.settings.loops.repeats]
                words = bool(
                    _SAID_AGAIN.search(self.tokenizer.decode(tokens[start : start + size]))
                )
                average = total_logprob / len(tokens)
                return _Window(kept, no_speech, average, looped=True, words_looped=words)
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

    def _segments(
        self, tokens: list[int], chunk_samples: int, limits: LoopLimits, cut_short: bool = False
    ) -> _Parsed:
        """Timed segments of one window (seconds from the window start) and where to go next.
        ``cut_short``: decoding stopped in a loop; the open segment runs to the window's end,
        and so does the window (what follows the loop in it is not heard again)."""
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
            segment = self._segment(tokens, 0.0, end, duration, limits)
            return _Parsed([segment] if segment else [], chunk_samples)
        ends_open = single_ending or cut_short
        cuts = pairs + [len(tokens)] if ends_open else pairs
        segments: list[Segment] = []
        start = 0
        for cut in cuts:
            piece = tokens[start:cut]
            if piece:
                end = (piece[-1] - begin) * step if piece[-1] >= begin else duration
                segment = self._segment(piece, (piece[0] - begin) * step, end, duration, limits)
                if segment:
                    segments.append(segment)
            start = cut
        if ends_open:
            advance = chunk_samples
        else:
            advance = round((tokens[cuts[-1] - 1] - begin) * step * SAMPLE_RATE)
        return _Parsed(segments, advance if advance > 0 else chunk_samples)

    def _segment(
        self, piece: list[int], start: float, end: float, duration: float, limits: LoopLimits
    ) -> Segment | None:
        text_ids = [token for token in piece if token < self.generation.eot]
        text = self.tokenizer.decode(text_ids).strip()
        if not text or _compression_ratio(text) > limits.compression_ratio:
            return None
        start = min(max(start, 0.0), duration)
        return Segment(start, min(max(end, start), duration), text)


@dataclass
class _Heard:
    """What Whisper hears of a recording: its voiced samples laid end to end (all of it when
    no voice model chooses), held from ``offset`` on, with where each run of them lies in the
    recording, to map a window's times back."""

    samples: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    offset: int = 0  # the heard sample that samples[0] is
    starts: list[int] = field(default_factory=list)  # heard sample where each run starts
    places: list[int] = field(default_factory=list)  # recording sample where it starts

    @property
    def end(self) -> int:
        return self.offset + len(self.samples)

    def add(self, place: int, samples: NDArray[np.float32]) -> None:
        """Samples from the recording's sample ``place`` on, heard next."""
        if not samples.size:
            return
        if not self.starts or place != self.places[-1] + (self.end - self.starts[-1]):
            self.starts.append(self.end)
            self.places.append(place)
        self.samples = np.concatenate([self.samples, samples])

    def forget_before(self, heard: int) -> None:
        """Let go of the samples, and the runs that end, before ``heard``."""
        done = min(max(0, heard - self.offset), len(self.samples))
        self.samples = self.samples[done:]
        self.offset += done
        keep = max(0, bisect.bisect_right(self.starts, heard) - 1)
        del self.starts[:keep], self.places[:keep]

    def seconds(self, heard: float, closing: bool) -> float:
        """The recording's time of a heard sample (fractional): a segment's start lies in the
        run that starts at or before it; its end (``closing``) in the run it closes."""
        find = bisect.bisect_left if closing else bisect.bisect_right
        run = max(0, find(self.starts, heard) - 1)
        return (self.places[run] + heard - self.starts[run]) / SAMPLE_RATE


class SpeechStream:
    """A recording transcribed as it comes, pushed in pieces of any length.

    Each 30 s window is cut from the samples in hand exactly where
    :meth:`SpeechTranscriber.transcribe` cuts it from the whole recording (a window is decoded
    only once all of it has come, or at :meth:`close`), so the segments are the same, while no
    more than a piece and a window are held. Pieces at another rate than 16 kHz are resampled
    as they come. With a voice model, the windows are cut from the voiced samples alone, laid
    end to end as the model settles them (:class:`~engine.inference.vad.VoiceStream`).
    """

    def __init__(
        self,
        transcriber: SpeechTranscriber,
        sample_rate: int = SAMPLE_RATE,
        voice: VoiceDetector | None = None,
        spoken: Collection[str] = (),
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self._transcriber = transcriber
        self._weights = transcriber.language_weights(spoken)
        self._resampler = (
            soxr.ResampleStream(sample_rate, SAMPLE_RATE, 1, dtype="float32")
            if sample_rate != SAMPLE_RATE
            else None
        )
        self._voice: VoiceStream | None = voice.stream() if voice is not None else None
        self._pending = np.zeros(0, np.float32)  # recording samples the voice has not settled
        self._pending_from = 0  # the recording sample that pending[0] is
        self._heard = _Heard()
        self._seek = 0  # the heard sample where the next window starts

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
        self._heard.forget_before(self._seek)
        if self._voice is None:
            self._heard.add(self._pending_from, audio)
            self._pending_from += audio.size
            return
        self._pending = np.concatenate([self._pending, audio])
        runs = self._voice.push(audio) + (self._voice.close() if last else [])
        for run in runs:
            self._heard.add(
                run.start,
                self._pending[run.start - self._pending_from : run.end - self._pending_from],
            )
        settled = self._pending_from + len(self._pending) if last else self._voice.undecided_from
        done = min(max(0, settled - self._pending_from), len(self._pending))
        self._pending = self._pending[done:]
        self._pending_from += done

    def _windows(self, final: bool) -> list[Segment]:
        segments: list[Segment] = []
        heard = self._heard
        voiced = self._voice is not None
        while self._seek < heard.end and (final or heard.end - self._seek >= WINDOW_SAMPLES):
            start = self._seek - heard.offset
            chunk = heard.samples[start : start + WINDOW_SAMPLES]
            parsed = self._transcriber._window(chunk, voiced, self._weights)
            segments.extend(
                Segment(
                    heard.seconds(self._seek + part.start * SAMPLE_RATE, closing=False),
                    heard.seconds(self._seek + part.end * SAMPLE_RATE, closing=True),
                    part.text,
                    parsed.language,
                )
                for part in parsed.segments
            )
            self._seek += parsed.advance
        return segments

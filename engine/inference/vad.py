"""Where in a recording someone speaks, from a pack's voice activity model (Silero VAD).

The graph judges 32 ms at a time (512 samples at 16 kHz, with the 64 before them prepended) and
carries a recurrent state from chunk to chunk. The probabilities become stretches by Silero's own
rules (``get_speech_timestamps`` in silero-vad's ``utils_vad.py``): a stretch starts at the first
chunk at or over ``threshold``, ends where the probability has stayed under ``threshold - 0.15``
for ``min_silence_ms``, is kept when longer than ``min_speech_ms``, and is padded by
``speech_pad_ms`` on each side, or by half the gap where two stretches are closer than twice that.

A :class:`VoiceStream` takes a recording a piece at a time and hands out each run of voiced
samples as soon as no later sample can change it; the runs are the same whatever the pieces,
since chunks are cut at the same absolute samples and the state is carried across pushes. After
a second of near digital silence, chunks are no longer shown to the model (8 hours of silence
would take a minute): they count as no voice, and the state starts afresh, as a recording's does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.inference.devices import Device
from engine.inference.needs import Graph, Needs
from engine.inference.providers import Placement, choose
from engine.inference.session import LazySession, Session
from models.manifest import Manifest, ModelEntry, VoicePreprocessing

SAMPLE_RATE = 16000
PROBABILITY = "output"
NEXT_STATE = "stateN"
NEEDS = Needs(
    "a voice activity model",
    VoicePreprocessing,
    (Graph("model", ("input", "state", "sr"), (PROBABILITY, NEXT_STATE)),),
    dims=("state",),
)


@dataclass(frozen=True)
class VoiceSettings:
    """Silero's rules, with durations for Whisper rather than Silero's defaults (100 ms of
    silence, 30 ms of padding): Whisper hears words better with the pauses around them, and a
    stretch cut at every breath would pack more seams into a window."""

    threshold: float = 0.5
    min_speech_ms: int = 250
    min_silence_ms: int = 1000
    speech_pad_ms: int = 400
    # After this long of near digital silence (every sample under ``silence_peak``, -80 dBFS)
    # the model is not asked: no voice, and the state is that of a fresh recording. The model
    # itself is under 0.01 by then; this keeps 8 hours of silence from taking a minute.
    silence_peak: float = 1e-4
    fresh_after_ms: int = 1000

    @property
    def exit_threshold(self) -> float:
        return max(self.threshold - 0.15, 0.01)


@dataclass(frozen=True)
class Stretch:
    """Samples ``[start, end)`` at 16 kHz of a recording where someone speaks."""

    start: int
    end: int

    @property
    def start_seconds(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_seconds(self) -> float:
        return self.end / SAMPLE_RATE


def _voice_problems(entry: ModelEntry, pre: VoicePreprocessing) -> list[str]:
    if pre.sample_rate != SAMPLE_RATE:
        return [f"it listens at {pre.sample_rate} Hz, not {SAMPLE_RATE} Hz"]
    return []


class VoiceDetector:
    """A recording (mono, 16 kHz) -> the stretches where someone speaks."""

    def __init__(
        self, entry: ModelEntry, session: Session, settings: VoiceSettings | None = None
    ) -> None:
        pre = NEEDS.check(entry, more=_voice_problems)
        self.entry = entry
        self.session = session
        self.settings = settings or VoiceSettings()
        self.chunk = pre.chunk_samples
        self.context = pre.context_samples
        self.state_width = entry.dims["state"]

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> VoiceDetector:
        # One 32 ms chunk per call, each waiting on the last: one CPU thread runs it fastest
        # (an accelerator's round trip would cost more than the model), whatever the others use.
        del placement
        return cls(entry, LazySession(manifest.path(entry, "model"), choose(Device.CPU, 1)))

    def stream(self) -> VoiceStream:
        return VoiceStream(self)

    def stretches(self, samples: NDArray[np.float32]) -> list[Stretch]:
        """The stretches of a whole recording, touching ones joined."""
        stream = self.stream()
        return joined(stream.push(samples) + stream.close())

    def probability(
        self, window: NDArray[np.float32], state: NDArray[np.float32]
    ) -> tuple[float, NDArray[np.float32]]:
        """One chunk with its context before it -> the chance it holds speech, the next state."""
        feed: dict[str, NDArray[np.generic]] = {
            "input": window[None, :],
            "state": state,
            "sr": np.array(SAMPLE_RATE, dtype=np.int64),
        }
        probability, next_state = self.session.run((PROBABILITY, NEXT_STATE), feed)
        return float(probability.reshape(-1)[0]), next_state

    def fresh_state(self) -> NDArray[np.float32]:
        return np.zeros((2, 1, self.state_width), np.float32)


def joined(stretches: list[Stretch]) -> list[Stretch]:
    """Stretches in order, those that touch made one."""
    result: list[Stretch] = []
    for stretch in stretches:
        if result and result[-1].end >= stretch.start:
            result[-1] = Stretch(result[-1].start, max(result[-1].end, stretch.end))
        else:
            result.append(stretch)
    return result


class VoiceStream:
    """One recording's voice, pushed in pieces of any length (mono, 16 kHz).

    :meth:`push` and :meth:`close` hand out runs of voiced samples in order, never overlapping;
    a stretch may come in several runs (its start once it is sure to be kept, the rest as it
    goes on), so that a long one is not held back whole. :attr:`undecided_from` is the first
    sample that a later run may still include: what lies before it can be let go.
    """

    def __init__(self, detector: VoiceDetector) -> None:
        self._detector = detector
        settings = detector.settings
        self._min_speech = SAMPLE_RATE * settings.min_speech_ms // 1000
        self._min_silence = SAMPLE_RATE * settings.min_silence_ms // 1000
        self._pad = SAMPLE_RATE * settings.speech_pad_ms // 1000
        self._state = detector.fresh_state()
        self._window = np.zeros(detector.context + detector.chunk, np.float32)
        self._pending = np.zeros(0, np.float32)  # pushed, not yet a whole chunk
        self._heard = 0  # samples pushed
        self._judged = 0  # samples judged by the model (whole chunks)
        self._start: int | None = None  # where the open stretch began
        self._quiet_from: int | None = None  # where the open stretch fell quiet, if it has
        self._last_end: int | None = None  # where the last kept stretch ended, unpadded
        self._tail_open = False  # whether the last kept stretch's padding is still to come
        self._given = 0  # the runs handed out so far end here
        self._silent_for = 0  # samples of near digital silence up to the last judged
        self._fresh_after = SAMPLE_RATE * settings.fresh_after_ms // 1000

    @property
    def undecided_from(self) -> int:
        if self._tail_open:
            return self._given
        if self._start is not None:
            first = self._given if self._sure() else self._start - self._pad
        else:
            first = self._judged - self._pad
        return max(self._given, first, 0)

    def push(self, samples: NDArray[np.float32]) -> list[Stretch]:
        audio = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        self._heard += audio.size
        self._pending = np.concatenate([self._pending, audio])
        runs: list[Stretch] = []
        chunk = self._detector.chunk
        whole = self._pending.size // chunk * chunk
        for at in range(0, whole, chunk):
            self._judge(self._pending[at : at + chunk], runs)
        self._pending = self._pending[whole:]
        self._settle(runs, closing=False)
        return runs

    def close(self) -> list[Stretch]:
        """The runs of what is left; the last part-chunk is judged padded with zeros."""
        runs: list[Stretch] = []
        if self._pending.size:
            chunk = np.zeros(self._detector.chunk, np.float32)
            chunk[: self._pending.size] = self._pending
            self._pending = np.zeros(0, np.float32)
            self._judge(chunk, runs)
        if self._start is not None:
            if self._heard - self._start > self._min_speech:
                self._keep(self._heard, runs)
            self._start = self._quiet_from = None
        self._settle(runs, closing=True)
        return runs

    # --- Silero's rules, a chunk at a time ------------------------------------------------------

    def _judge(self, chunk: NDArray[np.float32], runs: list[Stretch]) -> None:
        at = self._judged
        self._judged += chunk.size
        context = self._detector.context
        self._window[:context] = self._window[-context:]
        self._window[context:] = chunk
        settings = self._detector.settings
        silent = float(np.abs(self._window).max()) < settings.silence_peak
        self._silent_for = self._silent_for + chunk.size if silent else 0
        if self._silent_for > self._fresh_after:
            probability = 0.0
            self._state = self._detector.fresh_state()
        else:
            probability, self._state = self._detector.probability(self._window, self._state)
        if probability >= settings.threshold:
            self._quiet_from = None
            if self._start is None:
                self._start = at
                return
        elif probability < settings.exit_threshold and self._start is not None:
            if self._quiet_from is None:
                self._quiet_from = at
            if at - self._quiet_from >= self._min_silence:
                end = self._quiet_from
                if end - self._start > self._min_speech:
                    self._keep(end, runs)
                self._start = self._quiet_from = None

    def _least_end(self) -> int:
        """The open stretch ends here or later."""
        return self._quiet_from if self._quiet_from is not None else self._judged

    def _sure(self) -> bool:
        """Whether the open stretch will be kept, however it ends."""
        return self._start is not None and self._least_end() - self._start > self._min_speech

    def _padded_start(self, start: int) -> int:
        if self._last_end is None:
            return max(0, start - self._pad)
        return start - min(self._pad, (start - self._last_end) // 2)

    def _keep(self, end: int, runs: list[Stretch]) -> None:
        """The open stretch ends at ``end`` and is kept: all of it out, its padding to come."""
        self._open_to(end, runs)
        self._last_end = end
        self._tail_open = True

    def _open_to(self, end: int, runs: list[Stretch]) -> None:
        """Hand out the open stretch up to ``end``; its start first closes the tail before it."""
        assert self._start is not None
        if self._tail_open:
            self._close_tail(self._start, runs)
        self._give(self._padded_start(self._start), end, runs)

    def _close_tail(self, next_start: int | None, runs: list[Stretch]) -> None:
        """Hand out the last kept stretch's padding after it: half the way to the next stretch,
        or all of it (never past the end of the recording)."""
        assert self._last_end is not None
        pad = (
            self._pad if next_start is None else min(self._pad, (next_start - self._last_end) // 2)
        )
        self._give(self._last_end, min(self._heard, self._last_end + pad), runs)
        self._tail_open = False

    def _settle(self, runs: list[Stretch], closing: bool) -> None:
        if self._sure():
            self._open_to(self._least_end(), runs)
        if self._tail_open:
            assert self._last_end is not None
            following = self._start if self._start is not None else self._judged
            if closing or following - self._last_end >= 2 * self._pad:
                self._close_tail(None, runs)

    def _give(self, start: int, end: int, runs: list[Stretch]) -> None:
        start = max(start, self._given)
        if end > start:
            if runs and runs[-1].end == start:
                runs[-1] = Stretch(runs[-1].start, end)
            else:
                runs.append(Stretch(start, end))
            self._given = end

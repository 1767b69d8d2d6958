"""Sound-by-example vectors, and sound tags, from a pack's audio model.

Every audio model of a pack takes ``waveform`` [batch, samples] (mono float32 at the entry's
``sample_rate``) and gives ``embedding`` [batch, d]; a tagger (PANNs CNN14) also gives
``clipwise`` [batch, n_labels] probabilities named by its ``labels`` file. A recording is cut
into windows of ``window_seconds`` every ``hop_seconds`` (see
:func:`engine.media.audio.window_spans`), each window is one row of a batch, and a query by
example is the normalised mean of its windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.inference.needs import EMBEDDING, Graph, Needs
from engine.inference.session import LabelledModel, Session
from engine.inference.vectors import l2_normalize
from engine.media.audio import Samples, Window, Windower, resample, window_spans
from models.manifest import AudioPreprocessing, ModelEntry

INPUT = "waveform"
CLIPWISE = "clipwise"
DEFAULT_BATCH_SIZE = 4
# A clip shorter than this is looped up to it: CNN14 needs ~0.31 s of frames to pool over, and a
# repeated short sound keeps its spectrum where zero padding would add silence to the mean.
MIN_SECONDS = 1.0
DEFAULT_TOP_K = 5
DEFAULT_MIN_SCORE = 0.1
NEEDS = Needs(
    "an audio encoder",
    AudioPreprocessing,
    (Graph("model", (INPUT,), (EMBEDDING,)),),
    scores=CLIPWISE,
)

Tags = list[tuple[str, float]]


@dataclass(frozen=True)
class AudioWindow:
    """One window of a recording: its time span in seconds, unit vector and tags."""

    start: float
    end: float
    embedding: NDArray[np.float32]
    tags: Tags


class AudioEncoder(LabelledModel):
    """Windows of a recording -> unit vectors (and tags where the model has labels)."""

    def __init__(
        self,
        entry: ModelEntry,
        session: Session,
        labels: list[str] | None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        top_k: int = DEFAULT_TOP_K,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> None:
        pre = NEEDS.check(entry, labels)
        if batch_size < 1 or top_k < 1:
            raise ValueError(f"batch_size and top_k must be positive, got {batch_size}, {top_k}")
        super().__init__(entry, session, labels)
        self.batch_size = batch_size
        self.top_k = top_k
        self.min_score = min_score
        self.sample_rate = pre.sample_rate
        self.window_seconds = pre.window_seconds
        self.hop_seconds = pre.hop_seconds

    def windows(self, samples: Samples, sample_rate: int) -> Iterator[Window]:
        """The model's windows of an in-memory clip, at the model's rate."""
        audio = resample(np.asarray(samples, dtype=np.float32), sample_rate, self.sample_rate)
        window = max(1, round(self.window_seconds * self.sample_rate))
        hop = max(1, round(self.hop_seconds * self.sample_rate))
        for start, end in window_spans(len(audio), window, hop):
            yield start / self.sample_rate, end / self.sample_rate, audio[start:end]

    def windower(self) -> Windower:
        """Cuts a recording pushed a piece at a time (at the model's rate) into the model's
        windows, the same ones :meth:`windows` cuts from the whole: for :meth:`encode_stream`."""
        return Windower(self.sample_rate, self.window_seconds, self.hop_seconds)

    def encode_windows(self, samples: Samples, sample_rate: int) -> list[AudioWindow]:
        """Every window of a clip (mono samples at ``sample_rate``), in time order."""
        return list(self.encode_stream(self.windows(samples, sample_rate)))

    def encode_stream(self, windows: Iterable[Window]) -> Iterator[AudioWindow]:
        """Encode ``(start_s, end_s, samples)`` windows already at the model's rate, such as
        :func:`engine.media.audio.iter_windows` yields, a batch at a time, in order."""
        batch: list[Window] = []
        for window in windows:
            if batch and (len(batch) == self.batch_size or len(window[2]) != len(batch[0][2])):
                yield from self._run(batch)
                batch = []
            batch.append(window)
        if batch:
            yield from self._run(batch)

    def encode_clip(
        self,
        samples: Samples,
        sample_rate: int,
        start: float | None = None,
        end: float | None = None,
    ) -> NDArray[np.float32]:
        """One unit vector (d,) for a query by example: the normalised mean of the windows of
        ``samples``, or of the part from ``start`` to ``end`` seconds."""
        first = 0 if start is None else max(0, round(start * sample_rate))
        last = len(samples) if end is None else min(len(samples), round(end * sample_rate))
        if last <= first:
            raise ValueError(f"empty time range {start}..{end} s of a {len(samples)}-sample clip")
        windows = self.encode_windows(samples[first:last], sample_rate)
        mean = np.mean([window.embedding for window in windows], axis=0)
        return l2_normalize(mean[None])[0]

    def _run(self, batch: Sequence[Window]) -> list[AudioWindow]:
        waveform = np.stack([_at_least(window[2], self.sample_rate) for window in batch])
        outputs = [EMBEDDING, CLIPWISE] if self.labels is not None else [EMBEDDING]
        results = self.session.run(outputs, {INPUT: waveform})
        embeddings = l2_normalize(results[0])
        scores = results[1] if self.labels is not None else None
        return [
            AudioWindow(
                start=float(window[0]),
                end=float(window[1]),
                embedding=embeddings[row],
                tags=[] if scores is None else self._tags(scores[row]),
            )
            for row, window in enumerate(batch)
        ]

    def _tags(self, scores: NDArray[np.float32]) -> Tags:
        """Up to ``top_k`` labels scoring at least ``min_score``, best first. The scores are
        independent sigmoids (a sound can be "Dog" and "Bark" at once), so a threshold, not a
        softmax, decides which apply."""
        labels = self.labels or []
        order = np.argsort(-scores, kind="stable")[: self.top_k]
        return [(labels[i], float(scores[i])) for i in order if scores[i] >= self.min_score]


def _at_least(samples: Samples, sample_rate: int) -> Samples:
    needed = round(MIN_SECONDS * sample_rate)
    if len(samples) >= needed:
        return np.asarray(samples, dtype=np.float32)
    return np.resize(np.asarray(samples, dtype=np.float32), needed)  # repeats the clip

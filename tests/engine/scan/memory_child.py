"""Index one big file in a fresh process and report how far it raised peak memory above the
warmed models: ``python -m tests.engine.scan.memory_child DATA PACK WARM TARGET [--stand-ins]``.

The run is the engine's own (scanner, pipeline with its default settings, extractor, catalog,
vector indexes). First the folder WARM (one file of each kind) is indexed, so every model is
loaded and has run once; then the peak-RSS mark is reset (``/proc/self/clear_refs``) and the
resident size taken as the baseline; then the folder TARGET is added and indexed. Prints one
JSON line: ``above_mib`` is the peak after the reset minus the baseline; ``first_words_s`` the
seconds from the start of that run until a transcript of a TARGET file was first committed and
searchable (a long recording's first part), ``None`` when none was.

``--stand-ins`` swaps the sessions of the sound model, of Whisper's encoder and decoder and of
the text model for cheap ones with the same contract (input and output names, shapes and dtypes;
see :class:`SoundStandIn`, :class:`WhisperEncoderStandIn`, :class:`WhisperDecoderStandIn`,
:class:`TextStandIn`), so that hours of sound and a megabyte of text are walked at the speed of
decoding; everything around the model calls is real, and so is the image model.
"""

from __future__ import annotations

import ctypes
import gc
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.catalog.catalog import Catalog
from engine.catalog.records import ItemKind
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.inference.speech import SpeechTranscriber
from engine.scan.changes import ChangeKind, IndexChanges
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, RunSummary
from engine.scan.scanner import Scanner
from models.manifest import load_manifest

MIB = 1 << 20
# What the stand-in Whisper "hears" in every window with sound: its tokens make one segment.
STAND_IN_WORDS = " The budget meeting has moved to Thursday afternoon."
STAND_IN_SECONDS = 2.0


def status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak() -> None:
    """Give back freed heap, then restart the peak-RSS mark (``VmHWM``) from the present size."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the baseline just stays a little higher
        pass
    Path("/proc/self/clear_refs").write_text("5")


Feed = Mapping[str, NDArray[np.generic]]


class SoundStandIn:
    """The sound model's contract: ``waveform`` [batch, samples] -> ``embedding`` [batch, d]
    (and ``clipwise`` [batch, labels] when asked), float32, from a few statistics per row."""

    def __init__(self, dims: Mapping[str, int]) -> None:
        self.dims = dims

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        waveform = np.asarray(feed["waveform"], dtype=np.float32)
        stats = np.stack(
            [np.sqrt(np.mean(np.square(waveform), axis=1)), np.abs(waveform).max(axis=1)], axis=1
        )
        out = []
        for name in output_names:
            row = np.ones((len(waveform), self.dims[name]), dtype=np.float32)
            row[:, :2] += stats
            out.append(row if name == "embedding" else row * 0.01)
        return out


class WhisperEncoderStandIn:
    """Whisper's encoder contract: ``waveform`` [1, 480000] -> per-layer cross-attention keys
    and values [1, heads, 1500, head_dim], float32 (filled, so they take real memory)."""

    def __init__(self, names: Sequence[str], heads: int, head_dim: int) -> None:
        self.names = list(names)
        self.shape = (1, heads, 1500, head_dim)

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        waveform = feed["waveform"]
        assert waveform.shape == (1, 480_000) and waveform.dtype == np.float32
        level = float(np.abs(waveform).mean())
        return [np.full(self.shape, level, dtype=np.float32) for _ in output_names]


class WhisperDecoderStandIn:
    """Whisper's decoder contract: ``input_ids`` [1, n] and the caches -> ``logits`` [1, n,
    vocab] and the grown caches. Each window says :data:`STAND_IN_WORDS`: a timestamp at 0 s,
    the words, a timestamp at :data:`STAND_IN_SECONDS`, end of text."""

    def __init__(self, transcriber: SpeechTranscriber) -> None:
        generation = transcriber.generation
        words = transcriber.tokenizer.encode(STAND_IN_WORDS, add_special_tokens=False).ids
        end = generation.timestamp_begin + round(
            STAND_IN_SECONDS / generation.seconds_per_timestamp
        )
        self.script = [generation.timestamp_begin, *words, end, generation.eot]
        self.prompt_length = 1  # english-only: <|startoftranscript|>
        self.vocab = transcriber.entry.dims["vocab"]

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        tokens = feed["input_ids"]
        past_keys, past_values = feed["past_keys"], feed["past_values"]
        said = past_keys.shape[3] + tokens.shape[1] - self.prompt_length
        logits = np.zeros((1, tokens.shape[1], self.vocab), dtype=np.float32)
        logits[0, -1, self.script[min(said, len(self.script) - 1)]] = 30.0
        grown = (*past_keys.shape[:3], past_keys.shape[3] + tokens.shape[1], past_keys.shape[4])
        keys = np.zeros(grown, dtype=np.float32)
        values = np.zeros(grown, dtype=np.float32)
        keys[:, :, :, : past_keys.shape[3]] = past_keys
        values[:, :, :, : past_values.shape[3]] = past_values
        return [logits, keys, values]


class TextStandIn:
    """The text model's contract: ``input_ids`` and ``attention_mask`` [batch, tokens], int64 ->
    ``last_hidden_state`` [batch, tokens, d], float32, varying with the tokens."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        ids = feed["input_ids"]
        assert ids.dtype == np.int64 and feed["attention_mask"].shape == ids.shape
        hidden = np.ones((*ids.shape, self.dim), dtype=np.float32)
        hidden[..., 0] += (ids % 97).astype(np.float32) / 97
        return [hidden]


def stand_in(extractor: Extractor) -> None:
    """Swap the model calls of sound, speech and text for the stand-ins above; the image model
    stays real."""
    extractor.text.session = TextStandIn(extractor.text.dim)
    if extractor.audio is not None:
        extractor.audio.session = SoundStandIn(extractor.audio.entry.dims)
    speech = extractor.speech
    if speech is not None:
        dims = speech.entry.dims
        speech.encoder = WhisperEncoderStandIn(
            speech.entry.outputs["encoder"], dims["heads"], dims["head_dim"]
        )
        speech.decoder = WhisperDecoderStandIn(speech)


class FirstWords:
    """An ``on_change`` that notes when a committed change first made a transcript searchable
    (the change is published once the vector indexes hold it)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.started = time.monotonic()
        self.seconds: float | None = None
        self.parts = 0  # commits that added to a file: one per file, or one per part

    def __call__(self, changes: IndexChanges) -> None:
        for change in changes.files:
            if change.change not in (ChangeKind.ADDED, ChangeKind.CHANGED):
                continue
            self.parts += 1
            if self.seconds is None and any(
                item.kind is ItemKind.TRANSCRIPT
                for item in self.catalog.items_of_file(change.file_id)
            ):
                self.seconds = time.monotonic() - self.started


def index(
    catalog: Catalog,
    indexes: SpaceIndexes,
    extractor: Extractor,
    root: Path,
    first_words: FirstWords | None = None,
) -> RunSummary:
    catalog.add_root(root)
    pipeline = Pipeline(catalog, indexes, extractor, on_change=first_words)
    return pipeline.run(Scanner(catalog).scan())


def main(data: Path, pack: Path, warm: Path, target: Path, stand_ins: bool) -> int:
    data.mkdir(parents=True, exist_ok=True)
    with Catalog(data / "catalog.sqlite3") as catalog:
        indexes = SpaceIndexes(data / "indexes")
        indexes.open(catalog)
        extractor = Extractor(ModelSet(load_manifest(pack, verify=False)))
        if stand_ins:
            stand_in(extractor)
        warmed = index(catalog, indexes, extractor, warm)
        if warmed.failed:
            raise RuntimeError(f"warm-up files failed: {warmed.failures}")
        before = catalog.counts()
        reset_peak()
        baseline = status_kib("VmRSS")
        first_words = FirstWords(catalog)
        started = time.monotonic()
        summary = index(catalog, indexes, extractor, target, first_words)
        seconds = time.monotonic() - started
        peak = status_kib("VmHWM")
        after = catalog.counts()
        indexes.close()
    report = {
        "baseline_mib": baseline / 1024,
        "peak_mib": peak / 1024,
        "above_mib": (peak - baseline) / 1024,
        "seconds": seconds,
        "first_words_s": first_words.seconds,
        "parts": first_words.parts,
        "indexed": summary.indexed,
        "failed": summary.failed,
        "failures": summary.failures,
        "items": {
            key.removeprefix("items."): n - before[key]
            for key, n in after.items()
            if key.startswith("items.") and n > before[key]
        },
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    data, pack, warm, target = (Path(arg) for arg in sys.argv[1:] if arg != "--stand-ins")
    raise SystemExit(main(data, pack, warm, target, stand_ins="--stand-ins" in sys.argv[1:]))

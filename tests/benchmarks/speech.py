"""Speech to text: word error rate on real human speech and on espeak-ng sentences, character
error rate for Chinese, spoken-language detection, and speed on 2 cores.

    .venv/bin/python -m tests.benchmarks.speech [--per-language 60] [--espeak 30]
        [--model LABEL=PACK_DIR[:ENTRY_ID] ...] [--threads 2] [--no-write]
    .venv/bin/python -m tests.benchmarks.speech --named-languages [--per-language ...]

What is measured
- Real speech: Tux Paint's recorded captions (``<stamp>_desc_es.ogg``, ``_desc_fr.ogg``, and
  ``_desc.ogg`` in English: people reading the caption aloud) against the caption text of the
  same language in the stamp's ``.txt``. Captions with digits are left out (whether "1" is
  written "1" or "uno" is not what is measured); of the rest an evenly spaced ``--per-language``.
- espeak-ng: the test suite's ten English sentences (two voices), and captions in Chinese
  (zh_CN, voice ``cmn-latn-pinyin``), Spanish and German said by espeak-ng.
- Error rate: word-level Levenshtein distance over the whole set divided by the reference words
  (WER); for Chinese per character (CER). Both texts are normalised first: Unicode NFKC,
  lower case, punctuation and symbols dropped.
- Language: the share of clips whose detected language (the segments' ``language``) is the
  spoken one. English-only models detect nothing and are run on English sets only.
- Languages named (``--named-languages``, its own section): the dev pack's model on the same
  sets with no language named, with the set's language and English named (what a person
  speaking it would tick; the window's default), and with English and Spanish named (so the
  other sets show what naming languages costs a recording in a language not named).
- Speed: audio seconds over transcription seconds for each set (short clips each cost a whole
  30 s encoder pass), and the real-time factor on 30 s of continuous espeak speech, best of 3,
  with ``--threads`` ONNX Runtime threads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray

from engine.inference.providers import Device, choose
from engine.inference.speech import (
    ODDS_FOR_OTHER_LANGUAGES,
    SAMPLE_RATE,
    Segment,
    SpeechTranscriber,
    to_mono_16k,
)
from models.behaviour import edit_distance
from models.manifest import Manifest, ModelEntry, Task, load_manifest
from tests.benchmarks import machine, today, write_section
from tests.conftest import dev_pack_path
from tests.media import (
    Utterance,
    captions,
    long_speech,
    speech_clips,
    spoken_captions,
    spoken_sentences,
    tux_stamps,
)

# Languages written without spaces between words: scored per character.
CHARACTER_LANGUAGES = frozenset({"zh", "ja"})
# Tux Paint caption keys and espeak-ng voices of the espeak sets. Mandarin is "cmn-latn-pinyin":
# espeak-ng's plain "cmn" turns characters into pinyin and then reads the pinyin as English
# ("hu two tao two..."), which is no Chinese to score.
ESPEAK_VOICES = {"zh": ("zh_CN", "cmn-latn-pinyin"), "es": ("es", "es"), "de": ("de", "de")}
TUXPAINT_LANGUAGES = ("es", "fr", "en")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class SpeechSample:
    """A recording and the exact text said in it, in ``language`` (ISO 639-1)."""

    path: Path
    text: str
    language: str
    source: str  # "Tux Paint" (recorded people) or "espeak-ng"


@dataclass(frozen=True)
class Heard:
    """What a model made of one sample, and how long it took."""

    sample: SpeechSample
    segments: list[Segment]
    seconds: float  # transcription time
    audio_seconds: float

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)

    def as_json(self, model: str) -> dict[str, object]:
        return {
            "model": model,
            "path": str(self.sample.path),
            "language": self.sample.language,
            "text": self.sample.text,
            "heard": self.text,
            "heard_language": self.language,
            "seconds": round(self.seconds, 3),
            "audio_seconds": round(self.audio_seconds, 3),
        }

    @property
    def language(self) -> str | None:
        """The language of the most segments (None when nothing was heard or detected)."""
        found = [segment.language for segment in self.segments if segment.language]
        return max(set(found), key=found.count) if found else None


@dataclass(frozen=True)
class ErrorRate:
    errors: int  # substitutions + deletions + insertions
    reference: int  # words (characters for Chinese) in the references

    @property
    def rate(self) -> float:
        return self.errors / self.reference if self.reference else float("nan")


# --- scoring -----------------------------------------------------------------------------------


def tokens(text: str, language: str) -> list[str]:
    """Normalised units: words, or characters for a language written without spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    plain = "".join(" " if unicodedata.category(char)[0] in "PSZ" else char for char in folded)
    if language in CHARACTER_LANGUAGES:
        return [char for char in plain if not char.isspace()]
    return plain.split()


def error_rate(pairs: Sequence[tuple[str, str]], language: str) -> ErrorRate:
    """Corpus-level WER (CER for Chinese) over ``(reference, hypothesis)`` pairs."""
    errors = reference = 0
    for wanted, heard in pairs:
        expected = tokens(wanted, language)
        errors += edit_distance(expected, tokens(heard, language))
        reference += len(expected)
    return ErrorRate(errors, reference)


# --- samples -----------------------------------------------------------------------------------


def evenly(items: Sequence[SpeechSample], count: int) -> list[SpeechSample]:
    """``count`` items spread over the whole list (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[index] for index in picks]


def tuxpaint_samples(language: str, count: int) -> list[SpeechSample]:
    """Recorded captions in ``language`` whose caption text in that language has no digits."""
    found = []
    for path in spoken_captions(language):
        try:
            text = captions(path).get(language)
        except FileNotFoundError:  # a few recordings have no caption file beside them
            continue
        if text and not _DIGIT.search(text):
            found.append(SpeechSample(path, text, language, "Tux Paint"))
    return evenly(found, count)


def espeak_samples(language: str, count: int) -> list[SpeechSample]:
    """Tux Paint captions in ``language`` (no digits, at least three words or characters)
    said by espeak-ng."""
    key, voice = ESPEAK_VOICES[language]
    stamps = tux_stamps()
    texts: dict[str, str] = {}
    for caption_file in sorted(stamps.rglob("*.txt")):
        image = caption_file.with_suffix(".png")
        if not image.is_file():
            continue
        text = captions(image).get(key)
        if text and not _DIGIT.search(text) and len(tokens(text, language)) >= 3:
            name = caption_file.relative_to(stamps).with_suffix("").as_posix().replace("/", "_")
            texts.setdefault(text, name)  # one clip per distinct text
    utterances = [Utterance(name, voice, text) for text, name in texts.items()]
    chosen = [
        SpeechSample(Path(utterance.name), utterance.text, language, "espeak-ng")
        for utterance in utterances
    ]
    picked = {sample.path.name for sample in evenly(chosen, count)}
    clips = spoken_sentences(f"speech-{voice}", [one for one in utterances if one.name in picked])
    return [SpeechSample(clip.path, clip.text, language, "espeak-ng") for clip in clips]


# --- running -----------------------------------------------------------------------------------


def read_mono(path: Path) -> NDArray[np.float32]:
    samples, rate = soundfile.read(str(path), dtype="float32")
    return to_mono_16k(samples, rate)


def transcriber_of(pack: Path, entry_id: str | None, threads: int) -> SpeechTranscriber:
    manifest = load_manifest(pack, verify=False)
    entry = manifest.get(entry_id) if entry_id else speech_entry(manifest)
    return SpeechTranscriber.from_pack(manifest, entry, choose(Device.CPU, threads=threads))


def speech_entry(manifest: Manifest) -> ModelEntry:
    return next(entry for entry in manifest.models if entry.task is Task.SPEECH)


def listen(
    transcriber: SpeechTranscriber, samples: Sequence[SpeechSample], spoken: Sequence[str] = ()
) -> list[Heard]:
    heard = []
    for sample in samples:
        audio = read_mono(sample.path)
        started = time.perf_counter()
        segments = transcriber.transcribe(audio, SAMPLE_RATE, spoken=spoken)
        elapsed = time.perf_counter() - started
        heard.append(Heard(sample, segments, elapsed, audio.size / SAMPLE_RATE))
    return heard


def real_time_factor(transcriber: SpeechTranscriber, runs: int = 3) -> float:
    """Seconds of continuous speech per second of transcription on one 30 s window, best run."""
    audio = read_mono(long_speech().path)
    transcriber.transcribe(audio, SAMPLE_RATE)  # warm-up: sessions open, caches filled
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        transcriber.transcribe(audio, SAMPLE_RATE)
        best = min(best, time.perf_counter() - started)
    return audio.size / SAMPLE_RATE / best


@dataclass(frozen=True)
class SetScore:
    model: str
    source: str
    language: str
    clips: int
    audio_seconds: float
    error: ErrorRate
    language_right: int | None  # None: the model detects no language
    error_when_right: ErrorRate | None  # over the clips whose language was detected right
    speed: float  # audio seconds per transcription second

    def shown(self, error: ErrorRate | None) -> str:
        if error is None:
            return "n/a"
        unit = "CER" if self.language in CHARACTER_LANGUAGES else "WER"
        return f"{unit} {100 * error.rate:.1f}% ({error.errors}/{error.reference})"

    def row(self) -> str:
        detected = "n/a" if self.language_right is None else f"{self.language_right}/{self.clips}"
        return (
            f"| {self.model} | {self.source} | {self.language} | {self.clips} | "
            f"{self.audio_seconds:.0f} | {self.shown(self.error)} | {detected} | "
            f"{self.shown(self.error_when_right)} | {self.speed:.1f}x |"
        )


def score(model: str, heard: Sequence[Heard], detects_language: bool) -> SetScore:
    first = heard[0].sample
    right = [one for one in heard if one.language == first.language]
    return SetScore(
        model=model,
        source=first.source,
        language=first.language,
        clips=len(heard),
        audio_seconds=sum(one.audio_seconds for one in heard),
        error=error_rate([(one.sample.text, one.text) for one in heard], first.language),
        language_right=len(right) if detects_language else None,
        error_when_right=(
            error_rate([(one.sample.text, one.text) for one in right], first.language)
            if detects_language
            else None
        ),
        speed=sum(one.audio_seconds for one in heard) / sum(one.seconds for one in heard),
    )


def espeak_english() -> list[SpeechSample]:
    """The test suite's ten English espeak-ng sentences (longer than captions, two voices)."""
    return [SpeechSample(clip.path, clip.text, "en", "espeak-ng") for clip in speech_clips()]


def sample_sets(per_language: int, espeak: int) -> list[list[SpeechSample]]:
    sets = [tuxpaint_samples(language, per_language) for language in TUXPAINT_LANGUAGES]
    sets += [espeak_english()]
    sets += [espeak_samples(language, espeak) for language in ESPEAK_VOICES]
    return [samples for samples in sets if samples]


@dataclass(frozen=True)
class ModelChoice:
    label: str
    pack: Path
    entry_id: str | None

    @classmethod
    def parse(cls, text: str) -> ModelChoice:
        label, _, where = text.partition("=")
        folder, _, entry_id = where.partition(":")
        return cls(label, Path(folder), entry_id or None)

    def size_mb(self) -> float:
        manifest = load_manifest(self.pack, verify=False)
        entry = manifest.get(self.entry_id) if self.entry_id else speech_entry(manifest)
        graphs = ("encoder", "decoder")
        return sum(manifest.path(entry, name).stat().st_size for name in graphs) / 1e6


# What is named in each column of the languages-named table: a set's language, then English.
NAMED_COLUMNS: tuple[tuple[str, Callable[[str], tuple[str, ...]]], ...] = (
    ("nothing named", lambda language: ()),
    ("its language and English", lambda language: tuple(dict.fromkeys((language, "en")))),
    ("English and Spanish", lambda language: ("en", "es")),
)


def named_languages(sets: Sequence[Sequence[SpeechSample]], threads: int) -> str:
    """The languages-named section: per set, language detected right and error rate with each
    column's languages named."""
    transcriber = transcriber_of(dev_pack_path(), None, threads)
    rows = []
    for samples in sets:
        first = samples[0]
        cells = []
        for _, named in NAMED_COLUMNS:
            scored = score("", listen(transcriber, samples, named(first.language)), True)
            cells.append(f"{scored.language_right}/{scored.clips}, {scored.shown(scored.error)}")
        rows.append(f"| {first.source} | {first.language} | {' | '.join(cells)} |")
        print(rows[-1], flush=True)
    return "\n".join(
        [
            f"Measured {today()} on {machine()} with {threads} ONNX Runtime threads; the dev "
            f"pack's {transcriber.entry.id}. `python -m tests.benchmarks.speech "
            "--named-languages`.",
            "",
            "Language detected right and error rate, with these languages named "
            "(`trove --speech-languages`, Preferences > Spoken in your recordings): another "
            f"language is chosen only where it is {ODDS_FOR_OTHER_LANGUAGES:g} times likelier "
            "than the likeliest named one.",
            "",
            f"| speech | language | {' | '.join(title for title, _ in NAMED_COLUMNS)} |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=60, help="Tux Paint clips per language")
    parser.add_argument("--espeak", type=int, default=30, help="espeak-ng clips per language")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads")
    parser.add_argument(
        "--model",
        action="append",
        type=ModelChoice.parse,
        help="LABEL=PACK_DIR[:ENTRY_ID] (default: the dev pack's speech model); repeatable",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--clips", type=Path, help="also write every clip's result to this JSON")
    parser.add_argument(
        "--named-languages",
        action="store_true",
        help="measure language detection with the recordings' languages named, instead",
    )
    args = parser.parse_args(argv)
    models = args.model or [ModelChoice("dev pack", dev_pack_path(), None)]
    sets = sample_sets(args.per_language, args.espeak)
    if args.named_languages:
        named = named_languages(sets, args.threads)
        if not args.no_write:
            write_section("Speech: the languages a person names", named)
        print(named)
        return 0
    rows, speeds = [], []
    clips: list[dict[str, object]] = []
    for choice in models:
        transcriber = transcriber_of(choice.pack, choice.entry_id, args.threads)
        english_only = transcriber.generation.english_only
        label = f"{choice.label} ({transcriber.entry.id})"
        speeds.append(
            f"| {label} | {choice.size_mb():.1f} | {real_time_factor(transcriber):.1f}x |"
        )
        print(speeds[-1], flush=True)
        for samples in sets:
            if english_only and samples[0].language != "en":
                continue
            heard = listen(transcriber, samples)
            rows.append(score(label, heard, not english_only).row())
            print(rows[-1], flush=True)
            clips += [one.as_json(label) for one in heard]
    if args.clips is not None:
        args.clips.write_text(json.dumps(clips, ensure_ascii=False, indent=1), encoding="utf-8")
    body = "\n".join(
        [
            f"Measured {today()} on {machine()} with {args.threads} ONNX Runtime threads "
            f"(load average at the end: {os.getloadavg()[0]:.1f}). "
            "`python -m tests.benchmarks.speech` (options: its --help).",
            "",
            "| model | speech | language | clips | audio s | error rate | language detected "
            "| error rate where detected right | speed |",
            "|---|---|---|---:|---:|---|---|---|---:|",
            *rows,
            "",
            "| model | encoder + decoder MB | real-time factor (30 s of espeak speech, best of 3) "
            "|",
            "|---|---:|---:|",
            *speeds,
            "",
            "Error rates after normalisation (NFKC, lower case, no punctuation); Chinese per "
            "character. Tux Paint clips are people reading the stamp's caption; captions with "
            "digits are left out. Speed per set: audio seconds per second of transcription, "
            "each short clip paying a whole 30 s encoder pass.",
        ]
    )
    if not args.no_write:
        write_section("Speech", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

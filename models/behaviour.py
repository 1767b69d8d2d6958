"""Behaviour checks of a built model pack: does each model do its job on real media?

    python -m models.behaviour --pack DIR [--json FILE] [--all-apply]

Run at release time on the release pack (``.github/workflows/release.yml``) and in the test
suite on the dev pack. The pack is opened and hash-checked as the app opens it, and every model
runs through the engine's own run-time classes (``engine.inference``: onnxruntime, no torch), on
the same decoders the scanner uses. For every model the pack has in each role:

- image tagger: the cat photo (scikit-image's ``chelsea``) has a domestic-cat ImageNet class
  among its top five;
- sound tagger: a dog's bark (Tux Paint's ``dog.ogg``) is tagged "Dog" or "Bark" among the tags
  the app keeps; a sound model without AudioSet labels is "not applicable";
- speech: an English sentence (espeak-ng) and a person speaking Spanish (Tux Paint's recorded
  caption of Saturn) are transcribed with a word error rate under 0.3, each in the language it
  is in; an English-only model has the Spanish sentence and the language checks not applicable;
- text encoder (each text model of the pack): each query ranks its passage above five others
  (one shares a query's subject, not what it asks);
- image-text model: each of three photos ranks its own caption first among four.

A role the pack has no model for is reported as not applicable, never as passed; with
``--all-apply`` (the release pack has a model in every role) that is a failure too. Every check
reports what it measured; a model that cannot run at all fails its role's check with the error,
and the other checks still run. The exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.inference.audio import AudioEncoder
from engine.inference.image import ImageEncoder
from engine.inference.imagetext import ImageTextEncoder
from engine.inference.models import ModelSet
from engine.inference.pack import open_pack
from engine.inference.session import InferenceError
from engine.inference.speech import SpeechTranscriber
from engine.inference.text import TextEncoder
from engine.inference.vad import VoiceDetector
from engine.media.audio import load_audio
from engine.media.errors import MediaError
from engine.media.images import load_image
from models.manifest import Manifest, PackError, Task

MAX_WORD_ERROR_RATE = 0.3
TOP_IMAGE_TAGS = 5
# ImageNet's domestic cats, by the first name of each class (indices 281-285).
CAT_CLASSES = frozenset({"tabby", "tiger cat", "persian cat", "siamese cat", "egyptian cat"})
# AudioSet's classes a barking dog should be given.
DOG_CLASSES = frozenset({"Dog", "Bark"})
SPEECH_RATE = 16_000

# A query and the passage it asks for (by index); the other passages are its distractors.
PASSAGES = (
    "Water tomato plants deeply at the base every few days, and tie the stems to a stake as "
    "they grow.",
    "The night train to the coast leaves at ten from the last platform and arrives before sunrise.",
    "Knead the pizza dough for ten minutes, let it rise for an hour, then bake it very hot.",
    "At the zoo the penguins are fed fresh fish at noon; visitors watch from a glass tunnel.",
    "The quarterly budget review has moved from Tuesday to Thursday afternoon.",
    # Shares the second query's subject, not what it asks.
    "Penguins cannot fly, but they swim fast under water with their short wings.",
)
QUERIES = (
    ("how often should I water my tomatoes", 0),
    ("when do the penguins get fed", 3),
    ("how to make bread for a pizza", 2),
)
# Captions for the image-text check, by scikit-image photo; the last caption has no photo.
CAPTIONS = (
    ("chelsea", "a photo of a cat"),
    ("astronaut", "an astronaut in a white space suit"),
    ("coffee", "a cup of coffee on a saucer"),
    (None, "a rocket on its launch pad"),
)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Outcome:
    """One check of one model: whether it held, what was measured, and why in words."""

    check: str
    model: str  # the entry id, or "" where the pack has no model in the role
    status: Status
    message: str
    measured: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        model = self.model or "-"
        return f"{self.status.value.upper():15} {self.check:22} {model:26} {self.message}"


@dataclass(frozen=True)
class Spoken:
    """A recording, what it says and the language it says it in (ISO 639-1)."""

    path: Path
    text: str
    language: str


@dataclass(frozen=True)
class Media:
    """The real media the checks run on (see :func:`real_media`)."""

    cat_photo: Path
    dog_bark: Path
    speech: tuple[Spoken, ...]
    photos: dict[str, Path]  # by the names in CAPTIONS


def real_media() -> Media:
    """The checks' media from the media cache (``tests/media.py``: Debian's Tux Paint stamps,
    scikit-image's photos, espeak-ng), fetched there on first use as ``./dev setup`` does on a
    release machine."""
    from tests import media  # the repository's media cache: build and test time only

    stamps = media.tux_stamps()
    photos = media.skimage_photos()
    english = media.said(media.UTTERANCES[0])
    saturn = stamps / "space" / "planets" / "6_saturn.png"
    spanish = media.spoken_caption("6_saturn", "es")
    spanish_text = media.caption_in(saturn, "es")
    if spanish_text is None:
        raise FileNotFoundError(f"no Spanish caption for {saturn}")
    return Media(
        cat_photo=photos["chelsea"],
        dog_bark=stamps / "animals" / "mammals" / "dogs" / "dog.ogg",
        speech=(Spoken(english.path, english.text, "en"), Spoken(spanish, spanish_text, "es")),
        photos={name: photos[name] for name, _ in CAPTIONS if name is not None},
    )


# --- the checks, one per role -----------------------------------------------------------------


def check_image_tags(encoder: ImageEncoder, photo: Path) -> Outcome:
    """The cat photo has a domestic-cat class among the image model's top five."""
    name, model = "cat photo -> cat", encoder.entry.id
    if not encoder.has_tags:
        return Outcome(name, model, Status.NOT_APPLICABLE, "the image model has no labels")
    (tags,) = encoder.tags([load_image(photo)], top_k=TOP_IMAGE_TAGS)
    classes = tags[:TOP_IMAGE_TAGS]  # the concepts that follow them are not ImageNet classes
    cats = [label for label, _ in classes if _first_name(label) in CAT_CLASSES]
    measured = {"photo": photo.name, "top": [[label, round(p, 4)] for label, p in classes]}
    shown = ", ".join(f"{_first_name(label)} {p:.2f}" for label, p in classes)
    if cats:
        return Outcome(name, model, Status.PASSED, f"{photo.name}: {shown}", measured)
    message = f"{photo.name}: no cat class in the top {TOP_IMAGE_TAGS} ({shown})"
    return Outcome(name, model, Status.FAILED, message, measured)


def check_sound_tags(encoder: AudioEncoder, bark: Path) -> Outcome:
    """A dog's bark is tagged "Dog" or "Bark" in some window, among the tags the app keeps."""
    name, model = "dog bark -> Dog/Bark", encoder.entry.id
    if encoder.labels is None or not DOG_CLASSES & set(encoder.labels):
        reason = "no labels" if encoder.labels is None else "no AudioSet Dog/Bark labels"
        message = f"not applicable to this pack: the sound model has {reason}"
        return Outcome(name, model, Status.NOT_APPLICABLE, message)
    audio = load_audio(bark, encoder.sample_rate)
    windows = encoder.encode_windows(audio.samples, encoder.sample_rate)
    tags = [[label, round(score, 4)] for window in windows for label, score in window.tags]
    found = [label for label, _ in tags if label in DOG_CLASSES]
    measured = {"sound": bark.name, "windows": len(windows), "tags": tags}
    shown = ", ".join(f"{label} {score:.2f}" for label, score in tags) or "none"
    status = Status.PASSED if found else Status.FAILED
    verdict = "" if found else "not tagged Dog or Bark; "
    return Outcome(name, model, status, f"{bark.name}: {verdict}tags {shown}", measured)


def check_speech(
    transcriber: SpeechTranscriber, spoken: Spoken, voice: VoiceDetector | None = None
) -> list[Outcome]:
    """One recording's transcript (word error rate) and the language heard, as two outcomes."""
    model = transcriber.entry.id
    words_check = f"speech {spoken.language} WER<{MAX_WORD_ERROR_RATE}"
    language_check = f"speech {spoken.language} language"
    english_only = transcriber.generation.english_only
    if english_only and spoken.language != "en":
        message = "not applicable to this pack: the speech model is English-only"
        return [
            Outcome(words_check, model, Status.NOT_APPLICABLE, message),
            Outcome(language_check, model, Status.NOT_APPLICABLE, message),
        ]
    audio = load_audio(spoken.path, SPEECH_RATE)
    segments = transcriber.transcribe(audio.samples, SPEECH_RATE, voice=voice)
    heard = " ".join(segment.text.strip() for segment in segments)
    rate = word_error_rate(spoken.text, heard)
    measured = {
        "recording": spoken.path.name,
        "expected": spoken.text,
        "heard": heard,
        "word_error_rate": round(rate, 4),
    }
    status = Status.PASSED if rate < MAX_WORD_ERROR_RATE else Status.FAILED
    transcript = Outcome(words_check, model, status, f"WER {rate:.2f}: heard {heard!r}", measured)
    languages = sorted({segment.language or "?" for segment in segments})
    if english_only:
        message = "not applicable: an English-only model detects no language"
        return [transcript, Outcome(language_check, model, Status.NOT_APPLICABLE, message)]
    right = languages == [spoken.language]
    message = f"heard {', '.join(languages) or 'nothing'}, expected {spoken.language}"
    language = Outcome(
        language_check,
        model,
        Status.PASSED if right else Status.FAILED,
        message,
        {"recording": spoken.path.name, "languages": languages},
    )
    return [transcript, language]


def check_text_ranking(encoder: TextEncoder) -> Outcome:
    """Each query ranks its passage first among :data:`PASSAGES` (queries embedded as queries,
    passages as documents: arctic-embed's query prefix applies)."""
    name, model = "text query -> passage", encoder.entry.id
    queries = encoder.encode([query for query, _ in QUERIES], kind="query")
    passages = encoder.encode(list(PASSAGES), kind="document")
    wanted = [index for _, index in QUERIES]
    ranks, margins = _ranks(queries @ passages.T, wanted)
    return _ranking_outcome(name, model, [query for query, _ in QUERIES], ranks, margins)


def check_caption_ranking(encoder: ImageTextEncoder, photos: dict[str, Path]) -> Outcome:
    """Each photo ranks its own caption first among :data:`CAPTIONS`."""
    name, model = "photo -> its caption", encoder.entry.id
    pictured = [(index, photo) for index, (photo, _) in enumerate(CAPTIONS) if photo is not None]
    images = encoder.encode_images([load_image(photos[photo]) for _, photo in pictured])
    captions = encoder.encode_texts([caption for _, caption in CAPTIONS])
    ranks, margins = _ranks(images @ captions.T, [index for index, _ in pictured])
    return _ranking_outcome(name, model, [photo for _, photo in pictured], ranks, margins)


def _ranks(scores: NDArray[np.float32], wanted: Sequence[int]) -> tuple[list[int], list[float]]:
    """Per row, the 1-based rank of its wanted column and that column's lead over the best
    other one (negative when another column scores higher)."""
    ranks, margins = [], []
    for row, column in zip(scores, wanted, strict=True):
        others = np.delete(row, column)
        ranks.append(1 + int(np.sum(others > row[column])))
        margins.append(float(row[column] - others.max()))
    return ranks, margins


def _ranking_outcome(
    name: str, model: str, asked: Sequence[str], ranks: Sequence[int], margins: Sequence[float]
) -> Outcome:
    measured = {
        "ranks": dict(zip(asked, ranks, strict=True)),
        "margins": {what: round(margin, 4) for what, margin in zip(asked, margins, strict=True)},
    }
    missed = [
        f"{what!r} ranked {rank}" for what, rank in zip(asked, ranks, strict=True) if rank > 1
    ]
    if missed:
        return Outcome(name, model, Status.FAILED, "; ".join(missed), measured)
    message = f"{len(asked)} of {len(asked)} first, smallest lead {min(margins):.3f}"
    return Outcome(name, model, Status.PASSED, message, measured)


# --- a whole pack -------------------------------------------------------------------------------


def check_pack(manifest: Manifest, media: Media) -> list[Outcome]:
    """Every check on every model of the pack, role by role, in manifest order."""
    models = ModelSet(manifest)
    outcomes: list[Outcome] = []

    def each(task: Task, role: str, run: Callable[[str], list[Outcome]]) -> None:
        entries = manifest.by_task(task)
        if not entries:
            message = f"not applicable to this pack: it has no {role}"
            outcomes.append(Outcome(role, "", Status.NOT_APPLICABLE, message))
        for entry in entries:
            try:
                outcomes.extend(run(entry.id))
            except (InferenceError, MediaError, PackError, ValueError) as error:
                # A model that cannot run fails its role's check, by name; the others still run.
                message = f"could not run: {error}"
                outcomes.append(Outcome(role, entry.id, Status.FAILED, message))

    def image(model: str) -> list[Outcome]:
        encoder = ImageEncoder.from_pack(manifest, manifest.get(model))
        return [check_image_tags(encoder, media.cat_photo)]

    def sound(model: str) -> list[Outcome]:
        encoder = AudioEncoder.from_pack(manifest, manifest.get(model))
        return [check_sound_tags(encoder, media.dog_bark)]

    def speech(model: str) -> list[Outcome]:
        transcriber = SpeechTranscriber.from_pack(manifest, manifest.get(model))
        voice = models.voice()  # the app hears only where someone speaks, where it can
        return [found for said in media.speech for found in check_speech(transcriber, said, voice)]

    def text(model: str) -> list[Outcome]:
        return [check_text_ranking(TextEncoder.from_pack(manifest, manifest.get(model)))]

    def image_text(model: str) -> list[Outcome]:
        encoder = ImageTextEncoder.from_pack(manifest, manifest.get(model))
        return [check_caption_ranking(encoder, media.photos)]

    each(Task.IMAGE, "image model", image)
    each(Task.AUDIO, "sound model", sound)
    each(Task.SPEECH, "speech model", speech)
    each(Task.TEXT, "text model", text)
    each(Task.IMAGE_TEXT, "image-text model", image_text)
    return outcomes


def failures(outcomes: Sequence[Outcome], all_apply: bool = False) -> list[Outcome]:
    """The outcomes that fail the pack: failed checks, and with ``all_apply`` the checks that
    did not apply to it as well."""
    bad = {Status.FAILED, Status.NOT_APPLICABLE} if all_apply else {Status.FAILED}
    return [outcome for outcome in outcomes if outcome.status in bad]


def summary(manifest: Manifest, outcomes: Sequence[Outcome], all_apply: bool) -> dict[str, Any]:
    """What a run found, as JSON: the pack, every check with its measured values, the count of
    each status and the failures."""
    counts = {status.value: sum(o.status is status for o in outcomes) for status in Status}
    return {
        "pack": manifest.name,
        "version": manifest.version,
        "all_apply": all_apply,
        "counts": counts,
        "failed": [outcome.line() for outcome in failures(outcomes, all_apply)],
        "checks": [asdict(outcome) for outcome in outcomes],
    }


# --- word error rate ----------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "Sólo, ¡hola!" -> ["solo", "hola"]."""
    stripped = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in stripped if not unicodedata.combining(char))
    return re.findall(r"[^\W_]+", plain)


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences (one row at a time)."""
    previous = list(range(len(hypothesis) + 1))
    for i, wanted in enumerate(reference, start=1):
        current = [i]
        for j, heard in enumerate(hypothesis, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wanted != heard))
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length (0 for a perfect transcript)."""
    ref = words(reference)
    return edit_distance(ref, words(hypothesis)) / max(len(ref), 1)


def _first_name(label: str) -> str:
    return label.split(",")[0].strip().lower()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.behaviour", description=__doc__)
    parser.add_argument("--pack", type=Path, required=True, help="the built pack's folder")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument(
        "--all-apply",
        action="store_true",
        help="fail where a check does not apply (a role the pack should have is missing)",
    )
    args = parser.parse_args(argv)
    manifest = open_pack(args.pack)  # hash-checked, as the app opens it
    outcomes = check_pack(manifest, real_media())
    found = summary(manifest, outcomes, args.all_apply)
    for outcome in outcomes:
        print(outcome.line())
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    bad = failures(outcomes, args.all_apply)
    if bad:
        print(f"\n{len(bad)} of {len(outcomes)} behaviour checks failed:", file=sys.stderr)
        for outcome in bad:
            print(f"  {outcome.line()}", file=sys.stderr)
        return 1
    print(f"\npack {manifest.name} {manifest.version}: every behaviour check passed or n/a")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

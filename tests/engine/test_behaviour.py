"""models/behaviour.py: the release-time behaviour checks, run here on the dev pack's real models
and real media; for the roles only the release pack fills, on the same code path: a fake session
honouring the PANNs contract (sound tags), a random-weight UForm3 pack from the release exporter
(image-text), and the arctic-embed-xs exporter on MiniLM's real weights (text, CLS + prefix)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from engine.inference.audio import AudioEncoder
from engine.inference.session import Feed
from engine.inference.speech import SpeechTranscriber
from models import behaviour
from models.behaviour import Media, Outcome, Status
from models.manifest import AudioPreprocessing, FileRef, Manifest, ModelEntry, Task, load_manifest
from tests.conftest import dev_pack_path

ROOT = Path(__file__).resolve().parents[2]
PANNS_RATE = 32000
# A few of AudioSet's 527 display names, in the order of its class_labels_indices.csv.
AUDIOSET = ["Speech", "Animal", "Dog", "Bark", "Cat", "Meow", "Music"]


@pytest.fixture(scope="module")
def media() -> Media:
    return behaviour.real_media()


def by_check(outcomes: Sequence[Outcome]) -> dict[tuple[str, str], Outcome]:
    return {(outcome.check, outcome.model): outcome for outcome in outcomes}


# --- the dev pack, end to end -------------------------------------------------------------------


@pytest.mark.slow
def test_the_dev_pack_passes_every_check_that_applies_to_it(tmp_path: Path, media: Media) -> None:
    written = tmp_path / "behaviour.json"
    assert behaviour.main(["--pack", str(dev_pack_path()), "--json", str(written)]) == 0
    found = json.loads(written.read_text())
    outcomes = by_check(
        [Outcome(**{**row, "status": Status(row["status"])}) for row in found["checks"]]
    )
    passed = {key for key, outcome in outcomes.items() if outcome.status is Status.PASSED}
    assert passed == {
        ("cat photo -> cat", "efficientnet-lite0"),
        ("speech en WER<0.3", "whisper-base"),
        ("speech en language", "whisper-base"),
        ("speech es WER<0.3", "whisper-base"),
        ("speech es language", "whisper-base"),
        ("text query -> passage", "minilm-l6-v2"),
        ("text query -> passage", "use-m3"),
    }
    # Whisper tiny.en's encoder states give no tags; the dev pack has no image-text model.
    not_applicable = outcomes.keys() - passed
    assert not_applicable == {
        ("dog bark -> Dog/Bark", "whisper-tiny-en-audio"),
        ("image-text model", ""),
    }
    for key in not_applicable:
        assert outcomes[key].status is Status.NOT_APPLICABLE
        assert outcomes[key].message.startswith("not applicable to this pack")
    assert found["counts"] == {"passed": 7, "failed": 0, "not applicable": 2}
    # Every check says what it measured.
    speech = outcomes[("speech es WER<0.3", "whisper-base")].measured
    assert speech["word_error_rate"] < 0.3 and "planeta" in speech["heard"]
    assert outcomes[("cat photo -> cat", "efficientnet-lite0")].measured["photo"] == "chelsea.png"
    for model in ("minilm-l6-v2", "use-m3"):
        margins = outcomes[("text query -> passage", model)].measured["margins"]
        assert len(margins) == len(behaviour.QUERIES) and min(margins.values()) > 0


@pytest.mark.slow
def test_all_apply_fails_a_pack_that_lacks_a_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert behaviour.main(["--pack", str(dev_pack_path()), "--all-apply"]) == 1
    error = capsys.readouterr().err
    assert "2 of 9 behaviour checks failed" in error
    assert "image-text model" in error and "whisper-tiny-en-audio" in error


@pytest.mark.slow
def test_an_english_only_speech_model_has_spanish_and_languages_not_applicable(
    dev_pack: Manifest, media: Media
) -> None:
    """The dev pack's speech model is multilingual; tiny.en's generation settings say
    English-only, and the checks then neither run Spanish nor ask for a language (the English
    transcript is only measured here: the multilingual model decodes nothing useful with an
    English-only prompt)."""
    transcriber = SpeechTranscriber.from_pack(dev_pack, dev_pack.get("whisper-base"))
    transcriber.generation = replace(transcriber.generation, english_only=True)
    english, spanish = media.speech
    words, language = behaviour.check_speech(transcriber, english)
    assert words.check == "speech en WER<0.3" and "word_error_rate" in words.measured
    assert language.status is Status.NOT_APPLICABLE
    statuses = [outcome.status for outcome in behaviour.check_speech(transcriber, spanish)]
    assert statuses == [Status.NOT_APPLICABLE, Status.NOT_APPLICABLE]


@pytest.mark.slow
def test_a_wrong_language_fails_with_what_was_heard(dev_pack: Manifest, media: Media) -> None:
    transcriber = SpeechTranscriber.from_pack(dev_pack, dev_pack.get("whisper-base"))
    english = media.speech[0]
    words, language = behaviour.check_speech(transcriber, replace(english, language="es"))
    assert language.status is Status.FAILED
    assert language.message == "heard en, expected es"


def test_a_model_that_cannot_run_fails_its_check_and_the_others_still_run(
    dev_pack: Manifest, media: Media, tmp_path: Path
) -> None:
    image = dev_pack.get("efficientnet-lite0")
    for name, ref in image.files.items():
        target = tmp_path / ref.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "model":
            target.write_bytes(b"not an ONNX graph")
        else:
            shutil.copyfile(dev_pack.path(image, name), target)
    minilm = dev_pack.get("minilm-l6-v2")
    for ref in minilm.files.values():
        (tmp_path / ref.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ref.path).symlink_to(dev_pack.root / ref.path)
    broken = replace(dev_pack, models=(image, minilm), root=tmp_path)
    outcomes = by_check(behaviour.check_pack(broken, media))
    failed = outcomes[("image model", "efficientnet-lite0")]
    assert failed.status is Status.FAILED
    assert failed.message.startswith("could not run: cannot load model")
    assert outcomes[("text query -> passage", "minilm-l6-v2")].status is Status.PASSED


# --- the sound tagger's role (PANNs in the release pack), through a fake session ---------------


class FakePanns:
    """PANNs' contract: ``waveform`` [batch, samples] at 32 kHz -> ``embedding`` [batch, 4] and
    ``clipwise`` [batch, classes] sigmoid scores; here loud windows score ``dog`` on Dog and
    Bark, so the check's outcome follows the audio it is given."""

    def __init__(self, dog: float) -> None:
        self.dog = dog
        self.shapes: list[tuple[int, ...]] = []

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        waveform = np.asarray(feed["waveform"], dtype=np.float32)
        self.shapes.append(waveform.shape)
        loud = np.abs(waveform).max(axis=1) > 0.05
        clipwise = np.full((len(waveform), len(AUDIOSET)), 0.02, dtype=np.float32)
        clipwise[:, AUDIOSET.index("Animal")] = 0.5
        for name in ("Dog", "Bark"):
            clipwise[loud, AUDIOSET.index(name)] = self.dog
        embedding = np.ones((len(waveform), 4), dtype=np.float32)
        outputs = {"embedding": embedding, "clipwise": clipwise}
        return [outputs[name] for name in output_names]


def panns_entry(labels: Sequence[str]) -> ModelEntry:
    return ModelEntry(
        id="panns-cnn14",
        task=Task.AUDIO,
        files={"model": FileRef("panns-cnn14/model.onnx", "0" * 64, 1)},
        dims={"embedding": 4, "clipwise": len(labels)},
        preprocessing=AudioPreprocessing(
            sample_rate=PANNS_RATE, window_seconds=10.0, hop_seconds=5.0
        ),
        inputs={"model": ["waveform"]},
        outputs={"model": ["embedding", "clipwise"]},
    )


def test_a_bark_tagged_dog_passes_and_untagged_fails(media: Media) -> None:
    session = FakePanns(dog=0.8)
    tagger = AudioEncoder(panns_entry(AUDIOSET), session, AUDIOSET)
    outcome = behaviour.check_sound_tags(tagger, media.dog_bark)
    assert outcome.status is Status.PASSED, outcome
    assert ["Dog", 0.8] in outcome.measured["tags"] and ["Bark", 0.8] in outcome.measured["tags"]
    assert session.shapes and all(shape[1] >= PANNS_RATE for shape in session.shapes)

    quiet = AudioEncoder(panns_entry(AUDIOSET), FakePanns(dog=0.05), AUDIOSET)
    outcome = behaviour.check_sound_tags(quiet, media.dog_bark)
    assert outcome.status is Status.FAILED
    assert outcome.message == "dog.ogg: not tagged Dog or Bark; tags Animal 0.50"


def test_a_sound_model_without_audioset_labels_is_not_applicable(media: Media) -> None:
    labels = ["Speech", "Music", "Noise"]
    tagger = AudioEncoder(panns_entry(labels), FakePanns(dog=0.9), labels)
    outcome = behaviour.check_sound_tags(tagger, media.dog_bark)
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.message == (
        "not applicable to this pack: the sound model has no AudioSet Dog/Bark labels"
    )


# --- the image-text role (UForm3 in the release pack), on the release exporter's wiring ---------


def build_env(*args: str) -> None:
    """Run the build env's Python (torch, the exporters) on ``args`` in the checkout."""
    configured = os.environ.get("TROVE_BUILD_PYTHON")
    python = Path(configured) if configured else ROOT / ".venv-build" / "bin" / "python"
    if not python.is_file():
        pytest.fail(f"the build env is missing at {python}: run ./dev setup")
    subprocess.run([str(python), *args], cwd=ROOT, check=True, timeout=600, capture_output=True)


@pytest.fixture(scope="module")
def uform_pack(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """english-small widths, shallower and with random weights, written by the release's own
    exporter (models/export/uform.py) in the build env, as tests/engine/test_imagetext_encoder
    does; no weights of the real model are here."""
    folder = tmp_path_factory.mktemp("uform") / "pack"
    build_env(
        *("-m", "models.export.uform", "random", "english-small", "--out", str(folder)),
        *("--image-layers", "2", "--text-layers", "1"),
    )
    return load_manifest(folder)


# The release's arctic-embed-xs exporter on all-MiniLM-L6-v2's real weights (the same
# architecture): arctic's CLS pooling and query prefix, with the dev pack's weights.
ARCTIC_ON_MINILM = """
import sys
from pathlib import Path
from models.export import bert
from models.manifest import Manifest
out = Path(sys.argv[1])
entry = bert.export_arctic_embed("xs", bert.minilm_weights_dir(), out)
Manifest("arctic-wiring", "test", (entry,), root=out).write(out)
"""


@pytest.mark.slow
def test_the_text_check_runs_arctics_wiring_with_the_dev_weights(
    tmp_path: Path, media: Media
) -> None:
    """Queries go in as queries (with arctic's prefix), passages as documents, pooled at CLS.
    MiniLM was trained for mean pooling, so its rank here says nothing of arctic's: measured
    3 of 3 first, the smallest lead 0.007; only the path is asserted."""
    build_env("-c", ARCTIC_ON_MINILM, str(tmp_path / "pack"))
    pack = load_manifest(tmp_path / "pack")
    (entry,) = pack.models
    assert (entry.id, entry.pooling) == ("arctic-embed-xs", "cls") and entry.prefix("query")
    (outcome,) = [o for o in behaviour.check_pack(pack, media) if o.check.startswith("text")]
    assert outcome.model == "arctic-embed-xs" and outcome.status in (Status.PASSED, Status.FAILED)
    assert list(outcome.measured["ranks"]) == [query for query, _ in behaviour.QUERIES]


@pytest.mark.slow
def test_the_image_text_check_runs_the_release_models_code_path(
    uform_pack: Manifest, media: Media
) -> None:
    """Random weights rank captions by chance, so only the path is proven here: the pack's
    image-text model is found, three real photos and four captions go through the engine's
    encoder, and each photo's rank is measured; the other roles, absent, are not applicable."""
    outcomes = behaviour.check_pack(uform_pack, media)
    (caption,) = [o for o in outcomes if o.check == "photo -> its caption"]
    assert caption.model == uform_pack.by_task(Task.IMAGE_TEXT)[0].id
    assert caption.status in (Status.PASSED, Status.FAILED)
    ranks = caption.measured["ranks"]
    assert list(ranks) == ["chelsea", "astronaut", "coffee"]
    assert all(1 <= rank <= len(behaviour.CAPTIONS) for rank in ranks.values())
    others = [o for o in outcomes if o is not caption]
    assert {o.check for o in others} == {
        "image model",
        "sound model",
        "speech model",
        "text model",
    }
    assert all(o.status is Status.NOT_APPLICABLE for o in others)


# --- the measures -------------------------------------------------------------------------------


def test_word_error_rate_ignores_case_punctuation_and_accents() -> None:
    rate = behaviour.word_error_rate
    assert rate("Puede moverse sólo hacia adelante.", "puede moverse solo hacia adelante") == 0
    assert rate("The budget meeting has moved.", "The budget meeting moved.") == 0.2
    assert rate("a b c d", "a x c d e") == 0.5  # one substitution, one insertion
    assert rate("one two", "") == 1.0


def test_ranks_count_the_columns_above_the_wanted_one() -> None:
    scores = np.array([[0.9, 0.2, 0.1], [0.5, 0.4, 0.6]], dtype=np.float32)
    ranks, margins = behaviour._ranks(scores, [0, 1])
    assert ranks == [1, 3]
    assert margins == pytest.approx([0.7, -0.2])
    outcome = behaviour._ranking_outcome("check", "model", ["q1", "q2"], ranks, margins)
    assert outcome.status is Status.FAILED and outcome.message == "'q2' ranked 3"


def test_the_release_workflow_checks_the_release_pack_after_building_it() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["pack"]["steps"]]
    built = next(i for i, run in enumerate(runs) if "-m models.release --out" in run)
    checked = next(i for i, run in enumerate(runs) if "-m models.behaviour" in run)
    assert checked > built
    command = " ".join(runs[checked].split())
    # The run-time environment (no torch), on the pack just built, with every role required.
    assert command.startswith(".venv/bin/python -m models.behaviour")
    assert "--pack release-pack/trove-release --all-apply" in command

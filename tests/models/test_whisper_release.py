"""The release pack's Whisper exporter on real multilingual weights.

The release pack exports ``openai/whisper-base`` from a hub snapshot (``export_whisper``); the
hub is not reachable here, but the same weights are: the compact pack's CTranslate2 file of
Whisper base. Laid out as a hub snapshot (``WhisperForConditionalGeneration`` names, config,
tokenizer, generation config) and exported through the release path, they must detect the
language of real speech and transcribe it exactly as the compact pack's Whisper base does
(the same float16 values, computed in float32 by both)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
from numpy.typing import NDArray
from transformers import WhisperForConditionalGeneration

from engine.inference.speech import Segment, SpeechTranscriber
from models.export.ctranslate2 import read_ctranslate2
from models.export.whisper import base_files, ct2_state_dict, export_whisper
from models.manifest import Manifest, load_manifest
from tests.media import speech_clips, spoken_caption
from tests.models.test_whisper_export import hub_config

# Padding, end of text, start of transcript: as openai/whisper-base's config.json has them.
MULTILINGUAL_TOKENS = (50257, 50257, 50258)


def hub_snapshot(folder: Path) -> Path:
    """Whisper base's CTranslate2 weights as ``openai/whisper-base`` publishes them."""
    files = base_files()
    config, state = ct2_state_dict(read_ctranslate2(files["model.bin"]))
    hub = WhisperForConditionalGeneration(hub_config(config, *MULTILINGUAL_TOKENS)).eval()
    named = {f"model.{name}": tensor for name, tensor in state.items()}
    named["proj_out.weight"] = state["decoder.embed_tokens.weight"]  # tied, as on the hub
    hub.load_state_dict(named, strict=True)
    hub.save_pretrained(folder, safe_serialization=True)
    shutil.copyfile(files["tokenizer.json"], folder / "tokenizer.json")
    ct2 = json.loads(files["config.json"].read_text())
    generation = {
        "suppress_tokens": ct2["suppress_ids"],
        "begin_suppress_tokens": ct2["suppress_ids_begin"],
    }
    (folder / "generation_config.json").write_text(json.dumps(generation))
    return folder


@pytest.fixture(scope="module")
def release_whisper(tmp_path_factory: pytest.TempPathFactory) -> SpeechTranscriber:
    snapshot = hub_snapshot(tmp_path_factory.mktemp("whisper-base-snapshot"))
    pack = tmp_path_factory.mktemp("release-pack")
    entry = export_whisper("base", snapshot, pack)
    Manifest("release-whisper", "0", (entry,), pack).write(pack)
    manifest = load_manifest(pack)
    return SpeechTranscriber.from_pack(manifest, manifest.get(entry.id))


def heard(transcriber: SpeechTranscriber, path: Path) -> list[Segment]:
    samples, rate = soundfile.read(str(path), dtype="float32")
    waveform: NDArray[np.float32] = np.asarray(samples, dtype=np.float32)
    return transcriber.transcribe(waveform, rate)


@pytest.mark.slow
def test_the_release_export_of_whisper_base_hears_what_the_compact_pack_hears(
    release_whisper: SpeechTranscriber, dev_pack: Manifest
) -> None:
    compact = SpeechTranscriber.from_pack(dev_pack, dev_pack.get("whisper-base"))
    recordings = {
        "es": spoken_caption("frog", "es"),  # a person: "Una rana."
        "fr": spoken_caption("frog", "fr"),
        "en": speech_clips()[0].path,  # espeak-ng
    }
    for language, path in recordings.items():
        ours = heard(release_whisper, path)
        assert ours, path
        assert {segment.language for segment in ours} == {language}, ours
        theirs = heard(compact, path)
        assert [s.text for s in ours] == [s.text for s in theirs]
        times = [time for s in ours for time in (s.start, s.end)]
        assert times == pytest.approx([time for s in theirs for time in (s.start, s.end)], abs=0.02)
    assert "rana" in " ".join(s.text for s in heard(release_whisper, recordings["es"])).lower()

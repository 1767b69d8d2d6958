"""Example files as queries, on the dev pack's real encoders: what is refused before any decoder
runs (with an :class:`ExampleError` naming the file), what a name without a known suffix may
be, and how much of a long recording is used."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.inference.models import ModelSet
from engine.search.probes import MAX_EXAMPLE_SECONDS, ExampleError, ModelProbes
from engine.search.query import ExamplePart
from models.manifest import Manifest
from tests import media


@pytest.fixture(scope="module")
def probes(dev_pack: Manifest) -> ModelProbes:
    return ModelProbes(ModelSet(dev_pack))


def refusal(probes: ModelProbes, path: Path) -> str:
    with pytest.raises(ExampleError) as caught:
        probes.for_example(ExamplePart(path))
    assert caught.value.path == path
    message = str(caught.value)
    assert message.startswith(f"{path.name}: ") and "\n" not in message
    return message


def test_what_cannot_be_an_example_is_refused_by_name(probes: ModelProbes, tmp_path: Path) -> None:
    (tmp_path / "empty.png").touch()
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "words.png").write_text("not a picture at all\n")
    (tmp_path / "folder.png").mkdir()
    assert "empty file" in refusal(probes, tmp_path / "empty.png")
    assert "No such file" in refusal(probes, tmp_path / "missing.png")
    assert "not a regular file (a folder)" in refusal(probes, tmp_path / "folder.png")
    assert "the file holds text" in refusal(probes, tmp_path / "words.png")
    reason = refusal(probes, tmp_path / "passwd")
    assert "not a photo, recording, video or note Trove reads: the file holds text" in reason


def test_a_name_without_a_known_suffix_is_taken_for_what_its_bytes_are(
    probes: ModelProbes, tmp_path: Path
) -> None:
    download = tmp_path / "download"
    shutil.copyfile(media.skimage_photos()["chelsea"], download)
    named = probes.for_example(ExamplePart(media.skimage_photos()["chelsea"]))
    unnamed = probes.for_example(ExamplePart(download))
    assert [probe.space for probe in unnamed.probes] == [probe.space for probe in named.probes]
    assert np.allclose(unnamed.probes[0].vector, named.probes[0].vector)


def test_a_long_recording_is_heard_for_at_most_the_limit(
    probes: ModelProbes, tmp_path: Path
) -> None:
    speech, rate = soundfile.read(str(media.long_speech().path), dtype="float32")
    long = tmp_path / "long talk.wav"
    soundfile.write(str(long), np.concatenate([speech] * 3), rate)  # 90 s of real speech
    whole = probes.for_example(ExamplePart(long))
    first = probes.for_example(ExamplePart(long, 1.0, 0.0, MAX_EXAMPLE_SECONDS))
    assert whole.notes == [
        f"long talk.wav: only 0-{MAX_EXAMPLE_SECONDS:g} s of it is the example "
        f"(at most {MAX_EXAMPLE_SECONDS:g} s; a time range picks another part)"
    ]
    assert first.notes == []
    for cut, asked in zip(whole.probes, first.probes, strict=True):
        assert np.allclose(cut.vector, asked.vector, atol=1e-5)
    later = probes.for_example(ExamplePart(long, 1.0, 50.0, None))
    assert later.notes[0].startswith(f"long talk.wav: only 50-{50 + MAX_EXAMPLE_SECONDS:g} s")
    short = probes.for_example(ExamplePart(media.demo_folder() / "Sounds" / "dog.ogg"))
    assert short.notes == []


def test_a_recording_too_long_to_hold_is_cut_to_the_limit_too(
    probes: ModelProbes, tmp_path: Path
) -> None:
    speech, rate = soundfile.read(str(media.long_speech().path), dtype="float32")
    first = speech[: int(MAX_EXAMPLE_SECONDS * rate)]
    held = tmp_path / "first part.wav"
    soundfile.write(str(held), first, rate)
    long = tmp_path / "eleven minutes.wav"  # past what is held whole: decoded as it is embedded
    repeats = int(660 / (len(speech) / rate)) + 1
    soundfile.write(str(long), np.concatenate([speech] * repeats), rate)
    streamed = probes.for_example(ExamplePart(long))
    assert streamed.notes == [
        f"eleven minutes.wav: only 0-{MAX_EXAMPLE_SECONDS:g} s of it is the example "
        f"(at most {MAX_EXAMPLE_SECONDS:g} s; a time range picks another part)"
    ]
    whole_first = probes.for_example(ExamplePart(held))
    for cut, alone in zip(streamed.probes, whole_first.probes, strict=True):
        assert cut.space == alone.space
        assert float(np.dot(cut.vector, alone.vector)) > 0.999
    later = probes.for_example(ExamplePart(long, 1.0, 600.0, 610.0))
    assert later.notes == [] and later.probes


def test_a_time_range_past_the_end_names_the_file(probes: ModelProbes) -> None:
    dog = media.demo_folder() / "Sounds" / "dog.ogg"
    with pytest.raises(ExampleError, match="^dog.ogg: the time range 5-6 s lies past the end"):
        probes.for_example(ExamplePart(dog, 1.0, 5.0, 6.0))

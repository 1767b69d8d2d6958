"""The manifest's typed preprocessing: one kind per task, checked once when the manifest is read,
an error naming the entry and the field, and the JSON on disk unchanged (format 1)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from models.manifest import (
    MANIFEST_NAME,
    UNRECORDED_GRAPH,
    AudioPreprocessing,
    GraphChoice,
    GraphVariant,
    ImagePreprocessing,
    ImageTextPreprocessing,
    Interpolation,
    Manifest,
    ModelEntry,
    OcrPreprocessing,
    PackError,
    Preprocessing,
    Resize,
    SpeechPreprocessing,
    Task,
    TextPreprocessing,
    VoicePreprocessing,
    read_manifest,
)

IMAGE = {
    "image_size": 224,
    "resize": "crop",
    "resize_to": 256,
    "mean": [127.0, 127.0, 127.0],
    "std": [128.0, 128.0, 128.0],
    "pixel_scale": 1.0,
    "interpolation": "bicubic",
}
GOOD: dict[Task, dict[str, Any]] = {
    Task.TEXT: {"max_tokens": 256},
    Task.IMAGE: IMAGE,
    Task.IMAGE_TEXT: {**IMAGE, "max_tokens": 64},
    Task.AUDIO: {"sample_rate": 32000, "window_seconds": 10.0, "hop_seconds": 5.0},
    Task.SPEECH: {"sample_rate": 16000, "window_seconds": 30.0, "n_mels": 80},
    Task.VAD: {"sample_rate": 16000, "chunk_samples": 512, "context_samples": 64},
    Task.OCR: {
        "detect_side": 960,
        "direction_height": 48,
        "direction_width": 192,
        "line_height": 48,
    },
}


def write_pack(folder: Path, task: Task, preprocessing: object) -> Path:
    entry: dict[str, Any] = {"id": "m", "task": task.value, "files": {}, "dims": {"embedding": 4}}
    if preprocessing is not None:
        entry["preprocessing"] = preprocessing
    manifest = {"format": 1, "name": "p", "version": "1", "models": [entry]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return folder


def test_the_dev_pack_reads_as_typed_kinds_and_writes_back_the_same_json(
    dev_pack: Manifest,
) -> None:
    kinds = {entry.task: type(entry.preprocessing) for entry in dev_pack.models}
    assert kinds == {
        Task.TEXT: TextPreprocessing,
        Task.IMAGE: ImagePreprocessing,
        Task.SPEECH: SpeechPreprocessing,
        Task.AUDIO: AudioPreprocessing,
        Task.VAD: VoicePreprocessing,
        Task.OCR: OcrPreprocessing,
    }
    assert dev_pack.to_json() == json.loads((dev_pack.root / MANIFEST_NAME).read_text())


@pytest.mark.parametrize("task", list(Task), ids=str)
def test_every_task_round_trips(task: Task, tmp_path: Path) -> None:
    entry = read_manifest(write_pack(tmp_path / "a", task, GOOD[task])).models[0]
    again = Manifest("p", "1", (entry,)).to_json()["models"][0]["preprocessing"]
    assert again == GOOD[task]
    (tmp_path / "b").mkdir()
    Manifest("p", "1", (entry,)).write(tmp_path / "b")
    assert read_manifest(tmp_path / "b").models[0] == entry


def test_values_are_typed_as_read(tmp_path: Path) -> None:
    entry = read_manifest(write_pack(tmp_path, Task.IMAGE_TEXT, GOOD[Task.IMAGE_TEXT])).models[0]
    pre = entry.preprocessing
    assert isinstance(pre, ImageTextPreprocessing)
    assert pre.image.resize is Resize.CROP and pre.image.mean == (127.0, 127.0, 127.0)
    assert pre.text == TextPreprocessing(max_tokens=64)


def test_optional_fields_take_their_defaults(tmp_path: Path) -> None:
    squash = {"image_size": 8, "resize": "squash", "mean": [0, 0, 0], "std": [1, 1, 1]}
    pre = read_manifest(write_pack(tmp_path, Task.IMAGE, squash)).models[0].preprocessing
    assert isinstance(pre, ImagePreprocessing)
    assert pre.resize_to is None and pre.crop_from == 8 and pre.pixel_scale == 255.0
    assert pre.std == (1.0, 1.0, 1.0) and isinstance(pre.std[0], float)
    # A pack from before interpolation was recorded reads as what the engine did then.
    assert pre.interpolation is Interpolation.BICUBIC


def test_a_pack_from_before_graph_variants_reads_as_the_exporters_own_graph(
    tmp_path: Path,
) -> None:
    entry = read_manifest(write_pack(tmp_path, Task.TEXT, GOOD[Task.TEXT])).models[0]
    assert entry.graph == UNRECORDED_GRAPH
    assert entry.graph.variant is GraphVariant.AS_EXPORTED


def test_the_graph_variant_and_its_reason_round_trip(tmp_path: Path) -> None:
    read = read_manifest(write_pack(tmp_path / "a", Task.TEXT, GOOD[Task.TEXT])).models[0]
    choice = GraphChoice(GraphVariant.FUSED_O2, "same vectors, 20% faster")
    entry = replace(read, graph=choice)
    written = Manifest("p", "1", (entry,)).to_json()["models"][0]["graph"]
    assert written == {"variant": "fused-O2", "reason": "same vectors, 20% faster"}
    (tmp_path / "b").mkdir()
    Manifest("p", "1", (entry,)).write(tmp_path / "b")
    again = read_manifest(tmp_path / "b").models[0].graph
    assert again == choice and again.variant is GraphVariant.FUSED_O2


def test_an_unknown_graph_variant_names_the_entry(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, Task.TEXT, GOOD[Task.TEXT])
    data = json.loads((folder / MANIFEST_NAME).read_text())
    data["models"][0]["graph"] = {"variant": "fused-O9", "reason": ""}
    (folder / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(PackError, match="'m' is malformed.*fused-O9"):
        read_manifest(folder)


def test_the_interpolation_is_recorded_and_read_back(tmp_path: Path) -> None:
    pre = read_manifest(write_pack(tmp_path, Task.IMAGE, {**IMAGE, "interpolation": "bilinear"}))
    found = pre.models[0].preprocessing
    assert isinstance(found, ImagePreprocessing) and found.interpolation is Interpolation.BILINEAR
    assert found.to_json()["interpolation"] == "bilinear"


@pytest.mark.parametrize(
    ("task", "changes", "message"),
    [
        (Task.IMAGE, {"image_size": 0}, "preprocessing.image_size must be a whole number"),
        (Task.IMAGE, {"image_size": 22.5}, "preprocessing.image_size must be a whole number"),
        (Task.IMAGE, {"resize": "stretch"}, r"preprocessing.resize must be one of \['crop'"),
        (Task.IMAGE, {"interpolation": "nearest"}, r"preprocessing.interpolation must be one of"),
        (Task.IMAGE, {"resize_to": -1}, "preprocessing.resize_to must be a whole number"),
        (Task.IMAGE, {"mean": [0.5, 0.5]}, "preprocessing.mean must be three numbers"),
        (Task.IMAGE, {"std": [0.2, 0.0, 0.2]}, "preprocessing.std must be three positive"),
        (Task.IMAGE, {"pixel_scale": "255"}, "preprocessing.pixel_scale must be a positive"),
        (Task.IMAGE, {"mean": None}, "preprocessing.mean must be three numbers"),
        (Task.TEXT, {"max_tokens": True}, "preprocessing.max_tokens must be a whole number"),
        (Task.TEXT, {"max_tokens": "256"}, "preprocessing.max_tokens must be a whole number"),
        (Task.AUDIO, {"hop_seconds": -1.0}, "preprocessing.hop_seconds must be a positive"),
        (Task.SPEECH, {"n_mels": 0}, "preprocessing.n_mels must be a whole number"),
        (Task.IMAGE_TEXT, {"max_tokens": 0}, "preprocessing.max_tokens must be a whole number"),
        (Task.IMAGE_TEXT, {"image_size": 0}, "preprocessing.image_size must be a whole number"),
        (
            Task.TEXT,
            {"image_size": 224},
            r"preprocessing has \['image_size'\], which task 'text' does not",
        ),
    ],
)
def test_a_bad_value_names_the_entry_and_the_field(
    task: Task, changes: dict[str, object], message: str, tmp_path: Path
) -> None:
    folder = write_pack(tmp_path, task, {**GOOD[task], **changes})
    with pytest.raises(PackError, match=f"model entry 'm' is malformed: {message}"):
        read_manifest(folder)


@pytest.mark.parametrize(
    ("task", "left_out", "message"),
    [
        (Task.IMAGE, ("mean", "std"), "preprocessing has no mean, std"),
        (Task.TEXT, ("max_tokens",), "preprocessing has no max_tokens"),
        (Task.IMAGE_TEXT, ("max_tokens",), "preprocessing has no max_tokens"),
        (Task.AUDIO, ("hop_seconds",), "preprocessing has no hop_seconds"),
        (Task.SPEECH, ("sample_rate",), "preprocessing has no sample_rate"),
    ],
)
def test_a_missing_value_names_the_entry_and_the_field(
    task: Task, left_out: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    pre = {key: value for key, value in GOOD[task].items() if key not in left_out}
    with pytest.raises(PackError, match=f"model entry 'm' is malformed: {message}"):
        read_manifest(write_pack(tmp_path, task, pre))


def test_a_missing_or_malformed_preprocessing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="'m' is malformed: preprocessing is missing"):
        read_manifest(write_pack(tmp_path / "a", Task.TEXT, None))
    with pytest.raises(PackError, match="'m' is malformed: preprocessing must be a JSON object"):
        read_manifest(write_pack(tmp_path / "b", Task.TEXT, [256]))


def test_an_entry_takes_only_its_tasks_kind() -> None:
    with pytest.raises(
        ValueError, match="task 'image' takes ImagePreprocessing, not TextPreprocessing"
    ):
        ModelEntry("m", Task.IMAGE, {}, {}, TextPreprocessing(max_tokens=8))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TextPreprocessing(max_tokens=0), "max_tokens must be"),
        (lambda: AudioPreprocessing(sample_rate=8000, window_seconds=0, hop_seconds=1), "window"),
        (
            lambda: ImagePreprocessing(
                image_size=8,
                resize="fill",  # type: ignore[arg-type]
                mean=(0, 0, 0),
                std=(1, 1, 1),
            ),
            "resize must be one of",
        ),
    ],
)
def test_an_exporter_cannot_make_a_bad_one_either(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_kinds_compare_by_value() -> None:
    made: Preprocessing = ImagePreprocessing(
        image_size=8, resize=Resize.SQUASH, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)
    )
    assert made == ImagePreprocessing.from_json(
        {"image_size": 8, "resize": "squash", "mean": [0, 0, 0], "std": [1, 1, 1]}
    )

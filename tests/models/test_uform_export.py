"""UForm3 exporter on random weights saved in the hub layout: the ONNX towers against uform's
own torch encoders (loaded independently, by uform's loader), the I/O names, and the manifest.

english-small runs at full size; multilingual-base keeps every width, head count and its
250k vocabulary but only 2 image and 2 text layers, for time on a 2-core machine (its full
depth exports in ~50 s and passes the same parity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from uform.torch_encoders import ImageEncoder, TextEncoder

from models.export.common import compare
from models.export.uform import (
    PARITY,
    SPECS,
    UFormExportError,
    bert_uncased_tokenizer,
    check_config,
    example_images,
    example_texts,
    export_uform3,
    load_state,
    random_config,
    read_config,
    snapshot_files,
    write_random_snapshot,
)
from models.manifest import ImageTextPreprocessing, Manifest, ModelEntry, Task, load_manifest

TOLERANCE = 1e-3
SHALLOW = {"english-small": (None, None), "multilingual-base": (2, 2)}


@dataclass(frozen=True)
class Exported:
    variant: str
    snapshot: Path
    pack: Path
    entry: ModelEntry
    config: dict[str, dict[str, Any]]


@pytest.fixture(scope="module", params=sorted(SHALLOW))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    variant = request.param
    root = tmp_path_factory.mktemp(variant)
    config = random_config(variant, *SHALLOW[variant])
    snapshot = write_random_snapshot(config, root / "snapshot", bert_uncased_tokenizer(), seed=3)
    full_depth = SHALLOW[variant] == (None, None)
    entry = export_uform3(variant, snapshot, root / "pack", check_depth=full_depth)
    return Exported(variant, snapshot, root / "pack", entry, config)


@dataclass(frozen=True)
class Towers:
    """uform's own encoders, loaded by uform's loader from the snapshot's bf16 files
    (independent of the exporter's loader), and ONNX Runtime sessions on the exported graphs."""

    image: ImageEncoder
    text: TextEncoder
    image_onnx: ort.InferenceSession
    text_onnx: ort.InferenceSession


@pytest.fixture(scope="module")
def towers(exported: Exported) -> Towers:
    config = str(exported.snapshot / "config.json")
    image = ImageEncoder.from_pretrained(
        config, load_file(str(exported.snapshot / "image_encoder.safetensors"))
    )
    text = TextEncoder.from_pretrained(
        config, load_file(str(exported.snapshot / "text_encoder.safetensors"))
    )

    def session(role: str) -> ort.InferenceSession:
        path = exported.pack / exported.entry.files[role].path
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    return Towers(image.float().eval(), text.float().eval(), session("image"), session("text"))


@pytest.mark.parametrize("batch", [1, 3])
def test_image_tower_matches_uform(towers: Towers, batch: int) -> None:
    pixels = example_images(batch, 224, seed=batch)["pixel_values"]
    with torch.no_grad():
        expected = towers.image(pixels).numpy()
    (actual,) = towers.image_onnx.run(["embedding"], {"pixel_values": pixels.numpy()})
    assert actual.shape == (batch, 256)
    assert compare(expected, actual).within(PARITY)
    # Random weights that left every image alike would let a broken tower pass unseen.
    assert np.abs(expected).max() > 1e-2
    if batch > 1:
        assert np.abs(expected[0] - expected[1]).max() > 1e-2


@pytest.mark.parametrize("lengths", [[5], [40], [5, 40, 17]])
def test_text_tower_matches_uform(exported: Exported, towers: Towers, lengths: list[int]) -> None:
    text_config = exported.config["text_encoder"]
    feed = example_texts(
        lengths, int(text_config["vocab_size"]), int(text_config["padding_idx"]), seed=len(lengths)
    )
    with torch.no_grad():
        expected = towers.text(feed["input_ids"], feed["attention_mask"]).numpy()
    arrays = {name: tensor.numpy() for name, tensor in feed.items()}
    (actual,) = towers.text_onnx.run(["embedding"], arrays)
    assert actual.shape == (len(lengths), 256)
    assert compare(expected, actual).within(PARITY)
    if len(lengths) > 1:
        # The 5-token row padded to 40 gives what it gives alone: the mask reaches every layer.
        (alone,) = towers.text_onnx.run(
            ["embedding"], {name: array[:1, :5] for name, array in arrays.items()}
        )
        assert np.abs(alone[0] - actual[0]).max() < TOLERANCE


def test_graphs_have_the_fixed_names_types_and_dynamic_axes(
    exported: Exported, towers: Towers
) -> None:
    image, text = towers.image_onnx, towers.text_onnx
    (pixels,) = image.get_inputs()
    assert (pixels.name, pixels.type) == ("pixel_values", "tensor(float)")
    assert isinstance(pixels.shape[0], str) and pixels.shape[1:] == [3, 224, 224]
    assert [(i.name, i.type) for i in text.get_inputs()] == [
        ("input_ids", "tensor(int64)"),
        ("attention_mask", "tensor(int64)"),
    ]
    assert all(isinstance(axis, str) for axis in text.get_inputs()[0].shape)
    for graph in (image, text):
        (output,) = graph.get_outputs()
        assert output.name == "embedding" and output.shape[1] == 256
    entry = exported.entry
    assert entry.inputs == {"image": ["pixel_values"], "text": ["input_ids", "attention_mask"]}
    assert entry.outputs == {"image": ["embedding"], "text": ["embedding"]}


def test_manifest_entry_records_the_model(exported: Exported) -> None:
    entry, config = exported.entry, exported.config
    spec = SPECS[exported.variant]
    assert entry.id == spec.model_id and entry.task is Task.IMAGE_TEXT
    assert set(entry.files) == {"image", "text", "tokenizer"}
    assert entry.dims == {"embedding": 256}
    assert entry.licence == "Apache-2.0" and entry.source == spec.source
    assert "re-export" in entry.notes
    pre, image = entry.preprocessing, config["image_encoder"]
    assert isinstance(pre, ImageTextPreprocessing)
    towers = pre.image
    assert (towers.image_size, towers.resize, towers.resize_to, towers.pixel_scale) == (
        224,
        "crop",
        224,
        255,
    )
    assert list(towers.mean) == image["normalization_means"]
    assert list(towers.std) == image["normalization_deviations"]
    assert pre.text.max_tokens == config["text_encoder"]["max_position_embeddings"]
    # The entry survives a manifest round trip with every file hash checked.
    Manifest("t", "0", (entry,), root=exported.pack).write(exported.pack)
    assert load_manifest(exported.pack).get(entry.id) == entry


def test_packed_tokenizer_pads_with_the_models_pad_id(exported: Exported) -> None:
    tokenizer = Tokenizer.from_file(str(exported.pack / exported.entry.files["tokenizer"].path))
    padding = tokenizer.padding
    assert padding is not None
    assert padding["pad_id"] == exported.config["text_encoder"]["padding_idx"]
    assert padding["length"] is None  # to the longest row, not the shipped fixed length


def test_a_snapshot_of_another_variant_is_refused(exported: Exported, tmp_path: Path) -> None:
    other = "english-small" if exported.variant == "multilingual-base" else "multilingual-base"
    with pytest.raises(UFormExportError, match="is not unum-cloud/uform3-image-text-"):
        export_uform3(other, exported.snapshot, tmp_path)  # type: ignore[arg-type]


def test_weights_load_from_pt_files_and_merged_checkpoints(tmp_path: Path) -> None:
    tower = {"a.weight": torch.ones(2, 2, dtype=torch.bfloat16)}
    (tmp_path / "split").mkdir()
    torch.save(tower, tmp_path / "split" / "image_encoder.pt")
    loaded = load_state(tmp_path / "split", "image_encoder")
    assert loaded["a.weight"].dtype == torch.float32 and loaded["a.weight"].sum() == 4
    (tmp_path / "merged").mkdir()
    torch.save(
        {"image_encoder": tower, "text_encoder": {}}, tmp_path / "merged" / "torch_weight.pt"
    )
    assert set(load_state(tmp_path / "merged", "image_encoder")) == {"a.weight"}
    with pytest.raises(UFormExportError, match="no text_encoder weights"):
        load_state(tmp_path / "split", "text_encoder")


def test_config_checks_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(UFormExportError, match="cannot read"):
        read_config(tmp_path)
    config = random_config("english-small")
    config["image_encoder"]["dim"] = 768
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(UFormExportError, match=r"image_encoder.dim=768 \(expected 384\)"):
        check_config(SPECS["english-small"], read_config(tmp_path), tmp_path)


def test_a_field_that_changes_neither_architecture_nor_preprocessing_passes() -> None:
    config = random_config("english-small")
    config["text_encoder"]["dropout_prob"] = 0.0  # training only
    config["text_encoder"]["comment"] = "a field the hub may add"
    check_config(SPECS["english-small"], config, Path("snapshot"))  # no error


@pytest.mark.parametrize(
    ("modality", "field", "value"),
    [
        ("text_encoder", "max_position_embeddings", 77),  # architecture and text cut
        ("text_encoder", "pooling", "mean"),  # architecture
        ("image_encoder", "normalization_means", [0.5, 0.5, 0.5]),  # preprocessing
        ("image_encoder", "num_layers", 6),  # depth
    ],
)
def test_an_architectural_or_preprocessing_field_stops_with_its_name(
    modality: str, field: str, value: Any
) -> None:
    config = random_config("english-small")
    config[modality][field] = value
    with pytest.raises(
        UFormExportError, match=rf"{modality}.{field}={value!r}".replace("[", r"\[")
    ):
        check_config(SPECS["english-small"], config, Path("snapshot"))


def test_a_checkpoint_with_a_renamed_key_stops_the_build(tmp_path: Path) -> None:
    config = random_config("english-small", image_layers=1, text_layers=1)
    snapshot = write_random_snapshot(config, tmp_path / "snapshot", bert_uncased_tokenizer())
    tower = snapshot / "text_encoder.safetensors"
    state = load_file(str(tower))
    name = next(key for key in state if key.endswith("norm.weight"))
    state[name.replace("norm.weight", "norm.gamma")] = state.pop(name)
    save_file(state, str(tower))
    with pytest.raises(UFormExportError) as raised:
        export_uform3("english-small", snapshot, tmp_path / "pack", check_depth=False)
    message = str(raised.value)
    assert "(text_encoder) does not fit TextEncoder" in message
    assert f"missing 1: {name};" in message
    assert f"unexpected 1: {name.replace('norm.weight', 'norm.gamma')}" in message
    assert not (tmp_path / "pack").exists()


def test_the_release_download_list_covers_every_file_the_exporter_reads(
    exported: Exported,
) -> None:
    """models.release fetches only ``snapshot_files()``: a snapshot in the hub layout is inside."""
    assert {path.name for path in exported.snapshot.iterdir()} <= set(snapshot_files())

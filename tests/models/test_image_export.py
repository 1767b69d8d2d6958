"""ImageNet CNN exporters: ResNet-50 on random weights, EfficientNet-Lite0 on its real ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from numpy.typing import NDArray
from PIL import Image

from models.arch.efficientnet_lite import EfficientNetLite0, same_padding
from models.arch.resnet import ResNet50
from models.export import imagenet
from models.export.common import parity, run_onnx
from models.manifest import ImagePreprocessing, Interpolation, ModelEntry, Task
from models.translations import LANGUAGES
from tests.media import skimage_photos

CAT_LABELS = {
    "tabby, tabby cat",
    "tiger cat",
    "Egyptian cat",
    "Persian cat",
    "Siamese cat, Siamese",
}
# torchvision documents 25,557,032 parameters for its ResNet-50.
TORCHVISION_RESNET50_PARAMETERS = 25_557_032

# The classes' and concepts' names, in English and in the label files' other languages.
NAMED_IN = [f".{language}" for language in LANGUAGES]
CLASSIFIER_FILES = {
    "model",
    *(f"{role}{suffix}" for role in ("labels", "concepts") for suffix in ("", *NAMED_IN)),
    "synonyms.zh_CN",  # other names in common use; written for Chinese only so far
}


def _calibrated(network: torch.nn.Module) -> torch.nn.Module:
    """Random weights with batch-norm statistics taken from data, so activations stay at a
    realistic scale through 50 layers and a 1e-3 tolerance means something."""
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average: one pass sets the statistics
    network.train()
    with torch.no_grad():
        network(torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(1)))
    return network.eval()


def _photo_batch(names: list[str], pre: ImagePreprocessing) -> torch.Tensor:
    """Shorter side to ``resize_to``, centre crop, normalise: written here independently of
    the engine's code, so the two can be compared."""
    rows = []
    photos = skimage_photos()
    for name in names:
        image = Image.open(photos[name]).convert("RGB")
        scale = pre.crop_from / min(image.size)
        width, height = round(image.width * scale), round(image.height * scale)
        image = image.resize((width, height), Image.Resampling.BICUBIC)
        left, top = (width - pre.image_size) // 2, (height - pre.image_size) // 2
        image = image.crop((left, top, left + pre.image_size, top + pre.image_size))
        pixels = np.asarray(image, dtype=np.float32) / pre.pixel_scale
        rows.append(((pixels - np.array(pre.mean)) / np.array(pre.std)).transpose(2, 0, 1))
    return torch.from_numpy(np.stack(rows).astype(np.float32))


def _top5(logits: NDArray[np.float32], labels: list[str]) -> list[str]:
    return [labels[index] for index in np.argsort(-logits)[:5]]


# --- ResNet-50, random weights ------------------------------------------------------------------


@pytest.fixture(scope="module")
def resnet50(tmp_path_factory: pytest.TempPathFactory) -> tuple[ResNet50, ModelEntry, Path]:
    torch.manual_seed(0)
    network = _calibrated(ResNet50())
    folder = tmp_path_factory.mktemp("resnet50")
    weights = folder / "resnet50-random.pth"
    torch.save(network.state_dict(), weights)
    entry = imagenet.export_resnet50(weights, folder / "pack")
    return network, entry, folder / "pack"


def test_resnet50_has_torchvision_parameter_names_and_count() -> None:
    state = ResNet50().state_dict()
    assert sum(p.numel() for p in ResNet50().parameters()) == TORCHVISION_RESNET50_PARAMETERS
    expected_shapes = {
        "conv1.weight": (64, 3, 7, 7),
        "layer1.0.downsample.0.weight": (256, 64, 1, 1),
        "layer2.0.conv2.weight": (128, 128, 3, 3),
        "layer3.5.bn3.running_var": (1024,),
        "layer4.2.conv3.weight": (2048, 512, 1, 1),
        "fc.weight": (1000, 2048),
    }
    for name, shape in expected_shapes.items():
        assert tuple(state[name].shape) == shape, name
    assert "layer1.1.downsample.0.weight" not in state  # only a stage's first block projects


def test_resnet50_entry_describes_the_files(resnet50: tuple[ResNet50, ModelEntry, Path]) -> None:
    _, entry, pack = resnet50
    assert entry.id == "resnet50" and entry.task is Task.IMAGE
    assert entry.dims == {"embedding": 2048, "logits": 1000}
    assert entry.inputs == {"model": ["pixel_values"]}
    assert entry.outputs == {"model": ["embedding", "logits"]}
    assert entry.preprocessing == imagenet.RESNET50_PREPROCESSING
    assert imagenet.RESNET50_PREPROCESSING.pixel_scale == 255.0
    # torchvision's IMAGENET1K_V2 evaluation: resize 232 bilinear, then the 224 centre crop.
    pre = imagenet.RESNET50_PREPROCESSING
    assert (pre.resize_to, pre.image_size, pre.interpolation) == (232, 224, Interpolation.BILINEAR)
    for ref in entry.files.values():
        assert (pack / ref.path).stat().st_size == ref.bytes
    labels = (pack / entry.files["labels"].path).read_text().splitlines()
    assert len(labels) == 1000
    assert set(entry.files) == CLASSIFIER_FILES
    assert "WordNet" in entry.licence and "wordnet-base" in entry.source


def test_resnet50_onnx_io_names_and_dynamic_batch(
    resnet50: tuple[ResNet50, ModelEntry, Path],
) -> None:
    _, entry, pack = resnet50
    model = pack / entry.files["model"].path
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    assert [node.name for node in session.get_inputs()] == ["pixel_values"]
    assert [node.name for node in session.get_outputs()] == ["embedding", "logits"]
    for batch in (1, 3):
        feed = {
            "pixel_values": np.random.default_rng(batch).random((batch, 3, 224, 224), np.float32)
        }
        outputs = run_onnx(model, feed)
        assert outputs["embedding"].shape == (batch, 2048)
        assert outputs["logits"].shape == (batch, 1000)


def test_resnet50_onnx_matches_torch(resnet50: tuple[ResNet50, ModelEntry, Path]) -> None:
    network, entry, pack = resnet50
    example = {"pixel_values": _photo_batch(["chelsea", "rocket"], entry.preprocessing)}
    found = parity(network, pack / entry.files["model"].path, example, imagenet.GRAPH)
    assert found["embedding"].within(imagenet.PARITY)
    assert found["logits"].within(imagenet.PARITY)


def test_resnet50_export_refuses_a_foreign_state_dict(tmp_path: Path) -> None:
    weights = tmp_path / "lite0.pth"
    torch.save(EfficientNetLite0().state_dict(), weights)
    with pytest.raises(imagenet.ExportError, match="lite0.pth does not fit ResNet50: missing"):
        imagenet.export_resnet50(weights, tmp_path / "pack")


def test_a_checkpoint_with_a_renamed_key_stops_the_build(tmp_path: Path) -> None:
    state = ResNet50().state_dict()
    state["layer3.1.bn2.running_means"] = state.pop("layer3.1.bn2.running_mean")
    weights = tmp_path / "resnet50-renamed.pth"
    torch.save(state, weights)
    with pytest.raises(imagenet.ExportError) as raised:
        imagenet.export_resnet50(weights, tmp_path / "pack")
    assert "missing 1: layer3.1.bn2.running_mean;" in str(raised.value)
    assert "unexpected 1: layer3.1.bn2.running_means" in str(raised.value)
    assert not (tmp_path / "pack").exists()


# --- EfficientNet-Lite0, real weights -----------------------------------------------------------


@pytest.fixture(scope="module")
def lite0(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelEntry, Path]:
    pack = tmp_path_factory.mktemp("lite0")
    entries = imagenet.build_dev(pack)
    assert len(entries) == 1
    return entries[0], pack


def test_tf_same_padding_puts_the_odd_pixel_after() -> None:
    assert same_padding(224, 3, 2) == (0, 1)
    assert same_padding(112, 5, 2) == (1, 2)
    assert same_padding(14, 5, 1) == (2, 2)


def test_lite0_checkpoint_loads_strictly() -> None:
    network = imagenet.load_lite0()  # load_state_dict(strict=True) inside
    checkpoint = torch.load(
        imagenet.EFFICIENTNET_LITE0.file(imagenet.LITE0_CHECKPOINT), weights_only=True
    )
    assert set(network.state_dict()) == set(checkpoint)
    assert len(network._blocks) == 16


def test_lite0_entry(lite0: tuple[ModelEntry, Path]) -> None:
    entry, _ = lite0
    assert entry.id == "efficientnet-lite0" and entry.task is Task.IMAGE
    assert entry.dims == {"embedding": 1280, "logits": 1000}
    assert set(entry.files) == CLASSIFIER_FILES  # what the classes are: WordNet
    pre = entry.preprocessing
    assert isinstance(pre, ImagePreprocessing)
    assert (pre.image_size, pre.resize, pre.resize_to, pre.pixel_scale) == (224, "crop", 256, 1.0)
    assert pre.mean == (127.0, 127.0, 127.0) and pre.std == (128.0, 128.0, 128.0)


def test_lite0_onnx_matches_torch_on_real_photos(lite0: tuple[ModelEntry, Path]) -> None:
    entry, pack = lite0
    example = {"pixel_values": _photo_batch(["chelsea", "coffee"], entry.preprocessing)}
    found = parity(imagenet.load_lite0(), pack / entry.files["model"].path, example, imagenet.GRAPH)
    assert found["embedding"].within(imagenet.PARITY)
    assert found["logits"].within(imagenet.PARITY)


def test_labels_are_imagenet_order() -> None:
    labels = imagenet.imagenet_labels()
    assert len(labels) == 1000 and all(labels)
    assert labels[0] == "tench, Tinca tinca"
    assert labels[281] == "tabby, tabby cat"
    assert labels[999] == "toilet tissue, toilet paper, bathroom tissue"


def test_lite0_labels_name_what_real_photos_show(lite0: tuple[ModelEntry, Path]) -> None:
    entry, pack = lite0
    labels = (pack / entry.files["labels"].path).read_text(encoding="utf-8").splitlines()
    feed = {"pixel_values": _photo_batch(["chelsea", "coffee"], entry.preprocessing).numpy()}
    logits = run_onnx(pack / entry.files["model"].path, feed)["logits"]
    cat, coffee = _top5(logits[0], labels), _top5(logits[1], labels)
    assert CAT_LABELS & set(cat), cat
    assert "espresso" in coffee[:2], coffee

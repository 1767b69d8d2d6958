"""Straightforward re-implementations, in Pillow and numpy, of the evaluation transforms the
packs' image models were trained with, to hold Trove's own image path to
(``tests/engine/media/test_preprocessing_parity.py``, ``tests/benchmarks/preprocessing.py``).

- torchvision's ``ImageClassification`` preset (ResNet-50's IMAGENET1K_V2: resize 232,
  bilinear; crop 224): ``Resize(resize_size, interpolation, antialias=True)`` of a PIL image
  sets the shorter side to ``resize_size`` and the longer to ``int(resize_size * long /
  short)`` and calls Pillow's own filter; ``CenterCrop`` cuts at ``int(round((h - crop) /
  2))``; then ``x / 255``, ``(x - mean) / std``.
- uform's torch processor: ``Resize(image_size, BICUBIC)``, ``CenterCrop(image_size)``,
  ``Normalize`` with the config's means and deviations: the same steps, other numbers.
- EfficientNet-Lite0: the centre 224/256 of the shorter side at 224, bicubic, ``(x - 127) /
  128``, written the same way (resize the shorter side to 256, crop 224).

Each reads the file in full with Pillow (no reduced decode) and knows nothing of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.catalog.records import FileKind
from engine.inference.models import ModelSet
from engine.media.images import DEFAULT_MIN_SIDE, FILTERS, preprocess
from engine.scan.extract import JPEG_HALF_GAP, DecodedPhoto, Extractor, ExtractSettings
from models.manifest import ImagePreprocessing, Manifest, ModelEntry, Resize, Task


@dataclass(frozen=True)
class Transform:
    """One model's evaluation transform: ``name`` for reports, then the preset's numbers."""

    name: str
    resize_size: int
    crop_size: int
    interpolation: Image.Resampling
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    scale: float  # pixels are divided by this first: 255 for 0..1 inputs, 1 for 0..255

    def __call__(self, path: Path) -> NDArray[np.float32]:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        width, height = image.size
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(self.resize_size * long / short)
        size = (self.resize_size, new_long) if width <= height else (new_long, self.resize_size)
        resized = np.asarray(image.resize(size, self.interpolation), dtype=np.float32)
        top = int(round((resized.shape[0] - self.crop_size) / 2.0))
        left = int(round((resized.shape[1] - self.crop_size) / 2.0))
        crop = resized[top : top + self.crop_size, left : left + self.crop_size]
        mean, std = np.asarray(self.mean, np.float32), np.asarray(self.std, np.float32)
        return ((crop / self.scale - mean) / std).transpose(2, 0, 1)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# UForm3's image tower config (normalization_means / _deviations), as its hub config lists them.
UFORM_MEAN, UFORM_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)

RESNET50_V2 = Transform(
    "ResNet-50 (torchvision IMAGENET1K_V2)", 232, 224, Image.Resampling.BILINEAR,
    IMAGENET_MEAN, IMAGENET_STD, 255.0,
)  # fmt: skip
LITE0 = Transform(
    "EfficientNet-Lite0", 256, 224, Image.Resampling.BICUBIC,
    (127.0, 127.0, 127.0), (128.0, 128.0, 128.0), 1.0,
)  # fmt: skip
UFORM3 = Transform(
    "UForm3 image tower", 224, 224, Image.Resampling.BICUBIC, UFORM_MEAN, UFORM_STD, 255.0
)
TRANSFORMS = (RESNET50_V2, LITE0, UFORM3)


def photos(folder: Path) -> dict[str, Path]:
    """Real photos of several shapes and encodings, made in ``folder`` from the cached media:
    landscape, portrait, square, a 4:1 strip, JPEGs decoded at a reduced scale, and a 12 MP
    JPEG and PNG (the engine reduces both on decoding)."""
    from tests import media

    shots, more = media.skimage_photos(), media.sklearn_photos()
    with Image.open(more["china"]) as opened:
        china = opened.convert("RGB")
    with Image.open(shots["coffee"]) as opened:
        coffee = opened.convert("RGB")
    # 12 MP as a phone takes them: enlarged, with a sensor's grain, so that the JPEG holds
    # as much detail (3.5 MB) and decodes as slowly as a camera's.
    enlarged = np.asarray(china.resize((4032, 3024), Image.Resampling.BICUBIC), dtype=np.float32)
    grain = np.random.default_rng(0).normal(0.0, 6.0, enlarged.shape)
    camera = Image.fromarray(np.clip(enlarged + grain, 0, 255).astype(np.uint8))
    made = {
        "portrait 267x400 (coffee)": (coffee.crop((150, 0, 417, 400)), "png"),
        "strip 640x160 (china)": (china.crop((0, 120, 640, 280)), "png"),
        "3.4 MP JPEG (china)": (camera.resize((2133, 1600), Image.Resampling.BICUBIC), "jpg"),
        "12 MP JPEG (china)": (camera, "jpg"),
        "12 MP PNG (china)": (camera, "png"),
    }
    found = {
        "landscape 451x300 (chelsea)": shots["chelsea"],
        "square 512x512 (astronaut)": shots["astronaut"],
        "JPEG 640x427 (rocket)": shots["rocket"],
        "JPEG 1411x1411 (retina)": shots["retina"],
    }
    for name, (image, suffix) in made.items():
        path = folder / f"{name.split(' (')[0].replace(' ', '-')}.{suffix}"
        image.save(path, quality=92) if suffix == "jpg" else image.save(path)
        found[name] = path
    return found


def as_preprocessing(transform: Transform) -> ImagePreprocessing:
    """The manifest's record of ``transform``, as an exporter writes it."""
    interpolation = next(k for k, v in FILTERS.items() if v == transform.interpolation)
    return ImagePreprocessing(
        image_size=transform.crop_size,
        resize=Resize.CROP,
        resize_to=transform.resize_size,
        mean=transform.mean,
        std=transform.std,
        pixel_scale=transform.scale,
        interpolation=interpolation,
    )


def trove_pixels(path: Path, transform: Transform, read_text: bool = False) -> NDArray[np.float32]:
    """What Trove feeds a model whose manifest records ``transform``: the indexer's own decode
    of the photo (reduced scale, upright, scaled on the decode thread) and the encoder's own
    crop and normalisation. No weights are needed: nothing runs a model."""
    entry = ModelEntry("parity", Task.IMAGE, {}, {"embedding": 1}, as_preprocessing(transform))
    extractor = Extractor(
        ModelSet(Manifest("parity", "0", (entry,))), ExtractSettings(read_text=read_text)
    )
    decoded = extractor.decode(path, FileKind.PHOTO)
    assert isinstance(decoded, DecodedPhoto)
    return preprocess([decoded.image], entry.preprocessing)[0]  # type: ignore[arg-type]


def decoded_in_full(path: Path, transform: Transform) -> bool:
    """Whether the indexer decodes ``path`` at full size for a model of ``transform``: all but
    JPEGs whose half size keeps ``JPEG_HALF_GAP`` times the side the model scales to (256 at
    the least), which libjpeg decodes at half size: the one shortcut the image path takes
    (tests/benchmarks/preprocessing.py measures it)."""
    kept = round(JPEG_HALF_GAP * max(transform.resize_size, DEFAULT_MIN_SIDE))
    with Image.open(path) as image:
        return image.format != "JPEG" or min(image.size) // 2 < kept

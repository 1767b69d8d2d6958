"""UForm3's image preprocessing against the ``uform`` package's own NumPy processor (the
pinned build input, ``uform.numpy_processors.ImageProcessor``), on real photos of several
shapes: Trove's resize, crop and normalisation (``engine.media.images.preprocess`` with what
the exporter records) and the Pillow/numpy reference that
``tests/engine/media/test_preprocessing_parity.py`` holds the whole image path to.

For a photo at least as wide as it is tall the package's processor gives the same pixels
(measured: max difference 2.4e-7 after normalisation, float rounding). For a portrait it does
not: uform 3.1.3's NumPy processor overwrites ``width`` with the image size before it computes
the new height from it, so a portrait keeps its full height and is squashed sideways
(267x400 becomes 224x400 before the crop; 3.8 apart after normalisation). Trove follows
uform's torch processor, which the model was trained and evaluated with: torchvision's
``Resize(image_size, BICUBIC)`` on the shorter side, then ``CenterCrop``. The last test pins
that slip so that a uform release that fixes it is noticed here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.media.images import preprocess
from tests.reference_preprocessing import UFORM3, UFORM_MEAN, UFORM_STD, as_preprocessing, photos

numpy_processors = pytest.importorskip("uform.numpy_processors")

BOUND = 0.02


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return photos(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def processor() -> object:
    config = {
        "image_encoder": {
            "image_size": UFORM3.crop_size,
            "normalization_means": list(UFORM_MEAN),
            "normalization_deviations": list(UFORM_STD),
        }
    }
    return numpy_processors.ImageProcessor(config)


def _rgb(path: Path) -> Image.Image:
    with Image.open(path) as opened:
        return opened.convert("RGB")


def test_photos_at_least_as_wide_as_tall_match_uforms_own_processor(
    shots: dict[str, Path], processor: object
) -> None:
    wide = {name: path for name, path in shots.items() if _rgb(path).width >= _rgb(path).height}
    assert len(wide) >= 6  # landscape, square, the 4:1 strip, JPEGs, 12 MP
    pre = as_preprocessing(UFORM3)
    for name, path in wide.items():
        image = _rgb(path)
        theirs = processor([image])[0]  # type: ignore[operator]
        assert np.abs(preprocess([image], pre)[0] - theirs).max() < BOUND, name
        assert np.abs(UFORM3(path) - theirs).max() < BOUND, name


def test_uforms_numpy_processor_squashes_a_portrait_and_trove_does_not(
    shots: dict[str, Path], processor: object
) -> None:
    path = shots["portrait 267x400 (coffee)"]
    image = _rgb(path)
    side = UFORM3.crop_size
    # The package's portrait branch: width to the side, height kept, then the centre square.
    squashed = image.resize((side, image.height), Image.Resampling.BICUBIC)
    top = round((image.height - side) / 2)
    pixels = np.asarray(squashed.crop((0, top, side, top + side)), dtype=np.float32) / 255.0
    mean, std = np.asarray(UFORM_MEAN, np.float32), np.asarray(UFORM_STD, np.float32)
    slip = ((pixels - mean) / std).transpose(2, 0, 1)
    theirs = processor([image])[0]  # type: ignore[operator]
    assert np.abs(theirs - slip).max() < 1e-5
    ours = preprocess([image], as_preprocessing(UFORM3))[0]
    assert np.abs(ours - UFORM3(path)).max() < BOUND  # the torch processor's shorter side
    assert np.abs(ours - theirs).max() > 1.0

"""Trove's image path against the evaluation transforms the models were trained with
(:mod:`tests.reference_preprocessing`: torchvision's ImageClassification preset for ResNet-50's
IMAGENET1K_V2 weights, uform's processor, EfficientNet-Lite0's crop), on real photos of several
shapes and encodings: the indexer's decode, its decode-thread scaling and the encoder's crop and
normalisation give the reference's pixels within 0.02 after normalisation, whether the photo
is decoded in full or, a JPEG of 12 MP, at half size by libjpeg (BENCHMARKS.md, "Image
preprocessing parity"); and the dev pack's image model sees the half-size decode as the full
photo (cosine of the embeddings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.inference.image import INPUT, ImageEncoder
from models.manifest import Manifest
from tests.reference_preprocessing import (
    LITE0,
    TRANSFORMS,
    Transform,
    as_preprocessing,
    decoded_in_full,
    photos,
    trove_pixels,
)

BOUND = 0.02


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return photos(tmp_path_factory.mktemp("photos"))


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.name.split(" (")[0])
def test_photos_decoded_in_full_match_the_training_transform(
    shots: dict[str, Path], transform: Transform
) -> None:
    full = {name: path for name, path in shots.items() if decoded_in_full(path, transform)}
    assert len(full) >= 6  # landscape, portrait, square, strip, a small JPEG, a 12 MP PNG
    for name, path in full.items():
        ours, reference = trove_pixels(path, transform), transform(path)
        assert ours.shape == reference.shape == (3, transform.crop_size, transform.crop_size)
        assert np.abs(ours - reference).max() < BOUND, name


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.name.split(" (")[0])
def test_a_large_jpeg_decoded_at_half_size_matches_too(
    shots: dict[str, Path], transform: Transform
) -> None:
    reduced = [path for path in shots.values() if not decoded_in_full(path, transform)]
    assert [path.name for path in reduced] == ["12-MP-JPEG.jpg"]  # the 3.4 MP one is not
    for path in reduced:
        assert np.abs(trove_pixels(path, transform) - transform(path)).max() < BOUND, path


@pytest.mark.slow
def test_the_image_model_sees_a_reduced_decode_as_the_full_photo(
    shots: dict[str, Path], dev_pack: Manifest
) -> None:
    encoder = ImageEncoder.from_pack(dev_pack, dev_pack.get("efficientnet-lite0"))
    assert encoder.preprocessing == as_preprocessing(LITE0)  # what the exporter writes
    reduced = [path for path in shots.values() if not decoded_in_full(path, LITE0)]
    batch = np.stack([pixels for p in reduced for pixels in (trove_pixels(p, LITE0), LITE0(p))])
    (found,) = encoder.session.run(["embedding"], {INPUT: batch})
    found /= np.linalg.norm(found, axis=1, keepdims=True)
    cosines = np.sum(found[0::2] * found[1::2], axis=1)
    assert cosines.min() > 0.999, cosines

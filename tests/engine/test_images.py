"""Image decoding and preprocessing on files made here: orientation, alpha, draft decoding, HEIC,
animated and multi-page files, and every kind of bad file meeting a typed error."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from numpy.typing import NDArray
from PIL import Image

from engine.media.errors import MediaError
from engine.media.images import BACKGROUND, ImageTooLargeError, load_image, preprocess
from models.manifest import ImagePreprocessing, Resize

RED, GREEN, BLUE = (220, 20, 20), (20, 200, 40), (30, 40, 210)
LITE = ImagePreprocessing(
    image_size=224,
    resize=Resize.CROP,
    resize_to=256,
    mean=(127.0, 127.0, 127.0),
    std=(128.0, 128.0, 128.0),
    pixel_scale=1,
)
# The same crop, with torchvision's ImageNet normalisation of 0..1 pixels.
IMAGENET = replace(LITE, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), pixel_scale=255)


def _halves(
    size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int]
) -> Image.Image:
    """Left half ``first``, right half ``second``."""
    image = Image.new("RGB", size, second)
    image.paste(first, (0, 0, size[0] // 2, size[1]))
    return image


def _mean(image: Image.Image, box: tuple[int, int, int, int]) -> NDArray[np.float64]:
    """Average colour of a box."""
    return np.asarray(image.crop(box), dtype=np.float64).reshape(-1, 3).mean(axis=0)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header declares ``width`` x ``height`` but that holds one row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (width + 1))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
    )


# --- preprocessing maths ------------------------------------------------------------------------


def test_preprocess_scales_raw_pixels_for_lite_models() -> None:
    batch = preprocess([Image.new("RGB", (300, 260), (0, 127, 255))], LITE)
    assert batch.shape == (1, 3, 224, 224) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[0, :, 100, 100], [-127 / 128, 0.0, 1.0], atol=1e-6)


def test_preprocess_normalises_unit_pixels_for_torchvision_models() -> None:
    batch = preprocess([Image.new("RGB", (224, 224), (255, 0, 128))], IMAGENET)
    expected = (np.array([1.0, 0.0, 128 / 255]) - IMAGENET.mean) / np.array(IMAGENET.std)
    np.testing.assert_allclose(batch[0, :, 5, 200], expected, atol=1e-5)


def test_crop_keeps_the_centre_of_the_shorter_side() -> None:
    # 600x300, a 150-pixel band of red and blue each side of a green middle: resizing the short
    # side to 256 and cropping 224 keeps only the middle.
    image = Image.new("RGB", (600, 300), GREEN)
    image.paste(RED, (0, 0, 150, 300))
    image.paste(BLUE, (450, 0, 600, 300))
    batch = preprocess([image], LITE)
    pixels = batch[0].transpose(1, 2, 0) * 128 + 127
    np.testing.assert_allclose(pixels.reshape(-1, 3).min(axis=0), GREEN, atol=1)
    np.testing.assert_allclose(pixels.reshape(-1, 3).max(axis=0), GREEN, atol=1)


def test_squash_keeps_the_whole_image() -> None:
    squash = replace(LITE, resize=Resize.SQUASH)
    batch = preprocess([_halves((600, 100), RED, BLUE)], squash)
    pixels = batch[0].transpose(1, 2, 0) * 128 + 127
    np.testing.assert_allclose(pixels[112, 10], RED, atol=1)
    np.testing.assert_allclose(pixels[112, 214], BLUE, atol=1)


def test_preprocess_batches_in_order_and_handles_an_empty_list() -> None:
    images = [Image.new("RGB", (230, 230), colour) for colour in (RED, GREEN, BLUE)]
    batch = preprocess(images, LITE)
    np.testing.assert_allclose(batch[:, :, 0, 0] * 128 + 127, [RED, GREEN, BLUE], atol=1)
    assert preprocess([], LITE).shape == (0, 3, 224, 224)


# --- decoding ------------------------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored 64x32 with red on the left; orientation 6 means "turn 90 degrees clockwise to view",
    # which puts the red half on top of a 32x64 picture.
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    _halves((64, 32), RED, BLUE).save(path, exif=exif, quality=95)
    image = load_image(path)
    assert image.size == (32, 64) and image.mode == "RGB"
    np.testing.assert_allclose(_mean(image, (4, 4, 28, 26)), RED, atol=12)
    np.testing.assert_allclose(_mean(image, (4, 38, 28, 60)), BLUE, atol=12)


def test_transparency_is_flattened_onto_grey(tmp_path: Path) -> None:
    cutout = Image.new("RGBA", (40, 40), (255, 0, 0, 0))  # transparent, but red underneath
    cutout.paste((10, 200, 10, 255), (10, 10, 30, 30))
    for mode in ("RGBA", "LA", "P"):
        path = tmp_path / f"cutout-{mode}.png"
        converted = cutout if mode == "RGBA" else cutout.convert(mode)
        if mode == "P":
            converted = cutout.convert("RGB").quantize(4)
            converted.info["transparency"] = converted.getpixel((0, 0))
        converted.save(
            path, **({"transparency": converted.info["transparency"]} if mode == "P" else {})
        )
        image = load_image(path)
        assert image.mode == "RGB"
        assert image.getpixel((2, 2)) == BACKGROUND, mode
        assert image.getpixel((20, 20)) != BACKGROUND, mode


def test_large_jpeg_decodes_at_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "large.jpg"
    _halves((2048, 1536), RED, BLUE).save(path, quality=90)
    small = load_image(path)  # 1536 / 256 = 6, so libjpeg's 1/4 scale is the smallest that fits
    assert small.size == (512, 384)
    np.testing.assert_allclose(_mean(small, (20, 20, 200, 360)), RED, atol=6)
    assert load_image(path, min_side=1536).size == (2048, 1536)


def test_heic_decodes(tmp_path: Path) -> None:
    path = tmp_path / "phone.heic"
    heif = pillow_heif.from_pillow(_halves((128, 96), RED, BLUE))
    heif.save(str(path), quality=95)
    image = load_image(path)
    assert image.size == (128, 96) and image.mode == "RGB"
    np.testing.assert_allclose(_mean(image, (8, 8, 56, 88)), RED, atol=12)


def test_gif_and_tiff_give_their_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, BLUE, GREEN)]
    for suffix in ("gif", "tiff"):
        path = tmp_path / f"frames.{suffix}"
        frames[0].save(path, save_all=True, append_images=frames[1:])
        with Image.open(path) as check:
            assert getattr(check, "n_frames", 1) == 3
        np.testing.assert_allclose(_mean(load_image(path), (0, 0, 32, 32)), RED, atol=8)


def test_sixteen_bit_greyscale_keeps_its_tones(tmp_path: Path) -> None:
    path = tmp_path / "sixteen.png"
    ramp = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (16, 1))
    Image.fromarray(ramp).save(path)
    image = load_image(path)
    row = np.asarray(image)[8, :, 0].astype(int)
    assert row[0] <= 2 and row[-1] >= 253 and abs(row[32] - 132) <= 3


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("RGB", (64, 64), RED).convert("CMYK").save(path, quality=95)
    image = load_image(path)
    assert image.mode == "RGB"
    np.testing.assert_allclose(_mean(image, (0, 0, 64, 64)), RED, atol=15)


# --- bad files ------------------------------------------------------------------------------------


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    with pytest.raises(MediaError, match="empty file"):
        load_image(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read file"):
        load_image(tmp_path / "gone.jpg")


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is a shopping list, not a photo\n")
    with pytest.raises(MediaError, match="not a recognised image"):
        load_image(path)


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_truncated_file(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole.{suffix}"
    noise = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(whole)
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(MediaError, match="truncated or corrupt") as caught:
        load_image(cut, min_side=300)
    assert str(caught.value).startswith(f"cut.{suffix}: ")


def test_corrupt_middle(tmp_path: Path) -> None:
    path = tmp_path / "damaged.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(
        path
    )
    data = bytearray(path.read_bytes())
    data[200:260] = bytes(60)  # zeroes over compressed pixel data break the zlib stream or its CRC
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError):
        load_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    _png_header_only(path, 30_000, 30_000)  # 900 MP declared in a file of a few hundred bytes
    assert path.stat().st_size < 100_000
    with pytest.raises(ImageTooLargeError, match="too large"):
        load_image(path)


def test_own_pixel_limit_applies_below_pillows(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    _png_header_only(path, 4000, 3000)
    with pytest.raises(ImageTooLargeError, match="4000x3000"):
        load_image(path, max_pixels=10_000_000)
    assert issubclass(ImageTooLargeError, MediaError)

"""Image decoding and model preprocessing: any photo on disk -> RGB -> the tensor a model wants.

Decoding is where a person's files meet the app, so it is defensive: EXIF orientation is applied,
transparency is flattened onto a neutral grey, JPEGs decode at a reduced scale near the size the
model needs (libjpeg's DCT scaling, several times faster than a full decode), HEIC/HEIF open
through pillow-heif, and only the first frame of a GIF or multi-page TIFF is read. A file that
cannot be decoded raises :class:`MediaError` with a short reason; nothing here is fatal.

Memory: a photo costs what its decode needs, and no more than ``max_decode_bytes``. A JPEG decodes
at the reduced scale, so a 100-megapixel camera JPEG takes ~16 MB; other formats decode at full
size (Pillow keeps 4 bytes a pixel for RGB), so one that would need more than the limit is
refused with that reason, and a large one that fits is reduced, a strip at a time, before any
copy is made. One large decode runs at a time, so decode threads never hold two.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import ExifTags, Image, ImageOps

from engine.media.errors import MediaError
from engine.media.kinds import regular_size
from models.manifest import ImagePreprocessing, Interpolation, Resize

# Pillow already refuses images over twice its limit (~179 MP) when it opens them; below that it
# only warns, and our own limit, checked on the size actually decoded, replaces the warning.
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
# Shorter side a decode must keep: enough for a 256 -> 224 crop; callers that need more ask.
DEFAULT_MIN_SIDE = 256
# What one decode may take, before any scaling: with the copies made after it, one photo stays
# well under the 300 MB that indexing may add above the models. 50 MP of RGB (4 bytes a pixel
# in Pillow), a 28 MP HEIC (7 bytes a pixel) or a progressive JPEG of ~70 MP fit.
DEFAULT_MAX_DECODE_BYTES = 200 << 20
# Past this many decoded bytes (8 MP of RGB), a photo is reduced by a whole factor right after
# decoding, a strip at a time, so that turning, flattening and scaling it copy little. Smaller
# photos go as before, byte for byte.
REDUCE_EARLY_BYTES = 32 << 20
# A JPEG asked to keep more of its pixels than the smallest scale gives keeps at most this many
# decoded bytes (a 16 MP photo at half size): a 100 MP one still decodes at 1/8, within the
# 300 MB that indexing may add, and its words and look are read from that.
JPEG_KEPT_BYTES = 16 << 20
# The reduced photo keeps this many times ``min_side``, as Pillow's own ``reducing_gap`` does.
REDUCING_GAP = 3.0
# Rows per strip of that reduction (a multiple of the factor is taken).
_STRIP_ROWS = 256
# Bytes Pillow keeps per pixel, by mode; every mode not named takes 4.
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# EXIF orientation -> the turn that makes the photo upright (as ImageOps.exif_transpose).
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# One large decode at a time: two decode threads must not hold two at once.
_LARGE_DECODE = threading.Lock()
# Transparent pixels become mid grey: it carries no colour, and after ImageNet-style
# normalisation it sits near zero, so cut-outs look like the object alone.
BACKGROUND = (127, 127, 127)
_HIGH_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})

warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


@cache
def _open_heif_too() -> None:
    """Teach Pillow HEIF and AVIF, before the first photo is opened: pillow_heif is imported
    here, not with the module, since a text search (which imports this) never opens one."""
    import pillow_heif

    pillow_heif.register_heif_opener()


class ImageTooLargeError(MediaError):
    """An image whose pixel count would exhaust memory when decoded (a decompression bomb)."""


def load_image(
    path: Path,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
    jpeg_scale: int = 8,
    jpeg_min_side: int = 0,
) -> Image.Image:
    """Decode ``path`` to an upright RGB image whose shorter side is at least ``min_side``
    (where the file has that many pixels); JPEGs, and photos over
    :data:`REDUCE_EARLY_BYTES`, may come back smaller than full size: a JPEG reduced by at
    most ``jpeg_scale`` (1, 2, 4 or 8) as libjpeg decodes it, keeping at least
    ``jpeg_min_side`` too.

    Raises :class:`MediaError` for an empty, unreadable, truncated or corrupt file and
    :class:`ImageTooLargeError` when the decode would exceed ``max_pixels`` or
    ``max_decode_bytes``.
    """
    return _decode(path, max_pixels, min_side, max_decode_bytes, jpeg_scale, jpeg_min_side)


def load_cutout(path: Path, min_side: int = DEFAULT_MIN_SIDE) -> Image.Image:
    """As :func:`load_image`, but a picture with transparency keeps it (RGBA): what a screen
    shows of a cut-out, where the models see it flattened."""
    return _decode(path, DEFAULT_MAX_PIXELS, min_side, DEFAULT_MAX_DECODE_BYTES, 8, 0, alpha=True)


def _decode(
    path: Path,
    max_pixels: int,
    min_side: int,
    max_decode_bytes: int,
    jpeg_scale: int,
    jpeg_min_side: int,
    alpha: bool = False,
) -> Image.Image:
    # Not a bare stat: a FIFO would block the open forever, a folder would read as "corrupt".
    regular_size(path)
    _open_heif_too()
    try:
        with Image.open(path) as image:
            full_size = image.size
            _reduce_on_decode(image, min_side, jpeg_min_side, jpeg_scale)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"{path.name}: image too large to decode safely: {width}x{height} pixels "
                    f"(limit {max_pixels / 1e6:.0f} MP)"
                )
            needed = decode_bytes(image, full_size)
            if needed > max_decode_bytes:
                raise ImageTooLargeError(
                    f"{path.name}: image too large to decode within memory: a "
                    f"{_described(image, full_size)} needs {needed / 1e6:.0f} MB "
                    f"(limit {max_decode_bytes / 1e6:.0f} MB)"
                )
            large = needed > REDUCE_EARLY_BYTES
            with _LARGE_DECODE if large else nullcontext():
                image.load()
                if large:
                    return _to_rgb(_reduced_upright(image, min_side), alpha)
            return _to_rgb(_upright(image), alpha)
    except MediaError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(
            f"{path.name}: image too large to decode safely ({error})"
        ) from error
    except Image.UnidentifiedImageError as error:
        raise MediaError(f"{path.name}: not a recognised image format") from error
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        # Pillow reports damage with whichever of these its decoder hits first.
        raise MediaError(f"{path.name}: truncated or corrupt image ({error})") from error


def _reduce_on_decode(image: Image.Image, min_side: int, exact_side: int, most: int) -> None:
    """Ask JPEG for 1/2, 1/4 or 1/8 scale while both sides stay at least ``min_side``; and, where
    that decodes at most :data:`JPEG_KEPT_BYTES` (memory comes first), at most 1/``most`` and
    ``exact_side`` at the least."""
    if image.format != "JPEG":
        return
    width, height = image.size
    if (width // most) * (height // most) * 4 > JPEG_KEPT_BYTES:
        most, exact_side = 8, 0
    # Pillow reduces by the largest of 8, 4, 2 that the asked size goes into both sides.
    kept = max(min_side, exact_side, min(width, height) // most)
    image.draft(image.mode, (kept, kept))


def decode_bytes(image: Image.Image, full_size: tuple[int, int]) -> int:
    """Bytes that decoding an opened image takes: its pixels at the size it will decode to;
    for HEIF also libheif's own copy, which pillow-heif holds while it fills Pillow's; for a
    progressive JPEG the DCT coefficients of the whole picture at ``full_size``, which libjpeg
    holds whatever the scale (2 bytes each; subsampled colour has fewer)."""
    width, height = image.size
    needed = width * height * _PIXEL_BYTES.get(image.mode, 4)
    if image.format == "HEIF":
        needed += width * height * len(image.getbands())
    layers = getattr(image, "layer", None)
    if image.format == "JPEG" and image.info.get("progressive") and layers:
        most = max(h * v for _, h, v, _ in layers) or 1
        share = sum(h * v for _, h, v, _ in layers) / most
        needed += round(full_size[0] * full_size[1] * share * 2)
    return needed


def _described(image: Image.Image, full_size: tuple[int, int]) -> str:
    kind = f"{'progressive ' if image.info.get('progressive') else ''}{image.format or 'image'}"
    return f"{kind} of {full_size[0]}x{full_size[1]} pixels ({image.mode})"


def _reduced_upright(image: Image.Image, min_side: int) -> Image.Image:
    """A large decoded photo reduced by the whole factor that keeps its shorter side at least
    ``REDUCING_GAP * min_side`` (what the models' own resize would reduce it by first), a strip
    at a time so that no full-size copy is made, then turned upright."""
    factor = max(1, int(min(image.size) / (min_side * REDUCING_GAP))) if min_side > 0 else 1
    orientation = _orientation(image)
    small = _reduce_in_strips(image, factor) if factor > 1 else _reducible(image)
    turn = _ORIENTATIONS.get(orientation or 1)
    return small.transpose(turn) if turn is not None else small


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return None  # a damaged EXIF block leaves the photo as stored
    return value if isinstance(value, int) else None


def _reduce_in_strips(image: Image.Image, factor: int) -> Image.Image:
    """``image.reduce(factor)``, computed a strip of rows at a time: strips start at multiples
    of ``factor``, so each block averages the same pixels as in one pass over the whole."""
    width, height = image.size
    rows = factor * max(1, _STRIP_ROWS // factor)
    size = (math.ceil(width / factor), math.ceil(height / factor))
    reduced: Image.Image | None = None
    for top in range(0, height, rows):
        strip = _reducible(image.crop((0, top, width, min(height, top + rows))))
        small = strip.reduce(factor)
        if reduced is None:
            reduced = Image.new(small.mode, size)
        reduced.paste(small, (0, top // factor))
    assert reduced is not None  # an image has at least one row
    reduced.info = dict(image.info)
    return reduced


def _reducible(image: Image.Image) -> Image.Image:
    """The image in a mode whose pixel values may be averaged: palettes become colours (with
    alpha where the palette has transparency), 16-bit greys 32-bit ones."""
    if image.mode in ("P", "PA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return image.convert("I")
    return image


def _upright(image: Image.Image) -> Image.Image:
    """A copy turned as the EXIF orientation says; a damaged EXIF block leaves it as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return image.copy()


def _to_rgb(image: Image.Image, alpha: bool = False) -> Image.Image:
    """RGB in 0..255 from any mode: transparency flattened (kept as RGBA with ``alpha``),
    16-bit and float scaled down."""
    if image.mode in _HIGH_BIT_MODES:
        image = _to_8bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("LA", "La", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa") and alpha:
        return image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, BACKGROUND)
        background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    # Pillow's own conversion clips 16-bit values at 255, which turns most photos white.
    values = np.asarray(image, dtype=np.float32)
    peak = float(values.max()) if values.size else 0.0
    if image.mode == "F":
        top = 1.0 if peak <= 1.0 else peak
    else:
        top = 255.0 if peak <= 255.0 else 65535.0
    scaled = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled)


# The manifest's interpolation -> Pillow's filter (antialiased when reducing, as torchvision's
# resize of a PIL image is: it calls this very filter).
FILTERS = {
    Interpolation.BILINEAR: Image.Resampling.BILINEAR,
    Interpolation.BICUBIC: Image.Resampling.BICUBIC,
}


def scaled(image: Image.Image, pre: ImagePreprocessing) -> Image.Image:
    """The resize step of a model's preprocessing: the shorter side to ``crop_from`` (the
    longer truncated, as torchvision computes it), or straight to the square for a squash."""
    side, width, height = pre.image_size, image.width, image.height
    if pre.resize is Resize.SQUASH:
        size = (side, side)
    elif width <= height:
        size = (pre.crop_from, int(pre.crop_from * height / width))
    else:
        size = (int(pre.crop_from * width / height), pre.crop_from)
    if size == image.size:
        return image
    return image.resize(size, FILTERS[pre.interpolation])


def fit(image: Image.Image, pre: ImagePreprocessing) -> Image.Image:
    """Resize and centre-crop one RGB image to the model's square input, as the model's own
    evaluation transform does (torchvision's ``Resize`` then ``CenterCrop``)."""
    resized = scaled(image, pre)
    side, width, height = pre.image_size, resized.width, resized.height
    if (width, height) == (side, side):
        return resized
    # torchvision's offsets: int(round(...)), rounding half to even as Python does.
    left, top = int(round((width - side) / 2.0)), int(round((height - side) / 2.0))
    return resized.crop((left, top, left + side, top + side))


def preprocess(images: Sequence[Image.Image], pre: ImagePreprocessing) -> NDArray[np.float32]:
    """A batch (n, 3, H, W) float32: ``(x / pixel_scale - mean) / std`` per channel."""
    scale = pre.pixel_scale
    # (x / scale - mean) / std, folded into one subtraction and one multiplication per pixel.
    offset = (np.asarray(pre.mean, dtype=np.float32) * scale).reshape(1, 1, 3)
    factor = (1.0 / (np.asarray(pre.std, dtype=np.float32) * scale)).reshape(1, 1, 3)
    side = pre.image_size
    batch = np.empty((len(images), 3, side, side), dtype=np.float32)
    for index, image in enumerate(images):
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        pixels = np.asarray(fit(rgb, pre), dtype=np.float32)
        batch[index] = ((pixels - offset) * factor).transpose(2, 0, 1)
    return batch

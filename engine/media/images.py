"""Image decoding and model preprocessing: any photo on disk -> RGB -> the tensor a model wants.

Decoding is where a person's files meet the app, so it is defensive: EXIF orientation is applied,
transparency is flattened onto a neutral grey, JPEGs decode at a reduced scale near the size the
model needs (libjpeg's DCT scaling, several times faster than a full decode), HEIC/HEIF open
through pillow-heif, and only the first frame of a GIF or multi-page TIFF is read. A file that
cannot be decoded raises :class:`MediaError` with a short reason; nothing here is fatal.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pillow_heif
from numpy.typing import NDArray
from PIL import Image, ImageOps

from engine.media.errors import MediaError
from engine.media.kinds import regular_size
from models.manifest import Preprocessing

# Pillow already refuses images over twice its limit (~179 MP) when it opens them; below that it
# only warns, and our own limit, checked on the size actually decoded, replaces the warning.
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
# Shorter side a decode must keep: enough for a 256 -> 224 crop; callers that need more ask.
DEFAULT_MIN_SIDE = 256
# Transparent pixels become mid grey: it carries no colour, and after ImageNet-style
# normalisation it sits near zero, so cut-outs look like the object alone.
BACKGROUND = (127, 127, 127)
_HIGH_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})

pillow_heif.register_heif_opener()
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageTooLargeError(MediaError):
    """An image whose pixel count would exhaust memory when decoded (a decompression bomb)."""


def load_image(
    path: Path,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> Image.Image:
    """Decode ``path`` to an upright RGB image whose shorter side is at least ``min_side``
    (where the file has that many pixels); JPEGs may come back smaller than full size.

    Raises :class:`MediaError` for an empty, unreadable, truncated or corrupt file and
    :class:`ImageTooLargeError` when the decode would exceed ``max_pixels``.
    """
    # Not a bare stat: a FIFO would block the open forever, a folder would read as "corrupt".
    regular_size(path)
    try:
        with Image.open(path) as image:
            _reduce_on_decode(image, min_side)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"{path.name}: image too large to decode safely: {width}x{height} pixels "
                    f"(limit {max_pixels / 1e6:.0f} MP)"
                )
            image.load()
            return _to_rgb(_upright(image))
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


def _reduce_on_decode(image: Image.Image, min_side: int) -> None:
    """Ask JPEG for 1/2, 1/4 or 1/8 scale while both sides stay at least ``min_side``."""
    if image.format == "JPEG":
        image.draft(image.mode, (min_side, min_side))


def _upright(image: Image.Image) -> Image.Image:
    """A copy turned as the EXIF orientation says; a damaged EXIF block leaves it as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return image.copy()


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB in 0..255 from any mode: transparency flattened, 16-bit and float scaled down."""
    if image.mode in _HIGH_BIT_MODES:
        image = _to_8bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("LA", "La", "PA"):
        image = image.convert("RGBA")
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


def fit(image: Image.Image, pre: Preprocessing) -> Image.Image:
    """Resize (and centre-crop) one RGB image to the model's square input."""
    if pre.image_size is None:
        raise ValueError("preprocessing has no image_size: not an image model")
    side = pre.image_size
    if pre.resize == "squash":
        return image.resize((side, side), Image.Resampling.BICUBIC)
    if pre.resize != "crop":
        raise ValueError(f"unknown resize mode {pre.resize!r}")
    shorter = pre.resize_to or side
    width, height = image.size
    scale = shorter / min(width, height)
    new_size = (max(side, round(width * scale)), max(side, round(height * scale)))
    resized = image.resize(new_size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    left = (new_size[0] - side) // 2
    top = (new_size[1] - side) // 2
    return resized.crop((left, top, left + side, top + side))


def preprocess(images: Sequence[Image.Image], pre: Preprocessing) -> NDArray[np.float32]:
    """A batch (n, 3, H, W) float32: ``(x / pixel_scale - mean) / std`` per channel."""
    if pre.mean is None or pre.std is None:
        raise ValueError("preprocessing needs mean and std for an image model")
    scale = pre.pixel_scale or 255.0
    # (x / scale - mean) / std, folded into one subtraction and one multiplication per pixel.
    offset = (np.asarray(pre.mean, dtype=np.float32) * scale).reshape(1, 1, 3)
    factor = (1.0 / (np.asarray(pre.std, dtype=np.float32) * scale)).reshape(1, 1, 3)
    side = pre.image_size or 0
    batch = np.empty((len(images), 3, side, side), dtype=np.float32)
    for index, image in enumerate(images):
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        pixels = np.asarray(fit(rgb, pre), dtype=np.float32)
        batch[index] = ((pixels - offset) * factor).transpose(2, 0, 1)
    return batch

"""What a picture looks like, in 120 bytes: how near-duplicate photos are told apart.

The search models' vectors say what a photo *shows*; a white and a yellow flag, or a re-encoded
copy that the codec smeared, fool them (EVALUATION.md, "Duplicates"). A :class:`Look` keeps
what a copy keeps instead:

- ``shape``: a 64-bit perceptual hash of the luminance (the 8x8 lowest frequencies of a 32x32
  DCT, each bit: above or below their median). Re-encoding, resizing and a light crop move a
  few bits; a different picture about half of them.
- ``colours``: the mean colour of each cell of a 4x4 grid (48 bytes), which the grey hash
  cannot see.
- ``grey``: the luminance shrunk to 8x8 (64 bytes). Its correlation (:meth:`Look.structure`)
  keeps what the hash's median rounds away: the faces of a dreidel differ by a letter, hash
  alike, and mostly correlate at 0.4-0.8 (98 % of copies at 0.9 or more).

:meth:`Look.likeness` folds shape and colours into one number on a 0-1 scale. Two photos are
near-duplicates (:mod:`engine.search.duplicates`) when their likeness reaches
:data:`NEAR_LIKENESS` or their image vectors are close, and their structures agree
(:data:`SAME_STRUCTURE`). Both numbers come from copies made from real photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_SIDE = 32  # the luminance is shrunk to this square before its DCT
_LOW = 8  # the hash keeps this many lowest frequencies per axis: 64 bits
_GRID = 4  # colours: the mean of each cell of a 4x4 grid
_GREY = 8  # structure: the luminance on an 8x8 grid
SHAPE_BYTES = _LOW * _LOW // 8
COLOUR_BYTES = _GRID * _GRID * 3
GREY_BYTES = _GREY * _GREY
LOOK_BYTES = SHAPE_BYTES + COLOUR_BYTES + GREY_BYTES
SHAPE_BITS = SHAPE_BYTES * 8

# Fitted by tests/benchmarks/duplicates.py on re-encoded, resized and cropped copies of real
# photos against unrelated photos of the same folder (EVALUATION.md, "Duplicates"):
# the likeness that at most 0.1 % of the unrelated pairs whose structures agree reach,
NEAR_LIKENESS = 0.80
# and the structure nearly every copy keeps (about the weakest 2 % of copy pairs fall below).
SAME_STRUCTURE = 0.9

_k = np.arange(_SIDE)
# The orthogonal DCT-II basis (rows: frequencies): ``basis @ x @ basis.T`` is the 2-D DCT.
_DCT = np.cos(np.pi * (2 * _k[None, :] + 1) * _k[:, None] / (2 * _SIDE))


@dataclass(frozen=True)
class Look:
    shape: int  # 64 bits: the luminance hash, unsigned
    colours: bytes  # 48: R, G, B of each grid cell, row by row
    grey: bytes  # 64: the luminance of each cell of the 8x8 grid, row by row

    @classmethod
    def of(cls, image: Image.Image) -> Look:
        """The look of a decoded picture (any mode; a cut-out as the models see it, flattened)."""
        luminance = image.convert("L")
        small = luminance.resize((_SIDE, _SIDE), Image.Resampling.BOX)
        frequencies = _DCT @ np.asarray(small, dtype=np.float64) @ _DCT.T
        low = frequencies[:_LOW, :_LOW].ravel()
        # The median leaves out the mean brightness (the first coefficient), as pHash does.
        bits = low > np.median(low[1:])
        shape = int.from_bytes(np.packbits(bits).tobytes(), "big")
        cells = image.convert("RGB").resize((_GRID, _GRID), Image.Resampling.BOX)
        grey = luminance.resize((_GREY, _GREY), Image.Resampling.BOX)
        return cls(shape, cells.tobytes(), grey.tobytes())

    def to_bytes(self) -> bytes:
        return self.shape.to_bytes(SHAPE_BYTES, "big") + self.colours + self.grey

    @classmethod
    def from_bytes(cls, data: bytes) -> Look:
        if len(data) != LOOK_BYTES:
            raise ValueError(f"a look is {LOOK_BYTES} bytes, not {len(data)}")
        grey_at = SHAPE_BYTES + COLOUR_BYTES
        return cls(
            int.from_bytes(data[:SHAPE_BYTES], "big"), data[SHAPE_BYTES:grey_at], data[grey_at:]
        )

    def likeness(self, other: Look) -> float:
        """1 for the same look; less by the share of hash bits that differ and by the mean
        colour difference (0-1 of full scale)."""
        return float(likenesses(codes([self]), codes([other]))[0])

    def structure(self, other: Look) -> float:
        """The correlation of the two grey grids: 1 for the same light and dark places."""
        return float(structures(codes([self]), codes([other]))[0])


def codes(looks: list[Look]) -> NDArray[np.uint8]:
    """Looks as rows of bytes (n, :data:`LOOK_BYTES`), as :meth:`Look.to_bytes` writes them."""
    joined = b"".join(look.to_bytes() for look in looks)
    return np.frombuffer(joined, np.uint8).reshape(len(looks), LOOK_BYTES)


def likenesses(one: NDArray[np.uint8], other: NDArray[np.uint8]) -> NDArray[np.float64]:
    """:meth:`Look.likeness` of rows of :func:`codes`, row by row."""
    colours = slice(SHAPE_BYTES, SHAPE_BYTES + COLOUR_BYTES)
    differing = np.unpackbits(one[:, :SHAPE_BYTES] ^ other[:, :SHAPE_BYTES], axis=1).sum(axis=1)
    colour = np.abs(one[:, colours].astype(np.int16) - other[:, colours]).mean(axis=1)
    return np.asarray(1.0 - differing / SHAPE_BITS - colour / 255.0, dtype=np.float64)


def structures(one: NDArray[np.uint8], other: NDArray[np.uint8]) -> NDArray[np.float64]:
    """:meth:`Look.structure` of rows of :func:`codes`, row by row. Two flat grids (a blank
    page twice) agree; a flat one and another do not."""
    a, a_flat = _centred(one[:, SHAPE_BYTES + COLOUR_BYTES :])
    b, b_flat = _centred(other[:, SHAPE_BYTES + COLOUR_BYTES :])
    return np.where(a_flat & b_flat, 1.0, (a * b).sum(axis=1))


def _centred(grey: NDArray[np.uint8]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each row less its mean, to unit length; and which rows are flat (all one value)."""
    values = grey.astype(np.float64)
    values -= values.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    flat = norms[:, 0] == 0
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0), flat


def shape_radius(line: float) -> int:
    """The most hash bits two looks whose likeness reaches ``line`` can differ by."""
    return int(np.floor((1.0 - line) * SHAPE_BITS + 1e-9))

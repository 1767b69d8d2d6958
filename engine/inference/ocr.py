"""Words in pictures, from a pack's OCR model (PP-OCRv4: detection, direction, recognition).

A picture -> its lines of text, each with where it lies. Four steps, all numpy and Pillow:

1. **Detection** (DB, "differentiable binarization"): the detector gives, per pixel, the chance
   that it lies inside a text line. The map is cut at ``threshold``, grown by one pixel (a 2x2
   dilation, as PaddleOCR does), and split into 8-connected regions: runs of set pixels per row,
   joined where runs of neighbouring rows touch. A region whose mean chance is under
   ``box_threshold`` is dropped; the others become the smallest rotated rectangle around their
   pixels (convex hull, then rotating calipers), grown on every side by ``area * unclip_ratio /
   perimeter`` (DB's "unclip"; for a rectangle, offsetting the polygon is exactly that).
2. **Crop**: each rectangle is cut out of the picture and straightened (Pillow's quad
   transform, a perspective map onto an upright rectangle). A crop 1.5 times taller than wide
   is turned a quarter (counter-clockwise), as PaddleOCR does: a line of a picture turned 90
   degrees then lies flat, upright or upside down.
3. **Direction**: the classifier says whether a line is upside down; one that is, with at least
   ``direction_threshold``, is turned half way. With step 2 this reads a picture turned by any
   quarter, EXIF or not, without running the detector more than once per pass.
4. **Recognition**: lines are scaled to the recogniser's height and batched by shape; CTC
   greedy decoding (best class per column, repeats merged, blanks dropped) over the pack's
   character list gives the text, and the mean probability of its characters its score. The
   recogniser drops the gaps between words on long lines, so a line wider than ``piece_ratio``
   heights is read in pieces, each cut at the column with the least ink near where it falls,
   and the pieces joined with a space.

Cost is paid where text is: every picture gets one detection at ``detect_side`` (its longer side
at most 960 pixels); only a picture where it finds text (a box, or a pixel at ``hint``) gets a
second, finer one (longer side up to ``fine_side``) when it is larger than the first pass saw,
and recognition runs only on the lines found. Text under about 5 pixels high at the first pass's
scale (under ~10 px on a 1920-pixel screenshot) can go unseen. A picture is never read larger
than ``fine_side``, and at most ``max_lines`` lines are recognised (the largest first), so time
and memory are bounded whatever the picture.

Why not RapidOCR itself at run time: it pulls OpenCV (~90 MB), Shapely and pyclipper for
what is here a few hundred lines of numpy; the graphs and their pre-processing are the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.inference.devices import Device
from engine.inference.needs import Graph, Needs
from engine.inference.providers import Placement, choose
from engine.inference.session import LazySession, Session
from models.manifest import Manifest, ModelEntry, OcrPreprocessing

INPUT = "x"
DETECTED = "sigmoid_0.tmp_0"
DIRECTION = "save_infer_model/scale_0.tmp_1"
RECOGNISED = "softmax_11.tmp_0"
NEEDS = Needs(
    "a text reader",
    OcrPreprocessing,
    (
        Graph("detector", (INPUT,), (DETECTED,)),
        Graph("direction", (INPUT,), (DIRECTION,)),
        Graph("recognizer", (INPUT,), (RECOGNISED,)),
    ),
    dims=("characters",),
    files=("characters",),
)
# The recogniser's columns: one per 8 pixels of its input.
COLUMN_PIXELS = 8

Points = NDArray[np.float64]  # (4, 2): top-left, top-right, bottom-right, bottom-left; x, y
Quad = tuple[float, float, float, float, float, float, float, float]


@dataclass(frozen=True)
class OcrSettings:
    """DB's and PaddleOCR's defaults (RapidOCR's config), and the engine's bounds."""

    threshold: float = 0.3  # a pixel is text at this chance
    box_threshold: float = 0.6  # a region's mean chance (over its own pixels) to be kept
    unclip_ratio: float = 2.0  # PaddleOCR's 1.6 lost more word gaps on English lines here
    min_side: float = 3.0  # pixels of the detector's map: thinner regions are noise
    fine_side: int = 1920  # the finest pass, and the largest a picture is read at
    # A first pass that found no box but a pixel this sure (small text, blurred at its scale)
    # is looked at again, finer, all the same.
    hint: float = 0.5
    max_lines: int = 300  # lines (or pieces of long lines) read per picture, the largest first
    min_score: float = 0.5  # a line read with less is left out
    direction_threshold: float = 0.9
    batch: int = 8  # lines per classifier or recogniser run
    # The recogniser loses the gaps between words on long lines: a line wider than this many
    # heights is read in pieces cut at gaps in its ink, and the pieces' text joined by spaces.
    piece_ratio: float = 16.0
    max_line_ratio: float = 400.0  # a crop wider than this many heights is cut at that


@dataclass(frozen=True)
class TextLine:
    """One line of text in a picture (or a stretch of a long line, a few words cut at a gap:
    see ``piece_ratio``): what it says, how sure the recogniser is (0..1), and its box as
    fractions of the picture's width and height, clockwise from the top-left corner
    (``x0, y0, x1, y1, x2, y2, x3, y3``) of the line as it reads."""

    text: str
    score: float
    box: Quad


@dataclass(frozen=True)
class Reading:
    """What one picture gave: its lines in reading order (top to bottom, left to right), and
    how many lines were found but not read (past ``max_lines``, counting pieces)."""

    lines: list[TextLine]
    skipped: int = 0


class TextReader:
    """Pictures -> :class:`Reading`; one instance per pack entry, sessions opened on first use."""

    def __init__(
        self,
        entry: ModelEntry,
        detector: Session,
        direction: Session,
        recognizer: Session,
        characters: list[str],
        settings: OcrSettings | None = None,
    ) -> None:
        self.preprocessing = NEEDS.check(entry)
        if len(characters) != entry.dims["characters"]:
            raise ValueError(
                f"model {entry.id!r}: {len(characters)} characters for "
                f"{entry.dims['characters']} in its manifest"
            )
        self.entry = entry
        self.detector = detector
        self.direction = direction
        self.recognizer = recognizer
        # Class 0 is CTC's blank; the characters follow, then a space.
        self.classes = ["", *characters, " "]
        self.settings = settings or OcrSettings()

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> TextReader:
        text = manifest.path(entry, "characters").read_text(encoding="utf-8")
        placement = placement or choose()
        if placement.device is Device.CPU:
            # One picture at a time, each pass a few milliseconds: on a CPU, one thread each
            # ran the detector 2x faster than two on the 2-core machine measured (BENCHMARKS.md),
            # and leaves the other cores to the decode threads.
            placement = replace(placement, threads=1)
        return cls(
            entry,
            LazySession(manifest.path(entry, "detector"), placement),
            LazySession(manifest.path(entry, "direction"), placement),
            LazySession(manifest.path(entry, "recognizer"), placement),
            text.split("\n"),
        )

    # --- the whole --------------------------------------------------------------------------

    def read(self, image: Image.Image) -> Reading:
        """The lines of text in ``image`` (RGB, upright as its EXIF says)."""
        source = bounded(image.convert("RGB"), self.settings.fine_side)
        boxes, peak = self._detect(source, self.preprocessing.detect_side)
        hinted = boxes or peak >= self.settings.hint
        if hinted and max(source.size) > self.preprocessing.detect_side * 1.25:
            boxes, _ = self._detect(source, self.settings.fine_side)  # text is here: look closer
        if not boxes:
            return Reading([])
        boxes.sort(key=_box_area, reverse=True)  # the largest text first: it is read surely
        crops = [_crop(source, box, self.settings.max_line_ratio) for box in boxes]
        turned = self.upside_down([crop for crop, _ in crops])
        pieces: list[tuple[Image.Image, Points]] = []
        read_boxes = 0
        for (crop, quad), flip in zip(crops, turned, strict=True):
            if flip:
                crop, quad = crop.transpose(Image.Transpose.ROTATE_180), np.roll(quad, 2, axis=0)
            cut = pieces_of(crop, self.settings.piece_ratio)
            if pieces and len(pieces) + len(cut) > self.settings.max_lines:
                break
            pieces += [(piece, _part(quad, a, b)) for piece, (a, b) in cut]
            read_boxes += 1
        width, height = source.size
        lines = [
            TextLine(text.strip(), score, _fractions(quad, width, height))
            for (_, quad), (text, score) in zip(
                pieces, self.recognize([piece for piece, _ in pieces]), strict=True
            )
            if text.strip() and score >= self.settings.min_score
        ]
        return Reading(reading_order(lines), len(boxes) - read_boxes)

    # --- detection ----------------------------------------------------------------------------

    def detect(self, image: Image.Image, side: int) -> list[Points]:
        """Text boxes in ``image``'s pixels, seen with its longer side at most ``side``."""
        return self._detect(image, side)[0]

    def _detect(self, image: Image.Image, side: int) -> tuple[list[Points], float]:
        """The boxes, and the map's highest chance: text too small to make a box at this
        scale may still show as a peak."""
        scale = min(1.0, side / max(image.size))
        width = max(32, round(image.width * scale / 32) * 32)
        height = max(32, round(image.height * scale / 32) * 32)
        pixels = _normalised(image.resize((width, height), Image.Resampling.BILINEAR))
        (chances,) = self.detector.run([DETECTED], {INPUT: pixels[None]})
        found = chances[0, 0]
        return boxes_from_map(found, image.size, self.settings), float(found.max(initial=0.0))

    # --- direction and recognition -----------------------------------------------------------

    def upside_down(self, crops: Sequence[Image.Image]) -> list[bool]:
        """Whether the classifier is sure each crop is upside down."""
        pre = self.preprocessing
        result = [False] * len(crops)
        for start in range(0, len(crops), self.settings.batch):
            part = crops[start : start + self.settings.batch]
            batch = np.stack(
                [_line_input(c, pre.direction_height, pre.direction_width) for c in part]
            )
            (chances,) = self.direction.run([DIRECTION], {INPUT: batch})
            for offset, row in enumerate(chances):
                if int(np.argmax(row)) == 1 and row[1] >= self.settings.direction_threshold:
                    result[start + offset] = True
        return result

    def recognize(self, crops: Sequence[Image.Image]) -> list[tuple[str, float]]:
        """(text, score) per crop, in order; crops of like shape share a batch."""
        height = self.preprocessing.line_height
        ratios = [c.width / max(1, c.height) for c in crops]
        order = np.argsort(ratios, kind="stable")
        found: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(crops), self.settings.batch):
            chosen = [int(i) for i in order[start : start + self.settings.batch]]
            # At least 320 wide, as PaddleOCR pads; columns past a line's own width are blank.
            width = max(320, math.ceil(height * max(ratios[i] for i in chosen)))
            batch = np.stack([_line_input(crops[i], height, width) for i in chosen])
            (chances,) = self.recognizer.run([RECOGNISED], {INPUT: batch})
            for at, row in zip(chosen, chances, strict=True):
                found[at] = ctc_greedy(row, self.classes)
        return found


# --- detection's post-processing, numpy only ------------------------------------------------


def boxes_from_map(
    chances: NDArray[np.float32], size: tuple[int, int], settings: OcrSettings
) -> list[Points]:
    """DB's boxes (see the module's notes) in the pixels of a picture of ``size`` (w, h)."""
    height, width = chances.shape
    mask = _dilated(chances > settings.threshold)
    rows, starts, ends, labels = regions(mask)
    if len(labels) == 0:
        return []
    count = int(labels.max()) + 1
    # The mean chance of each region over its own pixels, from per-row running sums.
    sums = np.zeros((height, width + 1), np.float64)
    np.cumsum(chances, axis=1, out=sums[:, 1:])
    run_sum = sums[rows, ends] - sums[rows, starts]
    run_len = (ends - starts).astype(np.float64)
    mean = np.bincount(labels, run_sum, count) / np.maximum(np.bincount(labels, run_len, count), 1)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(count + 1))
    scale = np.array([size[0] / width, size[1] / height])
    boxes: list[Points] = []
    for region in range(count):
        if mean[region] < settings.box_threshold:
            continue
        members = order[bounds[region] : bounds[region + 1]]
        points = np.concatenate(
            [
                np.stack([starts[members], rows[members]], axis=1),
                np.stack([ends[members] - 1, rows[members]], axis=1),
            ]
        ).astype(np.float64)
        rect = min_area_rect(points)
        if rect is None or min(rect[1]) < settings.min_side:
            continue
        centre, (long, short), axis = rect
        grow = long * short * settings.unclip_ratio / (2 * (long + short))
        long, short = long + 2 * grow, short + 2 * grow
        if short < settings.min_side + 2:
            continue
        corners = _corners(centre, long, short, axis) * scale
        corners[:, 0] = np.clip(corners[:, 0], 0, size[0])
        corners[:, 1] = np.clip(corners[:, 1], 0, size[1])
        if min(_side_lengths(corners)) > 3:
            boxes.append(corners)
    return boxes


def _dilated(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """A 2x2 dilation (each set pixel also sets its right, lower and lower-right neighbours)."""
    grown = mask.copy()
    grown[:, 1:] |= mask[:, :-1]
    grown[1:, :] |= grown[:-1, :].copy()
    return grown


def regions(
    mask: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The 8-connected regions of ``mask`` as runs: each run's row, first column, column after
    its last, and region label (0..n-1, in order of each region's first run)."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)
    if len(rows) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty
    stride = width + 2
    start_keys = rows * stride + starts
    end_keys = rows * stride + ends
    # Runs of the next row that touch each run (8-connected: a diagonal neighbour counts).
    below = (rows + 1) * stride
    first = np.searchsorted(end_keys, below + starts, "left")
    last = np.searchsorted(start_keys, below + ends, "right")
    counts = np.maximum(last - first, 0)
    upper = np.repeat(np.arange(len(rows)), counts)
    lower = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    labels = np.arange(len(rows))
    while True:  # connected components by label propagation with pointer jumping
        low = np.minimum(labels[upper], labels[lower])
        before = labels.copy()
        np.minimum.at(labels, upper, low)
        np.minimum.at(labels, lower, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            break
    _, dense = np.unique(labels, return_inverse=True)
    return rows.astype(np.int64), starts.astype(np.int64), ends.astype(np.int64), dense


def convex_hull(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """The hull of (n, 2) points, counter-clockwise (Andrew's monotone chain)."""
    unique = np.unique(points, axis=0)
    if len(unique) < 3:
        return unique

    def half(ordered: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        chain: list[NDArray[np.float64]] = []
        for point in ordered:
            while len(chain) >= 2:
                (ax, ay), (bx, by) = chain[-2], chain[-1]
                if (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax) > 0:
                    break
                chain.pop()
            chain.append(point)
        return chain

    lower = half(unique)
    upper = half(unique[::-1])
    return np.array(lower[:-1] + upper[:-1])


def min_area_rect(
    points: NDArray[np.float64],
) -> tuple[NDArray[np.float64], tuple[float, float], NDArray[np.float64]] | None:
    """The smallest rectangle around ``points``: its centre, (long side, short side), and the
    unit vector of its long side (pointing right). ``None`` for fewer than two points."""
    hull = convex_hull(points)
    if len(hull) < 2:
        return None
    edges = np.roll(hull, -1, axis=0) - hull
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    keep = lengths > 0
    axes = edges[keep] / lengths[keep, None]
    normals = np.stack([-axes[:, 1], axes[:, 0]], axis=1)
    along = hull @ axes.T  # (points, edges)
    across = hull @ normals.T
    spans = (along.max(0) - along.min(0)) * (across.max(0) - across.min(0))
    best = int(np.argmin(spans))
    axis, normal = axes[best], normals[best]
    a0, a1 = along[:, best].min(), along[:, best].max()
    n0, n1 = across[:, best].min(), across[:, best].max()
    centre = axis * (a0 + a1) / 2 + normal * (n0 + n1) / 2
    first, second = a1 - a0, n1 - n0
    if second > first:
        axis, first, second = normal, second, first
    if abs(axis[0]) < abs(axis[1]):  # a tall rectangle: its "long" side is still the one along x
        axis = np.array([axis[1], -axis[0]])
        first, second = second, first
    if axis[0] < 0 or (axis[0] == 0 and axis[1] < 0):
        axis = -axis
    return centre, (float(first), float(second)), axis


def _corners(centre: NDArray[np.float64], width: float, height: float, axis: Points) -> Points:
    """Top-left, top-right, bottom-right, bottom-left of a rectangle whose ``width`` lies along
    ``axis`` (pointing right) and whose ``height`` points down, perpendicular to it."""
    down = np.array([-axis[1], axis[0]])
    if down[1] < 0:
        down = -down
    half_w, half_h = axis * width / 2, down * height / 2
    return np.array(
        [
            centre - half_w - half_h,
            centre + half_w - half_h,
            centre + half_w + half_h,
            centre - half_w + half_h,
        ]
    )


def _side_lengths(box: Points) -> tuple[float, float]:
    width = max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[3] - box[2]))
    height = max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))
    return float(width), float(height)


def _box_area(box: Points) -> float:
    width, height = _side_lengths(box)
    return width * height


# --- crops and line inputs --------------------------------------------------------------------


def _crop(image: Image.Image, box: Points, max_ratio: float) -> tuple[Image.Image, Points]:
    """The box cut out and straightened (a perspective map onto an upright rectangle), and its
    corners in the order the crop reads (top-left, top-right, bottom-right, bottom-left of the
    crop). A tall crop is turned a quarter counter-clockwise, so that a line of a turned picture
    lies flat; a crop wider than ``max_ratio`` heights is cut there."""
    width, height = _side_lengths(box)
    width, height = max(1, round(width)), max(1, round(height))
    tl, tr, br, bl = box
    corners = (*tl, *bl, *br, *tr)
    crop = image.transform((width, height), Image.Transform.QUAD, corners, Image.Resampling.BICUBIC)
    quad = np.array(box, dtype=np.float64)
    if height >= 1.5 * width:
        crop = crop.transpose(Image.Transpose.ROTATE_90)
        quad = np.roll(quad, -1, axis=0)  # the crop's top-left was the box's top-right
    if crop.width > max_ratio * crop.height:
        kept = round(max_ratio * crop.height)
        quad = _part(quad, 0.0, kept / crop.width)
        crop = crop.crop((0, 0, kept, crop.height))
    return crop, quad


def _part(quad: Points, start: float, end: float) -> Points:
    """The stretch of a reading quad from ``start`` to ``end`` (fractions of its length)."""
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    return np.array(
        [
            quad[0] + top * start,
            quad[0] + top * end,
            quad[3] + bottom * end,
            quad[3] + bottom * start,
        ]
    )


def pieces_of(crop: Image.Image, ratio: float) -> list[tuple[Image.Image, tuple[float, float]]]:
    """A line no wider than ``ratio`` heights as it is; a wider one cut into pieces about that
    wide, each cut at the emptiest column (the least ink) near where it would fall. Each piece
    with where it starts and ends, as fractions of the line's width."""
    width, height = crop.size
    if width <= ratio * height:
        return [(crop, (0.0, 1.0))]
    grey = np.asarray(crop.convert("L"), dtype=np.float32)
    ink = grey.max(axis=0) - grey.min(axis=0)  # a gap between words has (almost) none
    count = math.ceil(width / (ratio * height))
    step = width / count
    cuts = [0]
    for index in range(1, count):
        low = max(cuts[-1] + height, round(index * step - step / 3))
        high = min(width - height, round(index * step + step / 3))
        if high <= low:
            continue
        cuts.append(low + int(np.argmin(ink[low:high])))
    cuts.append(width)
    return [
        (crop.crop((a, 0, b, height)), (a / width, b / width))
        for a, b in zip(cuts, cuts[1:], strict=False)
        if b > a
    ]


def _normalised(image: Image.Image) -> NDArray[np.float32]:
    """(3, h, w) float32 in blue, green, red order, ``(x / 255 - 0.5) / 0.5``."""
    pixels = np.asarray(image, dtype=np.float32)[:, :, ::-1]
    return np.ascontiguousarray(((pixels / 255.0 - 0.5) / 0.5).transpose(2, 0, 1))


def _line_input(crop: Image.Image, height: int, width: int) -> NDArray[np.float32]:
    """A line scaled to ``height``, its width following up to ``width`` (a wider line is
    squeezed into it), normalised and padded with zeros on the right to ``width``."""
    scaled = min(width, math.ceil(height * crop.width / max(1, crop.height)))
    resized = crop.resize((max(1, scaled), height), Image.Resampling.BILINEAR)
    padded = np.zeros((3, height, width), np.float32)
    padded[:, :, : resized.width] = _normalised(resized)
    return padded


def ctc_greedy(chances: NDArray[np.float32], classes: Sequence[str]) -> tuple[str, float]:
    """CTC greedy decoding of one line's (columns, classes) chances: the best class per column,
    a class repeated in consecutive columns read once, the blank (class 0) dropped. The score
    is the mean chance of the characters kept (0 when none is)."""
    best = chances.argmax(axis=1)
    chance = chances.max(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    if not keep.any():
        return "", 0.0
    text = "".join(classes[int(index)] for index in best[keep])
    return text, float(chance[keep].mean())


def bounded(image: Image.Image, side: int) -> Image.Image:
    """``image`` scaled down so its longer side is at most ``side`` (as it is if it is)."""
    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def _fractions(box: Points, width: int, height: int) -> Quad:
    x = np.clip(box[:, 0] / width, 0.0, 1.0)
    y = np.clip(box[:, 1] / height, 0.0, 1.0)
    values = [round(float(v), 5) for pair in zip(x, y, strict=True) for v in pair]
    return (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])


def reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Top to bottom; lines whose tops are within half a line of each other, left to right."""
    ordered = sorted(lines, key=lambda line: (line.box[1], line.box[0]))
    result: list[TextLine] = []
    for line in ordered:
        at = len(result)
        height = abs(line.box[7] - line.box[1])
        while (
            at > 0
            and abs(result[at - 1].box[1] - line.box[1]) < height / 2
            and result[at - 1].box[0] > line.box[0]
        ):
            at -= 1
        result.insert(at, line)
    return result

"""Words in pictures: the post-processing on made-up maps, then the pack's real PP-OCR models on
pictures of text made here (tests/ocrdata.py), turned, huge, crowded and in two languages."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from engine.catalog.records import FileKind, ItemKind
from engine.inference.models import ModelSet
from engine.inference.ocr import (
    OcrSettings,
    Reading,
    TextLine,
    TextReader,
    boxes_from_map,
    ctc_greedy,
    min_area_rect,
    reading_order,
    regions,
)
from engine.media.images import load_image
from engine.scan.extract import DecodedPhoto, Extractor, TextRuns
from engine.search.excerpts import word_boxes
from engine.search.results import Span
from models.manifest import Manifest
from tests import ocrdata

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

# --- post-processing, no model ------------------------------------------------------------------


def test_regions_join_runs_that_touch_even_at_a_corner() -> None:
    mask = np.zeros((6, 10), bool)
    mask[0, 0:3] = True
    mask[1, 3] = True  # touches the first run at a corner only: the same region
    mask[4:6, 6:9] = True  # apart
    rows, starts, ends, labels = regions(mask)
    assert len(rows) == 4 and labels.max() == 1
    assert labels[0] == labels[1] != labels[2] == labels[3]
    assert (ends - starts).sum() == mask.sum()


def test_a_u_shaped_region_is_one_whatever_the_order_its_arms_meet() -> None:
    mask = np.zeros((5, 9), bool)
    mask[0:4, 0] = mask[0:4, 4] = mask[0:4, 8] = True
    mask[4, :] = True
    *_, labels = regions(mask)
    assert set(labels.tolist()) == {0}


def test_min_area_rect_finds_a_turned_rectangle() -> None:
    angle = np.deg2rad(20)
    axis = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-axis[1], axis[0]])
    grid = [(a, b) for a in np.linspace(-40, 40, 81) for b in np.linspace(-5, 5, 11)]
    points = np.array([100 + a * axis + b * across for a, b in grid])
    found = min_area_rect(points)
    assert found is not None
    centre, (long, short), direction = found
    assert centre == pytest.approx([100, 100], abs=0.5)
    assert (long, short) == (pytest.approx(80, abs=0.5), pytest.approx(10, abs=0.5))
    assert direction == pytest.approx(axis, abs=1e-3)


def test_boxes_from_a_map_are_grown_and_scaled_to_the_picture() -> None:
    chances = np.zeros((64, 128), np.float32)
    chances[20:30, 10:90] = 0.9  # one line
    chances[50:52, 100:102] = 0.9  # a speck: thinner than the smallest side
    chances[40:44, 10:60] = 0.2  # under the threshold
    (box,) = boxes_from_map(chances, (256, 128), OcrSettings())
    left, top = box[:, 0].min(), box[:, 1].min()
    right, bottom = box[:, 0].max(), box[:, 1].max()
    assert left < 20 and right > 178 and top < 40 and bottom > 58  # grown around 20..178 x 40..58
    assert box[0, 0] < box[1, 0] and box[0, 1] < box[3, 1]  # top-left, top-right, ..., bottom-left


def test_ctc_greedy_merges_repeats_and_drops_blanks() -> None:
    classes = ["", "a", "b", " "]
    best = [1, 1, 0, 1, 2, 2, 3, 0, 0]
    chances = np.full((len(best), 4), 0.01, np.float32)
    chances[np.arange(len(best)), best] = 0.9
    text, score = ctc_greedy(chances, classes)
    assert text == "aab " and score == pytest.approx(0.9)
    assert ctc_greedy(np.eye(4, dtype=np.float32)[[0, 0]], classes) == ("", 0.0)


def test_lines_read_top_to_bottom_and_left_to_right() -> None:
    def line(text: str, x: float, y: float) -> TextLine:
        return TextLine(text, 1.0, (x, y, x + 0.1, y, x + 0.1, y + 0.05, x, y + 0.05))

    found = reading_order([line("c", 0.1, 0.5), line("b", 0.5, 0.11), line("a", 0.1, 0.1)])
    assert [one.text for one in found] == ["a", "b", "c"]


def test_word_boxes_split_a_line_by_character_widths() -> None:
    line = (0.0, 0.0, 1.0, 0.0, 1.0, 0.1, 0.0, 0.1)
    (box,) = word_boxes(line, "ab cd", (Span(3, 5),))
    assert box[0] == pytest.approx(2.5 / 4.5, abs=1e-4) and box[2] == pytest.approx(1.0)
    (han,) = word_boxes(line, "ab打开", (Span(2, 4),))
    assert han[0] == pytest.approx(2 / 6, abs=1e-4)
    assert word_boxes(line, "ab", ()) == (line,)


def test_a_line_shown_in_consecutive_frames_is_one_item() -> None:
    box = (0.1, 0.1, 0.5, 0.1, 0.5, 0.2, 0.1, 0.2)
    runs = TextRuns()
    assert runs.push(0.0, [TextLine("Budget", 0.9, box)]) == []
    assert runs.push(5.0, [TextLine("Budget", 0.95, box), TextLine("2026", 0.8, box)]) == []
    (ended,) = runs.push(10.0, [TextLine("2026", 0.8, box)])
    assert (ended.kind, ended.text) == (ItemKind.PICTURE_TEXT, "Budget")
    assert (ended.start, ended.end) == (0.0, 5.0)
    assert ended.score == 0.95 and ended.box == box
    (last,) = runs.close()
    assert (last.text, last.start, last.end) == ("2026", 5.0, 10.0)


# --- the real models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(dev_pack: Manifest) -> TextReader:
    found = ModelSet(dev_pack).ocr()
    assert found is not None, "the dev pack has no OCR model"
    return found


@pytest.fixture(scope="module")
def pictures() -> list[ocrdata.TextPicture]:
    return ocrdata.pictures()


def _recall(
    reader: TextReader, picture: ocrdata.TextPicture, image: Image.Image | None = None
) -> tuple[float, Reading]:
    reading = reader.read(image or Image.open(picture.path).convert("RGB"))
    read = "\n".join(line.text for line in reading.lines)
    found, wanted = ocrdata.recall(picture.text, read, picture.language)
    return found / wanted, reading


def _first(
    pictures: list[ocrdata.TextPicture], language: str, pixels: int, kind: str = "screenshot"
) -> ocrdata.TextPicture:
    return next(
        p for p in pictures if (p.language, p.kind) == (language, kind) and p.pixels >= pixels
    )


@pytest.mark.parametrize(("language", "pixels"), [("en", 22), ("zh", 16)])
def test_a_screenshot_is_read(
    reader: TextReader, pictures: list[ocrdata.TextPicture], language: str, pixels: int
) -> None:
    recall, reading = _recall(reader, _first(pictures, language, pixels))
    assert recall >= 0.9, reading.lines[:5]
    for line in reading.lines:
        assert all(0.0 <= v <= 1.0 for v in line.box) and 0.5 <= line.score <= 1.0


def test_words_on_photos_are_read(reader: TextReader, pictures: list[ocrdata.TextPicture]) -> None:
    photos = [p for p in pictures if p.kind == "photo"]
    found = wanted = 0
    for picture in photos:
        reading = reader.read(Image.open(picture.path).convert("RGB"))
        read = " ".join(line.text for line in reading.lines)
        got, want = ocrdata.recall(picture.text, read, picture.language)
        found, wanted = found + got, wanted + want
    assert found / wanted >= 0.6


def test_a_plain_photo_reads_no_text(reader: TextReader) -> None:
    from tests import media

    photo = load_image(media.skimage_photos()["coffee"])
    assert reader.read(Image.new("RGB", (640, 480), (90, 120, 60))).lines == []
    assert len(reader.read(photo).lines) <= 2


TURNS = [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270]


@pytest.mark.parametrize("turn", TURNS)
def test_a_picture_turned_without_exif_is_read(
    reader: TextReader, pictures: list[ocrdata.TextPicture], turn: Image.Transpose
) -> None:
    picture = _first(pictures, "en", 22)
    image = Image.open(picture.path).convert("RGB")
    upright, _ = _recall(reader, picture, image)
    turned, _ = _recall(reader, picture, image.transpose(turn))
    assert turned >= 0.85 * upright


def test_a_photo_turned_by_its_exif_is_read_upright(
    reader: TextReader, pictures: list[ocrdata.TextPicture], tmp_path: Path
) -> None:
    picture = next(p for p in pictures if p.kind == "photo" and p.language == "en")
    image = Image.open(picture.path).convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: the viewer turns it 90 degrees clockwise
    path = tmp_path / "turned.jpg"
    image.save(path, exif=exif, quality=92)
    upright = load_image(path, min_side=1080)
    assert upright.size == Image.open(picture.path).size
    recall, reading = _recall(reader, picture, upright)
    assert recall >= 0.5, reading.lines


def test_mixed_chinese_and_english_on_one_line(reader: TextReader) -> None:
    image = Image.new("RGB", (900, 120), "white")
    font = ImageFont.truetype(CJK, 36)
    ImageDraw.Draw(image).text((20, 30), "打开文件 open the file 删除目录", fill="black", font=font)
    (line,) = reader.read(image).lines
    assert "打开文件" in line.text and "删除目录" in line.text
    assert ocrdata.recall("open the file", line.text, "en") == (3, 3)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_100_megapixel_screenshot_is_read_in_bounded_time(
    dev_pack: Manifest, tmp_path: Path
) -> None:
    image = Image.new("RGB", (10_000, 10_000), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, 400)
    draw.text((400, 3000), "Quarterly budget", fill="black", font=font)
    path = tmp_path / "huge.jpg"
    image.save(path, quality=80)
    del image, draw
    extractor = Extractor(ModelSet(dev_pack))
    started = time.perf_counter()
    decoded = extractor.decode(path, FileKind.PHOTO)
    assert isinstance(decoded, DecodedPhoto) and decoded.text_image is not None
    assert decoded.text_image is not None and max(decoded.text_image.size) <= 1920
    items = extractor.embed([decoded])[0]
    seconds = time.perf_counter() - started
    texts = [item.text for item in items if item.kind is ItemKind.PICTURE_TEXT]
    assert any("budget" in (text or "").lower() for text in texts), texts
    assert seconds < 60


def _tiny_text(pixels: int) -> Image.Image:
    image = Image.new("RGB", (1920, 1920), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, pixels)
    for row in range(0, 1900, pixels + 3):
        for column in range(0, 1900, 64):
            draw.text((column + 2, row), "word", fill="black", font=font)
    return image


@pytest.mark.parametrize("pixels", [6, 9])
def test_a_picture_full_of_tiny_text_is_read_in_bounded_time(
    reader: TextReader, pixels: int
) -> None:
    """Hundreds of lines: the largest ``max_lines`` are read, the rest counted as skipped;
    text too small to be seen at all (6 px on 1920) gives nothing, quickly."""
    image = _tiny_text(pixels)
    capped = TextReader(
        reader.entry,
        reader.detector,
        reader.direction,
        reader.recognizer,
        reader.classes[1:-1],
        replace(reader.settings, max_lines=40),
    )
    started = time.perf_counter()
    reading = capped.read(image)
    assert time.perf_counter() - started < 60
    assert len(reading.lines) <= 40
    if pixels >= 9:
        assert reading.skipped > 0 and sum("word" in line.text for line in reading.lines) >= 10

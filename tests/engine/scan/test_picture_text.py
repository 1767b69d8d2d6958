"""Words in pictures, end to end: real screenshots and photos of text (tests/ocrdata.py) and
ordinary Tux Paint photos indexed through the facade with the dev pack, then searched."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from engine.catalog.records import ItemKind
from engine.facade import Route, SearchResult, Trove
from engine.search.planner import Planner, PlannerSettings
from engine.search.query import parse
from tests import media, ocrdata
from tests.conftest import dev_pack_path

pytestmark = pytest.mark.slow

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trove, list[ocrdata.TextPicture]]:
    root = tmp_path_factory.mktemp("picture-text")
    folder = root / "Pictures"
    folder.mkdir()
    pictures = ocrdata.pictures()
    chosen = [p for p in pictures if p.kind == "screenshot"][::3]
    chosen += [p for p in pictures if p.kind == "photo"][:4]
    for picture in chosen:
        shutil.copy(picture.path, folder / picture.path.name)
    for stamp in media.stamp_images(photos_only=True)[::60]:
        shutil.copy(stamp, folder / f"{stamp.parent.name}-{stamp.name}")
    trove = Trove(root / "data", dev_pack_path())
    trove.add_folder(folder)
    summary = trove.index()
    assert summary.failed == 0
    yield trove, chosen
    trove.close()


def ranked(trove: Trove, text: str, limit: int) -> SearchResult:
    """Every file the query finds, best first, good match or not (as the quality benchmark
    ranks): a word against lines of several words scores under the good-match line in the text
    spaces more often than not; the lexical index is what finds exact words surely."""
    planner = Planner(
        trove.planner.probes,
        trove.indexes,
        trove.catalog,
        trove.planner.calibration,
        PlannerSettings(floor=0.0),
    )
    return planner.search(parse(text), limit)


def _rare_words(pictures: list[ocrdata.TextPicture]) -> list[tuple[str, str]]:
    """(word, picture name): long English words that one picture alone holds, two a picture."""
    found = {p.path.name: Counter(re.findall(r"[a-z]{7,}", p.text.lower())) for p in pictures}
    everywhere = Counter(word for words in found.values() for word in words)
    chosen = []
    for name, words in found.items():
        own = sorted((w for w in words if everywhere[w] == 1), key=lambda w: (-len(w), w))
        chosen += [(word, name) for word in own[:2]]
    return chosen


def test_a_screenshot_is_among_the_first_three_for_a_word_it_holds(
    indexed: tuple[Trove, list[ocrdata.TextPicture]],
) -> None:
    trove, pictures = indexed
    screenshots = [p for p in pictures if p.kind == "screenshot" and p.language == "en"]
    words = _rare_words(screenshots)
    assert len(words) >= 6
    missed = []
    for word, name in words:
        top = [hit.path.name for hit in ranked(trove, word, 3).hits]
        if name not in top:
            missed.append((word, name, top))
    assert len(missed) <= len(words) // 4, missed


def test_chinese_words_find_their_screenshot(
    indexed: tuple[Trove, list[ocrdata.TextPicture]],
) -> None:
    trove, pictures = indexed
    screenshot = next(p for p in pictures if p.kind == "screenshot" and p.language == "zh")
    runs = re.findall(r"[\u4e00-\u9fff]{4,}", screenshot.text)
    assert runs
    top = [hit.path.name for hit in ranked(trove, runs[0], 3).hits]
    assert screenshot.path.name in top


def test_a_hit_on_picture_text_says_where_the_words_are(
    indexed: tuple[Trove, list[ocrdata.TextPicture]],
) -> None:
    trove, pictures = indexed
    word, name = "implementation", "screen-en-03.png"
    assert word in next(p.text for p in pictures if p.path.name == name)
    hit = next(hit for hit in ranked(trove, word, 5).hits if hit.path.name == name)
    reason = next(r for r in hit.reasons if r.route is Route.PICTURE_TEXT)
    assert reason.excerpt and reason.boxes
    for box in reason.boxes:
        assert len(box) == 8 and all(0.0 <= value <= 1.0 for value in box)
    if reason.matched:
        span = reason.matched[0]
        assert reason.excerpt[span.start : span.end].lower().startswith(word[:4])
    stored = trove.catalog.items_of_file(hit.file_id)
    lines = [item for item in stored if item.kind is ItemKind.PICTURE_TEXT]
    assert lines and all(item.box is not None for item in lines)


def test_ordinary_photos_get_few_lines(indexed: tuple[Trove, list[ocrdata.TextPicture]]) -> None:
    trove, _ = indexed
    counts = Counter()
    for record in trove.catalog.files():
        if "-" in record.relpath and not record.relpath.startswith(("screen-", "photo-")):
            items = trove.catalog.items_of_file(record.id)
            counts[record.relpath] = sum(item.kind is ItemKind.PICTURE_TEXT for item in items)
    assert counts and sum(1 for n in counts.values() if n) <= len(counts) // 3, counts


def _slide(text: str) -> Image.Image:
    image = Image.new("RGB", (640, 360), (20, 40, 90))
    ImageDraw.Draw(image).text((40, 150), text, fill="white", font=ImageFont.truetype(DEJAVU, 40))
    return image


def test_a_video_s_words_are_one_item_per_run_of_frames(tmp_path: Path) -> None:
    import av

    folder = tmp_path / "Videos"
    folder.mkdir()
    slides = [_slide("Quarterly budget"), _slide("Holiday rota")]
    with av.open(str(folder / "talk.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height = 640, 360
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 2  # a keyframe every 2 s: frames are read at keyframes
        for second in range(24):
            frame = av.VideoFrame.from_image(slides[second // 12])
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with Trove(tmp_path / "data", dev_pack_path()) as trove:
        trove.add_folder(folder)
        assert trove.index().indexed == 1
        (record,) = trove.catalog.files()
        lines = [
            item
            for item in trove.catalog.items_of_file(record.id)
            if item.kind is ItemKind.PICTURE_TEXT
        ]
        texts = {item.text: (item.start, item.end) for item in lines}
        assert set(texts) == {"Quarterly budget", "Holiday rota"}, lines
        first, second = texts["Quarterly budget"], texts["Holiday rota"]
        assert first[0] == 0.0 and 5.0 <= first[1] < 12.0 and second[0] >= 10.0
        assert len(lines) == 2
        hit = trove.search("quarterly budget", limit=1).hits[0]
        assert hit.path.name == "talk.mp4" and hit.start == 0.0

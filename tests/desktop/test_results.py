"""The results grid's tiles on real media: pictures decoded lazily for painted tiles only, the
caches' bounds, waveforms, video frames at the hit's second, eliding, and failures that leave
the kind icon. Tiles are rendered with the delegate onto QImages to check their pixels."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations
from desktop.results import (
    HitRole,
    Marked,
    ResultDelegate,
    ResultsModel,
    ResultsView,
    Thumbnails,
    TileGeometry,
    library_name,
    marked_layout,
    why_line,
    why_text,
)
from engine.catalog.records import FileKind
from engine.search.results import FileKey, Hit, Reason, Route, Span
from tests.desktop.test_i18n import TS_FILES, load_update
from tests.media import SLIDE_SECONDS, Videos, demo_folder, videos

WAIT_MS = 60_000
PHOTOS = ["chelsea.png", "dog.png", "elephant.png", "china.jpg", "rocket.jpg", "owl.png"]
RECORDING = "tomato_plants.wav"
TRANSCRIPT = "Remember to water the tomato plants before the weekend."
TOMATO = Span(22, 28)  # "tomato" in TRANSCRIPT


@pytest.fixture(scope="module")
def made() -> Videos:
    return videos()


@pytest.fixture
def images(qtbot: QtBot, tmp_path: Path) -> Iterator[Thumbnails]:
    thumbnails = Thumbnails(cache_folder=tmp_path / "cache")
    yield thumbnails
    thumbnails.shutdown()


def photo_hit(path: Path, *reasons: Reason) -> Hit:
    reasons = reasons or (Reason(Route.VISUAL, 0.8, asked="a cat"),)
    return Hit(1, FileKind.PHOTO, path, 0.8, reasons=reasons)


def recording_hit(start: float = 1.0, end: float = 2.0, matched: tuple[Span, ...] = ()) -> Hit:
    path = demo_folder() / "Recordings" / RECORDING
    reason = Reason(Route.TRANSCRIPT, 0.9, start, end, excerpt=TRANSCRIPT, matched=matched)
    return Hit(2, FileKind.AUDIO, path, 0.9, start, end, (reason,))


def video_hit(path: Path, start: float | None) -> Hit:
    looks = Reason(Route.VISUAL, 0.7, start, asked="x")
    return Hit(3, FileKind.VIDEO, path, 0.7, start, None, (looks,))


def bold_words(marked: Marked) -> list[str]:
    return [marked.text[span.start : span.end] for span in marked.bold]


PALETTE_BASE = QColor(250, 250, 250)
PALETTE_TEXT = QColor(20, 20, 20)
PALETTE_HIGHLIGHT = QColor(0, 200, 0)


def palette() -> QPalette:
    colours = QPalette(QApplication.palette())
    colours.setColor(QPalette.ColorRole.Base, PALETTE_BASE)
    colours.setColor(QPalette.ColorRole.Text, PALETTE_TEXT)
    colours.setColor(QPalette.ColorRole.Highlight, PALETTE_HIGHLIGHT)
    return colours


def option(
    delegate: ResultDelegate, dpr: float = 1.0, selected: bool = False
) -> QStyleOptionViewItem:
    font = QApplication.font()
    metrics = QFontMetrics(font)
    result = QStyleOptionViewItem()
    result.rect = QRect(QPoint(0, 0), delegate.tile_size(metrics))
    result.font = font
    result.fontMetrics = metrics
    result.palette = palette()
    result.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Active
    if selected:
        result.state |= QStyle.StateFlag.State_Selected
    return result


def tile_geometry(delegate: ResultDelegate) -> TileGeometry:
    style = option(delegate)
    return delegate.geometry(QRect(style.rect), style.fontMetrics)


BACKDROP = QColor(255, 0, 255)  # a colour no tile paints


def rgb(colour: QColor) -> np.ndarray:
    return np.array([colour.red(), colour.green(), colour.blue()])


def render(
    delegate: ResultDelegate,
    index: QModelIndex | QPersistentModelIndex,
    dpr: float = 1.0,
    selected: bool = False,
    margin: int = 0,
) -> np.ndarray:
    """The tile as an RGB array at device pixels, ``margin`` pixels of backdrop around it."""
    style = option(delegate, dpr, selected)
    style.rect = QRect(style.rect).translated(margin, margin)
    size = style.rect.size() + QSize(2 * margin, 2 * margin)
    image = QImage(
        QSize(round(size.width() * dpr), round(size.height() * dpr)), QImage.Format.Format_RGB888
    )
    image.setDevicePixelRatio(dpr)
    image.fill(BACKDROP)
    painter = QPainter(image)
    delegate.paint(painter, style, index)
    painter.end()
    return qimage_array(image)


def qimage_array(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return data[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def crop(pixels: np.ndarray, rect: QRect, dpr: float = 1.0) -> np.ndarray:
    return pixels[
        round(rect.top() * dpr) : round((rect.bottom() + 1) * dpr),
        round(rect.left() * dpr) : round((rect.right() + 1) * dpr),
    ]


def settle(qtbot: QtBot, images: Thumbnails, jobs: int) -> None:
    """Wait until ``jobs`` jobs have started and every one of them is back."""

    def back() -> bool:
        stats = images.stats
        return stats.jobs_started >= jobs and (
            stats.decodes + stats.disk_hits + stats.failures == stats.jobs_started
        )

    qtbot.waitUntil(back, timeout=WAIT_MS)


def setup(images: Thumbnails, hits: list[Hit]) -> tuple[ResultsModel, ResultDelegate]:
    model = ResultsModel(images)
    model.set_hits(hits)
    return model, ResultDelegate(images)


# --- why it matched ----------------------------------------------------------------------------


TAG = Reason(Route.TAG, 0.7, label="tabby cat", probability=0.62)
SOUND = Reason(Route.SOUND, 0.6, 3725.0, 3730.0, example=Path("/x/dog.ogg"))
LOOKS = Reason(Route.VISUAL, 0.6, example=Path("/x/dog.jpg"))
ASKED = Reason(Route.VISUAL, 0.6, asked="a cat")


def test_why_lines_say_it_in_a_few_words() -> None:
    said = why_line(recording_hit(12.3, 14.0))
    assert said == Marked(f"\u201c{TRANSCRIPT}\u201d at 0:12")
    cat = Path("/x/cat.jpg")
    assert why_line(photo_hit(cat, TAG)) == Marked("tag: tabby cat (62%)")
    shows = Reason(Route.SHOWS, 0.6, 10.0, 10.0, label="Siberian husky, malamute")
    assert why_line(photo_hit(cat, shows)).text == "shows: Siberian husky, malamute at 0:10"
    assert why_line(photo_hit(cat, ASKED)).text == "looks like \u201ca cat\u201d"
    assert why_line(photo_hit(cat, LOOKS)).text == "looks like dog.jpg"
    assert why_line(photo_hit(cat, Reason(Route.VISUAL, 0.6))).text == "looks similar"
    assert why_line(Hit(4, FileKind.AUDIO, Path("/x/a.wav"), 0.5)).text == "looks similar"
    sound = Hit(4, FileKind.AUDIO, Path("/x/a.wav"), 0.5, reasons=(SOUND,))
    assert why_line(sound).text == "sounds like dog.ogg at 1:02:05"
    assert (
        why_text(photo_hit(cat, TAG, ASKED)) == "tag: tabby cat (62%)\nlooks like \u201ca cat\u201d"
    )


def test_an_excerpt_keeps_its_matched_words_bold_and_starts_near_them() -> None:
    said = why_line(recording_hit(12.3, 14.0, (TOMATO, Span(29, 35))))
    # the words before the match give way, so that a tile's elided line still shows it
    assert said.text == "\u201c\u2026water the tomato plants before the weekend.\u201d at 0:12"
    assert bold_words(said) == ["tomato", "plants"]
    early = why_line(recording_hit(1.0, 2.0, (Span(0, 8),)))
    assert early.text.startswith("\u201cRemember") and bold_words(early) == ["Remember"]
    note = Reason(
        Route.NOTE, 0.6, excerpt="\u2026at the zoo. The lions were", matched=(Span(17, 22),)
    )
    shown = why_line(Hit(5, FileKind.NOTE, Path("/x/zoo.md"), 0.6, reasons=(note,)))
    assert shown.text == "\u201c\u2026zoo. The lions were\u201d" and bold_words(shown) == ["lions"]
    said = "\u4eca\u5929\u6211\u4eec\u5728\u82b1\u56ed\u91cc\u7ed9\u756a\u8304\u6d47\u6c34"
    chinese = Reason(Route.TRANSCRIPT, 0.6, 1.0, 2.0, excerpt=said, matched=(Span(9, 11),))
    shown = why_line(Hit(6, FileKind.AUDIO, Path("/x/a.wav"), 0.6, 1.0, 2.0, (chinese,)))
    # without spaces, a few characters before the match lead in
    assert shown.text.startswith("\u201c\u2026" + said[5:9]) and bold_words(shown) == [said[9:11]]


@pytest.fixture
def compiled(qapp: QApplication, tmp_path: Path) -> Iterator[Path]:
    update = load_update()
    for ts_file in TS_FILES.values():
        update.lrelease(ts_file, tmp_path / ts_file.with_suffix(".qm").name)
    yield tmp_path
    install_translations(qapp, ENGLISH)


@pytest.mark.parametrize(
    ("language", "tag", "asked", "example", "sound"),
    [
        (
            "zh_CN",
            "\u6807\u7b7e\uff1atabby cat\uff0862%\uff09",
            "\u770b\u8d77\u6765\u50cf\u201ca cat\u201d",
            "\u770b\u8d77\u6765\u50cf dog.jpg",
            "\u542c\u8d77\u6765\u50cf dog.ogg \u4e8e 1:02:05",
        ),
        (
            "es",
            "etiqueta: tabby cat (62%)",
            "se parece a \u00aba cat\u00bb",
            "se parece a dog.jpg",
            "suena como dog.ogg en 1:02:05",
        ),
    ],
)
def test_reasons_are_worded_in_the_ui_language(
    qapp: QApplication,
    compiled: Path,
    language: str,
    tag: str,
    asked: str,
    example: str,
    sound: str,
) -> None:
    assert install_translations(qapp, language, compiled) == language
    cat = Path("/x/cat.jpg")
    assert why_line(photo_hit(cat, TAG)).text == tag
    assert why_line(photo_hit(cat, ASKED)).text == asked
    assert why_line(photo_hit(cat, LOOKS)).text == example
    assert why_line(Hit(4, FileKind.AUDIO, Path("/x/a.wav"), 0.5, reasons=(SOUND,))).text == sound
    said = why_line(recording_hit(12.3, 14.0, (TOMATO,)))
    assert bold_words(said) == ["tomato"]  # the excerpt is the file's words, in any UI language


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh_CN", "\u56fe\u4e2d\u6587\u5b57\uff1a\u201c{}\u201d"),
        ("es", "en la imagen: \u00ab{}\u00bb"),
    ],
)
def test_words_read_in_a_picture_are_quoted_in_the_ui_language(
    qapp: QApplication, compiled: Path, language: str, said: str
) -> None:
    assert install_translations(qapp, language, compiled) == language
    line = "Quarterly budget meeting"
    read = Reason(Route.PICTURE_TEXT, 0.7, excerpt=line, matched=(Span(10, 16),))
    shown = why_line(photo_hit(Path("/x/slide.png"), read))
    assert shown.text == said.format(line) and bold_words(shown) == ["budget"]


@pytest.mark.parametrize(
    ("language", "worded"),
    [
        (ENGLISH, "name: Work/Budget meeting.wav"),
        ("zh_CN", "\u6587\u4ef6\u540d\uff1aWork/Budget meeting.wav"),
        ("es", "nombre: Work/Budget meeting.wav"),
    ],
)
def test_a_name_reason_is_worded_with_its_matched_words_bold(
    qapp: QApplication, compiled: Path, language: str, worded: str
) -> None:
    assert install_translations(qapp, language, compiled) == language
    name = Reason(
        Route.NAME, 0.8, excerpt="Work/Budget meeting.wav", matched=(Span(5, 11), Span(12, 19))
    )
    said = why_line(
        Hit(4, FileKind.AUDIO, Path("/x/Work/Budget meeting.wav"), 0.8, reasons=(name,))
    )
    assert said.text == worded
    assert bold_words(said) == ["Budget", "meeting"]


def test_the_model_gives_the_hit_tooltip_and_accessible_text(images: Thumbnails) -> None:
    hit = recording_hit(12.0, 14.0)
    model, _ = setup(images, [hit])
    index = model.index(0)
    assert index.data(HitRole) is hit
    assert "water the tomato" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).startswith(
        "Audio tomato_plants.wav, Strong match, \u201cRemember"
    )  # accessible
    assert model.hit(0) is hit


def test_a_hit_from_a_shared_library_says_which(images: Thumbnails) -> None:
    here = Path("/Volumes/photos/cat.jpg")
    model, _ = setup(images, [replace(photo_hit(here), library="http://nas:19530")])
    tip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("\nFrom the shared library nas")
    mine = photo_hit(here)
    assert "shared library" not in why_text(mine)
    assert library_name("/mnt/share/family.db") == "family.db"


def test_a_local_file_change_leaves_a_shared_file_of_the_same_id_alone(
    images: Thumbnails,
) -> None:
    # File ids are per catalog: the NAS's file 1 and this laptop's file 1 are two files.
    mine = photo_hit(Path("/home/me/cat.jpg"))
    theirs = replace(photo_hit(Path("/Volumes/photos/dog.jpg")), library="http://nas:19530")
    assert mine.file_id == theirs.file_id
    model = ResultsModel(images)
    model.set_hits([theirs, mine], new={theirs.key})
    assert [model.is_new(row) for row in range(2)] == [True, False]
    model.rename(FileKey(mine.file_id), Path("/home/me/kitty.jpg"))
    assert [hit.path.name for hit in model.hits()] == ["dog.jpg", "kitty.jpg"]
    model.remove(FileKey(mine.file_id))
    assert model.hits() == [theirs]
    assert model.row_of(theirs.key) == 0


# --- lazy pictures and their caches ---------------------------------------------------------------


class CountingDelegate(ResultDelegate):
    def __init__(self, images: Thumbnails) -> None:
        super().__init__(images)
        self.painted: set[int] = set()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.painted.add(index.row())
        super().paint(painter, option, index)


def linked_hits(made: Videos, folder: Path, count: int) -> list[Hit]:
    """``count`` hits, each its own path: links to real photos, recordings and videos."""
    sources = [(demo_folder() / "Photos" / n, FileKind.PHOTO) for n in PHOTOS]
    sources += [
        (demo_folder() / "Recordings" / RECORDING, FileKind.AUDIO),
        (made.slideshow, FileKind.VIDEO),
    ]
    folder.mkdir()
    hits = []
    for row in range(count):
        source, kind = sources[row % len(sources)]
        link = folder / f"{row:05d}{source.suffix}"
        os.symlink(source, link)
        start = float(row % 12) if kind is not FileKind.PHOTO else None
        looks = Reason(Route.VISUAL, 0.5, start, asked="x")
        hits.append(Hit(row, kind, link, 0.5, start, None, (looks,)))
    return hits


def test_scrolling_ten_thousand_hits_decodes_only_painted_tiles_within_the_memory_bound(
    qtbot: QtBot, made: Videos, tmp_path: Path
) -> None:
    bound = 600_000  # bytes: fewer than a screenful, so the LRU must evict as it goes
    images = Thumbnails(cache_folder=tmp_path / "cache", memory_bytes=bound)
    model = ResultsModel(images)
    model.set_hits(linked_hits(made, tmp_path / "links", 10_000))
    view = ResultsView(model)
    counting = CountingDelegate(images)
    view.setItemDelegate(counting)
    qtbot.addWidget(view)
    arrived: list[Path] = []
    images.ready.connect(arrived.append)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    settle(qtbot, images, 1)
    first_screen = len(counting.painted)
    assert images.stats.jobs_started <= first_screen < 40

    bar = view.verticalScrollBar()
    assert bar.maximum() > 100 * bar.pageStep()
    peak_memory = 0
    for value in range(0, bar.maximum() + bar.pageStep(), bar.pageStep()):
        bar.setValue(value)
        QApplication.processEvents()
        peak_memory = max(peak_memory, images.stats.memory_bytes)
    settle(qtbot, images, 1)
    qtbot.waitUntil(lambda: not images.busy, timeout=WAIT_MS)
    stats = images.stats

    assert len(counting.painted) == 10_000  # every tile was painted on the way down
    shown = model.hits()  # no weaker band: a row is a hit
    painted_paths = {shown[row].path for row in counting.painted}
    assert set(arrived) <= painted_paths
    assert len(arrived) == stats.jobs_started
    # Only tiles on screen when scrolling paused were decoded: a screenful or a few.
    assert stats.jobs_started < 200, stats
    assert peak_memory <= bound and stats.memory_bytes <= bound
    print(f"\n10,000 hits scrolled: {stats}")  # the number the report quotes
    images.shutdown()


def test_the_disk_cache_serves_a_second_instance_without_decoding(
    qtbot: QtBot, made: Videos, tmp_path: Path
) -> None:
    hits = [photo_hit(demo_folder() / "Photos" / n) for n in PHOTOS]
    hits += [recording_hit(), video_hit(made.slideshow, 4.5)]
    for attempt in ("first", "second"):
        images = Thumbnails(cache_folder=tmp_path / "cache")
        model, delegate = setup(images, hits)
        for row in range(len(hits)):
            render(delegate, model.index(row))
        settle(qtbot, images, len(hits))
        stats = images.stats
        assert stats.failures == 0
        if attempt == "first":
            assert stats.decodes == len(hits) and stats.disk_hits == 0
        else:
            assert stats.decodes == 0 and stats.disk_hits == len(hits)
        assert all(
            images.picture(hit) is not None for hit in hits if hit.kind is not FileKind.AUDIO
        )
        assert images.waveform(hits[-2]) is not None
        images.shutdown()
    assert len(list((tmp_path / "cache").iterdir())) == len(hits)


def test_a_new_search_drops_requests_not_yet_started(images: Thumbnails) -> None:
    model, delegate = setup(images, [photo_hit(demo_folder() / "Photos" / n) for n in PHOTOS])
    for row in range(len(PHOTOS)):
        render(delegate, model.index(row))  # asked for; the jobs start once control returns
    model.set_hits([])
    QApplication.processEvents()
    assert images.stats.jobs_started == 0


def test_high_dpi_tiles_get_pictures_at_device_pixels(qtbot: QtBot, images: Thumbnails) -> None:
    hit = photo_hit(demo_folder() / "Photos" / "china.jpg")
    model, delegate = setup(images, [hit])
    render(delegate, model.index(0), dpr=2.0)
    settle(qtbot, images, 1)
    pixmap = images.picture(hit, 2.0)
    assert isinstance(pixmap, QPixmap)
    assert pixmap.devicePixelRatio() == 2.0
    assert max(pixmap.width(), pixmap.height()) == 2 * images.size
    assert images.picture(hit, 1.0) is None  # a separate, smaller picture for a 1x screen


# --- what tiles show ---------------------------------------------------------------------------


def test_a_waveform_tile_draws_the_recording_and_highlights_the_hit(
    qtbot: QtBot, images: Thumbnails
) -> None:
    model, delegate = setup(images, [recording_hit(1.0, 2.0)])
    geometry = tile_geometry(delegate)
    before = crop(render(delegate, model.index(0)), geometry.picture)
    settle(qtbot, images, 1)
    picture = crop(render(delegate, model.index(0)), geometry.picture)
    assert not np.array_equal(before, picture)  # the icon became a waveform

    base = rgb(PALETTE_BASE)
    ink = np.abs(picture.astype(int) - base).sum(axis=2) > 60
    assert ink.mean() > 0.15  # bars, not an empty tile
    # The stretch 1-2 s of the 3.2 s file is drawn in the highlight colour, and only there.
    green = (picture[:, :, 1] > 150) & (picture[:, :, 0] < 80) & (picture[:, :, 2] < 80)
    columns = np.flatnonzero(green.any(axis=0)) / picture.shape[1]
    assert len(columns) > 0
    assert columns.min() > 0.25 and columns.max() < 0.7


def slide_distances(pixmap: QPixmap, slides: tuple[Path, ...]) -> list[float]:
    frame = qimage_array(pixmap.toImage()).astype(np.float32)
    size = (frame.shape[1], frame.shape[0])
    distances = []
    for slide in slides:
        padded = ImageOps.pad(Image.open(slide).convert("RGB"), (480, 360), color=(0, 0, 0))
        reference = np.asarray(padded.resize(size, Image.Resampling.BOX), np.float32)
        distances.append(float(np.abs(frame - reference).mean()))
    return distances


def test_a_video_tile_shows_the_frame_at_the_hits_start(
    qtbot: QtBot, images: Thumbnails, made: Videos
) -> None:
    starts = [None, 4.5, 7.9, 10.2]
    hits = [video_hit(made.slideshow, start) for start in starts]
    model, delegate = setup(images, hits)
    for row in range(len(hits)):
        render(delegate, model.index(row))
    settle(qtbot, images, len(hits))
    for hit, start in zip(hits, starts, strict=True):
        pixmap = images.picture(hit)
        assert pixmap is not None
        distances = slide_distances(pixmap, made.slides)
        assert int(np.argmin(distances)) == int((start or 0.0) // SLIDE_SECONDS), distances
    # And the tile paints it: the picture area is not the kind icon any more.
    geometry = tile_geometry(delegate)
    picture = crop(render(delegate, model.index(1)), geometry.picture)
    assert picture.std() > 30


def test_names_and_reasons_are_elided_to_the_tile(images: Thumbnails, tmp_path: Path) -> None:
    long_name = tmp_path / ("a very long file name of an elephant at the zoo " * 3 + ".png")
    os.symlink(demo_folder() / "Photos" / "elephant.png", long_name)
    words = "an elephant, a very large grey elephant bathing in the pond at the zoo"
    hits = [
        photo_hit(long_name, Reason(Route.VISUAL, 0.5, asked=words)),
        photo_hit(long_name, Reason(Route.TAG, 0.5, label=words, probability=0.4)),
        recording_hit(61.0, 70.0),
        recording_hit(61.0, 70.0, (TOMATO, Span(29, 35))),
    ]
    model, delegate = setup(images, hits)
    font = QApplication.font()
    metrics = QFontMetrics(font)
    geometry = tile_geometry(delegate)
    for hit in hits:
        texts = delegate.texts(hit, font, geometry)
        assert metrics.horizontalAdvance(texts.name) <= geometry.name.width()
        assert metrics.horizontalAdvance(texts.why) <= geometry.why.width()
        assert texts.why.endswith("\u2026")  # every reason here is longer than a tile
    assert texts.name == RECORDING  # a short name stays whole
    # The matched word survives the eliding, still bold, and the line fits once it is bold.
    assert [texts.why[s.start : s.end] for s in texts.why_bold][:1] == ["tomato"]
    layout = marked_layout(Marked(texts.why, texts.why_bold), font, 10_000)
    assert layout.lineAt(0).naturalTextWidth() <= geometry.why.width()
    # Cut at its end, so that the start, where a camera writes the date, stays readable.
    name = delegate.texts(hits[0], font, geometry).name
    assert name.endswith("\u2026") and long_name.name.startswith(name[:-1])
    # Nothing spills out of the tile: the backdrop around it stays untouched.
    for row in range(len(hits)):
        pixels = render(delegate, model.index(row), margin=40)
        inside = np.zeros(pixels.shape[:2], bool)
        inside[40:-40, 40:-40] = True
        backdrop = (pixels == rgb(BACKDROP)).all(axis=2)
        assert backdrop[~inside].all()


def test_a_corrupt_photo_keeps_its_kind_icon_without_a_warning(
    qtbot: QtBot, images: Thumbnails, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes((demo_folder() / "Photos" / "china.jpg").read_bytes()[:400])
    hit = photo_hit(bad)
    model, delegate = setup(images, [hit])
    geometry = tile_geometry(delegate)
    icon_only = crop(render(delegate, model.index(0)), geometry.picture)
    settle(qtbot, images, 1)
    assert images.stats.failures == 1
    assert images.picture(hit) is None
    after = crop(render(delegate, model.index(0)), geometry.picture)
    assert np.array_equal(icon_only, after)
    assert (np.abs(after.astype(int) - rgb(BACKDROP)).sum(axis=2) > 0).any()
    QApplication.processEvents()
    assert images.stats.jobs_started == 1  # a failure is remembered, not retried every paint


def test_selection_is_drawn_in_the_palettes_highlight(images: Thumbnails) -> None:
    model, delegate = setup(images, [photo_hit(demo_folder() / "Photos" / "dog.png")])
    plain = render(delegate, model.index(0))
    selected = render(delegate, model.index(0), selected=True)
    green = rgb(PALETTE_HIGHLIGHT)

    def greenish(pixels: np.ndarray) -> float:
        return float((np.abs(pixels.astype(int) - green).sum(axis=2) < 40).mean())

    assert greenish(selected) > 0.2 > greenish(plain) + 0.15


NOTE_EXCERPT = "Saturday at the zoo with the kids. The lions were"
LIONS = Span(39, 44)


def note_hit(matched: tuple[Span, ...] = ()) -> Hit:
    note = demo_folder() / "Notes" / "zoo-trip.md"
    reason = Reason(Route.NOTE, 0.6, excerpt=NOTE_EXCERPT, matched=matched)
    return Hit(5, FileKind.NOTE, note, 0.6, reasons=(reason,))


def test_a_note_tile_shows_the_first_words_of_its_excerpt(images: Thumbnails) -> None:
    model, delegate = setup(images, [note_hit()])
    geometry = tile_geometry(delegate)
    picture = crop(render(delegate, model.index(0)), geometry.picture)
    text = np.abs(picture.astype(int) - rgb(PALETTE_TEXT)).sum(axis=2) < 120
    assert text[text.shape[0] // 4 :].mean() > 0.01  # lines of text below the icon
    assert images.stats.jobs_started == 0  # nothing to decode for a note


def ink(pixels: np.ndarray, background: QColor) -> int:
    """Pixels drawn over ``background``, anti-aliased edges included."""
    return int((np.abs(pixels.astype(int) - rgb(background)).sum(axis=2) > 60).sum())


def test_matched_words_are_painted_bold_on_the_tile(images: Thumbnails) -> None:
    assert NOTE_EXCERPT[LIONS.start : LIONS.end] == "lions"
    every = tuple(Span(m.start(), m.end()) for m in re.finditer(r"\w+", NOTE_EXCERPT))
    hits = [note_hit(), note_hit((LIONS,)), note_hit(every)]
    model, delegate = setup(images, hits)
    geometry = tile_geometry(delegate)
    plain, one, all_bold = (render(delegate, model.index(row)) for row in range(len(hits)))
    # Bold strokes are thicker: more ink in the excerpt, and in the why-line under the name.
    for rect, background in ((geometry.picture, PALETTE_BASE), (geometry.why, BACKDROP)):
        assert ink(crop(all_bold, rect), background) > 1.1 * ink(crop(plain, rect), background)
        assert not np.array_equal(crop(one, rect), crop(plain, rect))
    assert np.array_equal(crop(one, geometry.name), crop(plain, geometry.name))

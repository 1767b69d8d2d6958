"""The preview pane on the real engine: a small folder indexed once with the dev pack, hits from
real searches, and the real player on real recordings.

Offscreen here there is no sound server: asking QtMultimedia for the audio outputs makes its
PulseAudio backend warn once per process, and a video frame converted without a GPU warns once
per thread. Both are harmless and outside our code; they are ignored in this module only.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import soundfile
from PIL import Image
from PySide6.QtCore import QLocale, QPoint, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations
from desktop.player import clock_tenths, parse_clock
from desktop.preview import (
    Placed,
    PreviewPane,
    decode_image,
    highlight_color,
    human_size,
    matched_segment,
    place_excerpt,
    render_note,
    render_transcript,
    transcript_bold,
    whole_words,
)
from desktop.results import Marked, clock, length_text
from desktop.reveal import Command, reveal_command, start_detached
from desktop.worker import EngineClient, EngineSettings
from engine.catalog.records import FileKind
from engine.facade import Segment, Trove
from engine.privacy import restrict_new_files
from engine.search.excerpts import QueryWords, excerpt
from engine.search.results import Hit, Reason, Route, Span
from models.manifest import Manifest
from tests.conftest import dev_pack_path
from tests.desktop.test_i18n import TS_FILES, load_update
from tests.media import demo_folder, long_speech, spoken_caption, videos

pytestmark = pytest.mark.qt_log_ignore(
    r"PulseAudioService: pa_context_connect\(\) failed",
    r"No RHI backend\. Using CPU conversion\.",
)

WAIT_MS = 120_000  # two shared cores: opening the engine and a search may be slow
MEDIA_MS = 60_000
SEEK_TOLERANCE_MS = 300


@dataclass(frozen=True)
class Library:
    folder: Path
    data: Path
    dentist: Hit  # "dentist appointment" in the 30 s recording: its fifth sentence
    tomato: Hit  # "tomato plants" in tomato_plants.wav
    cat: Hit  # "a cat": chelsea.png
    zoo: Hit  # "lions asleep": the zoo-trip note
    video: Hit  # the slideshow video
    spanish: Hit  # a person reading a Tux Paint caption in Spanish ("Una rana.")


def _find(trove: Trove, query: str, name: str) -> Hit:
    hits = trove.search(query, limit=20).hits
    for hit in hits:
        if hit.path.name == name:
            return hit
    raise AssertionError(f"{query!r} did not find {name}: {[h.path for h in hits]}")


def spanish_caption() -> Path:
    return spoken_caption("frog", "es")


def _hit_of(trove: Trove, path: Path, kind: FileKind) -> Hit:
    """A hit on a file as a search would list it, whatever the search."""
    file_id = trove.file_id(path)
    assert file_id is not None, path
    return Hit(file_id, kind, path, score=1.0)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> Library:
    demo = demo_folder()
    folder = tmp_path_factory.mktemp("library")
    sources = [
        demo / "Recordings" / "tomato_plants.wav",
        demo / "Photos" / "chelsea.png",
        demo / "Notes" / "zoo-trip.md",
        long_speech().path,
        videos().slideshow,
        spanish_caption(),
    ]
    for source in sources:
        shutil.copy(source, folder / source.name)
    data = tmp_path_factory.mktemp("data")
    with Trove(data, dev_pack_path()) as trove:
        trove.add_folder(folder)
        trove.index()
        return Library(
            folder,
            data,
            dentist=_find(trove, "dentist appointment", long_speech().path.name),
            tomato=_find(trove, "tomato plants", "tomato_plants.wav"),
            cat=_find(trove, "a cat", "chelsea.png"),
            zoo=_find(trove, "lions asleep in the sun", "zoo-trip.md"),
            video=_find(trove, "a cat", videos().slideshow.name),
            spanish=_hit_of(trove, folder / spanish_caption().name, FileKind.AUDIO),
        )


@pytest.fixture
def pane(qtbot: QtBot, library: Library) -> Iterator[PreviewPane]:
    engine = EngineClient(EngineSettings(data=library.data, pack=dev_pack_path()))
    pane = PreviewPane(engine)
    qtbot.addWidget(pane)
    engine.start()
    pane.resize(520, 760)
    pane.show()
    yield pane
    pane.clear()
    engine.shutdown()


def _cued(qtbot: QtBot, pane: PreviewPane, seconds: float) -> None:
    """Wait until the player has loaded the file and sits at ``seconds``."""
    player = pane.player
    ready = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
    qtbot.waitUntil(
        lambda: (
            player.mediaStatus() in ready
            and abs(player.position() - seconds * 1000) <= SEEK_TOLERANCE_MS
        ),
        timeout=MEDIA_MS,
    )


def _blocks(pane: PreviewPane) -> list[QTextBlock]:
    blocks, block = [], pane.text.document().firstBlock()
    while block.isValid():
        blocks.append(block)
        block = block.next()
    return blocks


def _fragments(block: QTextBlock) -> list[tuple[str, QTextCharFormat]]:
    found, it = [], block.begin()
    while not it.atEnd():
        fragment = it.fragment()
        found.append((fragment.text(), fragment.charFormat()))
        it += 1
    return found


def _is_bold(style: QTextCharFormat) -> bool:
    return style.fontWeight() >= QFont.Weight.Bold.value


def _styled(document: QTextDocument, keep: Callable[[QTextCharFormat], bool]) -> str:
    """The characters of ``document`` whose format ``keep`` accepts, in order."""
    text, cursor, chosen = document.toPlainText(), QTextCursor(document), []
    for position in range(len(text)):
        cursor.setPosition(position + 1)
        if keep(cursor.charFormat()):
            chosen.append(text[position])
    return "".join(chosen)


def _bold_words(block: QTextBlock) -> list[str]:
    return [
        text for text, style in _fragments(block) if style.fontWeight() >= QFont.Weight.Bold.value
    ]


def _transcript_shown(qtbot: QtBot, pane: PreviewPane, words: str) -> QTextBlock:
    qtbot.waitUntil(lambda: any(words in block.text() for block in _blocks(pane)), timeout=WAIT_MS)
    return next(block for block in _blocks(pane) if words in block.text())


# --- audio ---------------------------------------------------------------------------------


def test_the_player_starts_at_the_hit_and_plays_on_from_there(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    hit = library.dentist
    start = hit.start
    assert start is not None and start > 10  # the fifth sentence, not the file's start
    pane.show_hit(hit)
    _cued(qtbot, pane, start)
    player = pane.player
    assert player.playbackState() == QMediaPlayer.PlaybackState.StoppedState  # cued, not playing
    media = pane.media
    assert media.slider.value() == player.position()
    assert media.time_label.text().startswith(clock(start))  # "0:14 / 0:30"

    seen: list[int] = []
    player.positionChanged.connect(seen.append)
    qtbot.mouseClick(media.play_button, Qt.MouseButton.LeftButton)
    # No sound card here: the player's own clock still moves the position on.
    qtbot.waitUntil(lambda: player.position() >= start * 1000 + 500, timeout=MEDIA_MS)
    assert min(seen) >= start * 1000 - SEEK_TOLERANCE_MS  # from the hit, not from 0:00
    assert media.play_button.accessibleName() == "Pause"
    qtbot.mouseClick(media.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.playbackState() == QMediaPlayer.PlaybackState.PausedState)


def test_the_transcript_highlights_the_hit_and_bolds_the_query(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    pane.show_hit(library.tomato)
    line = _transcript_shown(qtbot, pane, "tomato plants")
    assert line.text().startswith("0:00  Remember to water the tomato plants")
    assert line.blockFormat().background().color() == highlight_color(pane.palette())
    assert _bold_words(line) == ["tomato", "plants"]
    assert pane.text.isVisible()


def test_only_the_matched_segment_is_highlighted_and_a_click_seeks_there(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    hit = library.dentist
    assert hit.start is not None
    pane.show_hit(hit)
    matched = _transcript_shown(qtbot, pane, "dentist")
    _cued(qtbot, pane, hit.start)
    lines = _blocks(pane)
    assert len(lines) >= 5
    marked = [
        b.text() for b in lines if b.blockFormat().background().style() != Qt.BrushStyle.NoBrush
    ]
    assert marked == [matched.text()]
    assert _bold_words(matched) == ["dentist", "appointment"]  # the query's words
    assert all(not _bold_words(b) for b in lines if b != matched)

    # A click on another line's time plays from that line.
    target = next(b for b in lines if "mountain" in b.text())
    seconds = _segment_start(target)
    pane.text.setTextCursor(QTextCursor(target))
    pane.text.ensureCursorVisible()
    box = pane.text.document().documentLayout().blockBoundingRect(target)
    scroll = pane.text.verticalScrollBar().value()
    point = QPoint(round(box.left()) + 12, round(box.center().y()) - scroll)
    qtbot.mouseClick(pane.text.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(
        lambda: abs(pane.player.position() - seconds * 1000) <= SEEK_TOLERANCE_MS,
        timeout=MEDIA_MS,
    )


def _segment_start(block: QTextBlock) -> float:
    minutes, seconds = block.text().split()[0].split(":")
    anchor = next(style.anchorHref() for _, style in _fragments(block) if style.isAnchor())
    shown = int(minutes) * 60 + int(seconds)
    exact = float(anchor.split(":", 1)[1])
    assert int(exact) == shown  # the line shows the time it seeks to
    return exact


def test_the_range_chooser_searches_with_a_part_of_the_file(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    hit = library.dentist
    assert hit.start is not None and hit.end is not None
    pane.show_hit(hit)
    _cued(qtbot, pane, hit.start)
    chooser = pane.media.range
    assert chooser.range() == pytest.approx((hit.start, hit.end), abs=0.05)
    with qtbot.waitSignal(pane.search_range, timeout=5_000) as emitted:
        qtbot.mouseClick(chooser.search_button, Qt.MouseButton.LeftButton)
    assert emitted.args[0] == hit.path
    assert emitted.args[1:] == pytest.approx([hit.start, hit.end], abs=0.05)

    # Keyboard: type a start as m:ss, then take the ten seconds around the playhead.
    chooser.start_box.setFocus()
    chooser.start_box.selectAll()
    qtbot.keyClicks(chooser.start_box, "0:16")
    qtbot.keyClick(chooser.start_box, Qt.Key.Key_Tab)
    assert chooser.range()[0] == pytest.approx(16.0)
    pane.player.setPosition(20_000)
    qtbot.waitUntil(lambda: abs(pane.player.position() - 20_000) <= SEEK_TOLERANCE_MS)
    qtbot.mouseClick(chooser.around_button, Qt.MouseButton.LeftButton)
    assert chooser.range() == pytest.approx((15.0, 25.0), abs=SEEK_TOLERANCE_MS / 1000)
    with qtbot.waitSignal(pane.search_range, timeout=5_000) as emitted:
        qtbot.keyClick(chooser.search_button, Qt.Key.Key_Space)
    assert emitted.args[1] < emitted.args[2]


@pytest.mark.qt_log_ignore(r"Could not open media\. FFmpeg error description")
def test_a_recording_that_cannot_be_played_says_so(
    qtbot: QtBot, pane: PreviewPane, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + bytes(range(256)) * 8)  # a header that promises, then noise
    pane.show_hit(Hit(0, FileKind.AUDIO, broken, 0.5, 1.0, 2.0))
    media = pane.media
    qtbot.waitUntil(lambda: "Cannot play this file" in media.message.text(), timeout=MEDIA_MS)
    assert media.message.isVisible()
    assert not media.play_button.isEnabled()


# --- video ---------------------------------------------------------------------------------


def test_a_video_shows_its_picture_and_is_cued_at_the_hit(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    hit = replace(library.video, start=4.0, end=6.0)  # between two keyframes, on purpose
    pane.show_hit(hit)
    _cued(qtbot, pane, 4.0)
    media = pane.media
    assert media.video.isVisible()
    assert pane.player.hasVideo()
    qtbot.mouseClick(media.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.player.position() >= 5_000, timeout=MEDIA_MS)
    qtbot.waitUntil(lambda: pane.details.values["length"].text() == "0:12", timeout=MEDIA_MS)


def test_a_video_shows_the_frame_at_the_matched_time_before_play(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    frames: list[float] = []
    pane.media.video.videoSink().videoFrameChanged.connect(
        lambda frame: frames.append(frame.startTime() / 1e6) if frame.isValid() else None
    )
    pane.show_hit(replace(library.video, start=7.0, end=9.0))
    _cued(qtbot, pane, 7.0)
    qtbot.waitUntil(lambda: bool(frames), timeout=MEDIA_MS)  # a picture, not black
    # The frame of the matched moment (to a frame's length), and nothing plays yet.
    assert abs(frames[-1] - 7.0) < 0.25
    assert pane.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    assert pane.media.play_button.accessibleName() == "Play"
    qtbot.mouseClick(pane.media.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.player.position() >= 7_500, timeout=MEDIA_MS)


def test_a_clip_under_a_second_shows_its_length_in_tenths(
    qtbot: QtBot, pane: PreviewPane, tmp_path: Path
) -> None:
    samples, rate = soundfile.read(demo_folder() / "Sounds" / "dog.ogg", dtype="float32")
    clip = tmp_path / "bark.wav"
    soundfile.write(clip, samples[: int(rate * 0.4)], rate)  # 0.4 s of a real bark
    pane.show_hit(Hit(0, FileKind.AUDIO, clip, 0.5))
    length = pane.details.values["length"]
    qtbot.waitUntil(lambda: length.text() != "", timeout=MEDIA_MS)
    assert length.text() == "0.4 s"  # not "0:00"
    assert length_text(0.4, QLocale(QLocale.Language.Spanish)) == "0,4 s"
    assert length_text(0.02) == "0.1 s" and length_text(12.0) == "0:12"


def _wait_for_text(qtbot: QtBot, label: QLabel, text: str) -> None:
    qtbot.waitUntil(lambda: label.text() == text, timeout=WAIT_MS)


def test_the_spoken_language_is_stored_and_named_in_the_ui_language(
    qtbot: QtBot, qapp: QApplication, pane: PreviewPane, library: Library, tmp_path: Path
) -> None:
    with Trove(library.data, dev_pack_path()) as trove:
        details = trove.details(library.spanish.file_id)
        assert details is not None and details.languages == ("es",)
        assert [segment.language for segment in details.transcript] == ["es"]
        assert "rana" in details.transcript[0].text.lower()
        tomato = trove.details(library.tomato.file_id)
        assert tomato is not None and tomato.languages == ("en",)
    update = load_update()
    for ts_file in TS_FILES.values():
        update.lrelease(ts_file, tmp_path / ts_file.with_suffix(".qm").name)
    spoken = pane.details.values["spoken"]
    try:
        for language, name in (("en", "Spanish"), ("zh_CN", "西班牙语"), ("es", "español")):
            install_translations(qapp, language, tmp_path)
            pane.show_hit(library.spanish)
            _wait_for_text(qtbot, spoken, name)
        pane.show_hit(library.tomato)
        _wait_for_text(qtbot, spoken, "inglés")
    finally:
        install_translations(qapp, ENGLISH)
    pane.show_hit(library.cat)  # a photo has no spoken language: the row hides
    qtbot.waitUntil(lambda: pane.details.values["size"].text() != "", timeout=WAIT_MS)
    assert not spoken.isVisibleTo(pane)


# --- photos --------------------------------------------------------------------------------


def test_a_photo_fills_the_pane_at_its_own_aspect_and_its_details_show(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    pane.show_hit(library.cat)
    view = pane.image_view
    qtbot.waitUntil(lambda: not view.pixmap().isNull(), timeout=MEDIA_MS)
    assert pane.view.currentWidget() is view
    pixmap = view.pixmap()
    with Image.open(library.cat.path) as photo:
        width, height = photo.size
    assert pixmap.width() / pixmap.height() == pytest.approx(width / height, rel=0.01)
    assert pixmap.devicePixelRatio() == pytest.approx(view.devicePixelRatioF())
    # As large as the view allows, never enlarged past the photo's own pixels.
    natural = QSize(width, height)
    expected = natural.scaled(natural.boundedTo(view.size()), Qt.AspectRatioMode.KeepAspectRatio)
    shown = pixmap.deviceIndependentSize()
    assert abs(shown.width() - expected.width()) <= 1
    assert abs(shown.height() - expected.height()) <= 1

    values = pane.details.values
    qtbot.waitUntil(lambda: values["size"].text() != "", timeout=WAIT_MS)
    assert values["kind"].text() == "Photo"
    assert values["size"].text() == human_size(library.cat.path.stat().st_size, pane.locale())
    assert values["folder"].text() == str(library.folder)
    assert values["modified"].text()
    assert "%" in values["tags"].text()
    assert not values["problem"].isVisibleTo(pane)
    assert not pane.text.isVisibleTo(pane)


def test_a_broken_photo_says_so(qtbot: QtBot, pane: PreviewPane, tmp_path: Path) -> None:
    whole = (demo_folder() / "Photos" / "chelsea.png").read_bytes()
    broken = tmp_path / "broken.png"
    broken.write_bytes(whole[: len(whole) // 2])  # a copy cut short
    pane.show_hit(Hit(0, FileKind.PHOTO, broken, 0.5))
    qtbot.waitUntil(lambda: "Cannot show this picture" in pane.message.text(), timeout=MEDIA_MS)
    assert pane.view.currentWidget() is pane.message
    qtbot.waitUntil(lambda: pane.details.values["problem"].text() != "", timeout=WAIT_MS)
    assert "Not in the index" in pane.details.values["problem"].text()


def test_decoding_turns_a_photo_as_its_exif_says_and_caps_its_size(tmp_path: Path) -> None:
    turned = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    Image.new("RGB", (300, 100), "red").save(turned, exif=exif)
    image = decode_image(str(turned))
    assert (image.width(), image.height()) == (100, 300)
    capped = decode_image(str(turned), longest=150)
    assert (capped.width(), capped.height()) == (50, 150)


# --- notes ---------------------------------------------------------------------------------


def test_a_note_shows_its_text_with_the_matched_excerpt_highlighted(
    qtbot: QtBot, pane: PreviewPane, library: Library
) -> None:
    pane.show_hit(library.zoo)
    document = pane.text.document()
    qtbot.waitUntil(lambda: "Zoo trip" in document.toPlainText(), timeout=MEDIA_MS)
    text = document.toPlainText()
    # The Markdown note rendered: its "# Zoo trip" is a heading, with no "#" shown.
    first = document.firstBlock()
    assert first.text() == "Zoo trip" and first.blockFormat().headingLevel() == 1
    assert "#" not in text
    at = text.index("lions")
    cursor = pane.text.textCursor()
    cursor.setPosition(at + 1)
    style = cursor.charFormat()
    assert style.background().color() == highlight_color(pane.palette())
    assert style.fontWeight() >= QFont.Weight.Bold.value


def test_an_excerpt_is_placed_back_in_its_text_with_its_matched_words() -> None:
    text = "first line\nSaturday at the zoo   with\nthe kids. The end"
    shown = Marked("\u2026at the zoo with the\u2026", (Span(8, 11), Span(12, 16)))
    assert shown.text[8:11] == "zoo" and shown.text[12:16] == "with"
    placed = place_excerpt(text, shown)
    assert placed == Placed(20, 41, ((27, 30), (33, 37)))
    assert [text[a:b] for a, b in placed.bold] == ["zoo", "with"]
    assert place_excerpt(text, Marked("not there")) is None
    # A span across folded whitespace covers the whitespace as written.
    across = place_excerpt(text, Marked("zoo with", (Span(0, 8),)))
    assert across is not None and [text[a:b] for a, b in across.bold] == ["zoo   with"]


def _segment_reason(segment: Segment, query: str) -> Reason:
    """The reason the engine gives for ``segment`` found by ``query``."""
    shown = excerpt(segment.text, QueryWords(query), 160)
    return Reason(
        Route.TRANSCRIPT,
        0.7,
        segment.start,
        segment.end,
        excerpt=shown.text,
        matched=shown.matched,
    )


@pytest.mark.parametrize(
    ("said", "query", "bold"),
    [
        ("  Mañana   riego las TOMATERAS del jardín", "manana tomateras", ["Mañana", "TOMATERAS"]),
        ("明天早上我要给番茄和黄瓜浇水", "番茄 浇水", ["番茄", "浇水"]),
    ],
)
def test_transcript_words_are_bold_where_the_reason_matched_them(
    qtbot: QtBot, said: str, query: str, bold: list[str]
) -> None:
    segments = [Segment(0.0, 2.0, "Hola"), Segment(2.0, 5.0, said), Segment(5.0, 6.0, "fin")]
    reason = _segment_reason(segments[1], query)
    hit = Hit(1, FileKind.AUDIO, Path("/x/riego.wav"), 0.7, 2.0, 5.0, (reason,))
    marks = transcript_bold(hit, segments)
    assert list(marks) == [1]
    document = QTextDocument()
    render_transcript(document, segments, 1, QColor("yellow"), marks)
    blocks = [document.findBlockByNumber(n) for n in range(document.blockCount())]
    assert [_bold_words(block) for block in blocks] == [[], bold, []]


def test_a_markdown_note_is_rendered_with_headings_lists_and_links() -> None:
    text = "# Packing\n\n- swimming trunks\n- a [map](https://example.org/map) of the park\n"
    rendered = QTextDocument()
    render_note(rendered, text, None, QColor("yellow"), markdown=True)
    blocks = [rendered.findBlockByNumber(n) for n in range(rendered.blockCount())]
    assert [block.text() for block in blocks] == ["Packing", "swimming trunks", "a map of the park"]
    assert blocks[0].blockFormat().headingLevel() == 1
    assert all(block.textList() is not None for block in blocks[1:])  # a list
    anchors = [style.anchorHref() for _text, style in _fragments(blocks[2]) if style.isAnchor()]
    assert anchors == ["https://example.org/map"]
    # A plain-text note stays as written: a "#" there is no heading.
    render_note(rendered, text, None, QColor("yellow"), markdown=False)
    assert rendered.firstBlock().text() == "# Packing"


def test_highlights_cover_whole_words_never_half_of_one() -> None:
    text = "Packing list\n\nTowels, swimming trunks and sun cream for the beach."
    # An excerpt cut inside a word, its match cut too, as a narrow window may give them.
    shown = Marked("\u2026runks and sun cream", (Span(1, 4),))
    document = QTextDocument()
    at = render_note(document, text, shown, QColor("yellow"))
    assert at == text.index("trunks")
    marked = _styled(document, lambda style: style.background().color() == QColor("yellow"))
    assert marked == "trunks and sun cream"  # not "runks..."
    assert _styled(document, _is_bold) == "trunks"
    assert whole_words("数据库和番茄", 2, 3) == (2, 3)  # an unspaced script keeps its span


def test_a_note_keeps_bold_only_what_its_reason_matched() -> None:
    text = "Zoo trip\n\nSaturday at the zoo with the kids.\nThe lions were asleep in the sun."
    chunk = text[10:]
    shown = excerpt(chunk, QueryWords("lions sun"), 160)
    document = QTextDocument()
    at = render_note(document, text, Marked(shown.text, shown.matched), QColor("yellow"))
    assert at == 10
    assert _styled(document, _is_bold) == "lionssun"
    assert render_note(document, text, None, QColor("yellow")) == -1


# --- actions -------------------------------------------------------------------------------


def test_copy_path_and_find_similar(qtbot: QtBot, pane: PreviewPane, library: Library) -> None:
    pane.show_hit(library.cat)
    assert pane.copy_button.accessibleName() == "Copy path" and pane.copy_button.toolTip()
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == str(library.cat.path)
    with qtbot.waitSignal(pane.find_similar, timeout=5_000) as emitted:
        qtbot.mouseClick(pane.similar_button, Qt.MouseButton.LeftButton)
    assert emitted.args == [library.cat.path]
    pane.clear()
    assert not pane.copy_button.isEnabled() and not pane.similar_button.isEnabled()


def test_the_reveal_command_of_each_platform() -> None:
    assert reveal_command("/home/me/a b.jpg", "linux") is None  # the FileManager1 D-Bus call
    assert reveal_command("/home/me/a b.jpg", "darwin") == Command(
        "open", ("-R", "/home/me/a b.jpg")
    )
    assert reveal_command("C:/Users/me/a b.jpg", "win32") == Command(
        "explorer.exe", native_arguments='/select,"C:\\Users\\me\\a b.jpg"'
    )


# --- small pure parts ----------------------------------------------------------------------


def test_matched_segment_prefers_overlap_then_nearness() -> None:
    segments = [Segment(0.0, 3.0, "a"), Segment(3.0, 7.0, "b"), Segment(9.0, 12.0, "c")]
    assert matched_segment(segments, 3.2, 6.0) == 1
    assert matched_segment(segments, 2.5, 6.5) == 1  # more of it lies in the second
    assert matched_segment(segments, 8.5, None) == 2  # between segments: the nearest start
    assert matched_segment(segments, None, None) == -1


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("75", 75.0), ("75,5", 75.5), ("1:15", 75.0), ("1:02:03.5", 3723.5), ("x", None)],
)
def test_parse_clock(text: str, seconds: float | None) -> None:
    assert parse_clock(text) == seconds
    if seconds is not None:
        assert parse_clock(clock_tenths(seconds)) == pytest.approx(seconds)


def test_a_program_started_for_the_person_gets_their_umask_not_troves(
    qtbot: QtBot, tmp_path: Path
) -> None:
    os.umask(0o022)  # the person's; the suite's fixture puts the session's back afterwards
    restrict_new_files()  # as trove-desktop does at start
    said = tmp_path / "umask"
    assert start_detached(Command("sh", ("-c", f"umask > '{said}'")))
    qtbot.waitUntil(lambda: said.exists() and said.read_text().strip() != "", timeout=10_000)
    assert said.read_text().strip() == "0022"
    assert stat.S_IMODE(said.stat().st_mode) == 0o644  # what it saves is the person's

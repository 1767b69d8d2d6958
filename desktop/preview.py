"""The preview pane: the chosen result in full, with what is known about it and what to do next.

A photo shows whole, scaled to the pane at the screen's pixel density, turned as its EXIF says,
decoded on a pool thread so a big photo never stalls the window. A recording or a video plays
from the matched segment (see :mod:`desktop.player`), with its transcript beside it: one line
per segment, the matched one highlighted; a click on a line plays from there. A note shows its
text (read on a pool thread, capped) with the matched excerpt highlighted. The query's words are
bold where the engine found them: each transcript or note reason of the hit is an excerpt with
the spans of those words, placed back in the text shown. Words read in a picture that matched
are marked on it: each picture-text reason carries the boxes of the query's words (or of its
line), drawn over the scaled picture in the palette's highlight colour. Below: the file's
details and the actions Open, Show in folder, Copy path and Find similar; for audio and video
a time range of the file can be searched with.

The player is not started on its own: stepping through results with the arrow keys would
otherwise start a sound at every step. It waits, cued at the matched segment, for Play.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDateTime,
    QDir,
    QEvent,
    QLocale,
    QObject,
    QPointF,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QImage,
    QImageReader,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.languages import language_name, place_name
from desktop.messages import advice
from desktop.player import AROUND_SECONDS, MediaPlayer
from desktop.results import ELLIPSIS, Marked, clock, excerpt, length_text, percent
from desktop.reveal import open_in_default_app, reveal
from desktop.worker import EngineClient
from engine.facade import (
    IN_ENGLISH,
    Box,
    EngineError,
    FileDetails,
    FileKind,
    FileStatus,
    Hit,
    Route,
    Segment,
    TagNames,
)

log = logging.getLogger(__name__)

DECODE_LIMIT = 3072  # longest side a photo is decoded at: sharp on a 4K screen, light on memory
NOTE_LIMIT = 200_000  # characters of a note shown; the rest is cut
HIGHLIGHT_ALPHA = 90  # the palette's Highlight over Base, light enough to read through
TAGS_SHOWN = 5
SEEK_SCHEME = "seek"
MARKDOWN_SUFFIXES = (".md", ".markdown")  # the notes rendered as Markdown
CJK_START = 0x2E80  # from here on, scripts that do not space their words


# --- work for the pool thread ---------------------------------------------------------------


class PreviewError(Exception):
    """A file that cannot be shown; the message says why, for a person."""


def decode_image(path: str, longest: int = DECODE_LIMIT) -> QImage:
    """The picture turned upright (EXIF) and no larger than ``longest`` on its longest side.
    Thread-safe: QImage and QImageReader need no GUI thread."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()  # before the EXIF turn; the scaled size is too, so aspect holds
    if size.isValid() and max(size.width(), size.height()) > longest:
        reader.setScaledSize(size.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise PreviewError(reader.errorString())
    return image


def read_note(path: str, limit: int = NOTE_LIMIT) -> str:
    """A note's text, at most ``limit`` characters (bytes that are not UTF-8 shown as �)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as note:
            text = note.read(limit + 1)
    except OSError as error:
        raise PreviewError(error.strerror or str(error)) from error
    return text if len(text) <= limit else text[:limit] + "\n\u2026"


class _Relay(QObject):
    """Carries a pool thread's answer to the GUI thread (a queued signal). Owned by Python and
    held by every task, so it outlives a pane closed while a task still runs."""

    done = Signal(int, object)  # token, the answer or a PreviewError


class _Task(QRunnable):
    def __init__(self, token: int, work: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._token, self._work, self._relay = token, work, relay

    def run(self) -> None:
        try:
            answer = self._work()
        except PreviewError as error:
            answer = error
        except Exception as error:  # a bug: keep the window alive, say so, log it
            log.exception("preview task failed")
            answer = PreviewError(str(error))
        self._relay.done.emit(self._token, answer)


# --- text with highlights ------------------------------------------------------------------


def highlight_color(palette: QPalette) -> QColor:
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    color.setAlpha(HIGHLIGHT_ALPHA)
    return color


def matched_segment(segments: Sequence[Segment], start: float | None, end: float | None) -> int:
    """The index of the segment a hit points at: the one overlapping ``start..end`` most, else
    the one holding or nearest ``start``; -1 when the hit has no time."""
    if start is None or not segments:
        return -1
    stop = end if end is not None and end > start else start
    overlaps = [min(s.end, stop) - max(s.start, start) for s in segments]
    best = max(range(len(segments)), key=lambda i: overlaps[i])
    if overlaps[best] > 0:
        return best
    return min(range(len(segments)), key=lambda i: abs(segments[i].start - start))


@dataclass(frozen=True)
class Placed:
    """Where an excerpt lies in the text it was taken from, and its matched words there
    (``start, end`` character offsets of that text)."""

    start: int
    end: int
    bold: tuple[tuple[int, int], ...] = ()


def place_excerpt(text: str, shown: Marked) -> Placed | None:
    """``shown`` (whitespace folded, maybe cut with … at either end) found in ``text``, with
    its bold spans moved to ``text``'s offsets; ``None`` when the text does not hold it."""
    lead = len(ELLIPSIS) if shown.text.startswith(ELLIPSIS) else 0
    core = shown.text[lead:].removesuffix(ELLIPSIS)
    if not core.split():
        return None
    found = re.search(r"\s+".join(re.escape(word) for word in core.split()), text)
    if found is None:
        return None
    at, where = found.start(), []  # where[i]: the offset in text of core[i]
    for char in core:
        where.append(at)
        if char == " ":
            while at < found.end() and text[at].isspace():
                at += 1
        else:
            at += 1
    where.append(found.end())
    bold = tuple(
        (where[max(0, s.start - lead)], where[min(len(core), s.end - lead)])
        for s in shown.bold
        if s.end > lead and s.start - lead < len(core)
    )
    return Placed(found.start(), found.end(), bold)


def _bold_pieces(text: str, bold: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(bold):
        if start > at:
            pieces.append((text[at:start], False))
        if end > max(start, at):
            pieces.append((text[max(start, at) : end], True))
        at = max(at, end)
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def render_transcript(
    document: QTextDocument,
    segments: Sequence[Segment],
    matched: int,
    background: QColor,
    bold: Mapping[int, Sequence[tuple[int, int]]],
    tip: str = "",
) -> None:
    """One block per segment, ``0:12  words``, each a link to its time; the matched one on
    ``background``; ``bold`` holds, per segment, the spans of its text shown bold."""
    document.clear()
    cursor = QTextCursor(document)
    for index, segment in enumerate(segments):
        if index:
            cursor.insertBlock()
        block = QTextBlockFormat()
        if index == matched:
            block.setBackground(background)
        cursor.setBlockFormat(block)
        link = QTextCharFormat()
        link.setAnchor(True)
        link.setAnchorHref(f"{SEEK_SCHEME}:{segment.start:.3f}")
        link.setToolTip(tip)
        cursor.insertText(f"{clock(segment.start)}  ", link)
        for piece, strong in _bold_pieces(segment.text, bold.get(index, ())):
            shown = QTextCharFormat(link)
            if strong:
                shown.setFontWeight(QFont.Weight.Bold)
            cursor.insertText(piece, shown)


def transcript_bold(hit: Hit, segments: Sequence[Segment]) -> dict[int, list[tuple[int, int]]]:
    """Per segment, the spans of its text the hit's transcript reasons matched."""
    bold: dict[int, list[tuple[int, int]]] = {}
    for reason in hit.reasons:
        if reason.route is not Route.TRANSCRIPT or reason.excerpt is None:
            continue
        index = matched_segment(segments, reason.start, reason.end)
        if index < 0:
            continue
        placed = place_excerpt(segments[index].text, Marked(reason.excerpt, reason.matched))
        if placed is not None:
            bold.setdefault(index, []).extend(placed.bold)
    return bold


def _in_word(char: str) -> bool:
    # Letters and digits of scripts that space their words: a Chinese run is not one word.
    return char.isalnum() and ord(char) < CJK_START


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``start..end`` of ``text`` widened to the words it cuts: an excerpt that begins inside
    "trunks" highlights all of it, never "t|runks"."""
    while 0 < start < len(text) and _in_word(text[start - 1]) and _in_word(text[start]):
        start -= 1
    while 0 < end < len(text) and _in_word(text[end - 1]) and _in_word(text[end]):
        end += 1
    return start, end


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def render_note(
    document: QTextDocument,
    text: str,
    shown: Marked | None,
    background: QColor,
    markdown: bool = False,
) -> int:
    """The note's text (``markdown``: rendered, headings, lists and links as such) with the
    excerpt on ``background`` and its matched words bold, both in whole words; returns where
    the excerpt starts (-1 when it is not found)."""
    if markdown:
        document.setMarkdown(text)
    else:
        document.setPlainText(text)
    # The excerpt is of the text the engine read (Markdown's marks taken out), which is what
    # the rendered document shows: it is found there, in the document's own positions.
    shown_text = document.toPlainText()
    placed = place_excerpt(shown_text, shown) if shown is not None else None
    if placed is None:
        return -1
    start, end = whole_words(shown_text, placed.start, placed.end)
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    marked = QTextCharFormat()
    marked.setBackground(background)
    cursor.mergeCharFormat(marked)
    strong = QTextCharFormat()
    strong.setFontWeight(QFont.Weight.Bold)
    for bold in placed.bold:
        first, last = whole_words(shown_text, *bold)
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(strong)
    return start


# --- the picture ----------------------------------------------------------------------------


def picture_text_boxes(hit: Hit) -> list[Box]:
    """Where the hit's matched words lie in its picture (fractions of its width and height)."""
    return [box for r in hit.reasons if r.route is Route.PICTURE_TEXT for box in r.boxes]


def draw_marks(image: QImage, boxes: Sequence[Box], color: QColor) -> QImage:
    """A copy of ``image`` with each box (fractions of its size) filled in ``color`` and
    outlined in the same colour, opaque, so that marked words stay readable through it."""
    if not boxes:
        return image
    marked = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    width, height = marked.width(), marked.height()
    painter = QPainter(marked)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    outline = QColor(color)
    outline.setAlpha(255)
    painter.setPen(QPen(outline, max(1.5, min(width, height) / 300)))
    painter.setBrush(QBrush(color))
    for box in boxes:
        corners = [QPointF(box[i] * width, box[i + 1] * height) for i in range(0, 8, 2)]
        painter.drawPolygon(QPolygonF(corners))
    painter.end()
    return marked


class ImageView(QLabel):
    """A decoded picture, scaled to fit (never enlarged) at the screen's pixel density, with
    the boxes of matched words marked on it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(64, 64)
        self.setAccessibleName(self.tr("Picture"))
        self.image = QImage()
        self.marks: list[Box] = []

    def set_image(self, image: QImage, marks: Sequence[Box] = ()) -> None:
        self.image = image
        self.marks = list(marks)
        self.setAccessibleDescription(
            self.tr("The words that matched are marked on the picture.") if marks else ""
        )
        self._fit()

    def clear_image(self) -> None:
        self.image = QImage()
        self.marks = []
        self.setAccessibleDescription("")
        self.clear()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.DevicePixelRatioChange:  # moved to another screen
            self._fit()

    def _fit(self) -> None:
        if self.image.isNull():
            return
        ratio = self.devicePixelRatioF()
        room = QSize(round(self.width() * ratio), round(self.height() * ratio))
        target = self.image.size().boundedTo(room) if room.isValid() else self.image.size()
        scaled = self.image.scaled(
            target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled = draw_marks(scaled, self.marks, highlight_color(self.palette()))
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


# --- details --------------------------------------------------------------------------------


class DetailsView(QWidget):
    """The file's facts as labelled rows; rows without a value are hidden."""

    ROWS = (
        "kind",
        "size",
        "length",
        "taken",
        "recorded",
        "place",
        "camera",
        "modified",
        "folder",
        "spoken",
        "tags",
        "problem",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        titles = self._titles()
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for key in self.ROWS:
            value = QLabel(self)
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(titles[key])
            self._form.addRow(titles[key], value)
            self.values[key] = value
        self.set_values({})

    def _titles(self) -> dict[str, str]:
        return {
            "kind": self.tr("Kind"),
            "size": self.tr("Size"),
            "length": self.tr("Length"),
            "taken": self.tr("Taken"),
            "recorded": self.tr("Recorded"),
            "place": self.tr("Place"),
            "camera": self.tr("Camera"),
            "modified": self.tr("Modified"),
            "folder": self.tr("Folder"),
            "spoken": self.tr("Spoken language"),
            "tags": self.tr("Tags"),
            "problem": self.tr("Problem"),
        }

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            for key, title in self._titles().items():
                label = self._form.labelForField(self.values[key])
                if isinstance(label, QLabel):
                    label.setText(title)
                self.values[key].setAccessibleName(title)
        super().changeEvent(event)

    def set_values(self, values: dict[str, str]) -> None:
        for row, key in enumerate(self.ROWS):
            text = values.get(key, "")
            self.values[key].setText(text)
            self._form.setRowVisible(row, bool(text))

    def set_value(self, key: str, text: str) -> None:
        self.values[key].setText(text)
        self._form.setRowVisible(self.ROWS.index(key), bool(text))


def human_size(size: int, locale: QLocale) -> str:
    """1.5 MB, in the locale's digits (decimal units, as file managers show them)."""
    return locale.formattedDataSize(size, 1, QLocale.DataSizeFormat.DataSizeSIFormat)


# --- the pane -------------------------------------------------------------------------------


class PreviewPane(QWidget):
    """Shows one hit; the window calls :meth:`show_hit` when the current result changes."""

    find_similar = Signal(object)  # the file's Path
    search_range = Signal(object, float, float)  # the file's Path, start, end in seconds
    path_copied = Signal(object)  # the file's Path, now on the clipboard
    open_failed = Signal(object)  # the file's Path: no app opened it

    def __init__(self, engine: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.hit: Hit | None = None
        self.details_shown: FileDetails | None = None
        self.tag_names = IN_ENGLISH  # how tags are named: the UI's language, once known
        self._token = 0
        self._render: Callable[[], None] | None = None  # redraws the text after a theme change
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay()
        self._relay.done.connect(self._task_done)
        self._waiting: dict[int, Callable[[Any], None]] = {}
        self._media: MediaPlayer | None = None
        self._kinds: dict[FileKind, str] = {}

        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setAccessibleName(self.tr("File name"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)

        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Preview status"))
        self.image_view = ImageView(self)
        self.view = QStackedWidget(self)
        self.view.addWidget(self.message)
        self.view.addWidget(self.image_view)

        self.text = QTextBrowser(self)
        self.text.setOpenLinks(False)
        self.text.setAccessibleName(self.tr("Transcript"))
        self.text.anchorClicked.connect(self._link_clicked)

        self.details = DetailsView(self)

        self.open_button = self._button(self.open_file)
        self.reveal_button = self._button(self.reveal_file)
        self.copy_button = self._button(self.copy_path)
        self.similar_button = self._button(self._find_similar)
        self._retranslate()
        self.actions_row = QHBoxLayout()
        for button in (self.open_button, self.reveal_button, self.copy_button):
            self.actions_row.addWidget(button)
        self.actions_row.addStretch(1)
        self.actions_row.addWidget(self.similar_button)

        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.view, 3)
        self._layout.addWidget(self.text, 2)
        self._layout.addWidget(self.details)
        self._layout.addLayout(self.actions_row)
        self.clear()

    def _button(self, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(self)
        button.clicked.connect(slot)
        return button

    def _retranslate(self) -> None:
        self._kinds = {
            FileKind.PHOTO: self.tr("Photo"),
            FileKind.AUDIO: self.tr("Audio"),
            FileKind.VIDEO: self.tr("Video"),
            FileKind.NOTE: self.tr("Note"),
        }
        words = (
            (self.open_button, self.tr("Open"), self.tr("Open with the default app")),
            (
                self.reveal_button,
                self.tr("Show in folder"),
                self.tr("Show the file selected in its folder"),
            ),
            (self.copy_button, self.tr("Copy path"), self.tr("Copy the file's full path")),
            (
                self.similar_button,
                self.tr("Find similar"),
                self.tr("Search for files that look or sound like this one"),
            ),
        )
        for button, text, tip in words:
            button.setText(text)
            button.setAccessibleName(text)
            button.setToolTip(tip)
        self.title.setAccessibleName(self.tr("File name"))
        self.message.setAccessibleName(self.tr("Preview status"))
        if self.hit is None:
            self.message.setText(self.tr("Pick a result to see it here."))
        else:
            self.details.set_value("kind", self._kinds[self.hit.kind])

    # --- the player, made on the first recording or video --------------------------------------

    @property
    def media(self) -> MediaPlayer:
        if self._media is None:
            self._media = MediaPlayer(self)
            self.view.addWidget(self._media)
            self._media.player.durationChanged.connect(self._media_duration)
            self._media.range.chosen.connect(self._range_chosen)
        return self._media

    @property
    def player(self) -> QMediaPlayer:
        """The ``QMediaPlayer`` (made on first use)."""
        return self.media.player

    # --- what the window asks --------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self.hit.path if self.hit is not None else None

    def follow_move(self, file_id: int, path: Path) -> None:
        """The file shown was renamed or moved: its title and actions follow it; what is
        playing goes on."""
        if self.hit is None or self.hit.library is not None or self.hit.file_id != file_id:
            return  # a shared library's file moves on the computer that indexes it
        self.hit = dataclasses.replace(self.hit, path=path)
        self.title.setText(path.name)
        self.title.setToolTip(QDir.toNativeSeparators(str(path)))
        self.details.set_value("folder", self._folder(path))

    def clear(self) -> None:
        """Show nothing (no current result), stop any sound and let go of the file."""
        self.hit = None
        self.details_shown = None
        self._token += 1
        self._waiting.clear()
        self._pool.clear()
        self._render = None
        if self._media is not None:
            self._media.unload()
        self.title.setText("")
        self.image_view.clear_image()
        self._show_message(self.tr("Pick a result to see it here."))
        self.text.clear()
        self.text.hide()
        self.details.set_values({})
        for button in self._action_buttons():
            button.setEnabled(False)

    def show_hit(self, hit: Hit) -> None:
        """Preview ``hit``; its details come from the engine, its picture or text from a pool
        thread, so this returns at once."""
        self.clear()
        self.hit = hit
        path = hit.path
        self.title.setText(path.name)
        self.title.setToolTip(QDir.toNativeSeparators(str(path)))
        for button in self._action_buttons():
            button.setEnabled(True)
        self.details.set_values({"kind": self._kinds[hit.kind], "folder": self._folder(path)})
        kind = hit.kind
        if kind is FileKind.PHOTO:
            self._show_message(self.tr("Loading\u2026"))
            self._submit(functools.partial(decode_image, str(path)), self._image_ready)
        elif kind in (FileKind.AUDIO, FileKind.VIDEO):
            self._show_media(hit, video=kind is FileKind.VIDEO)
        elif kind is FileKind.NOTE:
            self._layout.setStretchFactor(self.view, 0)
            self.view.hide()
            self.text.setAccessibleName(self.tr("Note"))
            self.text.show()
            self.text.setPlainText(self.tr("Loading\u2026"))
            self._submit(functools.partial(read_note, str(path)), self._note_ready)
        token = self._token
        self.engine.details(
            hit.file_id,
            functools.partial(self._details_ready, token),
            functools.partial(self._details_failed, token),
            hit.library,
        )

    def open_file(self) -> None:
        if self.path is not None and not open_in_default_app(self.path):
            log.warning("no app opened %s", self.path)
            self.open_failed.emit(self.path)

    def reveal_file(self) -> None:
        if self.path is not None:
            reveal(self.path, self)

    def copy_path(self) -> None:
        if self.path is not None:
            QGuiApplication.clipboard().setText(QDir.toNativeSeparators(str(self.path)))
            self.path_copied.emit(self.path)

    # --- pieces of show_hit -----------------------------------------------------------------

    def _action_buttons(self) -> tuple[QPushButton, ...]:
        return (self.open_button, self.reveal_button, self.copy_button, self.similar_button)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.view.show()
        self.view.setCurrentWidget(self.message)
        self._layout.setStretchFactor(self.view, 3)

    def _show_media(self, hit: Hit, video: bool) -> None:
        media = self.media
        media.cue(str(hit.path), hit.start or 0.0, video)
        self.view.setCurrentWidget(media)
        self._layout.setStretchFactor(self.view, 3 if video else 0)
        start = hit.start or 0.0
        end = hit.end if hit.end is not None and hit.end > start else start + AROUND_SECONDS
        media.range.set_range(start, end)

    def _folder(self, path: Path) -> str:
        return QDir.toNativeSeparators(str(path.parent))

    def _submit(self, work: Callable[[], object], done: Callable[[Any], None]) -> None:
        self._waiting[self._token] = done
        self._pool.start(_Task(self._token, work, self._relay))

    def _task_done(self, token: int, answer: object) -> None:
        done = self._waiting.pop(token, None)
        if done is not None:  # else a hit since left: its answer is dropped
            done(answer)

    def _image_ready(self, answer: QImage | PreviewError) -> None:
        if isinstance(answer, PreviewError):
            self._show_message(self.tr("Cannot show this picture: {reason}").format(reason=answer))
            return
        marks = picture_text_boxes(self.hit) if self.hit is not None else []
        self.image_view.set_image(answer, marks)
        self.view.setCurrentWidget(self.image_view)

    def _note_ready(self, answer: str | PreviewError) -> None:
        if isinstance(answer, PreviewError):
            self.text.setPlainText(self.tr("Cannot read this note: {reason}").format(reason=answer))
            return
        shown = excerpt(self.hit) if self.hit is not None else None

        markdown = self.hit is not None and is_markdown(self.hit.path)

        def render() -> None:
            background = highlight_color(self.palette())
            at = render_note(self.text.document(), answer, shown, background, markdown)
            if at >= 0:
                self._scroll_to(at)

        self._render = render
        render()

    def _details_ready(self, token: int, details: FileDetails | None) -> None:
        if token != self._token or self.hit is None:
            return
        self.details_shown = details
        if details is None:
            self.details.set_value("problem", self.tr("Not in the index (moved or deleted?)"))
            return
        locale = self.locale()
        modified = QDateTime.fromMSecsSinceEpoch(round(details.modified * 1000))
        self.details.set_value("size", human_size(details.size, locale))
        self.details.set_value(
            "modified", locale.toString(modified, QLocale.FormatType.ShortFormat)
        )
        self._show_tags(details)
        self._show_origin(details, locale)
        spoken = ", ".join(language_name(code) for code in details.languages)
        self.details.set_value("spoken", spoken)
        self.details.set_value("problem", self._problem(details))
        if details.transcript and self.hit.kind in (FileKind.AUDIO, FileKind.VIDEO):
            self._show_transcript(self.hit, details.transcript)

    def _show_tags(self, details: FileDetails) -> None:
        tags = " \u00b7 ".join(  # labels may hold commas ("tabby, tabby cat")
            f"{self.tag_names.name(label)} {percent(probability, self.locale())}"
            for label, probability in details.tags[:TAGS_SHOWN]
        )
        self.details.set_value("tags", tags)

    def set_tag_names(self, names: TagNames) -> None:
        """Name tags as ``names`` do from now on, those shown included."""
        self.tag_names = names
        if self.details_shown is not None:
            self._show_tags(self.details_shown)

    def _show_origin(self, details: FileDetails, locale: QLocale) -> None:
        """When it was taken or recorded, near which town (named in the UI's language where
        the data has the name), and with which camera."""
        taken = ""
        if details.taken is not None:
            moment = QDateTime.fromMSecsSinceEpoch(round(details.taken * 1000))
            taken = locale.toString(moment, QLocale.FormatType.ShortFormat)
        photo = details.kind is FileKind.PHOTO
        self.details.set_value("taken", taken if photo else "")
        self.details.set_value("recorded", "" if photo else taken)
        self.details.set_value("place", "" if details.place is None else place_name(details.place))
        self.details.set_value("camera", details.camera or "")

    def _details_failed(self, token: int, error: EngineError) -> None:
        if token == self._token:
            self.details.set_value("problem", advice(error)[0])

    def _problem(self, details: FileDetails) -> str:
        if details.status is FileStatus.FAILED:
            reason = details.error or self.tr("unknown error")
            return self.tr("Could not be read: {reason}").format(reason=reason)
        if details.status is FileStatus.MISSING:
            return self.tr("Missing: its folder is offline")
        if details.status is FileStatus.PENDING:
            return self.tr("Not indexed yet")
        return ""

    def _show_transcript(self, hit: Hit, segments: Sequence[Segment]) -> None:
        matched = matched_segment(segments, hit.start, hit.end)
        bold = transcript_bold(hit, segments)
        self.text.setAccessibleName(self.tr("Transcript"))
        self.text.show()

        def render() -> None:
            tip = self.tr("Click to play from here")
            background = highlight_color(self.palette())
            render_transcript(self.text.document(), segments, matched, background, bold, tip)
            if matched >= 0:
                self._scroll_to(self.text.document().findBlockByNumber(matched).position())

        self._render = render
        render()

    def _scroll_to(self, position: int) -> None:
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(position)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    # --- answers to the person ---------------------------------------------------------------

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() != SEEK_SCHEME:  # a note's link: the person's browser or app opens it
            QDesktopServices.openUrl(url)
            return
        if self._media is not None:
            try:
                seconds = float(url.path())
            except ValueError:
                return
            self._media.seek(seconds)

    def _find_similar(self) -> None:
        if self.path is not None:
            self.find_similar.emit(self.path)

    def _range_chosen(self, start: float, end: float) -> None:
        if self.path is not None:
            self.search_range.emit(self.path, start, end)

    def _media_duration(self, ms: int) -> None:
        if self.hit is not None and ms > 0:
            self.details.set_value("length", length_text(ms / 1000, self.locale()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._render is not None:
            self._render()  # the highlight follows a switch between light and dark
        elif event.type() == QEvent.Type.LanguageChange:
            self._retranslate()

"""The results grid: one tile per hit, photos, videos, recordings and notes mixed.

Each tile is painted by :class:`ResultDelegate`: a picture (a photo's thumbnail, a video's frame
at the matched second, a recording's waveform with the matched stretch highlighted, the first
words of a note), the file name and one line of why it matched, both elided to the tile, and a
small kind badge. Selection and focus come from the style and palette, so light and dark work.

Pictures come from :class:`Thumbnails`: asked for only by tiles being painted, decoded on a
thread pool (never in ``paint``), kept in a memory LRU bounded by bytes and in an on-disk cache
of small JPEGs under the user's cache folder, at the screen's device pixel ratio. Requests for
tiles scrolled out of view, or of a search that was replaced, are dropped before they run.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import platformdirs
from numpy.typing import NDArray
from PIL import Image
from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QEvent,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QRunnable,
    QSize,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QImageReader,
    QImageWriter,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.bands import Grouping, band_key, band_title, short_date, when
from engine.facade import (
    IN_ENGLISH,
    FileKey,
    FileKind,
    Hit,
    Listed,
    Reason,
    Route,
    Span,
    Strength,
    TagNames,
    media_seconds,
    photo_thumbnail,
    video_frame,
    waveform_peaks,
)

log = logging.getLogger(__name__)

THUMB = 160  # logical pixels of a tile's picture
PathRole = Qt.ItemDataRole.UserRole + 1
HitRole = Qt.ItemDataRole.UserRole + 2
HeadingRole = Qt.ItemDataRole.UserRole + 3
WhyRole = Qt.ItemDataRole.UserRole + 4  # the tile's second line, as :class:`Marked`
# Memory for decoded pictures: ~160 tiles at device pixel ratio 2, ~650 at 1.
MEMORY_BYTES = 64 * 1024 * 1024
WAVEFORM_BINS = 160  # one bar per logical pixel of the picture
PAD = 6  # around a tile's content
GAP = 4  # between the picture and the text
SPACING = 8  # between tiles
# No decoding starts until scrolling has paused this long: tiles fly past faster than they decode.
SCROLL_PAUSE_MS = 80
LAYOUT_BATCH = 500  # rows the grid lays out between two turns of the event loop
_JPEG_QUALITY = 85

LEAD_WORDS = 2  # words shown before the first matched word of an excerpt on a tile
LEAD_CHARACTERS = 4  # or characters, in text written without spaces
ELLIPSIS = "\u2026"

_ModelIndex = QModelIndex | QPersistentModelIndex


# --- why it matched --------------------------------------------------------------------------
#
# A hit's reasons are values (:class:`engine.search.results.Reason`); here they become words in
# the UI's language. An excerpt keeps its matched spans so that the query's words show in bold.


@dataclass(frozen=True)
class Marked:
    """Text with stretches to show bold: the query's words in an excerpt."""

    text: str
    bold: tuple[Span, ...] = ()


def clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def length_text(seconds: float, locale: QLocale | None = None) -> str:
    """A recording's length: 0:07, 1:02:03; under a second in tenths, "0.4 s" (not "0:00")."""
    if seconds >= 1:
        return clock(seconds)
    shown = (locale or QLocale()).toString(max(round(seconds, 1), 0.1), "f", 1)
    return QCoreApplication.translate("ResultDelegate", "{seconds} s").format(seconds=shown)


def percent(probability: float, locale: QLocale | None = None) -> str:
    """62 %, in the locale's digits and sign."""
    locale = locale or QLocale()
    return f"{locale.toString(round(probability * 100))}{locale.percent()}"


def reason_line(reason: Reason, names: TagNames = IN_ENGLISH) -> Marked:
    """One reason in a few words: “water the tomato…” at 0:12, tag: tabby cat (62%), looks like
    dog.jpg; an excerpt with its matched words bold; tags named as ``names`` say (the UI's
    language)."""
    translate = QCoreApplication.translate  # by this name, lupdate finds the strings
    where = ""
    if reason.start is not None:
        where = " " + translate("ResultDelegate", "at {time}").format(time=clock(reason.start))
    if reason.route is Route.NAME and reason.excerpt is not None:
        said = translate("ResultDelegate", "name: {name}")
        shift = max(said.find("{name}"), 0)
        return Marked(
            said.format(name=reason.excerpt),
            tuple(Span(s.start + shift, s.end + shift) for s in reason.matched),
        )
    if reason.route is Route.PICTURE_TEXT and reason.excerpt is not None:
        shown = lead_in(Marked(reason.excerpt, reason.matched))
        said = translate("ResultDelegate", "in the picture: \u201c{words}\u201d")
        head, _, tail = said.partition("{words}")
        shift = len(head)
        return Marked(
            head + shown.text + tail + where,
            tuple(Span(s.start + shift, s.end + shift) for s in shown.bold),
        )
    if reason.excerpt is not None and reason.route not in (Route.TAG, Route.VISUAL, Route.SOUND):
        # Words said, a note's text, or the text of any other kind of item that has words.
        shown = lead_in(Marked(reason.excerpt, reason.matched))
        quoted = f"\u201c{shown.text}\u201d"
        return Marked(quoted + where, tuple(Span(s.start + 1, s.end + 1) for s in shown.bold))
    if reason.route is Route.TAG and reason.label is not None:
        label = names.name(reason.label)
        if reason.probability is None:
            return Marked(translate("ResultDelegate", "tag: {label}").format(label=label))
        said = translate("ResultDelegate", "tag: {label} ({percent})")
        return Marked(said.format(label=label, percent=percent(reason.probability)))
    if reason.route is Route.SHOWS and reason.label is not None:
        said = translate("ResultDelegate", "shows: {things}")
        between = translate("ResultDelegate", ", ", "between the names in a list: 、 in Chinese")
        return Marked(said.format(things=between.join(names.shown(reason.label))) + where)
    sound = reason.route is Route.SOUND
    if reason.asked is not None:
        if sound:
            said = translate("ResultDelegate", "sounds like \u201c{words}\u201d")
        else:
            said = translate("ResultDelegate", "looks like \u201c{words}\u201d")
        return Marked(said.format(words=reason.asked) + where)
    if reason.example is not None:
        if sound:
            said = translate("ResultDelegate", "sounds like {what}")
        else:
            said = translate("ResultDelegate", "looks like {what}")
        return Marked(said.format(what=reason.example.name) + where)
    if sound:
        return Marked(translate("ResultDelegate", "sounds similar") + where)
    return Marked(translate("ResultDelegate", "looks similar") + where)


def lead_in(excerpt: Marked) -> Marked:
    """The excerpt from a few words before its first matched word (after ``…``), so that a
    line elided on the right still shows the match; in text written without spaces (Chinese),
    from a few characters before it."""
    if not excerpt.bold:
        return excerpt
    text, first = excerpt.text, excerpt.bold[0].start
    if " " not in text[:first]:
        begin = max(0, first - LEAD_CHARACTERS)
    else:
        begin = first
        for _ in range(LEAD_WORDS + 1):
            begin = text.rfind(" ", 0, begin)
            if begin < 0:
                return excerpt  # the match is among the first words already
        begin += 1
    if begin <= (len(ELLIPSIS) if text.startswith(ELLIPSIS) else 0):
        return excerpt
    shift = len(ELLIPSIS) - begin
    return Marked(
        ELLIPSIS + text[begin:], tuple(Span(s.start + shift, s.end + shift) for s in excerpt.bold)
    )


def why_line(hit: Hit, names: TagNames = IN_ENGLISH) -> Marked:
    """The best evidence, in one line."""
    return (
        reason_line(hit.reasons[0], names)
        if hit.reasons
        else Marked(QCoreApplication.translate("ResultDelegate", "looks similar"))
    )


def why_text(hit: Hit, names: TagNames = IN_ENGLISH) -> str:
    """Why a hit matched, best evidence first, one reason a line (for tooltips), and the
    shared library it came from."""
    lines = [reason_line(reason, names).text for reason in hit.reasons]
    why = "\n".join(lines) or QCoreApplication.translate("ResultDelegate", "looks similar")
    if hit.library is None:
        return why
    source = QCoreApplication.translate("ResultDelegate", "From the shared library {library}")
    return f"{why}\n{source.format(library=library_name(hit.library))}"


def library_name(uri: str) -> str:
    """A shared library as a person names it: the computer (``nas``), or the file's name."""
    host = urlsplit(uri).hostname
    return host or Path(uri).name


def excerpt(hit: Hit) -> Marked | None:
    """The excerpt of a note that matched, with the query's words, or ``None``."""
    for reason in hit.reasons:
        if reason.route is Route.NOTE and reason.excerpt is not None:
            return Marked(reason.excerpt, reason.matched)
    return None


def marked_layout(marked: Marked, font: QFont, width: float, wrap: bool = False) -> QTextLayout:
    """``marked`` laid out in ``font``, its bold stretches bold, in lines of ``width``."""
    layout = QTextLayout(marked.text, font)
    option = QTextOption()
    option.setWrapMode(
        QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere if wrap else QTextOption.WrapMode.NoWrap
    )
    layout.setTextOption(option)
    strong = QTextCharFormat()
    strong.setFontWeight(QFont.Weight.Bold)
    ranges = []
    for span in marked.bold:
        stretch = QTextLayout.FormatRange()
        stretch.start, stretch.length, stretch.format = span.start, span.end - span.start, strong
        ranges.append(stretch)
    layout.setFormats(ranges)
    layout.beginLayout()
    top = 0.0
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        line.setPosition(QPointF(0, top))
        top += line.height()
    layout.endLayout()
    return layout


def elided(marked: Marked, font: QFont, width: int) -> Marked:
    """``marked`` cut on the right with ``…`` to fit ``width`` once its bold words are bold."""
    metrics = QFontMetrics(font)
    strong = QFont(font)
    strong.setBold(True)
    wider = QFontMetrics(strong)
    extra = sum(
        wider.horizontalAdvance(marked.text[s.start : s.end])
        - metrics.horizontalAdvance(marked.text[s.start : s.end])
        for s in marked.bold
    )
    text = metrics.elidedText(marked.text, Qt.TextElideMode.ElideRight, max(0, width - extra))
    if text == marked.text:
        return marked
    kept = len(text) - 1 if text.endswith(ELLIPSIS) else len(text)
    if not marked.text.startswith(text[:kept]):
        return Marked(text)  # cut some other way: the words, without bold
    bold = tuple(Span(s.start, min(s.end, kept)) for s in marked.bold if s.start < kept)
    return Marked(text, bold)


# --- pictures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """What a picture depends on besides the file's bytes (the disk key adds size and mtime)."""

    kind: FileKind
    path: Path
    start: int  # whole second of a video frame, -1 otherwise
    pixels: int  # longer side in device pixels, or bins of a waveform


@dataclass(frozen=True)
class Waveform:
    """A recording's peaks as a polygon in unit space (x 0..1, y -1..1), and its length."""

    polygon: QPolygonF
    seconds: float

    @property
    def nbytes(self) -> int:
        return 16 * self.polygon.size() + 64


@dataclass(frozen=True)
class CacheStats:
    jobs_started: int  # pool jobs: a disk read, else a decode
    decodes: int  # pictures made from the media file itself
    disk_hits: int
    failures: int
    memory_bytes: int
    memory_items: int


@dataclass
class _Waiting:
    key: _Key
    dpr: float
    rows: set[int] = field(default_factory=set)


class DiskCache:
    """Small pictures on disk, named by a hash of the file's path, size, mtime and the request;
    written atomically, so a reader never sees half a file. Safe from any thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def name(self, key: _Key, suffix: str) -> Path:
        info = os.stat(key.path)
        text = "\0".join(
            map(str, (key.kind, key.path, info.st_size, info.st_mtime_ns, key.start, key.pixels))
        )
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]
        return self.folder / f"{digest}{suffix}"

    def load_image(self, target: Path) -> QImage | None:
        if not target.is_file():
            return None
        image = QImageReader(str(target)).read()
        return None if image.isNull() else image

    def save_image(self, target: Path, image: QImage) -> None:
        """A JPEG, or a PNG for a cut-out (the reader tells them by their content)."""

        def write(part: Path) -> bool:
            writer = QImageWriter(str(part), b"png" if image.hasAlphaChannel() else b"jpeg")
            writer.setQuality(_JPEG_QUALITY)
            return writer.write(image)

        self._replace(target, write)

    def load_array(self, target: Path) -> NDArray[np.float32] | None:
        if not target.is_file():
            return None
        try:
            return np.asarray(np.load(target, allow_pickle=False), np.float32)
        except (OSError, ValueError):
            return None

    def save_array(self, target: Path, values: NDArray[np.float32]) -> None:
        def write(part: Path) -> bool:
            with part.open("wb") as file:
                np.save(file, values)
            return True

        self._replace(target, write)

    def _replace(self, target: Path, write: Callable[[Path], bool]) -> None:
        # Unique per writer: two jobs for the same picture never write one half-file.
        part = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.part")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if write(part):
                os.replace(part, target)
        except OSError as error:
            log.debug("thumbnail cache write failed: %s", error)
        finally:
            part.unlink(missing_ok=True)


def default_cache_folder() -> Path:
    """Under the user's cache folder, never beside their files."""
    return platformdirs.user_cache_path("trove", appauthor=False) / "thumbnails"


class _JobSignals(QObject):
    done = Signal(object, object, bool)  # key, QImage | array | None, decoded from the media


def _to_qimage(image: Image.Image) -> QImage:
    if image.mode == "RGBA":
        width, height = image.size
        data = image.tobytes()
        return QImage(data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
    rgb = image.convert("RGB")
    width, height = rgb.size
    data = rgb.tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class _Job(QRunnable):
    """Makes one picture on the pool: from the disk cache, else from the media file."""

    def __init__(self, key: _Key, disk: DiskCache, signals: _JobSignals) -> None:
        super().__init__()
        self._key = key
        self._disk = disk
        self._signals = signals

    def run(self) -> None:
        try:
            payload, decoded = self._make()
        except Exception as error:  # a tile is never worth a crash: it keeps its kind icon
            log.debug("no picture for %s: %s", self._key.path, error)
            payload, decoded = None, True
        self._signals.done.emit(self._key, payload, decoded)

    def _make(self) -> tuple[QImage | NDArray[np.float32], bool]:
        key, path = self._key, self._key.path
        if key.kind is FileKind.AUDIO:
            target = self._disk.name(key, ".npy")
            stored = self._disk.load_array(target)
            if stored is not None:
                return stored, False
            values = np.concatenate(
                [[media_seconds(path)], waveform_peaks(path, key.pixels)]
            ).astype(np.float32)
            self._disk.save_array(target, values)
            return values, True
        target = self._disk.name(key, ".pic")  # JPEG, or PNG for a cut-out
        image = self._disk.load_image(target)
        if image is not None:
            return image, False
        if key.kind is FileKind.VIDEO:
            picture = video_frame(path, max(0, key.start), key.pixels)
        else:
            picture = photo_thumbnail(path, key.pixels, alpha=True)
        image = _to_qimage(picture)
        self._disk.save_image(target, image)
        return image, True


def _waveform(values: NDArray[np.float32]) -> Waveform:
    """Bars as one step polygon: the top edge left to right, the bottom edge back."""
    seconds, peaks = float(values[0]), np.maximum(values[1:], 0.02)  # silence: a thin line
    bins = len(peaks)
    top: list[QPointF] = []
    for index, peak in enumerate(peaks.tolist()):
        top += [QPointF(index / bins, -peak), QPointF((index + 1) / bins, -peak)]
    bottom = [QPointF(point.x(), -point.y()) for point in reversed(top)]
    return Waveform(QPolygonF(top + bottom), seconds)


class Thumbnails(QObject):
    """Tile pictures by hit: served from memory, else made on a thread pool, lazily.

    ``size`` is the picture's side in logical pixels; ``cache_folder`` the on-disk cache
    (default: the user's cache folder); ``memory_bytes`` bounds the decoded pictures held.
    ``ready(path)`` says a picture of that file (a :class:`Path`) arrived (or failed): repaint
    its tiles.
    """

    ready = Signal(object)

    def __init__(
        self,
        size: int = THUMB,
        parent: QObject | None = None,
        *,
        cache_folder: Path | None = None,
        memory_bytes: int = MEMORY_BYTES,
        threads: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.size = size
        self._disk = DiskCache(cache_folder or default_cache_folder())
        self._memory_bytes = memory_bytes
        self._memory: OrderedDict[_Key, QPixmap | Waveform] = OrderedDict()
        self._used = 0
        self._failed: set[_Key] = set()
        self._waiting: OrderedDict[_Key, _Waiting] = OrderedDict()
        self._running: dict[_Key, float] = {}
        self._counts = {"jobs": 0, "decodes": 0, "disk": 0, "failures": 0}
        # Created before the signals object: children die in order, so the pool waits for its
        # jobs while their signals can still be delivered.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads or max(1, min(4, QThread.idealThreadCount() // 2)))
        self._signals = _JobSignals(self)
        self._signals.done.connect(self._arrived)
        self._pump_soon = QTimer(self)  # starts a paint pass's requests once it is over
        self._pump_soon.setSingleShot(True)
        self._pump_soon.setInterval(0)
        self._pump_soon.timeout.connect(self._pump)

    # --- what tiles ask for ---------------------------------------------------------------

    def picture(self, hit: Hit, dpr: float = 1.0, row: int = -1) -> QPixmap | None:
        """A photo's thumbnail or a video's frame at ``hit.start``, at ``dpr``; ``None`` while
        it is made, or when it cannot be (then the tile shows its kind icon)."""
        start = int(hit.start) if hit.kind is FileKind.VIDEO and hit.start is not None else -1
        key = _Key(hit.kind, hit.path, start, math.ceil(self.size * dpr))
        found = self._lookup(key, dpr, row)
        return found if isinstance(found, QPixmap) else None

    def waveform(self, hit: Hit, row: int = -1) -> Waveform | None:
        """The whole recording's waveform (the tile highlights the hit's stretch), or ``None``."""
        found = self._lookup(_Key(FileKind.AUDIO, hit.path, -1, WAVEFORM_BINS), 1.0, row)
        return found if isinstance(found, Waveform) else None

    def retain(self, visible: Callable[[int], bool]) -> None:
        """Drop waiting requests whose tiles are all out of view (jobs already running finish)."""
        for key, waiting in list(self._waiting.items()):
            if not any(visible(row) for row in waiting.rows):
                del self._waiting[key]

    def hold(self, ms: int = SCROLL_PAUSE_MS) -> None:
        """Start no job for ``ms`` (again from now): the view is scrolling."""
        self._pump_soon.start(ms)

    def forget_waiting(self) -> None:
        """A new search replaced the tiles: nothing asked for before is wanted now."""
        self._waiting.clear()

    @property
    def busy(self) -> bool:
        """Whether pictures are waiting or being made."""
        return bool(self._waiting or self._running)

    @property
    def stats(self) -> CacheStats:
        counts = self._counts
        return CacheStats(
            counts["jobs"],
            counts["decodes"],
            counts["disk"],
            counts["failures"],
            self._used,
            len(self._memory),
        )

    def shutdown(self) -> None:
        self._waiting.clear()
        self._pool.clear()
        self._pool.waitForDone()

    # --- inside ---------------------------------------------------------------------------

    def _lookup(self, key: _Key, dpr: float, row: int) -> QPixmap | Waveform | None:
        found = self._memory.get(key)
        if found is not None:
            self._memory.move_to_end(key)
            return found
        if key in self._failed or key in self._running:
            return None
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = self._waiting[key] = _Waiting(key, dpr)
            self._schedule()
        waiting.rows.add(row)
        return None

    def _pump(self) -> None:
        while self._waiting and len(self._running) < self._pool.maxThreadCount():
            key, waiting = self._waiting.popitem(last=False)  # reading order
            self._running[key] = waiting.dpr
            self._counts["jobs"] += 1
            self._pool.start(_Job(key, self._disk, self._signals))

    def _arrived(self, key: _Key, payload: object, decoded: bool) -> None:
        dpr = self._running.pop(key, 1.0)
        if isinstance(payload, QImage):
            pixmap = QPixmap.fromImage(payload)
            pixmap.setDevicePixelRatio(dpr)
            self._store(key, pixmap, pixmap.width() * pixmap.height() * pixmap.depth() // 8)
        elif isinstance(payload, np.ndarray) and len(payload) > 1:
            wave = _waveform(payload)
            self._store(key, wave, wave.nbytes)
        else:
            self._failed.add(key)
            self._counts["failures"] += 1
        if payload is not None:
            self._counts["decodes" if decoded else "disk"] += 1
        self.ready.emit(key.path)
        self._schedule()

    def _schedule(self) -> None:
        if not self._pump_soon.isActive():  # else held: it starts them when the hold ends
            self._pump_soon.start(0)

    def _store(self, key: _Key, value: QPixmap | Waveform, size: int) -> None:
        if size > self._memory_bytes:
            return  # bigger than the whole budget: served from disk each time instead
        self._memory[key] = value
        self._used += size
        while self._used > self._memory_bytes:
            _, dropped = self._memory.popitem(last=False)
            self._used -= _nbytes(dropped)


def _nbytes(value: QPixmap | Waveform) -> int:
    if isinstance(value, Waveform):
        return value.nbytes
    return value.width() * value.height() * value.depth() // 8


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A line across the grid naming the band of results below it."""

    text: str


class ResultsModel(QAbstractListModel):
    """One search's hits, a row each; ``HitRole`` gives the :class:`Hit` itself. When the
    search also found weaker candidates, a heading row names each band: the good matches (or
    that there is none), then, below a divider, the other possible matches.

    Or the library (:meth:`set_library`): the files a listing chose, newest first, a heading
    starting each day, month or year; loaded a page at a time, ``more_wanted(offset)`` asks
    for the page after the last one loaded when the view scrolls to the end of them."""

    more_wanted = Signal(int)  # the offset of the next page of the library

    def __init__(self, images: Thumbnails, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.images = images
        self._rows_shown: list[Hit | Heading] = []
        self._dated: dict[int, float] = {}  # file id -> its date, while showing the library
        self._library = LibraryRows()
        self._new: set[FileKey] = set()  # the files of hits marked new
        self._rows: dict[Path, list[int]] = {}
        self.tag_names = IN_ENGLISH  # how tags are named: the UI's language, once known
        self._headings: list[int] = []  # the rows of the headings, in order
        images.ready.connect(self._picture_ready)
        style = QApplication.style()
        pixmap = QStyle.StandardPixmap
        self._icons = {
            FileKind.PHOTO: style.standardIcon(pixmap.SP_FileIcon),
            FileKind.AUDIO: style.standardIcon(pixmap.SP_MediaVolume),
            FileKind.VIDEO: style.standardIcon(pixmap.SP_MediaPlay),
            FileKind.NOTE: style.standardIcon(pixmap.SP_FileDialogDetailedView),
        }
        self._kinds = {
            FileKind.PHOTO: self.tr("Photo"),
            FileKind.AUDIO: self.tr("Audio"),
            FileKind.VIDEO: self.tr("Video"),
            FileKind.NOTE: self.tr("Note"),
        }
        self._strengths = {
            Strength.STRONG: self.tr("Strong match"),
            Strength.GOOD: self.tr("Good match"),
            Strength.WEAK: self.tr("Weak match"),
        }

    def set_hits(
        self, hits: Sequence[Hit], new: Collection[FileKey] = (), weaker: Sequence[Hit] = ()
    ) -> None:
        """Show ``hits`` and, under a divider, the ``weaker`` candidates; those whose file is
        in ``new`` are marked new (found again after the index changed, and not shown
        before)."""
        rows: list[Hit | Heading] = list(hits)
        if weaker:
            best = self.tr("Best matches") if hits else self.tr("No good match")
            rows = [Heading(best), *hits, Heading(self.tr("Other possible matches")), *weaker]
        self._library = LibraryRows()
        self._reset(rows, set(new), {})

    def set_library(
        self, files: Sequence[Listed], total: int, grouping: Grouping = Grouping.MONTH
    ) -> None:
        """Show the first files of a listing (of ``total``), in their order, in bands; each
        tile gives its file's date instead of why it matched."""
        self._library = LibraryRows(grouping, total)
        rows = self._library.rows_for(files)
        self._reset(rows, set(), {file.file_id: when(file) for file in files})

    def add_page(self, files: Sequence[Listed]) -> None:
        """The library's next page, after the files loaded: its rows are appended."""
        self._library.asked = False
        if not files or not self.showing_library:
            return
        rows = self._library.rows_for(files)
        first = len(self._rows_shown)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows_shown.extend(rows)
        self._dated.update((file.file_id, when(file)) for file in files)
        self._index_rows(first)
        self.endInsertRows()

    @property
    def showing_library(self) -> bool:
        return self._library.total is not None

    @property
    def library(self) -> LibraryRows:
        return self._library

    def row_of_file(self, position: int) -> int:
        """The row of the library's ``position``-th file (headings counted in)."""
        return self._library.row_of_file(position)

    def band_of(self, row: int) -> str | None:
        """The heading of the band ``row`` is in, or None (no bands, or before the first)."""
        above = bisect.bisect_right(self._headings, row) - 1
        if above < 0:
            return None
        heading = self._rows_shown[self._headings[above]]
        return heading.text if isinstance(heading, Heading) else None

    def canFetchMore(self, parent: _ModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        library = self._library
        return (
            not parent.isValid()
            and library.total is not None
            and not library.asked
            and library.loaded < library.total
        )

    def fetchMore(self, parent: _ModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._library.asked = True
            self.more_wanted.emit(self._library.loaded)

    def _reset(self, rows: list[Hit | Heading], new: set[FileKey], dated: dict[int, float]) -> None:
        self.images.forget_waiting()
        self.beginResetModel()
        self._rows_shown, self._new, self._dated = rows, new, dated
        self._index_rows()
        self.endResetModel()

    def is_heading(self, row: int) -> bool:
        return 0 <= row < len(self._rows_shown) and isinstance(self._rows_shown[row], Heading)

    def hit(self, row: int) -> Hit | None:
        """The hit of a row; None for a heading."""
        shown = self._rows_shown[row]
        return shown if isinstance(shown, Hit) else None

    def hits(self) -> list[Hit]:
        """Every hit shown, in order: the good matches, then the weaker ones."""
        return [shown for shown in self._rows_shown if isinstance(shown, Hit)]

    def first_row(self) -> int | None:
        return self.step(-1, 1)

    def step(self, row: int, offset: int) -> int | None:
        """The hit row ``offset`` hits away from ``row`` (headings skipped), clamped to the
        first and last hit; None when nothing is shown."""
        rows = [r for r, shown in enumerate(self._rows_shown) if isinstance(shown, Hit)]
        if not rows:
            return None
        ahead = [r for r in rows if r > row] if offset > 0 else [r for r in rows if r < row]
        if not ahead:
            return max(rows[0], min(rows[-1], row)) if row in rows else rows[0]
        steps = min(abs(offset), len(ahead))
        return ahead[steps - 1] if offset > 0 else ahead[-steps]

    def row_of(self, file: FileKey) -> int | None:
        return next(
            (
                row
                for row, shown in enumerate(self._rows_shown)
                if isinstance(shown, Hit) and shown.key == file
            ),
            None,
        )

    def is_new(self, row: int) -> bool:
        hit = self.hit(row)
        return hit is not None and hit.key in self._new

    def rename(self, file: FileKey, path: Path) -> None:
        """The file of a tile was renamed or moved: the tile follows, in place."""
        row = self.row_of(file)
        hit = None if row is None else self.hit(row)
        if row is None or hit is None:
            return
        self._rows_shown[row] = replace(hit, path=path)
        self._index_rows()
        self.dataChanged.emit(self.index(row), self.index(row))

    def remove(self, file: FileKey) -> None:
        """The file of a tile is no longer searchable (deleted, excluded, unreadable)."""
        row = self.row_of(file)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows_shown[row]
        self._new.discard(file)
        self._index_rows()
        self.endRemoveRows()

    def _index_rows(self, first: int = 0) -> None:
        """Where each file's tiles and each heading are, from row ``first`` on (the rows
        before it are indexed already)."""
        if first == 0:
            self._rows, self._headings = {}, []
        for row in range(first, len(self._rows_shown)):
            shown = self._rows_shown[row]
            if isinstance(shown, Hit):
                self._rows.setdefault(shown.path, []).append(row)
            else:
                self._headings.append(row)

    def set_tag_names(self, names: TagNames) -> None:
        """Name tags as ``names`` do from now on; the tiles shown say so at once."""
        self.tag_names = names
        if self._rows_shown:
            last = self.index(len(self._rows_shown) - 1)
            roles = [WhyRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole]
            self.dataChanged.emit(self.index(0), last, roles)

    def kind_name(self, kind: FileKind) -> str:
        return self._kinds[kind]

    def why(self, hit: Hit) -> Marked:
        """A tile's second line: why it matched, or, in the library, the file's date."""
        seconds = self._dated.get(hit.file_id)
        return why_line(hit, self.tag_names) if seconds is None else Marked(short_date(seconds))

    def strength_name(self, strength: Strength) -> str:
        """A score in words: people cannot read 0.79, and it means another thing per query."""
        return self._strengths[strength]

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows_shown)

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        if index.isValid() and self.hit(index.row()) is None:
            return Qt.ItemFlag.NoItemFlags  # a heading: not selectable, skipped by the keys
        return super().flags(index)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows_shown):
            return None
        hit = self._rows_shown[index.row()]
        if isinstance(hit, Heading):
            shown = (HeadingRole, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole)
            return hit.text if role in shown else None
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.path.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons[hit.kind]
        if role == WhyRole:
            return self.why(hit)
        if role == Qt.ItemDataRole.ToolTipRole:
            if hit.file_id in self._dated:
                return f"{hit.path}\n{self.why(hit).text}"
            why = why_text(hit, self.tag_names)
            return f"{hit.path}\n{self.strength_name(hit.strength)}\n{why}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            named = f"{self.kind_name(hit.kind)} {hit.path.name}"
            if hit.file_id in self._dated:
                return f"{named}, {self.why(hit).text}"
            return f"{named}, {self.strength_name(hit.strength)}, {self.why(hit).text}"
        if role == PathRole:
            return str(hit.path)
        return None

    def _picture_ready(self, path: Path) -> None:
        rows = self._rows.get(path)
        if rows:  # one range: a file repeated down the list repaints once, not per row
            roles = [Qt.ItemDataRole.DecorationRole]
            self.dataChanged.emit(self.index(rows[0]), self.index(rows[-1]), roles)


class LibraryRows:
    """What the model keeps of the library shown: how many files of how many are loaded, the
    band the last one is in, and where each band starts (to find a file's row)."""

    def __init__(self, grouping: Grouping = Grouping.MONTH, total: int | None = None) -> None:
        self.grouping = grouping
        self.total = total  # None: not the library
        self.asked = False  # a page is on its way
        self.files: list[Listed] = []  # those loaded, in order
        self.band_starts: list[int] = []  # the file positions that start a band
        self._last_key: tuple[int, ...] | None = None

    def rows_for(self, files: Sequence[Listed]) -> list[Hit | Heading]:
        """The rows of ``files``, the next files of the listing, with a heading before each
        that starts a band."""
        rows: list[Hit | Heading] = []
        for file in files:
            key = band_key(when(file), self.grouping)
            if key != self._last_key:
                self.band_starts.append(self.loaded)
                rows.append(Heading(band_title(when(file), self.grouping)))
                self._last_key = key
            rows.append(Hit(file.file_id, file.kind, file.path, 0.0))
            self.files.append(file)
        return rows

    @property
    def loaded(self) -> int:
        return len(self.files)

    def year_starts(self) -> list[int]:
        """The file positions where a new year starts (the newest file starts one too)."""
        starts, year = [], None
        for position in self.band_starts:
            began = band_key(when(self.files[position]), Grouping.YEAR)
            if began != year:
                starts.append(position)
                year = began
        return starts

    def row_of_file(self, position: int) -> int:
        return position + bisect.bisect_right(self.band_starts, position)


# --- the tiles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileGeometry:
    picture: QRect
    name: QRect
    why: QRect


@dataclass(frozen=True)
class TileTexts:
    name: str
    why: str
    why_bold: tuple[Span, ...] = ()  # the query's words in ``why``


class ResultDelegate(QStyledItemDelegate):
    """Paints a tile: picture, badge, elided name and why-line; asks :class:`Thumbnails` for
    pictures of the tiles it paints, and nothing else."""

    def __init__(self, images: Thumbnails, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.images = images
        self.width = 0  # a tile's width, set by the view to fill its rows; 0: the least
        self.model: ResultsModel | None = None  # the view's, where it tells (a faster sizeHint)
        self._sized: tuple[tuple[int, int], QSize] | None = None

    def forget_size(self) -> None:
        """The font changed: the tile's size is measured again."""
        self._sized = None

    def tile_size(self, metrics: QFontMetrics) -> QSize:
        side = self.images.size
        width = max(self.width, side + 2 * PAD)
        return QSize(width, PAD + side + GAP + 2 * metrics.lineSpacing() + PAD)

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:  # noqa: N802
        # Asked once per row at each layout: 50,000 times for a large library, so the answer
        # comes from the model's list and a size kept until the tiles change.
        model = self.model
        heading = (
            model.is_heading(index.row())
            if model is not None
            else index.data(HeadingRole) is not None
        )
        if heading:
            return self.heading_size(option)
        key = (self.width, self.images.size)  # and the font: a change of it clears the size
        if self._sized is None or self._sized[0] != key:
            self._sized = (key, self.tile_size(option.fontMetrics))
        return self._sized[1]

    def heading_size(self, option: QStyleOptionViewItem) -> QSize:
        """As wide as the view, so that the tiles of the next band start on a new line."""
        view = option.widget
        width = view.viewport().width() if isinstance(view, QListView) else 0
        line = option.fontMetrics.lineSpacing()
        return QSize(max(width - 2 * SPACING, line), 2 * line)

    def geometry(self, rect: QRect, metrics: QFontMetrics) -> TileGeometry:
        side = self.images.size
        left = rect.left() + (rect.width() - side) // 2
        picture = QRect(left, rect.top() + PAD, side, side)
        line = metrics.lineSpacing()
        text_width = rect.width() - 2 * PAD
        name = QRect(rect.left() + PAD, picture.bottom() + 1 + GAP, text_width, line)
        why = QRect(name.left(), name.bottom() + 1, text_width, line)
        return TileGeometry(picture, name, why)

    def texts(
        self, hit: Hit, font: QFont, geometry: TileGeometry, said: Marked | None = None
    ) -> TileTexts:
        """The name (elided at its end: a camera's names differ in the date and number that
        follow a common start) and the why-line (``said``, else why ``hit`` matched), each
        fitting."""
        metrics = QFontMetrics(font)
        name = metrics.elidedText(hit.path.name, Qt.TextElideMode.ElideRight, geometry.name.width())
        why = elided(said or why_line(hit), font, geometry.why.width())
        return TileTexts(name, why.text, why.bold)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        heading = index.data(HeadingRole)
        if isinstance(heading, str):
            self.paint_heading(painter, option, heading)
            return
        hit = index.data(HitRole)
        if not isinstance(hit, Hit):
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        painter.save()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        metrics = option.fontMetrics
        geometry = self.geometry(option.rect, metrics)
        palette: QPalette = option.palette
        group = _group(option)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        self._paint_picture(painter, option, hit, index.row(), geometry.picture, icon)
        self._paint_badge(painter, option, hit, index, geometry.picture)

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        said = index.data(WhyRole)
        texts = self.texts(hit, option.font, geometry, said if isinstance(said, Marked) else None)
        role = QPalette.ColorRole
        painter.setFont(option.font)
        painter.setPen(palette.color(group, role.HighlightedText if selected else role.Text))
        centred = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(geometry.name, centred, texts.name)
        if not selected:
            painter.setPen(palette.color(group, role.PlaceholderText))
        why = marked_layout(Marked(texts.why, texts.why_bold), option.font, geometry.why.width())
        line = why.lineAt(0)
        left = geometry.why.left() + (geometry.why.width() - line.naturalTextWidth()) / 2
        top = geometry.why.top() + (geometry.why.height() - line.height()) / 2
        why.draw(painter, QPointF(left, top))
        if option.state & QStyle.StateFlag.State_HasFocus:
            self._paint_focus(painter, option, style, widget)
        painter.restore()

    # --- parts ----------------------------------------------------------------------------

    def paint_heading(self, painter: QPainter, option: QStyleOptionViewItem, text: str) -> None:
        """The band's name in bold, and a divider from its end to the view's edge."""
        painter.save()
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        palette: QPalette = option.palette
        group = _group(option)
        painter.setPen(palette.color(group, QPalette.ColorRole.Text))
        rect = option.rect.adjusted(PAD, 0, -PAD, 0)
        aligned = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        drawn = painter.drawText(rect, aligned, text)
        painter.setPen(palette.color(group, QPalette.ColorRole.Mid))
        y = rect.center().y()
        if drawn.right() + 2 * GAP < rect.right():
            painter.drawLine(drawn.right() + 2 * GAP, y, rect.right(), y)
        painter.restore()

    def _paint_picture(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: Hit,
        row: int,
        rect: QRect,
        icon: QIcon | None,
    ) -> None:
        if hit.kind is FileKind.AUDIO:
            wave = self.images.waveform(hit, row)
            if wave is not None:
                self._paint_waveform(painter, option, hit, wave, rect)
                return
        elif hit.kind in (FileKind.PHOTO, FileKind.VIDEO):
            device = painter.device()
            dpr = device.devicePixelRatioF() if device is not None else 1.0
            pixmap = self.images.picture(hit, dpr, row)
            if pixmap is not None:
                size = pixmap.deviceIndependentSize()
                x = rect.left() + (rect.width() - size.width()) / 2
                y = rect.top() + (rect.height() - size.height()) / 2
                if pixmap.hasAlphaChannel():  # a cut-out: on a checkerboard, as editors show it
                    area = QRectF(QPointF(x, y), size)
                    painter.fillRect(area, checkerboard(option.palette, _group(option)))
                painter.drawPixmap(QPointF(x, y), pixmap)
                return
        elif hit.kind is FileKind.NOTE:
            self._paint_note(painter, option, hit, rect, icon)
            return
        if icon is not None:
            side = rect.width() // 3
            icon.paint(painter, rect.adjusted(side, side, -side, -side))

    def _paint_waveform(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: Hit,
        wave: Waveform,
        rect: QRect,
    ) -> None:
        palette: QPalette = option.palette
        group = _group(option)
        role = QPalette.ColorRole
        painter.fillRect(rect, palette.color(group, role.Base))
        bars = QColor(palette.color(group, role.Text))
        bars.setAlphaF(0.6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.left(), rect.top() + rect.height() / 2)
        painter.scale(rect.width(), rect.height() * 0.42)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bars)
        painter.drawPolygon(wave.polygon)
        if hit.start is not None and wave.seconds > 0:
            begin = min(1.0, hit.start / wave.seconds)
            end = min(1.0, (hit.end if hit.end is not None else hit.start) / wave.seconds)
            span = QRectF(begin, -1.2, max(end - begin, 0.015), 2.4)
            band = QColor(palette.color(group, role.Highlight))
            band.setAlphaF(0.25)
            painter.fillRect(span, band)
            painter.setClipRect(span, Qt.ClipOperation.IntersectClip)
            painter.setBrush(palette.color(group, role.Highlight))
            painter.drawPolygon(wave.polygon)
        painter.restore()

    def _paint_note(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: Hit,
        rect: QRect,
        icon: QIcon | None,
    ) -> None:
        palette: QPalette = option.palette
        group = _group(option)
        painter.fillRect(rect, palette.color(group, QPalette.ColorRole.Base))
        words = excerpt(hit)
        if icon is not None:
            side = 24 if words else rect.width() // 3
            corner = rect.topLeft() + QPointF(PAD, PAD).toPoint() if words else None
            target = (
                QRect(corner, QSize(side, side))
                if corner is not None
                else rect.adjusted(side, side, -side, -side)
            )
            icon.paint(painter, target)
        if words is None:
            return
        font = QFont(option.font)
        font.setItalic(True)
        text = rect.adjusted(PAD, PAD + 24 + GAP, -PAD, -PAD)
        layout = marked_layout(words, font, text.width(), wrap=True)
        painter.save()
        painter.setPen(palette.color(group, QPalette.ColorRole.Text))
        for index in range(layout.lineCount()):
            line = layout.lineAt(index)
            if line.y() + line.height() > text.height():
                break  # whole lines only: none is cut through its middle
            line.draw(painter, QPointF(text.topLeft()))
        painter.restore()

    def _paint_badge(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: Hit,
        index: _ModelIndex,
        rect: QRect,
    ) -> None:
        model = index.model()
        label = model.kind_name(hit.kind) if isinstance(model, ResultsModel) else hit.kind.value
        if hit.kind in (FileKind.AUDIO, FileKind.VIDEO) and hit.start is not None:
            label += f" {clock(hit.start)}"
        if isinstance(model, ResultsModel) and model.is_new(index.row()):
            label = model.tr("New") + " \u00b7 " + label
        font = QFont(option.font)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        metrics = QFontMetrics(font)
        badge = QRect(0, 0, metrics.horizontalAdvance(label) + 8, metrics.height() + 2)
        badge.moveBottomLeft(rect.bottomLeft() + QPointF(3, -3).toPoint())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        # Over a picture of any colour: a dark chip with light text reads in both themes.
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()

    def _paint_focus(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        style: QStyle,
        widget: QWidget | None,
    ) -> None:
        focus = QStyleOptionFocusRect()
        focus.rect = option.rect
        focus.state = option.state | QStyle.StateFlag.State_KeyboardFocusChange
        focus.palette = option.palette
        selected = option.state & QStyle.StateFlag.State_Selected
        role = QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Window
        focus.backgroundColor = option.palette.color(_group(option), role)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)


def checkerboard(palette: QPalette, group: QPalette.ColorGroup) -> QBrush:
    """A subtle checkerboard in the theme's base colours: what shows through a cut-out."""
    square = 8
    tile = QPixmap(2 * square, 2 * square)
    base = palette.color(group, QPalette.ColorRole.Base)
    tile.fill(base)
    painter = QPainter(tile)
    shade = palette.color(group, QPalette.ColorRole.AlternateBase)
    if shade == base:
        shade = base.darker(108) if base.lightness() > 128 else base.lighter(130)
    painter.fillRect(0, 0, square, square, shade)
    painter.fillRect(square, square, square, square, shade)
    painter.end()
    return QBrush(tile)


def _group(option: QStyleOptionViewItem) -> QPalette.ColorGroup:
    state = option.state
    if not state & QStyle.StateFlag.State_Enabled:
        return QPalette.ColorGroup.Disabled
    if not state & QStyle.StateFlag.State_Active:
        return QPalette.ColorGroup.Inactive
    return QPalette.ColorGroup.Normal


# --- the view --------------------------------------------------------------------------------


class ResultsView(QListView):
    """The grid: uniform tiles in reading order, painted by :class:`ResultDelegate`; scrolling
    drops picture requests of tiles that left the view before they are decoded."""

    def __init__(self, model: ResultsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images = model.images
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        # Tiles of one size, laid out in rows by their size hints (not a fixed grid) so that a
        # heading as wide as the view starts a band of its own.
        self.setSpacing(SPACING // 2)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)  # hover highlight, drawn by the style
        self.delegate = ResultDelegate(model.images, self)
        self.delegate.model = model
        # Laid out a batch at a time between events: a large library never freezes the window.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setItemDelegate(self.delegate)
        self.setModel(model)
        self._fit_tiles()
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.delegate.forget_size()
            self._fit_tiles()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_tiles()

    def set_side(self, side: int) -> None:
        """Pictures of ``side`` logical pixels (the library's zoom): the tiles follow."""
        if side == self._images.size:
            return
        self._images.size = side
        self._images.forget_waiting()
        self._fit_tiles()
        self.viewport().update()

    def lay_out_now(self) -> None:
        """Every row laid out before returning (not a batch at a time): for a jump to a row
        far down, which needs to know where that row is."""
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.doItemsLayout()
        self.setLayoutMode(QListView.LayoutMode.Batched)

    def columns(self) -> int:
        """How many tiles a row holds at the view's width."""
        least = self._images.size + 2 * PAD
        return max(1, (self._row_room()) // (least + self.spacing()))

    def _row_room(self) -> int:
        """The width a row's tiles and their gaps share: Qt starts a row after one spacing,
        wraps a tile that would reach the edge, and keeps room for the scroll bar whether it
        shows or not (so that it showing does not move every tile)."""
        bounds = self.maximumViewportSize().width()
        if self.verticalScrollBarPolicy() is Qt.ScrollBarPolicy.ScrollBarAsNeeded:
            bar = self.verticalScrollBar()
            extent = QStyle.PixelMetric.PM_ScrollBarExtent
            bounds -= self.style().pixelMetric(extent, None, bar)
            if self.style().styleHint(QStyle.StyleHint.SH_ScrollView_FrameOnlyAroundContents):
                bounds -= 2 * self.frameWidth()
        return bounds - self.spacing() - 1

    def _fit_tiles(self) -> None:
        """As many tiles a row as fit, widened to share the row's whole width: no dead strip
        on the right, whatever the window's width."""
        self.delegate.width = self._row_room() // self.columns() - self.spacing()
        tile = self.delegate.tile_size(self.fontMetrics())
        self.verticalScrollBar().setSingleStep(max(1, tile.height() // 4))
        self.scheduleDelayedItemsLayout()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        self._paint_sticky_heading()

    def _paint_sticky_heading(self) -> None:
        """The heading of the band at the top of the view, held there while its tiles scroll
        under it (as a photo app does), once its own heading row has scrolled away."""
        model = self.model()
        if not isinstance(model, ResultsModel) or self.verticalScrollBar().value() == 0:
            return
        row = self.top_row()
        if row is None:
            return
        text = model.band_of(row)
        if text is None or model.data(model.index(row, 0), HeadingRole) is not None:
            return  # the heading itself is at the top
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        height = self.delegate.heading_size(option).height()
        option.rect = QRect(0, 0, self.viewport().width(), height)
        painter = QPainter(self.viewport())
        painter.fillRect(option.rect, self.palette().color(QPalette.ColorRole.Base))
        self.delegate.paint_heading(painter, option, text)
        painter.end()

    def top_row(self) -> int | None:
        """The first row whose tile shows at the top of the view."""
        step = max(1, self.spacing())
        for y in range(step, self.viewport().height(), 4 * step):
            for x in range(step, self.viewport().width(), 8 * step):
                index = self.indexAt(QPoint(x, y))
                if index.isValid():
                    return index.row()
        return None

    def _scrolled(self) -> None:
        self._images.retain(self._row_visible)
        self._images.hold()

    def _row_visible(self, row: int) -> bool:
        model = self.model()
        if row < 0 or model is None or row >= model.rowCount():
            return False
        return self.visualRect(model.index(row, 0)).intersects(self.viewport().rect())

"""Pictures of text made here, with what each says: the ground truth of the OCR tests and benchmark.

- **Screenshots**: passages of Debian's manual pages (``manpages``, English; ``manpages-zh``,
  Chinese; both fetched with ``apt-get download`` and unpacked, never installed) drawn by Qt
  (offscreen ``QTextDocument`` on a ``QImage``) at several widths, fonts and sizes, some light
  on dark. The passage is cut to what fits the picture, so every word of it is in the picture.
- **Photos with text**: a few words of the same pages drawn by Qt on a transparent layer,
  turned in perspective, laid on real photos (scikit-image's and the Tux Paint stamps' photos),
  with sensor-like noise and JPEG compression.

Everything is cached under ``$TROVE_CACHE/media/ocr-<VERSION>`` (outside the repository) with a
``pictures.json`` that lists each picture, its language and its text; change ``VERSION`` when
what is drawn changes. Needs the CJK fonts of ``FONT_PACKAGES`` (installed with apt-get when
missing, as tests.media does for its tools).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tests import media

VERSION = 1
MANUAL_PACKAGES = ("manpages", "manpages-zh")
FONT_PACKAGES = {
    "fonts-wqy-microhei": Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    "fonts-arphic-uming": Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    "fonts-dejavu-core": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
FONTS = {
    "en": ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"),
    "zh": ("WenQuanYi Micro Hei", "AR PL UMing CN"),
}
PAGES = {
    "en": ("man7/signal.7.gz", "man7/pipe.7.gz", "man7/glob.7.gz", "man5/hosts.5.gz"),
    "zh": ("zh_CN/man1/ls.1.gz", "zh_CN/man1/cp.1.gz", "zh_CN/man1/tar.1.gz", "zh_CN/man1/rm.1.gz"),
}
# Screenshot sizes (width, height) and text sizes in pixels.
SCREENS = ((1280, 800), (1920, 1080), (800, 600))
TEXT_PIXELS = (13, 16, 22)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class TextPicture:
    path: Path
    language: str  # "en" or "zh"
    kind: str  # "screenshot" or "photo"
    text: str  # every word drawn in the picture
    font: str
    pixels: int  # the text's size


def words(text: str, language: str) -> list[str]:
    """What recall counts: English words (two letters or more, lower case), Chinese characters."""
    if language == "zh":
        return _HAN.findall(text)
    return [word.lower() for word in _WORD.findall(text)]


def recall(truth: str, read: str, language: str) -> tuple[int, int]:
    """(found, wanted): how many of the truth's words (or characters) the reading holds, each
    counted as often as the reading has it."""
    wanted = words(truth, language)
    have: dict[str, int] = {}
    for word in words(read, language):
        have[word] = have.get(word, 0) + 1
    found = 0
    for word in wanted:
        if have.get(word, 0) > 0:
            have[word] -= 1
            found += 1
    return found, len(wanted)


# --- manual pages -------------------------------------------------------------------------------


def manuals() -> Path:
    """The unpacked ``usr/share/man`` of both manual packages, fetched once."""
    root = media.media_root() / "manpages"
    target = root / "usr" / "share" / "man"
    if target.is_dir():
        return target
    debs = media.media_root() / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="manpages-", dir=media.media_root()))
    for package in MANUAL_PACKAGES:
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            media._apt_update()
            media._run(["apt-get", "download", package], cwd=debs)
            found = sorted(debs.glob(f"{package}_*.deb"))
        media._run(["dpkg-deb", "-x", str(found[-1]), str(scratch)])
    media._move_into_place(scratch, root)
    return target


_ESCAPES = (
    (re.compile(r"\\f(\(..|\[[^]]*\]|.)"), ""),
    (re.compile(r"\\s[-+]?\d"), ""),
    (re.compile(r"\\\((lq|rq|dq)"), '"'),
    (re.compile(r"\\\((aq|cq|oq)"), "'"),
    (re.compile(r"\\\((em|en|hy)"), "-"),
    (re.compile(r"\\\[(aq|cq)\]"), "'"),
    (re.compile(r"\\\[[^]]*\]"), ""),
    (re.compile(r"\\\(.."), ""),
    (re.compile(r"\\\*(\(..|\[[^]]*\]|.)"), ""),
    (re.compile(r"\\[-]"), "-"),
    (re.compile(r"\\e"), "\\\\"),
    (re.compile(r"\\[&,/|^%:]"), ""),
    (re.compile(r"\\ "), " "),
)


def page_text(page: Path) -> list[str]:
    """A manual page's paragraphs as plain text (troff requests dropped, fonts and escapes
    undone, ``.B``/``.BR``-style requests kept as their words)."""
    source = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
    paragraphs: list[str] = []
    current: list[str] = []
    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"", '.\\"')):
            continue
        if line.startswith("."):
            request, _, rest = line[1:].partition(" ")
            if request in ("B", "I", "SM", "SB", "SH", "SS"):
                current.append(rest.replace('"', ""))
            elif len(request) == 2 and set(request) <= set("BIR"):
                current.append("".join(rest.replace('"', "").split()))
            elif current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    cleaned = []
    for paragraph in paragraphs:
        for pattern, replacement in _ESCAPES:
            paragraph = pattern.sub(replacement, paragraph)
        paragraph = " ".join(paragraph.split())
        if len(paragraph) > 20:
            cleaned.append(paragraph)
    return cleaned


# --- drawing with Qt -----------------------------------------------------------------------------


def _qt() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication([])


def _to_pil(image: object) -> Image.Image:
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QImage

    assert isinstance(image, QImage)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data().data()))).copy()


def draw_page(
    text: str, size: tuple[int, int], font: str, pixels: int, dark: bool = False
) -> tuple[Image.Image, str]:
    """``text`` drawn as a screenshot of ``size``; the part of it that fits, and the picture."""
    _qt()
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTextDocument

    margin = 24
    document = QTextDocument()
    face = QFont(font)
    face.setPixelSize(pixels)
    document.setDefaultFont(face)
    document.setTextWidth(size[0] - 2 * margin)
    colour = "#e8e8e8" if dark else "#202020"
    document.setDefaultStyleSheet(f"body {{ color: {colour}; }}")
    kept = text
    room = size[1] - 2 * margin
    while True:  # cut the passage until it fits, a tenth at a time, then word by word
        document.setHtml(f"<body>{_escaped(kept).replace(chr(10), '<br>')}</body>")
        if document.size().height() <= room or len(kept) <= 1:
            break
        cut = max(1, len(kept) // 10) if document.size().height() > 1.3 * room else 1
        kept = _shorter(kept, cut)
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor("#1e1f22" if dark else "#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.translate(margin, margin)
    document.drawContents(painter, QRectF(0, 0, size[0] - 2 * margin, room))
    painter.end()
    return _to_pil(image), kept


def draw_words(text: str, font: str, pixels: int, colour: str) -> Image.Image:
    """``text`` on one line, on a transparent picture just large enough."""
    _qt()
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

    face = QFont(font)
    face.setPixelSize(pixels)
    face.setBold(True)
    metrics = QFontMetrics(face)
    width, height = metrics.horizontalAdvance(text) + pixels, metrics.height() + pixels // 2
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setFont(face)
    painter.setPen(QColor(colour))
    painter.drawText(QPoint(pixels // 2, pixels // 4 + metrics.ascent()), text)
    painter.end()
    return _to_pil(image).convert("RGBA")


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shorter(text: str, cut: int) -> str:
    """``text`` less about ``cut`` characters at its end, cut between words where it has any
    (line breaks kept)."""
    pieces = re.split(r"(\s+)", text.strip())
    if len(pieces) > 2:
        drop = max(1, cut // 6)
        return "".join(pieces[: max(1, len(pieces) - 2 * drop)])
    return text[: max(1, len(text) - cut)]


def perspective(layer: Image.Image, rng: random.Random) -> Image.Image:
    """``layer`` as seen at a slant: each corner moved inward by up to a sixth of the side."""
    width, height = layer.size
    jitter = [
        (rng.uniform(0, width / 6), rng.uniform(0, height / 6)) for _ in range(4)
    ]  # tl, tr, br, bl
    target = [
        (jitter[0][0], jitter[0][1]),
        (width - jitter[1][0], jitter[1][1]),
        (width - jitter[2][0], height - jitter[2][1]),
        (jitter[3][0], height - jitter[3][1]),
    ]
    source = [(0, 0), (width, 0), (width, height), (0, height)]
    # Coefficients that map output (target) points back to input (source) points.
    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    coefficients = np.linalg.solve(np.array(rows, float), np.array(values, float))
    return layer.transform(
        layer.size, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC
    )


# --- the pictures ---------------------------------------------------------------------------------


def pictures() -> list[TextPicture]:
    """Every picture of text, made once and cached (see the module's notes)."""
    folder = media.media_root() / f"ocr-{VERSION}"
    listing = folder / "pictures.json"
    if listing.is_file():
        return [
            TextPicture(**{**entry, "path": folder / entry["path"]})
            for entry in json.loads(listing.read_text(encoding="utf-8"))
        ]
    media.ensure_apt(FONT_PACKAGES)
    scratch = Path(tempfile.mkdtemp(prefix="ocr-", dir=media.media_root()))
    made = _screenshots(scratch) + _photos(scratch)
    entries = [{**asdict(p), "path": p.path.relative_to(scratch).as_posix()} for p in made]
    (scratch / "pictures.json").write_text(
        json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    media._move_into_place(scratch, folder)
    return pictures()


def _screenshots(folder: Path) -> list[TextPicture]:
    root = manuals()
    made: list[TextPicture] = []
    for language, pages in PAGES.items():
        index = 0
        for page in pages:
            paragraphs = page_text(root / page)
            for font in FONTS[language]:
                pixels = TEXT_PIXELS[index % len(TEXT_PIXELS)]
                size = SCREENS[index % len(SCREENS)]
                start = (index * 3) % max(1, len(paragraphs) - 4)
                passage = "\n".join(paragraphs[start : start + 40])
                picture, kept = draw_page(passage, size, font, pixels, dark=index % 4 == 3)
                path = folder / f"screen-{language}-{index:02}.png"
                picture.save(path)
                made.append(TextPicture(path, language, "screenshot", kept, font, pixels))
                index += 1
    return made


def _photos(folder: Path) -> list[TextPicture]:
    rng = random.Random(12)
    backgrounds = sorted(
        [path for name, path in media.skimage_photos().items() if name in _SKIMAGE_PHOTOS]
        + [p for p in media.stamp_images(photos_only=True) if "animals" in p.parts][:8]
    )
    made: list[TextPicture] = []
    root = manuals()
    for index, background in enumerate(backgrounds):
        language = "zh" if index % 3 == 2 else "en"
        paragraphs = page_text(root / PAGES[language][index % len(PAGES[language])])
        phrase = _phrase(rng.choice(paragraphs), language, rng)
        font = FONTS[language][index % len(FONTS[language])]
        photo = Image.open(background).convert("RGB")
        scale = 800 / max(photo.size)
        photo = photo.resize((round(photo.width * scale), round(photo.height * scale)))
        pixels = rng.choice((28, 36, 48))
        colour = rng.choice(("#ffffff", "#101010", "#ffd400", "#d01010"))
        layer = perspective(draw_words(phrase, font, pixels, colour), rng)
        if layer.width > photo.width - 20:
            layer = layer.resize(
                (photo.width - 20, round(layer.height * (photo.width - 20) / layer.width))
            )
        x = rng.randint(10, max(10, photo.width - layer.width - 10))
        y = rng.randint(10, max(10, photo.height - layer.height - 10))
        photo.paste(layer, (x, y), layer)
        noisy = np.asarray(photo, np.float32) + np.random.default_rng(index).normal(
            0, 6, (photo.height, photo.width, 3)
        )
        photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        path = folder / f"photo-{language}-{index:02}.jpg"
        photo.save(path, quality=80)
        made.append(TextPicture(path, language, "photo", phrase, font, pixels))
    return made


_SKIMAGE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle_left",
    "hubble_deep_field",
)


def _phrase(paragraph: str, language: str, rng: random.Random) -> str:
    if language == "zh":
        han = "".join(_HAN.findall(paragraph)) or "文件目录"
        start = rng.randrange(max(1, len(han) - 6))
        return han[start : start + rng.randint(4, 6)]
    found = [word for word in _WORD.findall(paragraph) if len(word) >= 3]
    start = rng.randrange(max(1, len(found) - 4))
    return " ".join(found[start : start + rng.randint(2, 4)]) or "signal"


def clear() -> None:
    """Forget the cached pictures (they are made again on next use)."""
    shutil.rmtree(media.media_root() / f"ocr-{VERSION}", ignore_errors=True)

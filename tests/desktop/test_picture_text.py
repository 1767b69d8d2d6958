"""Words read in a picture, in the window: the reason's line, and the matched words' boxes
marked on the previewed picture (the line in other UI languages: test_results.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from desktop.preview import ImageView, draw_marks, picture_text_boxes
from desktop.results import why_line
from engine.catalog.records import FileKind
from engine.search.results import Hit, Reason, Route, Span

LINE = "Quarterly budget meeting"
BOX = (0.25, 0.25, 0.75, 0.25, 0.75, 0.5, 0.25, 0.5)
READ = Reason(Route.PICTURE_TEXT, 0.7, excerpt=LINE, matched=(Span(10, 16),), boxes=(BOX,))


def hit(*reasons: Reason) -> Hit:
    return Hit(3, FileKind.PHOTO, Path("/x/slide.png"), 0.7, reasons=reasons)


def bold(marked: object) -> list[str]:
    text, spans = marked.text, marked.bold  # type: ignore[attr-defined]
    return [text[span.start : span.end] for span in spans]


def test_a_picture_text_reason_quotes_the_line_with_its_word_bold() -> None:
    said = why_line(hit(READ))
    assert said.text == f"in the picture: \u201c{LINE}\u201d"
    assert bold(said) == ["budget"]


def test_only_picture_text_reasons_give_boxes() -> None:
    tag = Reason(Route.TAG, 0.6, label="envelope", probability=0.5)
    assert picture_text_boxes(hit(tag, READ)) == [BOX]
    assert picture_text_boxes(hit(tag)) == []


def test_marks_colour_the_boxes_and_nothing_else() -> None:
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    color = QColor(0, 90, 200, 90)
    marked = draw_marks(image, [BOX], color)
    inside, outside = marked.pixelColor(100, 37), marked.pixelColor(20, 80)
    assert outside == QColor("white")
    assert inside != QColor("white") and inside.blue() > inside.red()
    assert draw_marks(image, [], color) is image


def test_the_image_view_marks_matched_words_and_says_so(qtbot: QtBot) -> None:
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    image = QImage(400, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    view.set_image(image, [BOX])
    shown = view.pixmap().toImage()
    centre = shown.pixelColor(shown.width() // 2, round(shown.height() * 0.37))
    assert centre != QColor("white")
    assert view.accessibleDescription()
    view.set_image(image)
    assert view.pixmap().toImage().pixelColor(
        shown.width() // 2, round(shown.height() * 0.37)
    ) == QColor("white")
    assert view.accessibleDescription() == ""

"""The search bar: its chips write filter words the engine's parser reads back as chosen."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.searchbar import KINDS, Chip, DatePreset, DateRange, SearchBar, query_advice
from desktop.theme import attention_color, palette_for
from engine.catalog.records import FileKind
from engine.errors import QueryError, QueryProblem
from engine.facade import ExamplePart
from engine.search.query import Filters, ParseError, Query, TextPart, parse
from tests.media import demo_folder

TODAY = date(2024, 3, 31)  # a month back is 29 February: the calendar edge
CUSTOM = DateRange(date(2024, 1, 10), date(2024, 1, 20))
# (after, before) each date choice must give, worked out by hand.
DATES: dict[DatePreset, tuple[date | None, date | None]] = {
    DatePreset.ANY: (None, None),
    DatePreset.WEEK: (date(2024, 3, 24), date(2024, 4, 1)),
    DatePreset.MONTH: (date(2024, 2, 29), date(2024, 4, 1)),
    DatePreset.YEAR: (date(2023, 3, 31), date(2024, 4, 1)),
    DatePreset.CUSTOM: (date(2024, 1, 10), date(2024, 1, 21)),
}


@pytest.fixture
def bar(qtbot: QtBot) -> SearchBar:
    widget = SearchBar(today=lambda: TODAY)
    qtbot.addWidget(widget)
    return widget


def read(query: str) -> Query:
    return parse(query, is_file=lambda _path: False)


def test_every_chip_combination_parses_to_the_filters_chosen(
    bar: SearchBar, tmp_path: Path
) -> None:
    folders = [str(tmp_path / "My Photos"), str(tmp_path / "Música"), "/plain"]
    bar.set_folders(folders)
    bar.set_text("sunset over the sea")
    kind_sets = [
        set(combo)
        for size in range(len(KINDS) + 1)
        for combo in itertools.combinations(KINDS, size)
    ]
    checked = 0
    for kinds, folder, preset in itertools.product(kind_sets, [None, *folders], DatePreset):
        bar.set_kinds(kinds)
        bar.set_folder(folder)
        bar.set_date(preset, CUSTOM if preset is DatePreset.CUSTOM else None)
        query = read(bar.query())
        after, before = DATES[preset]
        assert query.parts == (TextPart("sunset over the sea"),), bar.query()
        assert query.filters == Filters(
            kinds=frozenset(kinds),
            folders=(Path(folder),) if folder else (),
            after=after,
            before=before,
        ), bar.query()
        assert query.filters == bar.filters()
        checked += 1
    assert checked == 16 * 4 * 5


def test_no_filter_adds_nothing_and_a_chip_alone_is_a_filter(bar: SearchBar) -> None:
    bar.set_text("  a dog on a beach ")
    assert bar.query() == "a dog on a beach"
    bar.set_text("")
    assert bar.query() == ""
    bar.kind_chips[FileKind.PHOTO].setChecked(True)
    alone = read(bar.query())  # the engine lists the photos, newest first
    assert alone.browsing and alone.filters.kinds == {FileKind.PHOTO}


def test_the_words_the_chips_write(bar: SearchBar) -> None:
    bar.set_folders(["/home/me/My Photos"])
    bar.set_text("cat")
    bar.set_kinds({FileKind.VIDEO, FileKind.PHOTO})
    bar.set_folder("/home/me/My Photos")
    bar.set_date(DatePreset.CUSTOM, CUSTOM)
    assert bar.query() == (
        'cat kind:photo,video in:"/home/me/My Photos" after:2024-01-10 before:2024-01-21'
    )


def test_filters_typed_in_the_box_still_count(bar: SearchBar) -> None:
    bar.set_text("cat kind:photo after:2020")
    bar.kind_chips[FileKind.AUDIO].setChecked(True)
    filters = read(bar.query()).filters
    assert filters.kinds == {FileKind.PHOTO, FileKind.AUDIO}
    assert filters.after == date(2020, 1, 1)


def test_query_changed_follows_text_and_chips_once_per_change(bar: SearchBar, qtbot: QtBot) -> None:
    seen: list[str] = []
    bar.query_changed.connect(seen.append)
    bar.set_text("cat")
    bar.kind_chips[FileKind.PHOTO].setChecked(True)
    bar.set_date(DatePreset.WEEK)
    bar.set_date(DatePreset.WEEK)  # no change, no signal
    bar.clear_filters()  # three chips back at once: one signal
    assert seen == [
        "cat",
        "cat kind:photo",
        "cat kind:photo after:2024-03-24 before:2024-04-01",
        "cat",
    ]
    with qtbot.waitSignal(bar.submitted, timeout=5000) as submitted:
        qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert submitted.args == ["cat"]


def test_folder_chip_offers_the_watched_folders(bar: SearchBar, tmp_path: Path) -> None:
    pictures = str(tmp_path / "Pictures")
    bar.set_text("cat")
    assert bar.folder_chip.text() == "Any folder"
    bar.set_folders([pictures, str(tmp_path / "Music")])
    actions = [action for action in bar.folder_menu.actions() if not action.isSeparator()]
    assert [action.data() for action in actions] == [None, pictures, str(tmp_path / "Music")]
    actions[1].trigger()
    assert bar.folder_chip.text() == "Pictures" and bar.folder_chip.is_on()
    assert read(bar.query()).filters.folders == (Path(pictures),)
    with pytest.raises(ValueError):
        bar.set_folder(str(tmp_path / "not watched"))
    seen: list[str] = []
    bar.query_changed.connect(seen.append)
    bar.set_folders([str(tmp_path / "Music")])  # Pictures is no longer watched
    assert seen == ["cat"]
    assert bar.folder_chip.text() == "Any folder" and not bar.folder_chip.is_on()


def test_a_folder_the_query_cannot_quote_is_not_offered(bar: SearchBar) -> None:
    bar.set_folders(['/odd "name"'])
    assert not bar.folder_menu.actions()[-1].isEnabled()


def test_custom_range_dialog(bar: SearchBar, qtbot: QtBot) -> None:
    bar.set_text("cat")
    bar.set_date(DatePreset.YEAR)
    bar.date_actions[DatePreset.CUSTOM].trigger()
    dialog = bar.range_dialog
    assert dialog is not None and dialog.isVisible()
    assert bar.date_actions[DatePreset.YEAR].isChecked()  # until the dialog answers
    dialog.first.setDate(dialog.first.date().addDays(10))
    assert dialog.last.minimumDate() == dialog.first.date()  # the end cannot precede the start
    dialog.first.setDate(dialog.first.date().fromString("2023-05-01", "yyyy-MM-dd"))
    dialog.last.setDate(dialog.last.date().fromString("2023-05-31", "yyyy-MM-dd"))
    with qtbot.waitSignal(bar.query_changed, timeout=5000):
        dialog.accept()
    filters = read(bar.query()).filters
    assert (filters.after, filters.before) == (date(2023, 5, 1), date(2023, 6, 1))
    assert bar.date_actions[DatePreset.CUSTOM].isChecked() and bar.date_chip.is_on()
    assert "2023" in bar.date_chip.text()

    bar.date_actions[DatePreset.CUSTOM].trigger()  # again, and cancel: nothing changes
    dialog = bar.range_dialog
    assert dialog is not None
    assert dialog.chosen() == DateRange(date(2023, 5, 1), date(2023, 5, 31))
    dialog.reject()
    assert read(bar.query()).filters.after == date(2023, 5, 1)


def test_error_state_shows_until_the_next_edit(bar: SearchBar, qtbot: QtBot) -> None:
    bar.setPalette(palette_for(dark=False))
    bar.resize(500, bar.sizeHint().height())
    bar.set_text('cat "')
    bar.show_error(ParseError("unterminated quote", 4, 'cat "', QueryProblem.UNCLOSED_QUOTE))
    assert bar.has_error() and bar.edit.toolTip() == (
        "A quotation mark is not closed: add the closing one, or remove it."
    )
    assert bar.edit.selectedText() == '"'  # the culprit, marked
    image = bar.edit.grab().toImage()
    border = QColor(image.pixel(1, image.height() // 2))
    assert _close(border, attention_color(bar.palette()))
    qtbot.keyClick(bar.edit, Qt.Key.Key_Backspace)
    assert not bar.has_error() and bar.edit.toolTip() == ""


@pytest.mark.parametrize("dark", [False, True])
def test_chips_are_drawn_from_the_palette(bar: SearchBar, dark: bool) -> None:
    palette = palette_for(dark)
    bar.setPalette(palette)
    chip = bar.kind_chips[FileKind.PHOTO]

    def fill() -> QColor:
        chip.resize(chip.sizeHint())
        image = chip.grab().toImage()
        return QColor(image.pixel(Chip.PAD_X // 2 + 1, image.height() // 2))

    assert _close(fill(), palette.color(QPalette.ColorRole.Button))
    chip.setChecked(True)
    assert _close(fill(), palette.color(QPalette.ColorRole.Highlight))
    assert chip.sizeHint().height() < chip.sizeHint().width()  # a pill, not a square


def test_search_box_and_chips_are_named_and_reachable_by_keyboard(
    bar: SearchBar, qtbot: QtBot
) -> None:
    assert bar.edit.accessibleName() == "Search"
    assert bar.edit.isClearButtonEnabled() and bar.edit.placeholderText()
    chips = [*bar.kind_chips.values(), bar.folder_chip, bar.date_chip]
    assert [chip.accessibleName() for chip in chips] == [
        "Photos",
        "Audio",
        "Video",
        "Notes",
        "Folder filter",
        "Date filter",
    ]
    bar.show()
    qtbot.waitExposed(bar)
    bar.activateWindow()
    bar.focus_search()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is bar.edit, timeout=5000)
    reached = []
    for _chip in chips:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert reached == chips
    qtbot.keyClick(chips[1], Qt.Key.Key_Space)
    assert chips[1].isChecked()


def _close(got: QColor, want: QColor, tolerance: int = 12) -> bool:
    pairs = ((got.red(), want.red()), (got.green(), want.green()), (got.blue(), want.blue()))
    return all(abs(a - b) <= tolerance for a, b in pairs)


# --- a file to search with: a chip in the box, never a path in the text ------------------------


def test_an_example_shows_as_a_chip_and_goes_to_the_engine_typed(
    bar: SearchBar, qtbot: QtBot
) -> None:
    dog = demo_folder() / "Photos" / "dog.png"
    bar.resize(600, bar.sizeHint().height())
    bar.show()
    bar.set_text("on a beach")
    with qtbot.waitSignal(bar.query_changed):
        bar.set_example(ExamplePart(dog))
    assert bar.edit.text() == "" and "like:" not in bar.query() and str(dog) not in bar.query()
    assert bar.examples() == (ExamplePart(dog),)
    chip = bar.example_chip
    assert chip.isVisible() and chip.label.text() == "Similar to dog.png"
    assert chip.accessibleName() == "Similar to dog.png"
    # The text typed after it starts past the chip, inside the box.
    assert chip.parentWidget() is bar.edit
    assert bar.edit.textMargins().left() >= chip.width()
    assert bar.edit.rect().contains(chip.geometry())
    # Typed words and the chip make one query: a combination the engine reads as typed values.
    qtbot.keyClicks(bar.edit, "at night")
    parsed = parse(bar.query(), examples=bar.examples())
    assert [type(part).__name__ for part in parsed.parts] == ["TextPart", "ExamplePart"]
    assert parsed.parts[1] == ExamplePart(dog)


def test_a_part_of_a_recording_reads_as_its_name_and_times(bar: SearchBar) -> None:
    talk = Path("/recordings/talk.m4a")
    bar.set_example(ExamplePart(talk, start=12.0, end=20.0))
    assert bar.example_chip.label.text() == "Part of talk.m4a 0:12–0:20"
    bar.set_example(ExamplePart(talk, start=75.0))
    assert bar.example_chip.label.text() == "Part of talk.m4a from 1:15"


def test_a_pasted_picture_shows_its_thumbnail_not_its_cache_name(
    bar: SearchBar, tmp_path: Path
) -> None:
    picture = QImage(str(demo_folder() / "Photos" / "dog.png"))
    cached = tmp_path / "pasted-435e0a1b2c3d4e5f.png"
    picture.save(str(cached))
    bar.show()
    bar.set_example(ExamplePart(cached), picture)
    chip = bar.example_chip
    assert chip.thumbnail.isVisible() and not chip.thumbnail.pixmap().isNull()
    assert not chip.label.isVisible() and "pasted-" not in chip.accessibleName()
    assert chip.accessibleName() == "Similar to the pasted picture"


def test_the_chip_is_removed_by_its_button_or_backspace(bar: SearchBar, qtbot: QtBot) -> None:
    dog = demo_folder() / "Photos" / "dog.png"
    bar.show()
    bar.set_example(ExamplePart(dog))
    with qtbot.waitSignal(bar.query_changed):
        qtbot.mouseClick(bar.example_chip.remove_button, Qt.MouseButton.LeftButton)
    assert bar.examples() == () and not bar.example_chip.isVisible()
    assert bar.edit.textMargins().left() == 0
    bar.set_example(ExamplePart(dog))
    bar.edit.setFocus()
    qtbot.keyClick(bar.edit, Qt.Key.Key_Backspace)  # at the start of an empty box
    assert bar.examples() == ()
    qtbot.keyClicks(bar.edit, "cat")
    bar.set_example(ExamplePart(dog))  # a new example replaces what was typed
    assert bar.edit.text() == "" and bar.examples() == (ExamplePart(dog),)


@pytest.mark.parametrize(
    ("typed", "advice"),
    [
        ('cat "', "A quotation mark is not closed: add the closing one, or remove it."),
        ("cat +", "A + or − needs something after it: add a word, or remove the sign."),
        ("kind:pic", "kind: takes photo, audio, video or note; or use the buttons below the box."),
        ("x after:2024-13-01", "Write a date as year-month-day, as in after:2024-05-01, or use"),
        ("x size>ten", "Write a size as a number and a unit, as in size>10MB."),
        ("- cat", "Everything is subtracted: add something to look for, without a − before it."),
        ('like:"/no/such/dog.jpg"', "dog.jpg was not found. Check its name, or drop the file"),
    ],
)
def test_query_errors_say_what_to_do_in_plain_words(
    bar: SearchBar, typed: str, advice: str
) -> None:
    with pytest.raises(QueryError) as caught:
        read(typed)
    bar.set_text(typed)
    bar.show_error(caught.value)
    shown = bar.error_label.text()
    assert shown.startswith(advice) and shown == bar.edit.toolTip()
    assert "position" not in shown and "(at" not in shown  # the engine's words stay in the log
    assert not bar.error_label.isHidden()
    bar.set_text(typed + " ")
    assert bar.error_label.isHidden()


def test_every_query_problem_has_words(bar: SearchBar) -> None:
    for problem in QueryProblem:
        assert query_advice(QueryError("for the log", problem=problem))

"""Dates, places and cameras in the window, on the real engine: photos with EXIF written into
copies at set-up, a recording with its date tag, indexed with the dev pack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import soundfile as sf
from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.i18n import ENGLISH, install_translations, ui_language
from desktop.preview import PreviewPane
from desktop.searchbar import SearchBar
from desktop.worker import EngineClient, EngineSettings
from engine.facade import FileKind, Hit, Trove, parse
from models.manifest import Manifest
from tests import media
from tests.conftest import dev_pack_path
from tests.desktop.test_results import compiled  # noqa: F401  (the fixture used below)
from tests.desktop.windows import open_window
from tests.exif import LISBON, Written, photo_with_exif

pytestmark = pytest.mark.qt_log_ignore(
    r"PulseAudioService: pa_context_connect\(\) failed",
    r"No RHI backend\. Using CPU conversion\.",
)

WAIT_MS = 120_000
MADRID = (40.4168, -3.7038)
TAKEN = datetime(2019, 6, 13, 17, 30, 5, tzinfo=UTC)  # 18:30:05 at +01:00
RECORDED = datetime(2021, 8, 1, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> tuple[Path, Path]:
    """(folder, data dir): two photos taken in Lisbon and Madrid, one without EXIF, a memo."""
    folder = tmp_path_factory.mktemp("places")
    photos = media.skimage_photos()
    written = Written("2019:06:13 18:30:05", "+01:00", LISBON, "Canon", "Canon EOS R5")
    photo_with_exif(photos["chelsea"], folder / "lisbon.jpg", written)
    photo_with_exif(photos["coffee"], folder / "madrid.jpg", Written(position=MADRID))
    photo_with_exif(photos["rocket"], folder / "plain.jpg", Written())
    samples, rate = sf.read(media.desktop_sounds()[0], dtype="float32", always_2d=True)
    with sf.SoundFile(folder / "memo.wav", "w", rate, 1) as memo:
        memo.date = "2021-08-01T09:15:00Z"
        memo.write(samples.mean(axis=1))
    data = tmp_path_factory.mktemp("data")
    with Trove(data, dev_pack.root) as trove:
        trove.add_folder(folder)
        trove.index()
    return folder, data


@pytest.fixture
def engine(library: tuple[Path, Path]) -> Iterator[EngineClient]:
    client = EngineClient(EngineSettings(data=library[1], pack=dev_pack_path()))
    client.start()
    yield client
    client.shutdown()


def hit_on(library: tuple[Path, Path], name: str, kind: FileKind = FileKind.PHOTO) -> Hit:
    with Trove(library[1], dev_pack_path()) as trove:
        file_id = trove.file_id(library[0] / name)
    assert file_id is not None
    return Hit(file_id, kind, library[0] / name, score=1.0)


def short(moment: datetime, locale: QLocale) -> str:
    shown = QDateTime.fromMSecsSinceEpoch(round(moment.timestamp() * 1000))
    return locale.toString(shown, QLocale.FormatType.ShortFormat)


# The .qm files compiled from the .ts here, into tmp_path; English again afterwards.
@pytest.mark.usefixtures("compiled")
def test_the_preview_shows_when_where_and_with_what_in_the_ui_language(
    qtbot: QtBot,
    qapp: QApplication,
    engine: EngineClient,
    library: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    pane = PreviewPane(engine)
    qtbot.addWidget(pane)
    pane.resize(520, 760)
    pane.show()
    values = pane.details.values
    for language, place in (("en", "Lisbon"), ("zh_CN", "里斯本"), ("es", "Lisbon")):
        install_translations(qapp, language, tmp_path)
        assert ui_language() == language
        pane.show_hit(hit_on(library, "lisbon.jpg"))
        qtbot.waitUntil(lambda place=place: values["place"].text() == place, timeout=WAIT_MS)
        assert values["taken"].text() == short(TAKEN, pane.locale())
        assert values["camera"].text() == "Canon EOS R5"
        assert not values["recorded"].isVisibleTo(pane)
    install_translations(qapp, ENGLISH)
    pane.show_hit(hit_on(library, "memo.wav", FileKind.AUDIO))  # a recording's date
    qtbot.waitUntil(lambda: values["recorded"].text() != "", timeout=WAIT_MS)
    assert values["recorded"].text() == short(RECORDED, pane.locale())
    assert not values["taken"].isVisibleTo(pane) and not values["place"].isVisibleTo(pane)
    pane.show_hit(hit_on(library, "plain.jpg"))  # says nothing: the rows hide
    qtbot.waitUntil(
        lambda: pane.details_shown is not None and pane.details_shown.path.name == "plain.jpg",
        timeout=WAIT_MS,
    )
    assert not values["camera"].isVisibleTo(pane)
    assert not values["taken"].isVisibleTo(pane) and not values["place"].isVisibleTo(pane)
    assert values["modified"].text()
    pane.clear()


# The .qm files compiled from the .ts here, into tmp_path; English again afterwards.
@pytest.mark.usefixtures("compiled")
def test_the_place_chip_offers_the_librarys_towns_and_filters_by_one(
    qtbot: QtBot,
    qapp: QApplication,
    engine: EngineClient,
    library: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    bar = SearchBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.place_chip.isVisible()  # no file says where it was taken yet
    engine.places(lambda found: bar.set_places([place for place, _n in found]))
    qtbot.waitUntil(lambda: len(bar.places()) == 2, timeout=WAIT_MS)
    assert bar.place_chip.isVisible() and bar.place_chip.text() == "Any place"
    menu = [action.text() for action in bar.place_menu.actions() if not action.isSeparator()]
    assert menu == ["Any place", "Lisbon", "Madrid"]  # one photo each: by name
    lisbon = bar.places()[0]
    with qtbot.waitSignal(bar.query_changed) as changed:
        bar.set_place(lisbon)
    assert changed.args == ['place:"Lisbon"'] and bar.place_chip.text() == "Lisbon"
    with Trove(library[1], dev_pack_path()) as trove:
        listing = trove.browse(parse(bar.query()).filters)
    assert [listed.path.name for listed in listing.files] == ["lisbon.jpg"]
    install_translations(qapp, "zh_CN", tmp_path)  # the chip follows the UI's language
    qtbot.waitUntil(lambda: bar.place_chip.text() == "里斯本", timeout=WAIT_MS)
    assert bar.query() == 'place:"Lisbon"'  # the filter itself does not change
    bar.set_places([])  # the town left the library: back to any place, and the chip hides
    assert bar.query() == "" and not bar.place_chip.isVisible()


def test_the_window_offers_the_towns_once_indexing_has_settled(
    qtbot: QtBot, library: tuple[Path, Path], tmp_path: Path
) -> None:
    window = open_window(qtbot, library[0], library[1], tmp_path / "cache")
    try:
        qtbot.waitUntil(lambda: len(window.search_bar.places()) == 2, timeout=4 * WAIT_MS)
        assert window.search_bar.place_chip.isVisible()
        window.search_bar.set_place(window.search_bar.places()[1])

        def listed() -> list[str]:
            listing = window.last_listing  # the library's, until the place's answer comes
            return [] if listing is None else [found.path.name for found in listing.files]

        qtbot.waitUntil(lambda: listed() == ["madrid.jpg"], timeout=WAIT_MS)
    finally:
        window.close()

"""Shared libraries in the window, on the real engine and a real Milvus Lite library: a library
another computer indexed is searched along with this one's, its hits open where its folder is
mounted here and preview from what the library keeps; one that cannot be read is said in the
person's language while this computer's search goes on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.settings import SharedLibrary
from desktop.window import MainWindow
from desktop.worker import EngineClient, EngineSettings
from engine.facade import FileDetails, SearchResult, Trove
from models.manifest import Manifest
from tests.conftest import dev_pack_path
from tests.media import demo_folder

WAIT_MS = 240_000  # models load on two shared cores
PHOTOS = ["chelsea.png", "dog.png", "coffee.png"]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> tuple[str, Path]:
    """A Milvus Lite library that "the NAS" indexed (its folder), and that folder as this
    computer mounts it (a copy)."""
    nas = tmp_path_factory.mktemp("nas")
    folder = nas / "photos"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(demo_folder() / "Photos" / name, folder / name)
    uri = str(nas / "library.db")
    with Trove(nas / "data", dev_pack.root, library=uri) as writer:
        writer.add_folder(folder)
        writer.index()
    mounted = tmp_path_factory.mktemp("mounted") / "photos"
    shutil.copytree(folder, mounted)
    return uri, mounted


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, library: tuple[str, Path]
) -> Iterator[tuple[MainWindow, EngineClient]]:
    uri, mounted = library
    nas_folder = str(Path(uri).parent / "photos")
    shared = (
        SharedLibrary(uri, nas_folder, mounted),
        SharedLibrary("http://127.0.0.1:9"),  # the discard port: nobody there
    )
    engine = EngineClient(EngineSettings(data=tmp_path / "data", pack=dev_pack_path(),
                                         shared=shared))  # fmt: skip
    shown = MainWindow(engine, cache=tmp_path / "cache")
    qtbot.addWidget(shown)
    failed: list[str] = []
    engine.shared_failed.connect(lambda address, _error: failed.append(address))
    engine.start()
    shown.show()
    qtbot.waitUntil(lambda: bool(failed), timeout=WAIT_MS)
    assert failed == ["http://127.0.0.1:9"]
    said = shown.toast.text.text()
    assert "127.0.0.1" in said and "cannot be searched" in said  # no engine sentence
    yield shown, engine
    shown.close()


def test_a_shared_librarys_hits_open_here_and_preview_from_what_it_keeps(
    qtbot: QtBot, window: tuple[MainWindow, EngineClient], library: tuple[str, Path]
) -> None:
    _, engine = window
    uri, mounted = library
    answers: list[SearchResult] = []
    engine.searched.connect(lambda _query, result: answers.append(result))
    engine.search("a cat")
    qtbot.waitUntil(lambda: bool(answers), timeout=WAIT_MS)
    top = answers[-1].hits[0]
    assert top.path == mounted / "chelsea.png" and top.library == uri
    details: list[FileDetails | None] = []
    engine.details(top.file_id, details.append, lambda error: pytest.fail(str(error)), top.library)
    qtbot.waitUntil(lambda: bool(details), timeout=WAIT_MS)
    shown = details[0]
    assert shown is not None and shown.path == top.path
    assert any("cat" in label for label, _ in shown.tags)  # the tags the NAS read

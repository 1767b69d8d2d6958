"""End to end on real models and media: the demo folder, indexed once, searched through FAISS,
then through a Milvus Lite file and the real Milvus server, each made from the same catalog by
``Trove(library=...)``; every demo query gives the same top hits on each."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from engine.cli import BAD_USAGE, DEMO_QUERIES, ENGINE_ERROR, OK, main
from engine.facade import Library, PathMapping, Route, Trove
from models.manifest import Manifest
from tests import media
from tests.engine.index.milvus_server import NamespacedMilvus

TOP = 3


def top_hits(trove: Trove) -> dict[str, list[tuple[str, float]]]:
    found = {}
    for query in DEMO_QUERIES:
        result = trove.search(query, limit=TOP)
        found[query] = [(hit.path.name, round(hit.score, 3)) for hit in result.hits]
    return found


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest
) -> tuple[Path, dict[str, list[tuple[str, float]]]]:
    """A data folder with the demo folder indexed (FAISS), and FAISS's top hits."""
    data = tmp_path_factory.mktemp("data")
    with Trove(data, dev_pack.root) as trove:
        trove.add_folder(media.demo_folder())
        trove.index()
        return data, top_hits(trove)


def library_uri(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "milvus-lite":
        return str(tmp_path / "library.db")
    server: NamespacedMilvus = request.getfixturevalue("milvus_server")
    return server.uri


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["milvus-lite", "milvus-server"])
def test_each_backend_gives_the_demo_queries_the_same_top_hits_as_faiss(
    backend: str,
    indexed: tuple[Path, dict[str, list[tuple[str, float]]]],
    dev_pack: Manifest,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    data, faiss_hits = indexed
    assert all(faiss_hits.values()), "every demo query finds something with FAISS"
    library = Library.parse(library_uri(backend, request, tmp_path))
    # The server is shared by the session's tests: this catalog takes it over on purpose.
    with Trove(data, dev_pack.root, library=library, take_over=True) as trove:
        report = trove.library_report()
        assert report is not None and report.backend.value == backend
        assert report.undelivered == 0 and sum(report.collections.values()) > 0
        assert trove.status().consistent  # every catalog vector is in Milvus, nothing else
        milvus_hits = top_hits(trove)
    for query, expected in faiss_hits.items():
        got = milvus_hits[query]
        # same files in the same order; a tie (equal scores) may come in either order
        assert [score for _, score in got] == pytest.approx(
            [score for _, score in expected], abs=2e-3
        ), query
        assert {name for name, _ in got} == {name for name, _ in expected}, query


@pytest.mark.slow
def test_the_command_line_takes_a_library(
    indexed: tuple[Path, dict[str, list[tuple[str, float]]]],
    dev_pack: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, faiss_hits = indexed
    options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
    library = ["--library", str(tmp_path / "library.db")]
    capsys.readouterr()
    assert main([*options, "index", *library]) == OK  # this machine writes the library
    capsys.readouterr()
    assert main([*options, "search", "a cat", "--json", *library]) == OK
    found = json.loads(capsys.readouterr().out)
    assert [Path(hit["path"]).name for hit in found["hits"][:TOP]] == [
        name for name, _ in faiss_hits["a cat"]
    ]
    assert main([*options, "doctor", *library]) == OK
    said = capsys.readouterr().out
    assert f"library: milvus-lite {tmp_path / 'library.db'}, Milvus milvus_lite-" in said
    assert "consistent with the catalog" in said
    kept = re.search(r"words of (\d+) note chunks, transcript lines and file names", said)
    assert kept is not None and int(kept[1]) >= len(list(media.demo_folder().rglob("*.*")))
    assert main([*options, "rebuild", *library]) == OK
    assert "rebuilt" in capsys.readouterr().out
    assert main([*options, "rebuild"]) == ENGINE_ERROR  # FAISS files rebuild themselves
    assert "rebuild is for a Milvus library" in capsys.readouterr().err
    capsys.readouterr()

    # Another machine reads it: paths as mounted there, nothing it cannot answer from here.
    laptop = ["--data-dir", str(tmp_path / "laptop"), "--pack", str(dev_pack.root)]
    mounted = ["--map", f"{media.demo_folder()}=/mnt/nas/demo"]
    assert main([*laptop, "search", "a cat", "--json", *library, *mounted]) == OK
    read = json.loads(capsys.readouterr().out)["hits"][:TOP]
    assert [Path(hit["path"]).name for hit in read] == [name for name, _ in faiss_hits["a cat"]]
    assert all(hit["library"] == str(tmp_path / "library.db") for hit in read)
    assert all(hit["path"].startswith("/mnt/nas/demo/Photos/") for hit in read)
    assert main([*laptop, "doctor", *library, *mounted]) == OK
    said = capsys.readouterr().out
    assert "library: shared, milvus-lite" in said and "is mounted here at /mnt/nas/demo" in said
    assert kept[0] in said  # the same words, read from here
    assert main([*laptop, "list", "kind:photo", *library]) == BAD_USAGE
    assert "written by another machine's Trove" in capsys.readouterr().err
    assert main([*laptop, "index", *library]) == ENGINE_ERROR  # it would wipe the library
    assert "written by another Trove" in capsys.readouterr().err
    assert main([*laptop, "search", "a cat", *library, "--map", "nas=/mnt"]) == BAD_USAGE
    assert capsys.readouterr().err == "trove: the library's folder nas is not an absolute path\n"

    away = ["--library", "http://127.0.0.1:9"]  # the discard port: nobody there
    assert main([*options, "search", "a cat", *away]) == ENGINE_ERROR
    error = capsys.readouterr().err
    assert error.startswith("trove: cannot reach the Milvus library http://127.0.0.1:9: ")
    assert error.count("\n") == 1 and "Traceback" not in error


# What a reader must never ask of a shared library.
WRITES = ("insert", "upsert", "delete", "create_collection", "drop_collection", "create_index",
          "drop_index", "create_partition", "drop_partition", "flush")  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["milvus-lite", "milvus-server"])
def test_another_machine_searches_the_library_and_writes_nothing(
    backend: str,
    indexed: tuple[Path, dict[str, list[tuple[str, float]]]],
    dev_pack: Manifest,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A laptop without the indexing machine's catalog searches its library: the same files come
    first as where it was indexed, at paths that open here (the share as mounted here), and
    nothing is written to the library. Exact words too where Milvus keeps them (Lite; servers
    from 2.5); by meaning alone, and said, on the 2.3 server."""
    from pymilvus import MilvusClient

    data, faiss_hits = indexed
    uri = library_uri(backend, request, tmp_path)
    by_words = backend == "milvus-lite"
    asked = [*DEMO_QUERIES, "zoo-trip"]  # the last: a note's name, found by its words
    with Trove(data, dev_pack.root, library=uri, take_over=True) as writer:  # the indexer
        written = writer.library_report()
        # as a reader answers: with the words where the library keeps them
        writer.planner.settings = replace(writer.planner.settings, exact_words=by_words)
        expected_hits = {}
        for query in asked:
            found = writer.search(query, limit=TOP).hits
            expected_hits[query] = [(hit.path.name, round(hit.score, 3)) for hit in found]
    assert written is not None and written.undelivered == 0
    demo = media.demo_folder()
    mounted = tmp_path / "mounted"  # where this laptop mounts the share (a copy: 4.5 MB)
    shutil.copytree(demo, mounted)
    for name in WRITES:
        monkeypatch.setattr(MilvusClient, name, _refused(name))
    with Trove(tmp_path / "laptop", dev_pack.root) as laptop:
        info = laptop.attach_library(uri, PathMapping.of([(str(demo), mounted)]))
        assert info.folders == (str(demo),) and not info.missing
        assert set(info.spaces) == set(written.collections)
        for query, expected in expected_hits.items():
            result = laptop.search(query, limit=TOP)
            hits = result.hits
            said_meaning_only = any("keeps no words" in note for note in result.notes)
            assert said_meaning_only != by_words, query
            # same files, same scores; a tie (equal scores) may come in either order
            assert [hit.score for hit in hits] == pytest.approx(
                [score for _, score in expected], abs=2e-3
            ), query
            assert {hit.path.name for hit in hits} == {name for name, _ in expected}, query
            assert all(hit.library == uri and hit.path.parent.parent == mounted for hit in hits)
            assert all(hit.path.is_file() for hit in hits), "a hit opens here"
        named = laptop.search("zoo-trip", limit=1).hits
        if by_words:
            assert named[0].path == mounted / "Notes" / "zoo-trip.md"
            assert Route.NAME in {reason.route for reason in named[0].reasons}
        spoken = laptop.search("the budget on Thursday", limit=1).hits[0]
        details = laptop.details(spoken.file_id, spoken.library)
        assert details is not None and details.path == spoken.path
        assert "budget" in " ".join(segment.text for segment in details.transcript).lower()
        # a folder typed here is asked in the indexing machine's terms
        in_notes = laptop.search(f'a day at the zoo with the kids in:"{mounted / "Notes"}"')
        assert [hit.path for hit in in_notes.hits] == [mounted / "Notes" / "zoo-trip.md"]
        assert all(hit.path.parent == mounted / "Notes" for hit in in_notes.weaker)
        assert not any("nothing is indexed" in note for note in in_notes.notes)
        assert laptop.shared_report(uri).collections == written.collections


def _refused(name: str) -> Callable[..., None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a reader asked the shared library to {name}")

    return refuse

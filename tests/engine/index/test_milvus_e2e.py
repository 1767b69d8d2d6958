"""End to end on real models and media: the demo folder, indexed once, searched through FAISS,
then through a Milvus Lite file and the real Milvus server, each made from the same catalog by
``Trove(library=...)``; every demo query gives the same top hits on each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import DEMO_QUERIES, ENGINE_ERROR, OK, main
from engine.facade import Library, Trove
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
    with Trove(data, dev_pack.root, library=library) as trove:
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
    assert main([*options, "search", "a cat", "--json", *library]) == OK
    found = json.loads(capsys.readouterr().out)
    assert [Path(hit["path"]).name for hit in found["hits"][:TOP]] == [
        name for name, _ in faiss_hits["a cat"]
    ]
    assert main([*options, "doctor", *library]) == OK
    said = capsys.readouterr().out
    assert f"library: milvus-lite {tmp_path / 'library.db'}, Milvus milvus_lite-" in said
    assert "consistent with the catalog" in said
    assert main([*options, "rebuild", *library]) == OK
    assert "rebuilt" in capsys.readouterr().out
    assert main([*options, "rebuild"]) == ENGINE_ERROR  # FAISS files rebuild themselves
    assert "rebuild is for a Milvus library" in capsys.readouterr().err
    away = ["--library", "http://127.0.0.1:9"]  # the discard port: nobody there
    assert main([*options, "search", "a cat", *away]) == ENGINE_ERROR
    error = capsys.readouterr().err
    assert error.startswith("trove: cannot reach the Milvus library http://127.0.0.1:9: ")
    assert error.count("\n") == 1 and "Traceback" not in error

"""Library URIs: which backend each names, and the token: from a file only its owner can read
(or the OS keyring), never in a URI, a repr or a message."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from engine.index.library import TOKEN_FILE_VARIABLE, Backend, Library, LibraryError
from engine.index.milvus import connect

SECRET = "root:Milvus-s3cret"


def test_no_uri_is_faiss_files() -> None:
    assert Library.parse(None).backend is Backend.FAISS
    assert Library.parse("").backend is Backend.FAISS
    assert not Library.parse(None).is_milvus


def test_a_db_path_is_milvus_lite(tmp_path: Path) -> None:
    library = Library.parse(str(tmp_path / "shared.db"))
    assert library.backend is Backend.MILVUS_LITE
    assert library.uri == str((tmp_path / "shared.db").resolve())


@pytest.mark.parametrize(
    ("given", "uri"),
    [
        ("http://nas:19530", "http://nas:19530"),
        ("http://nas", "http://nas:19530"),
        ("https://milvus.example.org:443/", "https://milvus.example.org:443"),
    ],
)
def test_http_and_https_are_a_server(given: str, uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_FILE_VARIABLE, raising=False)
    library = Library.parse(given)
    assert (library.backend, library.uri) == (Backend.MILVUS_SERVER, uri)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("library.sqlite", "neither a Milvus Lite file"),
        ("/no/such/folder/x.db", "its folder does not exist"),
        ("http://nas:19530/db?x=1", r"is not http\(s\)://host:port"),
        ("http://nas:port", "bad port"),
    ],
)
def test_a_bad_uri_is_one_sentence(given: str, said: str) -> None:
    with pytest.raises(LibraryError, match=said):
        Library.parse(given)


def test_credentials_in_a_uri_are_refused_without_repeating_them() -> None:
    with pytest.raises(LibraryError) as caught:
        Library.parse(f"http://{SECRET}@nas:19530")
    assert "s3cret" not in str(caught.value)


def test_the_token_comes_from_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    os.chmod(token_file, 0o644)
    with pytest.raises(LibraryError, match="chmod 600") as caught:
        Library.parse("https://nas:19530", token_file)
    assert SECRET not in str(caught.value)
    os.chmod(token_file, 0o600)
    library = Library.parse("https://nas:19530", token_file)
    assert library.token == SECRET
    assert SECRET not in repr(library) and SECRET not in library.uri


def test_the_token_file_may_be_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET)
    os.chmod(token_file, 0o600)
    monkeypatch.setenv(TOKEN_FILE_VARIABLE, str(token_file))
    assert Library.parse("http://nas:19530").token == SECRET


def test_an_unreachable_server_is_one_line_without_the_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET)
    os.chmod(token_file, 0o600)
    library = Library.parse("http://127.0.0.1:9", token_file)  # the discard port: nobody there
    with pytest.raises(LibraryError) as caught:
        connect(library)
    message = str(caught.value)
    assert message.startswith("cannot reach the Milvus library http://127.0.0.1:9: ")
    assert "\n" not in message and SECRET not in message


def test_a_build_without_the_milvus_client_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An environment without pymilvus (a build that left it out, a broken install): opening a
    # Milvus library there must be one sentence, not an ImportError's traceback.
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(LibraryError, match="no Milvus client .*install Trove with pip"):
        connect(Library.parse(str(tmp_path / "shared.db")))

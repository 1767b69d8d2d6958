"""Where a library's vectors live, chosen by a URI: FAISS files in the data folder (the default),
a Milvus Lite file (a path ending in ``.db``) or a Milvus server or cluster (``http(s)://``).

A server's token is read from the OS keyring (service ``trove-milvus``, user the URI) or from a
file only its owner can read, never from the command line or the environment's value itself, and
it is never logged or shown: :class:`Library` keeps it out of its ``repr``.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from engine.errors import EngineError, Problem

log = logging.getLogger(__name__)

KEYRING_SERVICE = "trove-milvus"
# Names a token file when no keyring holds one (the file must be readable by its owner alone).
TOKEN_FILE_VARIABLE = "TROVE_MILVUS_TOKEN_FILE"


class Backend(StrEnum):
    FAISS = "faiss"
    MILVUS_LITE = "milvus-lite"
    MILVUS_SERVER = "milvus-server"


class LibraryError(EngineError):
    """A library URI that cannot be used, or a library that cannot be reached: the message is
    one sentence that names the URI and why."""

    def __init__(self, message: str) -> None:
        super().__init__(Problem.CANNOT_OPEN, message)


@dataclass(frozen=True)
class Library:
    """A parsed library URI. ``uri`` is what the outbox records as its target: the absolute
    ``.db`` path, or the server URL without any credentials."""

    backend: Backend
    uri: str
    token: str = field(default="", repr=False, compare=False)

    @property
    def is_milvus(self) -> bool:
        return self.backend is not Backend.FAISS

    @classmethod
    def parse(cls, text: str | None, token_file: Path | None = None) -> Library:
        """``None`` or ``""`` is the default, FAISS files in the data folder."""
        if not text or text == Backend.FAISS.value:
            return cls(Backend.FAISS, Backend.FAISS.value)
        if text.startswith(("http://", "https://")):
            parts = urlsplit(text)
            if parts.username or parts.password:
                raise LibraryError(
                    f"the library {parts.scheme}://{parts.hostname}:{parts.port} has a user or "
                    "password in its URI: keep the token in the OS keyring or a token file instead"
                )
            try:
                port = parts.port
            except ValueError as error:
                raise LibraryError(f"the library URI {text} has a bad port ({error})") from error
            if not parts.hostname or parts.path not in ("", "/") or parts.query:
                raise LibraryError(f"the library URI {text} is not http(s)://host:port")
            uri = f"{parts.scheme}://{parts.hostname}:{port or 19530}"
            return cls(Backend.MILVUS_SERVER, uri, read_token(uri, token_file))
        path = Path(text).expanduser()
        if path.suffix != ".db":
            raise LibraryError(
                f"the library {text} is neither a Milvus Lite file (a name ending in .db) nor a "
                "server (http://host:port or https://host:port)"
            )
        if not path.parent.is_dir():
            raise LibraryError(f"the library {path} cannot be made: its folder does not exist")
        return cls(Backend.MILVUS_LITE, str(path.resolve()))


def read_token(uri: str, token_file: Path | None = None) -> str:
    """The token for ``uri``: from ``token_file`` (or the file ``TROVE_MILVUS_TOKEN_FILE``
    names), else from the OS keyring, else none (a server without authentication)."""
    named = token_file or (
        Path(os.environ[TOKEN_FILE_VARIABLE]) if os.environ.get(TOKEN_FILE_VARIABLE) else None
    )
    if named is not None:
        return _token_from_file(uri, named)
    return _token_from_keyring(uri)


def _token_from_file(uri: str, path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LibraryError(
                f"the token file {path} for {uri} can be read by other accounts: "
                f"run chmod 600 {path}"
            )
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise LibraryError(
            f"the token file {path} for {uri} cannot be read ({error.strerror})"
        ) from error
    if not token:
        raise LibraryError(f"the token file {path} for {uri} is empty")
    return token


def _token_from_keyring(uri: str) -> str:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # a build without the keyring package: token files only
        return ""
    try:
        return keyring.get_password(KEYRING_SERVICE, uri) or ""
    except KeyringError as error:  # no keyring on this system (a headless server)
        log.info("no OS keyring to read a token for %s from (%s)", uri, type(error).__name__)
        return ""

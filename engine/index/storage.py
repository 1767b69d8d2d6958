"""How an index reaches the disk: one self-checking file, replaced atomically.

A file holds a JSON header (the index kind, its dimension and parameters), any numpy arrays
the kind keeps beside FAISS (HNSW's labels and tombstones), the FAISS index itself, and an
end marker. A file cut short (a crash mid-write on a file system without ordered writes, a
full disk) lacks the marker and is refused with :class:`IndexFileError`, so the caller
rebuilds from the catalog instead of serving a half-read index.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import faiss
import numpy as np
from numpy.typing import NDArray

MAGIC = b"TROVEIX1"
END = b"TROVEEND"
_LENGTH = struct.Struct("<Q")


class IndexFileError(Exception):
    """An index file is missing, cut short, of another kind or otherwise unreadable."""


@dataclass
class IndexFile:
    """The contents of one index file."""

    header: dict[str, Any]
    index: faiss.Index
    arrays: dict[str, NDArray[Any]] = field(default_factory=dict)


def fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary file in the same folder, fsync it, rename it over ``path`` and
    fsync the folder: a reader sees the old file or the new one, never a mixture."""
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def _write_block(stream: BinaryIO, data: bytes | memoryview) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise IndexFileError("index file is cut short")
    return data


def _read_block(stream: BinaryIO) -> bytes:
    (size,) = _LENGTH.unpack(_read_exact(stream, _LENGTH.size))
    return _read_exact(stream, size)


def write_index_file(
    path: Path,
    header: Mapping[str, Any],
    index: faiss.Index,
    arrays: Mapping[str, NDArray[Any]] | None = None,
) -> None:
    """Save ``index`` with its header and side arrays to ``path`` atomically."""
    arrays = dict(arrays or {})
    described = {
        **header,
        "arrays": {name: [str(a.dtype), list(a.shape)] for name, a in arrays.items()},
    }

    def write(stream: BinaryIO) -> None:
        stream.write(MAGIC)
        _write_block(stream, json.dumps(described).encode())
        for array in arrays.values():
            _write_block(stream, np.ascontiguousarray(array).data.cast("B"))
        # FAISS streams straight into the file: no second in-memory copy of a large index
        faiss.write_index(index, faiss.PyCallbackIOWriter(stream.write))  # type: ignore[attr-defined]
        stream.write(END)

    atomic_write(path, write)


def read_index_file(path: Path, kind: str, dim: int | None = None) -> IndexFile:
    """Read a file written by :func:`write_index_file`, checking its kind and dimension."""
    try:
        with path.open("rb") as stream:
            if stream.read(len(MAGIC)) != MAGIC:
                raise IndexFileError(f"{path} is not a Trove index file")
            header = json.loads(_read_block(stream))
            if header.get("kind") != kind:
                raise IndexFileError(f"{path} holds a {header.get('kind')!r} index, not {kind!r}")
            if dim is not None and header.get("dim") != dim:
                raise IndexFileError(f"{path} holds {header.get('dim')}-d vectors, not {dim}-d")
            arrays: dict[str, NDArray[Any]] = {}
            for name, (dtype, shape) in header.pop("arrays").items():
                raw = _read_block(stream)
                arrays[name] = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
            index = faiss.read_index(faiss.PyCallbackIOReader(stream.read))  # type: ignore[attr-defined]
            if stream.read(len(END)) != END or stream.read(1):
                raise IndexFileError(f"{path} is cut short or has trailing bytes")
    except IndexFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, struct.error) as error:
        # FAISS reports a short or garbled stream as RuntimeError
        raise IndexFileError(f"cannot read index file {path}: {error}") from error
    return IndexFile(header, index, arrays)

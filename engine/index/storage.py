"""How an index reaches the disk: one self-checking file, replaced atomically.

A file holds a JSON header (the index kind, its dimension and parameters), any numpy arrays
the kind keeps beside FAISS (HNSW's labels and tombstones), the FAISS index itself, and an
end marker. A file cut short (a crash mid-write on a file system without ordered writes, a
full disk) lacks the marker and is refused with :class:`IndexFileError`, so the caller
rebuilds from the catalog instead of serving a half-read index.

A flat index can be read in place (``in_place=True``): the file is memory-mapped and FAISS
uses the vectors where they lie, so opening 100k vectors of d=384 (150 MB) costs a few
milliseconds instead of a copy (70 ms), and the page cache holds them once for every process.
Files are never changed in place (each save writes a new one), so a map stays valid while it
is held; FAISS cannot change vectors it does not own, so the caller copies the index out
before its first change (see :class:`~engine.index.flat.FlatIndex`).
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
    # The file's bytes, mapped, where the index was read in place: keep it while the index lives
    mapping: NDArray[np.uint8] | None = None


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


def check_ends(path: Path, kind: str) -> None:
    """Refuse ``path`` unless it begins and ends as a whole file of ``kind`` does: two small
    reads, so that an index can be judged at open and read only when first searched. A file
    missing, cut short or of another kind is caught here; damage inside, by the full read."""
    try:
        with path.open("rb") as stream:
            if stream.read(len(MAGIC)) != MAGIC:
                raise IndexFileError(f"{path} is not a Trove index file")
            header = json.loads(_read_block(stream))
            stream.seek(-len(END), os.SEEK_END)
            if stream.read(len(END)) != END:
                raise IndexFileError(f"{path} is cut short")
    except IndexFileError:
        raise
    except (OSError, ValueError, struct.error) as error:
        raise IndexFileError(f"cannot read index file {path}: {error}") from error
    if not isinstance(header, dict) or header.get("kind") != kind:
        raise IndexFileError(f"{path} does not hold a {kind!r} index")


def read_index_file(
    path: Path, kind: str, dim: int | None = None, in_place: bool = False
) -> IndexFile:
    """Read a file written by :func:`write_index_file`, checking its kind and dimension;
    ``in_place``: map the FAISS part instead of copying it (see the module docstring)."""
    mapping = None
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
            if in_place:
                mapping, index = _map_index(path, stream.tell())
            else:
                index = faiss.read_index(faiss.PyCallbackIOReader(stream.read))  # type: ignore[attr-defined]
                if stream.read(len(END)) != END or stream.read(1):
                    raise IndexFileError(f"{path} is cut short or has trailing bytes")
    except IndexFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, struct.error) as error:
        # FAISS reports a short or garbled stream as RuntimeError
        raise IndexFileError(f"cannot read index file {path}: {error}") from error
    return IndexFile(header, index, arrays, mapping)


def _map_index(path: Path, start: int) -> tuple[NDArray[np.uint8], faiss.Index]:
    """The FAISS index that begins at ``start`` of ``path``, read from a map of the file with
    its vectors left there (FAISS's zero-copy reader: the index points into the map)."""
    mapping = np.memmap(path, dtype=np.uint8, mode="r")
    if len(mapping) < start + len(END) or bytes(mapping[-len(END) :]) != END:
        raise IndexFileError(f"{path} is cut short")
    body = mapping[start : len(mapping) - len(END)]
    reader = faiss.ZeroCopyIOReader(faiss.swig_ptr(body), body.size)  # type: ignore[attr-defined]
    index = faiss.read_index(reader, faiss.IO_FLAG_MMAP_IFC)
    if reader.rp_ != body.size:
        raise IndexFileError(f"{path} has trailing bytes")
    return mapping, index

"""Reader for CTranslate2's ``model.bin``: a small header, then named, typed arrays.

The layout (binary versions 1 to 6, as CTranslate2 writes them; all integers little-endian):

    uint32 binary_version
    if version >= 2: string spec_name, uint32 spec_revision
    uint32 n_variables, then per variable:
        string name, uint8 rank, uint32[rank] shape,
        version >= 4: uint8 dtype id, uint32 payload bytes
        version <  4: uint8 item size, uint32 item count
        payload
    if version >= 3: uint32 n_aliases, then (string alias, string target) pairs

A string is a uint16 length (counting a trailing NUL) followed by its bytes. Build-time only, but
it needs nothing beyond numpy.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

SUPPORTED_VERSION = 6

# CTranslate2's DataType enum, in its order.
_DTYPES: tuple[np.dtype, ...] = (
    np.dtype("<f4"),
    np.dtype("i1"),
    np.dtype("<i2"),
    np.dtype("<i4"),
    np.dtype("<f2"),
    np.dtype("<u2"),  # bfloat16: kept as raw bits, see ``as_float32``
)
_BFLOAT16 = 5
# Before version 4 only the item size was stored; CTranslate2 maps it back like this.
_DTYPE_BY_ITEM_SIZE = {4: 0, 1: 1, 2: 4}


class CTranslate2FormatError(ValueError):
    """The file is not a CTranslate2 model this reader understands, or is truncated."""


@dataclass(frozen=True)
class CTranslate2Model:
    """Everything a ``model.bin`` holds: its spec, its variables and its name aliases."""

    binary_version: int
    spec: str
    spec_revision: int
    variables: dict[str, NDArray[np.generic]]
    aliases: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> NDArray[np.generic]:
        return self.variables[self.aliases.get(name, name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.aliases.get(name, name) in self.variables

    def as_float32(self, name: str) -> NDArray[np.float32]:
        """A variable as float32, whatever precision it was saved in (bfloat16 included)."""
        array = self[name]
        if array.dtype == np.dtype("<u2"):
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array.astype(np.float32)


class _Stream:
    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self._handle = handle
        self._path = path

    def read(self, size: int, what: str) -> bytes:
        data = self._handle.read(size)
        if len(data) != size:
            raise CTranslate2FormatError(
                f"{self._path} is truncated: wanted {size} bytes for {what}, got {len(data)}"
            )
        return data

    def scalar(self, code: str, what: str) -> int:
        value: int = struct.unpack("<" + code, self.read(struct.calcsize(code), what))[0]
        return value

    def string(self, what: str) -> str:
        length = self.scalar("H", what)
        if length == 0:
            raise CTranslate2FormatError(f"{self._path}: empty string for {what}")
        return self.read(length, what)[:-1].decode("utf-8")


def read_ctranslate2(path: Path) -> CTranslate2Model:
    """Read every variable of ``path`` into memory (numpy arrays in their saved dtype)."""
    with path.open("rb") as handle:
        stream = _Stream(handle, path)
        version = stream.scalar("I", "the binary version")
        if not 1 <= version <= SUPPORTED_VERSION:
            raise CTranslate2FormatError(f"{path}: unsupported binary version {version}")
        spec, revision = "", 1
        if version >= 2:
            spec = stream.string("the spec name")
            revision = stream.scalar("I", "the spec revision")
        variables: dict[str, NDArray[np.generic]] = {}
        for _ in range(stream.scalar("I", "the variable count")):
            name = stream.string("a variable name")
            rank = stream.scalar("B", f"the rank of {name}")
            shape = struct.unpack(f"<{rank}I", stream.read(4 * rank, f"the shape of {name}"))
            if version >= 4:
                type_id = stream.scalar("B", f"the dtype of {name}")
                size = stream.scalar("I", f"the size of {name}")
            else:
                item = stream.scalar("B", f"the item size of {name}")
                type_id = _DTYPE_BY_ITEM_SIZE.get(item, -1)
                size = stream.scalar("I", f"the size of {name}") * item
            if not 0 <= type_id < len(_DTYPES):
                raise CTranslate2FormatError(f"{path}: {name} has unknown dtype id {type_id}")
            dtype = _DTYPES[type_id]
            count = int(np.prod(shape, dtype=np.int64))
            if size != count * dtype.itemsize:
                raise CTranslate2FormatError(f"{path}: {name} has an invalid payload size {size}")
            payload = stream.read(size, f"the data of {name}")
            variables[name] = np.frombuffer(payload, dtype=dtype).reshape(shape)
        aliases: dict[str, str] = {}
        if version >= 3:
            for _ in range(stream.scalar("I", "the alias count")):
                alias = stream.string("an alias")
                aliases[alias] = stream.string(f"the target of alias {alias}")
        if handle.read(1):
            raise CTranslate2FormatError(f"{path}: unexpected bytes after the last alias")
    return CTranslate2Model(version, spec, revision, variables, aliases)

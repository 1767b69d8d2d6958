"""Fixtures for the scanner, pipeline and watcher: a catalog in a temporary data dir, small
fakes of the index and the models for unit tests, and real media copied into a user folder."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind, ReplaceResult, SpaceBuild
from engine.media.errors import MediaError
from tests import media

FAKE_SPACE = "fake-bytes"


class RecordingIndex:
    """An index sink that keeps the ids of every space, so tests can see what the index holds."""

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {}
        self.saves = 0

    def apply(self, result: ReplaceResult) -> None:
        """As :meth:`SpaceIndexes.apply`: the removed first (a vector made again is both)."""
        for space, item_id in result.removed:
            self.ids[space].remove(item_id)
        for space, (ids, vectors) in result.added.items():
            assert len(ids) == len(vectors)
            held = self.ids.setdefault(space, set())
            assert not held & set(ids.tolist()), "an id was added twice"
            held.update(ids.tolist())

    def save(self) -> None:
        self.saves += 1

    def count(self) -> int:
        return sum(len(ids) for ids in self.ids.values())


@dataclass(frozen=True)
class FakeDecoded:
    digest: bytes
    nbytes: int
    streamed: bool = False


class FakeExtract:
    """Decodes by reading the bytes; one item per file whose vector comes from the bytes. A file
    whose bytes start with ``BAD`` fails to decode, as a corrupt one would."""

    def __init__(self) -> None:
        self.decoded: list[Path] = []
        self.embedded = 0

    def decode(self, path: Path, kind: FileKind) -> FakeDecoded:
        data = path.read_bytes()
        if data.startswith(b"BAD"):
            raise MediaError(f"{path.name}: corrupt")
        self.decoded.append(path)
        return FakeDecoded(hashlib.sha256(data).digest(), len(data))

    def embed(self, files: Sequence[FakeDecoded]) -> list[list[Item]]:
        self.embedded += len(files)
        out = []
        for one in files:
            vector = np.frombuffer(one.digest, dtype=np.uint8).astype(np.float32)
            vector /= np.linalg.norm(vector)
            out.append([Item(ItemKind.PHOTO, vectors={FAKE_SPACE: vector})])
        return out

    def embed_parts(self, decoded: FakeDecoded) -> Iterator[list[Item]]:
        yield self.embed([decoded])[0]

    def text_spaces(self) -> list[SpaceBuild]:
        return []  # its one space is made from bytes, not text

    def embed_stored(self, space: str, items: Sequence[Item]) -> np.ndarray:
        raise AssertionError("a pack without text spaces has no text to embed again")


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    data = tmp_path / "data"
    data.mkdir()
    with Catalog(data / "catalog.sqlite3") as opened:
        yield opened


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A person's folder of real photos, sounds and notes (a copy of part of the demo)."""
    demo = media.demo_folder()
    folder = tmp_path / "home" / "Pictures"
    picks = [
        "Photos/chelsea.png",
        "Photos/coffee.png",
        "Photos/rocket.jpg",
        "Photos/dog.png",
        "Sounds/dog.ogg",
        "Notes/zoo-trip.md",
    ]
    for name in picks:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo / name, target)
    return folder


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``folder`` -> (content hash or link target, mode), to prove that
    nothing in a user's folder was written, made or removed."""
    state: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            state[str(path)] = (str(path.readlink()), info.st_mode)
        elif path.is_file():
            state[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode)
        else:
            state[str(path)] = ("dir", info.st_mode)
    return state

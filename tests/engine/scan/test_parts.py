"""A streamed file (a long recording) committed part by part: searchable from its first part,
PENDING until its last, and indexed again from its start, with nothing doubled, after a run
that stopped part way. The models are stood in (see :class:`PartsExtract`); the real models
on a real long recording are in ``test_long_recording.py``."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, FileStatus, Item, ItemKind
from engine.media.errors import MediaError
from engine.scan.changes import ChangeKind, IndexChanges
from engine.scan.pipeline import Pipeline
from engine.scan.scanner import Scanner
from tests.engine.scan.conftest import FAKE_SPACE, FakeDecoded, FakeExtract, RecordingIndex

PARTS = 4


class PartsExtract(FakeExtract):
    """A file named ``*.long.txt`` is streamed: :data:`PARTS` parts of two timed items each,
    then an empty last part (the end of a recording that completes nothing more). A file
    whose bytes hold ``BREAK`` breaks after its second part."""

    def __init__(self) -> None:
        super().__init__()
        self.parts_made = 0
        self.walks = 0  # files walked in parts

    def decode(self, path: Path, kind: FileKind) -> FakeDecoded:
        decoded = super().decode(path, kind)
        if path.name.endswith(".long.txt"):
            breaks = b"BREAK" in path.read_bytes()
            return FakeDecoded(decoded.digest, -1 if breaks else 0, streamed=True)
        return decoded

    def embed_parts(self, decoded: FakeDecoded) -> Iterator[list[Item]]:
        if not decoded.streamed:
            yield from super().embed_parts(decoded)
            return
        self.walks += 1
        for part in range(PARTS):
            if decoded.nbytes == -1 and part == 2:
                raise MediaError("talk.long.txt: broken at 4 s")
            self.parts_made += 1
            yield [_timed(decoded.digest, 2.0 * part + half) for half in (0.0, 1.0)]
        yield []


def _timed(digest: bytes, start: float) -> Item:
    seed = hashlib.sha256(digest + str(start).encode()).digest()
    vector = np.frombuffer(seed, dtype=np.uint8).astype(np.float32)
    return Item(
        ItemKind.AUDIO_WINDOW,
        start=start,
        end=start + 1.0,
        vectors={FAKE_SPACE: vector / np.linalg.norm(vector)},
    )


def _folder(tmp_path: Path, content: str = "a long talk\n") -> Path:
    folder = tmp_path / "talks"
    folder.mkdir()
    (folder / "talk.long.txt").write_text(content)
    (folder / "note.txt").write_text("a short note\n")
    return folder


def _vector_ids(catalog: Catalog) -> dict[str, set[int]]:
    return {
        space: {int(i) for ids, _ in catalog.iter_vectors(space) for i in ids}
        for space in catalog.spaces()
    }


def _talk(catalog: Catalog) -> tuple[FileStatus, list[float]]:
    """The long file's status and the start of each of its items."""
    (record,) = [one for one in catalog.files() if one.relpath == "talk.long.txt"]
    return record.status, sorted(row.start or 0.0 for row in catalog.items_of_file(record.id))


class Watching:
    """An ``on_change`` that notes, on each publish about the long file, its change, its status
    and its items, and may act then (on the pipeline's thread, between two parts)."""

    def __init__(self, catalog: Catalog, act: Callable[[int], None] | None = None) -> None:
        self.catalog = catalog
        self.act = act
        self.seen: list[tuple[ChangeKind, FileStatus, int]] = []

    def __call__(self, changes: IndexChanges) -> None:
        for change in changes.files:
            if change.path.name == "talk.long.txt":
                status, starts = _talk(self.catalog)
                self.seen.append((change.change, status, len(starts)))
                if self.act is not None:
                    self.act(len(self.seen))


def test_a_streamed_file_is_searchable_part_by_part_and_pending_until_its_end(
    tmp_path: Path, catalog: Catalog
) -> None:
    catalog.add_root(_folder(tmp_path))
    index = RecordingIndex()
    watching = Watching(catalog)
    summary = Pipeline(catalog, index, PartsExtract(), on_change=watching).run(
        Scanner(catalog).scan()
    )
    assert summary.indexed == 2 and summary.items == 2 * PARTS + 1
    # The first part makes it searchable (ADDED), each later one adds to it (CHANGED); it is
    # PENDING until the empty last part marks it INDEXED, which changes no search.
    assert watching.seen == [
        (ChangeKind.ADDED, FileStatus.PENDING, 2),
        *[(ChangeKind.CHANGED, FileStatus.PENDING, 2 * n) for n in range(2, PARTS + 1)],
    ]
    assert _talk(catalog) == (FileStatus.INDEXED, [float(n) for n in range(2 * PARTS)])
    assert index.ids == _vector_ids(catalog)


def test_a_run_stopped_part_way_keeps_its_parts_and_the_next_run_replaces_them(
    tmp_path: Path, catalog: Catalog
) -> None:
    catalog.add_root(_folder(tmp_path))
    index = RecordingIndex()  # fails the test if an id is added twice or removed unknown
    extract = PartsExtract()
    pipeline = Pipeline(catalog, index, extract)
    pipeline.on_change = Watching(catalog, lambda parts: pipeline.cancel() if parts == 2 else None)
    stopped = pipeline.run(Scanner(catalog).scan())
    assert stopped.cancelled and extract.parts_made == 2
    assert _talk(catalog) == (FileStatus.PENDING, [0.0, 1.0, 2.0, 3.0])
    assert index.ids == _vector_ids(catalog)  # the parts are searchable

    pipeline.on_change = None
    again = pipeline.run(Scanner(catalog).scan())
    assert again.indexed == 1 and extract.walks == 2  # from its start
    assert _talk(catalog) == (FileStatus.INDEXED, [float(n) for n in range(2 * PARTS)])
    assert catalog.counts()["items"] == 2 * PARTS + 1 == index.count()
    assert index.ids == _vector_ids(catalog)


def test_a_pause_between_parts_keeps_them_and_goes_on_from_there(
    tmp_path: Path, catalog: Catalog
) -> None:
    catalog.add_root(_folder(tmp_path))
    extract = PartsExtract()
    pipeline = Pipeline(catalog, RecordingIndex(), extract)
    pipeline.on_change = Watching(catalog, lambda parts: pipeline.pause() if parts == 1 else None)
    worker = threading.Thread(target=lambda: pipeline.run(Scanner(catalog).scan()))
    worker.start()
    try:
        while not pipeline.paused:
            worker.join(0.01)
        worker.join(0.3)
        assert worker.is_alive() and extract.parts_made == 1
        assert _talk(catalog) == (FileStatus.PENDING, [0.0, 1.0])
    finally:
        pipeline.resume()
        worker.join(10)
    assert extract.walks == 1 and extract.parts_made == PARTS
    assert _talk(catalog)[0] is FileStatus.INDEXED


def test_a_file_that_breaks_part_way_fails_and_keeps_its_parts(
    tmp_path: Path, catalog: Catalog
) -> None:
    catalog.add_root(_folder(tmp_path, "BREAK: a talk cut short\n"))
    index = RecordingIndex()
    summary = Pipeline(catalog, index, PartsExtract()).run(Scanner(catalog).scan())
    assert (summary.indexed, summary.failed) == (1, 1)
    assert _talk(catalog) == (FileStatus.FAILED, [0.0, 1.0, 2.0, 3.0])
    (failure,) = catalog.failures()
    assert "broken at 4 s" in failure.reason
    assert index.ids == _vector_ids(catalog)


class EditedPartWay(PartsExtract):
    """Edits or deletes the long file once its first part is made."""

    def __init__(self, edit: Callable[[Path], None]) -> None:
        super().__init__()
        self.edit = edit
        self.path: Path | None = None

    def decode(self, path: Path, kind: FileKind) -> FakeDecoded:
        if path.name.endswith(".long.txt"):
            self.path = path
        return super().decode(path, kind)

    def embed_parts(self, decoded: FakeDecoded) -> Iterator[list[Item]]:
        for number, part in enumerate(super().embed_parts(decoded)):
            if decoded.streamed and number == 1 and self.path is not None:
                self.edit(self.path)
            yield part


def test_a_streamed_file_edited_or_deleted_part_way(tmp_path: Path, catalog: Catalog) -> None:
    catalog.add_root(_folder(tmp_path))
    index = RecordingIndex()
    edited = EditedPartWay(lambda path: path.write_text("a longer talk, edited\n"))
    summary = Pipeline(catalog, index, edited).run(Scanner(catalog).scan())
    assert [Path(p).name for p in summary.changed_while_read] == ["talk.long.txt"]
    assert _talk(catalog) == (FileStatus.PENDING, [0.0, 1.0])  # the next scan takes it up
    Pipeline(catalog, index, PartsExtract()).run(Scanner(catalog).scan())
    assert _talk(catalog) == (FileStatus.INDEXED, [float(n) for n in range(2 * PARTS)])
    assert index.ids == _vector_ids(catalog)

    gone = EditedPartWay(lambda path: path.unlink())
    (tmp_path / "talks" / "talk.long.txt").write_text("a talk about to go\n")
    summary = Pipeline(catalog, index, gone).run(Scanner(catalog).scan())
    assert summary.deleted == 1
    assert [one.relpath for one in catalog.files()] == ["note.txt"]
    assert index.ids == _vector_ids(catalog)

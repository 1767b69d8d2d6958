"""The indexing run: real models on real media, bad files, progress, pause/resume/cancel,
bounded look-ahead, files that change under the reader."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import Failure, FileKind, FileStatus, Item, ItemKind
from engine.inference.models import ModelSet
from engine.inference.session import InferenceError
from engine.scan.changes import ChangeKind, IndexChanges
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, PipelineSettings, Progress, RunState
from engine.scan.scanner import Scanner
from models.manifest import Manifest
from tests.engine.scan.conftest import FakeDecoded, FakeExtract, RecordingIndex


@pytest.fixture(scope="module")
def extractor(dev_pack: Manifest) -> Extractor:
    return Extractor(ModelSet(dev_pack))


def _vector_ids(catalog: Catalog) -> dict[str, set[int]]:
    return {
        space: {int(i) for ids, _ in catalog.iter_vectors(space) for i in ids}
        for space in catalog.spaces()
    }


def test_real_folder_is_indexed_and_the_index_matches_the_catalog(
    user_folder: Path, catalog: Catalog, extractor: Extractor
) -> None:
    catalog.add_root(user_folder)
    index = RecordingIndex()
    events: list[Progress] = []
    summary = Pipeline(catalog, index, extractor, on_progress=events.append).run(
        Scanner(catalog).scan()
    )
    assert (summary.indexed, summary.failed) == (6, 0)
    counts = catalog.counts()
    assert counts["files.indexed"] == 6
    assert counts["items.photo"] == 4 and counts["items.text-chunk"] >= 1
    assert counts["items.audio-window"] >= 1 and counts["items.tag"] >= 4
    assert index.ids == _vector_ids(catalog)
    assert index.saves == 1  # once, at the end
    last = events[-1]
    assert last.state is RunState.DONE
    assert (last.files_done, last.files_total, last.items) == (6, 6, counts["items"])
    assert (
        last.bytes_done
        == last.bytes_total
        == sum(p.stat().st_size for p in user_folder.rglob("*") if p.is_file())
    )
    done = [event.files_done for event in events]
    assert done == sorted(done)


def test_bad_files_are_recorded_and_the_run_goes_on(
    user_folder: Path, catalog: Catalog, extractor: Extractor
) -> None:
    good = (user_folder / "Photos/dog.png").read_bytes()
    (user_folder / "Photos/cut.png").write_bytes(good[: len(good) // 3])
    (user_folder / "Photos/empty.jpg").write_bytes(b"")
    (user_folder / "Photos/letter.jpg").write_text("Dear Sir, this is a letter, not a photo.")
    (user_folder / "Sounds/broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ")
    catalog.add_root(user_folder)
    summary = Pipeline(catalog, RecordingIndex(), extractor).run(Scanner(catalog).scan())
    assert (summary.indexed, summary.failed) == (6, 4)
    failed = {failure.path.name: failure.reason for failure in catalog.failures()}
    assert sorted(failed) == ["broken.wav", "cut.png", "empty.jpg", "letter.jpg"]
    assert {r.id for r in catalog.files(status=FileStatus.FAILED)} == {
        failure.file_id for failure in catalog.failures()
    }
    assert "empty" in failed["empty.jpg"] and "cut.png" in failed["cut.png"]
    # Failed files are not tried again until they change.
    assert Scanner(catalog).scan().empty
    (user_folder / "Photos/cut.png").write_bytes(good)  # mended: now a copy of dog.png
    plan = Scanner(catalog).scan()
    assert [(c.source and c.source.relpath, c.work.found.relpath) for c in plan.copies] == [
        ("Photos/dog.png", "Photos/cut.png")
    ]


class SlowExtract(FakeExtract):
    """Embeds slowly and records how many decoded files waited at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.most_waiting = 0
        self._lock = threading.Lock()

    def decode(self, path: Path, kind: FileKind) -> FakeDecoded:
        decoded = super().decode(path, kind)
        with self._lock:
            self.most_waiting = max(self.most_waiting, len(self.decoded) - self.embedded)
        return decoded

    def embed(self, files: Sequence[FakeDecoded]) -> list[list[Item]]:
        time.sleep(self.delay)
        return super().embed(files)


def _many_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"note{number:03}.txt").write_text(f"note number {number}\n")


def test_look_ahead_is_bounded(tmp_path: Path, catalog: Catalog) -> None:
    _many_files(tmp_path / "notes", 60)
    catalog.add_root(tmp_path / "notes")
    extract = SlowExtract(0.01)
    settings = PipelineSettings(decode_threads=3, lookahead=5, batch_files=2)
    summary = Pipeline(catalog, RecordingIndex(), extract, settings).run(Scanner(catalog).scan())
    assert summary.indexed == 60
    assert 1 <= extract.most_waiting <= settings.lookahead + settings.batch_files


def test_pause_resume_and_cancel_from_another_thread(tmp_path: Path, catalog: Catalog) -> None:
    _many_files(tmp_path / "notes", 40)
    catalog.add_root(tmp_path / "notes")
    extract = SlowExtract(0.02)
    index = RecordingIndex()
    pipeline = Pipeline(catalog, index, extract, PipelineSettings(batch_files=2, lookahead=4))
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(pipeline.run(Scanner(catalog).scan())))
    worker.start()
    while extract.embedded < 4:
        time.sleep(0.005)
    pipeline.pause()
    time.sleep(0.1)  # the batch in hand finishes
    held = extract.embedded
    time.sleep(0.3)
    assert extract.embedded == held and pipeline.paused
    pipeline.resume()
    while extract.embedded < held + 4:
        time.sleep(0.005)
    pipeline.cancel()
    worker.join(10)
    (summary,) = result
    assert summary.cancelled and 0 < summary.indexed < 40  # type: ignore[attr-defined]
    pending = catalog.counts()["files.pending"]
    assert pending == 40 - summary.indexed  # type: ignore[attr-defined]
    # The next run picks up exactly the rest.
    rest = Pipeline(catalog, index, FakeExtract()).run(Scanner(catalog).scan())
    assert rest.indexed == pending and not rest.cancelled
    assert catalog.counts()["items"] == 40 == index.count()


class ChangingExtract(FakeExtract):
    """Edits or deletes chosen files while they are being decoded."""

    def decode(self, path: Path, kind: FileKind) -> FakeDecoded:
        decoded = super().decode(path, kind)
        if path.name.startswith("edit"):
            path.write_text("new words while being read\n")
        elif path.name.startswith("vanish"):
            path.unlink()
        return decoded


def test_files_that_change_or_vanish_while_read(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "notes"
    _many_files(folder, 3)
    (folder / "edit.txt").write_text("old words\n")
    (folder / "vanish.txt").write_text("here a moment\n")
    root = catalog.add_root(folder)
    index = RecordingIndex()
    summary = Pipeline(catalog, index, ChangingExtract()).run(Scanner(catalog).scan())
    assert summary.indexed == 3 and summary.deleted == 1
    assert [Path(p).name for p in summary.changed_while_read] == ["edit.txt"]
    assert catalog.file(root.id, "vanish.txt") is None
    edited = catalog.file(root.id, "edit.txt")
    assert edited is not None and edited.status is FileStatus.PENDING
    again = Pipeline(catalog, index, FakeExtract()).run(Scanner(catalog).scan())
    assert again.indexed == 1 and index.count() == 4


class BrokenModel(FakeExtract):
    def embed(self, files: Sequence[FakeDecoded]) -> list[list[Item]]:
        raise InferenceError("cannot load model x.onnx")


class ChokesOnOne(FakeExtract):
    """The model fails on one input only (and on any batch that holds it)."""

    def embed(self, files: Sequence[FakeDecoded]) -> list[list[Item]]:
        if any(one.nbytes == 13 for one in files):
            raise ValueError("a shape the model cannot take")
        items = super().embed(files)
        return [[Item(ItemKind.TEXT_CHUNK, vectors=dict(i[0].vectors))] for i in items]


def test_a_broken_pack_stops_the_run_and_leaves_files_pending(
    tmp_path: Path, catalog: Catalog
) -> None:
    _many_files(tmp_path / "notes", 3)
    catalog.add_root(tmp_path / "notes")
    with pytest.raises(InferenceError):
        Pipeline(catalog, RecordingIndex(), BrokenModel()).run(Scanner(catalog).scan())
    assert catalog.counts()["files.pending"] == 3


def test_a_file_the_model_chokes_on_fails_alone(tmp_path: Path, catalog: Catalog) -> None:
    _many_files(tmp_path / "notes", 4)
    (tmp_path / "notes/odd.txt").write_text("twelve bytes\n")  # 13 bytes: the odd one
    catalog.add_root(tmp_path / "notes")
    summary = Pipeline(catalog, RecordingIndex(), ChokesOnOne()).run(Scanner(catalog).scan())
    assert (summary.indexed, summary.failed) == (4, 1)
    (failure,) = catalog.failures()
    assert failure.path.name == "odd.txt" and "ValueError" in failure.reason


def test_moved_folder_keeps_vectors_and_embeds_nothing(
    user_folder: Path, catalog: Catalog, extractor: Extractor
) -> None:
    catalog.add_root(user_folder)
    index = RecordingIndex()
    Pipeline(catalog, index, extractor).run(Scanner(catalog).scan())
    before = _vector_ids(catalog)
    shutil.move(user_folder / "Photos", user_folder / "Notes/Old photos")
    counting = FakeExtract()
    summary = Pipeline(catalog, index, counting).run(Scanner(catalog).scan())
    assert summary.moved == 4 and not counting.decoded
    assert _vector_ids(catalog) == before == index.ids


class Published:
    """Collects what a pipeline publishes, checking on receipt that the index already holds it
    (a query asked then must see the change)."""

    def __init__(self, catalog: Catalog, index: RecordingIndex) -> None:
        self.catalog = catalog
        self.index = index
        self.received: list[IndexChanges] = []

    def __call__(self, changes: IndexChanges) -> None:
        assert changes.generation == self.catalog.generation()
        assert self.index.count() == self.catalog.counts()["vectors"]
        self.received.append(changes)

    def take(self) -> list[tuple[ChangeKind, str, str | None]]:
        """(change, name, previous name) of everything received since the last take."""
        taken = [
            (one.change, one.path.name, one.previous and one.previous.name)
            for changes in self.received
            for one in changes.files
        ]
        self.received.clear()
        return sorted(taken)


def test_each_commit_publishes_its_changes_with_a_newer_generation(
    tmp_path: Path, catalog: Catalog
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("first note\n")
    (folder / "b.txt").write_text("second note\n")
    root = catalog.add_root(folder)
    index = RecordingIndex()
    published = Published(catalog, index)
    pipeline = Pipeline(catalog, index, FakeExtract(), on_change=published)
    generations = [catalog.generation()]

    def run() -> list[tuple[ChangeKind, str, str | None]]:
        pipeline.run(Scanner(catalog).scan())
        generations.append(published.received[-1].generation)
        return published.take()

    assert run() == [(ChangeKind.ADDED, "a.txt", None), (ChangeKind.ADDED, "b.txt", None)]
    a = catalog.file(root.id, "a.txt")
    assert a is not None
    (folder / "a.txt").write_text("first note, edited\n")
    assert run() == [(ChangeKind.CHANGED, "a.txt", None)]
    (folder / "b.txt").rename(folder / "c.txt")
    assert run() == [(ChangeKind.MOVED, "c.txt", "b.txt")]
    (folder / "a.txt").unlink()
    (folder / "d.txt").write_text("BAD bytes\n")
    pipeline.run(Scanner(catalog).scan())
    changes = [one for received in published.received for one in received.files]
    generations.append(published.received[-1].generation)
    assert published.take() == [
        (ChangeKind.FAILED, "d.txt", None),
        (ChangeKind.REMOVED, "a.txt", None),
    ]
    assert generations == sorted(set(generations)), generations  # every step moved it on
    removed = next(one for one in changes if one.change is ChangeKind.REMOVED)
    assert (removed.file_id, removed.path, removed.kind) == (a.id, folder / "a.txt", FileKind.NOTE)
    failed = next(one for one in changes if one.change is ChangeKind.FAILED)
    reason = Failure(folder / "d.txt", "d.txt: corrupt", failed.file_id)
    assert catalog.failure(failed.file_id) == reason
    # Nothing changed: nothing is published.
    pipeline.run(Scanner(catalog).scan())
    assert published.take() == []


def test_what_cannot_be_opened_is_recorded_and_leaves_once_it_opens(
    tmp_path: Path, catalog: Catalog
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("a note\n")
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    catalog.add_root(folder)
    pipeline = Pipeline(catalog, RecordingIndex(), FakeExtract())
    summary = pipeline.run(Scanner(catalog).scan())
    assert summary.indexed == 1
    assert [(f.path.name, f.file_id) for f in catalog.failures()] == [
        ("dangling.txt", None),
        ("loop.txt", None),
    ]
    assert "No such file" in catalog.failures()[0].reason
    # Still there at the next scan: still listed, once.
    pipeline.run(Scanner(catalog).scan())
    assert len(catalog.failures()) == 2
    (folder / "nowhere.txt").write_text("the link's target, made at last\n")
    (folder / "loop.txt").unlink()
    plan = Scanner(catalog).scan()
    assert sorted(path.name for path in plan.readable_again) == ["dangling.txt", "loop.txt"]
    pipeline.run(plan)
    assert catalog.failures() == []
    assert catalog.counts()["files.indexed"] == 3  # the link and its target, both read

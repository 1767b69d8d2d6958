"""Every Catalog method on a real SQLite file: roots, files, items, vectors, counts, generation."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog, CatalogError
from engine.catalog.records import (
    CatalogDamagedError,
    Failure,
    FileKind,
    FileRecord,
    FileStatus,
    Item,
    ItemKind,
)
from engine.media.looks import LOOK_BYTES, Look
from tests.engine.catalog.conftest import unit

TEXT, IMAGE = "minilm-l6-v2", "efficientnet-lite0"


def chunks(rng: np.random.Generator, n: int, tag: str = "") -> list[Item]:
    return [
        Item(
            kind=ItemKind.TEXT_CHUNK,
            char_start=10 * i,
            char_end=10 * i + 9,
            text=f"{tag} chunk {i}",
            vectors={TEXT: unit(rng, 8)},
        )
        for i in range(n)
    ]


def photo(rng: np.random.Generator) -> list[Item]:
    return [
        Item(
            kind=ItemKind.PHOTO,
            look=Look.from_bytes(rng.integers(256, size=LOOK_BYTES, dtype=np.uint8).tobytes()),
            vectors={IMAGE: unit(rng, 6), TEXT: unit(rng, 8)},
        ),
        Item(kind=ItemKind.TAG, text="tabby cat", score=0.75),
    ]


def add_file(
    cat: Catalog, root_id: int, name: str, digest: str = "h", kind: FileKind = FileKind.NOTE
):
    return cat.upsert_file(root_id, name, 100, 1_000, digest, kind)


def stored(cat: Catalog, root_id: int, relpath: str) -> FileRecord:
    record = cat.file(root_id, relpath)
    assert record is not None, relpath
    return record


def all_vectors(cat: Catalog, space: str) -> dict[int, np.ndarray]:
    return {int(i): v for ids, vs in cat.iter_vectors(space) for i, v in zip(ids, vs, strict=True)}


# -- roots ----------------------------------------------------------------------------------------


def test_roots_are_added_listed_updated_and_taken_offline(cat: Catalog, tmp_path: Path) -> None:
    a = cat.add_root(tmp_path / "notes", include=["*.md"], exclude=[".git/**"])
    b = cat.add_root(tmp_path / "photos")
    assert a.path == str(tmp_path / "notes") and a.include == ("*.md",)
    assert a.exclude == (".git/**",) and a.online
    again = cat.add_root(tmp_path / "notes", include=["*.txt"])
    assert again.id == a.id and again.include == ("*.txt",) and again.exclude == ()
    assert [r.id for r in cat.roots()] == [a.id, b.id]

    indexed = add_file(cat, a.id, "x.md")
    cat.replace_items(indexed.id, [])
    pending = add_file(cat, a.id, "y.md")
    cat.set_root_online(a.id, False)
    assert not cat.roots()[0].online
    assert stored(cat, a.id, "x.md").status is FileStatus.MISSING
    assert stored(cat, a.id, "y.md").status is FileStatus.PENDING == pending.status
    cat.set_root_online(a.id, True)
    assert cat.roots()[0].online and stored(cat, a.id, "x.md").status is FileStatus.INDEXED
    with pytest.raises(CatalogError, match="no root"):
        cat.set_root_online(999, True)


def test_remove_root_returns_every_dropped_vector(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    keep, gone = cat.add_root(tmp_path / "keep"), cat.add_root(tmp_path / "gone")
    kept = cat.replace_items(add_file(cat, keep.id, "k.md").id, chunks(rng, 2))
    expected = []
    for name, items in (("a.md", chunks(rng, 3)), ("b.jpg", photo(rng))):
        result = cat.replace_items(add_file(cat, gone.id, name).id, items)
        expected += [(space, int(i)) for space, (ids, _) in result.added.items() for i in ids]
    generation = cat.generation()
    files = cat.files(gone.id)

    removal = cat.remove_root(gone.id)
    assert sorted(removal.vectors) == sorted(expected) and len(removal.vectors) == 3 + 2
    assert removal.root == gone and removal.files == files and len(files) == 2
    assert [r.id for r in cat.roots()] == [keep.id]
    assert cat.files(gone.id) == [] and cat.generation() == removal.generation == generation + 1
    assert sorted(all_vectors(cat, TEXT)) == sorted(kept.added[TEXT][0].tolist())
    assert all_vectors(cat, IMAGE) == {}
    assert cat.counts()["items"] == 2
    with pytest.raises(CatalogError, match="no root"):
        cat.remove_root(gone.id)


# -- files ----------------------------------------------------------------------------------------


def test_upsert_file_status_follows_the_bytes(cat: Catalog, tmp_path: Path) -> None:
    root = cat.add_root(tmp_path)
    new = cat.upsert_file(root.id, "a/b.md", 10, 111, "h1", FileKind.NOTE)
    assert (new.status, new.size, new.relpath) == (FileStatus.PENDING, 10, "a/b.md")
    cat.replace_items(new.id, [])
    touched = cat.upsert_file(root.id, "a/b.md", 10, 222, "h1", FileKind.NOTE)
    assert (touched.id, touched.status, touched.mtime_ns) == (new.id, FileStatus.INDEXED, 222)
    changed = cat.upsert_file(root.id, "a/b.md", 12, 333, "h2", FileKind.NOTE)
    assert (changed.id, changed.status, changed.size) == (new.id, FileStatus.PENDING, 12)

    cat.mark_failed(new.id, "truncated file")
    failed = Failure(tmp_path / "a" / "b.md", "truncated file", new.id)
    assert stored(cat, root.id, "a/b.md").status is FileStatus.FAILED
    assert cat.failures() == [failed] and cat.failure(new.id) == failed
    same = cat.upsert_file(root.id, "a/b.md", 12, 444, "h2", FileKind.NOTE)
    assert same.status is FileStatus.FAILED and cat.failures() == [failed]  # only touched
    fixed = cat.upsert_file(root.id, "a/b.md", 13, 555, "h3", FileKind.NOTE)
    assert fixed.status is FileStatus.PENDING  # new bytes: tried again, no failure known
    assert cat.failures() == [] and cat.failure(new.id) is None

    with pytest.raises(CatalogError, match="no root"):
        cat.upsert_file(999, "x", 1, 1, "h", FileKind.NOTE)
    with pytest.raises(CatalogError, match="no file"):
        cat.mark_failed(999, "x")


def test_failures_are_one_list_that_forgets_what_is_mended(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    photos, notes = cat.add_root(tmp_path / "photos"), cat.add_root(tmp_path / "notes")
    locked, dangling = tmp_path / "photos" / "locked", tmp_path / "photos" / "gone.jpg"
    odd = tmp_path / "notes" / os.fsdecode(b"caf\xe9.md")  # not UTF-8: round-trips exactly
    cat.record_failures(photos.id, [(locked, "Permission denied"), (dangling, "No such file")])
    cat.record_failures(notes.id, [(odd, "Permission denied")])
    cut = add_file(cat, notes.id, "cut.md")
    cat.mark_failed(cut.id, "cut short")
    by_cut = Failure(tmp_path / "notes" / "cut.md", "cut short", cut.id)
    assert cat.failures() == sorted(
        [
            Failure(locked, "Permission denied"),
            Failure(dangling, "No such file"),
            Failure(odd, "Permission denied"),
            by_cut,
        ],
        key=lambda failure: os.fsencode(failure.path),
    )
    assert [f.path for f in cat.failures(photos.id)] == [dangling, locked]
    assert cat.counts()["files.failed"] == 1  # the counts are of files with a row

    # A path met again says its latest reason, once; a file's failure is kept by its id.
    cat.record_failures(photos.id, [(locked, "Input/output error")])
    assert [f.reason for f in cat.failures(photos.id)] == ["No such file", "Input/output error"]
    cat.clear_failures([dangling, tmp_path / "notes" / "cut.md"])
    assert [f.path for f in cat.failures(photos.id)] == [locked]
    assert cat.failure(cut.id) == by_cut

    # A failed file that moves keeps its failure at its new path; one indexed leaves the list.
    cat.move_file(cut.id, notes.id, "sub/cut.md")
    moved = Failure(tmp_path / "notes" / "sub" / "cut.md", "cut short", cut.id)
    assert cat.failure(cut.id) == moved and moved in cat.failures(notes.id)
    cat.replace_items(cut.id, chunks(rng, 1))
    assert cat.failure(cut.id) is None and [f.path for f in cat.failures(notes.id)] == [odd]
    # One deleted leaves it too, and a removed folder takes all of its own.
    cat.mark_failed(cut.id, "cut short again")
    cat.delete_file(cut.id)
    assert [f.path for f in cat.failures(notes.id)] == [odd]
    cat.remove_root(photos.id)
    assert cat.failures() == [Failure(odd, "Permission denied")]
    with pytest.raises(CatalogError, match="no root"):
        cat.record_failures(photos.id, [(locked, "x")])


def test_file_and_files_filter_by_root_and_status(cat: Catalog, tmp_path: Path) -> None:
    r1, r2 = cat.add_root(tmp_path / "1"), cat.add_root(tmp_path / "2")
    a, b = add_file(cat, r1.id, "a"), add_file(cat, r1.id, "b")
    c = add_file(cat, r2.id, "c", kind=FileKind.PHOTO)
    cat.replace_items(b.id, [])
    assert cat.file(r1.id, "a") == a and cat.file(r2.id, "a") is None
    assert [f.id for f in cat.files()] == [a.id, b.id, c.id]
    assert [f.id for f in cat.files(r1.id)] == [a.id, b.id]
    assert [f.id for f in cat.files(status=FileStatus.PENDING)] == [a.id, c.id]
    assert [f.id for f in cat.files(r1.id, FileStatus.INDEXED)] == [b.id]
    assert cat.files(r2.id, FileStatus.FAILED) == []


def test_move_file_keeps_items_and_vectors(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    r1, r2 = cat.add_root(tmp_path / "1"), cat.add_root(tmp_path / "2")
    f = add_file(cat, r1.id, "old.md")
    result = cat.replace_items(f.id, chunks(rng, 2))
    vectors = all_vectors(cat, TEXT)
    generation = cat.generation()

    cat.move_file(f.id, r2.id, "sub/new.md")
    assert cat.file(r1.id, "old.md") is None
    moved = cat.file(r2.id, "sub/new.md")
    assert moved is not None and moved.id == f.id and moved.status is FileStatus.INDEXED
    rows = cat.items(result.added[TEXT][0].tolist())
    assert [(r.file.relpath, r.root_path) for r in rows] == [("sub/new.md", r2.path)] * 2
    assert all_vectors(cat, TEXT).keys() == vectors.keys()
    assert cat.generation() == generation + 1  # a query asked again shows the new name

    add_file(cat, r2.id, "taken.md")
    with pytest.raises(CatalogError, match="taken"):
        cat.move_file(f.id, r2.id, "taken.md")
    with pytest.raises(CatalogError, match="no file"):
        cat.move_file(999, r2.id, "x.md")


def test_delete_file_returns_its_vectors_only(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    root = cat.add_root(tmp_path)
    doomed = cat.replace_items(add_file(cat, root.id, "p.jpg").id, photo(rng))
    cat.replace_items(add_file(cat, root.id, "q.md").id, chunks(rng, 1))
    generation = cat.generation()
    file_id = stored(cat, root.id, "p.jpg").id
    expected = [(s, int(ids[0])) for s, (ids, _) in doomed.added.items()]
    assert sorted(cat.delete_file(file_id)) == sorted(expected)
    assert cat.file(root.id, "p.jpg") is None and cat.generation() == generation + 1
    assert cat.counts()["items"] == 1  # the tag went too; q.md's chunk stays
    assert cat.delete_file(file_id) == []


def test_find_by_hash_only_returns_indexed_files(cat: Catalog, tmp_path: Path) -> None:
    root = cat.add_root(tmp_path)
    pending = add_file(cat, root.id, "a.jpg", "same")
    assert cat.find_by_hash("same") is None
    indexed = add_file(cat, root.id, "b.jpg", "same")
    cat.replace_items(indexed.id, [])
    assert cat.find_by_hash("same") == cat.file(root.id, "b.jpg")
    assert cat.find_by_hash("other") is None
    cat.replace_items(pending.id, [])
    assert cat.find_by_hash("same") == stored(cat, root.id, "a.jpg")  # the oldest


def test_recordings_heard_in_a_language_not_named_are_to_be_heard_again(
    cat: Catalog, tmp_path: Path
) -> None:
    root = cat.add_root(tmp_path)

    def memo(name: str, *languages: str | None) -> int:
        record = add_file(cat, root.id, name, name, FileKind.AUDIO)
        said = [
            Item(ItemKind.TRANSCRIPT, start=0, end=1, text="x", language=one) for one in languages
        ]
        cat.replace_items(record.id, [Item(ItemKind.AUDIO_WINDOW, start=0, end=1), *said])
        return record.id

    memo("english.wav", "en")
    korean = memo("korean.wav", "ko")
    mixed = memo("mixed.wav", "en", "pt")  # one window heard in Portuguese
    memo("sound.wav")  # no words: nothing to hear again
    memo("unknown.wav", None)  # words stored before languages were
    failed = memo("failed.wav", "ko")
    cat.mark_failed(failed, "cannot be decoded")
    elsewhere = cat.heard_elsewhere(["en", "es"])
    assert elsewhere == [korean, mixed]
    assert cat.mark_pending(elsewhere) == 2
    pending = {record.relpath for record in cat.files(status=FileStatus.PENDING)}
    assert pending == {"korean.wav", "mixed.wav"}
    assert len(cat.items_of_file(korean)) == 2 and len(cat.items_of_file(mixed)) == 3  # kept
    assert stored(cat, root.id, "failed.wav").status is FileStatus.FAILED
    assert cat.heard_elsewhere(["en", "es"]) == []  # pending now, not indexed
    assert cat.mark_pending([failed]) == 0  # only an indexed file is marked


# -- items and vectors ----------------------------------------------------------------------------


def test_replace_items_stores_and_replaces_atomically(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    root = cat.add_root(tmp_path)
    f = add_file(cat, root.id, "p.jpg", kind=FileKind.PHOTO)
    first = cat.replace_items(f.id, photo(rng))
    assert first.removed == [] and set(first.added) == {IMAGE, TEXT}
    ids, vecs = first.added[IMAGE]
    assert ids.dtype == np.int64 and vecs.dtype == np.float32 and vecs.shape == (1, 6)
    assert stored(cat, root.id, "p.jpg").status is FileStatus.INDEXED
    assert cat.spaces() == {IMAGE: 6, TEXT: 8}

    items = chunks(rng, 3)
    second = cat.replace_items(f.id, items)
    assert sorted(second.removed) == sorted(
        (s, int(i)) for s, (ids, _) in first.added.items() for i in ids
    )
    new_ids = second.added[TEXT][0]
    assert len(set(new_ids.tolist()) & {int(first.added[TEXT][0][0])}) == 0  # ids never reused
    np.testing.assert_array_equal(second.added[TEXT][1], np.stack([i.vectors[TEXT] for i in items]))
    rows = cat.items(new_ids.tolist())
    assert [(r.kind, r.char_start, r.char_end, r.text) for r in rows] == [
        (ItemKind.TEXT_CHUNK, 10 * i, 10 * i + 9, f" chunk {i}") for i in range(3)
    ]
    assert all_vectors(cat, IMAGE) == {}

    # A bad batch (wrong dimension for a known space) changes nothing.
    generation = cat.generation()
    bad = [*chunks(rng, 1), Item(kind=ItemKind.PHOTO, vectors={TEXT: np.ones(5, np.float32)})]
    with pytest.raises(CatalogError, match="8-d"):
        cat.replace_items(f.id, bad)
    nan = [Item(kind=ItemKind.PHOTO, vectors={TEXT: np.full(8, np.nan, np.float32)})]
    with pytest.raises(CatalogError, match="finite"):
        cat.replace_items(f.id, nan)
    assert sorted(all_vectors(cat, TEXT)) == new_ids.tolist() and cat.generation() == generation
    with pytest.raises(CatalogError, match="no file"):
        cat.replace_items(999, [])


def test_a_file_written_in_parts_is_pending_until_its_last(cat: Catalog, tmp_path: Path) -> None:
    """A long recording's parts: the first replaces the file's old items, later ones add to
    them, and only the last marks it INDEXED (a copy source, no longer to be indexed again)."""
    rng = np.random.default_rng(5)
    root = cat.add_root(tmp_path)
    f = add_file(cat, root.id, "talk.wav", kind=FileKind.AUDIO)
    old = cat.replace_items(f.id, chunks(rng, 2, "old"))
    for run in range(2):  # a run stopped after one part, then a whole run
        generation = cat.generation()
        first = cat.write_part(f.id, chunks(rng, 2, "first"), first=True, last=False)
        assert cat.generation() > generation
        if run == 0:
            assert sorted(first.removed) == sorted((TEXT, int(i)) for i in old.added[TEXT][0])
        else:
            assert len(first.removed) == 2  # the stopped run's part
        assert stored(cat, root.id, "talk.wav").status is FileStatus.PENDING
        assert cat.find_by_hash("h") is None
    second = cat.write_part(f.id, chunks(rng, 3, "second"), first=False, last=False)
    assert second.removed == [] and len(second.added[TEXT][0]) == 3
    assert stored(cat, root.id, "talk.wav").status is FileStatus.PENDING
    cat.write_part(f.id, [], first=False, last=True)
    assert stored(cat, root.id, "talk.wav").status is FileStatus.INDEXED
    texts = sorted(row.text or "" for row in cat.items_of_file(f.id))
    assert [text.split(" chunk")[0] for text in texts] == ["first"] * 2 + ["second"] * 3
    assert len(all_vectors(cat, TEXT)) == 5


def test_vectors_round_trip_bit_for_bit(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    root = cat.add_root(tmp_path)
    odd = np.array([-0.0, 1e-45, np.finfo(np.float32).max, -1 / 3, 2**-20, 0.1, 7, -7], np.float32)
    items = [
        Item(kind=ItemKind.FRAME, start=float(i), vectors={TEXT: unit(rng, 8)}) for i in range(9)
    ]
    items.append(Item(kind=ItemKind.FRAME, start=9.5, vectors={TEXT: odd}))
    # float64 input is stored as float32, as the index will hold it
    wide = {TEXT: np.arange(8.0) / 3}
    items.append(Item(kind=ItemKind.FRAME, start=10.0, vectors=wide))  # type: ignore[arg-type]
    result = cat.replace_items(add_file(cat, root.id, "v.mp4").id, items)
    expected = np.stack([np.asarray(i.vectors[TEXT], np.float32) for i in items])

    batches = list(cat.iter_vectors(TEXT, batch=4))
    assert [len(ids) for ids, _ in batches] == [4, 4, 3]
    ids = np.concatenate([b[0] for b in batches])
    vectors = np.concatenate([b[1] for b in batches])
    assert ids.dtype == np.int64 and vectors.dtype == np.float32 and vectors.shape == (11, 8)
    np.testing.assert_array_equal(ids, result.added[TEXT][0])
    assert vectors.tobytes() == expected.tobytes()  # exact, including -0.0 and the subnormal
    assert list(cat.iter_vectors("no-such-space")) == []
    with pytest.raises(ValueError):
        next(cat.iter_vectors(TEXT, batch=0))


def test_copy_items_reuses_vectors_for_duplicates(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    root = cat.add_root(tmp_path)
    source = add_file(cat, root.id, "a.jpg", "same", FileKind.PHOTO)
    original = cat.replace_items(source.id, photo(rng))
    copy = add_file(cat, root.id, "copy of a.jpg", "same", FileKind.PHOTO)
    cat.replace_items(copy.id, chunks(rng, 1, "stale"))
    stale = [(TEXT, i) for i in all_vectors(cat, TEXT) if i not in original.added[TEXT][0]]

    found = cat.find_by_hash("same")
    assert found is not None and found.id == source.id
    result = cat.copy_items(found.id, copy.id)
    assert result.removed == stale
    for space in (IMAGE, TEXT):
        np.testing.assert_array_equal(result.added[space][1], original.added[space][1])
        assert not set(result.added[space][0].tolist()) & set(original.added[space][0].tolist())
    assert stored(cat, root.id, "copy of a.jpg").status is FileStatus.INDEXED
    assert cat.counts()["items.tag"] == 2 and cat.counts()["items.photo"] == 2
    assert len(all_vectors(cat, IMAGE)) == 2  # the source kept its own
    # The photo's look comes along: near duplicates of the copy are found as of the source.
    (kept,) = [row.look for row in cat.items_of_file(source.id) if row.kind is ItemKind.PHOTO]
    assert kept is not None
    assert dict(cat.file_looks()) == {source.id: kept, copy.id: kept}

    with pytest.raises(CatalogError, match="onto itself"):
        cat.copy_items(copy.id, copy.id)
    with pytest.raises(CatalogError, match="no file"):
        cat.copy_items(999, copy.id)


def test_items_come_back_in_the_order_asked(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    root = cat.add_root(tmp_path / "music")
    f = cat.upsert_file(root.id, "song.flac", 5, 6, "h", FileKind.AUDIO)
    items = [
        Item(kind=ItemKind.AUDIO_WINDOW, start=0.0, end=10.0, vectors={TEXT: unit(rng, 8)}),
        Item(kind=ItemKind.TRANSCRIPT, start=1.5, end=3.25, text="hello there"),
        Item(kind=ItemKind.TAG, start=0.0, end=10.0, text="Music", score=0.5),
    ]
    cat.replace_items(f.id, items)
    ids = [row.id for row in cat.items(range(1, 100))]
    assert len(ids) == 3
    rows = cat.items([ids[2], 12345, ids[0], ids[1]])
    assert [r.id for r in rows] == [ids[2], ids[0], ids[1]]
    tag, window, transcript = rows
    assert (tag.kind, tag.text, tag.score, tag.start, tag.end) == (
        ItemKind.TAG,
        "Music",
        0.5,
        0,
        10,
    )
    assert (window.kind, window.start, window.end, window.text) == (
        ItemKind.AUDIO_WINDOW,
        0,
        10,
        None,
    )
    assert (transcript.text, transcript.start, transcript.end) == ("hello there", 1.5, 3.25)
    assert all(r.root_path == str(tmp_path / "music") for r in rows)
    assert all(r.file == cat.file(root.id, "song.flac") for r in rows)
    assert cat.items([]) == []
    assert cat.items(np.array(ids[:1], dtype=np.int64)) == rows[1:2]  # numpy ids from an index


def test_counts_and_generation(cat: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    zero = cat.counts()
    assert zero["files"] == zero["items"] == zero["roots"] == zero["files.photo"] == 0
    assert zero["items.transcript"] == 0 and zero["files.missing"] == 0
    root = cat.add_root(tmp_path)
    g0 = cat.generation()
    p = add_file(cat, root.id, "p.jpg", kind=FileKind.PHOTO)
    n = add_file(cat, root.id, "n.md")
    add_file(cat, root.id, "v.mp4", kind=FileKind.VIDEO)
    assert cat.generation() == g0  # no vectors changed
    cat.replace_items(p.id, photo(rng))
    cat.replace_items(n.id, chunks(rng, 4))
    cat.mark_failed(stored(cat, root.id, "v.mp4").id, "no video stream")
    assert cat.generation() == g0 + 2
    counts = cat.counts()
    expected = {
        "roots": 1, "files": 3, "files.photo": 1, "files.note": 1, "files.video": 1,
        "files.audio": 0, "files.indexed": 2, "files.failed": 1, "files.pending": 0,
        "files.missing": 0, "items": 6, "items.photo": 1, "items.tag": 1, "items.text-chunk": 4,
        "items.frame": 0, "items.audio-window": 0, "items.transcript": 0, "items.picture-text": 0,
        "items.shows": 0,
        "vectors": 6, f"vectors.{TEXT}": 5, f"vectors.{IMAGE}": 1,
    }  # fmt: skip
    assert counts == expected
    cat.replace_items(n.id, [])
    assert cat.generation() == g0 + 3
    cat.replace_items(n.id, [])  # nothing removed, nothing added: no bump
    assert cat.generation() == g0 + 3


def test_state_survives_reopening(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    with Catalog(tmp_path / "c.sqlite3") as cat:
        root = cat.add_root(tmp_path / "r")
        f = add_file(cat, root.id, "a.md")
        cat.replace_items(f.id, chunks(rng, 2))
        before = (cat.roots(), cat.files(), cat.counts(), cat.generation(), all_vectors(cat, TEXT))
    with pytest.raises(CatalogError, match="closed"):
        cat.roots()
    with Catalog(tmp_path / "c.sqlite3") as again:
        after = (again.roots(), again.files(), again.counts(), again.generation())
        assert after == before[:4]
        assert all_vectors(again, TEXT).keys() == before[4].keys()


def test_non_utf8_names_round_trip(cat: Catalog, tmp_path: Path) -> None:
    raw_root = os.fsencode(tmp_path) + b"/m\xfcsic"  # latin-1 folder name
    raw_file = b"caf\xe9 \xff\xfe.flac"  # not UTF-8 at all
    os.mkdir(raw_root)
    open(os.path.join(raw_root, raw_file), "wb").close()
    (listed,) = os.listdir(os.fsdecode(raw_root))
    root = cat.add_root(Path(os.fsdecode(raw_root)))
    assert os.fsencode(root.path) == raw_root and cat.roots() == [root]
    f = cat.upsert_file(root.id, listed, 0, 0, "h", FileKind.AUDIO)
    also = cat.upsert_file(root.id, "caf\u00e9 ok.flac", 0, 0, "h2", FileKind.AUDIO)
    assert os.fsencode(f.relpath) == raw_file
    assert cat.file(root.id, listed) == f and cat.file(root.id, "caf\u00e9 ok.flac") == also
    assert [x.relpath for x in cat.files(root.id)] == [listed, "caf\u00e9 ok.flac"]
    result = cat.replace_items(
        f.id, [Item(kind=ItemKind.TAG, text="x", vectors={TEXT: np.ones(8, np.float32)})]
    )
    (row,) = cat.items(result.added[TEXT][0].tolist())
    assert os.path.exists(os.path.join(os.fsencode(row.root_path), os.fsencode(row.file.relpath)))


def test_garbage_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogDamagedError, match="does not start like an SQLite database"):
        Catalog(path)


def test_replace_many_commits_several_files_at_once_and_merges_the_result(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    root = catalog.add_root(tmp_path / "photos")
    first = catalog.upsert_file(root.id, "a.jpg", 1, 1, "hash-a", FileKind.PHOTO)
    second = catalog.upsert_file(root.id, "b.jpg", 1, 1, "hash-b", FileKind.PHOTO)
    vector = np.ones(4, dtype=np.float32) / 2
    one = Item(ItemKind.PHOTO, vectors={"img": vector})
    before = catalog.generation()
    result = catalog.replace_many([(first.id, [one]), (second.id, [one, one])])
    ids, vectors = result.added["img"]
    assert len(ids) == 3 and vectors.shape == (3, 4)
    assert catalog.generation() > before
    statuses = {record.relpath: record.status for record in catalog.files(root.id)}
    assert statuses == {"a.jpg": FileStatus.INDEXED, "b.jpg": FileStatus.INDEXED}
    again = catalog.replace_many([(first.id, [])])
    assert again.removed == [("img", int(ids[0]))]
    catalog.close()

"""The catalog's reads for a query by example of an indexed file, on a real SQLite file: the
record of a file by its path (``file_at``), and its items with their stored vectors
(``items_of_file``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.catalog.catalog import Catalog
from engine.catalog.records import FileKind, Item, ItemKind
from tests.engine.catalog.conftest import unit

TEXT, AUDIO = "minilm-l6-v2", "whisper-tiny-en-audio"


def test_a_file_is_found_by_its_path_as_written_or_through_a_link(
    cat: Catalog, tmp_path: Path
) -> None:
    folder = tmp_path / "Photos"
    (folder / "2024").mkdir(parents=True)
    root = cat.add_root(folder)
    record = cat.upsert_file(root.id, "2024/dog.png", 10, 1, "h", FileKind.PHOTO)
    assert cat.file_at(folder / "2024" / "dog.png") == record
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert cat.file_at(link / "2024" / "dog.png") == record  # as it resolves
    assert cat.file_at(folder / "2024" / "cat.png") is None  # in the folder, not in the catalog
    assert cat.file_at(tmp_path / "dog.png") is None  # outside every watched folder
    assert cat.file_at(folder / "2024") is None


def test_a_files_items_come_with_their_stored_vectors_when_asked(
    cat: Catalog, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    root = cat.add_root(tmp_path)
    talk = cat.upsert_file(root.id, "talk.wav", 10, 1, "a", FileKind.AUDIO)
    other = cat.upsert_file(root.id, "other.wav", 10, 1, "b", FileKind.AUDIO)
    items = [
        Item(ItemKind.AUDIO_WINDOW, start=0.0, end=30.0, vectors={AUDIO: unit(rng, 6)}),
        Item(ItemKind.TRANSCRIPT, start=1.5, end=4.0, text="hello", vectors={TEXT: unit(rng, 8)}),
        Item(ItemKind.AUDIO_WINDOW, start=30.0, end=60.0, vectors={AUDIO: unit(rng, 6)}),
        Item(
            ItemKind.TAG,
            start=0.0,
            end=60.0,
            text="speech",
            score=0.9,
            vectors={TEXT: unit(rng, 8)},
        ),
        Item(ItemKind.TRANSCRIPT, start=31.0, end=33.0, text="no vector"),
    ]
    cat.replace_items(talk.id, items)
    cat.replace_items(
        other.id,
        [Item(ItemKind.AUDIO_WINDOW, start=0.0, end=5.0, vectors={AUDIO: unit(rng, 6)})],
    )
    stored = cat.items_of_file(talk.id, with_vectors=True)
    assert [(row.kind, row.start, row.end, set(row.vectors)) for row in stored] == [
        (ItemKind.AUDIO_WINDOW, 0.0, 30.0, {AUDIO}),
        (ItemKind.TAG, 0.0, 60.0, {TEXT}),
        (ItemKind.TRANSCRIPT, 1.5, 4.0, {TEXT}),
        (ItemKind.AUDIO_WINDOW, 30.0, 60.0, {AUDIO}),
        (ItemKind.TRANSCRIPT, 31.0, 33.0, set()),
    ]
    by_kind_and_start = {(item.kind, item.start): item for item in items}
    for row in stored:
        for space, vector in row.vectors.items():
            assert vector.dtype == np.float32
            expected = by_kind_and_start[(row.kind, row.start)].vectors[space]
            assert np.array_equal(vector, expected)  # bit for bit
    assert [set(row.vectors) for row in cat.items_of_file(other.id, with_vectors=True)] == [{AUDIO}]
    assert all(not row.vectors for row in cat.items_of_file(talk.id))  # only when asked
    assert cat.items_of_file(12345, with_vectors=True) == []

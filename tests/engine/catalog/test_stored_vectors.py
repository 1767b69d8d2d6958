"""The catalog's reads for a query by example of an indexed file: the record of a file by its
path (``file_at``) and its items' stored vectors (``stored_vectors``), on a real SQLite file."""

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


def test_stored_vectors_come_per_space_in_item_order_with_kind_and_time(
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
    stored = cat.stored_vectors(talk.id)
    assert stored.keys() == {AUDIO, TEXT}
    audio = stored[AUDIO]
    assert [(v.kind, v.start, v.end) for v in audio] == [
        (ItemKind.AUDIO_WINDOW, 0.0, 30.0),
        (ItemKind.AUDIO_WINDOW, 30.0, 60.0),
    ]
    assert [(v.kind, v.start) for v in stored[TEXT]] == [
        (ItemKind.TRANSCRIPT, 1.5),
        (ItemKind.TAG, 0.0),
    ]
    assert audio[0].item_id < stored[TEXT][0].item_id < audio[1].item_id
    for vector, item in zip(
        audio + stored[TEXT], [items[0], items[2], items[1], items[3]], strict=True
    ):
        assert vector.vector.dtype == np.float32
        assert np.array_equal(vector.vector, next(iter(item.vectors.values())))  # bit for bit
    assert cat.stored_vectors(other.id).keys() == {AUDIO}
    assert cat.stored_vectors(12345) == {}

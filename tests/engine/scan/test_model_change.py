"""A pack that brings another build of a text model under the same id (the compact pack's
MiniLM went from fp32 to int8): the space's vectors are made again, on the real dev pack."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.catalog import Catalog
from engine.catalog.records import ItemKind
from engine.index.spaces import SpaceIndexes
from engine.inference.models import ModelSet
from engine.scan.extract import Extractor
from engine.scan.pipeline import Pipeline, RunSummary
from engine.scan.scanner import Scanner
from models.manifest import Manifest

# An item's vector in one space, told apart without the item's row id (a picture read again
# gets new items): the space, and the item's file, kind, time and text.
Key = tuple[str, int, ItemKind, float | None, str | None]


class Library:
    def __init__(self, data: Path, folder: Path, pack: Manifest) -> None:
        self.path = data / "catalog.sqlite3"
        self.catalog = Catalog(self.path)
        self.catalog.add_root(folder)
        self.indexes = SpaceIndexes(data / "indexes")
        self.indexes.open(self.catalog)
        self.models = ModelSet(pack)
        self.spaces = [entry.id for entry in self.models.text_entries()]

    def run(self) -> RunSummary:
        pipeline = Pipeline(self.catalog, self.indexes, Extractor(self.models))
        return pipeline.run(Scanner(self.catalog).scan())

    def vectors(self) -> dict[Key, np.ndarray]:
        """Every item's vector in each text space."""
        found = {}
        for record in self.catalog.files():
            for row in self.catalog.items_of_file(record.id, with_vectors=True):
                for space in set(self.spaces) & set(row.vectors):
                    key = (space, record.id, row.kind, row.start, row.text)
                    found[key] = row.vectors[space]
        return found

    def as_an_older_build_left_it(self) -> None:
        """Other vectors in the text spaces, no build recorded (a catalog from before schema
        12), and indexes that hold what the catalog holds (the generation moved on)."""
        self.indexes.close()
        generator = np.random.default_rng(0)
        with sqlite3.connect(self.path) as conn:
            for space in self.spaces:
                space_id, dim = conn.execute(
                    "SELECT id, dim FROM spaces WHERE name = ?", (space,)
                ).fetchone()
                rows = conn.execute("SELECT id FROM vectors WHERE space_id = ?", (space_id,))
                for (row_id,) in rows.fetchall():
                    other = generator.standard_normal(dim).astype("<f4")
                    other /= np.linalg.norm(other)
                    conn.execute(
                        "UPDATE vectors SET vector = ? WHERE id = ?", (other.tobytes(), row_id)
                    )
            conn.execute("UPDATE spaces SET build = NULL")
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        self.indexes = SpaceIndexes(self.indexes.folder)
        self.indexes.open(self.catalog)


@pytest.fixture
def library(tmp_path: Path, user_folder: Path, dev_pack: Manifest) -> Iterator[Library]:
    data = tmp_path / "data"
    data.mkdir()
    opened = Library(data, user_folder, dev_pack)
    yield opened
    opened.indexes.close()
    opened.catalog.close()


def test_vectors_of_another_build_are_made_again(library: Library) -> None:
    library.run()
    made = library.vectors()
    kinds = {key[2] for key in made}
    assert {ItemKind.TAG, ItemKind.SHOWS, ItemKind.TEXT_CHUNK} <= kinds, kinds
    assert len(library.spaces) == 2  # MiniLM and USE-m3
    builds = {entry.id: entry.build for entry in library.models.text_entries()}
    assert {space: library.catalog.space_builds()[space] for space in builds} == builds

    library.as_an_older_build_left_it()
    assert all(
        float(vector @ made[key]) < 0.5 for key, vector in library.vectors().items()
    )  # the stand-in vectors are not the ones this build makes
    summary = library.run()

    again = library.vectors()
    assert again.keys() == made.keys()
    for key, vector in again.items():
        np.testing.assert_allclose(vector, made[key], atol=2e-6, err_msg=str(key))
    assert {space: library.catalog.space_builds()[space] for space in builds} == builds
    # The photos were read again for what they show, once for both spaces; the note and the
    # sound were not.
    photos = {record.id for record in library.catalog.files() if record.kind.value == "photo"}
    assert summary.indexed == len(photos) == 4
    # The vector index holds the vectors made again: each finds itself (or an item of the
    # same text, a tag two photos share) at cosine 1, and no stand-in is left.
    for space in library.spaces:
        ids, vectors = next(library.catalog.iter_vectors(space))
        assert library.indexes.count(space) == len(ids)
        scores, found = library.indexes.search(space, vectors, 1)
        assert scores[:, 0].min() > 0.9999
        by_id = dict(zip(ids.tolist(), vectors, strict=True))
        for item_id, vector in zip(found[:, 0].tolist(), vectors, strict=True):
            np.testing.assert_array_equal(by_id[item_id], vector)

    generation = library.catalog.generation()
    assert library.run().indexed == 0
    assert library.catalog.generation() == generation  # made once: nothing more to do

"""Looks of real photos (scikit-image's) and of copies made from them at set-up: a copy keeps
its look, another photo does not, and the bytes read back as they were written."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.media.images import load_image
from engine.media.looks import (
    LOOK_BYTES,
    NEAR_LIKENESS,
    SAME_STRUCTURE,
    SHAPE_BITS,
    Look,
    codes,
    shape_radius,
)
from engine.search.duplicates import close_looks
from tests import copies, media


@pytest.fixture(scope="module")
def astronaut_and_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Look]:
    original = media.skimage_photos()["astronaut"]
    made = copies.photo_copies(original, tmp_path_factory.mktemp("copies"))
    files = {"original": original, **made}
    return {edit: Look.of(load_image(path)) for edit, path in files.items()}


def test_a_copy_keeps_its_look(astronaut_and_copies: dict[str, Look]) -> None:
    original = astronaut_and_copies["original"]
    for edit in ("reencoded", "resized"):
        assert original.likeness(astronaut_and_copies[edit]) >= NEAR_LIKENESS, edit
    for edit, look in astronaut_and_copies.items():
        assert original.structure(look) >= SAME_STRUCTURE, edit


def test_the_structure_tells_apart_pictures_that_differ_in_one_detail() -> None:
    """A dreidel's faces and the dreidel (Tux Paint stamps) differ by a letter: all but
    gimmel and nun (two glyphs a stroke apart, the pair the benchmark still counts wrong) are
    told apart by their structures, though their likeness is as high as many copies'."""
    faces = {p.name: p for p in media.stamp_images() if p.name.startswith("dreydl")}
    assert len(faces) == 5
    looks = {name: Look.of(load_image(path)) for name, path in faces.items()}
    agreeing = {
        (a, b)
        for a, b in combinations(sorted(looks), 2)
        if looks[a].structure(looks[b]) >= SAME_STRUCTURE
    }
    assert agreeing == {("dreydl-gimmel.png", "dreydl-nun.png")}
    assert looks["dreydl-nun.png"].likeness(looks["dreydl-shin.png"]) >= NEAR_LIKENESS


def test_two_blank_pictures_agree_and_a_blank_and_a_photo_do_not(
    astronaut_and_copies: dict[str, Look],
) -> None:
    white, grey = (Look.of(Image.new("RGB", (64, 48), colour)) for colour in ("white", "grey"))
    assert white.structure(grey) == 1.0
    assert white.structure(astronaut_and_copies["original"]) == 0.0


def test_other_photos_look_different(astronaut_and_copies: dict[str, Look]) -> None:
    astronaut = astronaut_and_copies["original"]
    photos = media.skimage_photos()
    for name in ("chelsea", "coffee", "rocket", "camera"):
        other = Look.of(load_image(photos[name]))
        assert astronaut.likeness(other) < NEAR_LIKENESS - 0.1, name


def test_colours_tell_apart_what_the_grey_hash_cannot() -> None:
    """The same shape in another colour: equal hashes, a likeness below the line."""
    astronaut = Image.open(media.skimage_photos()["astronaut"]).convert("RGB")
    red, green, blue = astronaut.split()
    swapped = Image.merge("RGB", (blue, green, red))
    one, other = Look.of(astronaut), Look.of(swapped)
    assert bin(one.shape ^ other.shape).count("1") <= SHAPE_BITS // 8
    assert one.likeness(other) < NEAR_LIKENESS


def test_a_look_reads_back_from_its_bytes(astronaut_and_copies: dict[str, Look]) -> None:
    look = astronaut_and_copies["original"]
    data = look.to_bytes()
    assert len(data) == LOOK_BYTES
    assert Look.from_bytes(data) == look
    with pytest.raises(ValueError, match="120 bytes"):
        Look.from_bytes(data[:-1])


def test_close_looks_finds_each_near_pair_once(astronaut_and_copies: dict[str, Look]) -> None:
    other = Look.of(load_image(media.skimage_photos()["coffee"]))
    looks = [astronaut_and_copies["original"], other, astronaut_and_copies["reencoded"]]
    pairs = close_looks(codes(looks), NEAR_LIKENESS)
    assert [(i, j) for i, j, _ in pairs] == [(0, 2)]
    assert pairs[0][2] == pytest.approx(looks[0].likeness(looks[2]))
    assert close_looks(codes(looks[:1]), NEAR_LIKENESS) == []


def test_the_shape_radius_admits_every_pair_that_can_reach_the_line() -> None:
    flat = bytes(48), bytes(64)
    rows = codes([Look(0, *flat), Look((1 << shape_radius(0.9)) - 1, *flat)])
    bits = int(np.unpackbits(rows[0, :8] ^ rows[1, :8]).sum())
    assert bits == shape_radius(0.9) == 6
    assert [(i, j) for i, j, _ in close_looks(rows, 0.9)] == [(0, 1)]


def test_a_cut_out_is_looked_at_as_the_models_see_it(tmp_path: Path) -> None:
    """Transparency is flattened before the look is taken: a cut-out and its flattened copy
    look the same."""
    stamp = next(p for p in media.stamp_images(photos_only=True) if Image.open(p).mode == "RGBA")
    flattened = tmp_path / "flat.png"
    load_image(stamp).save(flattened)
    assert Look.of(load_image(stamp)).likeness(Look.of(load_image(flattened))) == 1.0

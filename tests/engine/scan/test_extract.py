"""Extraction on the real dev pack and real media: what items each kind of file yields."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.catalog.records import FileKind, ItemKind, NewItem
from engine.inference.models import ModelSet
from engine.media.errors import MediaError
from engine.media.images import load_image
from engine.media.notes import read_note
from engine.scan.extract import Extractor, merged_tags
from models.manifest import Manifest
from tests import media

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def extractor(dev_pack: Manifest) -> Extractor:
    return Extractor(ModelSet(dev_pack))


def _demo(name: str) -> Path:
    return media.demo_folder() / name


def _of(items: list[NewItem], kind: ItemKind) -> list[NewItem]:
    return [item for item in items if item.kind is kind]


def test_photo_gives_its_vector_and_confident_tags(extractor: Extractor) -> None:
    path = _demo("Photos/chelsea.png")  # 451x300: scaled down on the decode thread
    items = extractor.extract(path, FileKind.PHOTO)
    (photo,) = _of(items, ItemKind.PHOTO)
    image_space = extractor.image.entry.id if extractor.image else ""
    # Scaling early on the decode thread gives the vector the encoder gives the full image.
    direct = extractor.image.encode([load_image(path)])[0] if extractor.image else None
    assert direct is not None
    assert np.abs(photo.vectors[image_space] - direct).max() < TOLERANCE
    tags = _of(items, ItemKind.TAG)
    assert tags and all(tag.score is not None and tag.score >= 0.05 for tag in tags)
    assert any("cat" in (tag.text or "") for tag in tags[:2])
    labels = [tag.text or "" for tag in tags]
    expected = extractor.text.encode(labels, kind="document")
    for tag, vector in zip(tags, expected, strict=True):
        assert set(tag.vectors) == {extractor.text_space}
        assert np.abs(tag.vectors[extractor.text_space] - vector).max() < TOLERANCE


def test_a_batch_of_files_gives_what_each_file_gives_alone(extractor: Extractor) -> None:
    files = [
        (_demo("Photos/rocket.jpg"), FileKind.PHOTO),
        (_demo("Notes/recipes.txt"), FileKind.NOTE),
        (_demo("Photos/dog.png"), FileKind.PHOTO),
        (_demo("Sounds/owl.ogg"), FileKind.AUDIO),
    ]
    together = extractor.embed([extractor.decode(path, kind) for path, kind in files])
    for (path, kind), batched in zip(files, together, strict=True):
        alone = extractor.extract(path, kind)
        assert [item.kind for item in batched] == [item.kind for item in alone]
        for one, other in zip(batched, alone, strict=True):
            assert one.text == other.text and set(one.vectors) == set(other.vectors)
            for space in one.vectors:
                assert np.abs(one.vectors[space] - other.vectors[space]).max() < TOLERANCE


def test_recording_gives_windows_and_a_timed_transcript(extractor: Extractor) -> None:
    items = extractor.extract(_demo("Recordings/budget_meeting.wav"), FileKind.AUDIO)
    windows = _of(items, ItemKind.AUDIO_WINDOW)
    assert windows and extractor.audio is not None
    assert all(set(w.vectors) == {extractor.audio.entry.id} for w in windows)
    assert windows[0].start == 0.0 and (windows[-1].end or 0) > 2.0
    (said,) = _of(items, ItemKind.TRANSCRIPT)
    text = (said.text or "").lower()
    assert "budget" in text and "thursday" in text
    assert said.start is not None and said.end is not None and 0 <= said.start < said.end
    expected = extractor.text.encode([said.text or ""], kind="document")[0]
    assert np.abs(said.vectors[extractor.text_space] - expected).max() < TOLERANCE


def test_animal_sound_gives_windows_without_speech(extractor: Extractor) -> None:
    items = extractor.extract(_demo("Sounds/cow.ogg"), FileKind.AUDIO)
    assert _of(items, ItemKind.AUDIO_WINDOW)
    assert all(item.kind is not ItemKind.TEXT_CHUNK for item in items)


def test_note_gives_chunks_that_point_back_into_the_text(extractor: Extractor) -> None:
    path = _demo("Notes/zoo-trip.md")
    items = extractor.extract(path, FileKind.NOTE)
    text = read_note(path)  # Markdown lightly stripped: offsets refer to this text
    assert items and all(item.kind is ItemKind.TEXT_CHUNK for item in items)
    for item in items:
        assert item.char_start is not None and item.char_end is not None
        assert text[item.char_start : item.char_end] == item.text
        assert set(item.vectors) == {extractor.text_space}


def test_empty_note_gives_no_items(extractor: Extractor, tmp_path: Path) -> None:
    note = tmp_path / "blank.txt"
    note.write_text("  \n\n")
    assert extractor.extract(note, FileKind.NOTE) == []


def test_video_gives_frames_and_its_sound(extractor: Extractor) -> None:
    videos = media.videos()
    items = extractor.extract(videos.slideshow, FileKind.VIDEO)
    frames = _of(items, ItemKind.FRAME)
    assert len(frames) >= 2
    starts = [frame.start or 0.0 for frame in frames]
    assert starts == sorted(starts) and starts[0] < 1.0
    assert all(extractor.image and extractor.image.entry.id in f.vectors for f in frames)
    said = " ".join(item.text or "" for item in _of(items, ItemKind.TRANSCRIPT)).lower()
    assert videos.speech.text.split()[1].lower() in said
    assert _of(items, ItemKind.AUDIO_WINDOW)
    # The first slide is the cat, and a tag of the first frames says so.
    tags = _of(items, ItemKind.TAG)
    assert any("cat" in (tag.text or "") and (tag.start or 0.0) < 3.0 for tag in tags)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("empty.jpg", b"", FileKind.PHOTO),
        ("text.jpg", b"hello, this is not a photo\n", FileKind.PHOTO),
        ("cut.png", None, FileKind.PHOTO),
        ("noise.wav", b"RIFF\x00\x00\x00\x00WAVEjunkjunk", FileKind.AUDIO),
        ("fake.mp4", b"\x00\x00\x00\x18ftypisom" + b"\x00" * 40, FileKind.VIDEO),
    ],
)
def test_bad_files_raise_media_error_with_the_name(
    extractor: Extractor, tmp_path: Path, name: str, content: bytes | None, kind: FileKind
) -> None:
    path = tmp_path / name
    if content is None:  # a real PNG cut in half
        content = _demo("Photos/dog.png").read_bytes()
        content = content[: len(content) // 2]
    path.write_bytes(content)
    with pytest.raises(MediaError, match=name.split(".")[0]):
        extractor.extract(path, kind)


def test_tags_of_consecutive_windows_merge_into_one_span() -> None:
    spans = [
        (0.0, 2.0, [("Dog", 0.6), ("Bark", 0.3)]),
        (1.0, 3.0, [("Dog", 0.8)]),
        (2.0, 4.0, [("Bark", 0.5)]),
        (3.0, 5.0, [("Dog", 0.2)]),
    ]
    merged = [(d.text, d.start, d.end, d.score) for d in merged_tags(spans)]
    assert merged == [
        ("Dog", 0.0, 3.0, 0.8),
        ("Bark", 0.0, 2.0, 0.3),
        ("Bark", 2.0, 4.0, 0.5),
        ("Dog", 3.0, 5.0, 0.2),
    ]

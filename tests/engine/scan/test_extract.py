"""Extraction on the real dev pack and real media: what items each kind of file yields."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.catalog.records import FileKind, Item, ItemKind
from engine.inference.models import ModelSet
from engine.inference.text import TextChunk
from engine.media.errors import MediaError
from engine.media.images import load_image
from engine.media.looks import Look
from engine.media.notes import read_note
from engine.scan.extract import (
    NOTE_SLICE_CHARS,
    DecodedNote,
    DecodedSound,
    DecodedVideo,
    Extractor,
    ExtractSettings,
    StreamedSound,
    StreamedVideo,
    TagRuns,
    merged_tags,
)
from models.manifest import Manifest
from tests import media
from tests.engine.scan import bigfiles

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def extractor(dev_pack: Manifest) -> Extractor:
    return Extractor(ModelSet(dev_pack))


def _demo(name: str) -> Path:
    return media.demo_folder() / name


def _text_spaces(extractor: Extractor) -> set[str]:
    return {encoder.entry.id for encoder in extractor.texts}


def _of(items: list[Item], kind: ItemKind) -> list[Item]:
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
    # Its look is the whole picture's, taken from the same decode: near-duplicates compare it.
    assert photo.look is not None and photo.look.likeness(Look.of(load_image(path))) > 0.97
    tags = _of(items, ItemKind.TAG)
    assert tags and all(tag.score is not None and tag.score >= 0.05 for tag in tags)
    assert any("cat" in (tag.text or "") for tag in tags[:2])
    labels = [tag.text or "" for tag in tags]
    assert len(extractor.texts) == 2  # MiniLM and USE-multilingual
    for encoder in extractor.texts:
        space = encoder.entry.id
        # each label as a document, less its space's common lean (the hub direction)
        expected = extractor._unhubbed(space, encoder.encode(labels, kind="document"))
        for tag, vector in zip(tags, expected, strict=True):
            assert set(tag.vectors) == _text_spaces(extractor)
            assert np.abs(tag.vectors[space] - vector).max() < TOLERANCE
    (shows,) = _of(items, ItemKind.SHOWS)  # what it shows, as a whole: a cat
    assert set(shows.vectors) == _text_spaces(extractor) and "cat" in (shows.text or "")
    for vector in shows.vectors.values():
        assert abs(float(np.linalg.norm(vector)) - 1.0) < TOLERANCE


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
    assert said.language == "en"  # as the speech model detected it
    assert said.start is not None and said.end is not None and 0 <= said.start < said.end
    assert set(said.vectors) == _text_spaces(extractor)
    for encoder in extractor.texts:
        expected = encoder.encode([said.text or ""], kind="document")[0]
        assert np.abs(said.vectors[encoder.entry.id] - expected).max() < TOLERANCE


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
        assert set(item.vectors) == _text_spaces(extractor)


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


def test_a_tag_run_open_at_the_end_of_a_part_is_held_over_to_the_next() -> None:
    """A streamed file's tags come a part at a time: a dog barking across a piece's end is
    one tag, given by the part where it stops, not one per part."""
    spans = [
        (0.0, 2.0, [("Dog", 0.6)]),
        (1.0, 3.0, [("Dog", 0.8), ("Bark", 0.4)]),
        (2.0, 4.0, [("Dog", 0.7)]),
        (3.0, 5.0, [("Cow", 0.5)]),
    ]
    runs = TagRuns()
    first = runs.push(spans[:2])
    assert first == []  # both runs still open
    second = runs.push(spans[2:])
    assert [(d.text, d.start, d.end, d.score) for d in second] == [
        ("Dog", 0.0, 4.0, 0.8),
        ("Bark", 1.0, 3.0, 0.4),
    ]
    last = runs.close()
    assert [(d.text, d.start, d.end) for d in last] == [("Cow", 3.0, 5.0)]
    # Together, what the whole gives at once.
    assert sorted(second + last, key=lambda d: d.start or 0.0) == merged_tags(spans)


def _in_order(items: list[Item]) -> list[Item]:
    """Items by kind, time and text: a streamed file gives them a part at a time."""
    return sorted(items, key=lambda i: (i.kind, i.start or 0.0, i.end or 0.0, i.text or ""))


def _same_items(streamed: list[Item], held: list[Item]) -> None:
    """The same items, times and texts; vectors equal up to the grouping of model batches."""
    streamed, held = _in_order(streamed), _in_order(held)
    assert [(i.kind, i.start, i.end, i.text) for i in streamed] == [
        (i.kind, i.start, i.end, i.text) for i in held
    ]
    for one, other in zip(streamed, held, strict=True):
        assert set(one.vectors) == set(other.vectors)
        for space in one.vectors:
            assert np.abs(one.vectors[space] - other.vectors[space]).max() < TOLERANCE


def test_a_long_recording_walked_in_pieces_gives_what_it_gives_whole(
    extractor: Extractor,
) -> None:
    """75 s of speech and silence: held whole by default, streamed in 7 s pieces when anything
    past 10 s counts as long. The pieces cut neither a sound window nor a Whisper window."""
    path = media.long_speech(75.0).path
    held = extractor.decode(path, FileKind.AUDIO)
    assert isinstance(held, DecodedSound) and held.nbytes > 0
    pieces = ExtractSettings(held_sound_seconds=10.0, piece_seconds=7.0)
    streaming = Extractor(extractor.models, pieces)
    streamed = streaming.decode(path, FileKind.AUDIO)
    assert streamed == StreamedSound(path, held.sample_rate) and streamed.nbytes == 0
    items = streaming.embed([streamed])[0]
    assert len(_of(items, ItemKind.TRANSCRIPT)) >= 2 and _of(items, ItemKind.AUDIO_WINDOW)
    _same_items(items, extractor.embed([held])[0])


def test_a_long_video_walked_in_pieces_gives_what_it_gives_whole(extractor: Extractor) -> None:
    path = media.videos().slideshow
    held = extractor.decode(path, FileKind.VIDEO)
    assert isinstance(held, DecodedVideo) and len(held.frames) >= 2
    # Its frames outgrow a one-byte budget at once: the video is left to stream.
    streaming = Extractor(extractor.models, ExtractSettings(held_frame_bytes=1))
    streamed = streaming.decode(path, FileKind.VIDEO)
    assert isinstance(streamed, StreamedVideo) and streamed.sound is not None
    _same_items(streaming.embed([streamed])[0], extractor.embed([held])[0])
    # Longer than ``held_sound_seconds`` by its header: streamed without decoding anything.
    short = Extractor(extractor.models, ExtractSettings(held_sound_seconds=1.0))
    assert short.decode(path, FileKind.VIDEO) == streamed


def _note_chunks(extractor: Extractor, path: Path) -> list[TextChunk]:
    decoded = extractor.decode(path, FileKind.NOTE)
    assert isinstance(decoded, DecodedNote)
    return decoded.chunks


def test_a_long_note_is_tokenized_in_slices_that_point_back_into_it(
    extractor: Extractor, tmp_path: Path
) -> None:
    recipes = _demo("Notes/recipes.txt")
    text = recipes.read_text()
    note = tmp_path / "long.txt"
    note.write_text(text * (1 + 3 * NOTE_SLICE_CHARS // len(text)))
    chunks = _note_chunks(extractor, note)
    whole = read_note(note)
    assert chunks[-1].end_char > 3 * NOTE_SLICE_CHARS
    for before, chunk in zip(chunks, chunks[1:], strict=False):
        assert whole[chunk.start_char : chunk.end_char] == chunk.text
        # In order, overlapping or (at a slice's end) leaving out nothing but spaces.
        assert before.start_char < chunk.start_char
        assert not whole[before.end_char : chunk.start_char].strip()
    # A note shorter than a slice is chunked as before.
    assert _note_chunks(extractor, recipes) == extractor.text.chunks(read_note(recipes))


def test_part_of_a_long_recording_or_video_is_walked_as_its_held_part(
    extractor: Extractor,
) -> None:
    """What a query by example asks of a long file: the part from ``start`` to ``end``."""
    streaming = Extractor(extractor.models, ExtractSettings(held_sound_seconds=1.0))
    path = media.long_speech(75.0).path
    held = extractor.decode(path, FileKind.AUDIO)
    assert isinstance(held, DecodedSound)
    rate = held.sample_rate
    part = replace(held, samples=held.samples[10 * rate : 40 * rate])
    streamed = streaming.decode(path, FileKind.AUDIO)
    assert isinstance(streamed, StreamedSound)
    _same_items(streaming.embed([streamed.between(10.0, 40.0)])[0], extractor.embed([part])[0])

    video = media.videos().slideshow
    whole = extractor.decode(video, FileKind.VIDEO)
    assert isinstance(whole, DecodedVideo) and whole.sound is not None
    sound = whole.sound
    cut = DecodedVideo(
        [(seconds, frame) for seconds, frame in whole.frames if 2.0 <= seconds <= 8.0],
        replace(sound, samples=sound.samples[2 * sound.sample_rate : 8 * sound.sample_rate]),
    )
    long = streaming.decode(video, FileKind.VIDEO)
    assert isinstance(long, StreamedVideo)
    _same_items(streaming.embed([long.between(2.0, 8.0)])[0], extractor.embed([cut])[0])


def test_a_long_recording_cut_short_keeps_what_decoded(
    extractor: Extractor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A WAV whose header promises 75 s and holds 40: streamed, it keeps its 40 s, as held."""
    path = tmp_path / "cut.wav"
    path.write_bytes(media.long_speech(75.0).path.read_bytes()[: 44 + 40 * 32_000])
    held = extractor.decode(path, FileKind.AUDIO)
    assert isinstance(held, DecodedSound)
    assert len(held.samples) / held.sample_rate == pytest.approx(40.0, abs=0.1)
    streaming = Extractor(extractor.models, ExtractSettings(held_sound_seconds=10.0))
    streamed = streaming.decode(path, FileKind.AUDIO)
    assert isinstance(streamed, StreamedSound)
    items = streaming.embed([streamed])[0]
    assert "truncated" in caplog.text
    assert max(item.end or 0.0 for item in items) == pytest.approx(40.0)
    _same_items(items, extractor.embed([held])[0])


def test_a_video_that_says_it_is_ten_hours_long_keeps_what_it_holds(
    extractor: Extractor, tmp_path: Path
) -> None:
    """Streamed for what its header says, it gives the frames and sound the 12 s it holds
    give when held."""
    path = bigfiles.forged_duration(media.videos().slideshow, tmp_path / "ten.mkv", 36_000.0)
    streamed = extractor.decode(path, FileKind.VIDEO)
    assert isinstance(streamed, StreamedVideo)
    holding = Extractor(extractor.models, ExtractSettings(held_sound_seconds=1e9))
    held = holding.decode(path, FileKind.VIDEO)
    assert isinstance(held, DecodedVideo) and held.frames
    items = extractor.embed([streamed])[0]
    assert _of(items, ItemKind.FRAME) and _of(items, ItemKind.AUDIO_WINDOW)
    _same_items(items, holding.embed([held])[0])

"""The real media that other tests and the benchmarks lean on has the shape they expect.

Fetching is done by ``python -m tests.media all`` (CI runs it first); here each helper fetches
whatever is still missing, so a first run on a fresh machine is slow and later ones are quick.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from tests import media


def _looks_english(text: str) -> bool:
    """Latin letters without accents (a loan word may bring one or two), typographic quotes
    and dashes allowed."""
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 2 and sum(not char.isascii() for char in letters) <= 2


def test_tux_paint_has_enough_categories_for_retrieval() -> None:
    groups = media.categories(min_images=8)
    assert len(groups) >= 30
    assert sum(len(paths) for paths in groups.values()) >= 500
    assert "animals/birds" in groups and "food/fruit" in groups
    photos = media.categories(min_images=8, photos_only=True)
    assert not any("cartoon" in name for name in photos)
    assert len(photos) >= 20


def test_every_stamp_has_an_english_caption_and_translations() -> None:
    stamps = media.stamp_images()
    assert len(stamps) >= 700
    assert not any(stamp.stem.endswith("_mirror") for stamp in stamps)
    assert [stamp for stamp in stamps if not _looks_english(media.caption(stamp))] == []
    translated = [media.captions(stamp) for stamp in stamps]
    differs = sum(found.get("fr", "") not in ("", found["en"]) for found in translated)
    assert differs >= 0.9 * len(stamps)  # the first line is not a copy of a translation
    lion = media.tux_stamps() / "animals/mammals/cats/lion.png"
    assert media.caption(lion) == "A lion."
    assert media.captions(lion)["es"] == "Un león."
    mirrored = media.tux_stamps() / "vehicles/emergency/sedan_police_mirror.png"
    assert media.caption(mirrored) == media.caption(mirrored.with_name("sedan_police.png"))


def test_photos_decode_with_their_real_sizes() -> None:
    with Image.open(media.skimage_photos()["chelsea"]) as cat:
        assert cat.size == (451, 300)
    assert {"astronaut", "coffee", "rocket", "motorcycle_left"} <= media.skimage_photos().keys()
    assert set(media.sklearn_photos()) == {"china", "flower"}
    with Image.open(media.stamp_images(photos_only=True)[0]) as stamp:
        assert stamp.mode == "RGBA"  # cut-outs: the app has to composite them


def _decodes(path: Path) -> bool:
    """The first second decodes to finite samples (enough to prove the codec reads it)."""
    rate = soundfile.info(str(path)).samplerate
    samples, _ = soundfile.read(str(path), frames=rate, dtype="float32")
    return rate > 0 and samples.size > 0 and bool(np.isfinite(samples).all())


def test_sounds_decode_and_belong_to_stamps() -> None:
    animals = media.animal_sounds()
    assert len(animals) == 66
    assert all(_decodes(path) for path in animals)
    assert all(media.stamp_of(path) is not None for path in animals)
    spoken = media.spoken_captions("en")
    assert len(spoken) >= 60
    assert all(_decodes(path) for path in spoken[::6])
    assert len(media.spoken_captions("es")) > 800
    desktop = media.desktop_sounds()
    assert len(desktop) >= 30
    assert all(_decodes(path) for path in desktop)


def test_speech_has_exact_transcripts_at_16_khz() -> None:
    clips = media.speech_clips()
    assert [clip.text for clip in clips] == [u.text for u in media.UTTERANCES]
    for clip in clips:
        info = soundfile.info(str(clip.path))
        assert (info.samplerate, info.channels) == (media.SPEECH_RATE, 1)
        assert 1.5 < info.duration < 8.0
        assert clip.path.with_suffix(".txt").read_text().strip() == clip.text
    long = media.long_speech()
    assert soundfile.info(str(long.path)).duration == pytest.approx(30.0, abs=0.01)
    assert long.text.startswith(clips[0].text) and len(long.text.split()) > 50


def test_demo_folder_is_small_real_and_self_contained() -> None:
    files = media.demo_files()
    assert 20 <= len(files) <= 40
    assert {path.parent.name for path in files} == {
        "Photos",
        "Sounds",
        "Recordings",
        "Videos",
        "Notes",
    }
    root = media.demo_folder()
    assert not any(path.is_symlink() for path in root.rglob("*"))
    assert all(path.stat().st_size > 0 for path in files)

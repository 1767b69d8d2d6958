"""Very large files made from real media in seconds (sox, FFmpeg, Pillow), and a run that indexes
one folder of them in a child process and reports its peak memory above the warmed models
(:mod:`tests.engine.scan.memory_child`). Shared by the memory test and the memory benchmark."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from tests import media

REPO = Path(__file__).resolve().parents[3]
SPEECH_RATE = 16_000


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


def index_alone(
    folder: Path, warm: Path, pack: Path, data: Path, stand_ins: bool, timeout: float
) -> dict:
    """Index ``folder`` in a child process after ``warm``; the child's report (a dict with
    ``above_mib``, ``seconds``, ``indexed``, ``failures`` and ``items`` by kind)."""
    command = [sys.executable, "-m", "tests.engine.scan.memory_child"]
    command += [str(data), str(pack), str(warm), str(folder)]
    done = subprocess.run(
        command + (["--stand-ins"] if stand_ins else []),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"indexing {folder} failed:\n{done.stderr[-3000:]}")
    report: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def make_warm_folder(folder: Path) -> Path:
    """Files that run each model's full batch twice, since ONNX Runtime settles its memory for
    a batch shape on the second run: 40 photos (16 a batch), 300 s of recording (4 sound windows
    a batch; Whisper takes one window at a time), a 100 KB note (32 chunks a batch), a video."""
    folder.mkdir(parents=True, exist_ok=True)
    demo = media.demo_folder()
    shutil.copytree(demo / "Photos", folder / "Photos", dirs_exist_ok=True)
    for number, stamp in enumerate(media.stamp_images(photos_only=True)[:16]):
        shutil.copyfile(stamp, folder / "Photos" / f"stamp-{number}.png")
    shutil.copyfile(media.long_speech(300.0).path, folder / "speech.wav")
    shutil.copyfile(media.videos().testsrc, folder / "testsrc.mp4")
    notes = "\n\n".join(path.read_text() for path in sorted((demo / "Notes").iterdir()))
    (folder / "notes.txt").write_text(notes * (1 + 100_000 // len(notes)))
    return folder


def silent_hour(folder: Path) -> Path:
    """An hour of silence as a recorder writes it: 44.1 kHz stereo WAV (635 MB), so channels
    are mixed and the rate converted on the way to the models."""
    path = folder / "hour.wav"
    sox("-n", "-r", "44100", "-c", "2", "-b", "16", str(path), "trim", "0", "3600")
    return path


def speech_hours(folder: Path, hours: float = 3.0) -> Path:
    """The espeak-ng sentences, each followed by half a second of quiet, over and over for
    ``hours`` (16 kHz mono WAV, 115 MB an hour)."""
    path = folder / "talk.wav"
    with tempfile.TemporaryDirectory() as scratch:
        pause = Path(scratch) / "pause.wav"
        sox("-n", "-r", str(SPEECH_RATE), "-c", "1", "-b", "16", str(pause), "trim", "0", "0.5")
        parts = [str(part) for clip in media.speech_clips() for part in (clip.path, pause)]
        block = Path(scratch) / "block.wav"
        sox(*parts, str(block))
        seconds = round(hours * 3600)
        repeats = int(seconds / (block.stat().st_size / (2 * SPEECH_RATE))) + 1
        sox(str(block), str(path), "repeat", str(repeats), "trim", "0", str(seconds))
    return path


def talk_and_sounds(folder: Path, seconds: float, name: str = "talk.wav") -> Path:
    """Real speech and real sounds: each espeak-ng sentence in turn, then one of the demo's
    animal sounds (Tux Paint's), then half a second of quiet, over and over for ``seconds``
    (16 kHz mono WAV, 115 MB an hour). The sentences come in :data:`tests.media.UTTERANCES`'s
    order, so the first lies at the start and the last one more than a minute in."""
    path = folder / name
    with tempfile.TemporaryDirectory() as scratch:
        made = Path(scratch)
        pause = made / "pause.wav"
        sox("-n", "-r", str(SPEECH_RATE), "-c", "1", "-b", "16", str(pause), "trim", "0", "0.5")
        sounds = sorted((media.demo_folder() / "Sounds").glob("*.ogg"))
        parts: list[str] = []
        for number, clip in enumerate(media.speech_clips()):
            sound = made / f"sound{number}.wav"
            source = sounds[number % len(sounds)]
            sox(str(source), "-r", str(SPEECH_RATE), "-c", "1", "-b", "16", str(sound))
            parts += [str(clip.path), str(sound), str(pause)]
        block = made / "block.wav"
        sox(*parts, str(block))
        repeats = int(seconds / (block.stat().st_size / (2 * SPEECH_RATE))) + 1
        sox(str(block), str(path), "repeat", str(repeats), "trim", "0", str(seconds))
    return path


def huge_note(folder: Path, size: int = 200_000_000) -> Path:
    """Tux Paint's captions in their ~80 languages (Chinese and Arabic among them), over and
    over to ``size`` bytes: a note no one wrote by hand, as an export or a log is."""
    captions = "\n\n".join(
        path.read_text(errors="replace") for path in sorted(media.tux_stamps().rglob("*.txt"))
    ).encode()
    path = folder / "export.txt"
    with path.open("wb") as note:
        for _ in range(1 + size // len(captions)):
            note.write(captions)
    return path


def hundred_megapixels(folder: Path) -> tuple[Path, Path]:
    """A real photo (scikit-image's astronaut) scaled to 10000x10000, as a baseline JPEG (what
    a 100 MP camera writes) and as a PNG (a scan, which must decode at full size)."""
    with Image.open(media.skimage_photos()["astronaut"]) as small:
        big = small.convert("RGB").resize((10_000, 10_000), Image.Resampling.BILINEAR)
    jpeg, png = folder / "camera.jpg", folder / "scan.png"
    big.save(jpeg, quality=90)
    big.save(png, compress_level=1)
    return jpeg, png


def ten_hour_video(folder: Path) -> Path:
    """Ten hours of a real photo shown for a minute at a time (640x360, every frame a keyframe)
    with a silent AAC sound track: a film's length in ~35 MB, made in ~10 s."""
    path = folder / "ten-hours.mkv"
    photo = media.demo_folder() / "Photos" / "chelsea.png"
    with tempfile.TemporaryDirectory() as scratch:
        picture, sound = Path(scratch) / "picture.mkv", Path(scratch) / "sound.mka"
        ffmpeg(
            *("-loop", "1", "-framerate", "1/60", "-i", str(photo), "-t", "36000"),
            *("-vf", "scale=640:360", "-c:v", "libx264", "-preset", "ultrafast", "-g", "1"),
            str(picture),
        )
        ffmpeg(
            *("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "36000"),
            *("-c:a", "aac", "-b:a", "8k"),
            str(sound),
        )
        ffmpeg("-i", str(picture), "-i", str(sound), "-c", "copy", str(path))
    return path


def forged_duration(source: Path, path: Path, seconds: float) -> Path:
    """``source`` remuxed to Matroska (``path``) with a header that states ``seconds``: a
    short real clip that says it is long, as a damaged or hostile file may."""
    ffmpeg("-i", str(source), "-c", "copy", str(path))
    data = bytearray(path.read_bytes())
    info = data.index(b"\x15\x49\xa9\x66")  # the Segment Info element
    at = data.index(b"\x44\x89", info)  # its Duration: a float, in milliseconds here
    width = data[at + 2] & 0x7F  # a one-byte size: 4 or 8
    stated = struct.pack(">d" if width == 8 else ">f", seconds * 1000.0)
    data[at + 3 : at + 3 + width] = stated
    path.write_bytes(bytes(data))
    return path


def video_saying_ten_hours(folder: Path) -> Path:
    """The 12 s slideshow (photos and speech) with a header that states ten hours."""
    return forged_duration(media.videos().slideshow, folder / "says-ten-hours.mkv", 36_000.0)

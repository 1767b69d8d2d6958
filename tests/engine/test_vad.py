"""Voice activity: Silero's rules in a stream, and Whisper hearing only the voiced stretches,
packed end to end into windows whose times map back to the recording.

The first tests stand in for the models (a "voice" is a loud stretch; a window "says" one
segment per loud burst in it, in the language its loudness names), so that the bookkeeping is
checked exactly; the rest run the dev pack's Silero VAD and Whisper on real sound.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import soundfile
from numpy.typing import NDArray

from engine.catalog.records import FileKind, Item, ItemKind
from engine.inference.models import ModelSet
from engine.inference.session import Feed, Session
from engine.inference.speech import (
    SAMPLE_RATE,
    Segment,
    SpeechStream,
    SpeechTranscriber,
    _Parsed,
)
from engine.inference.vad import Stretch, VoiceDetector, VoiceSettings, joined
from engine.scan.extract import Extractor, StreamedSound
from models.manifest import FileRef, Manifest, ModelEntry, Task, VoicePreprocessing
from tests import media
from tests.media import Utterance, said

LOUD = 0.2


class LoudnessVoice:
    """The voice model's contract (``input`` [1, 64 + 512], ``state`` [2, 1, 128], ``sr``):
    speech probability 1 where the chunk is loud, else 0; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        self.calls += 1
        window, state = feed["input"], feed["state"]
        assert window.shape == (1, 576) and state.shape == (2, 1, 128)
        assert int(feed["sr"]) == SAMPLE_RATE
        loud = float(np.abs(window[0, 64:]).mean()) > LOUD / 2
        return [np.array([[1.0 if loud else 0.0]], np.float32), state.astype(np.float32)]


def stand_in_detector(settings: VoiceSettings | None = None) -> VoiceDetector:
    entry = ModelEntry(
        id="stand-in-vad",
        task=Task.VAD,
        files={"model": FileRef("stand-in-vad/model.onnx", "0" * 64, 1)},
        dims={"state": 128},
        preprocessing=VoicePreprocessing(sample_rate=16000, chunk_samples=512, context_samples=64),
    )
    return VoiceDetector(entry, LoudnessVoice(), settings)


class BurstsHeard:
    """Whisper's window contract (``language_weights``, ``_window``): one segment per loud
    burst of the window, timed to it, in "es" if the window's first burst is louder than 0.3,
    else "en" (two languages, so the weights a stream passes are two numbers)."""

    def __init__(self) -> None:
        self.windows: list[int] = []

    def language_weights(self, spoken: Collection[str]) -> NDArray[np.float64]:
        return np.array([0.0 if not spoken or code in spoken else -1.0 for code in ("en", "es")])

    def _window(
        self,
        chunk: NDArray[np.float32],
        voiced: bool = False,
        weights: NDArray[np.float64] | None = None,
    ) -> _Parsed:
        assert weights is not None and weights.shape == (2,)  # what the stream was given
        self.windows.append(chunk.size)
        loud = np.abs(chunk) > LOUD / 2
        edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
        bursts = list(zip(edges[::2], edges[1::2], strict=True))
        segments = [
            Segment(start / SAMPLE_RATE, end / SAMPLE_RATE, f"burst {index}")
            for index, (start, end) in enumerate(bursts)
        ]
        language = "es" if bursts and float(np.abs(chunk[bursts[0][0]])) > 0.3 else "en"
        return _Parsed(segments, chunk.size, language)


def recording(bursts: Sequence[tuple[float, float, float]], seconds: float) -> NDArray[np.float32]:
    """Silence with a loud tone (level) at each (start s, end s, level)."""
    audio = np.zeros(round(seconds * SAMPLE_RATE), np.float32)
    for start, end, level in bursts:
        span = slice(round(start * SAMPLE_RATE), round(end * SAMPLE_RATE))
        audio[span] = level * np.sign(np.sin(np.arange(span.stop - span.start) * 0.3))
    return audio


def pushed(stream: SpeechStream, audio: NDArray[np.float32], sizes: Sequence[int]) -> list[Segment]:
    segments: list[Segment] = []
    at, turn = 0, 0
    while at < audio.size:
        size = sizes[turn % len(sizes)]
        segments += stream.push(audio[at : at + size])
        at, turn = at + size, turn + 1
    return segments + stream.close()


def stand_in_stream(heard: BurstsHeard, detector: VoiceDetector | None) -> SpeechStream:
    return SpeechStream(cast(SpeechTranscriber, heard), SAMPLE_RATE, detector)


def test_stretches_follow_silero_rules_padding_and_minimum_length() -> None:
    detector = stand_in_detector(VoiceSettings(min_silence_ms=100, speech_pad_ms=30))
    audio = recording([(1.0, 2.0, 0.25), (2.05, 3.0, 0.25), (5.0, 5.1, 0.25)], 8.0)
    found = detector.stretches(audio)
    # 50 ms apart: one stretch (the gap is shorter than the silence that ends one); 100 ms of
    # sound is under the 250 ms a stretch needs. 30 ms of padding each side, to the chunk.
    assert len(found) == 1, found
    assert abs(found[0].start_seconds - 0.97) < 0.04 and abs(found[0].end_seconds - 3.03) < 0.04


def test_pieces_of_any_length_give_the_same_runs_and_let_go_of_what_is_settled() -> None:
    detector = stand_in_detector()
    audio = recording([(0.5, 2.0, 0.25), (2.8, 4.0, 0.25), (9.0, 12.0, 0.25)], 14.0)
    whole = detector.stretches(audio)
    assert len(whole) == 2  # the first two are closer than the 1 s that ends a stretch
    for sizes in ([1], [511, 513], [7000], [160_000]):
        stream = detector.stream()
        runs: list[Stretch] = []
        at = 0
        while at < audio.size:
            size = random.Random(at).choice(sizes)
            runs += stream.push(audio[at : at + size])
            assert stream.undecided_from >= (runs[-1].end if runs else 0)
            assert min(at + size, audio.size) - stream.undecided_from <= SAMPLE_RATE + 7000
            at += size
        runs += stream.close()
        assert joined(runs) == whole, sizes


def test_digital_silence_is_not_shown_to_the_model_after_a_second() -> None:
    detector = stand_in_detector()
    model = cast(LoudnessVoice, detector.session)
    assert detector.stretches(np.zeros(60 * SAMPLE_RATE, np.float32)) == []
    assert model.calls <= SAMPLE_RATE // 512 + 2


def test_voiced_stretches_are_packed_into_one_window_and_timed_in_the_recording() -> None:
    """Three remarks over two minutes: one window of voice instead of five of recording."""
    bursts = [(10.0, 12.0, 0.25), (50.0, 53.0, 0.25), (100.0, 101.0, 0.25)]
    audio = recording(bursts, 120.0)
    heard = BurstsHeard()
    segments = pushed(stand_in_stream(heard, stand_in_detector()), audio, [48_000])
    assert len(heard.windows) == 1 and heard.windows[0] < 10 * SAMPLE_RATE
    assert [segment.text for segment in segments] == ["burst 0", "burst 1", "burst 2"]
    for segment, (start, end, _) in zip(segments, bursts, strict=True):
        assert abs(segment.start - start) < 0.05 and abs(segment.end - end) < 0.05, segment
    whole = BurstsHeard()
    assert len(pushed(stand_in_stream(whole, None), audio, [48_000])) == 3
    assert len(whole.windows) == 4


def test_a_stretch_longer_than_a_window_is_cut_into_windows_and_languages_are_per_window() -> None:
    bursts = [(5.0, 45.0, 0.25), (70.0, 71.0, 0.5)]
    audio = recording(bursts, 80.0)
    heard = BurstsHeard()
    segments = pushed(stand_in_stream(heard, stand_in_detector()), audio, [3_000, 50_000])
    assert heard.windows[0] == 30 * SAMPLE_RATE and len(heard.windows) == 2
    starts = [round(segment.start, 1) for segment in segments]
    ends = [round(segment.end, 1) for segment in segments]
    # The long stretch, cut where the first window ends (its padding heard too), then its rest
    # and the last burst, packed in the second window, each at its own time.
    assert starts == [5.0, 34.6, 70.0] and ends == [34.6, 45.0, 71.0], segments
    assert [segment.language for segment in segments] == ["en", "en", "en"]
    louder = recording([(5.0, 8.0, 0.25), (60.0, 95.0, 0.5)], 100.0)
    languages = {
        (round(segment.start), segment.language)
        for segment in pushed(stand_in_stream(BurstsHeard(), stand_in_detector()), louder, [8192])
    }
    assert (5, "en") in languages and (60, "en") in languages and (86, "es") in languages


def test_no_voice_no_window() -> None:
    heard = BurstsHeard()
    quiet = 0.05 * np.sin(np.arange(20 * SAMPLE_RATE, dtype=np.float32) * 0.1)
    assert pushed(stand_in_stream(heard, stand_in_detector()), quiet, [16_000]) == []
    assert heard.windows == []


@pytest.mark.parametrize("seconds", [0.0, 0.01, 0.2])
def test_very_short_recordings(seconds: float) -> None:
    audio = recording([(0.0, seconds, 0.25)], seconds)
    heard = BurstsHeard()
    assert pushed(stand_in_stream(heard, stand_in_detector()), audio, [1000]) == []
    assert heard.windows == []  # under the 250 ms a stretch needs


# --- the dev pack's Silero VAD and Whisper on real sound -----------------------------------------

GAP = 2.0  # seconds of silence either side of a sentence
SENTENCES = {
    "en": Utterance("vad_en", "en-us", "The budget meeting has moved to Thursday afternoon."),
    "es": Utterance("vad_es", "es", "El perro corre por la playa todas las mañanas."),
    # espeak-ng's Mandarin read as Chinese (plain "cmn" reads its pinyin as English); a short
    # sentence of it Whisper base hears as English, this demo memo's length as Chinese.
    "zh": Utterance(
        "vad_zh",
        "cmn-latn-pinyin",
        "这个周末我们去北京旅行。星期六去爬长城，星期天去参观寺庙。记得带上相机和护照。",
    ),
}


def _read(path: Path) -> NDArray[np.float32]:
    samples, rate = soundfile.read(str(path), dtype="float32")
    assert rate == SAMPLE_RATE
    return np.asarray(samples, dtype=np.float32)


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def models(dev_pack: Manifest) -> ModelSet:
    return ModelSet(dev_pack)


@pytest.fixture(scope="module")
def voice(models: ModelSet) -> VoiceDetector:
    detector = models.voice()
    assert detector is not None, "the dev pack has no voice activity model"
    return detector


@pytest.fixture(scope="module")
def listener(models: ModelSet) -> Extractor:
    """The extractor with Whisper and the VAD, without the sound model (not what is tested)."""
    extractor = Extractor(models)
    extractor.audio = None
    return extractor


class Counted:
    """A session that counts its runs."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calls = 0

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        self.calls += 1
        return self.session.run(output_names, feed)


def _transcripts(items: list[Item]) -> list[Item]:
    return [item for item in items if item.kind is ItemKind.TRANSCRIPT]


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_speech_is_heard_where_it_is_said(
    models: ModelSet, voice: VoiceDetector, language: str
) -> None:
    """espeak-ng in English, Spanish and Mandarin between two seconds of silence: one stretch
    around it, and segments inside it (the English-only dev model hears English words only;
    a multilingual one names the language)."""
    speech = _read(said(SENTENCES[language]).path)
    silence = np.zeros(round(GAP * SAMPLE_RATE), np.float32)
    audio = np.concatenate([silence, speech, silence])
    end = GAP + speech.size / SAMPLE_RATE
    (stretch,) = voice.stretches(audio)
    assert GAP - 0.5 <= stretch.start_seconds <= GAP + 0.2
    assert end - 0.3 <= stretch.end_seconds <= end + 0.5
    transcriber = models.speech()
    assert transcriber is not None
    segments = transcriber.transcribe(audio, SAMPLE_RATE, voice=voice)
    assert segments, language
    assert stretch.start_seconds - 0.05 <= segments[0].start <= GAP + 0.5
    assert segments[-1].end <= stretch.end_seconds + 0.05 and segments[-1].end >= end - 1.0
    if transcriber.generation.languages:
        assert {segment.language for segment in segments} == {language}
    if language == "en":
        heard = " ".join(segment.text.lower() for segment in segments)
        assert "budget" in heard and "thursday" in heard


@pytest.mark.slow
def test_repeated_words_in_voice_are_kept(models: ModelSet, voice: VoiceDetector) -> None:
    """Whisper runs on past the eight "no"s said; in voice its loop keeps its text, cut."""
    # Without commas: espeak's "No," comes out as "Oh," to Whisper base.
    clip = said(Utterance("vad_no", "en-us", "No no no no no no no no."))
    transcriber = models.speech()
    assert transcriber is not None
    segments = transcriber.transcribe(_read(clip.path), SAMPLE_RATE, voice=voice)
    heard = " ".join(segment.text.lower() for segment in segments)
    assert heard.count("no") >= 4, segments


@pytest.mark.slow
def test_animal_sounds_get_no_transcript(listener: Extractor) -> None:
    """The 66 Tux Paint animal sounds: no voice in any; Whisper without VAD wrote text on 22
    ("AHHHHHHH" for the sheep, "Thank you." for the bee). A few voice-like calls (a chimp's
    hoots, a hippo's laugh) pass the VAD; the list is in BENCHMARKS.md (tests.benchmarks.voice)."""
    heard = {}
    for path in media.animal_sounds():
        texts = [item.text for item in _transcripts(listener.extract(path, FileKind.AUDIO))]
        if texts:
            heard[path.name] = texts
    print(heard)
    assert len(heard) <= 4, heard


@pytest.mark.slow
def test_eight_hours_of_silence_stream_through_without_a_window(
    listener: Extractor, tmp_path: Path
) -> None:
    path = tmp_path / "silence.flac"
    _sox("-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "trim", "0", "8:00:00")
    decoded = listener.decode(path, FileKind.AUDIO)
    assert isinstance(decoded, StreamedSound)
    speech = listener.speech
    assert speech is not None
    encoder = speech.encoder
    counted = speech.encoder = Counted(encoder)
    try:
        assert listener.embed([decoded]) == [[]]
    finally:
        speech.encoder = encoder
    assert counted.calls == 0  # Whisper never ran


@pytest.mark.slow
def test_a_fifth_of_a_second_is_indexed_without_a_transcript(
    listener: Extractor, tmp_path: Path
) -> None:
    path = tmp_path / "short.wav"
    _sox(str(said(SENTENCES["en"]).path), str(path), "trim", "0.3", "0.2")
    assert listener.extract(path, FileKind.AUDIO) == []


@pytest.mark.slow
def test_192_khz_eight_channels_is_heard(models: ModelSet, tmp_path: Path) -> None:
    path = tmp_path / "wide.wav"
    _sox(str(said(SENTENCES["en"]).path), "-r", "192000", "-c", "8", str(path))
    items = Extractor(models).extract(path, FileKind.AUDIO)
    (segment, *_) = _transcripts(items)
    assert "budget" in (segment.text or "").lower()
    assert segment.start is not None and segment.start < 0.5
    assert any(item.kind is ItemKind.AUDIO_WINDOW for item in items)


@pytest.mark.slow
def test_mixed_language_speech_is_transcribed_in_time(listener: Extractor, tmp_path: Path) -> None:
    """English then Spanish with no pause: both in one window, so one language for both (the
    first's: Whisper base then writes English words over the Spanish), with times inside the
    recording; the English words are checked with a multilingual model only."""
    english, spanish = said(SENTENCES["en"]).path, said(SENTENCES["es"]).path
    path = tmp_path / "mixed.wav"
    _sox(str(english), str(spanish), str(path))
    switch = soundfile.info(str(english)).duration
    total = soundfile.info(str(path)).duration + 0.01
    segments = _transcripts(listener.extract(path, FileKind.AUDIO))
    assert segments and all(0.0 <= (s.start or 0.0) <= (s.end or 0.0) <= total for s in segments)
    speech = listener.speech
    if speech is not None and speech.generation.languages:
        english_part = [s for s in segments if "budget" in (s.text or "").lower()]
        assert english_part and (english_part[0].start or 0.0) < switch

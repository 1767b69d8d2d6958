"""One file -> the items it yields, each with its unit vector per model space.

Extraction is split in two so that the pipeline can overlap them: :meth:`Extractor.decode` reads
and decodes a file (pure CPU and I/O, no model; safe on any number of threads) and
:meth:`Extractor.embed` runs the models on a batch of decoded files (one thread: the inference
consumer), so photos from several files share one forward pass and tag labels are embedded once.

What each kind yields (spaces are named by model id):
- photo: a PHOTO item (image space, and image-text space where the pack has it) and TAG items for
  the classifier's top labels, each label embedded as a document in the text space;
- audio: AUDIO_WINDOW items (audio space), TAG items spanning the windows a label was heard in
  (where the audio model tags) and TRANSCRIPT segments (text space) where the pack has speech;
- video: FRAME items every ``frame_interval`` seconds (image spaces), TAG items spanning the
  frames a label was seen in, and its sound track as audio;
- note: TEXT_CHUNK items (text space) with their character span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.catalog.records import FileKind, ItemKind, NewItem
from engine.inference.audio import AudioEncoder
from engine.inference.image import ImageEncoder
from engine.inference.imagetext import ImageTextEncoder
from engine.inference.models import ModelSet
from engine.inference.speech import SpeechTranscriber
from engine.inference.text import TextChunk
from engine.media import notes, video
from engine.media.audio import load_audio
from engine.media.errors import MediaError
from engine.media.images import load_image
from engine.media.kinds import shown
from models.manifest import Preprocessing

Vector = NDArray[np.float32]
# Speech models take 16 kHz; audio is decoded once at the audio model's rate (or this one).
SPEECH_RATE = 16_000


@dataclass(frozen=True)
class ExtractSettings:
    tags_per_image: int = 5
    # A label below this probability is too unsure to stand for the picture in text search.
    min_tag_probability: float = 0.05
    frame_interval: float = 5.0  # seconds between video frames
    max_frames: int = 720  # one hour at the default interval; longer videos are spread evenly


@dataclass(frozen=True)
class DecodedPhoto:
    image: Image.Image

    @property
    def nbytes(self) -> int:
        return _image_bytes(self.image)


@dataclass(frozen=True)
class DecodedSound:
    samples: NDArray[np.float32]
    sample_rate: int
    damage: str | None = None  # set when the file broke part way; the decoded part is kept

    @property
    def nbytes(self) -> int:
        return int(self.samples.nbytes)


@dataclass(frozen=True)
class DecodedVideo:
    frames: list[tuple[float, Image.Image]]  # (seconds, frame)
    sound: DecodedSound | None

    @property
    def nbytes(self) -> int:
        sound = self.sound.nbytes if self.sound is not None else 0
        return sound + sum(_image_bytes(image) for _, image in self.frames)


@dataclass(frozen=True)
class DecodedNote:
    chunks: list[TextChunk]

    @property
    def nbytes(self) -> int:
        return sum(len(chunk.text) for chunk in self.chunks)


Decoded = DecodedPhoto | DecodedSound | DecodedVideo | DecodedNote

# (path, interval seconds, max frames, shorter side, sound rate) -> frames and sound
VideoDecoder = Callable[[Path, float, int, int, int | None], DecodedVideo]
NoteReader = Callable[[Path], str]


def _image_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


@dataclass
class _Batch:
    """Everything one :meth:`Extractor.embed` call sends to the models, with where it goes."""

    images: list[Image.Image] = field(default_factory=list)
    image_owner: list[tuple[int, ItemKind, float | None]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    text_owner: list[NewItemDraft] = field(default_factory=list)


@dataclass
class NewItemDraft:
    """An item whose vectors are still being filled in."""

    kind: ItemKind
    start: float | None = None
    end: float | None = None
    char_start: int | None = None
    char_end: int | None = None
    text: str | None = None
    score: float | None = None
    vectors: dict[str, Vector] = field(default_factory=dict)

    def done(self) -> NewItem:
        return NewItem(
            self.kind,
            self.start,
            self.end,
            self.char_start,
            self.char_end,
            self.text,
            self.score,
            dict(self.vectors),
        )


class Extractor:
    """Decodes files and embeds them with the models of one pack."""

    def __init__(
        self,
        models: ModelSet,
        settings: ExtractSettings | None = None,
        video_decoder: VideoDecoder | None = None,
        note_reader: NoteReader | None = None,
    ) -> None:
        self.models = models
        self.settings = settings or ExtractSettings()
        self._video_decoder = video_decoder or decode_video
        self._note_reader = note_reader or notes.read_note
        self._label_vectors: dict[str, Vector] = {}
        # Encoders are made here, on the caller's thread, so decode threads only read them.
        self.image: ImageEncoder | None = models.image()
        self.image_text: ImageTextEncoder | None = models.image_text()
        self.audio: AudioEncoder | None = models.audio()
        self.speech: SpeechTranscriber | None = models.speech()
        self.text = models.text()
        self.text_space = self.text.entry.id
        self._image_side = _shrink_side(
            [encoder.entry.preprocessing for encoder in (self.image, self.image_text) if encoder]
        )

    @property
    def sound_rate(self) -> int | None:
        """The rate audio is decoded at, or ``None`` when no model listens."""
        if self.audio is not None:
            return self.audio.sample_rate
        return SPEECH_RATE if self.speech is not None else None

    @property
    def sees(self) -> bool:
        return self.image is not None or self.image_text is not None

    # --- decoding: any thread ------------------------------------------------------------------

    def decode(self, path: Path, kind: FileKind) -> Decoded:
        """Read and decode ``path``; :class:`MediaError` says why a file cannot be read."""
        try:
            if kind is FileKind.PHOTO:
                return DecodedPhoto(self._shrink(load_image(path)) if self.sees else _NO_IMAGE)
            if kind is FileKind.AUDIO:
                return self._decode_sound(path)
            if kind is FileKind.VIDEO:
                return self._decode_video(path)
            return DecodedNote(self._note_chunks(path))
        except MediaError:
            raise
        except OSError as error:  # gone or unreadable between the scan and now
            reason = error.strerror or str(error)
            raise MediaError(f"{shown(path)}: cannot read file: {reason}") from error

    def _decode_sound(self, path: Path) -> DecodedSound:
        rate = self.sound_rate
        if rate is None:
            return DecodedSound(np.zeros(0, np.float32), SPEECH_RATE)
        decoded = load_audio(path, rate)
        return DecodedSound(decoded.samples, decoded.sample_rate, decoded.damage)

    def _decode_video(self, path: Path) -> DecodedVideo:
        decoder = self._video_decoder
        settings = self.settings
        side = self._image_side if self.sees else 0
        return decoder(path, settings.frame_interval, settings.max_frames, side, self.sound_rate)

    def _note_chunks(self, path: Path) -> list[TextChunk]:
        text = self._note_reader(path)
        try:
            return self.text.chunks(text)
        except ValueError:  # empty, or only characters the tokenizer drops: nothing to find
            return []

    def _shrink(self, image: Image.Image) -> Image.Image:
        """Scale a photo down to the size the models resize it to, here on a decode thread,
        so the inference thread's own resize is a copy and a queued photo stays small."""
        side = self._image_side
        if side <= 0 or min(image.size) <= side:
            return image
        scale = side / min(image.size)
        size = (max(side, round(image.width * scale)), max(side, round(image.height * scale)))
        return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)

    # --- embedding: the inference thread -------------------------------------------------------

    def embed(self, files: Sequence[Decoded]) -> list[list[NewItem]]:
        """The items of each decoded file, in order; images and texts of all files are batched."""
        drafts: list[list[NewItemDraft]] = [[] for _ in files]
        batch = _Batch()
        for index, decoded in enumerate(files):
            if isinstance(decoded, DecodedPhoto):
                if decoded.image is not _NO_IMAGE:
                    batch.images.append(decoded.image)
                    batch.image_owner.append((index, ItemKind.PHOTO, None))
            elif isinstance(decoded, DecodedVideo):
                for seconds, frame in decoded.frames:
                    batch.images.append(frame)
                    batch.image_owner.append((index, ItemKind.FRAME, seconds))
                if decoded.sound is not None:
                    drafts[index].extend(self._sound_items(decoded.sound))
            elif isinstance(decoded, DecodedSound):
                drafts[index].extend(self._sound_items(decoded))
            else:
                drafts[index].extend(
                    NewItemDraft(
                        ItemKind.TEXT_CHUNK,
                        char_start=chunk.start_char,
                        char_end=chunk.end_char,
                        text=chunk.text,
                    )
                    for chunk in decoded.chunks
                )
        self._embed_images(batch, drafts)
        self._embed_texts(drafts)
        return [[draft.done() for draft in file_drafts] for file_drafts in drafts]

    def extract(self, path: Path, kind: FileKind) -> list[NewItem]:
        """Decode and embed one file."""
        return self.embed([self.decode(path, kind)])[0]

    def _embed_images(self, batch: _Batch, drafts: list[list[NewItemDraft]]) -> None:
        if not batch.images:
            return
        spaces: dict[str, NDArray[np.float32]] = {}
        tags: list[list[tuple[str, float]]] = [[] for _ in batch.images]
        if self.image is not None:
            if self.image.has_tags:
                vectors, tags = self.image.encode_with_tags(
                    batch.images, self.settings.tags_per_image
                )
            else:
                vectors = self.image.encode(batch.images)
            spaces[self.image.entry.id] = vectors
        if self.image_text is not None:
            spaces[self.image_text.entry.id] = self.image_text.encode_images(batch.images)
        floor = self.settings.min_tag_probability
        # Tags of a video's frames are merged per label into one span, as for sound windows.
        frame_tags: dict[int, list[tuple[float, float, list[tuple[str, float]]]]] = {}
        for row, (index, kind, seconds) in enumerate(batch.image_owner):
            vectors_of_row = {space: matrix[row] for space, matrix in spaces.items()}
            kept = [(label, p) for label, p in tags[row] if p >= floor]
            if kind is ItemKind.PHOTO:
                drafts[index].append(NewItemDraft(kind, vectors=vectors_of_row))
                drafts[index].extend(
                    NewItemDraft(ItemKind.TAG, text=label, score=p) for label, p in kept
                )
            else:
                drafts[index].append(
                    NewItemDraft(kind, start=seconds, end=seconds, vectors=vectors_of_row)
                )
                at = seconds or 0.0
                frame_tags.setdefault(index, []).append((at, at, kept))
        for index, spans in frame_tags.items():
            drafts[index].extend(merged_tags(spans))

    def _sound_items(self, sound: DecodedSound) -> list[NewItemDraft]:
        if len(sound.samples) == 0:
            return []
        drafts: list[NewItemDraft] = []
        if self.audio is not None:
            space = self.audio.entry.id
            windows = self.audio.encode_windows(sound.samples, sound.sample_rate)
            drafts.extend(
                NewItemDraft(
                    ItemKind.AUDIO_WINDOW,
                    start=window.start,
                    end=window.end,
                    vectors={space: window.embedding},
                )
                for window in windows
            )
            drafts.extend(merged_tags((w.start, w.end, w.tags) for w in windows))
        if self.speech is not None:
            drafts.extend(
                NewItemDraft(ItemKind.TRANSCRIPT, start=seg.start, end=seg.end, text=seg.text)
                for seg in self.speech.transcribe(sound.samples, sound.sample_rate)
                if seg.text.strip()
            )
        return drafts

    def _embed_texts(self, drafts: list[list[NewItemDraft]]) -> None:
        """One text-model call for every text item of the batch; tag labels are embedded once
        per run and remembered, since a classifier has only so many."""
        pending = [draft for file_drafts in drafts for draft in file_drafts if draft.text]
        new_labels: set[str] = set()
        for draft in pending:
            if draft.kind is ItemKind.TAG and draft.text and draft.text not in self._label_vectors:
                new_labels.add(draft.text)
        labels = sorted(new_labels)
        others = [draft for draft in pending if draft.kind is not ItemKind.TAG]
        texts = labels + [draft.text or "" for draft in others]
        if not texts:
            vectors = np.zeros((0, self.text.dim), np.float32)
        else:
            vectors = self.text.encode(texts, kind="document")
        self._label_vectors.update(zip(labels, vectors[: len(labels)], strict=True))
        for draft, vector in zip(others, vectors[len(labels) :], strict=True):
            draft.vectors[self.text_space] = vector
        for draft in pending:
            if draft.kind is ItemKind.TAG and draft.text:
                draft.vectors[self.text_space] = self._label_vectors[draft.text]


def merged_tags(
    spans: Iterable[tuple[float, float, Sequence[tuple[str, float]]]],
) -> list[NewItemDraft]:
    """One TAG item per run of consecutive windows (or frames) that share a label, spanning
    them, with the best probability of the run: a dog barking for a minute is one hit, not
    twenty. ``spans`` come in time order, each with the tags already past the floor."""
    open_runs: dict[str, NewItemDraft] = {}
    done: list[NewItemDraft] = []
    for start, end, tags in spans:
        heard = dict(tags)
        for label in [label for label in open_runs if label not in heard]:
            done.append(open_runs.pop(label))
        for label, probability in heard.items():
            run = open_runs.get(label)
            if run is None:
                open_runs[label] = NewItemDraft(
                    ItemKind.TAG, start=start, end=end, text=label, score=probability
                )
            else:
                run.end = max(run.end or end, end)
                run.score = max(run.score or 0.0, probability)
    done.extend(open_runs.values())
    return sorted(done, key=lambda draft: (draft.start or 0.0, -(draft.score or 0.0)))


def _shrink_side(preprocessings: Sequence[Preprocessing]) -> int:
    """The shorter side a photo may be scaled down to before every model's own resize; 0 when
    a model squashes (its resize depends on the original shape, so nothing is done early)."""
    if not preprocessings or any(pre.resize != "crop" for pre in preprocessings):
        return 0
    return max((pre.resize_to or pre.image_size or 0) for pre in preprocessings)


# A stand-in for a photo that no model looks at, so it is neither decoded nor held.
_NO_IMAGE = Image.new("RGB", (1, 1))


def decode_video(
    path: Path, interval: float, max_frames: int, side: int, sound_rate: int | None
) -> DecodedVideo:
    """Keyframes every ``interval`` seconds scaled to ``side`` (none when ``side`` is 0: no
    model looks) and the sound track at ``sound_rate`` (none when ``None``). A video that
    breaks part way keeps what decoded before the break."""
    frames: list[tuple[float, Image.Image]] = []
    if side > 0:
        try:
            frames.extend(video.keyframes(path, interval, max_frames, min_side=side))
        except video.TruncatedVideoError:
            if not frames:
                raise
    sound = None
    if sound_rate is not None and video.probe_video(path).has_audio:
        decoded = load_audio(path, sound_rate)
        sound = DecodedSound(decoded.samples, decoded.sample_rate, decoded.damage)
    if not frames and sound is None and (side > 0 or sound_rate is not None):
        raise MediaError(f"{shown(path)}: no picture or sound could be decoded")
    return DecodedVideo(frames, sound)

"""One file -> the items it yields, each with its unit vector per model space.

Extraction is split in two so that the pipeline can overlap them: :meth:`Extractor.decode` reads
and decodes a file (pure CPU and I/O, no model; safe on any number of threads) and
:meth:`Extractor.embed` runs the models on a batch of decoded files (one thread: the inference
consumer), so photos from several files share one forward pass and tag labels are embedded once.

What each kind yields (spaces are named by model id):
- photo: a PHOTO item (image space, and image-text space where the pack has it), TAG items for
  the classifier's top labels and the WordNet concepts they add up to ("dog", "animal"), each
  label embedded as a document in every text space, and a SHOWS item: what the picture shows,
  its class probabilities times its classes' descriptions (:attr:`Extractor._class_documents`,
  embedded once per extractor), in every text space;
- audio: AUDIO_WINDOW items (audio space), TAG items spanning the windows a label was heard in
  (where the audio model tags) and TRANSCRIPT segments (text spaces) where the pack has speech;
- video: FRAME items every ``frame_interval`` seconds (image spaces), a SHOWS item per frame,
  TAG items spanning the frames a label was seen in, and its sound track as audio;
- note: TEXT_CHUNK items (text spaces) with their character span, cut by the first text model;
- photo and video frames, where the pack reads text (OCR): PICTURE_TEXT items, one per line of
  words read, with its box (text spaces); a video's line seen in consecutive frames is one item
  spanning them. A photo is read at up to ``text_side`` pixels on its longer side, a video's
  frames at ``frame_text_side`` on their shorter side (frames are decoded that large then).

Memory is bounded per file whatever its length: a recording longer than
``held_sound_seconds``, or a video that long (or with more frames than ``held_frame_bytes``), is
not held by the decode thread; it comes as a :class:`StreamedSound` or :class:`StreamedVideo`,
and :meth:`Extractor.embed` decodes it again a piece at a time (``piece_seconds`` of sound,
:data:`FRAMES_PER_PIECE` frames). The pieces give the same windows, transcript and frames as the
whole would (:class:`~engine.media.audio.Windower`,
:class:`~engine.inference.speech.SpeechStream`): the only seams are the grouping of model
batches, and, where the sound model's rate is not Whisper's, Whisper's copy resampled as it
streams rather than in one pass (a difference in the last bits of the samples).

A streamed file's items also come in parts (:meth:`Extractor.embed_parts`): each piece's
finished windows, transcript segments and frames, with the tags whose run ended, so that the
pipeline commits them as they come and the start of a three-hour recording is searchable long
before its end. A tag run still open at a part's end is held over to the next part
(:class:`TagRuns`), so the parts together hold the items the whole gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.catalog.records import FileKind, Item, ItemKind, SpaceBuild
from engine.inference.audio import AudioEncoder, AudioWindow
from engine.inference.image import ImageEncoder
from engine.inference.imagetext import ImageTextEncoder
from engine.inference.models import ModelSet
from engine.inference.ocr import TextLine, TextReader, bounded
from engine.inference.speech import Segment, SpeechTranscriber
from engine.inference.text import TextChunk, TextEncoder
from engine.inference.vad import VoiceDetector
from engine.inference.vectors import l2_normalize
from engine.media import notes, video
from engine.media.audio import (
    BLOCK_FRAMES,
    LongAudioError,
    TruncatedAudioError,
    load_audio,
    mono_blocks,
    pieces,
)
from engine.media.errors import MediaError
from engine.media.images import DEFAULT_MIN_SIDE, REDUCING_GAP, load_image, scaled
from engine.media.kinds import shown
from engine.media.looks import Look
from models.manifest import ImagePreprocessing, ImageTextPreprocessing, Resize, Task

log = logging.getLogger(__name__)

Vector = NDArray[np.float32]
# Speech models take 16 kHz; audio is decoded once at the audio model's rate (or this one).
SPEECH_RATE = 16_000
# Frames of a streamed video embedded at a time: two batches of the image encoder.
FRAMES_PER_PIECE = 32
# A note is tokenized this many characters at a time: the tokenizer holds ~250 bytes a character
# while it works (260 MB for a 1 MiB note at once). A chunk ends at a slice's end, so a long note
# has one shorter chunk, without overlap, every 64 K characters; shorter notes are unchanged.
NOTE_SLICE_CHARS = 1 << 16
# Texts tokenized and embedded per text-model call: the tokenizer's encodings of a megabyte
# note's 2,000 chunks at once would take ~100 MB.
TEXTS_PER_CALL = 256
# A picture's "what it shows" vector mixes its likeliest classes (the rest weigh next to
# nothing); its text names those of them at least this probable (else the likeliest one).
SHOWN_CLASSES = 20
SHOWN_NAMED = 0.1


@dataclass(frozen=True)
class ExtractSettings:
    tags_per_image: int = 5
    # Words for text search: a "what it shows" item per photo and frame (see ItemKind.SHOWS),
    # and tag vectors with the text space's common direction taken out (:meth:`Extractor.
    # _hub_direction`). Their first use embeds every class's description and label once per
    # text space; an example's probes need neither.
    shows: bool = True
    # A label below this probability is too unsure to stand for the picture in text search.
    min_tag_probability: float = 0.05
    frame_interval: float = 5.0  # seconds between video frames
    max_frames: int = 720  # one hour at the default interval; longer videos are spread evenly
    # Longer sound (38 MB at 16 kHz), or a longer video, is streamed instead of held whole.
    held_sound_seconds: float = 600.0
    # A video whose frames take more than this (~190 frames of 455x256) is streamed too.
    held_frame_bytes: int = 64 << 20
    # A streamed recording is decoded and embedded this much at a time: 4 Whisper windows
    # (7.7 MB at 16 kHz; the piece, the sound model's and Whisper's carry-over each hold one).
    piece_seconds: float = 120.0
    # Whisper hears only where the pack's voice model hears someone speak (when it has one).
    voice_activity: bool = True
    # The languages the recordings are likely in, as the person names them ("en", "es"):
    # Whisper's language detection leans to them (see engine.inference.speech). None: any.
    spoken_languages: tuple[str, ...] = ()
    # Words in photos and video frames are read where the pack has an OCR model.
    read_text: bool = True
    text_side: int = 1920  # a photo's longer side, at most, when its words are read
    # A JPEG is decoded with its shorter side at least this (libjpeg's scaling stops there).
    text_min_side: int = 1080
    frame_text_side: int = 480  # a video's frames' shorter side when their words are read


@dataclass(frozen=True)
class DecodedPhoto:
    image: Image.Image  # as the image models see it
    text_image: Image.Image | None = None  # as its words are read (None: not read)
    look: Look | None = None  # the whole picture's look (near-duplicates compare it)
    streamed: ClassVar[bool] = False

    @property
    def nbytes(self) -> int:
        text = _image_bytes(self.text_image) if self.text_image is not None else 0
        return _image_bytes(self.image) + text


@dataclass(frozen=True)
class DecodedSound:
    samples: NDArray[np.float32]
    sample_rate: int
    streamed: ClassVar[bool] = False

    @property
    def nbytes(self) -> int:
        return int(self.samples.nbytes)


@dataclass(frozen=True)
class StreamedSound:
    """A recording too long to hold: :meth:`Extractor.embed` decodes it again, in pieces,
    from ``start`` to ``end`` seconds (to its end when ``None``)."""

    path: Path
    sample_rate: int
    start: float = 0.0
    end: float | None = None
    streamed: ClassVar[bool] = True  # its items come in parts (:meth:`Extractor.embed_parts`)

    @property
    def nbytes(self) -> int:
        return 0  # nothing is held until it is embedded

    def between(self, start: float, end: float | None) -> StreamedSound:
        """The part from ``start`` to ``end`` seconds (a query's example): its items' times
        count from ``start``, as those of a held recording cut to the part do."""
        return replace(self, start=start, end=end)


@dataclass(frozen=True)
class DecodedVideo:
    frames: list[tuple[float, Image.Image]]  # (seconds, frame)
    sound: DecodedSound | None
    streamed: ClassVar[bool] = False

    @property
    def nbytes(self) -> int:
        sound = self.sound.nbytes if self.sound is not None else 0
        return sound + sum(_image_bytes(image) for _, image in self.frames)


@dataclass(frozen=True)
class StreamedVideo:
    """A video too long to hold: :meth:`Extractor.embed` decodes its frames (scaled to
    ``side``; none when 0) and its sound again, in pieces."""

    path: Path
    side: int
    sound: StreamedSound | None
    start: float = 0.0
    end: float | None = None
    streamed: ClassVar[bool] = True

    @property
    def nbytes(self) -> int:
        return 0

    def between(self, start: float, end: float | None) -> StreamedVideo:
        """The frames and sound from ``start`` to ``end`` seconds (see
        :meth:`StreamedSound.between`); frame times stay those of the whole video."""
        sound = self.sound.between(start, end) if self.sound is not None else None
        return replace(self, sound=sound, start=start, end=end)


@dataclass(frozen=True)
class DecodedNote:
    chunks: list[TextChunk]
    streamed: ClassVar[bool] = False

    @property
    def nbytes(self) -> int:
        return sum(len(chunk.text) for chunk in self.chunks)


Decoded = DecodedPhoto | DecodedSound | StreamedSound | DecodedVideo | StreamedVideo | DecodedNote

# (path, settings, shorter side of frames, sound rate) -> frames and sound, or what to stream
VideoDecoder = Callable[[Path, ExtractSettings, int, int | None], DecodedVideo | StreamedVideo]
# (start s, end s, tags) of a window or frame, in time order
Span = tuple[float, float, Sequence[tuple[str, float]]]
NoteReader = Callable[[Path], str]


def _image_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


@dataclass
class _Batch:
    """Everything one :meth:`Extractor.embed` call sends to the models, with where it goes."""

    images: list[Image.Image] = field(default_factory=list)
    image_owner: list[tuple[int, ItemKind, float | None]] = field(default_factory=list)
    looks: dict[int, Look] = field(default_factory=dict)  # a photo's, by file index
    # Pictures whose words are read: (file index, seconds of a frame or None, picture).
    texts: list[tuple[int, float | None, Image.Image]] = field(default_factory=list)


def with_vector(item: Item, space: str, vector: Vector) -> Item:
    """``item`` with one more vector (an item's text is embedded after the item is made)."""
    return replace(item, vectors={**item.vectors, space: vector})


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
        # Tag label -> its vector, per text space.
        self._label_vectors: dict[str, dict[str, Vector]] = {}
        # What decode threads ask comes from the manifest, here; each encoder is made on first
        # use (once: the ModelSet keeps it, under its lock), so that a text query's process
        # never reads the image labels or Whisper's tokenizer.
        seeing = [models.entry(task) for task in (Task.IMAGE, Task.IMAGE_TEXT)]
        self.sees = any(seeing)
        self.reads = self.settings.read_text and models.entry(Task.OCR) is not None
        inputs = [_image_input(e.preprocessing) for e in seeing if e]
        self._image_side = _shrink_side(inputs)
        self._scaling = _shared_scaling(inputs)
        # libjpeg decodes a JPEG the models see at half size only where that keeps
        # JPEG_HALF_GAP times the side they scale to, never smaller: below, its scaling strays
        # from the resize the models were trained with (BENCHMARKS.md, "Image preprocessing
        # parity": a 12 MP photo at half size is within 0.02 of it, a 3.4 MP one is not).
        base = max(self._image_side, DEFAULT_MIN_SIDE)
        self._jpeg = {"jpeg_scale": 2, "jpeg_min_side": round(JPEG_HALF_GAP * base)}
        self._seen_side = round(REDUCING_GAP * base)  # the shorter side a decode keeps for them

    @cached_property
    def image(self) -> ImageEncoder | None:
        return self.models.image()

    @cached_property
    def image_text(self) -> ImageTextEncoder | None:
        return self.models.image_text()

    @cached_property
    def ocr(self) -> TextReader | None:
        """What reads words in pictures; ``None`` when the pack has none or reading is off."""
        return self.models.ocr() if self.reads else None

    @cached_property
    def audio(self) -> AudioEncoder | None:
        return self.models.audio()

    @cached_property
    def speech(self) -> SpeechTranscriber | None:
        return self.models.speech()

    @cached_property
    def voice(self) -> VoiceDetector | None:
        """What picks the stretches Whisper hears; ``None`` for all of every recording."""
        return self.models.voice() if self.settings.voice_activity else None

    @cached_property
    def text(self) -> TextEncoder:
        """The first text space's encoder: it cuts notes into chunks."""
        return self.models.text()

    @cached_property
    def texts(self) -> list[TextEncoder]:
        """Every text space's encoder: each text is embedded in all of them."""
        return self.models.text_encoders()

    @property
    def sound_rate(self) -> int | None:
        """The rate audio is decoded at, or ``None`` when no model listens."""
        if self.audio is not None:
            return self.audio.sample_rate
        return SPEECH_RATE if self.speech is not None else None

    # --- decoding: any thread ------------------------------------------------------------------

    def decode(self, path: Path, kind: FileKind) -> Decoded:
        """Read and decode ``path``; :class:`MediaError` says why a file cannot be read."""
        with _read_errors(path):
            if kind is FileKind.PHOTO:
                return self._decode_photo(path)
            if kind is FileKind.AUDIO:
                return self._decode_sound(path)
            if kind is FileKind.VIDEO:
                return self._decode_video(path)
            return DecodedNote(self._note_chunks(path))

    def _decode_sound(self, path: Path) -> DecodedSound | StreamedSound:
        rate = self.sound_rate
        if rate is None:
            return DecodedSound(np.zeros(0, np.float32), SPEECH_RATE)
        try:
            decoded = load_audio(path, rate, max_seconds=self.settings.held_sound_seconds)
        except LongAudioError:
            return StreamedSound(path, rate)
        return DecodedSound(decoded.samples, decoded.sample_rate)

    def _decode_photo(self, path: Path) -> DecodedPhoto:
        if not self.reads:
            if not self.sees:
                return DecodedPhoto(_NO_IMAGE)
            image = load_image(path, min_side=self._seen_side, **self._jpeg)
            return DecodedPhoto(self._shrink(image), look=Look.of(image))
        side = max(self._seen_side, self.settings.text_min_side)
        image = load_image(path, min_side=side, **(self._jpeg if self.sees else {}))
        seen = self._shrink(image) if self.sees else _NO_IMAGE
        return DecodedPhoto(seen, bounded(image, self.settings.text_side), Look.of(image))

    def _decode_video(self, path: Path) -> DecodedVideo | StreamedVideo:
        side = self._image_side if self.sees else 0
        if self.reads:
            side = max(side, self.settings.frame_text_side)
        return self._video_decoder(path, self.settings, side, self.sound_rate)

    def _note_chunks(self, path: Path) -> list[TextChunk]:
        """The chunks of a note, tokenized :data:`NOTE_SLICE_CHARS` at a time (see there)."""
        text = self._note_reader(path)
        chunks: list[TextChunk] = []
        for start, part in notes.slices(text, NOTE_SLICE_CHARS):
            try:
                found = self.text.chunks(part)
            except ValueError:  # empty, or only characters the tokenizer drops: nothing to find
                continue
            chunks.extend(
                TextChunk(start + chunk.start_char, start + chunk.end_char, chunk.text)
                for chunk in found
            )
        return chunks

    def _shrink(self, image: Image.Image) -> Image.Image:
        """A photo scaled as the models scale it, here on a decode thread, so the inference
        thread's own resize is a no-op and a queued photo stays small; as decoded when the
        models scale photos in different ways (each then scales it itself, from the same
        pixels, as it was trained)."""
        return image if self._scaling is None else scaled(image, self._scaling)

    # --- embedding: the inference thread -------------------------------------------------------

    def embed(self, files: Sequence[Decoded]) -> list[list[Item]]:
        """The items of each decoded file, in order; images and texts of all files are batched
        (a streamed file is walked here, a piece at a time, in batches of its own)."""
        drafts: list[list[Item]] = [[] for _ in files]
        batch = _Batch()
        for index, decoded in enumerate(files):
            if isinstance(decoded, DecodedPhoto):
                if decoded.image is not _NO_IMAGE:
                    batch.images.append(decoded.image)
                    batch.image_owner.append((index, ItemKind.PHOTO, None))
                    if decoded.look is not None:
                        batch.looks[index] = decoded.look
                if decoded.text_image is not None:
                    batch.texts.append((index, None, decoded.text_image))
            elif isinstance(decoded, DecodedVideo):
                for seconds, frame in decoded.frames:
                    if self.sees:
                        batch.images.append(frame)
                        batch.image_owner.append((index, ItemKind.FRAME, seconds))
                    if self.reads:
                        batch.texts.append((index, seconds, frame))
                if decoded.sound is not None:
                    drafts[index].extend(self._sound_items(decoded.sound))
            elif isinstance(decoded, StreamedSound | StreamedVideo):
                drafts[index].extend(item for part in self.embed_parts(decoded) for item in part)
            elif isinstance(decoded, DecodedSound):
                drafts[index].extend(self._sound_items(decoded))
            else:
                drafts[index].extend(
                    Item(
                        ItemKind.TEXT_CHUNK,
                        char_start=chunk.start_char,
                        char_end=chunk.end_char,
                        text=chunk.text,
                    )
                    for chunk in decoded.chunks
                )
        frame_tags: dict[int, list[Span]] = {}
        self._embed_images(batch, drafts, frame_tags)
        for index, spans in frame_tags.items():
            drafts[index].extend(merged_tags(spans))
        self._read_texts(batch.texts, drafts, {})
        # A streamed file's parts have their texts embedded already.
        self._embed_texts(
            [items for one, items in zip(files, drafts, strict=True) if not one.streamed]
        )
        return drafts

    def embed_parts(self, decoded: Decoded) -> Generator[list[Item]]:
        """The items of one file a part at a time, each part's items whole (with every
        vector): a streamed file's each piece as it is decoded and embedded (see the module's
        notes), any other file in one part. The parts together are what :meth:`embed` gives."""
        if isinstance(decoded, StreamedSound):
            drafts = self._streamed_sound_parts(decoded)
        elif isinstance(decoded, StreamedVideo):
            drafts = self._streamed_video_parts(decoded)
        else:
            yield self.embed([decoded])[0]
            return
        for part in drafts:
            self._embed_texts([part])
            yield part

    def extract(self, path: Path, kind: FileKind) -> list[Item]:
        """Decode and embed one file."""
        return self.embed([self.decode(path, kind)])[0]

    def _embed_images(
        self,
        batch: _Batch,
        drafts: list[list[Item]],
        frame_tags: dict[int, list[Span]],
    ) -> None:
        """Drafts of the batch's photos and frames; each frame's tags go to ``frame_tags``, to
        be merged per video once all its frames are in (see :func:`merged_tags`)."""
        if not batch.images:
            return
        spaces: dict[str, NDArray[np.float32]] = {}
        tags: list[list[tuple[str, float]]] = [[] for _ in batch.images]
        pictured: list[Item | None] = [None] * len(batch.images)
        if self.image is not None:
            if self.image.has_tags:
                vectors, probabilities = self.image.classify(batch.images)
                top_k = self.settings.tags_per_image
                tags = [self.image.tags_of(row, top_k) for row in probabilities]
                pictured = self._shown(probabilities)
            else:
                vectors = self.image.encode(batch.images)
            spaces[self.image.entry.id] = vectors
        if self.image_text is not None:
            spaces[self.image_text.entry.id] = self.image_text.encode_images(batch.images)
        floor = self.settings.min_tag_probability
        for row, (index, kind, seconds) in enumerate(batch.image_owner):
            vectors_of_row = {space: matrix[row] for space, matrix in spaces.items()}
            kept = [(label, p) for label, p in tags[row] if p >= floor]
            shows = pictured[row]
            if kind is ItemKind.PHOTO:
                drafts[index].append(
                    Item(kind, look=batch.looks.get(index), vectors=vectors_of_row)
                )
                drafts[index].extend(Item(ItemKind.TAG, text=label, score=p) for label, p in kept)
                drafts[index].extend([shows] if shows else [])
            else:
                drafts[index].append(Item(kind, start=seconds, end=seconds, vectors=vectors_of_row))
                if shows:
                    drafts[index].append(replace(shows, start=seconds, end=seconds))
                at = seconds or 0.0
                frame_tags.setdefault(index, []).append((at, at, kept))

    def _read_texts(
        self,
        pictures: Sequence[tuple[int, float | None, Image.Image]],
        drafts: list[list[Item]],
        runs: dict[int, TextRuns],
    ) -> None:
        """The lines of words in these pictures, as drafts of their files: a photo's each line,
        a video's runs of frames that show a line (``runs``, per file, are left open when a
        streamed video's piece ends, so that a run goes on into the next one)."""
        reader = self.ocr
        if reader is None:
            return
        held: set[int] = set()
        for index, seconds, picture in pictures:
            reading = reader.read(picture)
            if reading.skipped:
                log.info("%d more lines of text were found than are read", reading.skipped)
            if seconds is None:
                drafts[index].extend(_line_item(line) for line in reading.lines)
            else:
                if index not in runs:
                    runs[index] = TextRuns()
                    held.add(index)
                drafts[index].extend(runs[index].push(seconds, reading.lines))
        for index in held:  # a held video's runs end with its last frame
            drafts[index].extend(runs.pop(index).close())

    @cached_property
    def _class_documents(self) -> dict[str, NDArray[np.float32]]:
        """Per text space, every class's description embedded (classes, dim): its label and,
        where the pack says, what it is (:meth:`Concepts.document`). Empty when "what it
        shows" is off or the image model does not classify."""
        image = self.image
        if not self.settings.shows or image is None or image.labels is None:
            return {}
        concepts = image.concepts
        texts = [
            concepts.document(label, index) if concepts else label
            for index, label in enumerate(image.labels)
        ]
        found = {}
        for encoder in self.texts:
            vectors = np.zeros((len(texts), encoder.dim), np.float32)
            for start in range(0, len(texts), TEXTS_PER_CALL):
                part = texts[start : start + TEXTS_PER_CALL]
                vectors[start : start + len(part)] = encoder.encode(part, kind="document")
            found[encoder.entry.id] = vectors
        return found

    @cached_property
    def _hub_directions(self) -> dict[str, Vector]:
        """Per text space, the direction every short label leans in: the mean of the image
        model's labels and concepts embedded as documents, as a unit vector. Empty when the
        words for text search are off or the image model does not classify."""
        image = self.image
        if not self.settings.shows or image is None or image.labels is None:
            return {}
        texts = list(image.labels) + (image.concepts.names if image.concepts else [])
        found = {}
        for encoder in self.texts:
            total = np.zeros(encoder.dim, np.float64)
            for start in range(0, len(texts), TEXTS_PER_CALL):
                part = texts[start : start + TEXTS_PER_CALL]
                total += encoder.encode(part, kind="document").sum(axis=0)
            found[encoder.entry.id] = l2_normalize(total[None].astype(np.float32))[0]
        return found

    def _unhubbed(self, space: str, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Label vectors with their space's hub direction taken out, renormalised: a label that
        lies close to every short query (in USE-multilingual "kite", "balloon", "espresso" are
        near "a dog") only by that common lean no longer matches everything
        (all-but-the-top, Mu & Viswanath 2018; measured in EVALUATION.md)."""
        direction = self._hub_directions.get(space)
        if direction is None or len(vectors) == 0:
            return vectors
        return l2_normalize(vectors - np.outer(vectors @ direction, direction))

    def _shown(self, probabilities: NDArray[np.float32]) -> list[Item | None]:
        """Each picture's SHOWS item from its class probabilities (n, classes): the
        probability-weighted mean of its likeliest classes' descriptions, per text space."""
        documents = self._class_documents
        labels = self.image.labels if self.image else None
        if not documents or labels is None:
            return [None] * len(probabilities)
        top = np.argsort(-probabilities, axis=1)[:, :SHOWN_CLASSES]
        weights = np.take_along_axis(probabilities, top, axis=1)
        vectors = {
            space: l2_normalize(np.einsum("nk,nkd->nd", weights, matrix[top]))
            for space, matrix in documents.items()
        }
        items: list[Item | None] = []
        for row, (order, chances) in enumerate(zip(top, weights, strict=True)):
            named = [labels[i].split(", ")[0] for i, p in zip(order, chances, strict=True)]
            likely = [name for name, p in zip(named, chances, strict=True) if p >= SHOWN_NAMED]
            text = ", ".join(dict.fromkeys(likely[:3] or named[:1]))
            items.append(
                Item(
                    ItemKind.SHOWS,
                    text=text,
                    vectors={space: matrix[row] for space, matrix in vectors.items()},
                )
            )
        return items

    def _sound_items(self, sound: DecodedSound) -> list[Item]:
        if len(sound.samples) == 0:
            return []
        return _whole(self._listen([sound.samples], sound.sample_rate))

    def _streamed_sound_parts(self, sound: StreamedSound) -> Iterator[list[Item]]:
        """A long recording decoded a piece at a time, each piece's drafts as it is heard; one
        that breaks part way keeps what decoded, as a held one does."""
        size = max(1, round(self.settings.piece_seconds * sound.sample_rate))
        with _read_errors(sound.path):
            blocks = mono_blocks(sound.path, sound.sample_rate, BLOCK_FRAMES)
            yield from self._listen(
                _until_broken(_between(pieces(blocks, size), sound)), sound.sample_rate
            )

    def _listen(self, recording: Iterable[Vector], sample_rate: int) -> Iterator[list[Item]]:
        """Hand each piece of a recording (mono, in order) to the sound model's windows and to
        Whisper's, which carry partial windows over to the next piece: a held recording is one
        piece, a streamed one many, and both give the same windows and transcript. Yields the
        drafts each piece completes, then those of the recording's end."""
        listener = (self.audio, self.audio.windower()) if self.audio is not None else None
        speech = (
            self.speech.stream(sample_rate, self.voice, self.settings.spoken_languages)
            if self.speech is not None
            else None
        )
        tags = TagRuns()
        for piece in recording:
            windows = list(listener[0].encode_stream(listener[1].push(piece))) if listener else []
            segments = speech.push(piece) if speech is not None else []
            yield self._sound_drafts(windows, segments, tags)
        windows = list(listener[0].encode_stream(listener[1].close())) if listener else []
        segments = speech.close() if speech is not None else []
        yield self._sound_drafts(windows, segments, tags) + tags.close()

    def _sound_drafts(
        self, windows: Sequence[AudioWindow], segments: Sequence[Segment], tags: TagRuns
    ) -> list[Item]:
        """The drafts of these windows and segments, with the tag runs they end."""
        drafts: list[Item] = []
        if self.audio is not None:
            space = self.audio.entry.id
            drafts.extend(
                Item(
                    ItemKind.AUDIO_WINDOW,
                    start=window.start,
                    end=window.end,
                    vectors={space: window.embedding},
                )
                for window in windows
            )
            drafts.extend(tags.push((w.start, w.end, w.tags) for w in windows))
        drafts.extend(
            Item(
                ItemKind.TRANSCRIPT,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                language=seg.language,
            )
            for seg in segments
            if seg.text.strip()
        )
        return drafts

    def _streamed_video_parts(self, source: StreamedVideo) -> Iterator[list[Item]]:
        """A long video's sound, then its frames, decoded and embedded a piece at a time,
        each piece's drafts as they are made; a video that breaks part way keeps what decoded,
        as a held one does."""
        if source.sound is not None:
            yield from self._streamed_sound_parts(source.sound)
        if source.side <= 0:
            return
        settings = self.settings
        tags = TagRuns()
        texts: dict[int, TextRuns] = {0: TextRuns()}
        every = video.keyframes(
            source.path, settings.frame_interval, settings.max_frames, min_side=source.side
        )
        piece: list[tuple[float, Image.Image]] = []
        with _read_errors(source.path):
            try:
                for frame in _frames_between(every, source):
                    piece.append(frame)
                    if len(piece) == FRAMES_PER_PIECE:
                        yield self._frame_drafts(piece, tags, texts)
                        piece = []
            except video.TruncatedVideoError as error:
                log.warning("%s; the frames before it are indexed", error)
        yield self._frame_drafts(piece, tags, texts) + tags.close() + texts[0].close()

    def _frame_drafts(
        self,
        frames: Sequence[tuple[float, Image.Image]],
        tags: TagRuns,
        texts: dict[int, TextRuns],
    ) -> list[Item]:
        """The drafts of these frames of a streamed video, with the tag and text runs they
        end (``texts[0]`` is the video's open text runs)."""
        drafts: list[Item] = []
        spans: dict[int, list[Span]] = {}
        batch = _Batch()
        if self.sees:
            batch.images = [image for _, image in frames]
            batch.image_owner = [(0, ItemKind.FRAME, seconds) for seconds, _ in frames]
        self._embed_images(batch, [drafts], spans)
        if self.reads:
            self._read_texts([(0, seconds, image) for seconds, image in frames], [drafts], texts)
        return drafts + tags.push(spans.get(0, []))

    def text_spaces(self) -> list[SpaceBuild]:
        """The text spaces this pack makes, each with the build of its model."""
        return [
            SpaceBuild(entry.id, entry.embedding_dim, entry.build)
            for entry in self.models.text_entries()
        ]

    def embed_stored(self, space: str, items: Sequence[Item]) -> NDArray[np.float32]:
        """Vectors (n, dim) in text space ``space`` of stored items (their kind and text), made
        as indexing makes them: a tag's label with its space's hub direction taken out."""
        encoder = next(encoder for encoder in self.texts if encoder.entry.id == space)
        drafts = [list(items)]
        self._embed_texts(drafts, [encoder])
        return np.stack([item.vectors[space] for item in drafts[0]])

    def _embed_texts(
        self, drafts: list[list[Item]], encoders: Sequence[TextEncoder] | None = None
    ) -> None:
        """Give every item with text a vector in every text space (or those of ``encoders``),
        in place in ``drafts``: text-model calls for the whole batch, :data:`TEXTS_PER_CALL` at
        a time; tag labels are embedded once per run and space and remembered, since a
        classifier has only so many."""
        places = [
            (items, at)
            for items in drafts
            for at, item in enumerate(items)
            if item.text and item.kind is not ItemKind.SHOWS  # SHOWS has its vectors already
        ]
        tags = [(items, at) for items, at in places if items[at].kind is ItemKind.TAG]
        others = [(items, at) for items, at in places if items[at].kind is not ItemKind.TAG]
        for encoder in self.texts if encoders is None else encoders:
            space = encoder.entry.id
            known = self._label_vectors.setdefault(space, {})
            labels = sorted({items[at].text or "" for items, at in tags} - set(known))
            texts = labels + [items[at].text or "" for items, at in others]
            vectors = np.zeros((len(texts), encoder.dim), np.float32)
            for start in range(0, len(texts), TEXTS_PER_CALL):
                part = texts[start : start + TEXTS_PER_CALL]
                vectors[start : start + len(part)] = encoder.encode(part, kind="document")
            known.update(zip(labels, self._unhubbed(space, vectors[: len(labels)]), strict=True))
            for (items, at), vector in zip(others, vectors[len(labels) :], strict=True):
                items[at] = with_vector(items[at], space, vector)
            for items, at in tags:
                items[at] = with_vector(items[at], space, known[items[at].text or ""])


class TagRuns:
    """One TAG item per run of consecutive windows (or frames) that share a label, spanning
    them, with the best probability of the run: a dog barking for a minute is one hit, not
    twenty. Spans are pushed in time order, each with the tags already past the floor;
    :meth:`push` gives the runs that the spans so far ended, :meth:`close` those still open.
    A streamed file pushes each piece's spans: a run open at the piece's end is held over to
    the next, so it is one item, not one per piece."""

    def __init__(self) -> None:
        self._open: dict[str, Item] = {}

    def push(self, spans: Iterable[Span]) -> list[Item]:
        done: list[Item] = []
        for start, end, tags in spans:
            heard = dict(tags)
            for label in [label for label in self._open if label not in heard]:
                done.append(self._open.pop(label))
            for label, probability in heard.items():
                run = self._open.get(label)
                if run is None:
                    run = Item(ItemKind.TAG, start=start, end=end, text=label, score=probability)
                else:
                    run = replace(
                        run, end=max(run.end or end, end), score=max(run.score or 0.0, probability)
                    )
                self._open[label] = run
        return _in_time_order(done)

    def close(self) -> list[Item]:
        done, self._open = list(self._open.values()), {}
        return _in_time_order(done)


class TextRuns:
    """One PICTURE_TEXT item per run of consecutive frames that show the same line, spanning
    them, with the box of its first frame and its surest reading: a slide shown for a minute is
    one line, not twelve. Frames are pushed in time order; :meth:`push` gives the runs the
    frames so far ended, :meth:`close` those still open."""

    def __init__(self) -> None:
        self._open: dict[str, Item] = {}

    def push(self, seconds: float, lines: Sequence[TextLine]) -> list[Item]:
        shown: dict[str, TextLine] = {}
        for line in lines:
            shown.setdefault(line.text, line)
        done = [self._open.pop(text) for text in [t for t in self._open if t not in shown]]
        for text, line in shown.items():
            run = self._open.get(text)
            if run is None:
                self._open[text] = replace(_line_item(line), start=seconds, end=seconds)
            else:
                score = max(run.score or 0.0, line.score)
                self._open[text] = replace(run, end=seconds, score=score)
        return _in_time_order(done)

    def close(self) -> list[Item]:
        done, self._open = list(self._open.values()), {}
        return _in_time_order(done)


def _line_item(line: TextLine) -> Item:
    return Item(ItemKind.PICTURE_TEXT, text=line.text, score=line.score, box=line.box)


def merged_tags(spans: Iterable[Span]) -> list[Item]:
    """The tag runs of a whole file's spans (see :class:`TagRuns`)."""
    runs = TagRuns()
    return _in_time_order(runs.push(spans) + runs.close())


def _in_time_order(tags: list[Item]) -> list[Item]:
    return sorted(tags, key=lambda item: (item.start or 0.0, -(item.score or 0.0)))


def _whole(parts: Iterable[list[Item]]) -> list[Item]:
    """The items of a held recording's parts as one list: windows, tags, transcripts, each in
    time order (tags of a time best first)."""
    order = {ItemKind.AUDIO_WINDOW: 0, ItemKind.TAG: 1, ItemKind.TRANSCRIPT: 2}
    return sorted(
        (item for part in parts for item in part),
        key=lambda item: (order[item.kind], item.start or 0.0, -(item.score or 0.0)),
    )


def _image_input(preprocessing: object) -> ImagePreprocessing:
    """What a seeing model's image input takes: its own preprocessing, or its image tower's."""
    if isinstance(preprocessing, ImageTextPreprocessing):
        return preprocessing.image
    assert isinstance(preprocessing, ImagePreprocessing)  # the manifest's task says so
    return preprocessing


# See ``Extractor._jpeg``: a 4:3 12 MP photo's half (1512 px) keeps 5.9 times 256.
JPEG_HALF_GAP = 5.5


def _shared_scaling(preprocessings: Sequence[ImagePreprocessing]) -> ImagePreprocessing | None:
    """The one resize every model that looks at photos applies first, if they share one (the
    same shorter side and filter; scaling twice would put every photo off what the models were
    trained on); ``None`` when they differ or a model squashes."""
    steps = {(pre.resize, pre.crop_from, pre.interpolation) for pre in preprocessings}
    if len(steps) != 1 or next(iter(steps))[0] is not Resize.CROP:
        return None
    return preprocessings[0]


def _shrink_side(preprocessings: Sequence[ImagePreprocessing]) -> int:
    """The shorter side a photo may be scaled down to before every model's own resize; 0 when
    a model squashes (its resize depends on the original shape, so nothing is done early)."""
    if not preprocessings or any(pre.resize is not Resize.CROP for pre in preprocessings):
        return 0
    return max(pre.crop_from for pre in preprocessings)


# A stand-in for a photo that no model looks at, so it is neither decoded nor held.
_NO_IMAGE = Image.new("RGB", (1, 1))


def _between(pieces: Iterable[NDArray[np.float32]], sound: StreamedSound) -> Iterator[Vector]:
    """The samples of ``pieces`` from ``sound.start`` to ``sound.end``; the rest is not read."""
    first = round(sound.start * sound.sample_rate)
    last = None if sound.end is None else round(sound.end * sound.sample_rate)
    at = 0  # the sample where the piece in hand starts
    for piece in pieces:
        if last is not None and at >= last:
            return
        part = piece[max(0, first - at) : None if last is None else max(0, last - at)]
        at += len(piece)
        if len(part):
            yield part


def _until_broken(pieces: Iterable[Vector]) -> Iterator[Vector]:
    """``pieces`` up to a break in the file (logged: what decoded before it is kept); a file
    broken before any sound decoded raises, as a held one does."""
    decoded = 0
    try:
        for piece in pieces:
            decoded += len(piece)
            yield piece
    except TruncatedAudioError as error:
        if decoded == 0:
            raise
        log.warning("%s; the %.0f s before it are indexed", error, error.decoded_seconds)


def _frames_between(
    frames: Iterator[tuple[float, Image.Image]], source: StreamedVideo
) -> Iterator[tuple[float, Image.Image]]:
    for seconds, image in frames:
        if source.end is not None and seconds > source.end:
            return
        if seconds >= source.start:
            yield seconds, image


@contextmanager
def _read_errors(path: Path) -> Iterator[None]:
    """A file gone or unreadable between the scan and now is a :class:`MediaError` too."""
    try:
        yield
    except MediaError:
        raise
    except OSError as error:
        reason = error.strerror or str(error)
        raise MediaError(f"{shown(path)}: cannot read file: {reason}") from error


def decode_video(
    path: Path, settings: ExtractSettings, side: int, sound_rate: int | None
) -> DecodedVideo | StreamedVideo:
    """Keyframes every ``frame_interval`` seconds scaled to ``side`` (none when ``side`` is 0:
    no model looks) and the sound track at ``sound_rate`` (none when ``None``). A video longer
    than ``held_sound_seconds``, by its header or by what decodes, or with frames past
    ``held_frame_bytes``, is left to stream. A video that breaks part way keeps what decoded
    before the break."""
    info = video.probe_video(path)
    listened = sound_rate if info.has_audio else None
    streamed = StreamedVideo(path, side, StreamedSound(path, listened) if listened else None)
    if info.duration is not None and info.duration > settings.held_sound_seconds:
        return streamed
    frames: list[tuple[float, Image.Image]] = []
    if side > 0:
        held = 0
        try:
            for seconds, image in video.keyframes(
                path, settings.frame_interval, settings.max_frames, min_side=side
            ):
                frames.append((seconds, image))
                held += _image_bytes(image)
                if held > settings.held_frame_bytes:
                    return streamed
        except video.TruncatedVideoError:
            if not frames:
                raise
    sound = None
    if listened is not None:
        try:
            decoded = load_audio(path, listened, max_seconds=settings.held_sound_seconds)
        except LongAudioError:
            return streamed
        sound = DecodedSound(decoded.samples, decoded.sample_rate)
    if not frames and sound is None and (side > 0 or sound_rate is not None):
        raise MediaError(f"{shown(path)}: no picture or sound could be decoded")
    return DecodedVideo(frames, sound)

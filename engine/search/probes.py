"""Query parts -> probes: one vector per model space that can answer the part.

A text part probes every text space (each holds tags, transcripts and note chunks: an English
one and a multilingual one, say) and, where the pack has an image-text model, the image-text
space through its text tower. An example file is
decoded and embedded by the very :class:`~engine.scan.extract.Extractor` that indexes files, so
a query photo, recording, video or note is seen exactly as indexed ones were: its vectors are
averaged per space (frames of a video, windows of a recording, chunks of a note), and a
recording's transcript becomes a text probe for transcripts and notes.

An example the catalog has indexed, unchanged on disk since (its size and mtime as recorded),
needs no encoder: the same averages are taken of its stored vectors (:class:`StoredExamples`),
those of the items in the example's time range. Where the stored vectors are not in the spaces
the pack's models make for such items (the pack changed since), the extractor runs.

An example is a file a person pointed at, so it gets the cheap checks first: a regular file, not
empty, and first bytes that agree with its kind (its suffix's, or for a name without a known
suffix, the one its bytes show), before any decoder reads it. Of a recording or video, at most
:data:`MAX_EXAMPLE_SECONDS` are heard and seen, from the start of its time range, whether it is
embedded again or read from the catalog. Every refusal is an :class:`ExampleError` naming the
file.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import (
    FileKind,
    FileRecord,
    FileStatus,
    Item,
    ItemKind,
    ItemRow,
)
from engine.catalog.words import fold
from engine.errors import QueryError, QueryProblem
from engine.inference.models import ModelSet
from engine.inference.tagnames import tags_named
from engine.inference.vectors import l2_normalize
from engine.media import kinds
from engine.media.errors import MediaError
from engine.media.kinds import shown
from engine.scan.extract import (
    Decoded,
    DecodedSound,
    DecodedVideo,
    Extractor,
    ExtractSettings,
    StreamedSound,
    StreamedVideo,
)
from engine.search.query import ExamplePart
from engine.search.results import ROUTE_OF_ITEM, Route
from models.manifest import Task

KindOf = Callable[[Path], FileKind | None]
Modality = str  # "text" | "image" | "audio": what the query vector was made from
# The mean of an hour of windows is like nothing in particular, and embedding it would cost what
# indexing it does: an example is heard and seen for this long at most.
MAX_EXAMPLE_SECONDS = 30.0
Vector = NDArray[np.float32]
# A vector as probes are made of it: its space, the kind of item it stands for, its values.
SpaceVector = tuple[str, ItemKind, Vector]


class ExampleError(QueryError):
    """An example file that cannot serve as a query: ``path``, and a message that names the
    file and says why (a person's mistake, not the engine's: the command line exits 2)."""

    path: Path

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message, path=path, problem=QueryProblem.UNUSABLE_EXAMPLE)


@dataclass(frozen=True)
class Probe:
    """One vector sent to one space; only items whose route is in ``routes`` count."""

    space: str
    vector: NDArray[np.float32]
    modality: Modality
    routes: frozenset[Route]
    asked: str | None = None  # the query text it was made from, for the reasons
    example: Path | None = None  # or the example file


@dataclass(frozen=True)
class Probes:
    probes: list[Probe]
    notes: list[str]


class ProbeMaker(Protocol):
    def for_text(self, text: str) -> Probes: ...

    def for_example(self, part: ExamplePart) -> Probes: ...


class StoredExamples(Protocol):
    """What the catalog knows of an example that is indexed (:class:`Catalog` is one)."""

    def file_at(self, path: Path) -> FileRecord | None: ...

    def items_of_file(self, file_id: int, with_vectors: bool = False) -> list[ItemRow]: ...


TEXT_ROUTES = frozenset({Route.TAG, Route.SHOWS, Route.TRANSCRIPT, Route.NOTE, Route.PICTURE_TEXT})
# Items whose text-space vector stands for words about the file (its labels, what it shows, the
# words read in it), not for the file as an example.
WORDS = frozenset({ItemKind.TAG, ItemKind.SHOWS, ItemKind.PICTURE_TEXT})
PASSAGE_ROUTES = frozenset({Route.TRANSCRIPT, Route.NOTE})
VISUAL = frozenset({Route.VISUAL})
SOUND = frozenset({Route.SOUND})


class ModelProbes:
    """Probes from the encoders of a pack (see module docstring)."""

    def __init__(
        self,
        models: ModelSet,
        kind_of: KindOf | None = None,
        extractor: Extractor | None = None,
        catalog: StoredExamples | None = None,
    ) -> None:
        self.models = models
        # A text that is a tag's name in another language also probes with the tag's English
        # name (off: measured without, tests/benchmarks/tag_languages.py and quality.py).
        self.by_tag_names = True
        self.kind_of = kind_of or kinds.kind_of
        self._extractor = extractor
        self.catalog = catalog

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            # Words about an example (what it shows, words read in it) make no probe: not made.
            self._extractor = Extractor(self.models, ExtractSettings(read_text=False, shows=False))
        return self._extractor

    @cached_property
    def _tag_names(self) -> dict[str, list[str]]:
        """The pack's tag names in other languages, folded, with their English tag names."""
        found: dict[str, list[str]] = {}
        for name, english in tags_named(self.models.manifest).items():
            found.setdefault(fold(name), []).extend(english)
        return found

    def for_text(self, text: str) -> Probes:
        """Probes of ``text`` in every text space; where the text names a tag in another
        language ("大象", "un plátano", "一只企鹅。"), also of the tag's English name, for every
        text route: the pack's tag names are a glossary for short words, which the multilingual
        space matches poorly across languages (EVALUATION.md, "Tags asked in Chinese and
        Spanish" and "Text spaces: which one wins where")."""
        english = self._english_names(text) if self.by_tag_names else []
        probes = [
            Probe(encoder.entry.id, vector, "text", TEXT_ROUTES, asked=text)
            for encoder in self.models.text_encoders()
            for vector in encoder.encode([text, *english], "query")
        ]
        notes = []
        image_text = self.models.image_text()
        if image_text is not None:
            vector = image_text.encode_texts([text])[0]
            probes.append(Probe(image_text.entry.id, vector, "text", VISUAL, asked=text))
        else:
            notes.append(
                "the pack has no image-text model: text finds photos and video frames "
                "through their ImageNet tags only"
            )
        return Probes(probes, notes)

    def _english_names(self, text: str) -> list[str]:
        """The English names of the tags ``text`` names in another language, the text taken
        without its punctuation and a leading article or counted "one" ("un", "一只")."""
        asked = fold(_bare_name(text))
        return [tag for tag in self._tag_names.get(asked, []) if fold(tag) != asked]

    def for_example(self, part: ExamplePart) -> Probes:
        stored = self._stored_probes(part)
        return stored if stored is not None else self._extracted_probes(part)

    def _stored_probes(self, part: ExamplePart) -> Probes | None:
        """Probes from the example's stored vectors; None when the catalog has none that stand
        for it (not indexed, changed on disk since, or embedded by another pack)."""
        if self.catalog is None:
            return None
        record = _indexed(self.catalog, part.path)
        if record is None:
            return None
        stored = self.catalog.items_of_file(record.id, with_vectors=True)
        stored = [row for row in stored if row.vectors]  # a segment too short to embed has none
        if not self._made_by_this_pack(stored):
            return None
        # A tag's vector is a word, not the example.
        items: list[Item] = [row for row in stored if row.kind not in WORDS]
        notes: list[str] = []
        if record.kind in (FileKind.AUDIO, FileKind.VIDEO):
            items, notes = _stored_part(items, part)
        elif part.start is not None:
            notes.append(_range_ignored_note(part.path, record.kind))
        return Probes(_probes_or_refusal(_item_vectors(items), part, record.kind), notes)

    def _made_by_this_pack(self, stored: Iterable[Item]) -> bool:
        """Whether each stored item has a vector in exactly the spaces the pack's models make
        for its kind: after a change of pack (another model, or one more) it has not."""
        spaces = self._spaces_by_kind()
        return all(set(item.vectors) == spaces[item.kind] for item in stored)

    def _spaces_by_kind(self) -> dict[ItemKind, set[str]]:
        """The spaces the extractor puts each kind of item in, with this pack (see there)."""
        tasks = (Task.IMAGE, Task.IMAGE_TEXT, Task.AUDIO)
        ids = {task: entry.id for task in tasks if (entry := self.models.entry(task)) is not None}
        text = {entry.id for entry in self.models.text_entries()}
        visual = {ids[task] for task in (Task.IMAGE, Task.IMAGE_TEXT) if task in ids}
        sound = {ids[Task.AUDIO]} if Task.AUDIO in ids else set()
        return {
            ItemKind.PHOTO: visual,
            ItemKind.FRAME: visual,
            ItemKind.AUDIO_WINDOW: sound,
            ItemKind.TRANSCRIPT: text,
            ItemKind.TEXT_CHUNK: text,
            ItemKind.TAG: text,
            ItemKind.PICTURE_TEXT: text,
            ItemKind.SHOWS: text,
        }

    def _extracted_probes(self, part: ExamplePart) -> Probes:
        """Probes from the example decoded and embedded again, as indexing would."""
        path = part.path
        kind = self._kind(path)
        notes: list[str] = []
        try:
            decoded = self.extractor.decode(path, kind)
        except MediaError as error:  # its message names the file already
            raise ExampleError(path, str(error)) from error
        if isinstance(decoded, DecodedSound | DecodedVideo):
            start, end, notes = _example_span(part, _duration(decoded))
            if (start, end) != (0.0, None):  # the whole: as it is
                decoded = _narrow(decoded, path, start, end)
        elif isinstance(decoded, StreamedSound | StreamedVideo):
            start, end, notes = _example_span(part, None)  # only the part is decoded, later
            decoded = decoded.between(start, end)
        elif part.start is not None:
            notes.append(_range_ignored_note(path, kind))
        items = self.extractor.embed([decoded])[0]
        return Probes(_probes_or_refusal(_item_vectors(items), part, kind), notes)

    def _kind(self, path: Path) -> FileKind:
        """The example's kind, once a stat and its first bytes agree (see module docstring)."""
        named = self.kind_of(path)
        try:
            if named is not None:
                kinds.check_content(path)
                return named
            head = kinds.read_head(path)
        except MediaError as error:
            raise ExampleError(path, str(error)) from error
        found = kinds.sniff(head)
        if found is None:
            raise ExampleError(
                path,
                f"{shown(path)}: not a photo, recording, video or note Trove reads: "
                f"the file holds {kinds.describe(head)}",
            )
        return found.kind


# What comes before a name without being part of it: an article, or "one" with its measure word.
_LEADING = re.compile(
    r"^(?:(?:un|una|uno|el|la|los|las|une|des|le|les|ein|eine|einen|der|die|das)\s+|l['’]\s*"
    r"|一[只个头条匹棵朵辆张本位把块颗])",
    re.IGNORECASE,
)


def _bare_name(text: str) -> str:
    """``text`` without the punctuation around it and a leading article: "¡Un perro!" ->
    "perro", "一只企鹅。" -> "企鹅"."""

    def punctuation(char: str) -> bool:
        return unicodedata.category(char).startswith("P") or char.isspace()

    start, end = 0, len(text)
    while start < end and punctuation(text[start]):
        start += 1
    while end > start and punctuation(text[end - 1]):
        end -= 1
    return _LEADING.sub("", text[start:end], count=1)


def _indexed(catalog: StoredExamples, path: Path) -> FileRecord | None:
    """The catalog's record of ``path`` when it is indexed and unchanged on disk since (its
    size and mtime as recorded): a file changed since is embedded again."""
    record = catalog.file_at(path)
    if record is None or record.status is not FileStatus.INDEXED:
        return None
    try:
        info = path.stat()
    except OSError:
        return None  # gone or locked since: the extractor's checks say so by name
    if (info.st_size, info.st_mtime_ns) != (record.size, record.mtime_ns):
        return None
    return record


def probes_from_items(items: Iterable[Item], example: Path) -> Iterator[Probe]:
    """The probes of an example's items (see :func:`probes_from_vectors`)."""
    return probes_from_vectors(_item_vectors(items), example)


def probes_from_vectors(vectors: Iterable[SpaceVector], example: Path) -> Iterator[Probe]:
    """The mean vector per (space, route) of an example's items, as probes: frames and photos
    look for pictures, sound windows for sounds, transcripts and note chunks for passages.
    Tags are left out: a label's vector is a word, not the example; so are words read in a
    picture, which say what it shows, not what it is like."""
    groups: dict[tuple[str, Route], list[Vector]] = {}
    for space, kind, vector in vectors:
        if kind not in WORDS:
            groups.setdefault((space, ROUTE_OF_ITEM[kind]), []).append(vector)
    for (space, route), found in sorted(groups.items()):
        mean = l2_normalize(np.mean(found, axis=0)[None])[0]
        if route is Route.VISUAL:
            yield Probe(space, mean, "image", VISUAL, example=example)
        elif route is Route.SOUND:
            yield Probe(space, mean, "audio", SOUND, example=example)
        else:
            yield Probe(space, mean, "text", PASSAGE_ROUTES, example=example)


def _item_vectors(items: Iterable[Item]) -> Iterator[SpaceVector]:
    for item in items:
        for space, vector in item.vectors.items():
            yield space, item.kind, vector


def _probes_or_refusal(
    vectors: Iterable[SpaceVector], part: ExamplePart, kind: FileKind
) -> list[Probe]:
    probes = list(probes_from_vectors(vectors, part.path))
    if not probes:
        raise ExampleError(
            part.path,
            f"{shown(part.path)}: the pack has no model that can compare this {kind.value}"
            + (" in that time range" if part.start is not None else ""),
        )
    return probes


def _example_span(
    part: ExamplePart, duration: float | None
) -> tuple[float, float | None, list[str]]:
    """The seconds of a recording or video that are the example, ``(start, end)`` (``end``
    None: to its end): the part's time range, cut to :data:`MAX_EXAMPLE_SECONDS` from its
    start, with a note when the cut took something away. ``duration`` None: not known (a
    recording too long to hold), so an open range is always cut."""
    start = part.start or 0.0
    limit = start + MAX_EXAMPLE_SECONDS
    if part.end is not None and part.end <= limit:
        return start, part.end, []
    if part.end is None and duration is not None and duration <= limit:
        return start, None, []
    return start, limit, [_cut_note(part.path, start, limit)]


# Of the items of a time range, a picture and a sound are always there: the extractor cuts a
# frame and a window from any part of a file, however short.
_ALWAYS_SEEN_OR_HEARD = (ItemKind.FRAME, ItemKind.AUDIO_WINDOW)


def _stored_part(items: list[Item], part: ExamplePart) -> tuple[list[Item], list[str]]:
    """The stored items in the example's part of a recording or video, and the notes of
    :func:`_example_span`; the extractor's rules, applied to what was indexed."""
    timed = [item for item in items if item.start is not None]
    length = max((_end(item) for item in timed), default=0.0)  # what was indexed of it
    start, end, notes = _example_span(part, length)
    if timed and start >= length:
        raise ExampleError(part.path, _past_the_end(part.path, start, end))
    chosen = [item for item in items if _lies_in(item, start, end)]
    middle = start if end is None else (start + end) / 2
    for kind in _ALWAYS_SEEN_OR_HEARD:
        of_kind = [item for item in timed if item.kind is kind]
        if of_kind and not any(item.kind is kind for item in chosen):
            chosen.append(min(of_kind, key=lambda item: abs(_middle(item) - middle)))
    return chosen, notes


def _lies_in(item: Item, start: float, end: float | None) -> bool:
    """Whether an item is part of ``start``..``end`` seconds: an untimed one always, an instant
    (a frame) within it, a span when more than half of it lies inside (or, longer than the
    range, more than half the range): the windows cut from the part would be mostly its sound,
    while a window that merely touches the range would not be among them."""
    if item.start is None:
        return True
    stop = math.inf if end is None else end
    first, last = item.start, _end(item)
    if last <= first:
        return start <= first <= stop
    inside = min(last, stop) - max(first, start)
    return 2 * inside > min(last - first, stop - start)


def _end(item: Item) -> float:
    return item.end if item.end is not None else item.start or 0.0


def _middle(item: Item) -> float:
    return ((item.start or 0.0) + _end(item)) / 2


def _past_the_end(path: Path, start: float, end: float | None) -> str:
    span = f"{start:g}-{'' if end is None else f'{end:g}'}"
    return f"{shown(path)}: the time range {span} s lies past the end of the recording"


def _range_ignored_note(path: Path, kind: FileKind) -> str:
    return f"{shown(path)} is a {kind.value}: its time range is ignored"


def _cut_note(path: Path, start: float, end: float) -> str:
    return (
        f"{shown(path)}: only {start:g}-{end:g} s of it is the example "
        f"(at most {MAX_EXAMPLE_SECONDS:g} s; a time range picks another part)"
    )


def _duration(decoded: DecodedSound | DecodedVideo) -> float:
    """Seconds of what was decoded (0 for a sound no model listens to, so nothing decoded)."""
    if isinstance(decoded, DecodedSound):
        return decoded.samples.size / decoded.sample_rate
    last_frame = decoded.frames[-1][0] if decoded.frames else 0.0
    return max(last_frame, _duration(decoded.sound) if decoded.sound is not None else 0.0)


def _narrow(decoded: Decoded, path: Path, start: float, end: float | None) -> Decoded:
    """The part of a recording or video from ``start`` to ``end`` seconds."""
    if isinstance(decoded, DecodedSound):
        return _narrow_sound(decoded, path, start, end)
    if isinstance(decoded, DecodedVideo):
        stop = float("inf") if end is None else end
        frames = [(t, frame) for t, frame in decoded.frames if start <= t <= stop]
        if not frames and decoded.frames:  # a short range between two frames: the nearest one
            middle = start if end is None else (start + end) / 2
            frames = [min(decoded.frames, key=lambda frame: abs(frame[0] - middle))]
        sound = decoded.sound
        if sound is not None:
            sound = _narrow_sound(sound, path, start, end)
        return DecodedVideo(frames, sound)
    return decoded


def _narrow_sound(sound: DecodedSound, path: Path, start: float, end: float | None) -> DecodedSound:
    if sound.samples.size == 0:  # no model listens: nothing was decoded
        return sound
    rate = sound.sample_rate
    last = None if end is None else round(end * rate)
    samples = sound.samples[round(start * rate) : last]
    if samples.size == 0:
        raise ExampleError(path, _past_the_end(path, start, end))
    return replace(sound, samples=samples)


class RememberedProbes:
    """Probes made once per query part however many libraries one search asks (each library
    has its own planner): an example is embedded once, not once per library."""

    def __init__(self, maker: ProbeMaker) -> None:
        self.maker = maker
        self._texts: dict[str, Probes] = {}
        self._examples: dict[ExamplePart, Probes] = {}

    def for_text(self, text: str) -> Probes:
        if text not in self._texts:
            self._texts[text] = self.maker.for_text(text)
        return self._texts[text]

    def for_example(self, part: ExamplePart) -> Probes:
        if part not in self._examples:
            self._examples[part] = self.maker.for_example(part)
        return self._examples[part]

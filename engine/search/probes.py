"""Query parts -> probes: one vector per model space that can answer the part.

A text part probes the text space (which holds tags, transcripts and note chunks) and, where the
pack has an image-text model, the image-text space through its text tower. An example file is
decoded and embedded by the very :class:`~engine.scan.extract.Extractor` that indexes files, so
a query photo, recording, video or note is seen exactly as indexed ones were: its vectors are
averaged per space (frames of a video, windows of a recording, chunks of a note), and a
recording's transcript becomes a text probe for transcripts and notes.

An example is a file a person pointed at, so it gets the cheap checks first: a regular file, not
empty, and first bytes that agree with its kind (its suffix's, or for a name without a known
suffix, the one its bytes show), before any decoder reads it. Of a recording or video, at most
:data:`MAX_EXAMPLE_SECONDS` are heard and seen, from the start of its time range. Every refusal is
an :class:`ExampleError` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import FileKind, ItemKind, NewItem
from engine.inference.models import ModelSet
from engine.inference.vectors import l2_normalize
from engine.media import kinds
from engine.media.errors import MediaError
from engine.media.kinds import shown
from engine.scan.extract import (
    Decoded,
    DecodedSound,
    DecodedVideo,
    Extractor,
    StreamedSound,
    StreamedVideo,
)
from engine.search.query import ExamplePart
from engine.search.results import ROUTE_OF_ITEM, Route

KindOf = Callable[[Path], FileKind | None]
Modality = str  # "text" | "image" | "audio": what the query vector was made from
# The mean of an hour of windows is like nothing in particular, and embedding it would cost what
# indexing it does: an example is heard and seen for this long at most.
MAX_EXAMPLE_SECONDS = 30.0


class ExampleError(ValueError):
    """An example file that cannot serve as a query: ``path``, and a message that names the
    file and says why (a person's mistake, not the engine's: the command line exits 2)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Probe:
    """One vector sent to one space; only items whose route is in ``routes`` count."""

    space: str
    vector: NDArray[np.float32]
    modality: Modality
    routes: frozenset[Route]
    label: str  # what the user asked, for the reasons: '"cat"' or 'dog.ogg'


@dataclass(frozen=True)
class Probes:
    probes: list[Probe]
    notes: list[str]


class ProbeMaker(Protocol):
    def for_text(self, text: str) -> Probes: ...

    def for_example(self, part: ExamplePart) -> Probes: ...


TEXT_ROUTES = frozenset({Route.TAG, Route.TRANSCRIPT, Route.NOTE})
PASSAGE_ROUTES = frozenset({Route.TRANSCRIPT, Route.NOTE})
VISUAL = frozenset({Route.VISUAL})
SOUND = frozenset({Route.SOUND})


class ModelProbes:
    """Probes from the encoders of a pack (see module docstring)."""

    def __init__(
        self, models: ModelSet, kind_of: KindOf | None = None, extractor: Extractor | None = None
    ) -> None:
        self.models = models
        self.kind_of = kind_of or kinds.kind_of
        self._extractor = extractor

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = Extractor(self.models)
        return self._extractor

    def for_text(self, text: str) -> Probes:
        encoder = self.models.text()
        label = f'"{text}"'
        probes = [
            Probe(encoder.entry.id, encoder.encode([text], "query")[0], "text", TEXT_ROUTES, label)
        ]
        notes = []
        image_text = self.models.image_text()
        if image_text is not None:
            vector = image_text.encode_texts([text])[0]
            probes.append(Probe(image_text.entry.id, vector, "text", VISUAL, label))
        else:
            notes.append(
                "the pack has no image-text model: text finds photos and video frames "
                "through their ImageNet tags only"
            )
        return Probes(probes, notes)

    def for_example(self, part: ExamplePart) -> Probes:
        path = part.path
        kind = self._kind(path)
        notes = []
        try:
            decoded = self.extractor.decode(path, kind)
        except MediaError as error:  # its message names the file already
            raise ExampleError(path, str(error)) from error
        if isinstance(decoded, DecodedSound | DecodedVideo):
            decoded, cut = _bounded(decoded, part)
            notes += cut
        elif isinstance(decoded, StreamedSound | StreamedVideo):
            decoded, cut = _bounded_stream(decoded, part)
            notes += cut
        elif part.start is not None and kind in (FileKind.PHOTO, FileKind.NOTE):
            notes.append(f"{shown(path)} is a {kind.value}: its time range is ignored")
        items = self.extractor.embed([decoded])[0]
        probes = list(probes_from_items(items, path.name))
        if not probes:
            raise ExampleError(
                path,
                f"{shown(path)}: the pack has no model that can compare this {kind.value}"
                + (" in that time range" if part.start is not None else ""),
            )
        return Probes(probes, notes)

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


def probes_from_items(items: Iterable[NewItem], label: str) -> Iterable[Probe]:
    """The mean vector per (space, route) of an example's items, as probes: frames and photos
    look for pictures, sound windows for sounds, transcripts and note chunks for passages."""
    groups: dict[tuple[str, Route], list[NDArray[np.float32]]] = {}
    for item in items:
        if item.kind is ItemKind.TAG:
            continue  # its label vector is a word, not the example
        route = ROUTE_OF_ITEM[item.kind]
        for space, vector in item.vectors.items():
            groups.setdefault((space, route), []).append(vector)
    for (space, route), vectors in sorted(groups.items()):
        mean = l2_normalize(np.mean(vectors, axis=0)[None])[0]
        if route is Route.VISUAL:
            yield Probe(space, mean, "image", VISUAL, label)
        elif route is Route.SOUND:
            yield Probe(space, mean, "audio", SOUND, label)
        else:
            yield Probe(space, mean, "text", PASSAGE_ROUTES, label)


def _bounded(decoded: DecodedSound | DecodedVideo, part: ExamplePart) -> tuple[Decoded, list[str]]:
    """The example's time range of a recording or video, cut to :data:`MAX_EXAMPLE_SECONDS`,
    and a note when the cut took something away."""
    start = part.start or 0.0
    end = start + MAX_EXAMPLE_SECONDS
    if part.end is not None and part.end < end:
        end = part.end
    wanted = part.end if part.end is not None else _duration(decoded)
    if wanted <= end:
        if part.start is None and part.end is None:  # the whole of a short one: as it is
            return decoded, []
        return _narrow(decoded, part.path, start, part.end), []
    return _narrow(decoded, part.path, start, end), [_cut_note(part.path, start, end)]


def _bounded_stream(
    decoded: StreamedSound | StreamedVideo, part: ExamplePart
) -> tuple[Decoded, list[str]]:
    """As :func:`_bounded`, for a recording or video too long to be held (over ten minutes):
    only the part is decoded, when it is embedded."""
    start = part.start or 0.0
    end = start + MAX_EXAMPLE_SECONDS
    if part.end is not None and part.end <= end:
        return decoded.between(start, part.end), []
    return decoded.between(start, end), [_cut_note(part.path, start, end)]


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
        span = f"{start:g}-{'' if end is None else f'{end:g}'}"
        message = f"{shown(path)}: the time range {span} s lies past the end of the recording"
        raise ExampleError(path, message)
    return replace(sound, samples=samples)

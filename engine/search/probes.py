"""Query parts -> probes: one vector per model space that can answer the part.

A text part probes the text space (which holds tags, transcripts and note chunks) and, where the
pack has an image-text model, the image-text space through its text tower. An example file is
decoded and embedded by the very :class:`~engine.scan.extract.Extractor` that indexes files, so
a query photo, recording, video or note is seen exactly as indexed ones were: its vectors are
averaged per space (frames of a video, windows of a recording, chunks of a note), and a
recording's transcript becomes a text probe for transcripts and notes.
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
from engine.scan.extract import Decoded, DecodedSound, DecodedVideo, Extractor
from engine.search.query import ExamplePart
from engine.search.results import ROUTE_OF_ITEM, Route

KindOf = Callable[[Path], FileKind | None]
Modality = str  # "text" | "image" | "audio": what the query vector was made from


class ExampleError(ValueError):
    """An example file that cannot serve as a query; the message says why."""


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
        kind = self.kind_of(path)
        if kind is None:
            raise ExampleError(f"{path.name}: not a photo, recording, video or note Trove reads")
        notes = []
        try:
            decoded = self.extractor.decode(path, kind)
        except MediaError as error:
            raise ExampleError(f"{path.name}: {error}") from error
        if part.start is not None:
            if isinstance(decoded, DecodedSound | DecodedVideo):
                decoded = _narrow(decoded, part.start, part.end)
            else:
                notes.append(f"{path.name} is a {kind.value}: its time range is ignored")
        items = self.extractor.embed([decoded])[0]
        probes = list(probes_from_items(items, path.name))
        if not probes:
            raise ExampleError(
                f"{path.name}: the pack has no model that can compare this {kind.value}"
                + (" in that time range" if part.start is not None else "")
            )
        return Probes(probes, notes)


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


def _narrow(decoded: Decoded, start: float, end: float | None) -> Decoded:
    """The part of a recording or video from ``start`` to ``end`` seconds."""
    if isinstance(decoded, DecodedSound):
        return _narrow_sound(decoded, start, end)
    if isinstance(decoded, DecodedVideo):
        stop = float("inf") if end is None else end
        frames = [(t, frame) for t, frame in decoded.frames if start <= t <= stop]
        if not frames and decoded.frames:  # a short range between two frames: the nearest one
            middle = start if end is None else (start + end) / 2
            frames = [min(decoded.frames, key=lambda frame: abs(frame[0] - middle))]
        sound = _narrow_sound(decoded.sound, start, end) if decoded.sound is not None else None
        return DecodedVideo(frames, sound)
    return decoded


def _narrow_sound(sound: DecodedSound, start: float, end: float | None) -> DecodedSound:
    if sound.samples.size == 0:  # no model listens: nothing was decoded
        return sound
    rate = sound.sample_rate
    last = None if end is None else round(end * rate)
    samples = sound.samples[round(start * rate) : last]
    if samples.size == 0:
        span = f"{start:g}-{'' if end is None else f'{end:g}'}"
        raise ExampleError(f"the time range {span} s lies past the end of the recording")
    return replace(sound, samples=samples)

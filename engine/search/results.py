"""What a search answers: hits, one per file, each saying why it matched.

The JSON form (``trove search --json``) is a stable schema; fields are never renamed or removed,
new ones may be added::

    {
      "no_good_match": false,              # true: nothing passed its space's threshold
      "spaces_used": ["minilm-l6-v2", ...],  # model spaces that were searched
      "notes": ["..."],                    # routes the pack cannot serve, uncalibrated spaces
      "hits": [
        {
          "path": "/home/me/Pictures/cat.jpg",   # absolute path
          "kind": "photo",                       # photo | audio | video | note
          "score": 0.83,                         # 0..1, calibrated; >= 0.5 is a good match
          "start": 12.0, "end": 17.5,            # seconds of the best segment, or null
          "why": [                               # best evidence first
            {"route": "tag", "detail": "tag \\"tabby, tabby cat\\" 0.62",
             "start": null, "end": null}
          ]
        }
      ]
    }

``route`` is one of ``visual`` (looks like the query: an image space), ``tag`` (a classifier's
label), ``transcript`` (words spoken, with their seconds), ``note`` (an excerpt of a text file)
and ``sound`` (sounds like the example).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.catalog.records import ItemKind


class Route(StrEnum):
    VISUAL = "visual"
    TAG = "tag"
    TRANSCRIPT = "transcript"
    NOTE = "note"
    SOUND = "sound"


ROUTE_OF_ITEM: dict[ItemKind, Route] = {
    ItemKind.PHOTO: Route.VISUAL,
    ItemKind.FRAME: Route.VISUAL,
    ItemKind.TAG: Route.TAG,
    ItemKind.TRANSCRIPT: Route.TRANSCRIPT,
    ItemKind.TEXT_CHUNK: Route.NOTE,
    ItemKind.AUDIO_WINDOW: Route.SOUND,
}


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which route, what it found, where in the file, how strong."""

    route: Route
    detail: str
    start: float | None = None
    end: float | None = None
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "detail": self.detail,
            "start": _seconds(self.start),
            "end": _seconds(self.end),
        }


@dataclass(frozen=True)
class Hit:
    path: str
    kind: str
    score: float
    start: float | None = None
    end: float | None = None
    why: list[Reason] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "score": round(self.score, 4),
            "start": _seconds(self.start),
            "end": _seconds(self.end),
            "why": [reason.to_json() for reason in self.why],
        }


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    no_good_match: bool
    spaces_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "no_good_match": self.no_good_match,
            "spaces_used": list(self.spaces_used),
            "notes": list(self.notes),
            "hits": [hit.to_json() for hit in self.hits],
        }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)

"""Search results in English and as JSON: what ``trove search`` prints, with or without ``--json``.

The window words the same values in its own language (``desktop/results.py``); here is the one
place the command line's sentences are made.

The JSON form (``trove search --json``) only grows: a field is never renamed, removed or given
another meaning; ``schema`` is bumped when fields are added::

    {
      "schema": 4,                         # 1 had no such field; 3 added strength, weaker,
                                           # boxes; 4 added library
      "generation": 42,                    # the index's state the answer was read at
      "no_good_match": false,              # true: hits is empty, nothing passed its line
      "spaces_used": ["minilm-l6-v2", ...],  # model spaces that were searched
      "notes": ["..."],                    # routes the pack cannot serve, uncalibrated spaces
      "hits": [
        {
          "file_id": 7,                          # the catalog's id of the file
          "library": null,                       # a shared library's URI; null: this machine's
          "path": "/home/me/Pictures/cat.jpg",   # absolute path
          "kind": "photo",                       # photo | audio | video | note
          "score": 0.83,                         # 0..1, calibrated; >= 0.5 is a good match
          "strength": "strong",                  # strong (>= 0.8) | good | weak (< 0.5)
          "start": 12.0, "end": 17.5,            # seconds of the best segment, or null
          "why": [                               # best evidence first
            {"route": "tag", "detail": "tag \\"tabby, tabby cat\\" 0.62",
             "start": null, "end": null, "score": 0.83,
             "label": "tabby, tabby cat", "probability": 0.62,
             "excerpt": null, "matched": [], "asked": null, "example": null,
             "boxes": []}
          ]
        }
      ],
      "weaker": [...]                      # the best candidates below the line, as hits are
    }

``route`` is one of ``visual`` (looks like the query: an image space), ``tag`` (a classifier's
label), ``transcript`` (words spoken, with their seconds), ``note`` (an excerpt of a text file),
``sound`` (sounds like the example), ``picture-text`` (words read in a picture, ``excerpt``
the line, ``boxes`` where the query's words lie: each ``[x0, y0, x1, y1, x2, y2, x3, y3]``, the
corners clockwise from the top-left as fractions of the picture's width and height) and ``name``
(the file's name, or a folder's, holds the query's words: ``excerpt`` is its path under the
watched folder, ``matched`` those words).
``detail`` says the reason in one English sentence;
its parts are fields of their own: ``label`` and ``probability`` of a tag, ``excerpt`` of a
transcript or note with ``matched``, the ``[start, end)`` offsets (Unicode code points) of the
query's words in it, ``asked`` (the query text) or ``example`` (the example file) a file looks or
sounds like.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.inference.tagnames import IN_ENGLISH, TagNames
from engine.search.browse import Listed, Listing
from engine.search.duplicates import DuplicateGroup, Likeness
from engine.search.results import Hit, Reason, Route, SearchResult

SCHEMA = 4


def detail(reason: Reason, names: TagNames = IN_ENGLISH) -> str:
    """The reason in a few English words: ``tag "tabby cat" 0.62``, ``said "…"``; a tag's
    name as ``names`` give it (``trove search --language zh_CN``: ``tag "虎斑猫" 0.62``)."""
    if reason.route is Route.TAG:
        return f'tag "{names.name(reason.label or "")}" {reason.probability or 0.0:.2f}'
    if reason.route is Route.SHOWS:
        return f'shows "{", ".join(names.shown(reason.label or ""))}"'
    if reason.route is Route.TRANSCRIPT:
        return f'said "{reason.excerpt}"'
    if reason.route is Route.NOTE:
        return f'note: "{reason.excerpt}"'
    if reason.route is Route.PICTURE_TEXT:
        return f'reads "{reason.excerpt}"'
    if reason.route is Route.NAME:
        return f'name "{reason.excerpt}"'
    if reason.route not in (Route.VISUAL, Route.SOUND) and reason.excerpt is not None:
        return f'text: "{reason.excerpt}"'  # a kind of item with text: its words
    sound = reason.route is Route.SOUND
    if reason.asked is not None:
        return f'{"sounds" if sound else "looks"} like "{reason.asked}"'
    if reason.example is not None:
        return f"{'sounds' if sound else 'looks'} like {reason.example.name}"
    return "sounds similar" if sound else "looks similar"


def hit_line(rank: int, hit: Hit, reasons: int = 2, names: TagNames = IN_ENGLISH) -> str:
    """One hit as the command line lists it: rank, score, path, seconds, why."""
    when = f" @ {hit.start:.1f}-{hit.end:.1f} s" if hit.start is not None and hit.end else ""
    why = "; ".join(detail(reason, names) for reason in hit.reasons[:reasons])
    return f"{rank:3}. {hit.score:4.2f}  {hit.path}{when}  [{why}]"


def result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generation": result.generation,
        "no_good_match": result.no_good_match,
        "spaces_used": list(result.spaces_used),
        "notes": list(result.notes),
        "hits": [hit_json(hit) for hit in result.hits],
        "weaker": [hit_json(hit) for hit in result.weaker],
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "file_id": hit.file_id,
        "library": hit.library,
        "path": str(hit.path),
        "kind": hit.kind.value,
        "score": round(hit.score, 4),
        "strength": hit.strength.value,
        "start": _seconds(hit.start),
        "end": _seconds(hit.end),
        "why": [reason_json(reason) for reason in hit.reasons],
    }


def reason_json(reason: Reason) -> dict[str, Any]:
    return {
        "route": reason.route.value,
        "detail": detail(reason),
        "start": _seconds(reason.start),
        "end": _seconds(reason.end),
        "score": round(reason.score, 4),
        "label": reason.label,
        "probability": None if reason.probability is None else round(reason.probability, 4),
        "excerpt": reason.excerpt,
        "matched": [[span.start, span.end] for span in reason.matched],
        "asked": reason.asked,
        "example": None if reason.example is None else str(reason.example),
        "boxes": [list(box) for box in reason.boxes],
    }


def listed_line(rank: int, listed: Listed) -> str:
    """One listed file: rank, its date and time (local: when taken or recorded, else last
    modified, the date the listing goes by), kind, path."""
    when = datetime.fromtimestamp(listed.dated).strftime("%Y-%m-%d %H:%M")
    return f"{rank:3}. {when}  {listed.kind.value:5}  {listed.path}"


def listing_json(listing: Listing) -> dict[str, Any]:
    """``trove list --json``: ``files`` newest first from ``offset``, of ``total``; each with
    its catalog id, absolute path, kind, size in bytes, modification time and when it was taken
    or recorded (seconds since the epoch; ``taken`` null where the file does not say)."""
    return {
        "schema": SCHEMA,
        "generation": listing.generation,
        "total": listing.total,
        "offset": listing.offset,
        "files": [listed_json(listed) for listed in listing.files],
    }


def listed_json(listed: Listed) -> dict[str, Any]:
    """One file of a listing or a duplicate group."""
    return {
        "file_id": listed.file_id,
        "path": str(listed.path),
        "kind": listed.kind.value,
        "size": listed.size,
        "modified": round(listed.modified, 3),
        "taken": None if listed.taken is None else round(listed.taken, 3),
    }


_LIKENESS = {Likeness.EXACT: "exact copies", Likeness.NEAR: "look or sound the same"}


def group_lines(number: int, group: DuplicateGroup) -> list[str]:
    """One duplicate group: a heading with its kind and what it takes, then its files, the
    one to keep first."""
    kind = group.files[0].kind.value
    heading = (
        f"{number:3}. {len(group.files)} {kind} files, {_LIKENESS[group.likeness]}"
        f"{'' if group.likeness is Likeness.EXACT else f' (similarity {group.similarity:.3f})'}"
        f"; {_bytes(group.size)} beyond the first"
    )
    files = [
        f"     {'keep?' if at == 0 else '     '} {_bytes(listed.size):>9}  {listed.path}"
        for at, listed in enumerate(group.files)
    ]
    return [heading, *files]


def duplicates_json(groups: list[DuplicateGroup], generation: int) -> dict[str, Any]:
    """``trove duplicates --json``: ``groups``, the most space to free first; each with its
    ``likeness`` (exact: the same bytes; near: looks or sounds the same), the lowest
    ``similarity`` (cosine) that joined it (1.0 for exact copies), the bytes beyond its first
    file (``extra_bytes``) and its ``files`` as ``trove list --json`` has them, the largest
    (the one most worth keeping) first."""
    return {
        "schema": SCHEMA,
        "generation": generation,
        "groups": [
            {
                "likeness": group.likeness.value,
                "similarity": group.similarity,
                "extra_bytes": group.size,
                "files": [listed_json(listed) for listed in group.files],
            }
            for group in groups
        ],
    }


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)

"""The outbox of a Milvus library: what the catalog changed that Milvus has not yet been told.

The catalog stays the source of truth. While a library is the outbox's target, the triggers of
schema v9 and v11 note each ``(space, item)`` whose vector or file changed in the same transaction
as the change itself. Delivering reads a batch of notes together with each pair's state now (its
vector and the fields a hit is shown with, or nothing when it is gone), writes that to Milvus
(upsert or delete: both idempotent) and then deletes exactly the notes it read. So a crash
anywhere loses nothing (the notes are still there) and duplicates nothing (an upsert of the same
primary key replaces the row). A change noted while a batch is in flight gets a note with a
higher id, which that batch does not delete.

Functions here take a connection inside the caller's transaction; :class:`Catalog` wraps them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

_VECTOR_DTYPE = np.dtype("<f4")

# Everything a Milvus row holds, for a vector that exists; the item's id comes first.
_ROW_COLUMNS = (
    "v.item_id, s.name, v.vector, i.file_id, f.kind, i.kind, r.path, f.relpath, "
    "i.t_start, i.t_end, coalesce(f.taken_ns, f.mtime_ns), f.size, i.text, i.score, "
    "i.language, f.taken_ns, f.place_id"
)
_ROW_JOINS = (
    "JOIN items i ON i.id = v.item_id JOIN files f ON f.id = i.file_id "
    "JOIN roots r ON r.id = f.root_id"
)


@dataclass(frozen=True)
class VectorRow:
    """One vector with what a hit is shown with, so that a reader of a shared library needs no
    copy of the indexing machine's catalog. Paths are text (an undecodable byte of a name is
    shown as ``\\xNN``): they render a hit; the catalog keeps the exact name."""

    item_id: int
    space: str
    vector: NDArray[np.float32]
    file_id: int
    kind: str  # the file's kind (photo, audio, video, note): what the kind filter asks
    item_kind: str
    root: str
    relpath: str
    start: float | None
    end: float | None
    dated: int  # whole seconds since the epoch: when taken, else modified (what dates ask)
    size: int
    text: str
    score: float | None = None  # a tag's probability
    language: str | None = None  # a transcript's spoken language ("es")
    taken: int | None = None  # whole seconds since the epoch, when the file says it was taken
    place_id: int | None = None  # the town it was taken near


@dataclass(frozen=True)
class OutboxBatch:
    """Notes up to ``last_id``: rows to upsert, and ``(space, item_id)`` pairs to delete."""

    last_id: int
    upserts: list[VectorRow]
    deletes: list[tuple[str, int]]


def _name(blob: bytes) -> str:
    # As the catalog stores names (UTF-8 with lone surrogates passed through), shown readably.
    return bytes(blob).decode("utf-8", "surrogatepass").encode("utf-8", "backslashreplace").decode()


def _row(found: Sequence[Any]) -> VectorRow:
    (item_id, space, vector, file_id, kind, item_kind, root, relpath, start, end, dated_ns,
     size, text, score, language, taken_ns, place_id) = found  # fmt: skip
    return VectorRow(
        item_id=int(item_id),
        space=str(space),
        vector=np.frombuffer(vector, dtype=_VECTOR_DTYPE).astype(np.float32),
        file_id=int(file_id),
        kind=str(kind),
        item_kind=str(item_kind),
        root=_name(root),
        relpath=_name(relpath),
        start=None if start is None else float(start),
        end=None if end is None else float(end),
        dated=int(dated_ns) // 1_000_000_000,
        size=int(size),
        text=str(text or ""),
        score=None if score is None else float(score),
        language=None if language is None else str(language),
        taken=None if taken_ns is None else int(taken_ns) // 1_000_000_000,
        place_id=None if place_id is None else int(place_id),
    )


def target(conn: sqlite3.Connection) -> str | None:
    found = conn.execute("SELECT uri FROM outbox_target").fetchone()
    return None if found is None else str(found[0])


def set_target(conn: sqlite3.Connection, uri: str | None) -> bool:
    """Make ``uri`` the library the outbox delivers to (None: none, notes stop). Returns whether
    it changed: the old notes were for another library, so they are dropped and the caller
    rebuilds the new library's collections from the catalog."""
    if target(conn) == uri:
        return False
    conn.execute("DELETE FROM outbox_target")
    conn.execute("DELETE FROM outbox")
    if uri is not None:
        conn.execute("INSERT INTO outbox_target (uri) VALUES (?)", (uri,))
    return True


def pending(conn: sqlite3.Connection, limit: int) -> OutboxBatch:
    """The oldest ``limit`` notes (at most), as the state of their pairs now."""
    last = conn.execute(
        "SELECT max(id) FROM (SELECT id FROM outbox ORDER BY id LIMIT ?)", (limit,)
    ).fetchone()[0]
    if last is None:
        return OutboxBatch(0, [], [])
    pairs = conn.execute(
        "SELECT DISTINCT o.space_id, s.name, o.item_id FROM outbox o "
        "JOIN spaces s ON s.id = o.space_id WHERE o.id <= ?",
        (last,),
    ).fetchall()
    upserts, deletes = [], []
    for space_id, space, item_id in pairs:
        found = conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM vectors v JOIN spaces s ON s.id = v.space_id "
            f"{_ROW_JOINS} WHERE v.space_id = ? AND v.item_id = ?",
            (space_id, item_id),
        ).fetchone()
        if found is None:
            deletes.append((str(space), int(item_id)))
        else:
            upserts.append(_row(found))
    return OutboxBatch(int(last), upserts, deletes)


def delivered(conn: sqlite3.Connection, last_id: int) -> None:
    """Forget the notes a delivered batch read (later notes stay)."""
    conn.execute("DELETE FROM outbox WHERE id <= ?", (last_id,))


def size(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    return count


def rows(conn: sqlite3.Connection, space: str, after: int, limit: int) -> list[VectorRow]:
    """A space's vectors with item id above ``after``, in id order: for a rebuild."""
    found = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM vectors v JOIN spaces s ON s.id = v.space_id {_ROW_JOINS} "
        "WHERE s.name = ? AND v.item_id > ? ORDER BY v.item_id LIMIT ?",
        (space, after, limit),
    ).fetchall()
    return [_row(row) for row in found]

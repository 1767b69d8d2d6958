"""Query filters as Milvus boolean expressions, built from typed values only.

Every value a person typed (a folder name) becomes a Milvus string literal through
:func:`literal`, which escapes the backslash and the double quote, so a value can never end its
literal and add a clause of its own. Numbers are Python ints, formatted by ``int``; kinds come
from the :class:`FileKind` enum; places are GeoNames ids (ints) the gazetteer found for the name
typed. Nothing else reaches an expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.search.query import Filters


def literal(value: str) -> str:
    """``value`` as a double-quoted Milvus string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def _prefix_pattern(prefix: str) -> str:
    """A ``like`` pattern for names that begin with ``prefix``: its ``%`` and ``_`` are escaped
    to match themselves. Milvus's ``like`` has no escape for a backslash, so the prefix is cut
    at its first one: the pattern then matches more names than asked, never fewer, and the
    planner's own filter (``Filters.accepts``) drops the extra ones."""
    kept = prefix.split("\\", 1)[0]
    return literal(kept.replace("%", "\\%").replace("_", "\\_") + "%")


def _day_start(day: date) -> int:
    """The first second of ``day``, local time (as ``Filters.accepts`` reads dates)."""
    return int(datetime(day.year, day.month, day.day).timestamp())


def _folder(folder: Path, roots: Sequence[str]) -> str:
    """Rows whose file is ``folder`` or lies in it: under a root that is the folder or inside
    it, or in the part of a root that the folder is."""
    text = str(folder)
    clauses = [f"root == {literal(text)}", f"root like {_prefix_pattern(text.rstrip('/') + '/')}"]
    for root in roots:
        inner = Path(root)
        if folder != inner and folder.is_relative_to(inner):
            relative = folder.relative_to(inner).as_posix()
            below = f"relpath like {_prefix_pattern(relative + '/')}"
            clauses.append(
                f"(root == {literal(root)} and (relpath == {literal(relative)} or {below}))"
            )
    return "(" + " or ".join(clauses) + ")"


def milvus_filter(filters: Filters, roots: Sequence[str] = ()) -> str:
    """The expression that holds for a row exactly when ``filters.accepts`` holds for its file
    (``roots``: the library's root folders, to place a folder inside one); ``""`` for none."""
    clauses = []
    if filters.kinds:
        kinds = ", ".join(literal(kind.value) for kind in sorted(filters.kinds))
        clauses.append(f"kind in [{kinds}]")
    if filters.folders:
        clauses.append(
            "(" + " or ".join(_folder(folder, roots) for folder in filters.folders) + ")"
        )
    if filters.min_size is not None:
        clauses.append(f"size >= {int(filters.min_size)}")
    if filters.max_size is not None:
        clauses.append(f"size <= {int(filters.max_size)}")
    if filters.after is not None:
        clauses.append(f"dated >= {_day_start(filters.after)}")
    if filters.before is not None:
        clauses.append(f"dated < {_day_start(filters.before)}")
    if filters.place is not None and filters.place.ids is not None:
        towns = ", ".join(str(int(town)) for town in sorted(filters.place.ids))
        clauses.append(f"place_id in [{towns}]")
    return " and ".join(clauses)

"""What a committed change did to the index, as the engine publishes it.

The pipeline reports each commit as one :class:`IndexChanges`: the catalog's generation after
it and the files it touched. A window holding results updates them in place from these (a
renamed tile renamed, a deleted tile gone) and knows from the generation whether a query
asked again would answer differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.catalog.records import FileKind


class ChangeKind(StrEnum):
    ADDED = "added"  # a file newly searchable
    CHANGED = "changed"  # its content changed and was indexed again
    MOVED = "moved"  # renamed or moved: same file id, same vectors, ``previous`` path
    REMOVED = "removed"  # deleted, excluded, or its folder is no longer watched
    FAILED = "failed"  # it could not be read; a failure record says why


@dataclass(frozen=True)
class FileChange:
    change: ChangeKind
    file_id: int
    path: Path
    kind: FileKind
    previous: Path | None = None  # where a moved file was


@dataclass(frozen=True)
class IndexChanges:
    generation: int  # the catalog's generation once these were committed
    files: tuple[FileChange, ...]


ChangeCallback = Callable[[IndexChanges], None]

"""Groups of duplicate files: exact copies and near-duplicates, from what the catalog holds.

- **Exact** copies have the same bytes: the catalog keeps every file's content hash (it reuses
  vectors by it), so they are found in SQL, for files of every kind.
- **Near**-duplicates are the same picture or recording saved again: re-encoded, resized,
  lightly cropped. Each file of a :class:`Fingerprint`'s kind is one unit vector in a model
  space: a photo's own vector, a recording's windows averaged (re-encoding moves each window a
  little, averaging cancels much of it). Pairs whose cosine reaches the space's
  :data:`~engine.search.calibration.DUPLICATE` line are found by a FAISS range search over those
  vectors. A photo is compared by its :class:`~engine.media.looks.Look` too (shape and colours,
  kept when it was indexed; FAISS binary range search on the hashes, then the likeness against
  :data:`~engine.media.looks.NEAR_LIKENESS`): a pair is near when either says so and the
  structures of their looks agree (:data:`~engine.media.looks.SAME_STRUCTURE`). The vectors
  find crops, which move a look's hash; looks find re-encoded and resized copies, which move
  the vectors; the structure tells apart pictures that differ in one detail, which fool both
  (EVALUATION.md, "Duplicates"). No file is ever read again.

Pairs are joined into groups by union-find, so a photo, its resized copy and that copy's
re-encoding make one group even where the first and the last fall just below the line. Groups
never mix kinds. Trove only lists duplicates: which to keep is the person's choice, and nothing
here deletes or moves a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import faiss
import numpy as np
from numpy.typing import NDArray

from engine.catalog.records import FileKind, FileRecord, ItemKind
from engine.index.spaces import SEARCH_THREADS, faiss_threads
from engine.inference.vectors import l2_normalize
from engine.media.looks import (
    NEAR_LIKENESS,
    SAME_STRUCTURE,
    SHAPE_BITS,
    SHAPE_BYTES,
    Look,
    codes,
    likenesses,
    shape_radius,
    structures,
)
from engine.search.browse import Listed
from engine.search.calibration import DUPLICATE, CalibrationTable
from models.manifest import Manifest, Task


class Likeness(StrEnum):
    EXACT = "exact"  # every file of the group has the same bytes
    NEAR = "near"  # looks or sounds the same: re-encoded, resized, lightly cropped


@dataclass(frozen=True)
class DuplicateGroup:
    """Files that are copies of one another, the one most worth keeping first: the largest
    (a re-encoded or shrunk copy is smaller than its original), then the oldest."""

    likeness: Likeness
    files: tuple[Listed, ...]
    # The weakest link of the pairs that joined the group: a look's likeness or a cosine (1.0
    # for exact copies).
    similarity: float

    @property
    def size(self) -> int:
        """Bytes the group takes beyond its first file: what keeping one would free."""
        return sum(listed.size for listed in self.files[1:])


@dataclass(frozen=True)
class Fingerprint:
    """Which stored vectors stand for a whole file of ``file_kind``: those of its
    ``item_kind`` items in the space of the pack's ``task`` model, compared as ``modality``
    examples are (the calibration's key)."""

    file_kind: FileKind
    item_kind: ItemKind
    task: Task
    modality: str


FINGERPRINTS = (
    Fingerprint(FileKind.PHOTO, ItemKind.PHOTO, Task.IMAGE, "image"),
    Fingerprint(FileKind.AUDIO, ItemKind.AUDIO_WINDOW, Task.AUDIO, "audio"),
)


@dataclass(frozen=True)
class NearLine:
    """Where near-duplicates begin in one space, and whether that line was fitted for it."""

    fingerprint: Fingerprint
    space: str
    threshold: float
    fitted: bool


def near_lines(manifest: Manifest, table: CalibrationTable) -> list[NearLine]:
    """The line of each fingerprint whose model the pack has."""
    lines = []
    for fingerprint in FINGERPRINTS:
        entry = next((e for e in manifest.models if e.task is fingerprint.task), None)
        if entry is not None:
            calibration, fitted = table.get(entry.id, fingerprint.modality, DUPLICATE)
            lines.append(NearLine(fingerprint, entry.id, calibration.threshold, fitted))
    return lines


class DuplicateSource(Protocol):
    """The catalog, as finding duplicates reads it (``Catalog`` is one)."""

    def same_content(self) -> list[list[tuple[FileRecord, str]]]: ...

    def file_vectors(
        self, space: str, item_kind: ItemKind, file_kind: FileKind
    ) -> Iterator[tuple[int, NDArray[np.float32]]]: ...

    def file_looks(self) -> Iterator[tuple[int, Look]]: ...

    def file_by_id(self, file_id: int) -> tuple[FileRecord, str] | None: ...


def file_vector(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    """One unit vector for a file from its items' unit vectors (n, d): their mean."""
    return l2_normalize(np.asarray(rows, dtype=np.float32).mean(axis=0, keepdims=True))[0]


def file_vectors(
    catalog: DuplicateSource, space: str, fingerprint: Fingerprint
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Ids and unit vectors (n, d) of every indexed file of the fingerprint's kind."""
    ids: list[int] = []
    vectors: list[NDArray[np.float32]] = []
    for file_id, rows in catalog.file_vectors(space, fingerprint.item_kind, fingerprint.file_kind):
        ids.append(file_id)
        vectors.append(file_vector(rows))
    if not vectors:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
    return np.asarray(ids, dtype=np.int64), np.stack(vectors)


def close_pairs(vectors: NDArray[np.float32], threshold: float) -> list[tuple[int, int, float]]:
    """Row pairs ``(i, j, cosine)`` with ``i < j`` whose cosine reaches ``threshold``."""
    if len(vectors) < 2:
        return []
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    # FAISS keeps inner products strictly above its radius: step just below the line.
    radius = float(np.nextafter(np.float32(threshold), np.float32(-1)))
    with faiss_threads(SEARCH_THREADS):
        limits, scores, found = index.range_search(vectors, radius)
    pairs = []
    for row in range(len(vectors)):
        for at in range(limits[row], limits[row + 1]):
            other = int(found[at])
            if row < other:
                pairs.append((row, other, float(scores[at])))
    return pairs


def close_looks(rows: NDArray[np.uint8], line: float) -> list[tuple[int, int, float]]:
    """Row pairs ``(i, j, likeness)`` with ``i < j`` of looks (rows of
    :func:`~engine.media.looks.codes`) whose likeness reaches ``line``."""
    if len(rows) < 2:
        return []
    hashes = np.ascontiguousarray(rows[:, :SHAPE_BYTES])
    index = faiss.IndexBinaryFlat(SHAPE_BITS)
    index.add(hashes)
    # Only hashes this close can reach the line; FAISS keeps distances strictly below its radius.
    with faiss_threads(SEARCH_THREADS):
        limits, _bits, found = index.range_search(hashes, shape_radius(line) + 1)
    starts = np.repeat(np.arange(len(rows)), np.diff(limits.astype(np.int64)))
    others = found.astype(np.int64)
    ahead = starts < others
    one, other = starts[ahead], others[ahead]
    alike = likenesses(rows[one], rows[other])
    kept = alike >= line
    pairs = zip(one[kept], other[kept], alike[kept], strict=True)
    return [(int(i), int(j), float(a)) for i, j, a in pairs]


class _Groups:
    """Union-find over file ids, keeping each group's weakest link."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.weakest: dict[int, float] = {}

    def root(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]  # path halving
            item = self.parent[item]
        return item

    def join(self, one: int, other: int, similarity: float) -> None:
        a, b = self.root(one), self.root(other)
        weakest = min(self.weakest.get(a, 1.0), self.weakest.get(b, 1.0), similarity)
        if a != b:
            self.parent[b] = a
        self.weakest[a] = weakest

    def groups(self) -> Iterator[tuple[list[int], float]]:
        members: dict[int, list[int]] = {}
        for item in list(self.parent):
            members.setdefault(self.root(item), []).append(item)
        for top, files in members.items():
            yield files, self.weakest.get(top, 1.0)


def find_duplicates(catalog: DuplicateSource, lines: Sequence[NearLine]) -> list[DuplicateGroup]:
    """Every group of exact copies and of near-duplicates, the most space to free first."""
    groups = _Groups()
    records: dict[int, tuple[FileRecord, str]] = {}
    for same in catalog.same_content():
        first = same[0][0].id
        for record, root in same:
            records[record.id] = (record, root)
            groups.join(first, record.id, 1.0)
    looked = dict(catalog.file_looks())
    rows = codes(list(looked.values()))
    row_of = {file_id: row for row, file_id in enumerate(looked)}

    def agree(one: int, other: int) -> bool:
        """The structures of two photos' looks agree (or one has no look to ask)."""
        a, b = row_of.get(one), row_of.get(other)
        return a is None or b is None or structures(rows[[a]], rows[[b]])[0] >= SAME_STRUCTURE

    near: list[tuple[int, int, float]] = [
        (int(ids[i]), int(ids[j]), similarity)
        for line in lines
        for ids, vectors in [file_vectors(catalog, line.space, line.fingerprint)]
        for i, j, similarity in close_pairs(vectors, line.threshold)
    ]
    looked_ids = list(looked)
    near += [
        (looked_ids[i], looked_ids[j], likeness)
        for i, j, likeness in close_looks(rows, NEAR_LIKENESS)
    ]
    for one, other, similarity in near:
        if agree(one, other):
            groups.join(one, other, similarity)
    found: list[DuplicateGroup] = []
    for members, weakest in groups.groups():
        files = list(_records(catalog, members, records))
        if len(files) < 2:
            continue  # the others went between two reads of the catalog
        exact = len({record.content_hash for record, _ in files}) == 1
        found.append(
            DuplicateGroup(
                Likeness.EXACT if exact else Likeness.NEAR,
                tuple(Listed.of(record, root) for record, root in _keep_first(files)),
                1.0 if exact else round(min(weakest, 1.0), 4),
            )
        )
    return sorted(found, key=lambda group: (-group.size, str(group.files[0].path)))


def _records(
    catalog: DuplicateSource, ids: Iterable[int], known: dict[int, tuple[FileRecord, str]]
) -> Iterator[tuple[FileRecord, str]]:
    for file_id in ids:
        found = known.get(file_id) or catalog.file_by_id(file_id)
        if found is not None:
            yield found


def _keep_first(files: list[tuple[FileRecord, str]]) -> list[tuple[FileRecord, str]]:
    return sorted(files, key=lambda found: (-found[0].size, found[0].mtime_ns, found[0].id))

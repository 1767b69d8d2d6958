"""Walk the roots, compare what is on disk with the catalog, and plan the work.

The scanner only reads (the disk and the catalog); :class:`engine.scan.pipeline.Pipeline` carries
the plan out. A file is unchanged while its ``(size, mtime_ns)`` match the catalog; otherwise its
bytes are hashed, and the hash decides between an edit (re-embed), a move (same bytes at a new
path while the old path is gone: the items move, nothing is embedded), a copy (same bytes as an
indexed file elsewhere: its vectors are reused) and a new file.

Hashing is BLAKE2b-128 of the whole file, streamed in 1 MiB blocks: one core hashes ~500 MB/s
(measured on this project's CI machine), faster than most disks read, and only new or changed
files are hashed, which are then read in full anyway to be decoded. hashlib releases the GIL on
large blocks, so a few threads hash in parallel. A sampled hash would be faster on huge videos but
would call two different edits of the same length identical, which would lose an edit.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from engine.catalog.records import Failure, FileKind, FileRecord, FileStatus, Root
from engine.media import kinds

HASH_BLOCK = 1 << 20
DEFAULT_HASH_THREADS = 2
# Names of folders that operating systems, NAS boxes and file managers keep for themselves.
SYSTEM_FOLDERS = frozenset(
    {
        "$recycle.bin",
        "system volume information",
        "lost+found",
        "@eadir",
        "#recycle",
        "#snapshot",
        "__macosx",
    }
)
_WINDOWS_HIDDEN = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | getattr(
    stat, "FILE_ATTRIBUTE_SYSTEM", 4
)

KindOf = Callable[[Path], FileKind | None]


@dataclass(frozen=True)
class Found:
    """A media file on disk, as the walk saw it."""

    root_id: int
    relpath: str
    path: Path
    size: int
    mtime_ns: int
    kind: FileKind


@dataclass(frozen=True)
class Work:
    """A file to store: new, edited, or left pending by an interrupted run."""

    found: Found
    content_hash: str
    record: FileRecord | None  # the catalog's row for this path, if any


@dataclass(frozen=True)
class Move:
    record: FileRecord  # where the bytes were
    to: Found  # where they are now


@dataclass(frozen=True)
class Copy:
    """Same bytes as an indexed file (``source`` when known now, else found by hash later)."""

    work: Work
    source: FileRecord | None


@dataclass(frozen=True)
class Unreadable:
    """A file or folder of a root that could not even be opened (no catalog row is made)."""

    root_id: int
    path: str
    reason: str


@dataclass
class Plan:
    """What one scan found to do; the pipeline applies it in this order: offline roots,
    failures to open, deletes, moves, then stores and indexes ``work`` and ``copies``."""

    work: list[Work] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    deleted: list[FileRecord] = field(default_factory=list)
    unchanged: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)
    # Paths recorded as unreadable before, in the scanned part, that open now or are gone.
    readable_again: list[Path] = field(default_factory=list)
    offline: list[Root] = field(default_factory=list)
    online: list[Root] = field(default_factory=list)
    touched: list[Work] = field(default_factory=list)  # new mtime, same bytes: stat only

    @property
    def empty(self) -> bool:
        return not (
            self.work
            or self.moves
            or self.copies
            or self.deleted
            or self.touched
            or self.unreadable
            or self.readable_again
        )


class CatalogView(Protocol):
    """The catalog calls the scanner makes (the real :class:`Catalog` has them all)."""

    def roots(self) -> list[Root]: ...

    def files(
        self, root_id: int | None = None, status: FileStatus | None = None
    ) -> list[FileRecord]: ...

    def find_by_hash(self, content_hash: str) -> FileRecord | None: ...

    def failures(self, root_id: int | None = None) -> list[Failure]: ...


class PathFilter:
    """A root's include/exclude globs on paths relative to the root (``/`` separated).

    A pattern matches a relative path or a bare name (``*.tmp``, ``Private``, ``raw/*``);
    ``*`` also crosses ``/``. An excluded folder is not entered. With include patterns, only
    files matching one are taken.
    """

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.include = tuple(include)
        self.exclude = tuple(exclude)

    @staticmethod
    def _matches(relpath: str, patterns: Sequence[str]) -> bool:
        name = relpath.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(relpath, pattern) or fnmatch.fnmatchcase(name, pattern)
            for pattern in patterns
        )

    def folder(self, relpath: str) -> bool:
        return not self._matches(relpath, self.exclude)

    def file(self, relpath: str) -> bool:
        if self._matches(relpath, self.exclude):
            return False
        return not self.include or self._matches(relpath, self.include)


def is_hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") or entry.name.lower() in SYSTEM_FOLDERS:
        return True
    attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    return bool(attributes & _WINDOWS_HIDDEN)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def walk(root: Root, kind_of: KindOf, under: str = "") -> tuple[list[Found], list[Unreadable]]:
    """Every media file of ``root`` (or of its folder or file ``under``), and what could not be
    read. Symbolic links are followed, but a folder already entered is never entered again, so
    a link loop ends; hidden and system entries are skipped."""
    top = Path(root.path)
    rule = PathFilter(root.include, root.exclude)
    found: list[Found] = []
    unreadable: list[Unreadable] = []
    start = top / under if under else top
    if under:
        if any(part.startswith(".") or part.lower() in SYSTEM_FOLDERS for part in under.split("/")):
            return found, unreadable
        try:
            info = start.stat()
        except OSError as error:
            if start.is_symlink():  # a dangling link or a loop, as the full walk reports it
                unreadable.append(Unreadable(root.id, str(start), _reason(error)))
            return found, unreadable  # gone: the caller's scope records the deletion
        if not stat.S_ISDIR(info.st_mode):
            file = _found(root, start, under, info, rule, kind_of)
            return ([file] if file else []), unreadable
    seen: set[tuple[int, int]] = set()
    stack = [(start, under)]
    while stack:
        folder, relfolder = stack.pop()
        try:
            identity = folder.stat()
            if (identity.st_dev, identity.st_ino) in seen:
                continue  # a link back into a folder already walked
            seen.add((identity.st_dev, identity.st_ino))
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError as error:
            unreadable.append(Unreadable(root.id, str(folder), _reason(error)))
            continue
        for entry in sorted(listing, key=lambda item: item.name):
            relpath = f"{relfolder}/{entry.name}" if relfolder else entry.name
            try:
                if is_hidden(entry):
                    continue
                if entry.is_dir(follow_symlinks=True):
                    if rule.folder(relpath):
                        stack.append((Path(entry.path), relpath))
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as error:
                # A dangling link or an entry that vanished: say so, never stop the walk.
                if error.errno != errno.ENOENT or entry.is_symlink():
                    unreadable.append(Unreadable(root.id, entry.path, _reason(error)))
                continue
            file = _found(root, Path(entry.path), relpath, info, rule, kind_of)
            if file is not None:
                found.append(file)
    return found, unreadable


def _found(
    root: Root, path: Path, relpath: str, info: os.stat_result, rule: PathFilter, kind_of: KindOf
) -> Found | None:
    if not stat.S_ISREG(info.st_mode) or not rule.file(relpath):
        return None
    kind = kind_of(path)
    if kind is None:
        return None
    return Found(root.id, relpath, path, info.st_size, info.st_mtime_ns, kind)


def content_hash(path: Path) -> str:
    """BLAKE2b-128 of the whole file, hex."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as stream:
        while block := stream.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stable_hash(found: Found) -> str | Unreadable | None:
    """The file's hash, ``None`` when it changed or vanished while being read, or why it cannot
    be read (permission denied, an I/O error): that is reported, not taken for a change, which
    would retry it on every scan and never say why."""
    try:
        value = content_hash(found.path)
        after = found.path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        return Unreadable(found.root_id, str(found.path), _reason(error))
    if (after.st_size, after.st_mtime_ns) != (found.size, found.mtime_ns):
        return None
    return value


def root_is_present(root: Root, known_files: int) -> bool:
    """A root counts as offline when its folder is missing, and also when it is empty while the
    catalog knows files in it: an unplugged drive often leaves its empty mount point behind,
    and taking that for "everything deleted" would throw the whole index away."""
    path = Path(root.path)
    try:
        if not path.is_dir():
            return False
        if known_files:
            with os.scandir(path) as entries:
                return any(True for _ in entries)
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Scope:
    """Part of a root to scan: its relative paths (files or folders); empty = the whole root."""

    root_id: int
    paths: tuple[str, ...] = ()

    def covers(self, relpath: str) -> bool:
        if not self.paths:
            return True
        return any(
            relpath == part or PurePosixPath(relpath).is_relative_to(part) for part in self.paths
        )


class Scanner:
    """Plans a full scan of every root, or an incremental one of a few paths."""

    def __init__(
        self,
        catalog: CatalogView,
        kind_of: KindOf | None = None,
        hash_threads: int = DEFAULT_HASH_THREADS,
    ) -> None:
        self.catalog = catalog
        self.kind_of = kind_of or kinds.kind_of
        self.hash_threads = hash_threads

    def scan(self, scopes: Sequence[Scope] | None = None) -> Plan:
        """Compare disk and catalog for ``scopes`` (default: every root, whole)."""
        roots = {root.id: root for root in self.catalog.roots()}
        if scopes is None:
            scopes = [Scope(root_id) for root_id in roots]
        plan = Plan()
        on_disk: list[Found] = []
        known: dict[tuple[int, str], FileRecord] = {}
        unreadable_before: list[Path] = []
        for scope in scopes:
            root = roots.get(scope.root_id)
            if root is None:
                continue
            records = [r for r in self.catalog.files(root.id) if scope.covers(r.relpath)]
            if not root_is_present(root, len(records)):
                plan.offline.append(root)
                continue
            if not root.online:
                plan.online.append(root)
            known.update(((r.root_id, r.relpath), r) for r in records)
            unreadable_before += _unopened(self.catalog.failures(root.id), root, scope)
            for part in scope.paths or ("",):
                files, unreadable = walk(root, self.kind_of, part)
                on_disk.extend(files)
                plan.unreadable.extend(unreadable)
        self._compare(plan, _unique(on_disk), known, roots)
        still = {Path(unreadable.path) for unreadable in plan.unreadable}
        plan.readable_again = [path for path in unreadable_before if path not in still]
        return plan

    def _compare(
        self,
        plan: Plan,
        on_disk: list[Found],
        known: dict[tuple[int, str], FileRecord],
        roots: dict[int, Root],
    ) -> None:
        to_hash: list[tuple[Found, FileRecord | None]] = []
        for found in on_disk:
            record = known.pop((found.root_id, found.relpath), None)
            if record is not None and (record.size, record.mtime_ns) == (
                found.size,
                found.mtime_ns,
            ):
                if record.status is FileStatus.PENDING or record.kind is not found.kind:
                    plan.work.append(Work(found, record.content_hash, record))
                else:
                    plan.unchanged += 1  # indexed, or failed and not touched since
                continue
            to_hash.append((found, record))
        # What is left in ``known`` is gone from its path: moved, or deleted.
        gone: dict[str, list[FileRecord]] = {}
        for record in known.values():
            gone.setdefault(record.content_hash, []).append(record)
        hashes = self._hash_all([found for found, _ in to_hash])
        # Same bytes read as another kind (a .txt holding a JPEG) are not a copy: kind is keyed.
        first_of_hash: dict[tuple[str, FileKind], Work] = {}
        moved: set[int] = set()
        for (found, record), value in zip(to_hash, hashes, strict=True):
            if value is None:  # changed while hashed: the next scan takes it
                continue
            if isinstance(value, Unreadable):
                plan.unreadable.append(value)
                continue
            if record is not None and record.content_hash == value and record.kind is found.kind:
                # Touched, not edited: store the new stat and keep the items.
                if record.status is FileStatus.PENDING:
                    plan.work.append(Work(found, value, record))
                else:
                    plan.touched.append(Work(found, value, record))
                continue
            if record is None and gone.get(value):
                plan.moves.append(Move(gone[value].pop(), found))
                continue
            work = Work(found, value, record)
            if (value, found.kind) in first_of_hash:
                plan.copies.append(Copy(work, None))  # same bytes as a file of this scan
            elif (source := self.catalog.find_by_hash(value)) is not None and (
                source.kind is found.kind
            ):
                if _gone(source, roots) and source.id not in moved:
                    # Its old path is outside this scan's scope but gone too (a watcher event
                    # for the other half of a move may come later): a move, not a copy.
                    moved.add(source.id)
                    plan.moves.append(Move(source, found))
                else:
                    plan.copies.append(Copy(work, source))
            else:
                first_of_hash[value, found.kind] = work
                plan.work.append(work)
        plan.deleted = [record for records in gone.values() for record in records]

    def _hash_all(self, files: Sequence[Found]) -> list[str | Unreadable | None]:
        if len(files) <= 1 or self.hash_threads <= 1:
            return [_stable_hash(found) for found in files]
        with ThreadPoolExecutor(self.hash_threads, thread_name_prefix="trove-hash") as pool:
            return list(pool.map(_stable_hash, files))


def _gone(record: FileRecord, roots: dict[int, Root]) -> bool:
    root = roots.get(record.root_id)
    if root is None or not root.online:
        return False  # unknown, or on a drive that is away: not known to be gone
    return not (Path(root.path) / record.relpath).exists()


def _unopened(failures: Iterable[Failure], root: Root, scope: Scope) -> list[Path]:
    """The failures to open a path (no file row) that ``scope`` of ``root`` covers."""
    top = Path(root.path)
    covered = []
    for failure in failures:
        if failure.file_id is None and failure.path.is_relative_to(top):
            relative = failure.path.relative_to(top).as_posix()
            if scope.covers("" if relative == "." else relative):
                covered.append(failure.path)
    return covered


def _unique(files: Iterable[Found]) -> list[Found]:
    """Overlapping scopes (a folder and a file in it) list a file once."""
    seen: dict[tuple[int, str], Found] = {}
    for found in files:
        seen.setdefault((found.root_id, found.relpath), found)
    return list(seen.values())

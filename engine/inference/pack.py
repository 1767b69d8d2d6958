"""Finding the model pack on disk and verifying it before any model runs.

A pack is looked for, in order: the folder the caller names, ``$TROVE_PACK``, a ``packs/``
folder beside the installed app (the installers put one there), and the dev pack that
``python -m models.devpack`` builds into the user's cache. Nothing is ever downloaded.

Every file of a pack is checked against its sha256 when the pack is opened. Hashing the dev
pack (306 MB) took 0.2 s of every ``trove search``, so what was hashed is remembered
(:class:`HashMemo`, in the user's cache): a file whose size, times, inode and device are those
it had when it was hashed is not read again. Writing a file changes its change time (ctime),
which no program can set back, so an altered or replaced file is hashed again; ``trove doctor``
hashes every file regardless.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from models.manifest import MANIFEST_NAME, Manifest, PackError, read_manifest, verify_files
from models.sources import cache_root

PACK_ENV = "TROVE_PACK"
HASH_MEMO_NAME = "pack-hashes.json"
# A file changed within this long before it was hashed is not remembered: on a file system with
# a coarse clock, a second write in the same tick would leave its times as they were.
_SETTLED_NS = 2_000_000_000


def _bundled_packs() -> Iterator[Path]:
    # A frozen app (PyInstaller) has packs/ beside its executables (Linux, Windows), in its
    # library folder (_MEIPASS), or in Contents/Resources of a macOS .app; a checkout has none.
    if not getattr(sys, "frozen", False):
        return
    exe_dir = Path(sys.executable).resolve().parent
    bases = [exe_dir, Path(getattr(sys, "_MEIPASS", exe_dir)), exe_dir.parent / "Resources"]
    seen: set[Path] = set()
    for base in bases:
        folder = base / "packs"
        if folder.is_dir() and folder.resolve() not in seen:
            seen.add(folder.resolve())
            yield from sorted(p for p in folder.iterdir() if (p / MANIFEST_NAME).is_file())


def dev_pack_folder() -> Path:
    """Where the dev-pack builder puts its result: the user's cache, outside any repository."""
    return cache_root() / "packs" / "dev"


def candidates(explicit: Path | None = None) -> list[Path]:
    """Every place a pack may be, best first, whether or not it exists."""
    places: list[Path] = []
    if explicit is not None:
        places.append(explicit)
    if configured := os.environ.get(PACK_ENV):
        places.append(Path(configured))
    places.extend(_bundled_packs())
    places.append(dev_pack_folder())
    return places


def find_pack(explicit: Path | None = None) -> Path:
    """The first candidate that holds a manifest; an explicit choice must exist itself."""
    if explicit is not None and not (explicit / MANIFEST_NAME).is_file():
        raise PackError(f"no model pack at {explicit}: {MANIFEST_NAME} is missing")
    for place in candidates(explicit):
        if (place / MANIFEST_NAME).is_file():
            return place
    looked = ", ".join(str(place) for place in candidates(explicit))
    raise PackError(
        f"no model pack found (looked in {looked}); build the dev pack with "
        "`python -m models.devpack` or set TROVE_PACK"
    )


def open_pack(explicit: Path | None = None, verify: bool = True) -> Manifest:
    """Locate the pack and check every file's hash, so a damaged pack fails here, by name
    (a file hashed by an earlier run and unchanged since is vouched for by the memo)."""
    manifest = read_manifest(find_pack(explicit))
    if verify:
        memo = HashMemo(cache_root() / HASH_MEMO_NAME)
        verify_files(manifest, memo)
        memo.save()
    return manifest


_Stamp = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def _stamp(path: Path) -> _Stamp:
    found = path.stat()
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev)


class HashMemo:
    """The sha256 of each pack file hashed before, with the stamp (size, times, inode, device)
    the file had then; kept in one JSON file. Unreadable or missing, it vouches for nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries = _read_memo(path)
        self._seen: dict[str, _Stamp] = {}  # stamps taken before hashing, by ``vouches``
        self._changed = False

    def vouches(self, path: Path, sha256: str) -> bool:
        name = os.path.abspath(path)
        stamp = self._seen[name] = _stamp(path)
        return self._entries.get(name) == (sha256, stamp)

    def hashed(self, path: Path, sha256: str) -> None:
        """Remember ``path`` as hashed to ``sha256``, if it stood still while it was read
        and had settled before (see ``_SETTLED_NS``)."""
        name = os.path.abspath(path)
        before = self._seen.get(name)
        if before is None or _stamp(path) != before:
            return
        if time.time_ns() - before[2] < _SETTLED_NS:
            return
        self._entries[name] = (sha256, before)
        self._changed = True

    def save(self) -> None:
        """Write the memo if it learnt something; a cache that cannot be written is skipped."""
        if not self._changed:
            return
        text = json.dumps(
            {name: [sha, list(stamp)] for name, (sha, stamp) in self._entries.items()}
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            return
        self._changed = False


def _read_memo(path: Path) -> dict[str, tuple[str, _Stamp]]:
    """The memo's entries; any that do not parse are left out (it is only a cache)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries: dict[str, tuple[str, _Stamp]] = {}
    for name, value in saved.items() if isinstance(saved, dict) else ():
        try:
            sha256, (size, mtime, ctime, inode, device) = value
            entries[name] = (
                str(sha256),
                (int(size), int(mtime), int(ctime), int(inode), int(device)),
            )
        except (TypeError, ValueError):
            continue
    return entries

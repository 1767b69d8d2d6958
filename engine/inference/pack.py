"""Finding the model pack on disk and verifying it before any model runs.

A pack is looked for, in order: the folder the caller names, ``$TROVE_PACK``, a ``packs/``
folder beside the installed app (the installers put one there), and the dev pack that
``python -m models.devpack`` builds into the user's cache. Nothing is ever downloaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

from models.manifest import MANIFEST_NAME, Manifest, PackError, load_manifest
from models.sources import cache_root

PACK_ENV = "TROVE_PACK"


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
    """Locate the pack and check every file's hash, so a damaged pack fails here, by name."""
    return load_manifest(find_pack(explicit), verify=verify)

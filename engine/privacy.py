"""What keeps Trove private on the machine it runs on: no library reports home, and what Trove
writes is readable by the person alone.

Telemetry: ONNX Runtime's official wheels (1.2x on) send usage events to Microsoft from a
background thread of any long-lived process, and keep a device id and an event queue under
``~/.cache/Microsoft``. ``ORT_DISABLE_TELEMETRY=1`` is its full opt-out, but only when set before
``onnxruntime`` is first imported: the choice is latched at import, and the
``disable_telemetry_events()`` API called later stops neither the uploads nor the files
(measured on 1.32.0 with strace). So :func:`refuse_telemetry` runs when the ``engine`` package is
imported, which is before any engine module imports ``onnxruntime``; on Windows the same switch
is made through the API too (:mod:`engine.inference.providers`), where telemetry goes through ETW.
The other libraries at run time have no telemetry: Qt, FFmpeg (PyAV opens files with a ``file``
protocol whitelist), faiss, SQLite, tokenizers, watchdog.

File modes: every process of Trove's runs with umask 077 (:func:`restrict_new_files`), so the
catalog, its WAL and shared-memory files, the vector indexes, backups, thumbnails, pasted
pictures and settings are made 0600 in 0700 folders; :func:`make_private` tightens a folder made
before (by an older Trove, or by the person, as ``--data-dir`` allows). Programs Trove starts for
the person (the default app, the file manager) get the person's umask back
(:func:`persons_umask`): what they save is not Trove's.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# Environment switches that turn a library's telemetry off before it loads.
TELEMETRY_OFF = {"ORT_DISABLE_TELEMETRY": "1"}
PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def refuse_telemetry() -> None:
    """Turn every known telemetry switch off; forced, since a leftover ``=0`` would turn it on."""
    os.environ.update(TELEMETRY_OFF)
    if "onnxruntime" in sys.modules:
        # Imported before the engine: its switch is latched already, and only a restart helps.
        log.warning("onnxruntime was imported before Trove's engine: its telemetry may be on")


class _Umasks:
    """The umask the person's session gave this process, kept when Trove tightens its own."""

    persons: int | None = None


def restrict_new_files() -> None:
    """Make every file and folder this process creates from now on private to its user."""
    before = os.umask(PRIVATE_UMASK)
    if _Umasks.persons is None:
        _Umasks.persons = before


@contextmanager
def persons_umask() -> Iterator[None]:
    """Around starting another program (the default app for a photo, the file manager): what
    it saves is the person's own, so it inherits the person's umask, not Trove's. Trove's own
    files made meanwhile by other threads still land in its 0700 folders."""
    if _Umasks.persons is None:
        yield
        return
    os.umask(_Umasks.persons)
    try:
        yield
    finally:
        os.umask(PRIVATE_UMASK)


def make_private(path: Path, recursive: bool = True) -> list[Path]:
    """Take group and other permissions off ``path`` and, when ``recursive``, everything below
    it (links are not followed); returns the paths that others could read, so the caller can say
    so. Only for what is Trove's own: a folder the person chose holds their files too."""
    changed: list[Path] = []
    for candidate in (path, *(_walk(path) if recursive else ())):
        try:
            mode = candidate.lstat().st_mode
        except OSError:
            continue  # gone meanwhile
        if stat.S_ISLNK(mode) or not mode & 0o077:
            continue
        try:
            candidate.chmod(PRIVATE_FOLDER if stat.S_ISDIR(mode) else PRIVATE_FILE)
        except OSError as error:
            log.warning("cannot make %s private: %s", candidate, error)
            continue
        changed.append(candidate)
    return changed


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for parent, folders, files in os.walk(folder, followlinks=False):
        found.extend(Path(parent) / name for name in (*folders, *files))
    return found

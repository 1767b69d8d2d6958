"""Where Trove keeps its catalog and indexes, and the rule that it never lies in a watched folder.

A data dir inside a watched folder would be scanned as the person's own files (and change with
every write); a watched folder inside the data dir would be deleted with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import EngineError, Problem
from models.sources import cache_root

ENV_VAR = "TROVE_DATA"
CATALOG_NAME = "catalog.sqlite3"
INDEXES_NAME = "indexes"


class DataDirError(EngineError):
    """The data folder cannot be used, or overlaps a watched folder."""

    def __init__(self, message: str) -> None:
        super().__init__(Problem.CANNOT_OPEN, message)


def data_dir(explicit: Path | None = None) -> Path:
    """The data folder: ``explicit``, else ``$TROVE_DATA``, else the platform's user data folder.

    Created private to the user (0o700) when missing; returned absolute.
    """
    if explicit is not None:
        chosen = Path(explicit)
    elif os.environ.get(ENV_VAR):
        chosen = Path(os.environ[ENV_VAR])
    else:
        import platformdirs  # here: a command given --data-dir does not pay for its import

        chosen = Path(platformdirs.user_data_dir("trove", appauthor=False))
    chosen = chosen.expanduser().absolute()
    if not chosen.exists():
        try:
            chosen.mkdir(parents=True, mode=0o700)
            chosen.chmod(0o700)  # mkdir's mode is masked by the umask
        except OSError as error:
            raise DataDirError(f"cannot create the data folder {chosen}: {error}") from error
    elif not chosen.is_dir():
        raise DataDirError(f"the data folder {chosen} exists and is not a folder")
    return chosen


def demo_folder() -> Path:
    """The demo folder of real media: ``$TROVE_DEMO``, else the one ``./dev demo`` assembles."""
    configured = os.environ.get("TROVE_DEMO")
    return Path(configured) if configured else cache_root() / "media" / "demo"


def demo_data_dir() -> Path:
    """Where the demo keeps its index: apart from the person's own."""
    return cache_root() / "demo-data"


def _contains(outer: Path, inner: Path) -> bool:
    """Whether ``inner`` is ``outer`` or lies somewhere below it, through links and case folding."""
    outer_real, inner_real = outer.resolve(), inner.resolve()
    outer_key = os.path.normcase(str(outer_real))
    for candidate in (inner_real, *inner_real.parents):
        if os.path.normcase(str(candidate)) == outer_key:
            return True
        # samefile catches what names cannot: case-insensitive volumes, bind mounts.
        try:
            if outer_real.exists() and candidate.exists() and os.path.samefile(candidate, outer):
                return True
        except OSError:
            continue
    return False


def check_not_inside(data_dir: Path, root: Path) -> None:
    """Refuse a watched folder that contains the data folder, or lies inside it."""
    if _contains(root, data_dir):
        raise DataDirError(
            f"cannot watch {root}: Trove's data folder {data_dir} is inside it, so Trove would "
            "index its own catalog. Choose another folder, or move the data folder with "
            f"--data-dir or ${ENV_VAR}."
        )
    if _contains(data_dir, root):
        raise DataDirError(
            f"cannot watch {root}: it is inside Trove's data folder {data_dir}. Keep your files "
            "outside the data folder."
        )

"""Runtime hook of the frozen app: point the demo folder at the one shipped in the bundle.

Runs before the entry script. ``engine.datadir.demo_folder()`` reads ``$TROVE_DEMO``; a person who
set it keeps theirs. The demo lies beside the executables (Linux, Windows) or in the app's
Resources folder (macOS).
"""

import os
import sys
from pathlib import Path


def _bundled_demo() -> Path | None:
    exe_dir = Path(sys.executable).resolve().parent
    for place in (exe_dir / "demo", exe_dir.parent / "Resources" / "demo"):
        if place.is_dir():
            return place
    return None


if "TROVE_DEMO" not in os.environ and (demo := _bundled_demo()) is not None:
    os.environ["TROVE_DEMO"] = str(demo)

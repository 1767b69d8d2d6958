"""Name the GPL libraries inside a bundle, for the notice the release attaches to its installers.

    python packaging/licences.py BUNDLE_DIR > GPL-NOTICE.txt

PyAV's and pillow-heif's wheels link x264 and x265 (GPL-2.0-or-later) dynamically: every copy of
Trove built from those wheels carries them. See packaging/README.md, "GPL parts".
"""

from __future__ import annotations

import sys
from pathlib import Path

GPL_LIBRARIES = {
    # Matched anywhere in a file name: libx264-....so.165, x264-164.dll, libx264.164.dylib.
    "x264": "x264, GPL-2.0-or-later",
    "x265": "x265, GPL-2.0-or-later",
    "postproc": "FFmpeg's libpostproc, GPL-2.0-or-later",
}


def gpl_parts(bundle: Path) -> list[tuple[Path, str]]:
    """Every file in the bundle whose name says it is one of the GPL libraries."""
    found = []
    for path in sorted(bundle.rglob("*")):
        for stem, what in GPL_LIBRARIES.items():
            # PyInstaller links the wheels' .libs copies into place: count each file once.
            if path.is_file() and not path.is_symlink() and stem in path.name.lower():
                found.append((path.relative_to(bundle), what))
    return found


def notice(bundle: Path) -> str:
    parts = gpl_parts(bundle)
    if not parts:
        return "This build of Trove contains no GPL-licensed library.\n"
    lines = [
        "This build of Trove contains these GPL-licensed libraries, loaded dynamically:",
        *(f"  {path} ({what}; from the {path.parent.name} wheel folder)" for path, what in parts),
        "",
        "The installer as a whole is therefore distributed under the terms of the GNU GPL,",
        "version 3 (Trove's own code is Apache-2.0, which is compatible with GPLv3). The",
        "corresponding source of each library is that of the PyAV and pillow-heif wheels'",
        "build scripts at the versions in requirements/runtime.lock; ask the maintainers for it.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    sys.stdout.write(notice(Path(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Save a rectangle of an X screen as a PNG, scaled to a width: ``grab.py OUT WIDTH X Y W H``.

Run with QT_QPA_PLATFORM=xcb and DISPLAY set; Qt reads the pixels from the X server itself.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication


def main(argv: list[str]) -> int:
    target, width = argv[0], int(argv[1])
    x, y, w, h = (int(value) for value in argv[2:6])
    app = QGuiApplication(sys.argv[:1])
    screen = app.primaryScreen()
    if screen is None:
        raise SystemExit("no screen")
    pixmap = screen.grabWindow(0, x, y, w, h)
    if pixmap.width() > width:
        pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    if not pixmap.save(target, "PNG"):
        raise SystemExit(f"cannot write {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

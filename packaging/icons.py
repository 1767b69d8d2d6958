"""Render Trove's SVG icon to PNGs with Qt's own SVG renderer (no extra dependency).

python packaging/icons.py ICON.svg OUT_DIR 16,32,...   writes OUT_DIR/<size>.png
python packaging/icons.py --ico ICON.png OUT.ico       a Windows icon (Pillow)
"""

from __future__ import annotations

import sys
from pathlib import Path


def render(svg: Path, folder: Path, sizes: list[int]) -> list[Path]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = folder / f"{size}.png"
        if not image.save(str(target)):
            raise OSError(f"cannot write {target}")
        written.append(target)
    del app
    return written


def to_ico(png: Path, target: Path) -> None:
    from PIL import Image

    sizes = [(size, size) for size in (16, 24, 32, 48, 64, 128, 256)]
    Image.open(png).save(target, sizes=sizes)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--ico"]:
        to_ico(Path(argv[1]), Path(argv[2]))
        return 0
    svg, folder, sizes = Path(argv[0]), Path(argv[1]), [int(s) for s in argv[2].split(",")]
    folder.mkdir(parents=True, exist_ok=True)
    render(svg, folder, sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Renders resources/icons/practice-desk.svg into the icons the bundles need:
PNGs for the Linux icon theme (hicolor sizes), practice-desk.ico for Windows and
practice-desk.icns for macOS. Run after changing the SVG; the outputs are kept
in the repository so building a bundle needs no drawing step."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def encode(image: QImage, fmt: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, fmt):
        sys.exit(f"Qt cannot write {fmt} images here")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows icon holding every size as PNG (Windows Vista and later read
    these); Qt's own writer stores a single uncompressed size."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, payload = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in the directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png),
                               offset + len(payload))
        payload += png
    return header + entries + payload


def main() -> None:
    QGuiApplication([])
    renderer = QSvgRenderer(str(ICONS / "practice-desk.svg"))
    pngs = {size: encode(render(renderer, size), "PNG") for size in SIZES}
    for size, png in pngs.items():
        (ICONS / f"practice-desk-{size}.png").write_bytes(png)
    (ICONS / "practice-desk.ico").write_bytes(
        ico({size: png for size, png in pngs.items() if size <= 256}))
    (ICONS / "practice-desk.icns").write_bytes(encode(render(renderer, 512), "ICNS"))
    print(f"icons written to {ICONS}")


if __name__ == "__main__":
    main()

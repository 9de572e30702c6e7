"""Icons of the image list: thumbnails on equal squares, stacks marked with their depth."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap

from gui.qt_image import rgb_to_qimage


def square_thumbnail(thumb: np.ndarray, size: int, depth: int = 1) -> QPixmap:
    """A thumbnail centred on a transparent square: every icon in the list is as wide, so the names next to
    portrait pictures line up with the others. A stack (``depth`` frames) gets a "×30" badge."""
    picture = QPixmap.fromImage(rgb_to_qimage(thumb))
    square = QPixmap(size, size)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawPixmap((size - picture.width()) // 2, (size - picture.height()) // 2, picture)
    if depth > 1:
        draw_depth_badge(painter, size, depth)
    painter.end()
    return square


def draw_depth_badge(painter: QPainter, size: int, depth: int) -> None:
    """"×30" on a dark rounded tag in the bottom-right corner: readable on light and dark pictures."""
    font = painter.font()
    font.setPixelSize(max(9, size // 6))
    font.setBold(True)
    painter.setFont(font)
    text = f"×{depth}"
    metrics = painter.fontMetrics()
    width, height = metrics.horizontalAdvance(text) + 8, metrics.height() + 2
    box = QRect(size - width - 1, size - height - 1, width, height)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(20, 20, 24, 215))
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

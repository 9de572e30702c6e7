"""The sample grid: draws rendered samples with crisp pixels, outlines the pinned ones, reports clicks."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.qt_image import rgb_to_qimage
from gui.style import colour

PIN_COLOURS = (colour("pin_a"), colour("pin_b"))  # A, B
GAP = 1


def compose(images: np.ndarray, columns: int) -> np.ndarray:
    """N x h x w x c uint8 -> one RGB picture with 1 px gaps (cell pitch h + 1)."""
    count, h, w, c = images.shape
    rows = -(-count // columns)
    out = np.full((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP, 3), 24, np.uint8)
    pictures = np.repeat(images, 3, axis=-1) if c == 1 else images
    for index in range(count):
        r, col = divmod(index, columns)
        out[r * (h + GAP):r * (h + GAP) + h, col * (w + GAP):col * (w + GAP) + w] = pictures[index]
    return out


class GridView(QWidget):
    clicked = Signal(int)  # index of the clicked sample

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(360, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.image: QImage | None = None
        self.count = 0
        self.columns = 1
        self.cell = (1, 1)
        self.pinned: dict[int, int] = {}  # sample index -> pin number (0 = A, 1 = B)
        self.placeholder = "No generator loaded"

    def set_images(self, images: np.ndarray, columns: int) -> None:
        self.image = rgb_to_qimage(compose(images, columns))
        self.count, self.columns = len(images), columns
        self.cell = (images.shape[1], images.shape[2])
        self.update()

    def set_pinned(self, pinned: dict[int, int]) -> None:
        self.pinned = dict(pinned)
        self.update()

    def clear(self, text: str) -> None:
        self.image, self.count, self.placeholder = None, 0, text
        self.update()

    def target_rect(self) -> QRectF:
        if self.image is None:
            return QRectF()
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        if scale >= 1:  # whole-pixel zoom keeps every sample's pixels the same size
            scale = float(int(scale))
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def cell_rect(self, index: int) -> QRectF:
        target = self.target_rect()
        scale = target.width() / self.image.width()
        r, c = divmod(index, self.columns)
        h, w = self.cell
        return QRectF(target.x() + c * (w + GAP) * scale, target.y() + r * (h + GAP) * scale, w * scale, h * scale)

    def index_at(self, x: float, y: float) -> int | None:
        if self.image is None:
            return None
        target = self.target_rect()
        if not target.contains(x, y):
            return None
        scale = target.width() / self.image.width()
        h, w = self.cell
        col = int((x - target.x()) / scale // (w + GAP))
        row = int((y - target.y()) / scale // (h + GAP))
        index = row * self.columns + col
        return index if 0 <= col < self.columns and 0 <= index < self.count else None

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), colour("grid_background"))
        if self.image is None:
            painter.setPen(colour("grid_text"))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.25)
            painter.setFont(font)
            painter.drawText(self.rect().adjusted(48, 48, -48, -48),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(self.target_rect(), self.image)
        for index, pin in self.pinned.items():
            if index >= self.count:
                continue
            rect = self.cell_rect(index).adjusted(-1, -1, 1, 1)
            painter.setPen(QPen(PIN_COLOURS[pin], 3))
            painter.drawRect(rect)
            painter.fillRect(QRectF(rect.x(), rect.y(), 16, 16), PIN_COLOURS[pin])
            painter.setPen(colour("pin_label"))
            painter.drawText(QRectF(rect.x(), rect.y(), 16, 16), Qt.AlignmentFlag.AlignCenter, "AB"[pin])

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        index = self.index_at(event.position().x(), event.position().y())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(index)

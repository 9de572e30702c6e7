"""numpy <-> QImage conversions (copies, so Qt never points into freed numpy memory)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    height, width, channels = rgb.shape
    fmt = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888
    image = QImage(rgb.data, width, height, rgb.strides[0], fmt)
    return image.copy()


def labels_to_qimage(labels: np.ndarray, colors: np.ndarray, alpha: int = 255) -> QImage:
    """An indexed image whose colour table maps label k to colors[k]; label 0 is transparent."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    height, width = labels.shape
    image = QImage(labels.data, width, height, labels.strides[0], QImage.Format.Format_Indexed8).copy()
    table = [QColor(int(r), int(g), int(b), alpha).rgba() for r, g, b in colors[:256]]
    table[0] = QColor(0, 0, 0, 0).rgba()
    image.setColorTable(table)
    return image

"""numpy <-> QImage conversions (copies, so Qt never points into freed numpy memory)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    height, width, channels = rgb.shape
    fmt = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888
    image = QImage(rgb.data, width, height, rgb.strides[0], fmt)
    return image.copy()


def outlined_labels_rgba(labels: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """RGBA of a label map: each object in its colour, its edge in white (so an object whose colour matches
    the image's, a red label on a red ball, still shows), background transparent."""
    labels = np.asarray(labels)
    table = np.zeros((256, 4), np.uint8)
    table[:, :3] = colors[:256]
    table[1:, 3] = 255
    packed = table.view(np.uint32)[:, 0][labels]  # one 32-bit gather per pixel instead of four bytes
    across = labels[:, 1:] != labels[:, :-1]
    down = labels[1:, :] != labels[:-1, :]
    edge = np.zeros(labels.shape, bool)
    edge[:, 1:] |= across
    edge[:, :-1] |= across
    edge[1:, :] |= down
    edge[:-1, :] |= down
    edge &= labels > 0
    packed[edge] = np.array([255, 255, 255, 255], np.uint8).view(np.uint32)[0]
    return packed.view(np.uint8).reshape(*labels.shape, 4)

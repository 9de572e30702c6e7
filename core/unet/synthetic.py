"""Generated microscopy-like images with exact masks: for demos and screenshots, with no data download."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def synthetic_cells(height: int, width: int, seed: int, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(HxWx3 uint8 image, HxW uint8 labels): stained, textured ellipses (1 = cell) on an uneven background."""
    rng = np.random.default_rng(seed)
    count = count or int(rng.integers(6, 12))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    labels = np.zeros((height, width), np.uint8)
    for _ in range(count):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        a, b = rng.uniform(8, 26, 2)
        angle = rng.uniform(0, np.pi)
        dy, dx = yy - cy, xx - cx
        u = dx * np.cos(angle) + dy * np.sin(angle)
        v = -dx * np.sin(angle) + dy * np.cos(angle)
        labels[(u / a) ** 2 + (v / b) ** 2 <= 1] = 1
    shade = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)), 25)
    shade = shade / (np.abs(shade).max() + 1e-6)
    texture = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)), 1.5) * 3
    cell = ndimage.gaussian_filter(labels.astype(np.float32), 1.2)
    background = np.array([232.0, 226.0, 236.0])
    stain = np.array([-95.0, -120.0, -45.0])
    image = background + shade[..., None] * 12 + cell[..., None] * stain + texture[..., None] * 8
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), labels

"""RGBA pictures of a segmentation for display and export (numpy only, so workers can build them)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def contour(mask: np.ndarray, width: int = 1) -> np.ndarray:
    """The pixels of ``mask`` within ``width`` pixels of its edge."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return mask
    inner = ndimage.binary_erosion(mask, iterations=max(1, int(width)), border_value=0)
    return mask & ~inner


def object_rgba(mask: np.ndarray, color, fill_alpha: int = 110, contour_width: int = 1) -> np.ndarray:
    """The object filled with a translucent ``color`` and outlined in it, transparent elsewhere."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros((*mask.shape, 4), dtype=np.uint8)
    out[mask, :3] = color
    out[mask, 3] = fill_alpha
    edge = contour(mask, contour_width)
    out[edge, :3] = color
    out[edge, 3] = 255
    return out


# blue (sure background) -> transparent at 0.5 (unsure) -> red (sure object)
def probability_rgba(prob: np.ndarray) -> np.ndarray:
    """Probabilities as a diverging heat map whose opacity is the model's confidence: unsure pixels, where
    another click helps most, show the image through."""
    p = np.clip(np.asarray(prob, dtype=np.float32), 0, 1)
    confidence = np.abs(2 * p - 1)
    out = np.zeros((*p.shape, 4), dtype=np.uint8)
    out[..., 0] = np.where(p >= 0.49, 230, 40)
    out[..., 1] = np.where(p >= 0.49, 60, 110)
    out[..., 2] = np.where(p >= 0.49, 40, 230)
    out[..., 3] = (40 + 180 * confidence).astype(np.uint8)
    unsure = confidence < 0.2
    out[unsure] = (255, 230, 0, 230)  # the uncertain band, in yellow
    return out


def overlay_image(rgb: np.ndarray, labels: np.ndarray, colors: np.ndarray, opacity: float = 0.5,
                  outline: bool = True) -> np.ndarray:
    """The image with its label map blended on top (and outlined), as exported with "Export overlay"."""
    rgb = np.asarray(rgb, dtype=np.float32)
    labels = np.asarray(labels)
    colors = np.asarray(colors, dtype=np.float32)
    out = rgb.copy()
    inside = labels > 0
    out[inside] = (1 - opacity) * rgb[inside] + opacity * colors[labels[inside]]
    if outline:
        for value in np.unique(labels[inside]):
            edge = contour(labels == value)
            out[edge] = colors[value]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)

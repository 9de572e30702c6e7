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


def object_rgba(mask: np.ndarray, color, fill_alpha: int = 110) -> np.ndarray:
    """The object filled with a translucent ``color`` and outlined twice, dark outside and white inside,
    so the outline stays visible on any image, also where the object has the label's own colour."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros((*mask.shape, 4), dtype=np.uint8)
    out[mask, :3] = color
    out[mask, 3] = fill_alpha
    outer = contour(mask, 1)
    inner = contour(mask, 2) & ~outer
    out[outer] = (20, 20, 20, 255)
    out[inner] = (255, 255, 255, 255)
    return out


def probability_rgba(prob: np.ndarray) -> np.ndarray:
    """Probabilities over the image: the object in red (stronger where surer), background just below the
    threshold in blue, the uncertain band around 0.5 in yellow (where another click helps most); confident
    background stays clear so the image shows through."""
    p = np.clip(np.asarray(prob, dtype=np.float32), 0, 1)
    out = np.zeros((*p.shape, 4), dtype=np.uint8)
    inside = p > 0.49
    out[inside, 0], out[inside, 1], out[inside, 2] = 230, 50, 40
    out[inside, 3] = (90 + 150 * np.clip((p[inside] - 0.5) * 2, 0, 1)).astype(np.uint8)
    outside = ~inside
    closeness = np.clip(p[outside] / 0.49, 0, 1) ** 2
    out[outside, 0], out[outside, 1], out[outside, 2] = 40, 110, 240
    out[outside, 3] = (170 * closeness).astype(np.uint8)
    unsure = np.abs(p - 0.5) < 0.08
    out[unsure] = (255, 220, 0, 220)
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

"""Label colours shared by mask files and overlays: 0 is background, 1..255 are visible, distinct colours."""

from __future__ import annotations

import colorsys

import numpy as np

# Hand-picked first colours (high contrast on photos and on black), then golden-angle hues.
_BASE = [
    (0, 0, 0),
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0),
    (170, 255, 195), (128, 128, 0), (255, 215, 180), (0, 0, 128), (128, 128, 128),
]


def _generated(index: int) -> tuple[int, int, int]:
    hue = (index * 0.618033988749895) % 1.0
    sat = 0.65 + 0.3 * ((index * 7) % 3) / 2
    val = 0.95 - 0.25 * ((index * 5) % 2)
    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return int(r * 255), int(g * 255), int(b * 255)


def label_colors(count: int = 256) -> np.ndarray:
    """``count`` x 3 uint8 colours; row 0 is black (background), every other row is bright enough to see."""
    colors = [_BASE[i] if i < len(_BASE) else _generated(i) for i in range(count)]
    return np.asarray(colors, dtype=np.uint8)


LABEL_COLORS = label_colors(256)


def flat_palette() -> list[int]:
    """The 768-entry flat palette Pillow's ``putpalette`` expects."""
    return LABEL_COLORS.reshape(-1).tolist()


def color_of(label: int) -> tuple[int, int, int]:
    r, g, b = LABEL_COLORS[int(label) % 256]
    return int(r), int(g), int(b)

"""The hover readout of a pixel: coordinates, the stored value (not the display value), the label."""

from __future__ import annotations

import numpy as np

from core.imageio import LoadedImage


def describe_pixel(image: LoadedImage, labels: np.ndarray | None, row: int, col: int, shown=None) -> str:
    """The status-bar text for a pixel: coordinates, stored value, display RGB (``shown``: as drawn under
    the contrast limits), label."""
    r, g, b = (int(v) for v in (shown if shown is not None else image.rgb[row, col]))
    parts = [f"x {col}, y {row}"]
    if image.raw is not None:
        raw = image.value_at(row, col)
        stored = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in raw)
        parts.append(f"value {stored} ({image.meta.bit_depth}-bit)")
        parts.append(f"shown as {r}" if r == g == b else f"shown as RGB ({r}, {g}, {b})")
    elif r == g == b and image.meta.mode in ("L", "1", "LA", "I;16", "I"):
        parts.append(f"value {r}")
    else:
        parts.append(f"RGB ({r}, {g}, {b})")
    if labels is not None:
        parts.append(f"label {int(labels[row, col])}")
    return " · ".join(parts)

"""EXIF orientation: read the tag whatever type it was stored with, and apply it without copying.

Writers store Orientation as SHORT (the standard), but also as LONG, ASCII ("6") or RATIONAL (6/1). Any of
them is used when it names one of the eight orientations; anything else is ignored with a note. Decoded
strips are written into a view of the output array laid out as stored (flips and transposes are views), so
orienting costs no copy of the image.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

ORIENTATION_TAG = 0x0112
SWAPS_AXES = {5, 6, 7, 8}


def parse_orientation(value) -> tuple[int, str | None]:
    """(orientation to apply, note) for a raw tag value; invalid values give (1, a note saying why)."""
    if value is None:
        return 1, None
    original = value
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        value = value.strip().strip("\x00").strip()
        number = int(value) if value.isdigit() and len(value) < 4 else None
    elif isinstance(value, Real):
        try:
            as_float = float(value)
        except (ValueError, ZeroDivisionError, OverflowError):
            as_float = math.nan
        number = int(as_float) if math.isfinite(as_float) and as_float == int(as_float) else None
    else:
        number = None
    if number is not None and 1 <= number <= 8:
        return number, None
    shown = repr(original)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return 1, f"EXIF orientation {shown} is not one of 1..8; ignored (shown as stored)"


def oriented_shape(stored_height: int, stored_width: int, orientation: int) -> tuple[int, int]:
    if orientation in SWAPS_AXES:
        return stored_width, stored_height
    return stored_height, stored_width


def stored_view(oriented: np.ndarray, orientation: int) -> np.ndarray:
    """A view of ``oriented`` (the image as shown) in the layout it was stored in: writing the stored image
    into this view leaves ``oriented`` correctly oriented. (The inverse of the EXIF spec's eight transforms.)"""
    swap = (1, 0) + tuple(range(2, oriented.ndim))
    if orientation == 2:
        return oriented[:, ::-1]
    if orientation == 3:
        return oriented[::-1, ::-1]
    if orientation == 4:
        return oriented[::-1, :]
    if orientation == 5:
        return oriented.transpose(swap)
    if orientation == 6:
        return np.rot90(oriented, 1)
    if orientation == 7:
        return oriented.transpose(swap)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(oriented, -1)
    return oriented


def apply_orientation(stored: np.ndarray, orientation: int) -> np.ndarray:
    """A new contiguous array: ``stored`` as shown (for small arrays such as thumbnails)."""
    height, width = oriented_shape(stored.shape[0], stored.shape[1], orientation)
    out = np.empty((height, width) + stored.shape[2:], stored.dtype)
    stored_view(out, orientation)[...] = stored
    return out

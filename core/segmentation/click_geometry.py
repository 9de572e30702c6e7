"""Pixel geometry of clicks and strokes on a grid, and the mask decisions that follow from it: seeds, distances,
which clicks a later click overrules, which parts of a cut are kept."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from core.segmentation.click_types import Click, Stroke
from core.segmentation.label_map import disc_stroke

EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity


def nearest_pixel(row: float, col: float, shape) -> tuple[int, int]:
    """The grid pixel nearest to (row, col), clamped into ``shape``."""
    return min(shape[0] - 1, max(0, round(row))), min(shape[1] - 1, max(0, round(col)))


def discs(shape, clicks, radius) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    h, w = shape
    for c in clicks:
        r0, r1 = int(max(0, np.floor(c.row - radius))), int(min(h, np.ceil(c.row + radius) + 1))
        c0, c1 = int(max(0, np.floor(c.col - radius))), int(min(w, np.ceil(c.col + radius) + 1))
        yy, xx = np.ogrid[r0:r1, c0:c1]
        out[r0:r1, c0:c1] |= (yy - c.row) ** 2 + (xx - c.col) ** 2 <= radius**2
        out[nearest_pixel(c.row, c.col, shape)] = True
    return out


def seeds(interactions, radius, shape) -> np.ndarray:
    """Every pixel within ``radius`` of a click, and every pixel a stroke's brush covers."""
    out = discs(shape, [i for i in interactions if isinstance(i, Click)], radius)
    for stroke in (i for i in interactions if isinstance(i, Stroke)):
        pixels, region = disc_stroke(shape, stroke.points, stroke.radius)
        if not region.empty:
            out[region.slices] |= pixels
    return out


def points_of(interactions) -> list[tuple[float, float]]:
    """Each click's point and each stroke's polyline points."""
    points = [(i.row, i.col) for i in interactions if isinstance(i, Click)]
    return points + [pt for i in interactions if isinstance(i, Stroke) for pt in i.points]


def distance_to(shape, interactions) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest click or stroke point."""
    free = np.ones(shape, dtype=bool)
    for row, col in points_of(interactions):
        free[nearest_pixel(row, col, shape)] = False
    return ndimage.distance_transform_edt(free).astype(np.float32)


def latest_wins(interactions: list, radius: float) -> list:
    """The interactions without clicks that a later click of the other label, within ``radius``, contradicts."""
    out = []
    for k, item in enumerate(interactions):
        if isinstance(item, Click) and any(
            isinstance(later, Click) and later.positive != item.positive
            and (later.row - item.row) ** 2 + (later.col - item.col) ** 2 <= radius**2
            for later in interactions[k + 1 :]
        ):
            continue
        out.append(item)
    return out


def connected_to(mask: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """The parts of ``mask`` that touch ``anchors`` (a cut keeps what is connected to the user's clicks)."""
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    keep = np.unique(labels[anchors & mask])
    keep = keep[keep > 0]
    return np.isin(labels, keep)

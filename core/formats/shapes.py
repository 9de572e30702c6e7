"""Object masks as COCO RLE and as polygons, both ways, exactly.

RLE is pycocotools' own encoder and decoder (the reference implementation every COCO tool uses).

Polygons are traced with scikit-image's marching squares at level 0.5 through the pixel centres, so every
vertex sits half-way between an object pixel and a background pixel (coordinates in COCO's convention: pixel
(col, row) covers [col, col+1) x [row, row+1), so its centre is (col + 0.5, row + 0.5)). Such a polygon
separates the centres of object pixels from the others, and pycocotools' rasteriser gives back exactly the
traced mask (checked on every polygon written: :func:`polygons_reproduce`). Only collinear vertices are
dropped. A COCO polygon list is a union, so it cannot carry holes: objects with holes are written as RLE
(COCO) or as one polygon joined to its holes by zero-width cuts (YOLO; the way Ultralytics joins segments).
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as coco_mask

SNAP = 1024  # imported polygon coordinates are snapped to 1/1024 pixel (undoes decimal rounding in files)


# RLE ------------------------------------------------------------------------------------------------------
def encode_rle(mask: np.ndarray) -> dict:
    """Compressed COCO RLE of a full-image boolean mask: {"size": [h, w], "counts": str}."""
    rle = coco_mask.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def encode_rle_crop(crop: np.ndarray, top: int, left: int, height: int, width: int,
                    buffer: np.ndarray | None = None) -> dict:
    """RLE of a mask given as a crop at (top, left) of a height x width image. ``buffer`` (a zeroed uint8
    Fortran-order height x width array) is reused between calls and left zeroed."""
    if buffer is None:
        buffer = np.zeros((height, width), dtype=np.uint8, order="F")
    h, w = crop.shape
    view = buffer[top:top + h, left:left + w]
    view[...] = crop
    try:
        rle = coco_mask.encode(buffer)
    finally:
        view[...] = 0
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def decode_rle(rle: dict) -> np.ndarray:
    """A boolean mask from compressed (str/bytes counts) or uncompressed (list counts) COCO RLE."""
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        compressed = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    else:
        compressed = {"size": [height, width], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return coco_mask.decode(compressed).astype(bool)


# polygons -------------------------------------------------------------------------------------------------
def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _without_collinear(ring: np.ndarray) -> np.ndarray:
    """Drop the vertices of a closed ring that lie on the straight line through their neighbours (exact:
    the coordinates are multiples of 0.5)."""
    if len(ring) < 3:
        return ring
    before = ring - np.roll(ring, 1, axis=0)
    after = np.roll(ring, -1, axis=0) - ring
    turning = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0] != 0
    return ring[turning]


def mask_rings(crop: np.ndarray, top: int = 0, left: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(outer rings, hole rings) of a boolean mask crop placed at (top, left): each ring an N x 2 float array
    of (x, y) vertices in image coordinates, not repeating its first vertex."""
    from skimage.measure import find_contours

    padded = np.pad(np.asarray(crop, dtype=np.float32), 1)
    outers, holes = [], []
    for contour in find_contours(padded, 0.5):
        if len(contour) > 1 and np.array_equal(contour[0], contour[-1]):
            contour = contour[:-1]
        contour = _without_collinear(contour)
        if len(contour) < 3:
            continue
        ring = np.stack([contour[:, 1] - 1 + left + 0.5, contour[:, 0] - 1 + top + 0.5], axis=1)
        # marching squares winds around the object one way and around holes the other way
        (outers if _signed_area(ring) > 0 else holes).append(ring)
    return outers, holes


def flat(ring: np.ndarray) -> list[float]:
    """COCO's [x1, y1, x2, y2, ...] (half-integers stay exact in JSON)."""
    return [float(v) for v in np.asarray(ring, dtype=np.float64).reshape(-1)]


def rasterize(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """The union of COCO polygons as a boolean mask (pycocotools' rasteriser)."""
    polygons = [p for p in polygons if len(p) >= 6]
    if not polygons:
        return np.zeros((height, width), bool)
    rles = coco_mask.frPyObjects([list(map(float, p)) for p in polygons], height, width)
    return coco_mask.decode(coco_mask.merge(rles)).astype(bool)


def polygons_reproduce(polygons: list[list[float]], crop: np.ndarray, top: int, left: int) -> bool:
    """Whether rasterising ``polygons`` gives exactly ``crop`` (checked in the crop's frame)."""
    h, w = crop.shape
    shifted = []
    for polygon in polygons:
        xy = np.asarray(polygon, dtype=np.float64).reshape(-1, 2) - (left, top)
        shifted.append(xy.reshape(-1).tolist())
    return bool(np.array_equal(rasterize(shifted, h, w), np.asarray(crop, dtype=bool)))


def join_rings(rings: list[np.ndarray]) -> np.ndarray:
    """One polygon through all ``rings``: each ring is spliced in at the vertex nearest to the polygon so
    far and left again by the same way (a zero-width cut). Even-odd filling of the result gives the rings'
    parts and holes."""
    from scipy.spatial import cKDTree

    joined = np.asarray(rings[0], dtype=np.float64)
    for ring in rings[1:]:
        ring = np.asarray(ring, dtype=np.float64)
        gaps, nearest = cKDTree(ring).query(joined)  # for each vertex so far, the ring's nearest vertex
        i = int(np.argmin(gaps))
        j = int(nearest[i])
        loop = np.concatenate([ring[j:], ring[:j + 1]])  # around the ring, back to its first vertex
        joined = np.concatenate([joined[:i + 1], loop, joined[i:]])
    return joined


def snap(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64) * SNAP) / SNAP

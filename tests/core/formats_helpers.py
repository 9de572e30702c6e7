"""Small generated workspaces for the format tests: object label maps with names, holes, disconnected parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.maskio import write_mask
from core.workspace import Workspace

CATEGORIES = ("cell", "nucleus", "debris")


def object_map(height: int, width: int, seed: int, objects: int = 4) -> tuple[np.ndarray, dict]:
    """A label map of ``objects`` non-overlapping shapes (ellipses, rings with a hole, two-part objects),
    ids 1..n named "<category> <k>" the way imports and instance splits name them."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    labels = np.zeros((height, width), np.uint8)
    names: dict[int, str] = {}
    counters: dict[str, int] = {}
    for label in range(1, objects + 1):
        cy, cx = rng.uniform(3, height - 3), rng.uniform(3, width - 3)
        ry, rx = rng.uniform(2, height / 4), rng.uniform(2, width / 4)
        shape = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        kind = label % 3
        if kind == 1 and min(ry, rx) > 3:  # a ring: a hole in the middle
            shape &= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 > 0.2
        if kind == 2:  # a second, separate part
            shape |= (np.abs(yy - rng.uniform(0, height)) < 2) & (np.abs(xx - rng.uniform(0, width)) < 2)
        free = shape & (labels == 0)
        if not free.any():
            continue
        labels[free] = label
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        counters[category] = counters.get(category, 0) + 1
        names[label] = f"{category} {counters[category]}"
    present = set(np.unique(labels).tolist())
    return labels, {k: v for k, v in names.items() if k in present}


def make_workspace(root: Path, count: int, size: tuple[int, int] = (24, 32), unannotated: int = 0,
                   seed: int = 0) -> Workspace:
    """``count`` images with masks (plus ``unannotated`` without), small random RGB images."""
    workspace = Workspace.open(root)
    rng = np.random.default_rng(seed)
    for index in range(count + unannotated):
        height, width = size[0] + index % 5, size[1] + index % 7
        path = workspace.images_dir / f"img{index:03d}.png"
        Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(path)
        if index < count:
            labels, names = object_map(height, width, seed * 1000 + index, objects=int(rng.integers(1, 7)))
            write_mask(workspace.mask_path(path), labels, names)
    return workspace


def masks_of(workspace: Workspace) -> dict[str, tuple[np.ndarray, dict]]:
    from core.maskio import read_mask

    out = {}
    for path in sorted(workspace.masks_dir.glob("*.png")):
        loaded = read_mask(path)
        out[path.name] = (loaded.labels, dict(loaded.report.names))
    return out


def in_order(labels: np.ndarray, names: dict) -> tuple[np.ndarray, dict]:
    """Ids renumbered 1..n in their order (a format without label ids, like YOLO, gives back this)."""
    present = [int(v) for v in np.unique(labels) if v]
    lookup = np.zeros(256, np.uint8)
    lookup[present] = np.arange(1, len(present) + 1)
    return lookup[labels], {int(lookup[k]): v for k, v in names.items() if k in present}


def assert_same_masks(a: dict, b: dict, renumbered: bool = False) -> None:
    """Two :func:`masks_of` results hold identical label maps and names (``renumbered``: up to ids, which
    keep their order)."""
    assert a.keys() == b.keys()
    for key in a:
        (la, na), (lb, nb) = (in_order(*a[key]), in_order(*b[key])) if renumbered else (a[key], b[key])
        assert np.array_equal(la, lb), key
        assert na == nb, key

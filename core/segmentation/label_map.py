"""A multi-object label map with brush, eraser, fill and accept-object edits, undoable step by step.

Each edit stores only the rectangle it changed (old and new values), so hundreds of undo steps cost little
memory even on large images, and every edit reports that rectangle so a view repaints only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

MAX_LABEL = 255


@dataclass(frozen=True)
class Region:
    """Rows ``top:bottom`` and columns ``left:right`` of the label map (half-open)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    @property
    def empty(self) -> bool:
        return self.bottom <= self.top or self.right <= self.left

    def union(self, other: Region | None) -> Region:
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Region(min(self.top, other.top), min(self.left, other.left),
                      max(self.bottom, other.bottom), max(self.right, other.right))


@dataclass
class _Edit:
    region: Region
    before: np.ndarray
    after: np.ndarray
    names_before: dict
    names_after: dict


def region_of(mask: np.ndarray) -> Region:
    """The bounding rectangle of the True pixels of ``mask`` (empty if none)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return Region(0, 0, 0, 0)
    cols = np.flatnonzero(mask.any(axis=0))
    return Region(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def disc_stroke(shape: tuple[int, int], points, radius: float) -> tuple[np.ndarray, Region]:
    """Pixels within ``radius`` of the polyline through ``points`` ((row, col) pairs), cropped to their
    bounding region: (mask of the region's shape, region)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if pts.size == 0:
        return np.zeros((0, 0), bool), Region(0, 0, 0, 0)
    h, w = shape
    r = max(float(radius), 0.5)
    top = max(0, int(np.floor(pts[:, 0].min() - r)))
    left = max(0, int(np.floor(pts[:, 1].min() - r)))
    bottom = min(h, int(np.ceil(pts[:, 0].max() + r)) + 1)
    right = min(w, int(np.ceil(pts[:, 1].max() + r)) + 1)
    region = Region(top, left, bottom, right)
    if region.empty:
        return np.zeros((0, 0), bool), region
    yy, xx = np.mgrid[top:bottom, left:right].astype(np.float64)
    out = np.zeros((bottom - top, right - left), dtype=bool)
    segments = [(pts[0], pts[0])] if len(pts) == 1 else list(zip(pts[:-1], pts[1:], strict=True))
    for a, b in segments:
        d = b - a
        length2 = float(d @ d)
        if length2 == 0:
            t = np.zeros_like(yy)
        else:
            t = np.clip(((yy - a[0]) * d[0] + (xx - a[1]) * d[1]) / length2, 0, 1)
        out |= (yy - (a[0] + t * d[0])) ** 2 + (xx - (a[1] + t * d[1])) ** 2 <= r * r
    return out, region


def fill_region(labels: np.ndarray, row: int, col: int) -> tuple[Region, np.ndarray]:
    """The 4-connected region of equal labels around (row, col): (bounding region, mask within it)."""
    h, w = labels.shape
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"({row}, {col}) is outside the {w}x{h} label map")
    components, _ = ndimage.label(labels == labels[row, col])
    region_mask = components == components[row, col]
    region = region_of(region_mask)
    return region, region_mask[region.slices]


class LabelMap:
    """Labels 0 (background) .. 255 with names; edits are undoable (``max_undo`` steps, default 200)."""

    def __init__(self, shape: tuple[int, int], labels: np.ndarray | None = None,
                 names: dict[int, str] | None = None, max_undo: int = 200):
        if labels is None:
            labels = np.zeros(shape, dtype=np.uint8)
        labels = np.asarray(labels)
        if labels.shape != tuple(shape):
            raise ValueError(f"label map is {labels.shape[1]}x{labels.shape[0]}, the image is {shape[1]}x{shape[0]}")
        self.labels = np.ascontiguousarray(labels, dtype=np.uint8).copy()
        self.names: dict[int, str] = {int(k): str(v) for k, v in (names or {}).items() if int(k) > 0}
        for value in np.unique(self.labels):
            if value and int(value) not in self.names:
                self.names[int(value)] = f"object {int(value)}"
        self.max_undo = max_undo
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self.revision = 0  # bumped by every change, for autosave and views

    # queries ----------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape

    def used_labels(self) -> list[int]:
        return sorted(self.names)

    def next_label(self) -> int:
        used = set(self.names)
        for value in range(1, MAX_LABEL + 1):
            if value not in used:
                return value
        raise ValueError(f"all {MAX_LABEL} labels are in use")

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # edits ------------------------------------------------------------------------------------------
    def paint(self, points, radius: float, label: int, only_label: int | None = None) -> Region:
        """Brush (``label`` > 0) or eraser (``label`` 0) along ``points``; ``only_label`` limits the change
        to pixels that have that label (erase one object without touching its neighbours)."""
        self._check_label(label)
        stroke, region = disc_stroke(self.shape, points, radius)
        if region.empty:
            return region
        if only_label is not None:
            stroke &= self.labels[region.slices] == only_label
        return self._apply(region, stroke, label)

    def fill(self, row: int, col: int, label: int) -> Region:
        """Flood-fill the 4-connected region of equal labels containing (row, col) with ``label``."""
        self._check_label(label)
        region, selected = fill_region(self.labels, row, col)
        return self._apply(region, selected, label)

    def apply_fill(self, region: Region, selected: np.ndarray, label: int) -> Region:
        """Apply a fill computed elsewhere by :func:`fill_region` (on a worker, for large maps)."""
        self._check_label(label)
        return self._apply(region, selected, label)

    def set_mask(self, mask: np.ndarray, label: int, overwrite: bool = True, name: str | None = None) -> Region:
        """Give ``label`` to the True pixels of ``mask`` (accepting an object). Without ``overwrite``, pixels
        that already belong to another object keep their label."""
        self._check_label(label)
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.shape:
            raise ValueError(f"mask shape {mask.shape} differs from the label map's {self.shape}")
        region = region_of(mask)
        selected = mask[region.slices]
        if not overwrite:
            selected = selected & (self.labels[region.slices] == 0)
        names_after = dict(self.names)
        if label and name is not None:
            names_after[label] = name
        elif label and label not in names_after:
            names_after[label] = f"object {label}"
        return self._apply(region, selected, label, names_after)

    def replace_object(self, mask: np.ndarray, label: int, name: str | None = None,
                       region: Region | None = None) -> Region:
        """Make object ``label`` exactly ``mask``, minus pixels of other objects (accepting a segmented or
        corrected object never eats its neighbours). With ``region``, ``mask`` is cropped to it: on a
        12-megapixel map the work is then proportional to the object, not the image."""
        if not 1 <= int(label) <= MAX_LABEL:
            raise ValueError(f"object labels are 1..{MAX_LABEL}, got {label}")
        mask = np.asarray(mask, dtype=bool)
        if region is None:
            if mask.shape != self.shape:
                raise ValueError(f"mask shape {mask.shape} differs from the label map's {self.shape}")
            region = region_of(mask)
            mask = mask[region.slices]
        elif mask.shape != (region.bottom - region.top, region.right - region.left):
            raise ValueError(f"mask shape {mask.shape} does not match its region {region}")
        current = region_of(self.labels == label) if label in self.names else Region(0, 0, 0, 0)
        union = region.union(current)
        names_after = dict(self.names)
        names_after[label] = name if name is not None else names_after.get(label, f"object {label}")
        if union.empty:
            return self._apply(union, np.zeros((0, 0), bool), label, names_after)
        view = self.labels[union.slices]
        before = view.copy()
        new = view.copy()
        new[new == label] = 0
        placed = np.zeros(new.shape, dtype=bool)
        if not region.empty:
            placed[region.top - union.top : region.bottom - union.top,
                   region.left - union.left : region.right - union.left] = mask
        new[placed & (new == 0)] = label
        if np.array_equal(before, new) and names_after == self.names:
            return Region(0, 0, 0, 0)
        self._record(_Edit(union, before, new.copy(), dict(self.names), names_after))
        view[...] = new
        self.names = names_after
        return union

    def object_mask(self, label: int) -> np.ndarray:
        return self.labels == label

    def remove_label(self, label: int) -> Region:
        """Delete an object: its pixels become background and its name is dropped (undoable)."""
        mask = self.labels == label
        region = region_of(mask)
        names_after = {k: v for k, v in self.names.items() if k != label}
        return self._apply(region, mask[region.slices], 0, names_after)

    def rename(self, label: int, name: str) -> None:
        if label not in self.names:
            raise ValueError(f"no object with label {label}")
        names_after = dict(self.names)
        names_after[label] = str(name)
        self._apply(Region(0, 0, 0, 0), np.zeros((0, 0), bool), 0, names_after)

    def replace(self, labels: np.ndarray, names: dict[int, str] | None = None) -> Region:
        """Replace the whole map (loading a prior or a saved mask), as one undoable step."""
        labels = np.asarray(labels)
        if labels.shape != self.shape:
            raise ValueError(f"label map shape {labels.shape} differs from {self.shape}")
        region = Region(0, 0, *self.shape)
        before = self.labels.copy()
        names_after = {int(k): str(v) for k, v in (names or {}).items() if int(k) > 0}
        for value in np.unique(labels):
            if value and int(value) not in names_after:
                names_after[int(value)] = f"object {int(value)}"
        self._record(_Edit(region, before, labels.astype(np.uint8).copy(), dict(self.names), names_after))
        self.labels[...] = labels
        self.names = names_after
        return region

    def _apply(self, region: Region, selected: np.ndarray, label: int, names_after: dict | None = None) -> Region:
        names_after = dict(self.names) if names_after is None else names_after
        if label and label not in names_after:
            names_after[label] = f"object {label}"
        if region.empty or not selected.any():
            if names_after != self.names:
                self._record(_Edit(Region(0, 0, 0, 0), np.zeros((0, 0), np.uint8), np.zeros((0, 0), np.uint8),
                                   dict(self.names), names_after))
                self.names = names_after
            return Region(0, 0, 0, 0)
        view = self.labels[region.slices]
        before = view.copy()
        view[selected] = label
        if np.array_equal(before, view) and names_after == self.names:
            return Region(0, 0, 0, 0)
        self._record(_Edit(region, before, view.copy(), dict(self.names), names_after))
        self.names = names_after
        return region

    def _record(self, edit: _Edit) -> None:
        self._undo.append(edit)
        if len(self._undo) > self.max_undo:
            del self._undo[0]
        self._redo.clear()
        self.revision += 1

    def group(self, count: int) -> Region:
        """Merge the last ``count`` edits into one undo step (a brush stroke painted segment by segment)."""
        count = min(int(count), len(self._undo))
        if count <= 1:
            return self._undo[-1].region if count == 1 else Region(0, 0, 0, 0)
        edits = self._undo[-count:]
        region = Region(0, 0, 0, 0)
        for edit in edits:
            region = region.union(edit.region)
        before = self.labels[region.slices].copy()
        for edit in reversed(edits):  # newest first, so the oldest 'before' wins
            if not edit.region.empty:
                r = edit.region
                before[r.top - region.top : r.bottom - region.top, r.left - region.left : r.right - region.left] = (
                    edit.before)
        merged = _Edit(region, before, self.labels[region.slices].copy(), edits[0].names_before,
                       edits[-1].names_after)
        del self._undo[-count:]
        self._undo.append(merged)
        return region

    def undo(self) -> Region | None:
        """Revert the last edit; returns the region it changed, or None if there is nothing to undo."""
        return self._replay(self._undo, self._redo, forward=False)

    def redo(self) -> Region | None:
        return self._replay(self._redo, self._undo, forward=True)

    def _replay(self, source: list[_Edit], target: list[_Edit], forward: bool) -> Region | None:
        """Move the newest edit of ``source`` to ``target``, applying its after (redo) or before (undo)."""
        if not source:
            return None
        edit = source.pop()
        if not edit.region.empty:
            self.labels[edit.region.slices] = edit.after if forward else edit.before
        self.names = dict(edit.names_after if forward else edit.names_before)
        target.append(edit)
        self.revision += 1
        return edit.region

    @staticmethod
    def _check_label(label: int) -> None:
        if not 0 <= int(label) <= MAX_LABEL:
            raise ValueError(f"label must be in 0..{MAX_LABEL}, got {label}")

"""Instances: touching objects of one class in a semantic label map, separated into one label each.

A U-Net writes a *class* map: every pixel of every cell is class 1, touching cells included. Instance tools
(Cellpose, napari, Fiji, COCO) want one id per object. Two ways to get there, per class:

- ``components``: each 8-connected region is one instance (right when objects never touch);
- ``watershed``: the distance transform of the class mask peaks near each object's centre; every peak (a
  plateau counts as one) seeds a watershed on the negated distance, so a waist between two touching round
  objects becomes the border between them. Peaks closer than ``min_distance`` pixels to a higher peak join
  it: the parameter is the smallest distance between two objects' centres, and raising it merges
  over-split objects.

The label-map operations the Segment panel needs (split one object, split every class, merge objects)
are plain functions here that return a new (labels, names) pair; the panel applies it as one undoable step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

INSTANCE_METHODS = ("components", "watershed")
DEFAULT_MIN_DISTANCE = 5
MIN_DYNAMIC = 1.0  # pixels a seed must rise above the saddle to the next higher seed
_EIGHT = np.ones((3, 3), dtype=bool)
_NUMBERED = re.compile(r"^(.*\S)[\s#]+(\d+)$")


def category_of(name: str) -> str:
    """The category an object's name belongs to: the name without a trailing instance number.

    "cell 3" and "cell #12" are category "cell"; "object 4" (the Segment panel's default) is "object"; a name
    without a number ("tumour", "R2D2") is its own category."""
    name = str(name).strip()
    match = _NUMBERED.match(name)
    return match.group(1).strip() if match else name


def numbered_name(category: str, number: int) -> str:
    return f"{category} {int(number)}"


@dataclass(frozen=True)
class InstanceOptions:
    method: str = "watershed"  # components | watershed
    min_distance: float = DEFAULT_MIN_DISTANCE  # pixels between seeds (watershed only)

    def __post_init__(self) -> None:
        if self.method not in INSTANCE_METHODS:
            raise ValueError(f"instance method must be one of {', '.join(INSTANCE_METHODS)}, not {self.method!r}")
        if not self.min_distance >= 0:
            raise ValueError(f"min_distance must be >= 0, got {self.min_distance}")


def _seeds(distance: np.ndarray, mask: np.ndarray, min_distance: float) -> np.ndarray:
    """Watershed markers: the distance transform's regional maxima that rise at least ``MIN_DYNAMIC`` above
    the way to any higher one (h-maxima: the ripples a pixel grid puts along the ridge between two touching
    round objects are not objects), plateaus whole, those within ``min_distance`` of a higher one merged
    into it. Every connected part of the mask gets at least one seed. Returns int32 markers (0 = none)."""
    from skimage.morphology import h_maxima

    maxima = h_maxima(distance, MIN_DYNAMIC).astype(bool) & mask
    parts, part_count = ndimage.label(mask, structure=_EIGHT)
    seeded = np.zeros(part_count + 1, bool)
    seeded[np.unique(parts[maxima])] = True
    for part in np.flatnonzero(~seeded[1:]) + 1:  # a part whose peak h_maxima did not keep: its top pixel
        where = np.flatnonzero(parts.ravel() == part)
        maxima.ravel()[where[np.argmax(distance.ravel()[where])]] = True
    plateaus, count = ndimage.label(maxima, structure=_EIGHT)
    if count <= 1:
        return plateaus.astype(np.int32)
    heights = np.asarray(ndimage.maximum(distance, plateaus, np.arange(1, count + 1)))
    centres = np.asarray(ndimage.center_of_mass(maxima, plateaus, np.arange(1, count + 1)))
    # the seed of each plateau: its own pixel nearest its centre (a crescent's centre lies outside it)
    coords = np.argwhere(maxima)
    owner = plateaus[maxima] - 1
    points = np.empty((count, 2))
    for index in range(count):
        own = coords[owner == index]
        points[index] = own[np.argmin(((own - centres[index]) ** 2).sum(axis=1))]
    keep_as = np.arange(count)
    kept: list[int] = []
    for index in np.argsort(-heights, kind="stable"):
        if kept and min_distance > 0:
            gaps = np.sqrt(((points[kept] - points[index]) ** 2).sum(axis=1))
            nearest = int(np.argmin(gaps))
            if gaps[nearest] < min_distance:
                keep_as[index] = kept[nearest]
                continue
        kept.append(int(index))
    lookup = np.zeros(count + 1, np.int32)
    lookup[1:] = keep_as + 1
    return lookup[plateaus]


def split_mask(mask: np.ndarray, method: str = "watershed", min_distance: float = DEFAULT_MIN_DISTANCE,
               token=None) -> tuple[np.ndarray, int]:
    """Instances of one binary mask: (int32 HxW, 0 = outside, 1..n, n). Ids follow the raster order of the
    first pixel of each connected region, and within a region of each instance (the same map always gets
    the same ids)."""
    InstanceOptions(method, min_distance)  # validates
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.zeros(mask.shape, np.int32), 0
    if method == "components":
        instances, count = ndimage.label(mask, structure=_EIGHT)
        return instances.astype(np.int32), int(count)
    from skimage.segmentation import watershed

    # One connected region at a time, in its bounding box: the work follows the objects' area, not the
    # image's (a 4000x3000 map of 200 cells is mostly background), and the seeds of one region never
    # interact with another's.
    parts, _ = ndimage.label(mask, structure=_EIGHT)
    result = np.zeros(mask.shape, np.int32)
    offset = 0
    for index, box in enumerate(ndimage.find_objects(parts)):
        if box is None:
            continue
        if token is not None:  # a cancel lands between regions (h-maxima dominate: ~0.1 s per large region)
            token.check()
        region = parts[box] == index + 1
        if region.sum() <= 4:  # too small to hold two objects
            result[box][region] = offset + 1
            offset += 1
            continue
        crop = np.pad(region, 1)  # a border of background so the distance is to the region's edge
        distance = ndimage.distance_transform_edt(crop)
        markers = _seeds(distance, crop, float(min_distance))
        flooded = watershed(-distance, markers, mask=crop) if markers.max() > 1 else crop.astype(np.int32)
        local, count = _renumber_raster(flooded[1:-1, 1:-1])
        result[box][region] = local[region] + offset
        offset += count
    return result, offset


def _renumber_raster(instances: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber ids 1..n in the raster order of each id's first pixel (stable ids for the same map)."""
    flat = instances.ravel()
    ids, first = np.unique(flat, return_index=True)
    order = [int(i) for _, i in sorted(zip(first.tolist(), ids.tolist(), strict=True)) if i]
    lookup = np.zeros(int(ids.max()) + 1, np.int32)
    lookup[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    return lookup[instances], len(order)


@dataclass
class InstanceSplit:
    """Every class of a semantic map split into instances: ``instances`` holds ids 1..n (int32), and for each
    id its class (``classes[id - 1]``) and name ("cell 1", "cell 2", ...)."""

    instances: np.ndarray
    classes: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.classes)


def class_name(label: int, names: dict | None) -> str:
    """A class's name for instance naming: the map's own name, else "class K"."""
    name = (names or {}).get(int(label))
    return str(name) if name else f"class {int(label)}"


def split_classes(labels: np.ndarray, names: dict | None = None, options: InstanceOptions | None = None,
                  token=None) -> InstanceSplit:
    """Split each class of ``labels`` into instances. Instances are numbered class by class (class 1's first,
    each class in raster order), named "<class name> <n>"."""
    options = options or InstanceOptions()
    labels = np.asarray(labels)
    out = np.zeros(labels.shape, np.int32)
    result = InstanceSplit(out)
    boxes = ndimage.find_objects(labels.astype(np.int32, copy=False))
    for index, box in enumerate(boxes):
        if box is None:
            continue
        if token is not None:
            token.check()
        label = index + 1
        parts, count = split_mask(labels[box] == label, options.method, options.min_distance, token)
        if count == 0:
            continue
        offset = result.count
        view = out[box]
        view[parts > 0] = parts[parts > 0] + offset
        base = class_name(label, names)
        result.classes.extend([label] * count)
        result.names.extend(numbered_name(base, n) for n in range(1, count + 1))
    return result


@dataclass(frozen=True)
class LabelMapEdit:
    """A whole-map change for the Segment panel: the new labels and names, what changed, and what could not
    be done (``dropped``: instances that did not fit into the 255 labels of a label map)."""

    labels: np.ndarray
    names: dict
    changed: tuple[int, ...] = ()  # labels created or changed
    dropped: int = 0


MAX_OBJECTS = 255


def split_all(labels: np.ndarray, names: dict | None = None, options: InstanceOptions | None = None,
              token=None) -> LabelMapEdit:
    """Treat every label of ``labels`` as a class and replace the map by its instances (ids 1..n, at most
    255: a label map is 8-bit). Instances beyond 255 become background and are counted in ``dropped``."""
    split = split_classes(labels, names, options, token)
    kept = min(split.count, MAX_OBJECTS)
    lookup = np.zeros(split.count + 1, np.uint8)
    lookup[1:kept + 1] = np.arange(1, kept + 1, dtype=np.uint8)
    new = lookup[split.instances]
    new_names = {i + 1: split.names[i] for i in range(kept)}
    return LabelMapEdit(new, new_names, tuple(range(1, kept + 1)), split.count - kept)


def _free_labels(names: dict, labels: np.ndarray, count: int) -> list[int]:
    used = set(int(k) for k in names) | set(int(v) for v in np.unique(labels))
    free = [v for v in range(1, MAX_OBJECTS + 1) if v not in used]
    return free[:count]


def split_object(labels: np.ndarray, names: dict, label: int, options: InstanceOptions | None = None) -> LabelMapEdit:
    """Split object ``label`` into its instances: the first (in raster order) keeps ``label`` and its name,
    the others get free labels named "<category> <n>" with numbers not yet used in that category."""
    options = options or InstanceOptions()
    labels = np.asarray(labels)
    label = int(label)
    parts, count = split_mask(labels == label, options.method, options.min_distance)
    new_names = {int(k): str(v) for k, v in names.items()}
    if count <= 1:
        return LabelMapEdit(labels.copy(), new_names)
    free = _free_labels(new_names, labels, count - 1)
    new = labels.copy()
    base = category_of(new_names.get(label, f"object {label}"))
    taken = {_number_of(n) for n in new_names.values() if category_of(n) == base}
    number = 1
    changed = [label]
    for part, target in zip(range(2, count + 1), free, strict=False):
        new[parts == part] = target
        while number in taken:
            number += 1
        taken.add(number)
        new_names[target] = numbered_name(base, number)
        changed.append(target)
    dropped = count - 1 - len(free)
    return LabelMapEdit(new, new_names, tuple(changed), max(0, dropped))


def _number_of(name: str) -> int | None:
    match = _NUMBERED.match(str(name).strip())
    return int(match.group(2)) if match else None


def merge_objects(labels: np.ndarray, names: dict, merged: list[int]) -> LabelMapEdit:
    """Merge objects ``merged`` into the first of them (its label and name stay; the others' names go)."""
    merged = [int(v) for v in merged]
    if len(merged) < 2:
        raise ValueError("select at least two objects to merge")
    target, others = merged[0], merged[1:]
    new = np.asarray(labels).copy()
    new[np.isin(new, others)] = target
    new_names = {int(k): str(v) for k, v in names.items() if int(k) not in others}
    new_names.setdefault(target, f"object {target}")
    return LabelMapEdit(new, new_names, (target,))

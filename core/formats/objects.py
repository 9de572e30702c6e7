"""What a label map means as annotations: its objects, their categories, and what could not be taken.

See the package docstring for the mapping. Everything here is shared by the exporters and importers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from core.segmentation.instances import InstanceOptions, category_of, split_classes

INSTANCE_MODES = ("labels", "components", "watershed")
MAX_LABEL = 255


@dataclass(frozen=True)
class Problem:
    """Something an export or import could not take as it was. ``kind`` is a short key (missing_image,
    crowd, overlap, out_of_range, too_many_objects, unknown_category, ...); ``skipped`` says whether data
    was left out (else it was adjusted, e.g. clipped, and the note says how)."""

    path: str
    kind: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class MapObject:
    """One object: a boolean ``mask`` cropped at (``top``, ``left``), its id in the exported instance map
    (``instance``), the label map id it came from, its category and name."""

    instance: int
    source_label: int
    category: str
    name: str
    top: int
    left: int
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def bbox(self) -> list[int]:
        """COCO bbox [x, y, width, height] of the object's pixels."""
        rows = np.flatnonzero(self.mask.any(axis=1))
        cols = np.flatnonzero(self.mask.any(axis=0))
        return [self.left + int(cols[0]), self.top + int(rows[0]), int(cols[-1] - cols[0] + 1),
                int(rows[-1] - rows[0] + 1)]


@dataclass
class MapObjects:
    """The objects of one label map plus the full instance map (uint16 ids, for label TIFFs)."""

    objects: list[MapObject]
    instances: np.ndarray

    def categories(self) -> list[str]:
        return sorted({o.category for o in self.objects})


def object_name(label: int, names: dict | None) -> str:
    """A label's name as the Segment panel shows it (unnamed labels are "object K")."""
    name = (names or {}).get(int(label))
    return str(name) if name else f"object {int(label)}"


def _crops(instances: np.ndarray) -> list[tuple[int, tuple[slice, slice]]]:
    return [(index + 1, box) for index, box in enumerate(ndimage.find_objects(instances)) if box is not None]


def map_objects(labels: np.ndarray, names: dict | None = None, instances: str = "labels",
                min_distance: float = 5, token=None) -> MapObjects:
    """The objects of a label map under the chosen interpretation (see the package docstring)."""
    if instances not in INSTANCE_MODES:
        raise ValueError(f"instances must be one of {', '.join(INSTANCE_MODES)}, not {instances!r}")
    labels = np.asarray(labels)
    objects: list[MapObject] = []
    if instances == "labels":
        ids = labels.astype(np.int32, copy=False)
        for label, box in _crops(ids):
            name = object_name(label, names)
            objects.append(MapObject(label, label, category_of(name), name, box[0].start, box[1].start,
                                     ids[box] == label))
        return MapObjects(objects, labels.astype(np.uint16))
    split = split_classes(labels, names, InstanceOptions(instances, min_distance), token)
    from core.segmentation.instances import class_name

    for instance, box in _crops(split.instances):
        label = split.classes[instance - 1]
        objects.append(MapObject(instance, label, class_name(label, names), split.names[instance - 1],
                                 box[0].start, box[1].start, split.instances[box] == instance))
    if split.count > np.iinfo(np.uint16).max:
        raise ValueError(f"{split.count} instances in one image: more than a uint16 instance map holds")
    return MapObjects(objects, split.instances.astype(np.uint16))


class CategoryTable:
    """Category names -> ids 1..C. ``fixed`` (a list of names) fixes the ids; otherwise they follow the
    order :meth:`seal` is given (names sorted, or class order)."""

    def __init__(self, fixed: list[str] | tuple[str, ...] = ()):
        self.fixed = bool(fixed)
        self._ids: dict[str, int] = {str(n): i for i, n in enumerate(fixed, start=1)}
        if len(self._ids) != len(fixed):
            raise ValueError("the category list names a category twice")

    @classmethod
    def sealed(cls, names) -> CategoryTable:
        return cls(list(dict.fromkeys(names)))

    def id_of(self, name: str) -> int | None:
        return self._ids.get(str(name))

    @property
    def names(self) -> list[str]:
        return list(self._ids)

    def items(self) -> list[tuple[int, str]]:
        return [(i, n) for n, i in self._ids.items()]

    def __len__(self) -> int:
        return len(self._ids)


@dataclass
class CategoryCollector:
    """Collects categories while scanning maps: (first class id seen, name) for ordering."""

    seen: dict = field(default_factory=dict)  # name -> smallest class id

    def add(self, objects: MapObjects) -> None:
        for obj in objects.objects:
            current = self.seen.get(obj.category)
            self.seen[obj.category] = obj.source_label if current is None else min(current, obj.source_label)

    def table(self, instances: str) -> CategoryTable:
        if instances == "labels":
            return CategoryTable.sealed(sorted(self.seen))
        return CategoryTable.sealed(sorted(self.seen, key=lambda n: (self.seen[n], n)))


def stable_image_ids(file_names: list[str]) -> dict[str, int]:
    """COCO image ids that stay the same across exports: 31 bits of the SHA-1 of the file name (so a
    selection gets the ids the full export gives). Clashes (rare) move to the next free id, in name order."""
    ids: dict[str, int] = {}
    taken: set[int] = set()
    for name in sorted(file_names):
        value = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF
        value = value or 1
        while value in taken:
            value = value % 0x7FFFFFFF + 1
        taken.add(value)
        ids[name] = value
    return ids


@dataclass
class ForeignObject:
    """An object read from a foreign file, before it becomes a label: its mask cropped at (top, left),
    category, and optionally the studio's own name and label id (when the file was written by the studio)."""

    category: str
    mask: np.ndarray
    top: int = 0
    left: int = 0
    name: str | None = None
    label: int | None = None

    @classmethod
    def from_full(cls, category: str, mask: np.ndarray, name: str | None = None,
                  label: int | None = None) -> ForeignObject | None:
        """Crop a full-image mask to its pixels (None when it has none): many objects of a large image
        then cost memory in proportion to their size."""
        mask = np.asarray(mask, dtype=bool)
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(mask.any(axis=0))
        crop = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].copy()
        return cls(category, crop, int(rows[0]), int(cols[0]), name, label)

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def slices(self) -> tuple[slice, slice]:
        h, w = self.mask.shape
        return slice(self.top, self.top + h), slice(self.left, self.left + w)


def compose_label_map(shape: tuple[int, int], objects: list[ForeignObject], where: str) -> tuple[
        np.ndarray, dict, list[Problem]]:
    """Objects -> (uint8 label map, names, problems). Each object gets one label: its own ``label`` when
    valid and unique, else the next free one; at most 255 (the smallest objects beyond that are dropped).
    Where objects overlap, the smaller one keeps the pixels (a cell inside a tissue region stays
    visible); objects left without pixels are reported."""
    problems: list[Problem] = []
    objects = [o for o in objects if o.mask.any()]
    if len(objects) > MAX_LABEL:
        by_area = sorted(range(len(objects)), key=lambda i: -objects[i].area)
        keep = sorted(by_area[:MAX_LABEL])
        problems.append(Problem(where, "too_many_objects",
                                f"{len(objects)} objects, but a label map holds {MAX_LABEL}: the "
                                f"{len(objects) - MAX_LABEL} smallest were left out"))
        objects = [objects[i] for i in keep]
    used: set[int] = set()
    labels_of: list[int | None] = []
    for obj in objects:
        hint = obj.label if obj.label is not None and 1 <= obj.label <= MAX_LABEL and obj.label not in used else None
        if hint is not None:
            used.add(hint)
        labels_of.append(hint)
    free = (v for v in range(1, MAX_LABEL + 1) if v not in used)
    labels_of = [hint if hint is not None else next(free) for hint in labels_of]
    counters: dict[str, int] = {}
    names: dict[int, str] = {}
    for obj, label in zip(objects, labels_of, strict=True):
        if obj.name:
            names[label] = obj.name
        else:
            counters[obj.category] = counters.get(obj.category, 0) + 1
            names[label] = f"{obj.category} {counters[obj.category]}"
    out = np.zeros(shape, np.uint8)
    overlapped = 0
    for index in sorted(range(len(objects)), key=lambda i: -objects[i].area):
        obj = objects[index]  # largest first, so smaller objects are painted over them
        view = out[obj.slices]
        mask = obj.mask[: view.shape[0], : view.shape[1]]
        overlapped += int(np.count_nonzero(view[mask]))
        view[mask] = labels_of[index]
    if overlapped:
        problems.append(Problem(where, "overlap", f"{overlapped} pixels belonged to more than one object: "
                                "each went to the smallest of them", skipped=False))
    present = set(np.unique(out).tolist())
    lost = [names.pop(label) for label in labels_of if label not in present]
    if lost:
        problems.append(Problem(where, "overlap", f"{len(lost)} object(s) entirely covered by smaller ones "
                                f"were left out: {', '.join(lost[:5])}{'…' if len(lost) > 5 else ''}"))
    return out, names, problems

"""YOLO segmentation datasets (the Ultralytics layout), both ways.

    data.yaml                 train/val folders and class names (no 'path' key: the YAML's folder is the root)
    images/train/<image>      images/val/<image>
    labels/train/<stem>.txt   one line per object: class x1 y1 x2 y2 ... (coordinates divided by width/height)

An object made of several parts, or with holes, is written as one polygon whose rings are joined by
zero-width cuts (as Ultralytics' own COCO converter joins segments), so one line stays one object; every
polygon is checked to rasterise back to the object's exact pixels. Coordinates get enough decimals for that.
A line has no room for a name or a label id: an import names objects "<class> <n>" in line order.

Reading accepts a data.yaml (``train``/``val``/``test`` as folders, lists or .txt files of image paths;
``names`` as a list or a dict) or a folder with ``images/`` and ``labels/``. Detection lines (a box, 4
numbers), coordinates outside 0..1, unknown class indices, unreadable lines (a negative or fractional class
index among them), polygons with no pixels and label files without an image are reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.formats import shapes
from core.formats.objects import CategoryTable, ForeignObject, MapObject, Problem
from core.imageio import IMAGE_SUFFIXES

YAML_NAMES = ("data.yaml", "dataset.yaml", "data.yml", "dataset.yml")


class YoloError(ValueError):
    """Not a YOLO dataset at all."""


def _decimals(width: int, height: int) -> int:
    # the import snaps to 1/1024 px: the rounding error (0.5 * 10**-d * side) must stay well below that
    return max(6, len(str(max(width, height))) + 4)


def _format(values: np.ndarray, decimals: int) -> str:
    return " ".join((f"{v:.{decimals}f}".rstrip("0").rstrip(".") or "0") for v in values)


def object_polygons(obj: MapObject) -> tuple[list[np.ndarray], bool]:
    """The polygon(s) of one object in image pixels: one joined polygon when that is exact, else one per
    part (holes filled) and False."""
    outers, holes = shapes.mask_rings(obj.mask, obj.top, obj.left)
    if not outers:
        return [], False
    joined = outers[0] if len(outers) + len(holes) == 1 else shapes.join_rings(outers + holes)
    if shapes.polygons_reproduce([shapes.flat(joined)], obj.mask, obj.top, obj.left):
        return [joined], True
    return outers, False


class YoloWriter:
    """Collects label lines per image; class indices are resolved at :meth:`label_files`."""

    def __init__(self):
        self._images: list[tuple[str, str, list[tuple[str, str]]]] = []  # (split, stem, [(category, coords)])

    def add_image(self, split: str, stem: str, width: int, height: int, objects: list[MapObject]) -> list[Problem]:
        lines = []
        approximated = []
        decimals = _decimals(width, height)
        for obj in objects:
            polygons, exact = object_polygons(obj)
            if not exact:
                approximated.append(obj.name)
            for polygon in polygons:
                normalised = (np.asarray(polygon) / (width, height)).reshape(-1)
                lines.append((obj.category, _format(normalised, decimals)))
        self._images.append((split, stem, lines))
        if approximated:
            return [Problem(stem, "approximated", f"{len(approximated)} object(s) written as several polygons "
                            f"with holes filled: {', '.join(approximated[:5])}", skipped=False)]
        return []

    def label_files(self, categories: CategoryTable) -> list[tuple[str, str]]:
        """[(relative path, text)] of every label file."""
        files = []
        for split, stem, lines in self._images:
            text = "".join(f"{categories.id_of(c) - 1} {coords}\n" for c, coords in lines)
            files.append((f"labels/{split}/{stem}.txt", text))
        return files


def dataset_yaml(categories: CategoryTable, splits: list[str]) -> str:
    import yaml

    val = "val" if "val" in splits else "train"
    data = {"train": "images/train", "val": f"images/{val}",
            "names": {i - 1: n for i, n in categories.items()}, "nc": len(categories)}
    header = ("# YOLO segmentation dataset exported by SegGAN Studio. No 'path' key: the folder of this file\n"
              "# is the dataset root (Ultralytics uses the YAML's folder when 'path' is missing).\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# reading ----------------------------------------------------------------------------------------------------
@dataclass
class YoloImage:
    path: Path
    labels: Path | None  # None: no label file (an image without objects)


@dataclass
class YoloDataset:
    source: Path
    images: list[YoloImage]
    names: dict[int, str]
    problems: list[Problem] = field(default_factory=list)


def _label_path(image: Path) -> Path:
    """Ultralytics' rule: the last 'images' folder in the path becomes 'labels', the suffix '.txt'."""
    parts = list(image.parts)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "images":
            parts[index] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def _images_in(entry: Path) -> list[Path]:
    if entry.is_dir():
        return sorted(p for p in entry.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if entry.suffix.lower() == ".txt" and entry.is_file():
        root = entry.parent
        listed = []
        for line in entry.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line:
                candidate = Path(line)
                listed.append(candidate if candidate.is_absolute() else (root / candidate))
        return listed
    return []


def find_yaml(folder: Path) -> Path | None:
    for name in YAML_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return found[0] if len(found) == 1 else None


def read_yolo(source: str | os.PathLike) -> YoloDataset:
    """A data.yaml, or a folder holding one (or holding images/ and labels/)."""
    source = Path(source)
    problems: list[Problem] = []
    yaml_path = source if source.is_file() else find_yaml(source) if source.is_dir() else None
    names: dict[int, str] = {}
    entries: list[Path] = []
    if yaml_path is not None:
        import yaml

        try:
            data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise YoloError(f"{yaml_path}: not a readable YAML file ({exc})") from None
        if not isinstance(data, dict):
            raise YoloError(f"{yaml_path}: not a YOLO dataset YAML")
        raw_names = data.get("names")
        try:
            if isinstance(raw_names, list):
                names = {i: str(n) for i, n in enumerate(raw_names)}
            elif isinstance(raw_names, dict):
                names = {int(k): str(v) for k, v in raw_names.items()}
            elif data.get("nc"):
                names = {i: f"class {i}" for i in range(int(data["nc"]))}
        except (TypeError, ValueError):
            raise YoloError(f"{yaml_path}: 'names' must be a list or a mapping of class index to name, and 'nc' "
                            f"a number (got names={raw_names!r:.80}, nc={data.get('nc')!r:.20})") from None
        # a blank name would give objects named " 1": such a class is named after its index
        names = {i: n.strip() or f"class {i}" for i, n in names.items()}
        root = Path(str(data.get("path") or "."))
        if not root.is_absolute():
            root = yaml_path.parent / root
        if not root.is_dir():
            root = yaml_path.parent
        for split in ("train", "val", "test"):
            value = data.get(split)
            for item in value if isinstance(value, list) else [value] if value else []:
                entry = Path(str(item))
                entry = entry if entry.is_absolute() else root / entry
                if not entry.exists():
                    problems.append(Problem(str(entry), "missing_image", f"the YAML's {split!r} entry does not exist"))
                entries.append(entry)
    elif source.is_dir() and (source / "images").is_dir():
        entries = [source / "images"]
    else:
        raise YoloError(f"{source}: not a YOLO dataset (no data.yaml, no images/ folder)")
    seen: set[Path] = set()
    images = []
    for entry in entries:
        for image in _images_in(entry):
            key = image.resolve()
            if key in seen:
                continue
            seen.add(key)
            if not image.is_file():
                problems.append(Problem(str(image), "missing_image", "listed image file not found"))
                continue
            label = _label_path(image)
            images.append(YoloImage(image, label if label.is_file() else None))
    problems += _orphan_labels(entries, {image.labels for image in images if image.labels is not None})
    return YoloDataset(yaml_path or source, images, names, problems)


def _orphan_labels(entries: list[Path], used: set[Path]) -> list[Problem]:
    """Label files in the labels folders of the image folders that no image uses (an image missing or
    misnamed): their objects cannot be imported, so they are reported."""
    orphans: list[Path] = []
    for entry in entries:
        if not entry.is_dir():
            continue
        labels_dir = _label_path(entry / "_.png").parent
        if labels_dir != entry and labels_dir.is_dir():
            orphans += [p for p in sorted(labels_dir.rglob("*.txt")) if p not in used and p not in orphans]
    if not orphans:
        return []
    shown = ", ".join(p.name for p in orphans[:5]) + (", …" if len(orphans) > 5 else "")
    return [Problem(str(orphans[0].parent), "orphan_labels", f"{len(orphans)} label file(s) with no image of the "
                    f"same name left out: {shown}")]


def yolo_objects(image: YoloImage, names: dict[int, str], height: int, width: int) -> tuple[
        list[ForeignObject], list[Problem]]:
    """The objects of one label file, rasterised at the image's own size."""
    problems: list[Problem] = []
    if image.labels is None:
        return [], problems
    where = str(image.labels)
    try:
        text = image.labels.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return [], [Problem(where, "unreadable", f"cannot read the label file ({exc})")]
    objects = []
    boxes = bad = clipped = unknown = empty = 0
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        try:
            number = float(tokens[0])
            values = np.asarray([float(t) for t in tokens[1:]], dtype=np.float64)
        except ValueError:
            bad += 1
            continue
        if not (np.isfinite(number) and number >= 0 and number == int(number)):  # "0.0" is class 0; -1, 0.5 and nan are no class
            bad += 1
            continue
        cls = int(number)
        if values.size == 4:
            boxes += 1
            continue
        if values.size < 6 or values.size % 2 or not np.all(np.isfinite(values)):
            bad += 1
            continue
        xy = values.reshape(-1, 2)
        if xy.min() < 0 or xy.max() > 1:
            clipped += 1
            xy = np.clip(xy, 0, 1)
        if cls not in names:
            unknown += 1
        polygon = shapes.snap(xy * (width, height)).reshape(-1).tolist()
        obj = ForeignObject.from_full(names.get(cls, f"class {cls}"), shapes.rasterize([polygon], height, width))
        if obj is None:
            empty += 1
        else:
            objects.append(obj)
    for count, kind, message, skipped in (
            (boxes, "box", "detection box(es) (4 numbers, no polygon) left out", True),
            (bad, "bad_line", "unreadable line(s) (not 'class x1 y1 x2 y2 x3 y3 ...') left out", True),
            (empty, "empty", "polygon(s) with no pixels inside the image (zero area, or outside it) left out",
             True),
            (clipped, "out_of_range", "polygon(s) with coordinates outside 0..1 clipped to the image", False),
            (unknown, "unknown_category", "object(s) of a class index the YAML does not name (named 'class K')",
             False)):
        if count:
            problems.append(Problem(where, kind, f"{count} {message}", skipped=skipped))
    return objects, problems

"""COCO instance segmentation JSON, both ways.

Writing: one annotation per object (see ``core.formats``), its mask as polygons (``masks="polygon"``, the
usual choice for training code; objects with holes fall back to RLE, since a COCO polygon list is a union)
or as compressed RLE (``masks="rle"``, exact for every shape). ``bbox`` and ``area`` come from the pixels.
Each annotation also carries ``attributes: {"name", "label"}`` (the object's name and label id in the
studio, the way CVAT stores extra attributes), which an import uses to give back identical label maps;
other tools ignore it.

Reading: polygons (lists), compressed and uncompressed RLE; crowd annotations (``iscrowd: 1``, regions of
many objects without instance outlines) are left out and reported, like images whose file cannot be found,
annotations of unknown images or categories, coordinates outside the image and RLE of the wrong size.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.formats import shapes
from core.formats.objects import CategoryTable, ForeignObject, MapObject, Problem

MASK_STYLES = ("polygon", "rle")


class CocoError(ValueError):
    """The file is not a COCO annotation file at all."""


class CocoWriter:
    """Collects images and annotations; category ids are resolved when the JSON is made."""

    def __init__(self, masks: str = "polygon"):
        if masks not in MASK_STYLES:
            raise ValueError(f"COCO masks are {' or '.join(MASK_STYLES)}, not {masks!r}")
        self.masks = masks
        self.images: list[dict] = []
        self._annotations: list[tuple[str, dict]] = []  # (category name, annotation without category_id)

    def add_image(self, image_id: int, file_name: str, width: int, height: int,
                  objects: list[MapObject]) -> list[Problem]:
        self.images.append({"id": int(image_id), "file_name": file_name, "width": int(width), "height": int(height)})
        problems = []
        buffer = np.zeros((height, width), dtype=np.uint8, order="F") if objects else None
        with_holes = []
        for obj in objects:
            segmentation = None
            if self.masks == "polygon":
                outers, holes = shapes.mask_rings(obj.mask, obj.top, obj.left)
                polygons = [shapes.flat(r) for r in outers]
                if not holes and polygons and shapes.polygons_reproduce(polygons, obj.mask, obj.top, obj.left):
                    segmentation = polygons
                else:
                    with_holes.append(obj.name)
            if segmentation is None:
                segmentation = shapes.encode_rle_crop(obj.mask, obj.top, obj.left, height, width, buffer)
            annotation = {
                "image_id": int(image_id), "segmentation": segmentation, "area": obj.area, "bbox": obj.bbox,
                "iscrowd": 0, "attributes": {"name": obj.name, "label": int(obj.instance)},
            }
            self._annotations.append((obj.category, annotation))
        if with_holes:
            problems.append(Problem(file_name, "holes_as_rle",
                                    f"{len(with_holes)} object(s) with holes written as RLE (COCO polygons cannot "
                                    f"carry holes): {', '.join(with_holes[:5])}", skipped=False))
        return problems

    def to_json(self, categories: CategoryTable, description: str = "") -> dict:
        annotations = []
        for number, (category, annotation) in enumerate(self._annotations, start=1):
            annotations.append({"id": number, "category_id": categories.id_of(category), **annotation})
        return {
            "info": {"description": description or "exported by SegGAN Studio", "version": "1.0"},
            "licenses": [],
            "images": self.images,
            "annotations": annotations,
            "categories": [{"id": i, "name": n, "supercategory": ""} for i, n in categories.items()],
        }


def write_coco(path: str | os.PathLike, data: dict) -> Path:
    from core.atomic import atomic_write_text

    path = Path(path)
    atomic_write_text(path, json.dumps(data, separators=(",", ":")))
    return path


# reading ----------------------------------------------------------------------------------------------------
@dataclass
class CocoImage:
    file_name: str
    path: Path | None  # None when the file was not found
    width: int
    height: int
    annotations: list[dict] = field(default_factory=list)


@dataclass
class CocoDataset:
    source: Path
    images: list[CocoImage]
    categories: dict[int, str]
    problems: list[Problem]


def _candidates(file_name: str, json_path: Path, images_dir: Path | None) -> list[Path]:
    name = Path(file_name)
    roots = ([images_dir] if images_dir else []) + [json_path.parent, json_path.parent / "images",
                                                     json_path.parent.parent / "images", json_path.parent.parent]
    found = []
    for root in roots:
        found += [root / name, root / name.name]
    return found


def read_coco(path: str | os.PathLike, images_dir: str | os.PathLike | None = None) -> CocoDataset:
    """Parse a COCO JSON file and find its images (next to it, in ``images/`` beside it or its folder, or in
    ``images_dir``). Masks are decoded later, one image at a time (:func:`coco_objects`)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CocoError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise CocoError(f"{path}: not a COCO annotation file (no 'images' list)")
    problems: list[Problem] = []
    images_root = Path(images_dir) if images_dir else None
    categories: dict[int, str] = {}
    for category in data.get("categories") or []:
        try:
            # a blank name would give objects named " 1": such a category is named after its id
            categories[int(category["id"])] = str(category.get("name") or "").strip() or f"category {category['id']}"
        except (KeyError, TypeError, ValueError):
            problems.append(Problem(str(path), "bad_category", f"category entry {category!r} has no id"))
    by_id: dict[int, CocoImage] = {}
    for entry in data["images"]:
        try:
            image_id, file_name = int(entry["id"]), str(entry["file_name"])
            width, height = int(entry.get("width") or 0), int(entry.get("height") or 0)
        except (KeyError, TypeError, ValueError):
            problems.append(Problem(str(path), "bad_image", f"image entry without id or file_name: {entry!r}"[:200]))
            continue
        found = next((c for c in _candidates(file_name, path, images_root) if c.is_file()), None)
        if found is None:
            problems.append(Problem(file_name, "missing_image",
                                    "image file not found (looked beside the JSON, in images/ and in the images "
                                    "folder given)"))
        by_id[image_id] = CocoImage(file_name, found, width, height)
    unknown_images = 0
    for annotation in data.get("annotations") or []:
        image = by_id.get(annotation.get("image_id")) if isinstance(annotation, dict) else None
        if image is None:
            unknown_images += 1
            continue
        image.annotations.append(annotation)
    if unknown_images:
        problems.append(Problem(str(path), "unknown_image", f"{unknown_images} annotation(s) refer to no image "
                                "in the file"))
    return CocoDataset(path, list(by_id.values()), categories, problems)


def _polygon_mask(polygons, height: int, width: int, where: str, what: str,
                  problems: list[Problem]) -> np.ndarray | None:
    cleaned = []
    outside = False
    for polygon in polygons:
        try:
            values = np.asarray(polygon, dtype=np.float64).reshape(-1)
        except (ValueError, TypeError):  # strings, nested lists, None among the coordinates
            values = np.zeros(0)
        if values.size < 6 or values.size % 2 or not np.all(np.isfinite(values)):
            problems.append(Problem(where, "bad_polygon", f"{what}: a polygon with fewer than 3 points, an odd "
                                    "number of coordinates or values that are not numbers was left out"))
            continue
        xy = shapes.snap(values.reshape(-1, 2))
        if (xy[:, 0].min() < 0 or xy[:, 1].min() < 0 or xy[:, 0].max() > width or xy[:, 1].max() > height):
            outside = True
            xy = np.clip(xy, 0, [width, height])
        cleaned.append(xy.reshape(-1).tolist())
    if outside:
        problems.append(Problem(where, "out_of_range", f"{what}: polygon coordinates outside the image were "
                                "clipped to it", skipped=False))
    if not cleaned:
        return None
    return shapes.rasterize(cleaned, height, width)


def coco_objects(image: CocoImage, categories: dict[int, str], height: int, width: int) -> tuple[
        list[ForeignObject], list[Problem]]:
    """Decode one image's annotations into masks of ``height`` x ``width`` (the image file's own size)."""
    problems: list[Problem] = []
    objects: list[ForeignObject] = []
    crowd = 0
    where = image.file_name
    for annotation in image.annotations:
        if annotation.get("iscrowd"):
            crowd += 1
            continue
        try:
            category_id = int(annotation.get("category_id"))
        except (TypeError, ValueError):
            category_id = None
        if category_id not in categories:
            problems.append(Problem(where, "unknown_category", f"annotation {annotation.get('id')} has category "
                                    f"{annotation.get('category_id')!r}, which the file does not list: left out"))
            continue
        segmentation = annotation.get("segmentation")
        mask = None
        if isinstance(segmentation, list):
            reported = len(problems)
            mask = _polygon_mask(segmentation, height, width, where, f"annotation {annotation.get('id')}", problems)
            if mask is None and len(problems) > reported:
                continue  # every polygon was bad, and said so
        elif isinstance(segmentation, dict) and "counts" in segmentation and "size" in segmentation:
            try:
                size = [int(v) for v in segmentation["size"]]
            except (ValueError, TypeError):
                size = None
            if size != [height, width]:
                problems.append(Problem(where, "size_mismatch", f"annotation {annotation.get('id')}: RLE of "
                                        f"size {segmentation['size']!r} (height, width) for a {width}x{height} "
                                        "image: left out"))
                continue
            try:
                mask = shapes.decode_rle(segmentation)
            except (ValueError, TypeError, UnicodeError) as exc:
                problems.append(Problem(where, "bad_rle", f"annotation {annotation.get('id')}: unreadable RLE "
                                        f"({exc}): left out"))
                continue
        if mask is None or not mask.any():
            problems.append(Problem(where, "empty", f"annotation {annotation.get('id')} has no mask pixels "
                                    "(a box-only annotation, or polygons of zero area?): left out"))
            continue
        extra = annotation.get("attributes") if isinstance(annotation.get("attributes"), dict) else {}
        label = extra.get("label")
        obj = ForeignObject.from_full(categories[category_id], mask, name=str(extra.get("name") or "") or None,
                                      label=int(label) if isinstance(label, int) else None)
        if obj is not None:
            objects.append(obj)
    if crowd:
        problems.append(Problem(where, "crowd", f"{crowd} crowd annotation(s) (iscrowd=1: regions of many objects, "
                                "not instances) left out"))
    return objects, problems

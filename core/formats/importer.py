"""Import a COCO, YOLO-seg or label-TIFF dataset into a workspace: images, label maps with palette and names.

A core job. Each image is decoded through the app's image loader (a broken file is reported, never copied
in), copied into ``images/`` (an identical file already there is reused; a different file of the same name,
or of the same stem, gets a numbered name so each image keeps its own mask), and its objects become one
palette PNG label map in ``masks/`` (see ``core.formats.objects.compose_label_map``). An existing mask is
kept unless ``overwrite_masks``. Everything the import could not take is in the report's problems.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.atomic import atomic_open
from core.formats.objects import ForeignObject, Problem, compose_label_map
from core.jobs import CancelToken, Emit, Message, ProgressReporter
from core.segmentation.instances import category_of
from core.workspace import Workspace

IMPORT_FORMATS = ("auto", "coco", "yolo", "tiff")
TIFF_MASK_SUFFIX = "_masks"


class DatasetImportError(ValueError):
    """The source is not a dataset this import understands."""


@dataclass(frozen=True)
class ImportOptions:
    format: str = "auto"
    images_dir: str | None = None  # COCO: where the images are, when not beside the JSON
    overwrite_masks: bool = False


@dataclass
class ImportReport:
    format: str
    source: str
    workspace: str
    images: int = 0  # images now in the workspace from this import
    masks: int = 0  # label maps written
    objects: int = 0
    images_added: list[str] = field(default_factory=list)  # workspace file names
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        skipped = sum(p.skipped for p in self.problems)
        return (f"{self.images} image(s), {self.masks} mask(s), {self.objects} object(s) into {self.workspace}"
                + (f"; {len(self.problems)} note(s), {skipped} left something out" if self.problems else ""))


def detect_format(source: Path) -> str:
    from core.formats.yolo import find_yaml

    if source.is_file():
        suffix = source.suffix.lower()
        if suffix == ".json":
            return "coco"
        if suffix in (".yaml", ".yml"):
            return "yolo"
        raise DatasetImportError(f"{source}: a COCO .json, a YOLO data.yaml or a folder is expected")
    if not source.is_dir():
        raise DatasetImportError(f"{source}: no such file or folder")
    if find_yaml(source) is not None or (source / "labels").is_dir():
        return "yolo"
    if any(source.glob(f"*{TIFF_MASK_SUFFIX}.tif")) or any(source.glob(f"*{TIFF_MASK_SUFFIX}.tiff")):
        return "tiff"
    if _json_files(source):
        return "coco"
    raise DatasetImportError(f"{source}: found no COCO JSON, YOLO data.yaml / labels folder or *_masks.tif files")


def _json_files(folder: Path) -> list[Path]:
    """JSON files that could be COCO annotations (not the studio's own manifest or category list)."""
    return [p for p in sorted(folder.glob("*.json")) + sorted(folder.glob("annotations/*.json"))
            if p.name not in ("categories.json", "seggan-export.json")]


def _coco_json(source: Path) -> Path:
    if source.is_file():
        return source
    candidates = _json_files(source)
    if len(candidates) != 1:
        raise DatasetImportError(f"{source}: {len(candidates)} JSON files; choose the COCO file itself")
    return candidates[0]


# the items of each format: (image path, where, objects(height, width) -> (objects, problems)) --------------
@dataclass
class _Item:
    path: Path
    declared: tuple[int, int] | None  # (width, height) the annotation file states, if any
    decode: object  # callable(height, width) -> (list[ForeignObject], list[Problem])


def _coco_items(source: Path, options: ImportOptions) -> tuple[list[_Item], list[Problem]]:
    from core.formats.coco import coco_objects, read_coco

    dataset = read_coco(_coco_json(source), options.images_dir)
    items = [_Item(image.path, (image.width, image.height) if image.width and image.height else None,
                   lambda h, w, image=image: coco_objects(image, dataset.categories, h, w))
             for image in dataset.images if image.path is not None]
    return items, dataset.problems


def _yolo_items(source: Path) -> tuple[list[_Item], list[Problem]]:
    from core.formats.yolo import read_yolo, yolo_objects

    dataset = read_yolo(source)
    items = [_Item(image.path, None, lambda h, w, image=image: yolo_objects(image, dataset.names, h, w))
             for image in dataset.images]
    return items, dataset.problems


def _tiff_objects(mask_path: Path, height: int, width: int, categories: dict) -> tuple[list[ForeignObject],
                                                                                        list[Problem]]:
    from scipy import ndimage

    from core.formats.label_tiff import LabelTiffError, read_label_tiff

    try:
        instances, names = read_label_tiff(mask_path)
    except LabelTiffError as exc:
        return [], [Problem(str(mask_path), "unreadable_mask", str(exc))]
    problems = []
    if instances.ndim == 3:
        problems.append(Problem(str(mask_path), "stack", f"a stack of {instances.shape[0]} frames: only the first "
                                "was imported", skipped=True))
        instances = instances[0]
    if instances.shape != (height, width):
        return [], [Problem(str(mask_path), "size_mismatch", f"label image is {instances.shape[1]}x"
                            f"{instances.shape[0]}, its image {width}x{height}: left out")]
    classes_path = mask_path.parent / "classes" / f"{mask_path.name[:-len(mask_path.suffix)].removesuffix(TIFF_MASK_SUFFIX)}_classes{mask_path.suffix}"
    classes = None
    if classes_path.is_file() and categories:
        try:
            classes, _ = read_label_tiff(classes_path)
        except LabelTiffError:
            classes = None
    objects = []
    ids = instances.astype(np.int64, copy=False)
    for index, box in enumerate(ndimage.find_objects(ids)):
        if box is None:
            continue
        label = index + 1
        crop = ids[box] == label
        name = names.get(label)
        if name:
            category = category_of(name)
        elif classes is not None and classes.shape == ids.shape:
            values = classes[box][crop]
            category = categories.get(int(np.bincount(values).argmax()), "object")
        else:
            category = "object"
        objects.append(ForeignObject(category, crop, box[0].start, box[1].start, name=name or None,
                                     label=label if name else None))
    return objects, problems


def _tiff_items(source: Path) -> tuple[list[_Item], list[Problem]]:
    from core.imageio import IMAGE_SUFFIXES

    folder = source if source.is_dir() else source.parent
    categories: dict[int, str] = {}
    listing = folder / "categories.json"
    if listing.is_file():
        try:
            categories = {int(c["id"]): str(c["name"]) for c in json.loads(listing.read_text())["categories"]}
        except (OSError, ValueError, KeyError, TypeError):
            categories = {}
    items, problems = [], []
    for mask_path in sorted(list(folder.glob(f"*{TIFF_MASK_SUFFIX}.tif")) + list(folder.glob(f"*{TIFF_MASK_SUFFIX}.tiff"))):
        stem = mask_path.name[: -len(mask_path.suffix)].removesuffix(TIFF_MASK_SUFFIX)
        images = [p for p in sorted(folder.glob(f"{stem}.*")) if p.suffix.lower() in IMAGE_SUFFIXES]
        if not images:
            problems.append(Problem(str(mask_path), "missing_image", f"no image {stem}.* beside the label TIFF"))
            continue
        items.append(_Item(images[0], None, lambda h, w, m=mask_path: _tiff_objects(m, h, w, categories)))
    return items, problems


# placing files into the workspace ---------------------------------------------------------------------------
def _place_image(workspace: Workspace, source: Path, taken_stems: set[str]) -> tuple[Path, bool]:
    """(workspace path, reused): an identical file of the same name is reused; otherwise the image is copied
    under a name whose stem no other image uses (masks are keyed by stem)."""
    target = workspace.images_dir / source.name
    if target.is_file() and source.stem not in taken_stems and filecmp.cmp(source, target, shallow=False):
        return target, True
    existing_stems = {p.stem for p in workspace.images_dir.iterdir()} | taken_stems
    stem, counter = source.stem, 1
    while stem in existing_stems:
        stem, counter = f"{source.stem}_{counter}", counter + 1
    target = workspace.images_dir / f"{stem}{source.suffix}"
    with open(source, "rb") as src, atomic_open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target, False


def import_dataset(source: str | os.PathLike, workspace: Workspace, options: ImportOptions,
                   token: CancelToken, emit: Emit) -> ImportReport:
    """The import job body (wrap with functools.partial for the worker bridge)."""
    from core.imageio import ImageLoadError, load_image
    from core.maskio import MaskLoadError, read_mask, write_mask

    source = Path(source).expanduser()
    if options.format not in IMPORT_FORMATS:
        raise DatasetImportError(f"format must be one of {', '.join(IMPORT_FORMATS)}, not {options.format!r}")
    kind = detect_format(source) if options.format == "auto" else options.format
    if kind == "coco":
        items, problems = _coco_items(source, options)
    elif kind == "yolo":
        items, problems = _yolo_items(source)
    else:
        items, problems = _tiff_items(source)
    report = ImportReport(kind, str(source), str(workspace.root), problems=list(problems))
    workspace.images_dir.mkdir(parents=True, exist_ok=True)
    reporter = ProgressReporter(emit, len(items))
    taken_stems: set[str] = set()
    for item in items:
        token.check()
        where = item.path.name
        try:
            image = load_image(item.path)
        except ImageLoadError as exc:
            report.problems.append(Problem(str(item.path), "unreadable_image", exc.reason))
            emit(Message(text=f"skipped {exc}", level="warning"))
            reporter.advance(1, where)
            continue
        height, width = image.rgb.shape[:2]
        del image
        if item.declared is not None and tuple(item.declared) != (width, height):
            objects, notes = [], [Problem(where, "size_mismatch", f"the annotation file says {item.declared[0]}x"
                                          f"{item.declared[1]}, the image is {width}x{height}: its annotations "
                                          "were left out")]
        else:
            objects, notes = item.decode(height, width)
        report.problems += notes
        labels, names, compose_notes = compose_label_map((height, width), objects, where)
        report.problems += compose_notes
        placed, _ = _place_image(workspace, item.path, taken_stems)
        taken_stems.add(placed.stem)
        report.images += 1
        report.images_added.append(placed.name)
        if names:
            mask_path = workspace.mask_path(placed)
            if mask_path.exists() and not options.overwrite_masks:
                try:
                    current = read_mask(mask_path)
                    same = np.array_equal(current.labels, labels) and dict(current.report.names) == names
                except MaskLoadError:
                    same = False
                if not same:
                    report.problems.append(Problem(mask_path.name, "kept_mask", "the workspace already has a "
                                                   "different mask for this image: kept it (overwrite to replace)"))
                    reporter.advance(1, where)
                    continue
            else:
                write_mask(mask_path, labels, names)
            report.masks += 1
            report.objects += len(names)
        reporter.advance(1, where)
    return report

"""Export a workspace (all images or a selection) as COCO, YOLO-seg or label TIFFs: a core job.

Files are written into a staging folder inside the output folder and moved into place only when the whole
export succeeded, so a cancelled or failed export leaves the output folder as it was. A manifest
(``seggan-export.json``) lists what an export wrote; the next export into the same folder removes the files
of the previous one it does not write again (an image dropped from the selection must not leave a stale
label file behind for training code to find). A non-empty folder that holds no manifest is refused.

Layouts:

    coco:  annotations.json, images/<image>
    yolo:  data.yaml, images/{train,val}/<image>, labels/{train,val}/<stem>.txt
    tiff:  <image>, <stem>_masks.tif (uint16 instance ids; Cellpose's "_masks" convention),
           classes/<stem>_classes.tif (uint16 category ids), categories.json
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.atomic import atomic_open, atomic_write_text
from core.formats.objects import (
    INSTANCE_MODES,
    CategoryCollector,
    CategoryTable,
    MapObjects,
    Problem,
    map_objects,
    stable_image_ids,
)
from core.jobs import CancelToken, Emit, Message, ProgressReporter
from core.workspace import Workspace

FORMATS = ("coco", "yolo", "tiff")
MANIFEST = "seggan-export.json"


@dataclass(frozen=True)
class ExportOptions:
    format: str = "coco"
    instances: str = "labels"  # labels | components | watershed (see core.formats)
    min_distance: float = 5.0  # watershed seeds' minimum distance, pixels
    coco_masks: str = "polygon"  # polygon | rle
    copy_images: bool = True
    val_fraction: float = 0.0  # YOLO: share of images (chosen by file-name hash) put in the val split
    categories: tuple[str, ...] = ()  # fixed category order (ids 1..C); empty = from the data

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.instances not in INSTANCE_MODES:
            raise ValueError(f"instances must be one of {', '.join(INSTANCE_MODES)}, not {self.instances!r}")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


@dataclass
class ExportReport:
    format: str
    out_dir: str
    images: int = 0  # images exported
    annotated: int = 0  # of which with a mask
    objects: int = 0
    categories: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative paths written
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        skipped = sum(p.skipped for p in self.problems)
        return (f"{self.images} image(s) ({self.annotated} with masks), {self.objects} object(s) in "
                f"{len(self.categories)} categor{'y' if len(self.categories) == 1 else 'ies'} -> {self.out_dir}"
                + (f"; {len(self.problems)} note(s), {skipped} left something out" if self.problems else ""))


class ExportError(ValueError):
    """The export cannot start (bad output folder, no images)."""


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) as the app shows the image (EXIF orientation applied), from the header only."""
    from core.imageio import open_image

    image, _ = open_image(path)
    try:
        width, height = image.size
        with contextlib.suppress(Exception):
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
    finally:
        image.close()
    return width, height


def _split_of(name: str, val_fraction: float) -> str:
    if val_fraction <= 0:
        return "train"
    value = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "val" if value < val_fraction else "train"


def check_output_folder(out_dir: Path) -> dict | None:
    """The previous manifest, if the folder holds a previous export; raises when it holds anything else."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir}: not a folder")
    manifest = out_dir / MANIFEST
    if manifest.is_file():
        try:
            return json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ExportError(f"{manifest}: unreadable export manifest; choose an empty folder") from None
    if out_dir.is_dir() and any(not p.name.startswith(".seggan-export-") for p in out_dir.iterdir()):
        raise ExportError(f"{out_dir}: the folder is not empty and holds no previous export; choose an empty "
                          "folder (nothing was written)")
    return None


class _Stage:
    """A staging folder inside the output folder; files are written there and moved into place at the end."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=".seggan-export-", dir=out_dir))
        self.files: list[str] = []

    def path(self, relative: str) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(relative)
        return target

    def write_text(self, relative: str, text: str) -> None:
        atomic_write_text(self.path(relative), text)

    def copy(self, source: Path, relative: str) -> None:
        with open(source, "rb") as src, atomic_open(self.path(relative), "wb") as dst:
            shutil.copyfileobj(src, dst)

    def commit(self, previous: dict | None, options: ExportOptions) -> None:
        for relative in self.files:
            target = self.out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / relative, target)
        written = set(self.files)
        for relative in (previous or {}).get("files", []):
            stale = self.out_dir / relative
            if relative not in written and stale.is_file() and self.out_dir in stale.resolve().parents:
                stale.unlink()
        manifest = {"format": options.format, "instances": options.instances, "files": sorted(written)}
        atomic_write_text(self.out_dir / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def select_images(workspace: Workspace, names: list[str] | None = None) -> tuple[list[Path], list[Problem]]:
    """The workspace's images, or those named in ``names`` (file names or shell patterns, e.g. ``cell_*``)."""
    from fnmatch import fnmatchcase

    images = workspace.images()
    if not names:
        return images, []
    chosen, problems = [], []
    for pattern in names:
        matched = [p for p in images if fnmatchcase(p.name, pattern) or p.stem == pattern]
        if not matched:
            problems.append(Problem(pattern, "missing_image", "no workspace image has this name"))
        chosen += [p for p in matched if p not in chosen]
    return sorted(chosen), problems


def export_workspace(workspace: Workspace, out_dir: str | os.PathLike, options: ExportOptions,
                     token: CancelToken, emit: Emit, images: list[str] | None = None) -> ExportReport:
    """The export job body (wrap with functools.partial for the worker bridge)."""
    from core.formats.coco import CocoWriter, write_coco
    from core.formats.label_tiff import read_label_tiff, write_label_tiff
    from core.formats.yolo import YoloWriter, dataset_yaml
    from core.imageio import ImageLoadError
    from core.maskio import read_mask

    out_dir = Path(out_dir).expanduser().resolve()
    inside = (workspace.images_dir, workspace.masks_dir)
    if out_dir == workspace.root or out_dir in inside or any(folder in out_dir.parents for folder in inside):
        raise ExportError(f"{out_dir}: export outside the workspace's images/ and masks/ folders")
    previous = check_output_folder(out_dir)
    paths, problems = select_images(workspace, images)
    if not paths:
        raise ExportError("no images to export" + (f" ({problems[0]})" if problems else ""))
    report = ExportReport(options.format, str(out_dir), problems=problems)
    image_ids = stable_image_ids([p.name for p in paths])
    coco = CocoWriter(options.coco_masks) if options.format == "coco" else None
    yolo = YoloWriter() if options.format == "yolo" else None
    collector = CategoryCollector()
    tiff_classes: list[tuple[str, str, dict]] = []  # (instance tiff, class tiff, instance -> category)
    stage = _Stage(out_dir)
    reporter = ProgressReporter(emit, len(paths))
    stems: set[str] = set()
    try:
        for path in paths:
            token.check()
            if path.stem in stems:
                report.problems.append(Problem(path.name, "duplicate_stem", f"another image has the stem "
                                               f"{path.stem!r} and so the same mask: left out"))
                reporter.advance(1, path.name)
                continue
            stems.add(path.stem)
            try:
                width, height = _image_size(path)
            except ImageLoadError as exc:
                report.problems.append(Problem(path.name, "unreadable_image", exc.reason))
                emit(Message(text=f"skipped {exc}", level="warning"))
                reporter.advance(1, path.name)
                continue
            objects = MapObjects([], np.zeros((height, width), np.uint16))
            mask_path = workspace.mask_path(path)
            if mask_path.is_file():
                try:
                    loaded = read_mask(mask_path, expected_size=(width, height))
                except ImageLoadError as exc:  # MaskLoadError is one
                    report.problems.append(Problem(mask_path.name, "unreadable_mask", exc.reason))
                    emit(Message(text=f"mask skipped: {exc}", level="warning"))
                else:
                    objects = map_objects(loaded.labels, loaded.report.names, options.instances,
                                          options.min_distance, token)
                    report.annotated += 1
            collector.add(objects)
            report.objects += len(objects.objects)
            report.images += 1
            if coco is not None:
                report.problems += coco.add_image(image_ids[path.name], path.name, width, height, objects.objects)
                if options.copy_images:
                    stage.copy(path, f"images/{path.name}")
            elif yolo is not None:
                split = _split_of(path.name, options.val_fraction)
                report.problems += yolo.add_image(split, path.stem, width, height, objects.objects)
                if options.copy_images:
                    stage.copy(path, f"images/{split}/{path.name}")
            else:
                names = {o.instance: o.name for o in objects.objects}
                instance_file = f"{path.stem}_masks.tif"
                write_label_tiff(stage.path(instance_file), objects.instances, names)
                tiff_classes.append((instance_file, f"classes/{path.stem}_classes.tif",
                                     {o.instance: o.category for o in objects.objects}))
                if options.copy_images:
                    stage.copy(path, path.name)
            reporter.advance(1, path.name)
        token.check()
        categories = _categories(collector, options, report)
        report.categories = categories.names
        if coco is not None:
            write_coco(stage.path("annotations.json"), coco.to_json(categories))
        elif yolo is not None:
            for relative, text in yolo.label_files(categories):
                stage.write_text(relative, text)
            splits = sorted({f.split("/")[1] for f in stage.files if f.startswith("labels/")}) or ["train"]
            stage.write_text("data.yaml", dataset_yaml(categories, splits))
        else:
            for instance_file, class_file, category_of in tiff_classes:
                token.check()
                instances, _ = read_label_tiff(stage.root / instance_file)
                lookup = np.zeros(int(instances.max(initial=0)) + 1, np.uint16)
                for instance, category in category_of.items():
                    lookup[instance] = categories.id_of(category) or 0
                write_label_tiff(stage.path(class_file), lookup[instances], dict(categories.items()))
            stage.write_text("categories.json", json.dumps(
                {"categories": [{"id": i, "name": n} for i, n in categories.items()],
                 "instances": "<stem>_masks.tif: uint16, 0 = background, 1..N = objects",
                 "classes": "classes/<stem>_classes.tif: uint16 category ids"}, indent=1) + "\n")
        token.check()
        stage.commit(previous, options)
    except BaseException:
        stage.discard()
        raise
    report.files = sorted(stage.files)
    return report


def _categories(collector: CategoryCollector, options: ExportOptions, report: ExportReport) -> CategoryTable:
    if not options.categories:
        return collector.table(options.instances)
    table = CategoryTable(list(options.categories))
    extra = sorted(set(collector.seen) - set(table.names))
    if extra:  # kept, after the fixed ones, so no object is lost; reported so the list can be completed
        report.problems.append(Problem("categories", "unknown_category",
                                       f"categories not in the given list were added after it: {', '.join(extra)}",
                                       skipped=False))
        table = CategoryTable([*table.names, *extra])
    return table

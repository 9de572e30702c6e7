"""CLI subcommands for standard formats: ``seggan export`` and ``seggan import``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli.progress import ProgressBar


def _print_problems(problems, limit: int = 20) -> None:
    for problem in problems[:limit]:
        print(f"  {'skipped' if problem.skipped else 'note'}: {problem}", file=sys.stderr)
    if len(problems) > limit:
        print(f"  … and {len(problems) - limit} more (--json lists all)", file=sys.stderr)


def _problems_json(problems) -> list[dict]:
    return [{"path": p.path, "kind": p.kind, "message": p.message, "skipped": p.skipped} for p in problems]


def _run(job, bar: ProgressBar):
    from core.jobs import CancelToken, Finished, JobCancelled

    try:
        result = job(CancelToken(), bar)
    except (KeyboardInterrupt, JobCancelled):
        print("\ninterrupted: nothing was changed", file=sys.stderr)
        return None
    if bar.tty:
        bar(Finished(result=result))
    return result


def cmd_export(args) -> int:
    from core.formats.exporter import ExportError, ExportOptions, export_workspace
    from core.workspace import Workspace

    try:
        workspace = Workspace.open(args.workspace, create=False)
        options = ExportOptions(format=args.format, instances=args.instances, min_distance=args.min_distance,
                                coco_masks=args.masks, copy_images=not args.no_images,
                                val_fraction=args.val_fraction,
                                categories=tuple(c.strip() for c in args.categories.split(",") if c.strip())
                                if args.categories else ())
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = ProgressBar(unit="image")
    try:
        report = _run(lambda token, emit: export_workspace(workspace, args.out, options, token, emit,
                                                           images=args.images), bar)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if report is None:
        return 130
    if args.json:
        print(json.dumps({"format": report.format, "out": report.out_dir, "images": report.images,
                          "annotated": report.annotated, "objects": report.objects,
                          "categories": report.categories, "files": len(report.files),
                          "problems": _problems_json(report.problems)}, indent=2))
    else:
        print(f"exported {report.summary()}")
        _print_problems(report.problems)
    return 0


def cmd_import(args) -> int:
    from core.formats.coco import CocoError
    from core.formats.importer import DatasetImportError, ImportOptions, import_dataset
    from core.formats.yolo import YoloError
    from core.workspace import Workspace

    try:
        workspace = Workspace.open(args.workspace)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = ImportOptions(format=args.format, images_dir=args.images, overwrite_masks=args.overwrite_masks)
    bar = ProgressBar(unit="image")
    try:
        report = _run(lambda token, emit: import_dataset(Path(args.source), workspace, options, token, emit), bar)
    except (DatasetImportError, CocoError, YoloError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if report is None:
        return 130
    if args.json:
        print(json.dumps({"format": report.format, "source": report.source, "workspace": report.workspace,
                          "images": report.images, "masks": report.masks, "objects": report.objects,
                          "problems": _problems_json(report.problems)}, indent=2))
    else:
        print(f"imported {report.summary()}")
        _print_problems(report.problems)
    return 0 if report.images or not report.problems else 1


def _min_distance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a distance in pixels, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the distance must be >= 0")
    return value


def add_instance_arguments(parser, default: str | None) -> None:
    """--instances / --min-distance, shared with ``seggan segment``."""
    from core.segmentation.instances import DEFAULT_MIN_DISTANCE

    if default is None:
        parser.add_argument("--instances", nargs="?", const="watershed", default=None,
                            choices=("components", "watershed"),
                            help="split each class into instances (watershed when given without a value)")
    else:
        parser.add_argument("--instances", default=default, choices=("labels", "components", "watershed"),
                            help="labels: each label id is one object (click-segmented maps; default); components: "
                                 "each label is a class, each connected region an object; watershed: a class, "
                                 "touching objects separated (U-Net class maps)")
    parser.add_argument("--min-distance", type=_min_distance, default=DEFAULT_MIN_DISTANCE,
                        help=f"watershed: smallest distance between two objects' centres, pixels "
                             f"(default {DEFAULT_MIN_DISTANCE}); raise it when objects are split in two")


def add_subcommands(sub) -> None:
    export = sub.add_parser("export", help="export a workspace as COCO, YOLO-seg or label TIFFs",
                            description="Export a workspace's images and masks in a standard format. The output "
                                        "folder must be empty or hold a previous export (which is updated).")
    export.add_argument("--workspace", required=True, help="the workspace folder")
    export.add_argument("--format", required=True, choices=("coco", "yolo", "tiff"))
    export.add_argument("--out", required=True, help="output folder")
    export.add_argument("--images", nargs="+", metavar="NAME",
                        help="only these images (file names, stems or patterns like 'cell_*')")
    add_instance_arguments(export, "labels")
    export.add_argument("--masks", choices=("polygon", "rle"), default="polygon",
                        help="COCO: polygons (objects with holes fall back to RLE) or RLE for all")
    export.add_argument("--val-fraction", type=float, default=0.0,
                        help="YOLO: share of images in the val split (chosen by file name, stable)")
    export.add_argument("--categories", help="fixed category order, comma-separated (keeps ids stable)")
    export.add_argument("--no-images", action="store_true", help="write annotations only, no image copies")
    export.add_argument("--json", action="store_true", help="print the report as one JSON object")
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser("import", help="import a COCO, YOLO-seg or label-TIFF dataset into a workspace",
                         description="Copy a dataset's images into a workspace and write their label maps. "
                                     "Everything that cannot be taken is reported.")
    imp.add_argument("source", help="a COCO .json, a YOLO data.yaml, or a folder holding either (or *_masks.tif)")
    imp.add_argument("--workspace", required=True, help="the workspace folder (created if needed)")
    imp.add_argument("--format", choices=("auto", "coco", "yolo", "tiff"), default="auto")
    imp.add_argument("--images", help="COCO: the folder of the images (default: beside the JSON or in images/)")
    imp.add_argument("--overwrite-masks", action="store_true", help="replace masks the workspace already has")
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    imp.set_defaults(func=cmd_import)

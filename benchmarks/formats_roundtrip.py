"""Export a generated workspace in each format, import it back, check it is identical; print one JSON object.

    python benchmarks/formats_roundtrip.py [--images 100] [--size 96 128] [--large 4000 3000 --cells 250]

Small images measure the per-file overhead; ``--large`` adds one microscopy-like image (touching cells, a U-Net
style class map) to time the watershed split and the export of many instances from a large image.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.formats.exporter import ExportOptions, export_workspace  # noqa: E402
from core.formats.importer import ImportOptions, import_dataset  # noqa: E402
from core.jobs import CancelToken  # noqa: E402
from core.maskio import read_mask, write_mask  # noqa: E402
from core.workspace import Workspace  # noqa: E402


def _objects(height, width, rng, count):
    yy, xx = np.mgrid[:height, :width]
    labels = np.zeros((height, width), np.uint8)
    names = {}
    for label in range(1, count + 1):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        ry, rx = rng.uniform(3, height / 5), rng.uniform(3, width / 5)
        free = ((((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2) <= 1) & (labels == 0)
        if free.any():
            labels[free] = label
            names[label] = f"{('cell', 'nucleus')[label % 2]} {label}"
    return labels, names


def _cells(height, width, count, rng):
    labels = np.zeros((height, width), np.uint8)
    radius = np.sqrt(height * width / count / np.pi) * 0.75
    for _ in range(count):
        cy, cx = rng.uniform(radius, height - radius), rng.uniform(radius, width - radius)
        r = radius * rng.uniform(0.8, 1.2)
        top, left = int(max(cy - r, 0)), int(max(cx - r, 0))
        yy, xx = np.mgrid[top:int(min(cy + r + 1, height)), left:int(min(cx + r + 1, width))]
        labels[top:top + yy.shape[0], left:left + yy.shape[1]][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
    return labels


def _identical(a: Workspace, b: Workspace, renumbered: bool) -> bool:
    for path in sorted(a.masks_dir.glob("*.png")):
        x, y = read_mask(path), read_mask(b.masks_dir / path.name)
        if renumbered:
            ok = np.array_equal(np.unique(x.labels, return_inverse=True)[1], np.unique(y.labels, return_inverse=True)[1])
        else:
            ok = np.array_equal(x.labels, y.labels) and x.report.names == y.report.names
        if not ok:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--size", type=int, nargs=2, default=(96, 128), metavar=("H", "W"))
    parser.add_argument("--large", type=int, nargs=2, metavar=("W", "H"))
    parser.add_argument("--cells", type=int, default=250)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    root = Path(tempfile.mkdtemp(prefix="formats-bench-"))
    workspace = Workspace.open(root / "ws")
    for index in range(args.images):
        h, w = args.size
        path = workspace.images_dir / f"img{index:04d}.png"
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
        write_mask(workspace.mask_path(path), *_objects(h, w, rng, int(rng.integers(1, 12))))
    result = {"data": f"{args.images} generated images {args.size[1]}x{args.size[0]}, 1-11 objects each",
              "formats": {}}
    for fmt, options in (("coco", {"coco_masks": "polygon"}), ("coco-rle", {"coco_masks": "rle", "format": "coco"}),
                         ("yolo", {}), ("tiff", {})):
        options = {"format": fmt, **options}
        out, back = root / f"out-{fmt}", Workspace.open(root / f"back-{fmt}")
        start = time.perf_counter()
        report = export_workspace(workspace, out, ExportOptions(**options), CancelToken(), lambda e: None)
        exported = time.perf_counter() - start
        start = time.perf_counter()
        imported = import_dataset(out, back, ImportOptions(), CancelToken(), lambda e: None)
        import_s = time.perf_counter() - start
        result["formats"][fmt] = {"export_s": round(exported, 3), "import_s": round(import_s, 3),
                                  "objects": report.objects, "imported_objects": imported.objects,
                                  "identical": _identical(workspace, back, renumbered=fmt == "yolo")}
    if args.large:
        from core.segmentation.instances import InstanceOptions, split_all

        width, height = args.large
        labels = _cells(height, width, args.cells, rng)
        big = Workspace.open(root / "big")
        path = big.images_dir / "cells.png"
        Image.fromarray(np.where(labels[..., None] > 0, 200, 40).astype(np.uint8).repeat(3, axis=2)).save(path)
        write_mask(big.mask_path(path), labels, {1: "cell"})
        start = time.perf_counter()
        edit = split_all(labels, {1: "cell"}, InstanceOptions("watershed", 5))
        split_s = time.perf_counter() - start
        timings = {}
        for fmt in ("coco", "tiff"):
            start = time.perf_counter()
            report = export_workspace(big, root / f"big-{fmt}", ExportOptions(fmt, instances="watershed"),
                                      CancelToken(), lambda e: None)
            timings[f"export_{fmt}_watershed_s"] = round(time.perf_counter() - start, 2)
        result["large"] = {"size": f"{width}x{height}", "discs_drawn": args.cells,
                           "instances": report.objects, "split_all_s": round(split_s, 2),
                           "split_all_instances": len(edit.names) + edit.dropped, **timings}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

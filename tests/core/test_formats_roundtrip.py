"""Whole-workspace round trips (100 images) and the export's folder rules: staging, cancel, stale files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from core.formats.exporter import MANIFEST, ExportError, ExportOptions, export_workspace
from core.formats.importer import ImportOptions, import_dataset
from core.jobs import CancelToken, JobCancelled, Progress
from core.maskio import read_mask, write_mask
from core.workspace import Workspace
from tests.core.formats_helpers import assert_same_masks, make_workspace, masks_of


def _export(workspace, out, **options):
    events = []
    report = export_workspace(workspace, out, ExportOptions(**options), CancelToken(), events.append)
    return report, events


@pytest.fixture(scope="module")
def hundred(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("hundred") / "ws", 95, unannotated=5, seed=7)


@pytest.mark.parametrize("fmt, options", [("coco", {"coco_masks": "polygon"}), ("coco", {"coco_masks": "rle"}),
                                          ("yolo", {"val_fraction": 0.2}), ("tiff", {})])
def test_a_100_image_workspace_comes_back_identical(tmp_path, hundred, fmt, options):
    report, events = _export(hundred, tmp_path / "out", format=fmt, **options)
    assert report.images == 100 and report.annotated == 95
    assert any(isinstance(e, Progress) and e.done == 100 for e in events)
    target = Workspace.open(tmp_path / "back")
    back = import_dataset(tmp_path / "out", target, ImportOptions(), CancelToken(), lambda e: None)
    assert back.format == fmt and back.images == 100 and back.masks == 95
    assert [p for p in back.problems if p.skipped] == []
    assert back.objects == report.objects
    assert sorted(p.name for p in target.images()) == sorted(p.name for p in hundred.images())
    # YOLO lines carry no label ids: the ids come back renumbered 1..n in the same order (same names)
    assert_same_masks(masks_of(target), masks_of(hundred), renumbered=fmt == "yolo")
    if fmt != "yolo":
        assert_same_masks(masks_of(target), masks_of(hundred))


def test_label_tiffs_hold_instances_and_classes(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 3)
    report, _ = _export(workspace, tmp_path / "out", format="tiff")
    categories = json.loads((tmp_path / "out" / "categories.json").read_text())["categories"]
    ids = {c["name"]: c["id"] for c in categories}
    assert sorted(ids) == report.categories
    for image in workspace.images():
        loaded = read_mask(workspace.mask_path(image))
        instances = tifffile.imread(tmp_path / "out" / f"{image.stem}_masks.tif")
        classes = tifffile.imread(tmp_path / "out" / "classes" / f"{image.stem}_classes.tif")
        assert instances.dtype == np.uint16 and classes.dtype == np.uint16
        assert np.array_equal(instances, loaded.labels)
        for label, name in loaded.report.names.items():
            assert np.all(classes[loaded.labels == label] == ids[name.rsplit(" ", 1)[0]])
        assert not classes[loaded.labels == 0].any()
        assert (tmp_path / "out" / image.name).is_file()  # Cellpose's layout: image beside <stem>_masks.tif


def test_a_class_map_exports_as_separated_instances(tmp_path):
    from PIL import Image

    workspace = Workspace.open(tmp_path / "ws")
    Image.fromarray(np.zeros((80, 140, 3), np.uint8)).save(workspace.images_dir / "cells.png")
    yy, xx = np.mgrid[:80, :140]
    labels = np.zeros((80, 140), np.uint8)
    labels[((yy - 40) ** 2 + (xx - 35) ** 2 < 400) | ((yy - 40) ** 2 + (xx - 70) ** 2 < 400)] = 1  # touching
    labels[5:12, 110:135] = 2
    write_mask(workspace.mask_path("cells.png"), labels, {1: "cell", 2: "debris"})
    for mode, expected in (("labels", 2), ("components", 2), ("watershed", 3)):
        report, _ = _export(workspace, tmp_path / mode, format="coco", instances=mode)
        data = json.loads((tmp_path / mode / "annotations.json").read_text())
        assert len(data["annotations"]) == expected, mode
        if mode == "watershed":
            assert [c["name"] for c in data["categories"]] == ["cell", "debris"]
            assert [a["attributes"]["name"] for a in data["annotations"]] == ["cell 1", "cell 2", "debris 1"]
    report, _ = _export(workspace, tmp_path / "tiff", format="tiff", instances="watershed")
    instances = tifffile.imread(tmp_path / "tiff" / "cells_masks.tif")
    assert sorted(np.unique(instances).tolist()) == [0, 1, 2, 3]


def test_cancel_leaves_the_output_folder_untouched(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 6)
    out = tmp_path / "out"
    _export(workspace, out, format="coco")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_mask(workspace.mask_path("img000.png"), np.zeros((24, 32), np.uint8), {})
    token = CancelToken()

    def emit(event):
        if isinstance(event, Progress) and event.done >= 3:
            token.cancel()

    with pytest.raises(JobCancelled):
        export_workspace(workspace, out, ExportOptions("coco"), token, emit)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_foreign_folder_is_refused_and_stale_files_of_a_previous_export_go(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 4)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("precious")
    with pytest.raises(ExportError, match="not empty"):
        _export(workspace, tmp_path / "busy", format="yolo")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["thesis.docx"]
    with pytest.raises(ExportError, match="outside the workspace"):
        _export(workspace, workspace.masks_dir / "x", format="yolo")
    out = tmp_path / "out"
    _export(workspace, out, format="yolo")
    assert (out / "labels" / "train" / "img003.txt").is_file()
    (workspace.images_dir / "img003.png").unlink()
    report, _ = _export(workspace, out, format="yolo")
    assert report.images == 3
    assert not (out / "labels" / "train" / "img003.txt").exists()
    assert not (out / "images" / "train" / "img003.png").exists()
    assert "labels/train/img000.txt" in json.loads((out / MANIFEST).read_text())["files"]


def test_unreadable_images_and_masks_are_reported_not_fatal(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 3)
    (workspace.images_dir / "img001.png").write_bytes(b"not an image")
    (workspace.masks_dir / "img002.png").write_text("garbage")
    report, _ = _export(workspace, tmp_path / "out", format="coco")
    assert sorted(p.kind for p in report.problems) == ["unreadable_image", "unreadable_mask"]
    assert report.images == 2 and report.annotated == 1

"""YOLO-seg export and import: the Ultralytics layout, exact polygons, and what an import cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from PIL import Image

from core.formats import shapes
from core.formats.exporter import ExportOptions, export_workspace
from core.formats.importer import ImportOptions, import_dataset
from core.jobs import CancelToken
from core.maskio import read_mask
from core.workspace import Workspace
from tests.core.formats_helpers import assert_same_masks, make_workspace, masks_of


def _export(workspace, out, **options):
    return export_workspace(workspace, out, ExportOptions(**{"format": "yolo", **options}), CancelToken(),
                            lambda e: None)


def _import(source, workspace, **options):
    return import_dataset(source, workspace, ImportOptions(**options), CancelToken(), lambda e: None)


def test_layout_yaml_and_lines(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 12, unannotated=1)
    report = _export(workspace, tmp_path / "out", val_fraction=0.3)
    out = tmp_path / "out"
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert "path" not in data and data["train"] == "images/train" and data["val"] == "images/val"
    assert data["names"] == dict(enumerate(report.categories)) and data["nc"] == len(report.categories)
    train = sorted(p.name for p in (out / "images" / "train").iterdir())
    val = sorted(p.name for p in (out / "images" / "val").iterdir())
    assert len(train) + len(val) == 13 and val and not set(train) & set(val)
    for split, names in (("train", train), ("val", val)):
        for name in names:
            label_file = out / "labels" / split / f"{name[:-4]}.txt"
            assert label_file.is_file()
            mask = workspace.masks_dir / name
            if not mask.exists():
                assert label_file.read_text() == ""  # a background image
                continue
            loaded = read_mask(mask)
            height, width = loaded.labels.shape
            lines = label_file.read_text().splitlines()
            present = [int(v) for v in np.unique(loaded.labels) if v]
            assert len(lines) == len(present)  # one line per object, parts and holes joined
            for label, line in zip(present, lines, strict=True):
                values = line.split()
                assert data["names"][int(values[0])] == loaded.report.names[label].rsplit(" ", 1)[0]
                xy = np.asarray(values[1:], float).reshape(-1, 2)
                assert xy.min() >= 0 and xy.max() <= 1
                polygon = shapes.snap(xy * (width, height)).reshape(-1).tolist()
                assert np.array_equal(shapes.rasterize([polygon], height, width), loaded.labels == label)


def test_val_split_is_stable_across_exports(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 20)
    _export(workspace, tmp_path / "a", val_fraction=0.25)
    _export(workspace, tmp_path / "b", val_fraction=0.25, copy_images=False)
    assert sorted(p.name for p in (tmp_path / "a" / "labels" / "val").iterdir()) == sorted(
        p.name for p in (tmp_path / "b" / "labels" / "val").iterdir())


def test_round_trip_gives_identical_masks_and_numbered_names(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 15, unannotated=2)
    _export(workspace, tmp_path / "out")
    target = Workspace.open(tmp_path / "back")
    report = _import(tmp_path / "out" / "data.yaml", target)
    assert report.format == "yolo" and report.images == 17 and report.problems == []
    # the helper's names follow "<category> <n>" in label order, which is what a YOLO import gives back;
    # ids come back numbered 1..n in the same order (a line has no room for them)
    assert_same_masks(masks_of(target), masks_of(workspace), renumbered=True)


def _foreign(tmp_path, lines, names=("cat", "dog")):
    root = tmp_path / "foreign"
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(root / "images" / "train" / "a.png")
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(root / "images" / "train" / "b.png")  # no labels
    (root / "labels" / "train" / "a.txt").write_text("\n".join(lines) + "\n")
    (root / "data.yaml").write_text(yaml.safe_dump({"path": ".", "train": "images/train", "val": "images/train",
                                                    "names": list(names)}))
    return root


def test_foreign_problems_are_reported(tmp_path):
    root = _foreign(tmp_path, [
        "0 0.0 0.0 0.5 0.0 0.5 1.0 0.0 1.0",  # left half: cat
        "1 0.5 0.5 0.25 0.5",  # a detection box: left out
        "1 0.6 0.0 1.2 0.0 1.2 0.5 0.6 0.5",  # dog, beyond the right edge: clipped
        "5 0.75 0.6 0.9 0.6 0.9 0.9",  # class 5 is not named
        "0 0.1 0.1 0.2",  # odd number of coordinates
        "hello world",
    ])
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(root, workspace)
    kinds = {p.kind: p.skipped for p in report.problems}
    assert kinds == {"box": True, "bad_line": True, "out_of_range": False, "unknown_category": False}
    assert report.images == 2 and report.masks == 1
    loaded = read_mask(workspace.masks_dir / "a.png")
    assert loaded.report.names == {1: "cat 1", 2: "dog 1", 3: "class 5 1"}
    assert (loaded.labels == 1).sum() == 10 * 10
    assert (loaded.labels == 2).sum() == 5 * 8  # clipped at x = 1.0
    assert not (workspace.masks_dir / "b.png").exists()


def test_a_folder_without_yaml_is_read(tmp_path):
    root = _foreign(tmp_path, ["1 0.0 0.0 0.5 0.0 0.5 1.0 0.0 1.0"])
    (root / "data.yaml").unlink()
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(root, workspace)
    assert report.format == "yolo"
    assert read_mask(workspace.masks_dir / "a.png").report.names == {1: "class 1 1"}


def test_not_a_dataset_is_a_clear_error(tmp_path):
    from core.formats.importer import DatasetImportError

    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetImportError, match="found no COCO JSON"):
        _import(tmp_path / "empty", Workspace.open(tmp_path / "ws"))


def test_bad_class_indices_empty_polygons_and_orphan_label_files_are_reported(tmp_path):
    root = _foreign(tmp_path, [
        "0 0.0 0.0 0.5 0.0 0.5 1.0 0.0 1.0",
        "-1 0.0 0.0 0.5 0.0 0.5 1.0",  # negative class
        "0.5 0.0 0.0 0.5 0.0 0.5 1.0",  # fractional class
        "inf 0.0 0.0 0.5 0.0 0.5 1.0",
        "1.0 0.6 0.0 1.0 0.0 1.0 0.5 0.6 0.5",  # "1.0" is class 1
        "1 1.5 0.1 1.9 0.1 1.9 0.9",  # entirely right of the image: nothing left after clipping
    ])
    (root / "labels" / "train" / "gone.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n")
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(root, workspace)
    problems = {p.kind: p.message for p in report.problems}
    assert set(problems) == {"bad_line", "empty", "out_of_range", "orphan_labels"}
    assert problems["bad_line"].startswith("3 unreadable")
    assert "gone.txt" in problems["orphan_labels"]
    assert read_mask(workspace.masks_dir / "a.png").report.names == {1: "cat 1", 2: "dog 1"}


def test_yaml_names_that_are_not_class_indices_are_a_clear_error(tmp_path):
    from core.formats.yolo import YoloError

    root = _foreign(tmp_path, ["0 0.0 0.0 0.5 0.0 0.5 1.0"])
    (root / "data.yaml").write_text("train: images/train\nnames: {cat: 0, dog: 1}\n")
    with pytest.raises(YoloError, match="'names' must be"):
        _import(root, Workspace.open(tmp_path / "ws"))

"""COCO export and import: checked with pycocotools' COCO API, and everything an import cannot take reported."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from core.formats.exporter import ExportOptions, export_workspace
from core.formats.importer import ImportOptions, import_dataset
from core.jobs import CancelToken
from core.maskio import read_mask, write_mask
from core.workspace import Workspace
from tests.core.formats_helpers import assert_same_masks, make_workspace, masks_of


def _export(workspace, out, images=None, **options):
    return export_workspace(workspace, out, ExportOptions(**{"format": "coco", **options}), CancelToken(),
                            lambda e: None, images=images)


def _import(source, workspace, **options):
    return import_dataset(source, workspace, ImportOptions(**options), CancelToken(), lambda e: None)


@pytest.mark.parametrize("masks", ["polygon", "rle"])
def test_exported_annotations_decode_to_the_workspace_objects(tmp_path, masks):
    workspace = make_workspace(tmp_path / "ws", 6, unannotated=1)
    report = _export(workspace, tmp_path / "out", coco_masks=masks)
    assert report.images == 7 and report.annotated == 6
    coco = COCO(str(tmp_path / "out" / "annotations.json"))  # the reference API reads it
    categories = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert sorted(categories.values()) == report.categories
    total = 0
    for image in coco.loadImgs(coco.getImgIds()):
        assert (tmp_path / "out" / "images" / image["file_name"]).is_file()
        loaded = read_mask(workspace.masks_dir / image["file_name"]) if (
            workspace.masks_dir / image["file_name"]).exists() else None
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
        if loaded is None:
            assert annotations == []
            continue
        assert (image["height"], image["width"]) == loaded.labels.shape
        for annotation in annotations:
            label = annotation["attributes"]["label"]
            expected = loaded.labels == label
            assert np.array_equal(coco.annToMask(annotation).astype(bool), expected)
            name = loaded.report.names[label]
            assert annotation["attributes"]["name"] == name
            assert categories[annotation["category_id"]] == name.rsplit(" ", 1)[0]
            assert annotation["area"] == int(expected.sum())
            rows, cols = np.nonzero(expected)
            assert annotation["bbox"] == [cols.min(), rows.min(), cols.max() - cols.min() + 1,
                                          rows.max() - rows.min() + 1]
            if masks == "rle":
                assert isinstance(annotation["segmentation"], dict)
            total += 1
    assert total == report.objects


def test_polygon_export_uses_rle_only_for_objects_with_holes(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(workspace.images_dir / "a.png")
    labels = np.zeros((20, 20), np.uint8)
    labels[2:12, 2:12] = 1
    labels[5:8, 5:8] = 0  # a hole
    labels[14:18, 3:17] = 2
    write_mask(workspace.mask_path("a.png"), labels, {1: "ring", 2: "bar"})
    report = _export(workspace, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    kinds = {a["attributes"]["name"]: type(a["segmentation"]).__name__ for a in data["annotations"]}
    assert kinds == {"ring": "dict", "bar": "list"}
    assert [p.kind for p in report.problems] == ["holes_as_rle"]


def test_image_ids_are_stable_across_selections(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 8)
    _export(workspace, tmp_path / "all")
    _export(workspace, tmp_path / "some", images=["img003.png", "img00[56]*"])
    ids_all = {i["file_name"]: i["id"] for i in json.loads((tmp_path / "all" / "annotations.json").read_text())["images"]}
    some = json.loads((tmp_path / "some" / "annotations.json").read_text())["images"]
    assert sorted(i["file_name"] for i in some) == ["img003.png", "img005.png", "img006.png"]
    assert all(ids_all[i["file_name"]] == i["id"] for i in some)
    assert len(set(ids_all.values())) == 8


def test_import_gives_back_identical_masks_and_names(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 10, unannotated=2)
    _export(workspace, tmp_path / "out", coco_masks="polygon")
    target = Workspace.open(tmp_path / "back")
    report = _import(tmp_path / "out", target)
    assert report.format == "coco" and report.images == 12 and report.masks == 10
    assert [p for p in report.problems if p.skipped] == []
    assert_same_masks(masks_of(target), masks_of(workspace))
    assert sorted(p.name for p in target.images()) == sorted(p.name for p in workspace.images())


def _foreign_dataset(tmp_path, annotations, categories=({"id": 7, "name": "cat"},), images=None):
    folder = tmp_path / "foreign"
    (folder / "images").mkdir(parents=True)
    Image.fromarray(np.full((20, 30, 3), 128, np.uint8)).save(folder / "images" / "a.jpg")
    data = {"images": images or [{"id": 1, "file_name": "a.jpg", "width": 30, "height": 20}],
            "annotations": annotations, "categories": list(categories)}
    (folder / "instances.json").write_text(json.dumps(data))
    return folder / "instances.json"


def _box(x0, y0, x1, y1):
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def test_foreign_coco_objects_become_named_labels_and_problems_are_reported(tmp_path):
    big = np.zeros((20, 30), np.uint8)
    big[0:20, 0:15] = 1
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 7, "segmentation": [_box(0, 0, 15, 20)], "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 7, "segmentation": [_box(10, 5, 14, 9)], "iscrowd": 0},  # inside 1
        {"id": 3, "image_id": 1, "category_id": 7, "segmentation": [_box(20, 10, 40, 30)], "iscrowd": 0},  # outside
        {"id": 4, "image_id": 1, "category_id": 7, "iscrowd": 1,
         "segmentation": {"size": [20, 30], "counts": [600]}},
        {"id": 5, "image_id": 1, "category_id": 99, "segmentation": [_box(1, 1, 3, 3)], "iscrowd": 0},
        {"id": 6, "image_id": 1, "category_id": 7, "segmentation": {"size": [10, 10], "counts": [100]}},
        {"id": 7, "image_id": 42, "category_id": 7, "segmentation": [_box(1, 1, 3, 3)]},
    ]
    source = _foreign_dataset(tmp_path, annotations, images=[
        {"id": 1, "file_name": "a.jpg", "width": 30, "height": 20},
        {"id": 2, "file_name": "gone.jpg", "width": 30, "height": 20}])
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(source, workspace)
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["crowd", "missing_image", "out_of_range", "overlap", "size_mismatch", "unknown_category",
                     "unknown_image"]
    loaded = read_mask(workspace.masks_dir / "a.png")
    assert loaded.report.names == {1: "cat 1", 2: "cat 2", 3: "cat 3"}
    assert (loaded.labels == 2).sum() == 16  # the small box inside the big one keeps its pixels
    assert (loaded.labels == 1).sum() == 15 * 20 - 16
    assert (loaded.labels == 3).sum() == 10 * 10  # clipped at the image's edge
    assert report.images == 1 and report.masks == 1 and report.objects == 3


def test_more_than_255_objects_keeps_the_largest(tmp_path):
    annotations = []
    for index in range(300):
        x, y = (index % 30), (index // 30) * 2
        annotations.append({"id": index + 1, "image_id": 1, "category_id": 7, "iscrowd": 0,
                            "segmentation": [_box(x, y, x + 1, y + (2 if index < 45 else 1))]})
    source = _foreign_dataset(tmp_path, annotations)
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(source, workspace)
    assert [p.kind for p in report.problems] == ["too_many_objects"]
    labels = read_mask(workspace.masks_dir / "a.png").labels
    assert len(np.unique(labels)) == 256
    assert all(labels[(i // 30) * 2 + 1, i % 30] != 0 for i in range(45))  # the 45 two-pixel objects survive


def test_image_size_disagreeing_with_the_json_is_reported(tmp_path):
    source = _foreign_dataset(tmp_path, [{"id": 1, "image_id": 1, "category_id": 7,
                                          "segmentation": [_box(0, 0, 5, 5)]}],
                              images=[{"id": 1, "file_name": "a.jpg", "width": 300, "height": 200}])
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(source, workspace)
    assert [p.kind for p in report.problems] == ["size_mismatch"]
    assert report.images == 1 and report.masks == 0


def test_an_existing_different_mask_is_kept(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 2)
    _export(workspace, tmp_path / "out")
    before = masks_of(workspace)
    labels, names = before["img000.png"]
    write_mask(workspace.masks_dir / "img000.png", np.zeros_like(labels), {})
    report = _import(tmp_path / "out", workspace)
    assert [p.kind for p in report.problems] == ["kept_mask"]
    assert not read_mask(workspace.masks_dir / "img000.png").labels.any()
    assert sorted(p.name for p in workspace.images()) == ["img000.png", "img001.png"]  # identical files reused
    report = _import(tmp_path / "out", workspace, overwrite_masks=True)
    assert report.problems == [] and np.array_equal(read_mask(workspace.masks_dir / "img000.png").labels, labels)


def test_a_different_image_of_the_same_name_gets_its_own_name_and_mask(tmp_path):
    workspace = make_workspace(tmp_path / "ws", 1)
    _export(workspace, tmp_path / "out")
    target = Workspace.open(tmp_path / "other")
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(target.images_dir / "img000.jpg")  # same stem
    report = _import(tmp_path / "out", target)
    assert report.images_added == ["img000_1.png"]
    assert (target.masks_dir / "img000_1.png").is_file() and not (target.masks_dir / "img000.png").exists()


def test_not_coco_is_a_clear_error(tmp_path):
    from core.formats.coco import CocoError

    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(CocoError, match="no 'images' list"):
        _import(tmp_path / "x.json", Workspace.open(tmp_path / "ws"))


def test_malformed_annotations_are_reported_once_and_do_not_stop_the_import(tmp_path):
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 7, "segmentation": [_box(0, 0, 5, 5)]},
        {"id": 2, "image_id": 1, "category_id": 7, "segmentation": [[0, 0, "x", 3, 4, 4]]},  # not numbers
        {"id": 3, "image_id": 1, "category_id": 7, "segmentation": [[0, 0, None, 3, 4, 4]]},
        {"id": 4, "image_id": 1, "category_id": 7, "segmentation": [[1, 1, 5]]},  # fewer than 3 points
        {"id": 5, "image_id": 1, "category_id": 7, "segmentation": [[2, 2, 2, 2, 2, 2]]},  # zero area
        {"id": 6, "image_id": 1, "category_id": 7, "segmentation": {"size": [20, 30], "counts": None}},
        {"id": 7, "image_id": 1, "category_id": 7, "segmentation": {"size": "big", "counts": "x"}},
        {"id": 8, "image_id": 1, "category_id": 7, "segmentation": {"size": [20, 30], "counts": "!!garbage"}},
    ]
    source = _foreign_dataset(tmp_path, annotations)
    workspace = Workspace.open(tmp_path / "ws")
    report = _import(source, workspace)
    by_annotation = sorted((p.message.split(":")[0].split(" ")[1], p.kind) for p in report.problems)
    assert by_annotation == [("2", "bad_polygon"), ("3", "bad_polygon"), ("4", "bad_polygon"), ("5", "empty"),
                             ("6", "bad_rle"), ("7", "size_mismatch"), ("8", "bad_rle")]
    assert read_mask(workspace.masks_dir / "a.png").report.names == {1: "cat 1"}


def test_blank_category_names_are_named_after_their_id(tmp_path):
    annotations = [{"id": 1, "image_id": 1, "category_id": 3, "segmentation": [_box(0, 0, 5, 5)]},
                   {"id": 2, "image_id": 1, "category_id": 4, "segmentation": [_box(6, 6, 9, 9)]},
                   {"id": 3, "image_id": 1, "category_id": 5, "segmentation": [_box(10, 0, 14, 4)]}]
    source = _foreign_dataset(tmp_path, annotations, categories=(
        {"id": 3, "name": "  "}, {"id": 4}, {"id": 5, "name": 'cell/nucleus: "big" 2'}))
    workspace = Workspace.open(tmp_path / "ws")
    _import(source, workspace)
    names = read_mask(workspace.masks_dir / "a.png").report.names
    assert names == {1: "category 3 1", 2: "category 4 1", 3: 'cell/nucleus: "big" 2 1'}
    # and back out: the odd name is a category of its own again
    report = _export(workspace, tmp_path / "out")
    assert report.categories == ["category 3", "category 4", 'cell/nucleus: "big" 2']

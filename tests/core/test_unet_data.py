"""Finding and reading image/mask pairs: three layouts, every mask form, and every problem reported."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.unet.dataset import (
    load_data,
    scan_folders,
    scan_mask_suffix,
    scan_source,
    scan_workspace,
    split_indices,
)
from core.workspace import Workspace
from tests.core.unet_helpers import save_mask, synthetic_pair, write_folders


@pytest.mark.parametrize("form", ["palette", "L01", "L255", "rgb"])
def test_every_mask_form_reads_as_the_same_labels(tmp_path, form):
    classes = 2 if form == "L255" else 3
    images, masks = write_folders(tmp_path, count=2, classes=classes, mask_form=form)
    data = load_data(scan_folders(images, masks))
    assert data.stems == ["img0", "img1"]
    for i, labels in enumerate(data.labels):
        expected = synthetic_pair(64, 80, seed=100 + i, classes=classes)[1]
        if form == "rgb":  # colours map to classes in their sorted order: the structure must be identical
            assert len(np.unique(labels)) == len(np.unique(expected))
            assert np.array_equal(labels == 0, expected == 0)
        else:
            assert np.array_equal(labels, expected)
    assert data.num_classes == classes
    assert data.images[0].shape == (64, 80, 3) and data.images[0].dtype == np.uint8
    assert data.class_pixels.sum() == 2 * 64 * 80


def test_problems_are_skipped_and_listed(tmp_path):
    images, masks = write_folders(tmp_path, count=3)
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(images / "nomask.png")  # missing mask
    save_mask(masks / "orphan.png", np.zeros((5, 5), np.uint8), "palette")  # mask without image
    save_mask(masks / "img1.png", np.zeros((20, 20), np.uint8), "palette")  # wrong size
    (images / "broken.png").write_bytes(Image.new("RGB", (8, 8)).tobytes()[:10])  # not an image
    save_mask(masks / "broken.png", np.zeros((8, 8), np.uint8), "palette")
    rgb, labels = synthetic_pair(16, 16, seed=1)
    Image.fromarray(rgb).save(images / "toomany.png")
    save_mask(masks / "toomany.png", np.where(labels > 0, 5, 0).astype(np.uint8), "palette")
    data = load_data(scan_folders(images, masks), num_classes=2)
    assert data.stems == ["img0", "img2"]
    kinds = {p.path.split("/")[-1] + ":" + p.kind for p in data.problems}
    assert {"nomask.png:missing_mask", "orphan.png:orphan_mask", "img1.png:size_mismatch",
            "broken.png:unreadable_image", "toomany.png:unexpected_values"} <= kinds
    by_kind = {p.kind: p for p in data.problems}
    assert "mask is 20x20 but its image is 80x64" in by_kind["size_mismatch"].message
    assert "[5]" in by_kind["unexpected_values"].message
    assert not by_kind["orphan_mask"].skipped and by_kind["missing_mask"].skipped


def test_mask_suffix_layout_and_the_decision_says_how_masks_were_read(tmp_path):
    for i in range(2):
        rgb, labels = synthetic_pair(24, 24, seed=i)
        Image.fromarray(rgb).save(tmp_path / f"cell{i}.jpg")
        Image.fromarray((labels * 200).astype(np.uint8), "L").save(tmp_path / f"cell{i}_mask.png")
    Image.fromarray(rgb).save(tmp_path / "lonely.png")
    scan = scan_mask_suffix(tmp_path)
    assert [(p.stem, p.image.name, p.mask.name) for p in scan.pairs] == [
        ("cell0", "cell0.jpg", "cell0_mask.png"), ("cell1", "cell1.jpg", "cell1_mask.png")]
    assert [p.kind for p in scan.problems] == ["missing_mask"]
    data = load_data(scan)
    assert len(data) == 2 and set(np.unique(data.labels[0])) == {0, 1}
    assert data.masks.decision.encoding == "binary"
    assert data.masks.lines()[0].startswith("masks read as binary (0/200)")
    assert scan_source(scan.source).pairs == scan.pairs


def test_workspace_layout(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    for i in range(3):
        rgb, labels = synthetic_pair(20, 30, seed=i)
        Image.fromarray(rgb).save(workspace.images_dir / f"a{i}.png")
        if i != 1:
            save_mask(workspace.mask_path(f"a{i}.png"), labels, "palette")
    scan = scan_workspace(workspace)
    assert [p.stem for p in scan.pairs] == ["a0", "a2"]
    assert scan.problems[0].kind == "missing_mask" and "not annotated yet" in scan.problems[0].message
    assert scan_source(scan.source).pairs == scan.pairs


def test_missing_folders_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="masks folder .* does not exist"):
        scan_folders(tmp_path, tmp_path / "nope")


def test_split_is_fixed_and_keeps_a_training_pair():
    assert split_indices(10, 0.2, seed=3) == split_indices(10, 0.2, seed=3)
    train, val = split_indices(10, 0.2, seed=3)
    assert len(val) == 2 and sorted(train + val) == list(range(10))
    assert split_indices(1, 0.5, 0) == ([0], [])
    assert len(split_indices(3, 0.1, 0)[1]) == 1
    assert split_indices(5, 0.0, 0) == ([0, 1, 2, 3, 4], [])


def test_the_default_crop_fits_small_images():
    from core.unet.setup import fit_crop

    assert fit_crop(256, [(512, 512), (300, 200)], 16) == 256
    assert fit_crop(256, [(100, 90), (70, 120)], 16) == 80  # the largest image's short side, rounded down
    assert fit_crop(256, [(5, 5)], 16) == 16


def test_any_per_file_failure_is_that_files_problem_and_the_rest_loads(tmp_path, monkeypatch):
    import core.masks.survey as survey_module
    import core.unet.dataset as dataset_module

    images, masks = write_folders(tmp_path, count=5)
    real_load_image, real_read_labels = dataset_module.load_image, dataset_module.read_labels
    real_survey_file = survey_module.survey_file

    def load_image(path):
        if path.name == "img1.png":
            raise RuntimeError("decoder crashed")
        return real_load_image(path)

    def read_labels(path, decision, expected_size=None):
        if path.name == "img2.png":
            raise MemoryError()
        return real_read_labels(path, decision, expected_size)

    def survey_file(path):
        if path.name == "img3.png":
            raise ValueError("odd header")
        return real_survey_file(path)

    monkeypatch.setattr(dataset_module, "load_image", load_image)
    monkeypatch.setattr(dataset_module, "read_labels", read_labels)
    monkeypatch.setattr(survey_module, "survey_file", survey_file)
    data = load_data(scan_folders(images, masks))
    assert data.stems == ["img0", "img4"]
    problems = {p.path.split("/")[-2] + "/" + p.path.split("/")[-1]: p for p in data.problems}
    assert problems["images/img1.png"].kind == "unreadable_image"
    assert "RuntimeError: decoder crashed" in problems["images/img1.png"].message
    assert problems["masks/img2.png"].message == "not enough memory to read this file"
    assert problems["masks/img3.png"].kind == "unreadable_mask" and "odd header" in problems["masks/img3.png"].message
    assert all(p.skipped for p in problems.values())

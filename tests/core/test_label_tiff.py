"""Label TIFFs: uint16 ids (beyond 255), names inside, ImageJ layout, stacks written frame by frame."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from core.formats.label_tiff import LabelTiffError, read_label_tiff, write_label_tiff


def test_round_trip_keeps_ids_above_255_and_names(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3000, (37, 53)).astype(np.uint16)
    path = write_label_tiff(tmp_path / "a_masks.tif", labels, {1: "cell 1", 2999: "cell 2999"})
    back, names = read_label_tiff(path)
    assert back.dtype == np.uint16 and np.array_equal(back, labels)
    assert names == {1: "cell 1", 2999: "cell 2999"}
    with tifffile.TiffFile(path) as tif:  # what napari, Fiji and Cellpose see
        assert tif.is_imagej and tif.series[0].axes == "YX"
        assert tif.pages[0].dtype == np.uint16 and tif.pages[0].compression == 8  # deflate
    assert np.array_equal(tifffile.imread(path), labels)


def test_a_stack_is_written_frame_by_frame(tmp_path):
    frames = [np.full((6, 7), i, np.uint16) for i in range(4)]
    consumed = []

    def lazy():
        for frame in frames:
            consumed.append(1)
            yield frame

    path = write_label_tiff(tmp_path / "stack.tif", lazy(), shape=(6, 7), count=4)
    assert len(consumed) == 4
    back, _ = read_label_tiff(path)
    assert back.shape == (4, 6, 7) and np.array_equal(back, np.stack(frames))
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == "TYX" and len(tif.pages) == 4


def test_a_bad_frame_leaves_no_file(tmp_path):
    frames = [np.zeros((6, 7), np.uint16), np.zeros((5, 7), np.uint16)]
    with pytest.raises(ValueError, match="frame 1"):
        write_label_tiff(tmp_path / "bad.tif", iter(frames), shape=(6, 7), count=2)
    assert list(tmp_path.iterdir()) == []


def test_values_that_do_not_fit_are_refused(tmp_path):
    with pytest.raises(ValueError, match="do not fit"):
        write_label_tiff(tmp_path / "x.tif", np.array([[70000]], np.int64))


def test_non_label_tiffs_are_refused(tmp_path):
    tifffile.imwrite(tmp_path / "float.tif", np.full((4, 4), 0.5, np.float32))
    with pytest.raises(LabelTiffError, match="not label ids"):
        read_label_tiff(tmp_path / "float.tif")
    (tmp_path / "text.tif").write_text("hello")
    with pytest.raises(LabelTiffError, match="not a readable TIFF"):
        read_label_tiff(tmp_path / "text.tif")


def test_a_cellpose_folder_imports_with_numbered_objects(tmp_path):
    from PIL import Image

    from core.formats.importer import ImportOptions, import_dataset
    from core.jobs import CancelToken
    from core.maskio import read_mask
    from core.workspace import Workspace

    folder = tmp_path / "cellpose"
    folder.mkdir()
    Image.fromarray(np.zeros((12, 16), np.uint8)).save(folder / "cells.tif")
    instances = np.zeros((12, 16), np.uint16)
    instances[1:4, 1:5] = 1000  # sparse uint16 ids, no names: the way Cellpose writes them
    instances[6:10, 8:15] = 40000
    tifffile.imwrite(folder / "cells_masks.tif", instances)
    tifffile.imwrite(folder / "lonely_masks.tif", instances)  # no image beside it
    workspace = Workspace.open(tmp_path / "ws")
    report = import_dataset(folder, workspace, ImportOptions(), CancelToken(), lambda e: None)
    assert report.format == "tiff" and report.images == 1
    assert [p.kind for p in report.problems] == ["missing_image"]
    loaded = read_mask(workspace.masks_dir / "cells.png")
    assert loaded.report.names == {1: "object 1", 2: "object 2"}
    assert np.array_equal(loaded.labels > 0, instances > 0)
    assert loaded.labels[2, 2] == 1 and loaded.labels[7, 9] == 2

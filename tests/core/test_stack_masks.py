"""Per-frame masks of stacks in a workspace, label TIFF stacks, importing stacks, bounded decoding."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from core.formats.label_tiff import LabelTiffError
from core.jobs import CancelToken, Images
from core.maskio import MaskLoadError, write_mask
from core.stacks import open_stack
from core.stacks.frame_masks import masked_frames, read_frame_mask, write_frame_mask
from core.stacks.label_stack import export_label_stack, import_label_stack, read_label_stack
from core.stacks.workspace_import import import_stack
from core.thumbnails import StackDepth, thumbnails_job
from core.workspace import Workspace
from tests.core.stack_helpers import gray_stack, write_animation, write_sequence, write_tiff_stack


def _labels(index: int, shape=(8, 10)) -> np.ndarray:
    labels = np.zeros(shape, np.uint8)
    labels[index % shape[0], :] = 1
    labels[:, index % shape[1]] = 2
    return labels


def test_frame_masks_round_trip_beside_single_image_masks(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    stack_path = workspace.add_image(write_tiff_stack(tmp_path / "cells.tif", gray_stack(5)))
    for index in (4, 0, 2):
        written = write_frame_mask(workspace, stack_path, index, _labels(index), names={1: "row", 2: "column"})
        assert written == workspace.masks_dir / "cells" / f"{index:04d}.png"
        assert written == workspace.frame_mask_path(stack_path, index)
    assert masked_frames(workspace, stack_path) == [0, 2, 4] == workspace.masked_frames(stack_path)
    loaded = read_frame_mask(workspace, stack_path, 2, expected_size=(10, 8))
    assert np.array_equal(loaded.labels, _labels(2)) and loaded.report.names == {1: "row", 2: "column"}
    assert read_frame_mask(workspace, stack_path, 1) is None
    with pytest.raises(MaskLoadError):
        read_frame_mask(workspace, stack_path, 2, expected_size=(11, 8))
    # a single image keeps its mask where it always was
    assert workspace.mask_path(workspace.images_dir / "photo.png") == workspace.masks_dir / "photo.png"


def test_label_tiff_stack_round_trip(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    stack_path = workspace.add_image(write_animation(tmp_path / "walk.gif", count=4, size=(10, 8)))
    for index in (1, 3):
        write_frame_mask(workspace, stack_path, index, _labels(index), names={1: "row", 2: "column"})
    out = export_label_stack(workspace, stack_path, tmp_path / "walk_labels.tif")
    with tifffile.TiffFile(out) as tif:
        assert tif.series[0].axes == "TYX" and len(tif.pages) == 4 and tif.pages[0].dtype == np.uint16
    labels, names = read_label_stack(out)
    assert labels.shape == (4, 8, 10) and names == {1: "row", 2: "column"}
    assert not labels[0].any() and not labels[2].any()
    assert np.array_equal(labels[1], _labels(1)) and np.array_equal(labels[3], _labels(3))
    # and back into another workspace's copy of the same stack
    other = Workspace.open(tmp_path / "other")
    copy = other.add_image(stack_path)
    assert import_label_stack(other, copy, out) == [1, 3]
    for index in (1, 3):
        again = read_frame_mask(other, copy, index)
        assert np.array_equal(again.labels, _labels(index)) and again.report.names == names


def test_a_label_stack_of_the_wrong_shape_is_refused(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    stack_path = workspace.add_image(write_tiff_stack(tmp_path / "cells.tif", gray_stack(3)))
    tifffile.imwrite(tmp_path / "wrong.tif", np.zeros((2, 8, 10), np.uint16))
    with pytest.raises(LabelTiffError, match="3 frames"):
        import_label_stack(workspace, stack_path, tmp_path / "wrong.tif")
    assert masked_frames(workspace, stack_path) == []


def test_export_refuses_a_mask_of_another_size(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    stack_path = workspace.add_image(write_tiff_stack(tmp_path / "cells.tif", gray_stack(3)))
    write_mask(workspace.frame_mask_path(stack_path, 1), np.zeros((5, 5), np.uint8))
    with pytest.raises(MaskLoadError, match="0001.png"):
        export_label_stack(workspace, stack_path, tmp_path / "out.tif")
    assert not (tmp_path / "out.tif").exists()


def test_importing_a_sequence_makes_one_workspace_entry(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    write_sequence(tmp_path / "src", [1, 2, 4])
    write_sequence(tmp_path / "src", [1], prefix="unrelated_")
    single = workspace.add_image(tmp_path / "src" / "unrelated_0001.png")
    placed = import_stack(workspace, tmp_path / "src" / "frame_0002.png", as_sequence=True)
    assert placed == workspace.images_dir / "frame"
    assert sorted(p.name for p in placed.iterdir()) == ["frame_0001.png", "frame_0002.png", "frame_0004.png"]
    again = import_stack(workspace, tmp_path / "src" / "frame_0002.png", as_sequence=True)
    assert again.name == "frame_1"  # never overwrites
    assert workspace.items() == [placed, again, single]
    assert workspace.images() == [single]  # files only, as before
    with open_stack(placed) as stack:
        assert stack.n_frames == 3 and stack.gaps == (3,)
    write_frame_mask(workspace, placed, 2, _labels(2))
    assert (workspace.masks_dir / "frame" / "0002.png").is_file()
    tiff = import_stack(workspace, write_tiff_stack(tmp_path / "t.tif", gray_stack(2)))
    assert tiff == workspace.images_dir / "t.tif" and tiff in workspace.items()


def test_thumbnails_say_a_stacks_depth(tmp_path):
    paths = [write_tiff_stack(tmp_path / "deep.tif", gray_stack(6, size=(48, 64))),
             write_animation(tmp_path / "a.gif", 3)]
    write_sequence(tmp_path / "seq", [1, 2])
    paths.append(tmp_path / "seq")
    flat = tmp_path / "flat.png"
    write_sequence(tmp_path, [5])[0].rename(flat)
    paths.append(flat)
    events = []
    made = thumbnails_job(paths, size=32)(CancelToken(), events.append)
    assert made == 4
    depths = {e.path: e.frames for e in events if isinstance(e, StackDepth)}
    assert depths == {str(paths[0]): 6, str(paths[1]): 3, str(paths[2]): 2}
    thumbs = {name: thumb for e in events if isinstance(e, Images) for name, thumb in e.images}
    assert set(thumbs) == {str(p) for p in paths} and max(thumbs[str(paths[0])].shape[:2]) == 32
    order = [type(e).__name__ for e in events]
    assert order[:2] == ["StackDepth", "Images"]


def test_frames_decode_on_demand_within_the_cache(tmp_path):
    path = write_tiff_stack(tmp_path / "long.tif", gray_stack(40, np.uint16))
    with open_stack(path, cache_frames=3) as stack:
        assert stack.decoded_count == 0  # opening reads headers only
        assert stack.frame(17).raw[0, 0] == 17000
        assert stack.decoded_count == 1 and stack.cached_indices() == (17,)
        for index in range(40):
            stack.frame(index)
            assert len(stack.cached_indices()) <= 3
        assert stack.cached_indices() == (37, 38, 39) and stack.decoded_count == 41
        stack.frame(38)  # cached: not decoded again, now the most recent
        assert stack.decoded_count == 41 and stack.cached_indices() == (37, 39, 38)


def test_animations_decode_on_demand_within_the_cache(tmp_path):
    path = write_animation(tmp_path / "anim.png", count=12)
    with open_stack(path, cache_frames=2) as stack:
        assert stack.decoded_count == 0
        stack.frame(5)
        assert stack.decoded_count == 1 and stack.cached_indices() == (5,)
        for index in range(12):
            stack.frame(index)
        assert stack.cached_indices() == (10, 11)

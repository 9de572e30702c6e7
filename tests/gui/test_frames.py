"""Stacks in the Image and Segment panels, driven through real widgets: the frame slider and its keys,
per-frame masks, coalesced decoding, and propagation of accepted objects to the next frames."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PySide6.QtCore import Qt

from core.maskio import read_mask
from core.stacks.frame_masks import frame_mask_path
from tests.gui.conftest import make_image

H, W = 64, 96
SIDE = 18
STEP = (2, 4)  # rows, cols the square moves per frame
START = (20, 10)


def square_at(index: int, start=START, step=STEP) -> np.ndarray:
    mask = np.zeros((H, W), bool)
    top, left = start[0] + step[0] * index, start[1] + step[1] * index
    mask[max(top, 0):top + SIDE, max(left, 0):left + SIDE] = True
    return mask


def moving_square_stack(path, count=6, start=START, step=STEP):
    """A still textured background and a striped red square moving ``step`` pixels per frame (out of the
    picture, if it goes that far). Written as an RGB multi-page TIFF."""
    rng = np.random.default_rng(0)
    background = rng.integers(60, 140, (H, W, 1)).repeat(3, axis=2).astype(np.float64)
    frames = []
    for index in range(count):
        rgb = background.copy()
        mask = square_at(index, start, step)
        if mask.any():
            yy, xx = np.nonzero(mask)
            top, left = yy.min(), xx.min()
            rgb[mask] = np.array([200, 60, 40]) + 25 * np.sin((yy - top) * 0.9 + (xx - left) * 0.5)[:, None]
        frames.append(np.clip(rgb, 0, 255).astype(np.uint8))
    tifffile.imwrite(path, np.stack(frames), photometric="rgb")
    return frames


def iou(a, b):
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


def open_in_segment_panel(qtbot, window, path):
    window.image_panel.show_workspace()
    window.image_panel.select_path(path)
    window.tabs.setCurrentWidget(window.segment_panel)
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.image_path == path and seg.tool_buttons["click"].isEnabled(), timeout=10000)
    window.activateWindow()
    seg.view.setFocus()
    qtbot.waitUntil(seg.view.hasFocus, timeout=5000)
    return seg


def wait_frame(qtbot, window, index, frames=None):
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.session.frame == index and window.frames.navigator.shown == index
                    and not window.frames.navigator.busy, timeout=10000)
    if frames is not None:
        assert np.array_equal(window.scene.rgb, frames[index])


@pytest.fixture
def stack(workspace):
    path = workspace.images_dir / "walk.tif"
    return path, moving_square_stack(path)


def test_the_slider_shows_for_a_stack_only_and_its_keys_move_through_the_frames(qtbot, window, workspace, stack):
    path, frames = stack
    single = make_image(workspace.images_dir / "photo.png")
    panel = window.image_panel
    panel.show_workspace()
    panel.select_path(workspace.images_dir / "photo.png")
    qtbot.waitUntil(lambda: window.scene.rgb is not None and np.array_equal(window.scene.rgb, single), timeout=5000)
    assert not panel.frame_bar.isVisible() and not window.segment_panel.frame_bar.isVisibleTo(window.segment_panel)

    panel.select_path(path)
    qtbot.waitUntil(lambda: panel.frame_bar.isVisible(), timeout=5000)
    assert np.array_equal(window.scene.rgb, frames[0])
    assert window.segment_panel.frame_bar.isVisibleTo(window.segment_panel)
    assert panel.frame_bar.label.text() == "frame 1 / 6 · walk"  # not "walk [1/6]": that says it twice
    panel.view.setFocus()
    qtbot.waitUntil(panel.view.hasFocus, timeout=3000)
    qtbot.keyClick(panel.view, Qt.Key.Key_PageDown)
    wait_frame(qtbot, window, 1, frames)
    assert panel.frame_bar.slider.value() == 1 and panel.frame_bar.label.text().startswith("frame 2 / 6")
    assert window.segment_panel.frame_bar.slider.value() == 1  # both bars view one state
    qtbot.keyClick(panel.view, Qt.Key.Key_End)
    wait_frame(qtbot, window, 5, frames)
    qtbot.keyClick(panel.view, Qt.Key.Key_Comma)
    wait_frame(qtbot, window, 4, frames)
    qtbot.keyClick(panel.view, Qt.Key.Key_Home)
    wait_frame(qtbot, window, 0, frames)
    panel.frame_bar.slider.setValue(3)  # dragging the slider
    wait_frame(qtbot, window, 3, frames)
    assert panel.info_labels["Frames"].text().startswith("6 (tiff; frame 4 shown")

    panel.select_path(workspace.images_dir / "photo.png")  # back to a single image: no slider
    qtbot.waitUntil(lambda: not panel.frame_bar.isVisible(), timeout=5000)
    assert window.segment_panel.session.frame is None


def test_each_frame_keeps_its_own_mask_when_switching(qtbot, window, workspace, stack):
    path, frames = stack
    seg = open_in_segment_panel(qtbot, window, path)
    first = square_at(0).astype(np.uint8)
    assert seg.adopt_labels(first, {1: "walker"})
    assert window.scene.overlay_color(25, 15).alpha() > 0  # the adopted map is drawn at once
    qtbot.keyClick(seg.view, Qt.Key.Key_Period)  # no wait for the autosave: switching saves first
    wait_frame(qtbot, window, 1, frames)
    assert not seg.label_map.labels.any()  # frame 1 has no mask yet
    second = np.zeros((H, W), np.uint8)
    second[:10, :10] = 2
    assert seg.adopt_labels(second, {2: "corner"})
    qtbot.keyClick(seg.view, Qt.Key.Key_PageUp)
    wait_frame(qtbot, window, 0, frames)
    assert np.array_equal(seg.label_map.labels, first) and seg.label_map.names == {1: "walker"}
    qtbot.keyClick(seg.view, Qt.Key.Key_PageDown)
    wait_frame(qtbot, window, 1, frames)
    assert np.array_equal(seg.label_map.labels, second)
    seg.save_now()
    assert np.array_equal(read_mask(frame_mask_path(workspace, path, 0)).labels, first)
    assert np.array_equal(read_mask(frame_mask_path(workspace, path, 1)).labels, second)
    assert not (workspace.masks_dir / "walk.png").exists()  # a stack's masks are per frame
    assert np.array_equal(window.scene.labels, second)  # the Image panel's overlay is the frame's mask


def test_scrolling_fast_decodes_a_few_frames_not_every_one(qtbot, window, workspace):
    path = workspace.images_dir / "long.tif"
    frames = moving_square_stack(path, count=40)
    open_in_segment_panel(qtbot, window, path)
    stack = window.frames.stack
    decoded_before = stack.decoded_count
    shown = []
    window.segment_panel.image_set.connect(lambda: shown.append(window.segment_panel.session.frame))
    for _ in range(39):  # 39 key presses faster than frames decode
        qtbot.keyClick(window.segment_panel.view, Qt.Key.Key_PageDown)
    assert window.frames.navigator.wanted == 39
    wait_frame(qtbot, window, 39, frames)
    assert window.frames.navigator.decodes <= 3 and stack.decoded_count - decoded_before <= 3
    assert shown[-1] == 39 and len(shown) <= 3


def accept_square(qtbot, seg, index=0):
    """The square of frame ``index`` as an accepted object named "walker"."""
    assert seg.adopt_labels(square_at(index).astype(np.uint8), {1: "walker"})


def test_propagate_to_next_frame_moves_the_object_and_undo_takes_it_back(qtbot, window, workspace, stack):
    path, frames = stack
    seg = open_in_segment_panel(qtbot, window, path)
    action = seg.propagate_action
    assert action.isVisible() and action.next_button.isEnabled()
    accept_square(qtbot, seg)
    qtbot.keyClick(seg.view, Qt.Key.Key_P)
    wait_frame(qtbot, window, 1, frames)
    qtbot.waitUntil(lambda: "Propagated to frame 2" in action.status.text(), timeout=10000)
    carried = read_mask(frame_mask_path(workspace, path, 1))
    assert iou(carried.labels == 1, square_at(1)) > 0.9
    assert iou(carried.labels == 1, square_at(0)) < 0.7  # moved, not copied
    assert carried.report.names == {1: "walker"}
    assert np.array_equal(seg.label_map.labels, carried.labels)
    assert seg.current_label == 1 and seg.undo_button.isEnabled()  # the carried object is the one to correct
    qtbot.waitUntil(lambda: seg.last_result is not None and seg.last_result.has_object, timeout=10000)
    assert iou(seg.last_result.picture[..., 3] > 0, square_at(1)) > 0.8  # the segmenter starts from it
    assert "Propagated to frame 2" in window.status_text.text()
    assert not frame_mask_path(workspace, path, 2).exists()  # only the next frame

    qtbot.keyClick(seg.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not seg.label_map.labels.any()  # frame 2 had no mask before
    seg.save_now()
    assert not read_mask(frame_mask_path(workspace, path, 1)).labels.any()


def test_propagate_a_range_writes_every_frame_and_reports_a_lost_object(qtbot, window, workspace):
    path = workspace.images_dir / "exit.tif"
    start, step = (20, 50), (0, 9)
    frames = moving_square_stack(path, count=8, start=start, step=step)  # it leaves on the right at frame 6
    seg = open_in_segment_panel(qtbot, window, path)
    assert seg.adopt_labels(square_at(0, start, step).astype(np.uint8), {1: "walker"})
    action = seg.propagate_action
    assert action.to_frame.value() == 8  # up to the last frame unless chosen otherwise
    qtbot.keyClick(seg.view, Qt.Key.Key_P, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: action.handle is None and "left the picture" in action.status.text(), timeout=20000)
    wait_frame(qtbot, window, 1, frames)
    for index in (1, 2, 3, 4):
        carried = read_mask(frame_mask_path(workspace, path, index)).labels
        assert iou(carried == 1, square_at(index, start, step)) > 0.85, index
    assert action.lost == [(6, 1)]
    assert "walker left the picture at frame 7" in window.status_text.text()
    assert action.done == [1, 2, 3, 4, 5, 6]  # nothing left to carry after it: the job stops there
    assert not read_mask(frame_mask_path(workspace, path, 6)).labels.any()


def test_cancel_stops_the_propagation_and_keeps_the_frames_done(qtbot, window, workspace, monkeypatch):
    path = workspace.images_dir / "long.tif"
    frames = moving_square_stack(path, count=12)
    seg = open_in_segment_panel(qtbot, window, path)
    accept_square(qtbot, seg)
    stack = window.frames.stack
    real_frame = stack.frame
    gate = []

    def slow_frame(index):  # the third frame waits until the test has pressed Cancel
        if index == 3:
            qtbot.waitUntil(lambda: bool(gate), timeout=10000)
        return real_frame(index)

    monkeypatch.setattr(stack, "frame", slow_frame)
    action = seg.propagate_action
    handle = action.propagate(11)
    qtbot.waitUntil(lambda: action.done == [1, 2], timeout=10000)
    assert not window.frames.enabled and not seg.frame_bar.slider.isEnabled()  # no navigation while it writes
    action.cancel_button.click()
    gate.append(True)
    qtbot.waitUntil(lambda: handle.finished and action.handle is None, timeout=10000)
    assert handle.last_event.cancelled
    wait_frame(qtbot, window, 1, frames)
    assert "Cancelled: frames 2–3 propagated" in action.status.text()
    assert frame_mask_path(workspace, path, 2).exists() and not frame_mask_path(workspace, path, 3).exists()
    assert window.frames.enabled and not action.progress.isVisible()


def test_propagation_needs_an_accepted_object_and_a_next_frame(qtbot, window, workspace, stack):
    path, frames = stack
    seg = open_in_segment_panel(qtbot, window, path)
    action = seg.propagate_action
    assert action.propagate_next() is None
    assert "accept an object" in action.status.text()
    window.frames.go(5)
    wait_frame(qtbot, window, 5, frames)
    accept_square(qtbot, seg, 5)
    assert not action.next_button.isEnabled()
    assert action.propagate_next() is None and "last frame" in action.status.text()


def test_a_sequence_folder_opens_as_one_stack_with_a_depth_badge_and_the_menu_moves_frames(qtbot, window, tmp_path):
    from PIL import Image

    folder = tmp_path / "outside" / "walk"
    folder.mkdir(parents=True)
    frames = moving_square_stack(tmp_path / "walk.tif", count=5)
    for index, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / f"walk_{index + 1:04d}.png")
    panel = window.image_panel
    panel.open_paths([folder], sequences=True)
    qtbot.waitUntil(lambda: panel.frame_bar.isVisible(), timeout=5000)
    assert np.array_equal(window.scene.rgb, frames[0])
    assert panel.frame_bar.label.text() == "frame 1 / 5 · walk_0001.png"
    assert panel._items[str(folder)] is panel.image_list.currentItem()  # one entry for the whole sequence
    qtbot.waitUntil(lambda: panel._depths.get(str(folder)) == 5, timeout=5000)
    icon = panel._items[str(folder)].icon().pixmap(72, 72).toImage()
    badge = icon.pixelColor(66, 68)  # the "×5" tag's dark corner (the thumbnail is bright there)
    assert badge.red() < 60 and badge.alpha() > 150
    next_frame = next(a for a in window.frame_actions if a.text().startswith("Next Frame"))
    assert next_frame.isEnabled()
    next_frame.trigger()
    wait_frame(qtbot, window, 1, frames)
    assert panel.frame_bar.label.text() == "frame 2 / 5 · walk_0002.png"
    panel.select_path(window.workspace.images_dir / "sample_scene.png")
    qtbot.waitUntil(lambda: not panel.frame_bar.isVisible(), timeout=5000)
    assert not next_frame.isEnabled()

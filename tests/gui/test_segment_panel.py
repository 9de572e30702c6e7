"""The Segment panel driven through real widgets: clicks, brush, fill, accept, undo/redo, autosave, export."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from core.maskio import read_mask, write_mask
from core.segmentation import click_segmenter
from gui.segment.segment_view import TOOL_BRUSH, TOOL_ERASER, TOOL_FILL


def disc_image(path, h=120, w=160, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    disc = (yy - 60) ** 2 + (xx - 80) ** 2 < 30**2
    rgb = (rng.normal(90, 12, (h, w, 3)) + disc[..., None] * np.array([110, 60, -40])).clip(0, 255)
    rgb = rgb.astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    return rgb, disc


def mouse(view, kind, row, col, button=Qt.MouseButton.LeftButton, modifiers=Qt.KeyboardModifier.NoModifier):
    """A real mouse event on the view's viewport at image pixel (row, col)."""
    local = QPointF(view.mapFromScene(QPointF(col + 0.5, row + 0.5)))
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, local, QPointF(view.viewport().mapToGlobal(local.toPoint())), button, buttons,
                        modifiers)
    QApplication.sendEvent(view.viewport(), event)


def click(view, row, col, **kwargs):
    mouse(view, QEvent.Type.MouseButtonPress, row, col, **kwargs)
    mouse(view, QEvent.Type.MouseButtonRelease, row, col, **kwargs)


def drag(view, points, **kwargs):
    mouse(view, QEvent.Type.MouseButtonPress, *points[0], **kwargs)
    for point in points[1:]:
        mouse(view, QEvent.Type.MouseMove, *point, **kwargs)
    mouse(view, QEvent.Type.MouseButtonRelease, *points[-1], **kwargs)


def iou(a, b):
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


@pytest.fixture
def panel(qtbot, window, workspace):
    """The Segment panel with a disc image from the workspace loaded and prepared."""
    rgb, disc = disc_image(workspace.images_dir / "disc.png")
    window.image_panel.show_workspace()
    window.image_panel.select_path(workspace.images_dir / "disc.png")
    window.tabs.setCurrentWidget(window.segment_panel)
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.rgb is not None and seg.rgb.shape == rgb.shape and seg.accept_button.isVisible()
                    and seg.tool_buttons["click"].isEnabled(), timeout=10000)
    seg.view.fit()
    window.activateWindow()
    seg.view.setFocus()
    qtbot.waitUntil(seg.view.hasFocus, timeout=5000)  # keyboard shortcuts act on the focused panel
    seg.disc = disc
    return seg


def wait_result(qtbot, seg, interactions=None):
    qtbot.waitUntil(lambda: seg.last_result is not None and seg.last_result.revision == seg.worker.revision
                    and (interactions is None or seg.last_result.interactions == interactions), timeout=10000)
    return seg.last_result


def test_click_shows_the_object_and_enter_accepts_it_into_the_saved_mask(qtbot, panel, workspace):
    click(panel.view, 60, 80)
    result = wait_result(qtbot, panel, 1)
    assert result.has_object
    assert not panel.scene.object_overlay_item().pixmap().isNull()
    alpha = result.picture[..., 3] > 0
    assert iou(alpha, panel.disc) > 0.8  # the overlay is the disc (work scale is 1 here)
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: 1 in panel.label_map.names, timeout=5000)
    assert iou(panel.label_map.labels == 1, panel.disc) > 0.85
    assert panel.current_label == 2  # ready for the next object
    mask_path = workspace.masks_dir / "disc.png"
    qtbot.waitUntil(lambda: panel.last_saved == str(mask_path), timeout=5000)
    assert np.array_equal(read_mask(mask_path).labels, panel.label_map.labels)
    assert panel.scene.labels is panel.label_map.labels


def test_right_click_and_alt_click_are_background(qtbot, panel):
    click(panel.view, 60, 80)
    click(panel.view, 5, 5, button=Qt.MouseButton.RightButton)
    click(panel.view, 110, 150, modifiers=Qt.KeyboardModifier.AltModifier)
    wait_result(qtbot, panel, 3)
    clicks = panel.worker.interactions()
    assert [c.positive for c in clicks] == [True, False, False]


def test_rapid_clicks_coalesce_and_no_model_work_runs_in_the_gui_process(qtbot, panel, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the click model ran in the GUI process")

    monkeypatch.setattr(click_segmenter.ClickSegmenter, "_update", refuse)  # only this process is patched
    assert panel.worker._remote.pid != os.getpid()
    results = []
    panel.worker.result.connect(results.append)
    for k in range(25):
        panel.add_click(60 + (k % 5), 80 + (k % 7), positive=True)
    wait_result(qtbot, panel, 25)
    assert len(results) < 25  # stale states were never computed
    assert results[-1].interactions == 25 and results[-1].has_object


def test_brush_eraser_fill_with_undo_and_redo(qtbot, panel, workspace):
    seg = panel
    seg.set_tool(TOOL_BRUSH)
    seg.brush_slider.setValue(3)
    drag(seg.view, [(20, 20), (20, 40), (20, 60)])
    painted = seg.label_map.labels.copy()
    assert painted[20, 20] == painted[20, 50] == seg.current_label and painted[30, 50] == 0
    assert seg.session.history == ["map"]  # one stroke = one undo step
    seg.set_tool(TOOL_ERASER)
    drag(seg.view, [(20, 35), (20, 45)])
    assert seg.label_map.labels[20, 40] == 0 and seg.label_map.labels[20, 20] != 0
    seg.set_tool(TOOL_FILL)
    click(seg.view, 100, 10)  # fills the background region around the strokes
    assert seg.label_map.labels[100, 10] == seg.current_label
    qtbot.keyClick(seg.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert seg.label_map.labels[100, 10] == 0
    qtbot.keyClick(seg.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(seg.label_map.labels, painted)
    qtbot.keyClick(seg.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert seg.label_map.labels[20, 40] == 0
    # the overlay pixmap follows the label map (updated region by region)
    assert seg.scene.overlay_color(20, 20).alpha() > 0 and seg.scene.overlay_color(20, 40).alpha() == 0
    assert seg.scene.overlay_color(17, 22).getRgb() == (255, 255, 255, 255)  # objects are outlined in white
    assert seg.scene.overlay_color(20, 22).getRgb()[:3] == tuple(int(v) for v in seg.scene.colors[seg.current_label])
    assert seg.save_now()
    assert np.array_equal(read_mask(workspace.masks_dir / "disc.png").labels, seg.label_map.labels)


def test_undo_redo_of_clicks_keeps_the_markers_in_step(qtbot, panel):
    click(panel.view, 60, 80)
    click(panel.view, 10, 10, button=Qt.MouseButton.RightButton)
    wait_result(qtbot, panel, 2)
    visible = [item for item in panel.markers.items if item.isVisible()]
    assert len(visible) == 2 and all(item.scene() is panel.scene for item in visible)
    panel.undo()
    assert wait_result(qtbot, panel, 1).has_object and len(panel.markers.items) == 1
    panel.redo()
    wait_result(qtbot, panel, 2)
    assert len(panel.markers.items) == 2
    panel.clear_object()
    assert not wait_result(qtbot, panel, 0).has_object and not panel.markers.items


def test_dragging_with_the_click_tool_draws_a_scribble(qtbot, panel):
    drag(panel.view, [(50, 70), (60, 80), (70, 90)])
    result = wait_result(qtbot, panel, 1)
    assert result.has_object
    assert type(panel.worker.interactions()[0]).__name__ == "Stroke"
    assert iou(result.picture[..., 3] > 0, panel.disc) > 0.8


def test_existing_mask_is_loaded_and_an_object_can_be_corrected(qtbot, window, workspace):
    rgb, disc = disc_image(workspace.images_dir / "pre.png")
    wrong = np.zeros(disc.shape, np.uint8)
    wrong[disc] = 1
    wrong[:, :20] = 1  # a strip that is not part of the object
    write_mask(workspace.masks_dir / "pre.png", wrong, {1: "ball"})
    window.image_panel.show_workspace()
    window.image_panel.select_path(workspace.images_dir / "pre.png")
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.label_map is not None and seg.label_map.names.get(1) == "ball"
                    and seg.tool_buttons["click"].isEnabled(), timeout=10000)
    seg.select_label(1)  # its mask becomes the prior the clicks correct
    seg.view.fit()
    click(seg.view, 60, 8, button=Qt.MouseButton.RightButton)
    wait_result(qtbot, seg, 1)
    seg.accept_object()
    qtbot.waitUntil(lambda: not (seg.label_map.labels[:, :5] == 1).any(), timeout=5000)
    assert iou(seg.label_map.labels == 1, disc) > 0.85
    assert seg.label_map.names[1] == "ball"


def test_export_writes_binary_masks_and_the_overlay(qtbot, panel, tmp_path):
    panel.set_tool(TOOL_BRUSH)
    drag(panel.view, [(30, 30), (30, 50)])
    with qtbot.waitSignal(panel.export(tmp_path / "out").done, timeout=5000):
        pass
    binary = np.asarray(Image.open(tmp_path / "out" / "disc_001_object_1.png"))
    assert set(np.unique(binary)) == {0, 255}
    assert np.array_equal(binary > 0, panel.label_map.labels == 1)
    overlay = np.asarray(Image.open(tmp_path / "out" / "disc_overlay.png"))
    assert overlay.shape == (120, 160, 3) and not np.array_equal(overlay[30, 40], panel.rgb[30, 40])


def test_image_from_outside_the_workspace_is_copied_in_when_first_edited(qtbot, window, workspace, tmp_path):
    rgb, _ = disc_image(tmp_path / "elsewhere" / "out.png")
    window.open_paths([str(tmp_path / "elsewhere" / "out.png")])
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.rgb is not None and seg.rgb.shape == rgb.shape
                    and seg.tool_buttons["click"].isEnabled(), timeout=10000)
    seg.label_map.paint([(5, 5)], 3, 1)
    seg._labels_changed(seg.label_map.paint([(6, 6)], 3, 1), names_changed=True)
    assert seg.save_now()
    assert (workspace.images_dir / "out.png").is_file()
    assert read_mask(workspace.masks_dir / "out.png").labels[5, 5] == 1


def test_save_failure_is_reported_and_edits_are_kept(qtbot, panel, workspace):
    masks = workspace.masks_dir
    blocked = masks.with_name("masks-moved")
    masks.rename(blocked)
    masks.write_text("not a folder")  # the masks folder is now a file: saving must fail, not crash
    try:
        panel.set_tool(TOOL_BRUSH)
        drag(panel.view, [(30, 30), (30, 50)])
        qtbot.waitUntil(lambda: "Could not save" in panel.save_status.text(), timeout=5000)
        assert (panel.label_map.labels == panel.current_label).any()
    finally:
        masks.unlink()
        blocked.rename(masks)
    assert panel.save_now()
    assert read_mask(masks / "disc.png").labels[30, 40] == panel.current_label


def test_a_killed_segmentation_process_is_restarted_and_nothing_accepted_is_lost(qtbot, panel):
    click(panel.view, 60, 80)
    wait_result(qtbot, panel, 1)
    panel.accept_object()
    qtbot.waitUntil(lambda: 1 in panel.label_map.names, timeout=5000)
    accepted = panel.label_map.labels.copy()
    old_pid = panel.worker._remote.pid
    os.kill(old_pid, signal.SIGKILL)
    with qtbot.waitSignal(panel.worker.restarted, timeout=20000):
        click(panel.view, 60, 80)
    assert "restart" in panel.save_status.text()
    assert panel.worker._remote.pid != old_pid
    assert np.array_equal(panel.label_map.labels, accepted)
    click(panel.view, 60, 80)  # and it works again
    assert wait_result(qtbot, panel, 1).has_object

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QWheelEvent
from PySide6.QtWidgets import QFileDialog

from core.maskio import write_mask
from core.workspace import DEFAULT_SAMPLE_NAME
from tests.gui.conftest import hover, make_image, wait_for_image


def test_window_has_four_panels_whose_tools_wait_for_their_input(window):
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Image", "Segment", "Train", "GAN"]
    # the segment tools wait for an image; the GAN explorer's sampling controls wait for a generator
    assert not any(widget.isEnabled() for widget in window.segment_panel.controls)
    assert window.gan_panel.controls and not any(widget.isEnabled() for widget in window.gan_panel.controls)
    assert window.gan_panel.grid_view.placeholder.startswith("No GAN run open")  # says what to do next


def test_first_start_lists_the_generated_sample(qtbot, window):
    assert [p.name for p in window.image_panel.list_paths()] == [DEFAULT_SAMPLE_NAME]
    window.image_panel.image_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scene.rgb is not None, timeout=5000)
    assert window.scene.rgb.shape == (480, 640, 3)
    assert "640 × 480" in window.image_panel.info_labels["Size"].text()


def test_open_dialog_shows_image_and_remembers_it(qtbot, window, tmp_path, monkeypatch):
    rgb = make_image(tmp_path / "pics" / "a.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(tmp_path / "pics" / "a.png")], "")))
    window.open_action.trigger()
    wait_for_image(qtbot, window, rgb)
    assert window.recent.paths()[0] == str((tmp_path / "pics" / "a.png").resolve())


def test_drag_and_drop_opens_files(qtbot, window, tmp_path):
    rgb = make_image(tmp_path / "dropped.png", seed=5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.png"))])
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    wait_for_image(qtbot, window, rgb)
    assert window.tabs.currentWidget() is window.image_panel


def test_open_folder_lists_its_images_with_thumbnails_and_marks_bad_ones(qtbot, window, tmp_path):
    folder = tmp_path / "folder"
    make_image(folder / "b.png", seed=1)
    first = make_image(folder / "a.png", seed=2)
    (folder / "broken.png").write_text("not an image")
    window.open_paths([str(folder)])
    panel = window.image_panel
    assert [p.name for p in panel.list_paths()] == ["a.png", "b.png", "broken.png"]
    wait_for_image(qtbot, window, first)
    broken = panel.image_list.item(2)
    qtbot.waitUntil(lambda: "not an image" in broken.toolTip(), timeout=5000)
    good = panel.image_list.item(0)
    qtbot.waitUntil(lambda: good.icon().availableSizes() and good.icon().availableSizes()[0].width() == 72,
                    timeout=5000)


def test_bad_file_shows_error_dialog_and_app_keeps_working(qtbot, window, tmp_path):
    bad = tmp_path / "fake.png"
    bad.write_text("<html>oops</html>")
    window.open_paths([str(bad)])
    qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1, timeout=5000)
    dialog = window.errors.dialogs[0]
    assert str(bad) in dialog.text() and "HTML page" in dialog.text()
    assert "seggan-studio.log" in dialog.informativeText()
    assert window.scene.rgb is None, "a failed load must not leave the previous image under the new name"
    assert "HTML page" in window.image_panel.info_labels["Notes"].text()
    dialog.accept()
    good = make_image(tmp_path / "good.png", seed=3)
    window.open_paths([str(tmp_path / "good.png")])
    wait_for_image(qtbot, window, good)


def test_zoom_fit_one_to_one_and_pan(qtbot, window, tmp_path):
    make_image(tmp_path / "big.png", height=1600, width=2000)
    window.open_paths([str(tmp_path / "big.png")])
    qtbot.waitUntil(lambda: window.scene.rgb is not None and window.scene.rgb.shape[1] == 2000, timeout=5000)
    view = window.image_panel.view
    qtbot.waitUntil(lambda: view.zoom < 1.0)
    fitted = view.zoom
    visible = view.visible_scene_rect()
    assert visible.width() >= 2000 * 0.99 or visible.height() >= 1600 * 0.99  # whole image visible
    center = view.viewport().rect().center()
    wheel = QWheelEvent(QPointF(center), QPointF(view.mapToGlobal(center)), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(wheel)
    assert view.zoom == fitted * 1.0015 ** 120
    window.image_panel.one_button.click()
    assert view.zoom == 1.0 and window.image_panel.zoom_label.text() == "100%"
    before = view.visible_scene_rect()
    view.pan_by(120, 80)
    after = view.visible_scene_rect()
    assert after.x() - before.x() == 120 and after.y() - before.y() == 80
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(view.viewport(), QPoint(250, 260))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(250, 260))
    dragged = view.visible_scene_rect()
    assert (dragged.x(), dragged.y()) == (after.x() + 50, after.y() + 40)
    window.image_panel.fit_button.click()
    assert view.zoom == fitted


def test_hover_shows_pixel_coordinates_and_value(qtbot, window, tmp_path):
    rgb = make_image(tmp_path / "p.png")
    window.open_paths([str(tmp_path / "p.png")])
    wait_for_image(qtbot, window, rgb)
    view = window.image_panel.view
    view.set_zoom(8)  # pixels 8 screen pixels wide: the cursor is unambiguously inside one
    view.centerOn(10, 5)
    hover(view, QPointF(10.5, 5.5))
    r, g, b = rgb[5, 10]
    qtbot.waitUntil(lambda: window.status_text.text().startswith("x 10, y 5"))
    assert f"RGB ({r}, {g}, {b})" in window.status_text.text()


def test_16bit_pixel_readout_shows_stored_value(qtbot, window, tmp_path):
    from PIL import Image

    values = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 10
    Image.fromarray(values).save(tmp_path / "deep.png")
    window.open_paths([str(tmp_path / "deep.png")])
    qtbot.waitUntil(lambda: window.image_panel.current is not None
                    and window.image_panel.current.meta.bit_depth == 16, timeout=5000)
    view = window.image_panel.view
    view.set_zoom(8)
    view.centerOn(3, 2)
    hover(view, QPointF(3.5, 2.5))
    qtbot.waitUntil(lambda: window.status_text.text().startswith("x 3, y 2"))
    assert f"value {values[2, 3]} (16-bit)" in window.status_text.text()
    assert "16-bit" in window.image_panel.info_labels["Bit depth"].text()


def test_workspace_mask_is_shown_as_overlay_with_opacity_and_colours(qtbot, window, workspace):
    sample = workspace.images()[0]
    labels = np.zeros((480, 640), np.uint8)
    labels[10:50, 10:50] = 1
    labels[100:200, 300:400] = 3
    write_mask(workspace.mask_path(sample), labels, names={1: "ball", 3: "ring"})
    window.image_panel.image_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scene.labels is not None, timeout=5000)
    np.testing.assert_array_equal(window.scene.labels, labels)
    panel = window.image_panel
    listed = lambda: [panel.label_list.item(i).text() for i in range(panel.label_list.count())]  # noqa: E731
    qtbot.waitUntil(lambda: listed() == ["1  ball", "3  ring"], timeout=3000)
    panel.opacity_slider.setValue(80)
    assert window.scene.overlay_layer().opacity() == 0.8
    assert window.segment_panel.opacity_slider.value() == 80  # one setting, every slider shows it
    window.segment_panel.opacity_slider.setValue(30)
    assert panel.opacity_slider.value() == 30 and window.scene.overlay_opacity == 0.3
    panel.set_label_color(3, QColor(1, 2, 3))
    assert tuple(window.scene.colors[3]) == (1, 2, 3)
    objects = window.segment_panel.label_list  # the Segment panel's list follows the colour
    ring = next(objects.item(i) for i in range(objects.count()) if objects.item(i).text() == "ring")
    assert ring.icon().pixmap(16, 16).toImage().pixelColor(8, 8).getRgb()[:3] == (1, 2, 3)
    assert window.scene.overlay_color(150, 350).getRgb()[:3] == (1, 2, 3)
    assert window.scene.overlay_color(5, 5).alpha() == 0  # background is transparent
    panel.overlay_check.setChecked(False)
    assert not window.scene.overlay_visible


def test_mask_of_wrong_size_is_reported_not_shown(qtbot, window, workspace, tmp_path):
    window.image_panel.image_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scene.labels is not None, timeout=5000)  # the sample's own mask
    shown = window.scene.labels.copy()
    write_mask(tmp_path / "small.png", np.ones((10, 10), np.uint8))
    window.image_panel.load_mask_file(tmp_path / "small.png")
    qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1, timeout=5000)
    assert "mask is 10x10 but its image is 640x480" in window.errors.dialogs[0].text()
    assert np.array_equal(window.scene.labels, shown)  # nothing of the bad mask shown


def test_loaded_mask_and_clear_go_through_the_segment_panels_history(qtbot, window, tmp_path):
    window.image_panel.image_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scene.labels is not None, timeout=5000)  # the sample's own mask
    segment = window.segment_panel
    original = window.scene.labels.copy()
    assert window.scene.labels is segment.label_map.labels  # the one map, owned by the Segment panel
    loaded = np.zeros_like(original)
    loaded[100:140, 200:260] = 7
    write_mask(tmp_path / "other.png", loaded)
    window.image_panel.load_mask_file(tmp_path / "other.png")
    qtbot.waitUntil(lambda: np.array_equal(window.scene.labels, loaded), timeout=5000)
    assert window.scene.labels is segment.label_map.labels
    qtbot.waitUntil(lambda: segment.undo_button.isEnabled(), timeout=5000)
    segment.undo()
    assert np.array_equal(window.scene.labels, original)  # Undo brings the sample's labels back
    window.image_panel.clear_mask_button.click()
    assert not window.scene.labels.any()
    qtbot.waitUntil(lambda: window.image_panel.label_list.count() == 0, timeout=3000)
    assert "Undo" in window.image_panel.mask_status.text()
    segment.undo()
    assert np.array_equal(window.scene.labels, original)


def test_recent_entry_that_vanished_is_reported_and_removed(qtbot, window, tmp_path):
    missing = tmp_path / "gone.png"
    window.recent.add(missing)
    window.open_recent(str(missing.resolve()))
    qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1)
    assert "no longer exists" in window.errors.dialogs[0].text()
    assert str(missing.resolve()) not in window.recent.paths()


def test_switching_workspace(qtbot, window, tmp_path):
    other = tmp_path / "other"
    make_image(other / "images" / "z.png")
    window.set_workspace(other)
    assert [p.name for p in window.image_panel.list_paths()] == ["z.png"]
    assert window.workspace.root == Path(other).resolve()
    assert "other" in window.windowTitle()

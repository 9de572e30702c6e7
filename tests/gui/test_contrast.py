"""Contrast limits for 16-bit and float images, driven through the real panels offscreen."""

from __future__ import annotations

import numpy as np
import tifffile
from PIL import Image
from PySide6.QtCore import QPointF

from core.display.contrast import ChannelLimits, auto_limits
from tests.gui.conftest import hover, make_image


def outlier_image(path, height=40, width=50):
    """16-bit values 1000..1999 (a ramp along x) with one hot pixel at 65535 and one dead at 0."""
    raw = (1000 + np.arange(width) * 1000 // width).astype(np.uint16)[None, :].repeat(height, axis=0)
    raw[0, 0], raw[0, 1] = 65535, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(raw).save(path)  # mode I;16
    return raw


def open_and_wait(qtbot, window, path, active=True):
    window.image_panel.open_paths([path])
    contrast = window.image_panel.contrast
    qtbot.waitUntil(lambda: window.image_panel.current_path == path and window.image_panel.current is not None
                    and contrast.active == active, timeout=10_000)
    return contrast


def grey_at(window, row, col) -> int:
    color = window.scene.image_color(row, col)
    assert color.red() == color.green() == color.blue()
    return color.red()


def test_limits_change_the_canvas_and_auto_restores(qtbot, window, tmp_path):
    raw = outlier_image(tmp_path / "em16.png")
    contrast = open_and_wait(qtbot, window, tmp_path / "em16.png")
    box = window.image_panel.contrast_box
    assert not box.isHidden() and not window.segment_panel.contrast_box.isHidden()
    (auto,) = auto_limits(raw)
    assert 1000 <= auto.low < 1020 and 1970 < auto.high <= 1999  # the outliers are ignored
    row, col = 10, 25  # stored 1500
    expected = int(np.rint((1500 - auto.low) / (auto.high - auto.low) * 255))
    assert grey_at(window, row, col) == expected  # shown under auto limits from the start

    box.low_field.setValue(1500)  # what typing in the fields does
    box.high_field.setValue(1600)
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    assert contrast.settings.limits == (ChannelLimits(1500.0, 1600.0),)
    assert grey_at(window, row, col) == 0  # 1500 is now black
    assert grey_at(window, row, 40) == 255  # 1800 saturates
    assert grey_at(window, row, 27) == int(np.rint((1540 - 1500) / 100 * 255))
    np.testing.assert_array_equal(window.image_panel.current.raw, raw)  # stored values untouched

    box.auto_button.click()
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    assert grey_at(window, row, col) == expected
    assert (box.low_field.value(), box.high_field.value()) == (round(auto.low), round(auto.high))  # they follow
    assert box.slider.value()[0] < box.slider.value()[1] < 10_000

    box.slider.setValue((0, 10_000))  # dragging the handles to the ends: the data's min..max
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    assert contrast.settings.limits == (ChannelLimits(0, 65535),)

    box.full_button.click()
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    assert grey_at(window, row, col) == int(np.rint(1500 / 65535 * 255))


def test_readout_shows_stored_values_and_the_shown_grey(qtbot, window, tmp_path):
    outlier_image(tmp_path / "em16.png")
    contrast = open_and_wait(qtbot, window, tmp_path / "em16.png")
    contrast.set_limits(0, 1500, 1600)
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    view = window.image_panel.view
    view.actual_size()
    hover(view, QPointF(27.5, 10.5))
    text = window.status_text.text()
    col = int(text.split("x ")[1].split(",")[0])  # the pixel the offscreen mouse landed on (27 or 28)
    stored = 1000 + col * 20
    assert col in (27, 28) and f"value {stored} (16-bit)" in text
    assert f"shown as {int(np.rint((stored - 1500) / 100 * 255))}" in text


def test_hidden_for_8bit_photos(qtbot, window, tmp_path):
    make_image(tmp_path / "photo.png")
    contrast = open_and_wait(qtbot, window, tmp_path / "photo.png", active=False)
    assert window.image_panel.contrast_box.isHidden() and window.segment_panel.contrast_box.isHidden()
    outlier_image(tmp_path / "em16.png")
    open_and_wait(qtbot, window, tmp_path / "em16.png")
    assert not window.image_panel.contrast_box.isHidden()
    open_and_wait(qtbot, window, tmp_path / "photo.png", active=False)  # back to the photo: hidden again
    assert window.image_panel.contrast_box.isHidden() and contrast.image is None


def test_limits_are_remembered_per_image_in_the_session(qtbot, window, tmp_path):
    outlier_image(tmp_path / "a.png")
    outlier_image(tmp_path / "b.png")
    contrast = open_and_wait(qtbot, window, tmp_path / "a.png")
    contrast.set_limits(0, 1200, 1300, gamma=2.0)
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    open_and_wait(qtbot, window, tmp_path / "b.png")
    assert contrast.settings.limits[0].low != 1200  # a new image starts with auto limits
    open_and_wait(qtbot, window, tmp_path / "a.png")
    assert contrast.settings.limits == (ChannelLimits(1200, 1300, 2.0),)
    assert window.image_panel.contrast_box.gamma_spin.value() == 2.0
    assert grey_at(window, 10, 10) == int(np.rint(((1200 - 1200) / 100) ** 2 * 255))
    assert grey_at(window, 10, 12) == int(np.rint(((1240 - 1200) / 100) ** 2 * 255))


def test_channels_are_set_independently(qtbot, window, tmp_path):
    data = np.zeros((20, 30, 2), np.uint16)
    data[..., 0] = 1000 + np.arange(20, dtype=np.uint16)[:, None] * 10
    data[..., 1] = np.arange(30, dtype=np.uint16)[None, :] * 100
    tifffile.imwrite(tmp_path / "two.tif", data, photometric="minisblack", planarconfig="contig")
    contrast = open_and_wait(qtbot, window, tmp_path / "two.tif")
    box = window.image_panel.contrast_box
    assert box.channel_combo.count() == 2 and not box.channel_combo.isHidden()
    box.channel_combo.setCurrentIndex(1)
    box.low_field.setValue(0)
    box.high_field.setValue(1000)
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    first = contrast.settings.limits[0]
    assert contrast.settings.limits[1] == ChannelLimits(0.0, 1000.0) and first.high < 1200
    color = window.scene.image_color(5, 10)  # channel 1 at 1000 = full green; channel 0 adds magenta
    assert color.green() == 255
    box.solo_check.setChecked(True)  # channel 2 alone, in grey
    qtbot.waitUntil(lambda: contrast.shown == contrast.settings, timeout=5000)
    assert contrast.settings.solo == 1
    assert grey_at(window, 5, 5) == int(np.rint(500 / 1000 * 255))


def test_segment_panel_alone_follows_a_16bit_image(qtbot, tmp_path):
    """A Segment panel given a 16-bit image that no Image panel prepared: prepared on a worker, then shown
    under auto limits, with its contrast box."""
    from core.imageio import load_image
    from gui.canvas import ImageScene
    from gui.segment.segment_panel import SegmentPanel
    from gui.workers import WorkerBridge

    raw = outlier_image(tmp_path / "em16.png")
    loaded = load_image(tmp_path / "em16.png")
    bridge = WorkerBridge()
    scene = ImageScene()
    panel = SegmentPanel(scene, bridge)
    qtbot.addWidget(panel)
    try:
        scene.set_image(loaded.rgb)
        assert panel.contrast_box.isHidden()
        panel.set_image(loaded.rgb, tmp_path / "em16.png", loaded=loaded)
        qtbot.waitUntil(lambda: panel.contrast.active, timeout=10_000)
        assert not panel.contrast_box.isHidden()
        (auto,) = auto_limits(raw)
        color = scene.image_color(10, 25)
        assert color.red() == int(np.rint((1500 - auto.low) / (auto.high - auto.low) * 255))
        np.testing.assert_array_equal(panel.loaded.raw, raw)
    finally:
        panel.shutdown()
        bridge.shutdown(5000)

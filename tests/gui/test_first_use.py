"""What a newcomer met on first use (issue 16): state that did not follow what it describes, views that
widened the window, dialogs that started in the working directory, and the help and empty states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QToolButton

from core.gan.config import gan_config
from core.sample_scene import make_sample_scene
from core.training.config import Budget, RunConfig
from core.training.run_folder import RunFolder
from gui.help.shortcuts import SHORTCUTS
from tests.gui.conftest import hover
from tests.gui.test_segment_panel import click, wait_result


def make_run(folder: Path, config: RunConfig, state: str = "finished", **status) -> Path:
    run = RunFolder(folder)
    run.create(config)
    run.write_status(state, **status)
    return folder


def unet_config() -> RunConfig:
    return RunConfig(task="unet", task_params={"num_classes": 2}, budget=Budget(minutes=1))


def two_discs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A grey image with an orange disc on the left and a blue one on the right."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:120, :200]
    left = (yy - 60) ** 2 + (xx - 50) ** 2 < 28**2
    right = (yy - 60) ** 2 + (xx - 150) ** 2 < 28**2
    rgb = rng.normal(100, 8, (120, 200, 3))
    rgb[left] = (230, 140, 40)
    rgb[right] = (40, 90, 220)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb.clip(0, 255).astype(np.uint8)).save(path)
    return left, right


@pytest.fixture
def seg(qtbot, window, workspace):
    """The Segment panel on the two-disc image, prepared for clicks."""
    path = workspace.images_dir / "discs.png"
    left, right = two_discs(path)
    window.image_panel.show_workspace()
    window.image_panel.select_path(path)
    window.tabs.setCurrentWidget(window.segment_panel)
    panel = window.segment_panel
    qtbot.waitUntil(lambda: panel.rgb is not None and panel.rgb.shape == (120, 200, 3)
                    and panel.tool_buttons["click"].isEnabled(), timeout=10_000)
    panel.view.fit()
    panel.discs = (left, right)
    return panel


def fill_colour(picture: np.ndarray) -> tuple[int, int, int]:
    """The most common colour of the object picture's translucent fill (its outlines are white/dark)."""
    inside = picture[(picture[..., 3] > 0) & (picture[..., 3] < 255)][:, :3]
    colours, counts = np.unique(inside, axis=0, return_counts=True)
    return tuple(int(v) for v in colours[np.argmax(counts)])


# 1. the first start shows the sample scene with its mask ----------------------------------------------------
def test_first_start_sample_opens_with_its_four_labelled_objects(qtbot, window):
    window.image_panel.image_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scene.labels is not None, timeout=5000)
    _, labels = make_sample_scene()
    assert np.array_equal(window.scene.labels, labels)
    listed = window.image_panel.label_list
    qtbot.waitUntil(lambda: [listed.item(i).text() for i in range(listed.count())]
                    == ["1  ball", "2  box", "3  ring", "4  leaf"], timeout=3000)
    assert "No mask" not in window.image_panel.mask_status.text()
    hover(window.image_panel.view, QPointF(160.5, 150.5))  # the ball's centre
    qtbot.waitUntil(lambda: window.status_text.text().startswith("x 160, y 150"), timeout=3000)
    assert window.status_text.text().endswith("label 1 (ball)")


def test_an_image_without_a_mask_reads_out_no_label(qtbot, window, tmp_path):
    """The Segment panel's blank label map is not a measurement: no "label 0" for an unannotated image."""
    path = tmp_path / "plain.png"
    Image.new("RGB", (40, 30), (10, 200, 30)).save(path)
    window.open_paths([str(path)])
    qtbot.waitUntil(lambda: window.image_panel.current is not None and window.segment_panel.rgb is not None
                    and window.segment_panel.rgb.shape == (30, 40, 3), timeout=5000)
    hover(window.image_panel.view, QPointF(5.5, 5.5))
    qtbot.waitUntil(lambda: window.status_text.text().startswith("x 5, y 5"), timeout=3000)
    assert window.status_text.text() == "x 5, y 5 · RGB (10, 200, 30)"


# 2. opened files get thumbnails; the list header counts them -----------------------------------------------
def test_opened_files_get_thumbnails_centred_in_square_icons(qtbot, window, tmp_path):
    portrait = tmp_path / "elsewhere" / "tall.png"
    portrait.parent.mkdir()
    Image.new("RGB", (30, 90), (220, 20, 20)).save(portrait)
    wide = tmp_path / "elsewhere" / "wide.png"
    Image.new("RGB", (90, 30), (20, 20, 220)).save(wide)
    panel = window.image_panel
    window.open_paths([str(portrait)])
    item = panel._items[str(portrait)]

    def icon_image():
        return item.icon().pixmap(72, 72).toImage()

    def shows(image, rgb):
        colour = image.pixelColor(36, 36)
        return max(abs(colour.red() - rgb[0]), abs(colour.green() - rgb[1]), abs(colour.blue() - rgb[2])) < 30

    qtbot.waitUntil(lambda: shows(icon_image(), (220, 20, 20)), timeout=10_000)
    image = icon_image()
    assert (image.width(), image.height()) == (72, 72)  # square: names line up whatever the picture's shape
    assert image.pixelColor(2, 36).alpha() == 0  # the portrait is centred, transparent on its sides
    assert "+ 1 opened file" in panel.source_label.text()
    window.open_paths([str(wide)])
    qtbot.waitUntil(lambda: shows(panel._items[str(wide)].icon().pixmap(72, 72).toImage(), (20, 20, 220)),
                    timeout=10_000)
    assert panel.source_label.text().count("opened") == 1 and "+ 2 opened files" in panel.source_label.text()


# 3. the pixel readout follows the mouse in the Segment panel -------------------------------------------------
def test_segment_panel_pixel_readout_follows_the_mouse(qtbot, window, seg):
    texts = []
    for col, row in ((10, 20), (50, 60), (150, 61)):
        hover(seg.view, QPointF(col + 0.5, row + 0.5))
        qtbot.waitUntil(lambda c=col, r=row: window.status_text.text().startswith(f"x {c}, y {r}"), timeout=3000)
        texts.append(window.status_text.text())
    assert "RGB (230, 140, 40)" in texts[1] and "RGB (40, 90, 220)" in texts[2]
    assert texts[0].endswith("label 0")


# 4. colours, and undo of an accepted object ------------------------------------------------------------------
def test_the_object_being_segmented_is_drawn_in_its_swatch_colour(qtbot, seg):
    click(seg.view, 60, 50)
    wait_result(qtbot, seg, 1)
    assert fill_colour(seg.last_result.picture) == tuple(int(v) for v in seg.scene.colors[1])
    seg.accept_object()
    qtbot.waitUntil(lambda: 1 in seg.label_map.names, timeout=5000)
    click(seg.view, 60, 150)
    result = wait_result(qtbot, seg, 1)
    assert seg.current_label == 2
    assert fill_colour(result.picture) == tuple(int(v) for v in seg.scene.colors[2])  # not object 1's colour


def test_undoing_an_accepted_object_returns_to_its_clicks(qtbot, seg):
    left, right = seg.discs
    click(seg.view, 60, 50)
    click(seg.view, 5, 5, button=Qt.MouseButton.RightButton)
    wait_result(qtbot, seg, 2)
    seg.accept_object()
    qtbot.waitUntil(lambda: 1 in seg.label_map.names, timeout=5000)
    click(seg.view, 60, 150)
    wait_result(qtbot, seg, 1)
    seg.accept_object()
    qtbot.waitUntil(lambda: 2 in seg.label_map.names, timeout=5000)
    assert seg.session.history == ["accept", "accept"] and not seg.markers.items

    seg.undo()  # object 2 leaves the map and is the object being edited again, with its click
    assert 2 not in seg.label_map.names and not (seg.label_map.labels == 2).any()
    assert seg.current_label == 2 and len(seg.markers.items) == 1
    result = wait_result(qtbot, seg, 1)
    assert result.has_object and np.count_nonzero(result.picture[..., 3] > 0) > 0.8 * right.sum()
    assert seg.worker.interactions()[0].positive
    seg.undo()  # then its click
    wait_result(qtbot, seg, 0)
    seg.undo()  # object 1 comes back as the current object with both its clicks
    assert seg.current_label == 1 and not seg.label_map.names and len(seg.markers.items) == 2
    wait_result(qtbot, seg, 2)
    seg.undo()
    seg.undo()
    wait_result(qtbot, seg, 0)
    listed = [seg.label_list.item(i).text() for i in range(seg.label_list.count())]
    assert listed == ["object 1 (new)"]  # not "object 3 (new)" after undoing everything

    for _ in range(5):  # redo all: both clicks, the accept, the click of object 2, its accept
        seg.redo()
    qtbot.waitUntil(lambda: 2 in seg.label_map.names, timeout=5000)
    assert (seg.label_map.labels == 1).sum() > 0.8 * left.sum()
    assert (seg.label_map.labels == 2).sum() > 0.8 * right.sum()
    assert seg.current_label == 3 and not seg.markers.items and seg.session.history == ["accept", "accept"]


# 8. the job counter counts work, not views following a run ---------------------------------------------------
def test_job_counter_clears_when_the_work_is_done_though_a_run_is_followed(qtbot, window, workspace):
    run_dir = make_run(workspace.runs_dir / "done", gan_config("procedural", budget=Budget(steps=10)), step=10)
    window.tabs.setCurrentWidget(window.train_panel)
    window.train_panel.select_run(run_dir)
    qtbot.waitUntil(lambda: "finished" in window.train_panel.run_title.text(), timeout=10_000)
    assert window.train_panel.watchers  # the run is being followed
    qtbot.waitUntil(lambda: window.jobs_status.text() == "", timeout=10_000)
    import threading

    release = threading.Event()
    window.bridge.start(lambda token, emit: release.wait(10), "export CSV")
    assert window.jobs_status.text() == "Export CSV…"
    qtbot.wait(50)  # laid out: the readout has room for its text beside the stretching status line
    assert window.jobs_status.width() >= window.jobs_status.fontMetrics().horizontalAdvance("Export CSV…")
    assert window.status_text.geometry().right() < window.jobs_status.geometry().left()  # side by side
    assert window.jobs_status.geometry().right() < window.tf_status.geometry().left()
    release.set()
    qtbot.waitUntil(lambda: window.jobs_status.text() == "", timeout=10_000)


# 9. lists of runs follow the runs folder ----------------------------------------------------------------------
def test_gan_and_model_lists_show_new_runs_without_refresh(qtbot, window, workspace):
    window.tabs.setCurrentWidget(window.gan_panel)
    assert window.gan_panel.run_combo.count() == 1  # "(no GAN runs yet)"
    tools = window.segment_panel.model_tools
    assert "No segmentation run yet" in tools.status.text()
    gan = make_run(workspace.runs_dir / "fresh-gan", gan_config("procedural", budget=Budget(steps=10)),
                   state="running", step=3)
    qtbot.waitUntil(lambda: window.gan_panel.run_combo.findData(str(gan.resolve())) >= 0, timeout=10_000)
    index = window.gan_panel.run_combo.findData(str(gan.resolve()))
    RunFolder(gan).write_status("finished", step=10)
    qtbot.waitUntil(lambda: window.gan_panel.run_combo.itemText(index) == "fresh-gan", timeout=10_000)
    unet = make_run(workspace.runs_dir / "fresh-unet", unet_config())
    qtbot.waitUntil(lambda: tools.run_dir() is not None and tools.run_dir().name == unet.name, timeout=10_000)
    assert "No segmentation run yet" not in tools.status.text() and "fresh-unet" in tools.status.text()


# 6. the ETA of a time-budget run ------------------------------------------------------------------------------
def test_progress_shows_the_eta_of_a_time_budget_run(qtbot, window, workspace):
    run_dir = make_run(workspace.runs_dir / "timed", unet_config(), state="running", step=28, eta_s=150.0,
                       elapsed_s=50.0)
    panel = window.train_panel
    window.tabs.setCurrentWidget(panel)
    panel.select_run(run_dir)
    qtbot.waitUntil(lambda: "step 28" in panel.progress.format(), timeout=10_000)
    assert panel.progress.format() == "step 28 · ETA 02:30"
    assert panel.progress.value() == 250  # 50 s of 200 s
    assert "epoch" not in panel.rate_label.text()  # never measured: not shown as "epoch 0.00"


# 5. empty states ----------------------------------------------------------------------------------------------
def test_every_panel_says_what_to_do_when_empty(qtbot, window, tmp_path):
    window.set_workspace(tmp_path / "empty")
    panel = window.train_panel
    window.tabs.setCurrentWidget(panel)
    assert panel.center_stack.currentWidget() is panel.empty_state
    assert "New run ▸ Engine check" in panel.empty_state.text.text()
    assert panel.lr_spin.text() == "lr —" and not panel.lr_spin.isEnabled()
    assert "Open Images" in window.image_panel.view.empty_text
    assert "Open an image" in window.segment_panel.view.empty_text
    assert "Train a GAN" in window.gan_panel.grid_view.placeholder and "open a run folder" in \
        window.gan_panel.grid_view.placeholder
    make_run(tmp_path / "empty" / "runs" / "r", gan_config("procedural", budget=Budget(steps=10)))
    panel.refresh_runs()
    assert "Select a run" in panel.empty_state.title.text()
    panel.select_run(tmp_path / "empty" / "runs" / "r")
    assert panel.center_stack.currentIndex() == 1


# 10. nothing widens the window ---------------------------------------------------------------------------------
def test_long_texts_never_widen_the_window(qtbot, window, tmp_path):
    width = window.width()
    long = "a-very-long-name-without-any-space-" * 8
    window.status_text.setText(f"{long}: finished at step 1500 · ETA 00:00 · {long}")
    window.train_panel.run_title.setText(long)
    window.train_panel.rate_label.setText(long)
    picture = tmp_path / long[:200] / f"{long[:150]}.png"
    picture.parent.mkdir()
    Image.new("RGB", (20, 20)).save(picture)
    window.open_paths([str(picture.parent)])
    qtbot.waitUntil(lambda: window.image_panel.current is not None, timeout=5000)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        assert window.width() == width, window.tabs.tabText(index)
        assert window.minimumSizeHint().width() < width


# 11. dialogs start in the workspace or the last folder chosen for that kind of file -------------------------
def test_save_dialogs_start_in_the_workspace_then_where_the_user_saved(qtbot, window, workspace, tmp_path,
                                                                       monkeypatch):
    starts = []
    chosen = tmp_path / "gifs" / "mine.gif"
    chosen.parent.mkdir()

    def fake_save(parent, title, start, filters):
        starts.append(start)
        return str(chosen), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    window.train_panel._export_dialog()
    assert Path(starts[0]) == workspace.root / "metrics.csv"
    window.gan_panel._export_gif_dialog()
    assert Path(starts[1]).parent == chosen.parent  # the folder the user chose for exports last time
    assert Path(starts[1]).name == "interpolation.gif"
    assert not any(start.startswith(str(Path.cwd())) for start in starts)


def test_open_dialogs_start_in_the_workspace(qtbot, window, workspace, monkeypatch):
    starts = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda p, t, s: starts.append(s) or ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda p, t, s, f: starts.append(s) or ([], "")))
    window.gan_panel._open_run_dialog()
    window.open_images_dialog()
    assert [Path(s) for s in starts] == [workspace.runs_dir, workspace.images_dir]


# 12. help, shortcuts, tooltips, icon ----------------------------------------------------------------------------
def bound_keys(window) -> set[str]:
    from PySide6.QtGui import QAction, QKeySequence, QShortcut

    keys = set()
    for action in window.findChildren(QAction):
        keys.update(seq.toString(QKeySequence.SequenceFormat.PortableText) for seq in action.shortcuts())
    for shortcut in window.findChildren(QShortcut):
        keys.update(seq.toString(QKeySequence.SequenceFormat.PortableText) for seq in shortcut.keys())
    return keys


def test_the_shortcut_sheet_lists_only_keys_that_are_bound(window):
    from PySide6.QtGui import QKeySequence

    keys = bound_keys(window)
    for where, sequence, what in SHORTCUTS:
        if sequence.startswith("Mouse: "):
            continue
        portable = QKeySequence(sequence).toString(QKeySequence.SequenceFormat.PortableText)
        assert portable in keys, f"{sequence} ({what}, {where}) is in the sheet but bound to nothing"


def test_question_mark_opens_the_sheet_and_f1_walks_the_panels(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key.Key_Question)
    qtbot.waitUntil(lambda: window.shortcuts_dialog is not None and window.shortcuts_dialog.isVisible(), timeout=3000)
    assert "Accept the object" in window.shortcuts_dialog.browser.toPlainText()
    window.shortcuts_dialog.close()
    window.getting_started_action.trigger()
    guide = window.getting_started
    qtbot.waitUntil(guide.isVisible, timeout=3000)
    seen = [window.tabs.currentIndex()]
    for _ in range(3):
        guide.next_button.click()
        seen.append(window.tabs.currentIndex())
    assert seen == [0, 1, 2, 3]
    qtbot.waitUntil(lambda: window.segment_panel.image_path is not None, timeout=5000)
    assert window.segment_panel.image_path.name == "sample_scene.png"  # walked on the sample scene
    guide.next_button.click()
    assert not guide.isVisible()


def test_every_tool_button_names_its_key(window):
    panel = window.segment_panel
    for button, key in zip(panel.tool_buttons.values(), "CBEF", strict=True):
        assert f"({key})" in button.toolTip()
    for button, key in ((window.image_panel.fit_button, "Ctrl+0"), (window.image_panel.one_button, "Ctrl+1"),
                        (window.image_panel.zoom_in_button, "Ctrl++"), (window.image_panel.zoom_out_button, "Ctrl+-"),
                        (panel.undo_button, "Ctrl+Z"), (panel.redo_button, "Ctrl+Shift+Z"),
                        (panel.accept_button, "Enter"), (panel.save_button, "Ctrl+S")):
        assert key in button.toolTip(), button.text()
    tool_buttons = [b for b in window.findChildren(QToolButton) if b.text() and b.parent() is not None
                    and b.isVisibleTo(window)]
    assert tool_buttons and all(b.toolTip() for b in tool_buttons), [b.text() for b in tool_buttons
                                                                      if not b.toolTip()]


def test_the_window_has_the_application_icon(window):
    from gui.resources import RESOURCES

    assert not window.windowIcon().isNull()
    assert window.windowIcon().pixmap(32, 32).toImage().pixelColor(16, 16).alpha() == 255
    entry = (RESOURCES / "seggan-studio.desktop").read_text()
    assert "Icon=seggan-studio" in entry and "Exec=seggan-studio" in entry


def test_desktop_entry_installs_with_its_icon(tmp_path):
    from gui.resources import install_desktop_entry

    written = install_desktop_entry(tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == ["applications/seggan-studio.desktop", "icons/hicolor/256x256/apps/seggan-studio.png",
                     "icons/hicolor/scalable/apps/seggan-studio.svg"]
    assert "Exec=" in (tmp_path / names[0]).read_text()


def test_view_menu_zooms_the_panel_on_screen(qtbot, window, seg):
    seg.view.set_zoom(3.0)
    window.image_panel.view.set_zoom(3.0)
    fit = next(a for a in window.menuBar().actions()[1].menu().actions() if a.text() == "Fit")
    fit.trigger()
    assert seg.view.zoom != 3.0 and window.image_panel.view.zoom == 3.0


def test_an_image_copied_into_the_workspace_appears_in_its_list(qtbot, window, workspace, tmp_path):
    outside = tmp_path / "elsewhere" / "out.png"
    two_discs(outside)
    window.open_paths([str(outside)])
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.rgb is not None and seg.tool_buttons["click"].isEnabled(), timeout=10_000)
    seg._labels_changed(seg.label_map.paint([(6, 6)], 3, 1), names_changed=True)  # the first edit copies it in
    assert seg.save_now()
    copied = workspace.images_dir / "out.png"
    assert copied.is_file() and copied in window.image_panel.list_paths()

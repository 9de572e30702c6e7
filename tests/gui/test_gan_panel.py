"""The GAN panel driven offscreen with a real (tiny) trained generator, and the GAN setup in the Train panel."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from core.gan.config import gan_config
from core.gan.render import GridRequest, PreviewRequest
from core.training.config import Budget
from core.training.engine import train
from core.training.run_folder import RunFolder


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("ganrun") / "shapes-gan"
    config = gan_config("procedural", size=28, width=8, latent_dim=16, batch_size=16, budget=Budget(steps=30),
                        sample_every=30, quality_every=0)
    assert train(run, config).state == "finished"
    return run


@pytest.fixture
def panel(window, qtbot, gan_run):
    window.tabs.setCurrentWidget(window.gan_panel)
    gan = window.gan_panel
    with qtbot.waitSignal(gan.loaded, timeout=60_000):
        gan.load_run(gan_run)
    qtbot.waitUntil(lambda: gan.grid_images is not None, timeout=20_000)
    return gan


def click_cell(qtbot, panel, index):
    centre = panel.grid_view.cell_rect(index).center()
    qtbot.mouseClick(panel.grid_view, Qt.MouseButton.LeftButton, pos=QPoint(int(centre.x()), int(centre.y())))


def wait_preview(qtbot, panel, predicate, timeout=10_000):
    seen = []
    panel.rendered.connect(lambda event: seen.append(event))
    qtbot.waitUntil(lambda: any(isinstance(e.request, PreviewRequest) and predicate(e.request) for e in seen),
                    timeout=timeout)
    return [e for e in seen if isinstance(e.request, PreviewRequest) and predicate(e.request)][-1]


def test_grid_pins_interpolation_and_directions(qtbot, panel, monkeypatch):
    from core.gan.explore import GanExplorer

    threads = []
    original = GanExplorer.render
    monkeypatch.setattr(GanExplorer, "render",
                        lambda self, *a, **k: (threads.append(threading.current_thread()), original(self, *a, **k))[1])
    assert panel.grid_images.shape == (64, 28, 28, 1)
    assert panel.class_combo.count() == 4 and panel.class_combo.itemText(2) == "square"
    assert "PC1 (" in panel.direction_labels[0].text()
    assert not panel.interp_slider.isEnabled()
    panel.class_combo.setCurrentIndex(2)  # all samples of class 1 ("square")
    qtbot.waitUntil(lambda: panel.grid_view.count == 64 and panel.rendered_class == 1, timeout=10_000)
    grid = panel.grid_images.copy()
    click_cell(qtbot, panel, 3)
    click_cell(qtbot, panel, 10)
    assert panel.pins == [3, 10] and panel.pin_label.text() == "A: seed 3   B: seed 10"
    assert panel.grid_view.pinned == {3: 0, 10: 1} and panel.interp_slider.isEnabled()
    panel.interp_slider.setValue(100)
    end = wait_preview(qtbot, panel, lambda r: r.seed_b == 10 and r.t == 1.0)
    assert np.array_equal(end.images[0], grid[10])  # interpolation ends are the pinned samples
    panel.interp_slider.setValue(0)
    start = wait_preview(qtbot, panel, lambda r: r.seed_b == 10 and r.t == 0.0)
    assert np.array_equal(start.images[0], grid[3])
    panel.direction_sliders[0].setValue(100)
    edited = wait_preview(qtbot, panel, lambda r: r.seed_b is None and r.amounts[:1] == (3.0,))
    assert not np.array_equal(edited.images[0], grid[3])  # PC1 edits pin A
    panel.reset_directions()
    reset = wait_preview(qtbot, panel, lambda r: r.seed_b is None and not any(r.amounts))
    assert np.array_equal(reset.images[0], grid[3])
    click_cell(qtbot, panel, 3)  # unpin A: B becomes the only pin
    assert panel.pins == [10] and not panel.interp_slider.isEnabled()
    assert threads and all(t is not threading.main_thread() for t in threads)  # no TF on the GUI thread


def test_reroll_seeds_and_exports(qtbot, panel, tmp_path):
    first = panel.grid_images.copy()
    panel.reroll()
    qtbot.waitUntil(lambda: panel.rendered_seeds and panel.rendered_seeds[0] == panel.seed_spin.value(),
                    timeout=10_000)
    assert panel.seed_spin.value() % 100 == 0 and not np.array_equal(panel.grid_images, first)
    panel.seed_spin.setValue(0)
    qtbot.waitUntil(lambda: panel.rendered_seeds[0] == 0, timeout=10_000)
    assert np.array_equal(panel.grid_images, first)
    png = panel.export_png(tmp_path / "grid.png")
    assert Image.open(png).size == (8 * 57 - 1, 8 * 57 - 1)
    click_cell(qtbot, panel, 0)
    click_cell(qtbot, panel, 1)
    with qtbot.waitSignal(panel.status_message, timeout=20_000,
                          check_params_cb=lambda text: text.startswith("Wrote 24 frames")):
        assert panel.export_gif(tmp_path / "walk.gif")
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 46 and gif.size == (112, 112)


def test_slider_drags_coalesce_and_keep_up(qtbot, panel):
    done = []
    panel.rendered.connect(lambda e: isinstance(e.request, GridRequest) and done.append(e))
    start = time.perf_counter()
    for value in range(100, 39, -1):  # 61 truncation values, as fast as a drag can post them
        panel.truncation.setValue(value)
        qtbot.wait(2)
    qtbot.waitUntil(lambda: done and done[-1].request.psi == 0.4, timeout=20_000)
    elapsed = time.perf_counter() - start
    assert len(done) < 61 and panel.mailbox.replaced > 0  # stale requests were dropped, not queued
    assert panel.mailbox.posted >= 61
    fps = len(done) / elapsed
    assert fps >= 8, f"only {fps:.1f} grids/s while dragging"  # ~60/s on an idle 2-core machine
    truncated = panel.grid_images.astype(np.float32)
    assert truncated.std(axis=0).mean() < 128  # sanity: a real picture arrived


def test_a_folder_that_is_not_a_gan_run_is_refused_clearly(qtbot, window, tmp_path):
    gan = window.gan_panel
    (tmp_path / "junk").mkdir()
    gan.load_run(tmp_path / "junk")
    qtbot.waitUntil(lambda: "Could not load the generator" in gan.status_label.text(), timeout=30_000)
    assert "not a GAN run folder" in gan.status_label.text() and not gan.seed_spin.isEnabled()


def test_gan_setup_trains_from_the_train_panel_and_the_run_opens_in_the_gan_panel(qtbot, window, monkeypatch):
    from gui.gan.gan_setup import GanSetupDialog

    train_panel = window.train_panel
    assert any("GAN" in action.text() for action in train_panel.new_menu.actions())
    dialogs = []

    def fake_exec(dialog):
        dialogs.append(dialog)
        dialog.size_combo.setCurrentIndex(0)  # 28 px
        dialog.width_spin.setValue(8)
        dialog.batch.setValue(16)
        dialog.minutes.setValue(0.1)
        assert dialog.precision.currentData() == "auto"
        dialog.precision.setCurrentIndex(dialog.precision.findData("float32"))
        dialog.check_data()
        qtbot.waitUntil(lambda: dialog.checked_source == "procedural", timeout=30_000)
        return GanSetupDialog.DialogCode.Accepted

    monkeypatch.setattr(GanSetupDialog, "exec", fake_exec)
    handle = train_panel.open_gan_setup()
    dialog = dialogs[0]
    assert "procedural shapes" in dialog.report.toPlainText() and "disc, square, triangle" in dialog.report.toPlainText()
    assert not dialog.preview.pixmap().isNull()
    with qtbot.waitSignal(handle.done, timeout=120_000):
        pass
    run_dir = train_panel.primary
    config = dialog.config()
    assert config.task == "gan" and config.task_params["size"] == 28 and config.budget.minutes == 0.1
    assert config.precision == "float32" and RunFolder(run_dir).read_config().precision == "float32"
    window.gan_panel.refresh_runs()
    index = window.gan_panel.run_combo.findData(run_dir)
    assert index > 0
    with qtbot.waitSignal(window.gan_panel.loaded, timeout=60_000):
        window.gan_panel.run_combo.setCurrentIndex(index)
        window.gan_panel._on_run_chosen(index)
    qtbot.waitUntil(lambda: window.gan_panel.grid_images is not None, timeout=20_000)


def test_setup_dialog_reports_bad_folders(qtbot, window, tmp_path):
    from gui.gan.gan_setup import GanSetupDialog

    dialog = GanSetupDialog(window.bridge)
    qtbot.addWidget(dialog)
    dialog.source_combo.setCurrentIndex(1)  # image folder
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_text("<html>")
    dialog.path_edit.setText(str(tmp_path / "imgs"))
    dialog.check_data()
    qtbot.waitUntil(lambda: "Cannot train on this" in dialog.report.toPlainText(), timeout=30_000)
    assert "none of the 1 image files could be read" in dialog.report.toPlainText()


def test_a_run_shown_while_training_is_reloaded_when_it_ends_keeping_the_pins(qtbot, window, gan_run, tmp_path):
    """Issue 16: a view must follow what it describes. The explorer loaded a run mid-training (from a
    checkpoint); when the run ends it shows the final generator, pins kept."""
    import shutil

    from core.training.run_folder import RunFolder

    run = tmp_path / "runs-elsewhere" / "training-gan"
    shutil.copytree(gan_run, run)
    RunFolder(run).write_status("running", step=20)  # this process: alive, so it reads as running
    gan = window.gan_panel
    window.tabs.setCurrentWidget(gan)
    with qtbot.waitSignal(gan.loaded, timeout=60_000):
        gan.load_run(run)
    qtbot.waitUntil(lambda: gan.grid_images is not None, timeout=20_000)
    gan.toggle_pin(2)
    gan.toggle_pin(5)
    RunFolder(run).write_status("finished", step=30)
    with qtbot.waitSignal(gan.loaded, timeout=60_000):
        gan.refresh_runs()  # what the Train panel's runs_changed triggers
    assert gan.pins == [2, 5]
    gan.refresh_runs()  # a finished run is not reloaded again
    assert gan.handle is not None and not gan.handle.finished and gan.info is not None

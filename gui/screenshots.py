"""Render the main window and each panel in a real window and save PNGs (``make screenshots``).

Run under Xvfb with QT_QPA_PLATFORM=xcb: the pictures are grabbed from the X screen, as a person would see
them. Uses a throwaway workspace with the generated sample scene and its object mask as the overlay.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _grab(window, path: Path) -> None:
    QApplication.processEvents()
    screen = window.screen()
    geometry = window.frameGeometry()
    pixmap = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if pixmap.isNull():  # platforms that cannot grab the screen: render the widget tree instead
        pixmap = window.grab()
    pixmap.save(str(path))
    print(path)


def _interior_point(mask):
    import numpy as np
    from scipy.ndimage import distance_transform_edt

    dist = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return np.unravel_index(int(np.argmax(dist)), dist.shape)


def _segment_session(window, workspace, out: Path) -> None:
    """A click session as a person does it: click two objects in turn, accepting each, then a third with
    the probability view on. The image is the sample scene without its mask (photos: SEGGAN_SHOT_PHOTO)."""
    import os
    import shutil

    import numpy as np
    from PIL import Image

    from core.sample_scene import make_sample_scene

    photo = os.environ.get("SEGGAN_SHOT_PHOTO")
    target = workspace.images_dir / ("photo" + Path(photo).suffix if photo else "unlabelled.png")
    if photo:
        shutil.copy(photo, target)
        truth = np.asarray(Image.open(os.environ["SEGGAN_SHOT_TRUTH"])) > 127 if "SEGGAN_SHOT_TRUTH" in os.environ \
            else None
        objects = [truth] if truth is not None else []
    else:
        rgb, labels = make_sample_scene()
        Image.fromarray(rgb).save(target)
        objects = [labels == value for value in np.unique(labels) if value]
    window.image_panel.show_workspace()
    window.image_panel.select_path(target)
    panel = window.segment_panel
    window.tabs.setCurrentWidget(panel)
    deadline = 100
    while not (panel.rgb is not None and panel.tool_buttons["click"].isEnabled()) and deadline:
        _wait(100)
        deadline -= 1
    _wait(300)
    _grab(window, out / "segment_panel.png")
    for index, mask in enumerate(objects[:3]):
        row, col = _interior_point(mask)
        panel.add_click(float(row), float(col), True)
        _wait(800)
        if index == 0:
            _grab(window, out / "segment_panel_click.png")
        if index < min(len(objects), 3) - 1:
            panel.accept_object()
            _wait(500)
    panel.probability_check.setChecked(True)
    _wait(800)
    _grab(window, out / "segment_panel_probabilities.png")
    panel.probability_check.setChecked(False)


def segmentation_scenes(window, workspace, tmp: Path, out: Path) -> None:
    """The U-Net setup dialog on a folder dataset with problems, then the Train panel training that run."""
    import numpy as np
    from PIL import Image

    from core.maskio import write_mask
    from core.unet.synthetic import synthetic_cells
    from gui.train.seg_setup import SegSetupDialog

    images, masks = Path(tmp) / "cells" / "images", Path(tmp) / "cells" / "masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for i in range(10):
        rgb, labels = synthetic_cells(192, 256, seed=i)
        Image.fromarray(rgb).save(images / f"cells_{i:02d}.png")
        if i != 7:  # one image not annotated yet
            write_mask(masks / f"cells_{i:02d}.png", labels if i != 4 else labels[:100])  # 4: wrong size
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(masks / "old_export.png")  # a mask without an image
    window.tabs.setCurrentWidget(window.train_panel)
    dialog = SegSetupDialog(workspace, window.train_panel.bridge, window.train_panel)
    dialog.resize(1180, 720)
    dialog.move(60, 40)
    dialog.show()
    dialog.set_source("folders", str(images), str(masks))
    deadline = 100
    while dialog.preview is None and deadline:
        _wait(100)
        deadline -= 1
    _wait(400)
    _grab(dialog, out / "seg_setup.png")
    dialog.minutes.setValue(5)
    dialog.crop.setValue(128)
    dialog.run_name.setText("unet-cells")
    dialog.accepted.connect(lambda: window.train_panel.start_training(
        workspace.runs_dir / dialog.run_name_text(), dialog.config))
    dialog.start_button.click()
    panel = window.train_panel
    deadline = 300  # until a few sample grids and curve points exist (seconds on an idle 2-core machine)
    while len(panel.timeline.steps) < 3 and deadline:
        _wait(1000)
        deadline -= 1
    _wait(1500)
    _grab(window, out / "train_panel_unet.png")
    window.train_panel.stop_live()
    _wait(3000)


def _wait_until(predicate, seconds: float) -> bool:
    deadline = seconds * 10
    while not predicate() and deadline:
        _wait(100)
        deadline -= 1
    return predicate()


def _train_shapes_gan(run_dir: Path) -> None:
    """A small class-conditional GAN on the built-in procedural shapes (about a minute on 2 cores)."""
    from core.gan.config import gan_config
    from core.training.config import Budget
    from core.training.engine import train

    config = gan_config("procedural", size=32, width=16, latent_dim=32, batch_size=64, budget=Budget(steps=1500),
                        sample_every=500, quality_every=500, checkpoint_every=1500)
    config.learning_rates = {"generator": 1e-3, "discriminator": 1e-3}
    train(run_dir, config)


def _gan_scene(window, run_dir: Path, out: Path, name: str, class_index: int = 0) -> None:
    panel = window.gan_panel
    window.tabs.setCurrentWidget(panel)
    panel.load_run(run_dir)
    _wait_until(lambda: panel.info is not None and panel.grid_images is not None, 120)
    if class_index:
        panel.class_combo.setCurrentIndex(class_index)
    panel.truncation.setValue(85)
    _wait(800)
    panel.toggle_pin(9)
    panel.toggle_pin(22)
    panel.interp_slider.setValue(40)
    _wait(500)
    panel.direction_sliders[0].setValue(60)
    _wait(1000)
    _grab(window, out / name)


def _segment_with_model_scene(window, workspace, tmp: Path, out: Path) -> None:
    """The Segment panel after "Segment this image" with the U-Net trained by segmentation_scenes."""
    import shutil

    run_dir = workspace.runs_dir / "unet-cells"
    image = workspace.images_dir / "cells_07.png"  # the one image that run had no mask for
    shutil.copy(Path(tmp) / "cells" / "images" / "cells_07.png", image)
    window.image_panel.show_workspace()
    window.image_panel.select_path(image)
    panel = window.segment_panel
    window.tabs.setCurrentWidget(panel)
    tools = panel.model_tools
    tools.refresh_runs()
    tools.add_run(run_dir)
    _wait_until(lambda: panel.image_path is not None and panel.image_path.name == image.name
                and tools.segment_button.isEnabled(), 30)
    tools.segment_button.click()
    _wait_until(lambda: tools.handle is None and "prediction" in tools.status.text(), 120)
    _wait(800)
    _grab(window, out / "segment_panel_model.png")


def _hover(view, row: float, col: float) -> None:
    """A real mouse move over an image pixel (the status bar's readout)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    local = QPointF(view.mapFromScene(QPointF(col + 0.5, row + 0.5)))
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(view.viewport().mapToGlobal(local.toPoint())),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def _first_use_window(workspace, tmp: Path):
    from gui.main_window import MainWindow

    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(workspace, settings=settings, log_path=str(tmp / "seggan-studio.log"))
    window.resize(1400, 860)
    window.move(0, 0)
    window.show()
    _wait_until(lambda: window.device_report is not None, 60)
    return window


def first_use_scenes(tmp: Path, out: Path) -> None:
    """Each panel as a newcomer meets it (issue 16): empty, mid-work and finished, with the help windows.

    Writes <panel>_empty.png, <panel>_working.png and <panel>_finished.png for image, segment, train and gan,
    plus help_getting_started.png and help_shortcuts.png. Trains a short U-Net (about a minute) and a short
    GAN (about a minute on an idle 2-core machine) through the Train panel, as a user would.
    """
    import numpy as np
    from PIL import Image

    from core.gan.config import gan_config
    from core.maskio import write_mask
    from core.sample_scene import make_sample_scene
    from core.training.config import Budget
    from core.unet.synthetic import synthetic_cells
    from core.workspace import Workspace, ensure_default_workspace

    window = _first_use_window(Workspace.open(tmp / "empty"), tmp)
    panels = (("image", window.image_panel), ("segment", window.segment_panel), ("train", window.train_panel),
              ("gan", window.gan_panel))
    for name, panel in panels:
        window.tabs.setCurrentWidget(panel)
        _wait(500)
        _grab(window, out / f"{name}_empty.png")

    # the first start: the sample scene with its mask, and the help
    workspace = ensure_default_workspace(tmp / "workspace")
    window.set_workspace(workspace.root)
    window.tabs.setCurrentWidget(window.image_panel)
    window.image_panel.image_list.setCurrentRow(0)
    _wait_until(lambda: window.scene.labels is not None, 30)
    _wait(500)
    _hover(window.image_panel.view, 150, 160)
    _wait(300)
    _grab(window, out / "image_finished.png")
    window.show_getting_started()
    _wait(800)
    _grab(window, out / "help_getting_started.png")
    window.getting_started.close()
    window.show_shortcuts()
    _wait(800)
    _grab(window.shortcuts_dialog, out / "help_shortcuts.png")
    window.shortcuts_dialog.close()

    # Image, mid-work: a folder of microscopy pictures opened, one zoomed in, the pixel under the mouse read out
    cells = tmp / "cells"
    (cells / "images").mkdir(parents=True)
    (cells / "masks").mkdir()
    for i in range(10):
        rgb, labels = synthetic_cells(192, 256 if i % 3 else 150, seed=i)  # a few portrait ones
        Image.fromarray(rgb).save(cells / "images" / f"cells_{i:02d}.png")
        write_mask(cells / "masks" / f"cells_{i:02d}.png", labels)
    window.open_paths([str(cells / "images")])
    _wait_until(lambda: window.image_panel.current is not None and not window.image_panel._thumb_jobs, 30)
    window.image_panel.image_list.setCurrentRow(2)
    _wait(800)
    window.image_panel.view.set_zoom(2.5)
    _wait(300)
    _hover(window.image_panel.view, 90, 120)
    _wait(300)
    _grab(window, out / "image_working.png")

    # Segment: the sample scene without its mask, objects clicked and accepted one by one
    rgb, labels = make_sample_scene()
    target = workspace.images_dir / "unlabelled.png"
    Image.fromarray(rgb).save(target)
    window.image_panel.show_workspace()
    window.image_panel.select_path(target)
    segment = window.segment_panel
    window.tabs.setCurrentWidget(segment)
    _wait_until(lambda: segment.image_path == target and segment.tool_buttons["click"].isEnabled(), 60)
    objects = [labels == value for value in np.unique(labels) if value]
    for index, mask in enumerate(objects):
        row, col = _interior_point(mask)
        segment.add_click(float(row), float(col), True)
        _wait_until(lambda: segment.last_result is not None and segment.last_result.has_object
                    and segment.last_result.revision == segment.worker.revision, 30)
        _wait(300)
        if index == 1:
            _hover(segment.view, row, col)
            _wait(300)
            _grab(window, out / "segment_working.png")
        segment.accept_object()
        _wait_until(lambda i=index: len(segment.label_map.names) == i + 1, 30)
    _wait_until(lambda: segment.last_saved is not None, 10)
    _wait(800)
    _grab(window, out / "segment_finished.png")

    # Train: a one-minute U-Net on the cells folder, through the setup dialog
    from gui.train.seg_setup import SegSetupDialog

    train = window.train_panel
    window.tabs.setCurrentWidget(train)
    dialog = SegSetupDialog(workspace, train.bridge, train)
    dialog.set_source("folders", str(cells / "images"), str(cells / "masks"))
    _wait_until(lambda: dialog.preview is not None, 60)
    dialog.minutes.setValue(1)
    dialog.crop.setValue(128)
    dialog.run_name.setText("unet-cells")
    dialog.accepted.connect(lambda: train.start_training(workspace.runs_dir / dialog.run_name_text(),
                                                         dialog.config))
    dialog.start_button.click()
    _wait_until(lambda: len(train.timeline.steps) >= 3, 300)
    _wait(1500)
    _grab(window, out / "train_working.png")
    _wait_until(lambda: train.live is None, 300)
    _wait_until(lambda: "finished" in train.run_title.text() or "stopped" in train.run_title.text(), 30)
    _wait(2000)
    _grab(window, out / "train_finished.png")

    # GAN: a short run on the procedural shapes, explored while it trains and when it is done
    config = gan_config("procedural", size=32, width=16, latent_dim=32, batch_size=64, budget=Budget(steps=1500),
                        sample_every=250, quality_every=500, checkpoint_every=250)
    config.learning_rates = {"generator": 1e-3, "discriminator": 1e-3}
    gan_dir = workspace.runs_dir / "shapes-gan"
    train.start_training(gan_dir, config)
    gan = window.gan_panel
    _wait_until(lambda: any((gan_dir / "checkpoints").glob("*.index")), 300)
    window.tabs.setCurrentWidget(gan)
    gan.load_run(gan_dir)
    _wait_until(lambda: gan.info is not None and gan.grid_images is not None, 120)
    gan.toggle_pin(3)
    _wait(1000)
    _grab(window, out / "gan_working.png")
    _wait_until(lambda: train.live is None, 600)
    _wait(1500)
    _gan_scene(window, gan_dir, out, "gan_finished.png", class_index=0)
    window.close()


def _train_run_scene(window, run_dir: Path, out: Path, name: str) -> None:
    """The Train panel showing a saved run: training and validation curves on shared plots, the best step."""
    panel = window.train_panel
    window.tabs.setCurrentWidget(panel)
    panel.open_run_folder(run_dir)
    _wait_until(lambda: any(n.startswith("validation/") for n in panel.curves.metric_names()), 30)
    _wait(1500)
    panel.curves.flush_all()
    _wait(500)
    _grab(window, out / name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    train_run = None
    if "--train-run" in argv:  # only the Train panel showing this (U-Net) run folder, as train_panel_run.png
        at = argv.index("--train-run")
        train_run = Path(argv[at + 1])
        del argv[at:at + 2]
    gan_run = None
    if "--gan-run" in argv:  # also show an existing GAN run (e.g. the MNIST benchmark's, --keep-run)
        at = argv.index("--gan-run")
        gan_run = Path(argv[at + 1])
        del argv[at:at + 2]
    only_segmentation = "--only-segmentation" in argv
    first_use = "--first-use" in argv  # each panel empty, mid-work and finished (issue 16)
    argv = [a for a in argv if a not in ("--only-segmentation", "--first-use")]
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from gui.gc_guard import application
    from gui.resources import app_icon

    app = application()  # garbage is collected on the GUI thread only (gui/gc_guard.py)
    app.setWindowIcon(app_icon())
    if first_use:
        with tempfile.TemporaryDirectory(prefix="seggan-shots-") as tmp:
            first_use_scenes(Path(tmp), out)
        app.quit()
        return 0

    from core.workspace import ensure_default_workspace
    from gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="seggan-shots-") as tmp:
        workspace = ensure_default_workspace(Path(tmp) / "workspace")  # the sample scene and its mask
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(workspace, settings=settings, log_path=str(Path(tmp) / "seggan-studio.log"))
        window.resize(1400, 860)
        window.move(0, 0)
        window.show()
        window.image_panel.image_list.setCurrentRow(0)
        deadline = 200
        while (window.scene.labels is None or window.device_report is None) and deadline:
            _wait(100)
            deadline -= 1
        _wait(300)
        if train_run is not None:
            _train_run_scene(window, train_run, out, "train_panel_run.png")
            window.close()
            app.quit()
            return 0
        if only_segmentation:
            segmentation_scenes(window, workspace, Path(tmp), out)
            _segment_with_model_scene(window, workspace, Path(tmp), out)
            window.close()
            app.quit()
            return 0
        _grab(window, out / "image_panel.png")
        view = window.image_panel.view
        view.set_zoom(3.0)
        view.centerOn(160, 150)
        _wait(200)
        _grab(window, out / "image_panel_zoomed.png")
        view.fit()
        _segment_session(window, workspace, out)
        # The GAN panel exploring a generator trained here on the procedural shapes (class-conditional).
        shapes_run = workspace.runs_dir / "shapes-gan"
        _train_shapes_gan(shapes_run)
        window.gan_panel.refresh_runs()
        _gan_scene(window, shapes_run, out, "gan_panel.png")
        if gan_run is not None:
            _gan_scene(window, gan_run, out, "gan_panel_mnist.png")
        # The Train panel following a real run: the built-in engine check, trained here for ~20 s.
        window.tabs.setCurrentWidget(window.train_panel)
        window.train_panel.start_engine_check()
        _wait(12_000)
        _grab(window, out / "train_panel.png")
        window.train_panel.stop_live()
        _wait(3000)
        segmentation_scenes(window, workspace, Path(tmp), out)
        _segment_with_model_scene(window, workspace, Path(tmp), out)
        window.tabs.setCurrentWidget(window.image_panel)
        bad = Path(tmp) / "download.png"
        bad.write_text("<!DOCTYPE html><html>404</html>")
        window.open_paths([str(bad)])
        deadline = 50
        while not window.errors.dialogs and deadline:
            _wait(100)
            deadline -= 1
        _wait(300)
        _grab(window, out / "error_dialog.png")
        for dialog in list(window.errors.dialogs):
            dialog.accept()
        window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Each panel as a newcomer meets it (``--first-use``): empty, mid-work and finished, with the help windows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from tools.screenshots.grab import grab, hover, interior_point, wait, wait_until
from tools.screenshots.scenes import gan_scene


def first_use_window(workspace, tmp: Path):
    from gui.main_window import MainWindow

    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(workspace, settings=settings, log_path=str(tmp / "seggan-studio.log"))
    window.resize(1400, 860)
    window.move(0, 0)
    window.show()
    wait_until(lambda: window.device_report is not None, 60)
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

    window = first_use_window(Workspace.open(tmp / "empty"), tmp)
    panels = (("image", window.image_panel), ("segment", window.segment_panel), ("train", window.train_panel),
              ("gan", window.gan_panel))
    for name, panel in panels:
        window.tabs.setCurrentWidget(panel)
        wait(500)
        grab(window, out / f"{name}_empty.png")

    # the first start: the sample scene with its mask, and the help
    workspace = ensure_default_workspace(tmp / "workspace")
    window.set_workspace(workspace.root)
    window.tabs.setCurrentWidget(window.image_panel)
    window.image_panel.image_list.setCurrentRow(0)
    wait_until(lambda: window.scene.labels is not None, 30)
    wait(500)
    hover(window.image_panel.view, 150, 160)
    wait(300)
    grab(window, out / "image_finished.png")
    window.show_getting_started()
    wait(800)
    grab(window, out / "help_getting_started.png")
    window.getting_started.close()
    window.show_shortcuts()
    wait(800)
    grab(window.shortcuts_dialog, out / "help_shortcuts.png")
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
    wait_until(lambda: window.image_panel.current is not None and not window.image_panel._thumb_jobs, 30)
    window.image_panel.image_list.setCurrentRow(2)
    wait(800)
    window.image_panel.view.set_zoom(2.5)
    wait(300)
    hover(window.image_panel.view, 90, 120)
    wait(300)
    grab(window, out / "image_working.png")

    # Segment: the sample scene without its mask, objects clicked and accepted one by one
    rgb, labels = make_sample_scene()
    target = workspace.images_dir / "unlabelled.png"
    Image.fromarray(rgb).save(target)
    window.image_panel.show_workspace()
    window.image_panel.select_path(target)
    segment = window.segment_panel
    window.tabs.setCurrentWidget(segment)
    wait_until(lambda: segment.image_path == target and segment.tool_buttons["click"].isEnabled(), 60)
    objects = [labels == value for value in np.unique(labels) if value]
    for index, mask in enumerate(objects):
        row, col = interior_point(mask)
        segment.add_click(float(row), float(col), True)
        wait_until(lambda: segment.last_result is not None and segment.last_result.has_object
                    and segment.last_result.revision == segment.worker.revision, 30)
        wait(300)
        if index == 1:
            hover(segment.view, row, col)
            wait(300)
            grab(window, out / "segment_working.png")
        segment.accept_object()
        wait_until(lambda i=index: len(segment.label_map.names) == i + 1, 30)
    wait_until(lambda: segment.last_saved is not None, 10)
    wait(800)
    grab(window, out / "segment_finished.png")

    # Train: a one-minute U-Net on the cells folder, through the setup dialog
    from gui.train.seg_setup import SegSetupDialog

    train = window.train_panel
    window.tabs.setCurrentWidget(train)
    dialog = SegSetupDialog(workspace, train.bridge, train)
    dialog.set_source("folders", str(cells / "images"), str(cells / "masks"))
    wait_until(lambda: dialog.preview is not None, 60)
    dialog.minutes.setValue(1)
    dialog.crop.setValue(128)
    dialog.run_name.setText("unet-cells")
    dialog.accepted.connect(lambda: train.start_training(workspace.runs_dir / dialog.run_name_text(),
                                                         dialog.config))
    dialog.start_button.click()
    wait_until(lambda: len(train.timeline.steps) >= 3, 300)
    wait(1500)
    grab(window, out / "train_working.png")
    wait_until(lambda: train.live is None, 300)
    wait_until(lambda: "finished" in train.run_title.text() or "stopped" in train.run_title.text(), 30)
    wait(2000)
    grab(window, out / "train_finished.png")

    # GAN: a short run on the procedural shapes, explored while it trains and when it is done
    config = gan_config("procedural", size=32, width=16, latent_dim=32, batch_size=64, budget=Budget(steps=1500),
                        sample_every=250, quality_every=500, checkpoint_every=250)
    config.learning_rates = {"generator": 1e-3, "discriminator": 1e-3}
    gan_dir = workspace.runs_dir / "shapes-gan"
    train.start_training(gan_dir, config)
    gan = window.gan_panel
    wait_until(lambda: any((gan_dir / "checkpoints").glob("*.index")), 300)
    window.tabs.setCurrentWidget(gan)
    gan.load_run(gan_dir)
    wait_until(lambda: gan.info is not None and gan.grid_images is not None, 120)
    gan.toggle_pin(3)
    wait(1000)
    grab(window, out / "gan_working.png")
    wait_until(lambda: train.live is None, 600)
    wait(1500)
    gan_scene(window, gan_dir, out, "gan_finished.png", class_index=0)
    window.close()

"""The scenes of the documentation's screenshot set: the Image and Segment panels at work, a GAN trained and
explored, the Train panel following runs, the U-Net setup dialog and a segmentation with a trained model."""

from __future__ import annotations

from pathlib import Path

from tools.screenshots.grab import grab, interior_point, wait, wait_until


def segment_session(window, workspace, out: Path) -> None:
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
        wait(100)
        deadline -= 1
    wait(300)
    grab(window, out / "segment_panel.png")
    for index, mask in enumerate(objects[:3]):
        row, col = interior_point(mask)
        panel.add_click(float(row), float(col), True)
        wait(800)
        if index == 0:
            grab(window, out / "segment_panel_click.png")
        if index < min(len(objects), 3) - 1:
            panel.accept_object()
            wait(500)
    panel.probability_check.setChecked(True)
    wait(800)
    grab(window, out / "segment_panel_probabilities.png")
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
        wait(100)
        deadline -= 1
    wait(400)
    grab(dialog, out / "seg_setup.png")
    dialog.minutes.setValue(5)
    dialog.crop.setValue(128)
    dialog.run_name.setText("unet-cells")
    dialog.accepted.connect(lambda: window.train_panel.start_training(
        workspace.runs_dir / dialog.run_name_text(), dialog.config))
    dialog.start_button.click()
    panel = window.train_panel
    deadline = 300  # until a few sample grids and curve points exist (seconds on an idle 2-core machine)
    while len(panel.timeline.steps) < 3 and deadline:
        wait(1000)
        deadline -= 1
    wait(1500)
    grab(window, out / "train_panel_unet.png")
    window.train_panel.stop_live()
    wait(3000)


def train_shapes_gan(run_dir: Path) -> None:
    """A small class-conditional GAN on the built-in procedural shapes (about a minute on 2 cores)."""
    from core.gan.config import gan_config
    from core.training.config import Budget
    from core.training.engine import train

    config = gan_config("procedural", size=32, width=16, latent_dim=32, batch_size=64, budget=Budget(steps=1500),
                        sample_every=500, quality_every=500, checkpoint_every=1500)
    config.learning_rates = {"generator": 1e-3, "discriminator": 1e-3}
    train(run_dir, config)


def gan_scene(window, run_dir: Path, out: Path, name: str, class_index: int = 0) -> None:
    panel = window.gan_panel
    window.tabs.setCurrentWidget(panel)
    panel.load_run(run_dir)
    wait_until(lambda: panel.info is not None and panel.grid_images is not None, 120)
    if class_index:
        panel.class_combo.setCurrentIndex(class_index)
    panel.truncation.setValue(85)
    wait(800)
    panel.toggle_pin(9)
    panel.toggle_pin(22)
    panel.interp_slider.setValue(40)
    wait(500)
    panel.direction_sliders[0].setValue(60)
    wait(1000)
    grab(window, out / name)


def segment_with_model_scene(window, workspace, tmp: Path, out: Path) -> None:
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
    wait_until(lambda: panel.image_path is not None and panel.image_path.name == image.name
                and tools.segment_button.isEnabled(), 30)
    tools.segment_button.click()
    wait_until(lambda: tools.handle is None and "prediction" in tools.status.text(), 120)
    wait(800)
    grab(window, out / "segment_panel_model.png")
    # the prediction's touching cells split into instances, each an object of the list
    instances = panel.instance_tools
    before = len(panel.label_map.names)
    instances.split_all_button.click()
    wait_until(lambda: instances.handle is None and len(panel.label_map.names) > before, 60)
    wait(800)
    grab(window, out / "segment_panel_instances.png")


def train_run_scene(window, run_dir: Path, out: Path, name: str) -> None:
    """The Train panel showing a saved run: training and validation curves on shared plots, the best step."""
    panel = window.train_panel
    window.tabs.setCurrentWidget(panel)
    panel.open_run_folder(run_dir)
    wait_until(lambda: any(n.startswith("validation/") for n in panel.curves.metric_names()), 30)
    wait(1500)
    panel.curves.flush_all()
    wait(500)
    grab(window, out / name)

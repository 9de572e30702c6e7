"""The segmentation setup dialog: pick data, see pairs and problems, start a U-Net run in the Train panel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.training.run_folder import RunFolder
from gui.train.seg_setup import SegSetupDialog
from tests.core.unet_helpers import save_mask, synthetic_pair, write_folders


@pytest.fixture
def panel(window):
    window.tabs.setCurrentWidget(window.train_panel)
    return window.train_panel


def test_the_menu_opens_the_setup_and_the_workspace_is_previewed(qtbot, panel, workspace):
    workspace.mask_path("sample_scene.png").unlink()  # the sample's own mask removed: an image not annotated
    for i in range(3):
        rgb, labels = synthetic_pair(40, 48, seed=i)
        Image.fromarray(rgb).save(workspace.images_dir / f"cell{i}.png")
        save_mask(workspace.mask_path(f"cell{i}.png"), labels * 2, "palette")  # classes 0 and 2
    actions = [a for a in panel.new_menu.actions() if "Segmentation" in a.text()]
    assert len(actions) == 1
    actions[0].trigger()
    dialog = panel.findChild(SegSetupDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert dialog.pairs.count() == 3
    assert dialog.classes.value() == 3  # from the masks' largest label
    # an image without a mask: listed, not an error
    texts = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert any("sample_scene.png: not annotated yet" in t for t in texts)
    assert "3 usable pairs · 3 classes" in dialog.summary.text()
    dialog.reject()


def test_folders_with_problems_then_training_starts_in_the_panel(qtbot, panel, workspace, tmp_path):
    images, masks = write_folders(tmp_path / "data", count=4, size=(48, 48), mask_form="L255")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / "extra.png")
    save_mask(masks / "img3.png", np.zeros((10, 10), np.uint8), "palette")  # wrong size
    dialog = SegSetupDialog(workspace, panel.bridge, panel)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_source("folders", str(images), "")
    assert "choose an images folder and a masks folder" in dialog.summary.text()
    assert not dialog.start_button.isEnabled()
    dialog.set_source("folders", str(images), str(masks))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert dialog.pairs.count() == 3
    problems = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert any(t.startswith("extra.png: no mask") for t in problems)
    assert any(t.startswith("img3.png: mask is 10x10 but its image is 48x48") for t in problems)
    assert dialog.start_button.isEnabled()
    dialog.crop.setValue(32)
    dialog.depth.setValue(2)
    dialog.width.setValue(4)
    dialog.batch.setValue(4)
    dialog.minutes.setValue(0.05)
    dialog.crop.setValue(42)  # not a multiple of 2**depth: refused with a message, dialog stays open
    dialog.start_button.click()
    assert "multiple of 4" in dialog.error.text() and dialog.isVisible()
    dialog.crop.setValue(32)
    assert dialog.precision.currentData() == "auto"
    dialog.precision.setCurrentIndex(dialog.precision.findData("bfloat16"))  # the override reaches the run
    dialog.run_name.setText("my cells")
    dialog.accepted.connect(lambda: panel.start_training(workspace.runs_dir / dialog.run_name_text(),
                                                         dialog.config))
    dialog.start_button.click()
    assert not dialog.isVisible()
    run_dir = workspace.runs_dir / "my-cells"
    assert panel.live is not None and panel.primary == str(run_dir.resolve())
    handle = panel.live[0]
    with qtbot.waitSignal(handle.done, timeout=90_000):
        pass
    status = RunFolder(run_dir).read_status()
    assert status["state"] == "finished", status
    config = RunFolder(run_dir).read_config()
    assert config.task == "unet" and config.task_params["crop"] == 32 and config.precision == "bfloat16"
    assert config.task_params["source"] == {"kind": "folders", "images": str(images), "masks": str(masks)}
    assert (run_dir / "model" / "unet.weights.h5").is_file()
    qtbot.waitUntil(lambda: "finished" in panel.run_title.text(), timeout=10_000)  # the panel follows it


def _folders_with_masks(root, form, classes=2):
    from tests.core.mask_datasets import write_dataset

    images, masks = root / "images", root / "masks"
    paths, _ = write_dataset(masks, form, count=6, size=64, classes=classes)
    images.mkdir(parents=True)
    for i, path in enumerate(paths):
        Image.fromarray(synthetic_pair(64, 64, seed=i)[0]).save(images / f"{path.stem}.png")
    return images, masks


def test_the_dialog_shows_how_the_masks_are_read_and_obeys_overrides(qtbot, panel, workspace, tmp_path):
    images, masks = _folders_with_masks(tmp_path / "aa", "binary-aa")
    dialog = SegSetupDialog(workspace, panel.bridge, panel)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_source("folders", str(images), str(masks))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    text = dialog.decision.text()
    assert "masks read as binary (0/255)" in text
    assert "class 0: 0; " in text and "class 1: 255; " in text and "% of pixels" in text
    assert "snapped to the nearest class: m0.png" in text or "m0.png (" in text  # the antialiased files named
    assert "m3.png (" in text and "m1.png (" not in text
    assert dialog.classes.value() == 2 and dialog.pairs.count() == 6
    assert dialog.run_config().task_params["masks"]["encoding"] == "binary"

    # grey levels 0/128/255, then read as binary: background against everything else
    images, masks = _folders_with_masks(tmp_path / "grey", "grey-levels", classes=3)
    dialog.set_source("folders", str(images), str(masks))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert "grey levels (in order)" in dialog.decision.text() and dialog.classes.value() == 3
    dialog.mask_encoding.setCurrentIndex(dialog.mask_encoding.findData("binary"))
    dialog.rescan()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert "binary" in dialog.decision.text() and "(as you set it)" in dialog.decision.text()
    assert dialog.classes.value() == 2
    assert dialog.run_config().task_params["masks"]["encoding"] == "binary"

    # class values with names: they become the run's class names; a bad value is a message, not a scan
    dialog.mask_encoding.setCurrentIndex(0)
    dialog.class_values.setText("0=background, 128=cell, oops")
    dialog.rescan()
    assert "class value 'oops'" in dialog.summary.text() and dialog.preview is None
    dialog.class_values.setText("0=background, 128=cell, 255=nucleus")
    dialog.rescan()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    config = dialog.run_config()
    assert config.task_params["class_names"] == {"0": "background", "1": "cell", "2": "nucleus"}
    assert "class 1 'cell': 128; " in dialog.decision.text()
    dialog.reject()

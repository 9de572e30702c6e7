"""The human-in-the-loop cycle in the GUI: a trained U-Net segments the image, clicks correct its
prediction, the whole workspace is segmented, and a retraining run starts from the corrections."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.maskio import read_mask, write_mask
from core.training.config import Budget, RunConfig
from core.training.engine import train
from tests.core.unet_helpers import synthetic_pair, unet_params


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A tiny U-Net trained on generated discs (the same generator as the workspace images below)."""
    from tests.core.unet_helpers import write_folders

    root = tmp_path_factory.mktemp("model")
    images, masks = write_folders(root / "data", count=8)
    run_dir = root / "runs" / "discs"
    config = RunConfig(task="unet", task_params=unet_params(images, masks), seed=1, batch_size=8,
                       learning_rates={"main": 3e-3}, budget=Budget(steps=250), log_every=10, sample_every=250,
                       checkpoint_every=250)  # 150 steps left seed 1 on the edge (IoU 0.65-0.80 with float rounding)
    assert train(run_dir, config).state == "finished"
    return run_dir


def iou(a, b):
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


def test_predict_correct_segment_all_and_retrain(qtbot, window, workspace, trained_run):
    for i in range(3):
        rgb, labels = synthetic_pair(64, 80, seed=500 + i)
        Image.fromarray(rgb).save(workspace.images_dir / f"disc{i}.png")
    write_mask(workspace.masks_dir / "disc2.png", np.zeros((64, 80), np.uint8))  # a mask made by hand
    sequence = workspace.images_dir / "walk"  # a numbered sequence: one entry, a mask per frame
    sequence.mkdir()
    for frame in range(2):
        Image.fromarray(synthetic_pair(64, 80, seed=600 + frame)[0]).save(sequence / f"frame_{frame + 1:03d}.png")
    rgb0, truth0 = synthetic_pair(64, 80, seed=500)
    panel = window.segment_panel
    tools = panel.model_tools
    tools.add_run(trained_run)
    assert tools.run_dir() == trained_run
    window.image_panel.show_workspace()
    window.image_panel.select_path(workspace.images_dir / "disc0.png")
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.rgb is not None and np.array_equal(panel.rgb, rgb0)
                    and tools.segment_button.isEnabled() and panel.tool_buttons["click"].isEnabled(), timeout=15000)

    # 1. the model's prediction becomes the label map, and its object is the one the clicks now correct
    with qtbot.waitSignal(tools.predicted, timeout=60000):
        tools.segment_button.click()
    assert iou(panel.label_map.labels == 1, truth0 == 1) > 0.7  # (the model's accuracy is tested in core)
    assert panel.current_label == 1
    panel.view.fit()
    ys, xs = np.nonzero(truth0 == 1)
    panel.add_click(float(ys[0]), float(xs[0]), positive=False)  # "this part is not the object"
    qtbot.waitUntil(lambda: panel.last_result is not None and panel.last_result.interactions == 1, timeout=15000)
    panel.accept_object()
    qtbot.waitUntil(lambda: panel.label_map.labels[ys[0], xs[0]] != 1, timeout=10000)
    assert panel.save_now()
    saved = read_mask(workspace.masks_dir / "disc0.png").labels
    assert saved[ys[0], xs[0]] != 1 and (saved == 1).any()
    # another image: the prediction's report was about disc0, so it goes
    assert "label map now" in tools.status.text()
    window.image_panel.select_path(workspace.images_dir / "disc1.png")
    qtbot.waitUntil(lambda: panel.image_path is not None and panel.image_path.name == "disc1.png", timeout=15000)
    assert "label map now" not in tools.status.text() and tools.run_dir().name in tools.status.text()

    # 2. the rest of the workspace: masks a person made are kept
    tools.segment_all_button.click()
    qtbot.waitUntil(lambda: tools.handle is None and "Wrote" in tools.status.text(), timeout=60000)
    _, truth1 = synthetic_pair(64, 80, seed=501)
    assert iou(read_mask(workspace.masks_dir / "disc1.png").labels == 1, truth1 == 1) > 0.7
    assert not read_mask(workspace.masks_dir / "disc2.png").labels.any()  # untouched
    assert np.array_equal(read_mask(workspace.masks_dir / "disc0.png").labels, saved)  # the correction stays
    for frame in range(2):
        _, truth = synthetic_pair(64, 80, seed=600 + frame)
        assert iou(read_mask(workspace.masks_dir / "walk" / f"{frame:04d}.png").labels == 1, truth == 1) > 0.7

    # 3. retrain from the corrections: a new run starts in the Train panel from the model's weights
    before = set(workspace.runs())
    tools.retrain_button.click()
    qtbot.waitUntil(lambda: bool(set(workspace.runs()) - before), timeout=10000)
    assert window.tabs.currentWidget() is window.train_panel
    new_run = (set(workspace.runs()) - before).pop()
    from core.training.run_folder import RunFolder

    config = RunFolder(new_run).read_config()
    assert config.task_params["init_from"] == str(trained_run)
    assert config.task_params["source"]["kind"] == "workspace"
    window.train_panel.stop_live()
    qtbot.waitUntil(lambda: not window.train_panel._is_live(str(new_run)), timeout=60000)


def test_without_runs_the_tools_say_how_to_get_one(qtbot, window):
    tools = window.segment_panel.model_tools
    assert tools.run_combo.count() == 0
    assert not tools.segment_button.isEnabled() and not tools.retrain_button.isEnabled()
    assert "Train panel" in tools.status.text()


def test_a_run_that_is_not_a_segmentation_model_is_a_clear_error(qtbot, window, workspace, tmp_path):
    bogus = tmp_path / "not-a-run"
    bogus.mkdir()
    panel = window.segment_panel
    rgb, _ = synthetic_pair(64, 80, seed=1)
    Image.fromarray(rgb).save(workspace.images_dir / "x.png")
    window.image_panel.show_workspace()
    window.image_panel.select_path(workspace.images_dir / "x.png")
    qtbot.waitUntil(lambda: panel.rgb is not None and panel.rgb.shape == (64, 80, 3), timeout=10000)
    panel.model_tools.add_run(bogus)
    panel.model_tools.segment_button.click()
    qtbot.waitUntil(lambda: "failed" in panel.model_tools.status.text(), timeout=30000)
    assert "not a run folder" in panel.model_tools.status.text()
    assert panel.model_tools.segment_button.isEnabled()  # ready for another try

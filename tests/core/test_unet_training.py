"""Training the U-Net task through the engine on generated data, then segmenting with it: accuracy, sample
grids, resume, sliding-window inference, the segment job and weights loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.jobs import CancelToken, JobCancelled, Message, Progress
from core.maskio import read_mask
from core.training.config import Budget, RunConfig
from core.training.engine import prepare_run, train
from core.training.metrics_log import read_metrics
from core.unet.inference import SegmenterError, load_segmenter, segment_images_job
from core.unet.metrics import segmentation_scores
from tests.core.training_helpers import tiny_config
from tests.core.unet_helpers import synthetic_pair, unet_params, write_folders


def unet_config(images, masks, steps, **params) -> RunConfig:
    return RunConfig(task="unet", task_params=unet_params(images, masks, **params), seed=1, batch_size=8,
                     learning_rates={"main": 3e-3}, budget=Budget(steps=steps), log_every=10, sample_every=60,
                     checkpoint_every=60)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("unet")
    images, masks = write_folders(root / "data", count=8)
    run_dir = root / "run"
    result = train(run_dir, unet_config(images, masks, steps=180))
    return run_dir, result, images, masks


def test_a_tiny_dataset_trains_to_high_iou(trained):
    run_dir, result, _, _ = trained
    assert result.state == "finished" and result.step == 180
    assert result.last_metrics["foreground_iou"] > 0.9
    segmenter = load_segmenter(run_dir)
    total = []
    for seed in range(3):  # images the model never saw
        rgb, truth = synthetic_pair(64, 80, seed=1000 + seed)
        labels, probs = segmenter.predict(rgb)
        assert labels.shape == truth.shape and labels.dtype == np.uint8
        assert probs.shape == (64, 80, 2) and np.allclose(probs.sum(-1), 1, atol=1e-4)
        total.append(segmentation_scores(truth, labels, 2).mean_iou)
    assert np.mean(total) > 0.9


def test_run_folder_has_curves_samples_and_weights(trained):
    run_dir, _, _, _ = trained
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert {"loss", "pixel_accuracy", "foreground_iou", "validation/foreground_iou"} <= set(header.split(","))
    grid = np.asarray(Image.open(run_dir / "samples" / "step_000180.png"))
    # a caption and the column titles (two 15 px lines at 32 px crops), then 4 rows of image | truth |
    # prediction, 32 px crops with 4 px gaps
    assert grid.shape == (32 + 4 * 32 + 3 * 4, 3 * 32 + 2 * 4, 3)
    assert (run_dir / "model" / "unet.weights.h5").is_file()
    architecture = json.loads((run_dir / "model" / "architecture.json").read_text())
    assert architecture["model"]["depth"] == 2 and architecture["model"]["num_classes"] == 2


def test_sliding_window_equals_whole_image_where_both_fit(trained):
    run_dir = trained[0]
    rgb, _ = synthetic_pair(50, 70, seed=7)
    tiled = load_segmenter(run_dir, tile=96, overlap=16)
    whole = tiled.predict_whole(rgb)
    labels, probs = tiled.predict(rgb)
    np.testing.assert_allclose(probs, whole, atol=1e-5)
    # Larger than a tile: blended tiles agree with one pass over the whole image almost everywhere.
    big, _ = synthetic_pair(150, 170, seed=8)
    small_tiles = load_segmenter(run_dir, tile=64, overlap=24)
    tiled_labels, _ = small_tiles.predict(big)
    whole_labels = np.argmax(small_tiles.predict_whole(big), axis=-1)
    assert tiled_labels.shape == (150, 170)
    assert np.mean(tiled_labels == whole_labels) > 0.99
    tiny = small_tiles.predict(big[:3, :5])[0]  # smaller than the model's multiple
    assert tiny.shape == (3, 5)


def test_segment_job_writes_label_maps_named_and_sized_like_inputs(trained, tmp_path):
    run_dir = trained[0]
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, size in (("a.png", (40, 52)), ("b.jpg", (70, 30)), ("a.tif", (20, 20))):
        Image.fromarray(synthetic_pair(*size, seed=3)[0]).save(inputs / name)
    (inputs / "junk.png").write_text("not an image")
    events = []
    paths = sorted(inputs.iterdir())
    result = segment_images_job(run_dir, paths, tmp_path / "out", CancelToken(), events.append, overlay=True)
    names = sorted(Path(p).name for p in result.written)
    assert names == ["a.png", "a_2.png", "b.png"]  # a.png and a.tif do not overwrite each other
    mask = Image.open(tmp_path / "out" / "b.png")
    assert mask.mode == "P" and mask.size == (30, 70)
    assert read_mask(tmp_path / "out" / "b.png").labels.max() <= 1
    assert (tmp_path / "out" / "b_overlay.png").is_file()
    assert [Path(p).name for p, _ in result.failed] == ["junk.png"]
    assert any(isinstance(e, Message) and "junk.png" in e.text for e in events)
    assert [e for e in events if isinstance(e, Progress)][-1].done == 4
    kept = segment_images_job(run_dir, paths[:1], tmp_path / "out", CancelToken(), events.append,
                              segmenter=load_segmenter(run_dir), skip_existing=True)
    assert kept.written == [] and [Path(p).name for p in kept.kept] == ["a.png"]
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        segment_images_job(run_dir, paths, tmp_path / "out2", token, events.append)


def test_resume_continues_the_run(trained, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(trained[0], run_dir)
    again = train(run_dir, resume=True, budget=Budget(steps=190))
    assert again.state == "finished" and again.step == 190
    _, rows = read_metrics(run_dir / "metrics.csv")
    assert [int(r["step"]) for r in rows if r.get("loss") is not None] == list(range(10, 191, 10))
    validated = [int(r["step"]) for r in rows if r.get("validation/loss") is not None]
    assert validated[0] == 1 and 180 in validated and validated[-1] == 190  # each session's end is measured
    assert (run_dir / "samples" / "step_000190.png").is_file()


def test_retraining_starts_from_another_runs_weights(trained):
    from core.unet.task import UNetTask

    run_dir, _, images, masks = trained
    task = UNetTask(unet_params(images, masks, init_from=str(run_dir)), seed=4)
    task.build({"main": 1e-3})
    trained_weights = load_segmenter(run_dir).model.get_weights()
    for got, expected in zip(task.models["unet"].get_weights(), trained_weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_bad_runs_and_data_are_clear_errors(tmp_path):
    with pytest.raises(SegmenterError, match="not a run folder"):
        load_segmenter(tmp_path)
    prepare_run(tmp_path / "ae", tiny_config(steps=2))
    with pytest.raises(SegmenterError, match="not a segmentation"):
        load_segmenter(tmp_path / "ae")
    empty = tmp_path / "empty"
    (empty / "images").mkdir(parents=True)
    (empty / "masks").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(empty / "images" / "x.png")
    with pytest.raises(ValueError, match="no usable image/mask pairs.*x.png: no mask"):
        train(tmp_path / "nodata", unet_config(empty / "images", empty / "masks", steps=1))
    images, masks = write_folders(tmp_path / "d", count=2)
    with pytest.raises(ValueError, match="multiple of 4"):
        train(tmp_path / "badcrop", unet_config(images, masks, steps=1, crop=30))


def test_retrain_config_takes_the_workspace_masks_and_the_runs_weights(trained, tmp_path):
    from core.unet.setup import retrain_config
    from core.workspace import Workspace

    run_dir = trained[0]
    workspace = Workspace.open(tmp_path / "ws")
    with pytest.raises(ValueError, match="no annotated images"):
        retrain_config(workspace, run_dir)
    rgb, labels = synthetic_pair(40, 40, seed=3)
    Image.fromarray(rgb).save(workspace.images_dir / "x.png")
    from core.maskio import write_mask

    write_mask(workspace.mask_path("x.png"), labels)
    config = retrain_config(workspace, run_dir, minutes=2)
    assert config.task_params["source"] == {"kind": "workspace", "root": str(workspace.root)}
    assert config.task_params["init_from"] == str(run_dir) and config.budget.minutes == 2
    assert config.task_params["depth"] == 2  # same architecture as the base run

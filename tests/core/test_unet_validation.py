"""U-Net validation: the values it computes, the weights it measures (the averaged ones), the best weights
that segment uses by default, and what it says when there are too few images for a split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from core.jobs import Message
from core.training.config import Budget, RunConfig
from core.training.engine import train
from core.training.weights import read_manifest
from core.unet.inference import SegmenterError, load_segmenter
from core.unet.metrics import segmentation_scores
from core.unet.model import UNetSpec
from core.unet.validation import score_images
from tests.core.unet_helpers import unet_params, write_folders


@dataclass
class FixedSegmenter:
    """Stands in for a Segmenter: returns given probabilities."""

    spec: UNetSpec
    probabilities: list

    def predict_probabilities(self, rgb):
        return self.probabilities.pop(0)


def one_hot(labels, k):
    return np.eye(k, dtype=np.float32)[labels] * 0.98 + 0.01


def test_scores_pool_all_images_and_the_headline_is_the_objects_iou():
    truth = [np.array([[0, 0, 1, 1]] * 4, np.uint8), np.array([[0, 0, 0, 1]] * 4, np.uint8)]
    predicted = [np.array([[0, 1, 1, 1]] * 4, np.uint8), np.array([[0, 0, 0, 0]] * 4, np.uint8)]
    seg = FixedSegmenter(UNetSpec(num_classes=2), [one_hot(p, 2) for p in predicted])
    values = score_images(seg, [np.zeros((4, 4, 3), np.uint8)] * 2, truth, "ce", class_names={"1": "cell"})
    # pooled over both images: class 1 has 8 + 0 hits, 4 false positives, 4 misses -> 8 / 16
    expected = segmentation_scores(np.concatenate(truth), np.concatenate(predicted), 2)
    assert values["validation/foreground_iou"] == pytest.approx(0.5) == pytest.approx(expected.iou[1])
    assert values["validation/mean_iou"] == pytest.approx(expected.mean_iou)
    assert values["validation/iou/cell"] == pytest.approx(0.5)
    assert values["validation/iou/background"] == pytest.approx(expected.iou[0])
    assert values["validation/dice"] == pytest.approx(expected.dice[1])
    assert values["validation/pixel_accuracy"] == pytest.approx(24 / 32)
    # the training loss on the probabilities: cross-entropy of 0.98 where right and 0.01 where wrong
    assert values["validation/loss"] == pytest.approx(-(24 * np.log(0.99) + 8 * np.log(0.01)) / 32, rel=1e-4)


def test_multiclass_headline_leaves_the_background_out():
    truth = [np.array([[0, 1, 2, 2]] * 2, np.uint8)]
    predicted = [np.array([[0, 1, 2, 0]] * 2, np.uint8)]
    seg = FixedSegmenter(UNetSpec(num_classes=3), [one_hot(p, 3) for p in predicted])
    values = score_images(seg, [np.zeros((2, 4, 3), np.uint8)], truth, "ce+dice")
    assert values["validation/foreground_iou"] == pytest.approx((1.0 + 0.5) / 2)
    assert values["validation/iou/class 2"] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def averaged_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("unet-validation")
    images, masks = write_folders(root / "data", count=8)
    params = unet_params(images, masks, ema=0.9, class_names={"1": "disc"})
    config = RunConfig(task="unet", task_params=params, seed=1, batch_size=8, learning_rates={"main": 3e-3},
                       budget=Budget(steps=120), log_every=10, sample_every=60, checkpoint_every=60,
                       schedule={"kind": "cosine", "warmup": 0.1}, validation={"every_steps": 20})
    events = []
    train(root / "run", config, emit=events.append)
    return root / "run", params, events


def test_the_best_weights_reproduce_their_recorded_score_and_are_the_default(averaged_run):
    from core.unet.task import UNetTask

    run_dir, params, events = averaged_run
    manifest = read_manifest(run_dir / "model")
    assert manifest["default"] == "best" and set(manifest["variants"]) == {"best", "ema", "final"}
    best = manifest["variants"]["best"]
    assert best["metric"] == "validation/mean_iou" and best["weights"] == "ema" and best["step"] % 20 == 0
    task = UNetTask(params, seed=1)
    task._load()
    assert len(task._val) == 2 and best["measured_on"] == "2 validation images, whole"
    segmenter = load_segmenter(run_dir)
    assert segmenter.weights.variant == "best" and "best validated weights (step" in segmenter.weights.description
    predicted = [segmenter.predict(rgb)[0] for rgb in task._val.images]
    scores = segmentation_scores(np.concatenate([p.ravel() for p in predicted]),
                                 np.concatenate([t.ravel() for t in task._val.labels]), 2)
    assert scores.mean_iou == pytest.approx(best["value"], abs=1e-6)
    assert any(isinstance(e, Message) and e.text.startswith("validating on 2 validation images") for e in events)


def test_averaged_and_final_weights_differ_and_can_be_asked_for(averaged_run):
    run_dir, _, _ = averaged_run
    final = load_segmenter(run_dir, weights="final").model.get_weights()
    averaged = load_segmenter(run_dir, weights="ema").model.get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(final, averaged, strict=True))
    with pytest.raises(SegmenterError, match="weights must be one of"):
        load_segmenter(run_dir, weights="newest")


def test_too_few_images_validates_on_the_training_images_and_says_so(tmp_path):
    images, masks = write_folders(tmp_path / "data", count=1)
    config = RunConfig(task="unet", task_params=unet_params(images, masks), seed=1, batch_size=4,
                       learning_rates={"main": 3e-3}, budget=Budget(steps=4), log_every=2, sample_every=4,
                       checkpoint_every=4)
    events = []
    train(tmp_path / "run", config, emit=events.append)
    warnings = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
    assert any("too few images for a validation split" in text and "training images" in text for text in warnings)
    from core.training.run_folder import RunFolder

    status = RunFolder(tmp_path / "run").read_status()
    assert status["validation"]["on"] == "1 training image, whole" and "too few" in status["validation"]["warning"]
    assert read_manifest(tmp_path / "run" / "model")["variants"]["best"]["measured_on"] == "1 training image, whole"
    with pytest.raises(SegmenterError, match=r"no ema weights \(the run has: best, final\)"):
        load_segmenter(tmp_path / "run", weights="ema")

"""The U-Net builder, losses and metrics, on small arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from core.runtime import tensorflow
from core.unet.losses import LOSSES, segmentation_loss
from core.unet.metrics import confusion_matrix, segmentation_scores
from core.unet.model import UNetSpec, build_unet


@pytest.mark.parametrize("spec", [
    UNetSpec(num_classes=3, depth=2, base_width=4),
    UNetSpec(num_classes=2, depth=3, base_width=4, batch_norm=False, residual=False, dropout=0.2),
    UNetSpec(num_classes=2, depth=1, base_width=4, binary_sigmoid=True),
])
def test_the_model_is_fully_convolutional(spec):
    model = build_unet(spec)
    for h, w in ((32, 32), (16, 48)):
        out = model(np.zeros((2, h, w, 3), np.float32), training=False)
        assert tuple(out.shape) == (2, h, w, spec.output_channels)


def test_widths_double_and_cap():
    model = build_unet(UNetSpec(depth=3, base_width=8, max_width=16))
    assert model.get_layer("down0_conv1").filters == 8
    assert model.get_layer("down1_conv1").filters == 16
    assert model.get_layer("bottom_conv1").filters == 16
    assert model.get_layer("down0_add") is not None  # residual blocks


@pytest.mark.parametrize("bad, message", [
    (dict(num_classes=1), "at least 2 classes"), (dict(depth=0), "depth"),
    (dict(binary_sigmoid=True, num_classes=3), "exactly 2"), (dict(dropout=1.0), "dropout"),
])
def test_invalid_specs_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        UNetSpec(**bad).validate()


@pytest.mark.parametrize("name", LOSSES)
def test_losses_reward_the_right_answer(name):
    tf = tensorflow()
    labels = np.zeros((2, 8, 8), np.int32)
    labels[:, 2:6, 2:6] = 1
    good = tf.constant(np.where(labels[..., None] == np.arange(2), 8.0, -8.0).astype(np.float32))
    bad = -good
    good_loss = segmentation_loss(name, good, labels, 2).numpy()
    bad_loss = segmentation_loss(name, bad, labels, 2).numpy()
    assert good_loss.shape == (2,)
    assert np.all(good_loss < 0.05) and np.all(bad_loss > good_loss + 0.4)


def test_class_weights_and_sigmoid_head():
    tf = tensorflow()
    labels = np.zeros((1, 4, 4), np.int32)
    labels[0, 0, 0] = 1
    logits = tf.zeros((1, 4, 4, 2))
    plain = segmentation_loss("ce", logits, labels, 2).numpy()[0]
    weighted = segmentation_loss("ce", logits, labels, 2, class_weights=[1.0, 10.0]).numpy()[0]
    assert plain == pytest.approx(np.log(2), rel=1e-5) and weighted == pytest.approx(np.log(2), rel=1e-5)
    sigmoid = segmentation_loss("ce", tf.zeros((1, 4, 4, 1)), labels, 2, binary_sigmoid=True).numpy()[0]
    assert sigmoid == pytest.approx(np.log(2), rel=1e-5)
    confident = tf.constant(np.where(labels[..., None] == 1, 5.0, -5.0).astype(np.float32))
    assert segmentation_loss("dice", confident, labels, 2, binary_sigmoid=True).numpy()[0] < 0.05


def test_metrics_match_hand_counts():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    assert confusion_matrix(truth, pred, 3).tolist() == [[2, 1, 0], [0, 3, 0], [1, 0, 1]]
    scores = segmentation_scores(truth, pred, 3)
    assert scores.iou == pytest.approx((2 / 4, 3 / 4, 1 / 2))
    assert scores.dice == pytest.approx((4 / 6, 6 / 7, 2 / 3))
    assert scores.pixel_accuracy == pytest.approx(6 / 8)
    assert scores.mean_iou == pytest.approx((0.5 + 0.75 + 0.5) / 3)
    absent = segmentation_scores(np.zeros(4), np.zeros(4), 3)
    assert absent.iou[0] == 1.0 and np.isnan(absent.iou[2]) and absent.mean_iou == 1.0

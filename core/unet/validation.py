"""Scoring a U-Net on whole validation images, the way it will be used: the same sliding-window inference as
``seggan segment`` (core/unet/inference.py), one confusion matrix pooled over all images, and the training
loss on the blended probabilities.

Values (the names the metrics rows, TensorBoard and the Train panel use):
``validation/loss``, ``validation/foreground_iou`` (mean IoU of the object classes: the headline, for a
binary task the object's IoU), ``validation/mean_iou`` (all classes, background included),
``validation/dice`` (mean Dice of the object classes), ``validation/pixel_accuracy`` and
``validation/iou/<class>`` per class.
"""

from __future__ import annotations

import re

import numpy as np

from core.unet.metrics import confusion_matrix, scores_from_confusion

HEADLINE = "validation/foreground_iou"
# What ranks weights (best weights, early stopping): the mean IoU over all classes. The foreground IoU alone
# can prefer a model that labels everything as the object when the object covers most of the image (on
# membrane images "everything is cell" scores 0.78 foreground IoU and 0.39 mean IoU).
MONITOR = "validation/mean_iou"


def class_label(index: int, names: dict | None) -> str:
    """A column-safe name for class ``index``: its name when the run has one, else 'class 3'."""
    name = (names or {}).get(str(index)) or (names or {}).get(index)
    if not name:
        return "background" if index == 0 else f"class {index}"
    return re.sub(r"[,/\n\r]+", " ", str(name)).strip() or f"class {index}"


def logits_from_probabilities(probs: np.ndarray, binary_sigmoid: bool) -> np.ndarray:
    """Logits whose softmax (or sigmoid) gives ``probs`` back, so the training loss can score them."""
    p = np.clip(probs.astype(np.float32), 1e-7, 1.0 - 1e-7)
    if binary_sigmoid:
        return (np.log(p[..., 1:2]) - np.log(p[..., 0:1])).astype(np.float32)
    return np.log(p)


def score_images(segmenter, images, labels, loss_name: str, class_weights=None, class_names=None) -> dict:
    """The validation values of ``segmenter`` (a core.unet.inference.Segmenter) on ``images``/``labels``."""
    from core.runtime import tensorflow
    from core.unet.losses import segmentation_loss

    tf = tensorflow()
    spec = segmenter.spec
    k = spec.num_classes
    total = np.zeros((k, k), np.int64)
    losses = []
    for rgb, truth in zip(images, labels, strict=True):
        probs = segmenter.predict_probabilities(rgb)
        total += confusion_matrix(truth, np.argmax(probs, axis=-1), k)
        logits = tf.constant(logits_from_probabilities(probs, spec.binary_sigmoid)[None])
        per_example = segmentation_loss(loss_name, logits, tf.constant(truth[None].astype(np.int32)), k,
                                        spec.binary_sigmoid, class_weights)
        losses.append(float(np.mean(np.asarray(per_example))))
    scores = scores_from_confusion(total)
    foreground = [v for v in scores.iou[1:] if not np.isnan(v)]
    dice = [v for v in scores.dice[1:] if not np.isnan(v)]
    values = {
        "validation/loss": float(np.mean(losses)),
        HEADLINE: float(np.mean(foreground)) if foreground else 0.0,
        "validation/mean_iou": scores.mean_iou,
        "validation/dice": float(np.mean(dice)) if dice else 0.0,
        "validation/pixel_accuracy": scores.pixel_accuracy,
    }
    for index, iou in enumerate(scores.iou):
        if not np.isnan(iou):
            values[f"validation/iou/{class_label(index, class_names)}"] = float(iou)
    return values

"""Segmentation metrics from a confusion matrix: per-class IoU and Dice, pixel accuracy (numpy, host side)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(truth: np.ndarray, prediction: np.ndarray, num_classes: int) -> np.ndarray:
    """KxK counts: rows are true classes, columns predicted classes."""
    truth = np.asarray(truth).astype(np.int64).ravel()
    prediction = np.asarray(prediction).astype(np.int64).ravel()
    if truth.shape != prediction.shape:
        raise ValueError(f"truth and prediction differ in size: {truth.size} vs {prediction.size}")
    valid = (truth >= 0) & (truth < num_classes)
    index = truth[valid] * num_classes + np.clip(prediction[valid], 0, num_classes - 1)
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@dataclass(frozen=True)
class SegmentationScores:
    iou: tuple[float, ...]  # per class; NaN for a class absent from both truth and prediction
    dice: tuple[float, ...]
    pixel_accuracy: float

    @property
    def mean_iou(self) -> float:
        values = [v for v in self.iou if not np.isnan(v)]
        return float(np.mean(values)) if values else float("nan")

    @property
    def mean_dice(self) -> float:
        values = [v for v in self.dice if not np.isnan(v)]
        return float(np.mean(values)) if values else float("nan")

    def as_dict(self) -> dict:
        return {"mean_iou": self.mean_iou, "mean_dice": self.mean_dice, "pixel_accuracy": self.pixel_accuracy,
                "iou": list(self.iou), "dice": list(self.dice)}


def scores_from_confusion(matrix: np.ndarray) -> SegmentationScores:
    matrix = np.asarray(matrix, np.float64)
    tp = np.diag(matrix)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(tp + fp + fn > 0, tp / (tp + fp + fn), np.nan)
        dice = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    total = matrix.sum()
    accuracy = float(tp.sum() / total) if total else float("nan")
    return SegmentationScores(tuple(float(v) for v in iou), tuple(float(v) for v in dice), accuracy)


def segmentation_scores(truth, prediction, num_classes: int) -> SegmentationScores:
    return scores_from_confusion(confusion_matrix(truth, prediction, num_classes))

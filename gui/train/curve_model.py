"""What the training curves show, without Qt: which plot a metric goes to and how it is labelled, the
measured series of each (run, metric), the hover readout, where a plot's legend goes and nice axis limits.
The widget (gui/train/curves.py) draws this with pyqtgraph."""

from __future__ import annotations

import numpy as np

from core.training.smoothing import debiased_ema

EVALUATION_PREFIX = "validation/"
FLOOR_SUFFIX = "_floor"
EVALUATED = ("swd",)  # metrics that only the run's evaluation measures (sparse points, not batch means)
PER_CLASS_GROUP = "IoU per class (validation)"
TITLES = {
    "loss": "loss",
    "foreground_iou": "IoU of object classes (no background)",
    "pixel_accuracy": "pixel accuracy",
    "dice": "Dice of object classes (validation)",
    PER_CLASS_GROUP: "IoU per class and mean (validation)",
    "swd": "SWD to real images (lower is better)",
}


def metric_group(name: str) -> str:
    """Which plot a metric goes to: 'validation/x' with 'x', per-class IoUs together, '<x>_floor' on 'x',
    lr_* together, images_per_s alone, other 'a/b' by prefix, else by name."""
    if name.startswith(EVALUATION_PREFIX):
        rest = name[len(EVALUATION_PREFIX):]
        if rest.startswith("iou/") or rest == "mean_iou":
            return PER_CLASS_GROUP
        return rest
    if name.endswith(FLOOR_SUFFIX):
        return name[: -len(FLOOR_SUFFIX)]
    if name.startswith("lr_"):
        return "learning rate"
    if name == "images_per_s":
        return "throughput (images/s)"
    if "/" in name:
        return name.split("/", 1)[0]
    return name


def is_evaluation(name: str) -> bool:
    """A value the run's evaluation measured now and then (drawn as points, never smoothed)."""
    return name.startswith(EVALUATION_PREFIX) or name in EVALUATED


def is_reference(name: str) -> bool:
    return name.endswith(FLOOR_SUFFIX)


def series_label(name: str) -> str:
    """The legend entry: what was measured, and on what."""
    if is_reference(name):
        return f"{name[: -len(FLOOR_SUFFIX)]} floor (real vs real)"
    if name.startswith(EVALUATION_PREFIX):
        rest = name[len(EVALUATION_PREFIX):]
        if rest.startswith("iou/"):
            return rest[4:]
        return "mean over classes" if rest == "mean_iou" else "validation"
    if name in EVALUATED:
        return name
    if name == "images_per_s" or name == "lr_main":
        return ""  # alone on its plot (one optimizer), named by the title
    return "training batches" if not name.startswith("lr_") else name[3:]


def plot_title(group: str) -> str:
    return TITLES.get(group, group.replace("_", " "))


class Series:
    """One (run, metric): its measured steps and values, and the plot items that draw it."""

    def __init__(self):
        self.steps: list[float] = []
        self.values: list[float] = []
        self.raw = None
        self.smooth = None
        self.line = None  # reference series: an infinite horizontal line


def smoothing_of(name: str, smoothing: float) -> float:
    """The smoothing weight of a metric: none for rates, throughput, evaluations and reference lines."""
    if name == "images_per_s" or name.startswith("lr_") or is_evaluation(name) or is_reference(name):
        return 0.0
    return smoothing


def readout(series_by_key: dict, group: str, step: float, smoothing: float) -> str:
    """The text for the metrics of one plot at the saved step nearest to ``step``; a sparse measurement
    (validation) names the step it was measured at when that is not the step shown."""
    parts = []
    nearest_step = None
    several = len({r for r, _ in series_by_key}) > 1
    for (run, name), series in sorted(series_by_key.items(), key=lambda kv: is_evaluation(kv[0][1])):
        if metric_group(name) != group or not series.steps:
            continue
        steps = np.asarray(series.steps)
        index = int(np.clip(np.searchsorted(steps, step), 0, len(steps) - 1))
        if index > 0 and abs(steps[index - 1] - step) < abs(steps[index] - step):
            index -= 1
        at = int(steps[index])
        prefix = f"{run}: " if several else ""
        if is_reference(name):
            parts.append(f"{prefix}{name} {series.values[-1]:.5g}")
            continue
        if nearest_step is None:
            nearest_step = at
        weight = smoothing_of(name, smoothing)
        text = f"{prefix}{name} {series.values[index]:.5g}"
        if weight > 0:
            smoothed = debiased_ema(series.values[: index + 1], weight)[-1]
            text += f" (smoothed {smoothed:.5g})"
        elif at != nearest_step:
            text += f" (at step {at})"
        parts.append(text)
    if nearest_step is None:
        return ""
    return f"step {nearest_step}: " + "; ".join(parts)


def legend_at_bottom(shown: list, x0: float, y0: float, y1: float, log: bool) -> bool:
    """Whether a plot's legend goes to the bottom-right corner: scores that rise to the top (IoU, accuracy)
    leave the bottom free, losses that fall leave the top free (it covered the curves there). ``shown``:
    the plot's non-empty, non-reference Series; the view's x starts at ``x0``, y spans ``y0``..``y1``."""
    last = max(series.steps[-1] for series in shown)  # the x range runs past the data; the data's end
    top = bottom = 0
    for series in shown:
        steps = np.asarray(series.steps, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)[steps >= x0 + 0.55 * (last - x0)]
        if log:
            values = np.log10(values[values > 0])
        height = (values[np.isfinite(values)] - y0) / max(y1 - y0, 1e-12)
        top += int(np.count_nonzero(height > 0.6))
        bottom += int(np.count_nonzero(height < 0.4))
    return top > bottom


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value."""
    if value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = factor * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def group_order(group: str) -> tuple:
    late = {"learning rate": 2, "throughput (images/s)": 3}
    return (late.get(group, 1 if "loss" not in group else 0), group)

"""Short texts for the Train panel about a run's evaluation: the validation curve's legend entry and the
best-step marker (from status.json's ``validation`` and ``best``)."""

from __future__ import annotations


def validation_legend(validation: dict) -> str:
    """'validation (5 images)', or a warning-like label when the run validates on its training images."""
    on = str(validation.get("on") or "")
    if "training image" in on:
        return "validated on TRAINING images (too few for a split)"
    count = on.split(" ", 1)[0]
    return f"validation ({count} images)" if count.isdigit() else "validation"


def best_marker(best: dict) -> str:
    """'best weights: step 512 (mean_iou 0.861)'."""
    metric = str(best.get("metric") or "").removeprefix("validation/")
    value = best.get("value")
    detail = f" ({metric} {float(value):.3g})" if metric and value is not None else ""
    return f"best weights: step {int(best['step'])}{detail}"

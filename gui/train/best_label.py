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
    """'best weights: step 512' (the value it scored is in status.json and in the readout)."""
    return f"best weights: step {int(best['step'])}"

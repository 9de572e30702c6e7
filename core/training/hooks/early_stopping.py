"""Early stopping: end the run when its monitored evaluation value (the U-Net's validation mean IoU, the
GAN's SWD to the data) has not improved by ``min_delta`` for ``patience`` evaluations in a row.

Optional; the segmentation setup turns it on for step and epoch budgets and leaves it off under a minutes
budget (where the schedule already ends the run at its budget)."""

from __future__ import annotations

from core.training.hooks.base import Hook


class EarlyStopping(Hook):
    def __init__(self, patience: int = 10, min_delta: float = 0.0):
        self.check_settings({"patience": patience, "min_delta": min_delta})
        self.patience = int(patience)
        self.min_delta = float(min_delta)

    @staticmethod
    def check_settings(settings: dict | None) -> None:
        settings = dict(settings or {})
        unknown = set(settings) - {"patience", "min_delta"}
        if unknown:
            raise ValueError(f"unknown early-stopping settings: {', '.join(sorted(unknown))}")
        if "patience" in settings and int(settings["patience"]) < 1:
            raise ValueError(f"early-stopping patience must be at least 1 evaluation, got {settings['patience']}")
        if "min_delta" in settings and float(settings["min_delta"]) < 0:
            raise ValueError(f"early-stopping min_delta must not be negative, got {settings['min_delta']}")

    def on_train_begin(self) -> None:
        self.best = None
        self.best_step = None
        self.waited = 0

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        for evaluation in self.loop.evaluations:
            if evaluation.better_than(self.best, self.min_delta):
                self.best, self.best_step, self.waited = evaluation.score, evaluation.step, 0
                continue
            self.waited += 1
            if self.waited >= self.patience:
                self.loop.stop("finished", f"stopped early at step {step}: {evaluation.monitor} has not improved "
                                           f"for {self.waited} evaluations (best {self.best:.4g} at step "
                                           f"{self.best_step})")
                return

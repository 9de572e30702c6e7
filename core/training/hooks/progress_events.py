"""Progress events for the job's caller (the Train panel's progress bar, the CLI's): throttled, with the
step count, the rate and the epoch."""

from __future__ import annotations

from core.jobs import ProgressReporter
from core.training.hooks.base import Hook

PROGRESS_INTERVAL_S = 0.05


class ProgressEvents(Hook):
    def on_train_begin(self) -> None:
        loop = self.loop
        self.reporter = ProgressReporter(loop.emit, loop.total_steps, min_interval_s=PROGRESS_INTERVAL_S)
        self.reporter.done = loop.start_step

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        loop = self.loop
        self.reporter.advance(1, message=f"epoch {loop.epoch(step):.2f}" if loop.steps_per_epoch else "")

    @property
    def rate(self) -> float | None:
        return self.reporter.rate

"""``status.json``: the run's state, step, ETA, training time, throughput, rates, and what other hooks put in
``loop.status_extras`` (the validation in use, the best weights so far). Rewritten at most once a second
while running, and at every change of state."""

from __future__ import annotations

import time

from core.jobs import Message
from core.training.hooks.base import Hook

STATUS_INTERVAL_S = 1.0


class Status(Hook):
    def __init__(self, progress=None):
        self.progress = progress  # the ProgressEvents hook, for its smoothed rate (the ETA)

    def on_train_begin(self) -> None:
        self.last = 0.0
        self.write("running", self.loop.start_step, None)

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        now = time.monotonic()
        if now - self.last < STATUS_INTERVAL_S:
            return
        self.last = now
        self.write("running", step, self.eta(step), "")

    def eta(self, step: int) -> float | None:
        loop = self.loop
        rate = self.progress.rate if self.progress is not None else None
        total, minutes = loop.total_steps, loop.config.budget.minutes
        eta = rate and total and (total - step) / rate
        if minutes is not None and rate:
            left = max(0.0, minutes * 60 - loop.elapsed())
            eta = min(eta, left) if eta else left
        return eta

    def on_pause(self, step: int) -> None:
        self.write("paused", step, None, "paused")
        self.loop.emit(Message(text=f"paused at step {step}"))

    def on_resume(self, step: int) -> None:
        self.write("running", step, None, "")
        self.loop.emit(Message(text=f"resumed at step {step}"))

    def on_stopping(self) -> None:
        self.write("stopping", self.loop.step, None, self.loop.message)

    def on_train_end(self) -> None:
        loop = self.loop
        step = loop.step
        eta = None if loop.state == "failed" else 0.0
        self.write(loop.state, step, eta, loop.message)
        loop.emit(Message(text=loop.message or loop.state, level="error" if loop.state == "failed" else "info"))

    def write(self, state: str, step: int, eta, message: str = "") -> None:
        loop = self.loop
        if not loop.chief:
            return
        loop.run.write_status(state, step=step, total_steps=loop.total_steps, epoch=loop.epoch(step), eta_s=eta,
                              elapsed_s=loop.elapsed(), images_per_s=loop.images_per_s, message=message,
                              strategy=loop.strategy_name, learning_rates=dict(loop.rates), **loop.status_extras)

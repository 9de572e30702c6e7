"""``metrics.csv`` rows: every ``log_every`` steps the mean of each training metric over those steps, the
learning rates used and the training throughput (time spent measuring left out); evaluation values
(validation, sample quality) in the row of the step whose weights they measured. Rows also go out as
Metrics events; the TensorBoard hook writes the same rows as scalars (``loop.rows`` holds the rows
written at the current step)."""

from __future__ import annotations

import math
import time

from core.jobs import Metrics
from core.training.hooks.base import Hook

METRIC_EVENT_INTERVAL_S = 0.05  # at most 20 metric events per second


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]  # an undefined batch value (no object) is left out
    return sum(finite) / len(finite) if finite else math.nan


class MetricsRows(Hook):
    def on_train_begin(self) -> None:
        self.window: dict[str, list[float]] = {}
        self.window_start = time.monotonic()
        self.measuring_s = 0.0  # time evaluations held training up in this window
        self.last_event = 0.0

    def on_resume(self, step: int) -> None:
        self.window_start = time.monotonic()  # paused time is no training time

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        loop = self.loop
        loop.rows = []
        for name, value in logs.items():
            self.window.setdefault(name, []).append(value)
        self.measuring_s += sum(evaluation.seconds for evaluation in loop.evaluations)
        row: dict[str, float] = {}
        if step % loop.config.log_every == 0:
            now = time.monotonic()
            seconds = max(now - self.window_start - self.measuring_s, 1e-9)
            loop.images_per_s = loop.config.log_every * loop.global_batch / seconds
            self.window_start, self.measuring_s = now, 0.0
            loop.last_row = {name: _mean(values) for name, values in self.window.items()}
            self.window = {}
            row.update(loop.last_row)
            row.update({f"lr_{name}": value for name, value in loop.rates.items()})
            row["images_per_s"] = loop.images_per_s
        self._write_with_evaluations(step, row)

    def on_train_end(self) -> None:
        loop = self.loop
        loop.rows = []
        if loop.state != "failed":  # evaluations of the final weights (see Validation.on_train_end)
            self._write_with_evaluations(loop.step, {})

    def _write_with_evaluations(self, step: int, row: dict) -> None:
        loop = self.loop
        for evaluation in loop.evaluations:
            if evaluation.step == step:
                row.update(evaluation.values)
            else:  # measured in the background: its row has the step it measured
                self._write(evaluation.step, dict(evaluation.values), evaluation.extra.get("elapsed_s"))
        if row:
            self._write(step, row, loop.elapsed())

    def _write(self, step: int, row: dict, elapsed) -> None:
        loop = self.loop
        loop.rows.append((step, row))
        if loop.chief:
            loop.metrics.append(step, loop.epoch(step), time.time(), elapsed, row)
        now = time.monotonic()
        if now - self.last_event >= METRIC_EVENT_INTERVAL_S or any("/" in name for name in row):
            loop.emit(Metrics(step=step, values=row))
            self.last_event = now

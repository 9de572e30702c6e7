"""TensorBoard scalars: every metrics row, under the same names (``validation/...`` is its own section)."""

from __future__ import annotations

from core.training.hooks.base import Hook


class TensorBoardScalars(Hook):
    def on_train_batch_end(self, step: int, logs: dict) -> None:
        loop = self.loop
        if not loop.chief:
            return
        for when, row in loop.rows:
            loop.write_scalars(when, row)

    def on_train_end(self) -> None:
        self.on_train_batch_end(self.loop.step, {})  # rows of the final evaluation
        if self.loop.writer is not None:
            self.loop.writer.flush()

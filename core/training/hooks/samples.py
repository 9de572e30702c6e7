"""Sample grids: every ``sample_every`` steps and at the end, a picture of what the model does now, saved
in the run folder (``samples/step_XXXXXX.png``), in TensorBoard and sent as an Images event."""

from __future__ import annotations

from core.jobs import Images
from core.training.hooks.base import Hook


class Samples(Hook):
    def on_train_begin(self) -> None:
        self.last = None

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        if step % self.loop.config.sample_every == 0:
            self.sample(step)

    def on_train_end(self) -> None:
        loop = self.loop
        step = loop.step
        if loop.state != "failed" and step > loop.start_step and self.last != step:
            self.sample(step)

    def sample(self, step: int) -> None:
        loop = self.loop
        self.last = step
        grid = loop.task.sample_grid(step)
        if grid is None or not loop.chief:
            return
        loop.run.save_sample(step, grid)
        with loop.writer.as_default(step=step):
            loop.tf.summary.image("samples", grid[None], max_outputs=1)
        loop.writer.flush()
        loop.emit(Images(step=step, images=(("samples", grid),)))

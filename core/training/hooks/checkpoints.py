"""Checkpoints: every ``checkpoint_every`` steps and at every stop (the step, the training time, models,
optimizers and random state, so a resumed run continues exactly); at the end, the final weights in
``model/`` and the run's config (rates changed while training are kept)."""

from __future__ import annotations

from core.training.hooks.base import Hook
from core.training.weights import record_variant


class Checkpoints(Hook):
    def on_train_begin(self) -> None:
        loop = self.loop
        self.last_saved = loop.start_step if loop.resume else -1

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        if step % self.loop.config.checkpoint_every == 0:
            self.save(step)

    def on_train_end(self) -> None:
        loop = self.loop
        step = loop.step
        if loop.state == "failed":
            # the NaN guard restored the last good checkpoint: keep its weights as the run's final weights
            if loop.chief and getattr(loop, "restored_checkpoint", False):
                self._save_final(step)
            return
        if step != self.last_saved:
            self.save(step)
        if loop.chief:
            self._save_final(step)
            loop.run.write_config(loop.config)

    def _save_final(self, step: int) -> None:
        loop = self.loop
        variants = loop.task.save_final(loop.run.model_dir)
        for name, files in variants.items():
            record_variant(loop.run.model_dir, name, files, step)

    def save(self, step: int) -> None:
        loop = self.loop
        loop.elapsed_var.assign(loop.elapsed())
        if loop.writer is not None:
            loop.writer.flush()
        if loop.metrics is not None:
            loop.metrics.sync()
        loop.manager.save(checkpoint_number=step)
        self.last_saved = step

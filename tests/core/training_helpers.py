"""Small configs and test-only tasks for the training engine tests."""

from __future__ import annotations

from core.runtime import tensorflow
from core.training.check_task import AutoencoderCheckTask
from core.training.config import Budget, RunConfig
from core.training.task import register_task


def tiny_config(steps: int = 40, **overrides) -> RunConfig:
    values = dict(task="autoencoder-check", task_params={"size": 16, "dataset_size": 64, "width": 8}, seed=3,
                  batch_size=8, learning_rates={"main": 2e-3}, budget=Budget(steps=steps), log_every=5,
                  sample_every=10, checkpoint_every=10, keep_checkpoints=3)
    values.update(overrides)
    return RunConfig(**values)


@register_task
class NanAfterTask(AutoencoderCheckTask):
    """Diverges on purpose: its loss becomes NaN from optimizer step ``nan_from`` on."""

    name = "test-nan-after"

    def train_step(self, batch, global_batch_size):
        tf = tensorflow()
        metrics = super().train_step(batch, global_batch_size)
        iteration = self.optimizers["main"].iterations
        bad = tf.cast(iteration, tf.int64) >= int(self.params["nan_from"])
        nan = tf.constant(float("nan"))
        return {"loss": tf.where(bad, nan, metrics["loss"]), "psnr": metrics["psnr"]}

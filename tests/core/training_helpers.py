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


@register_task
class ScriptedEvaluationTask(AutoencoderCheckTask):
    """Evaluates on a script: the n-th evaluation scores ``scores[n]`` (then the last one again), and takes
    ``eval_seconds`` doing it; ``background`` evaluations finish ``lag`` steps later (as the GAN's quality
    measurement does). ``save`` writes the model's weights as they were when measured."""

    name = "test-scripted-evaluation"
    evaluates = True

    def build_models(self, learning_rates):
        super().build_models(learning_rates)
        self.measured_steps: list[int] = []
        self._pending: list = []
        self._running: list = []

    def evaluation_label(self) -> str:
        return "a script"

    def start_evaluation(self, step, elapsed_s):
        import time

        from core.training.evaluation import Evaluation

        scores = self.params.get("scores") or [0.5]
        score = float(scores[min(len(self.measured_steps), len(scores) - 1)])
        self.measured_steps.append(step)
        weights = self.models["autoencoder"].get_weights()
        seconds = float(self.params.get("eval_seconds", 0.0))
        time.sleep(seconds)

        def save(folder, weights=weights):
            model = self.models["autoencoder"]
            live = model.get_weights()
            model.set_weights(weights)
            model.save_weights(folder / "autoencoder.weights.h5")
            model.set_weights(live)
            return [folder / "autoencoder.weights.h5"]

        evaluation = Evaluation(step=step, values={"validation/score": score}, monitor="validation/score",
                                mode=self.params.get("mode", "max"), weights="live", save=save, seconds=seconds,
                                label="a script", extra={"elapsed_s": elapsed_s})
        if self.params.get("background"):
            self._running.append((step + int(self.params.get("lag", 3)), evaluation))
        else:
            self._pending.append(evaluation)

    def finished_evaluations(self, wait=False):
        step = int(self.optimizers["main"].iterations.numpy())
        ready = [e for due, e in self._running if wait or step >= due]
        self._running = [(due, e) for due, e in self._running if not (wait or step >= due)]
        done, self._pending = self._pending + ready, []
        return done

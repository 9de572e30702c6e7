"""Best weights: whenever an evaluation scores better than every one before it (by its monitored value),
the weights it measured are saved in ``model/best/`` and recorded in ``model/weights.json``, which
``seggan segment``, the Segment panel and the GAN explorer read to use them by default."""

from __future__ import annotations

from core.training.hooks.base import Hook
from core.training.weights import read_manifest, record_variant


class BestWeights(Hook):
    def on_train_begin(self) -> None:
        loop = self.loop
        entry = read_manifest(loop.run.model_dir)["variants"].get("best") if loop.chief else None
        # a resumed run keeps the best of its earlier sessions, if it ranked by the same value
        self.best = entry if entry and entry.get("value") is not None else None
        if self.best:
            loop.status_extras["best"] = self._status(self.best)

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        for evaluation in self.loop.evaluations:
            self.consider(evaluation)

    def on_train_end(self) -> None:
        if self.loop.state != "failed":
            for evaluation in self.loop.evaluations:  # the final weights' evaluation
                self.consider(evaluation)

    def consider(self, evaluation) -> None:
        loop = self.loop
        previous = self.best["value"] if self.best and self.best.get("metric") == evaluation.monitor else None
        if not evaluation.better_than(previous):
            return
        self.best = {"step": evaluation.step, "metric": evaluation.monitor, "value": evaluation.score,
                     "mode": evaluation.mode, "weights": evaluation.weights, "measured_on": evaluation.label,
                     **{k: v for k, v in evaluation.extra.items() if k != "elapsed_s"}}
        loop.status_extras["best"] = self._status(self.best)
        if not loop.chief:
            return
        folder = loop.run.model_dir / "best"
        folder.mkdir(parents=True, exist_ok=True)
        files = evaluation.save(folder)
        info = {k: v for k, v in self.best.items() if k != "step"}
        record_variant(loop.run.model_dir, "best", files, evaluation.step, **info)

    @staticmethod
    def _status(best: dict) -> dict:
        return {k: best.get(k) for k in ("step", "metric", "value", "mode", "weights")}

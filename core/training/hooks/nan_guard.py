"""Stop a diverging run: a non-finite loss restores the last checkpoint and fails the run with advice."""

from __future__ import annotations

import math

from core.training.hooks.base import Hook


def guarded_names(logs: dict) -> list[str]:
    """The values that must stay finite: the losses (an IoU of a batch without any object is undefined,
    which is no divergence); every value when a task reports no loss."""
    losses = [name for name in logs if "loss" in name]
    return losses or list(logs)


class NanGuard(Hook):
    def on_train_batch_end(self, step: int, logs: dict) -> None:
        bad = {name: logs[name] for name in guarded_names(logs) if not math.isfinite(logs[name])}
        if not bad:
            return
        loop = self.loop
        text = ", ".join(f"{k}={v}" for k, v in bad.items())
        latest = loop.manager.latest_checkpoint
        if latest:
            loop.checkpoint.restore(latest)
            message = (f"non-finite metrics at step {step} ({text}); stopped and restored the checkpoint of "
                       f"step {loop.step}. Lower the learning rate and resume.")
        else:
            message = (f"non-finite metrics at step {step} ({text}) before any checkpoint; stopped. "
                       "Lower the learning rate and start again.")
        loop.restored_checkpoint = bool(latest)
        loop.stop("failed", message)

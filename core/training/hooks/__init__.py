"""What happens around a training step, one small hook each (Keras-callback style, see base.py).

    default_hooks(config)  # the engine's hooks for a run, in the order they run
"""

from __future__ import annotations

from core.training.hooks.base import Hook
from core.training.hooks.best_weights import BestWeights
from core.training.hooks.checkpoints import Checkpoints
from core.training.hooks.early_stopping import EarlyStopping
from core.training.hooks.learning_rates import LearningRates
from core.training.hooks.metrics_rows import MetricsRows
from core.training.hooks.nan_guard import NanGuard
from core.training.hooks.progress_events import ProgressEvents
from core.training.hooks.samples import Samples
from core.training.hooks.status import Status
from core.training.hooks.tensorboard import TensorBoardScalars
from core.training.hooks.validation import Validation, ValidationPolicy

__all__ = ["BestWeights", "Checkpoints", "EarlyStopping", "Hook", "LearningRates", "MetricsRows", "NanGuard",
           "ProgressEvents", "Samples", "Status", "TensorBoardScalars", "Validation", "ValidationPolicy",
           "default_hooks"]


def default_hooks(config) -> list[Hook]:
    """The hooks of a run with ``config`` (a RunConfig), in order: the NaN guard first (a failed step is
    not logged), rates before the step, measurements before the hooks that use them, status last."""
    from core.training.schedule import Schedule

    progress = ProgressEvents()
    hooks: list[Hook] = [NanGuard(), LearningRates(Schedule.from_dict(config.schedule)), Validation(),
                         BestWeights()]
    if config.early_stopping:
        hooks.append(EarlyStopping(**config.early_stopping))
    hooks += [MetricsRows(), TensorBoardScalars(), Samples(), Checkpoints(), progress, Status(progress)]
    return hooks

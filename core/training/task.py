"""The interface a model plugs into the training loop with, and the registry of tasks by name.

A task builds its models and optimizers (inside the strategy's scope), provides an endless batched
``tf.data.Dataset``, and a per-replica ``train_step`` that returns scalar metrics (means over the replica's
part of the batch). Random numbers inside ``train_step`` must come from ``self.rng`` (a checkpointed
``tf.random.Generator``) so that a resumed run draws the same numbers an uninterrupted one would.
"""

from __future__ import annotations

import abc
import importlib
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import atomic_write_json
from core.tasks import BUILTIN_TASK_MODULES

_REGISTRY: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task creatable by its ``name`` (as saved in config.json)."""
    _REGISTRY[cls.name] = cls
    return cls


def task_class(name: str) -> type[Task]:
    """The task class saved as ``name`` in a run's config, importing its module on first use."""
    if name not in _REGISTRY and name in BUILTIN_TASK_MODULES:
        importlib.import_module(BUILTIN_TASK_MODULES[name])  # the module registers itself
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(set(_REGISTRY) | set(BUILTIN_TASK_MODULES))) or "none"
        raise ValueError(f"unknown task {name!r} (known: {known})") from None


class Task(abc.ABC):
    name: str = ""

    def __init__(self, params: dict[str, Any], seed: int):
        self.params = dict(params)
        self.seed = int(seed)
        self.models: dict = {}
        self.optimizers: dict = {}
        self.rng = None
        # float32, bfloat16 or float16: the engine sets it (core.training.precision) before build(); tasks
        # build their models in it and keep variables, losses and metrics in float32.
        self.precision = "float32"

    # building ---------------------------------------------------------------------------------------
    def build(self, learning_rates: dict[str, float]) -> None:
        """Create models, optimizers and ``self.rng``; called inside ``strategy.scope()``."""
        from core.runtime import tensorflow

        tf = tensorflow()
        self.rng = tf.random.Generator.from_seed(self.seed + 1)
        self.build_models(learning_rates)
        for name, optimizer in self.optimizers.items():
            if name not in learning_rates:
                raise ValueError(f"no learning rate given for optimizer {name!r}")
            if not getattr(optimizer, "built", True):
                raise ValueError(
                    f"task {self.name!r}: optimizer {name!r} must be built in build_models "
                    "(optimizer.build(model.trainable_variables)): its slot variables must exist before the "
                    "distributed step is traced, or MirroredStrategy fails on the first step")

    @abc.abstractmethod
    def build_models(self, learning_rates: dict[str, float]) -> None:
        """Fill ``self.models`` and ``self.optimizers`` (names match the config's learning_rates), and build
        each optimizer on its variables (``optimizer.build(model.trainable_variables)``)."""

    # data and steps ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def dataset(self, global_batch_size: int, start_step: int = 0):
        """An endless dataset of global batches, starting at batch ``start_step``.

        It must be a pure function of (seed, step): a resumed run asks for the batches from its step on and
        must get exactly what an uninterrupted run got (see :func:`core.training.data.batch_indices`).
        """

    def steps_per_epoch(self, global_batch_size: int) -> int | None:
        """Steps in one pass over the data, for epoch budgets and display; None if unbounded."""
        return None

    @abc.abstractmethod
    def train_step(self, batch, global_batch_size: int) -> dict:
        """One optimisation step on this replica's batch; returns scalar tensors (replica means)."""

    def sample_grid(self, step: int) -> np.ndarray | None:
        """An HxWx3 uint8 picture of what the model does now (runs on the host, outside tf.function)."""
        return None

    # evaluation (the validation hook calls these; see core/training/evaluation.py) --------------------
    evaluates: bool = False  # True when the task measures its weights (validation, sample quality)

    def default_validation(self) -> dict:
        """ValidationPolicy settings for runs whose config does not set any (empty: the automatic policy)."""
        return {}

    def evaluation_label(self) -> str:
        """What the measurements are made on, for people ("5 validation images")."""
        return ""

    def evaluation_warning(self) -> str:
        """A problem with the measurements worth telling the user (e.g. no validation split), or ''."""
        return ""

    def start_evaluation(self, step: int, elapsed_s: float) -> None:
        """Measure the weights of ``step``: synchronously, or started in the background."""
        return None

    def finished_evaluations(self, wait: bool = False):
        """The Evaluations finished since the last call (``wait``: wait for those still running)."""
        return []

    # saving -----------------------------------------------------------------------------------------
    def architecture(self) -> dict:
        """What must not change between a run and its resumption (JSON-able)."""
        return {"task": self.name, "params": self.params}

    def data_signature(self) -> dict:
        """Shapes and dtypes of one dataset element, compared on resume."""
        spec = self.dataset(2, 0).element_spec
        from core.runtime import tensorflow

        tf = tensorflow()
        flat = tf.nest.flatten(spec)
        return {"elements": [[list(s.shape[1:]), s.dtype.name] for s in flat]}

    def checkpoint_objects(self) -> dict:
        objects = {f"model_{name}": model for name, model in self.models.items()}
        objects.update({f"optimizer_{name}": opt for name, opt in self.optimizers.items()})
        objects["rng"] = self.rng
        return objects

    def save_final(self, model_dir: Path) -> dict[str, list[Path]]:
        """Final weights (one ``<name>.weights.h5`` per model, written atomically) and architecture.json;
        returns the saved variants and their files ({"final": [...]}, see core/training/weights.py)."""
        model_dir.mkdir(parents=True, exist_ok=True)
        written = [save_weights_atomically(model, model_dir / f"{name}.weights.h5")
                   for name, model in self.models.items()]
        atomic_write_json(model_dir / "architecture.json", self.architecture())
        return {"final": written}


def save_weights_atomically(model, target: Path) -> Path:
    """``model.save_weights`` into a temp file next to ``target``, then renamed over it."""
    import os

    target = Path(target)
    temp = target.parent / f".{target.name.removesuffix('.weights.h5')}.partial.weights.h5"
    model.save_weights(temp)
    os.replace(temp, target)
    return target

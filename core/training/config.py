"""The run configuration: everything needed to reproduce or resume a run, saved as ``config.json``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import core

STRATEGIES = ("auto", "one", "mirrored", "multiworker")
PRECISIONS = ("auto", "float32", "bfloat16", "float16")  # core.training.precision.PRECISIONS (no TF import)


@dataclass
class Budget:
    """Stop after whichever limit comes first; None means no limit of that kind."""

    steps: int | None = None
    epochs: float | None = None
    minutes: float | None = None

    def validate(self) -> None:
        if self.steps is None and self.epochs is None and self.minutes is None:
            raise ValueError("a training budget needs steps, epochs or minutes")
        for name in ("steps", "epochs", "minutes"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"budget {name} must be positive, got {value}")


@dataclass
class RunConfig:
    task: str  # registered task name, e.g. "autoencoder-check", "unet", "gan"
    task_params: dict[str, Any] = field(default_factory=dict)  # architecture and data: what the task needs
    seed: int = 0
    batch_size: int = 16  # global batch size (split over replicas)
    learning_rates: dict[str, float] = field(default_factory=lambda: {"main": 1e-3})
    budget: Budget = field(default_factory=lambda: Budget(steps=1000))
    log_every: int = 10  # steps between metrics.csv rows and TensorBoard scalars
    sample_every: int = 100  # steps between sample grids
    checkpoint_every: int = 200  # steps between checkpoints (and one at every stop)
    keep_checkpoints: int = 3
    strategy: str = "auto"
    precision: str = "auto"  # auto (measured, see core.training.precision), float32, bfloat16, float16
    # What happens around the steps (see core/training/hooks): empty means the defaults.
    schedule: dict[str, Any] = field(default_factory=dict)  # schedule.Schedule fields; empty = constant rate
    lr_overrides: dict[str, Any] = field(default_factory=dict)  # {optimizer: {"step": s, "value": v}} (panel/CLI)
    validation: dict[str, Any] = field(default_factory=dict)  # ValidationPolicy fields; empty = automatic
    early_stopping: dict[str, Any] = field(default_factory=dict)  # {"patience": n, "min_delta": d}; empty = off
    data_source: str = ""  # where the data came from, for people reading the run later
    app_version: str = core.__version__
    notes: str = ""

    def validate(self) -> None:
        self.budget.validate()
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        for name in ("batch_size", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name, rate in self.learning_rates.items():
            if not rate > 0:
                raise ValueError(f"learning rate {name!r} must be positive, got {rate}")
        from core.training.hooks.early_stopping import EarlyStopping
        from core.training.hooks.validation import ValidationPolicy
        from core.training.schedule import Schedule

        Schedule.from_dict(self.schedule)
        ValidationPolicy.from_dict(self.validation)
        EarlyStopping.check_settings(self.early_stopping)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunConfig:
        data = dict(data)
        budget = Budget(**data.pop("budget", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"config.json has unknown fields: {', '.join(sorted(unknown))}")
        return cls(budget=budget, **data)

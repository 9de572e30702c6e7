"""Building a U-Net run's config: defaults sized to the machine, and a RunConfig from a data source and
hyperparameters. Shared by the CLI (``seggan train-seg``) and the Train panel's segmentation setup."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from core.training.config import Budget, RunConfig


@dataclass
class SegHyperparameters:
    num_classes: int = 2
    crop: int = 256
    batch_size: int = 8
    depth: int = 4
    base_width: int = 8
    batch_norm: bool = True
    residual: bool = True
    dropout: float = 0.0
    binary_sigmoid: bool = False
    loss: str = "ce+dice"
    class_weights: object = None  # None, "auto" or a list of per-class weights
    learning_rate: float = 2e-3
    val_fraction: float = 0.2
    augment: dict = field(default_factory=dict)  # pipeline.Augment fields; empty = defaults
    minutes: float | None = 10.0
    epochs: float | None = None
    steps: int | None = None
    seed: int = 0
    init_from: str = ""  # a run whose weights start this one (retraining from corrections)
    precision: str = "auto"  # auto (measured), float32, bfloat16 or float16: see core.training.precision
    schedule: str = "cosine"  # learning-rate schedule over the budget: constant, cosine, one-cycle
    warmup: float = 0.05  # share of the budget spent warming the rate up
    ema: float = 0.99  # momentum of the weights' moving average (0: none)
    early_stopping: int | None = None  # patience in validations; None: on (10) for step/epoch budgets only
    validate_every_steps: int | None = None  # None and no seconds: under 5 % of the time in all
    validate_every_seconds: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def machine_defaults(cpu_count: int | None = None) -> SegHyperparameters:
    """Defaults that learn fast on this machine. On a 2-4 core laptop a narrow U-Net (base width 8) on
    256-pixel crops trains about twice as many images per second as width 16 and reaches a better score
    in a 10-minute budget; with more cores (or a GPU) the wider model pays off."""
    if cpu_count is None:
        cpu_count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cpu_count <= 4:
        return SegHyperparameters(base_width=8, batch_size=8, crop=256, minutes=10.0)
    if cpu_count <= 16:
        return SegHyperparameters(base_width=16, batch_size=8, crop=256, minutes=15.0)
    return SegHyperparameters(base_width=32, batch_size=16, crop=256, minutes=20.0)


def unet_run_config(source: dict, hp: SegHyperparameters, class_names: dict | None = None,
                    strategy: str = "auto", description: str = "", masks: dict | None = None) -> RunConfig:
    """The RunConfig of a ``unet`` training run on ``source`` (a dataset.PairScan.source); ``masks`` is how
    its masks are read (core.masks MaskDecision.to_params), so the run reads them the same way later."""
    params = {
        "source": dict(source), "num_classes": int(hp.num_classes), "depth": int(hp.depth),
        "base_width": int(hp.base_width), "batch_norm": bool(hp.batch_norm), "residual": bool(hp.residual),
        "dropout": float(hp.dropout), "binary_sigmoid": bool(hp.binary_sigmoid), "crop": int(hp.crop),
        "loss": hp.loss, "class_weights": hp.class_weights, "val_fraction": float(hp.val_fraction),
        "augment": dict(hp.augment), "ema": float(hp.ema),
    }
    if hp.init_from:
        params["init_from"] = str(hp.init_from)
    if class_names:
        params["class_names"] = {str(k): str(v) for k, v in class_names.items()}
    if masks:
        params["masks"] = dict(masks)
    budget = Budget(steps=hp.steps, epochs=hp.epochs, minutes=hp.minutes)
    config = RunConfig(task="unet", task_params=params, seed=int(hp.seed), batch_size=int(hp.batch_size),
                       learning_rates={"main": float(hp.learning_rate)}, budget=budget, log_every=10,
                       sample_every=50, checkpoint_every=200, strategy=strategy, precision=hp.precision,
                       data_source=description or str(source), schedule=schedule_settings(hp),
                       validation=validation_settings(hp), early_stopping=early_stopping_settings(hp, budget))
    config.validate()
    from core.unet.model import UNetSpec

    spec = UNetSpec.from_params(params)
    spec.validate()
    if hp.crop % spec.multiple:
        raise ValueError(f"crop {hp.crop} must be a multiple of {spec.multiple} (2 ** depth {hp.depth})")
    return config


def schedule_settings(hp: SegHyperparameters) -> dict:
    if hp.schedule == "constant":
        return {}
    return {"kind": hp.schedule, "warmup": float(hp.warmup)}


def validation_settings(hp: SegHyperparameters) -> dict:
    settings = {}
    if hp.validate_every_steps:
        settings["every_steps"] = int(hp.validate_every_steps)
    if hp.validate_every_seconds:
        settings["every_seconds"] = float(hp.validate_every_seconds)
    return settings


def early_stopping_settings(hp: SegHyperparameters, budget: Budget) -> dict:
    """Early stopping on a validation plateau: on (patience 10) by default for step and epoch budgets, off
    under a minutes budget (the schedule ends at the budget; stopping early would skip its low-rate end);
    ``hp.early_stopping`` 0 turns it off, N sets the patience."""
    if hp.early_stopping is None:
        return {} if budget.minutes is not None else {"patience": 10}
    return {"patience": int(hp.early_stopping)} if hp.early_stopping > 0 else {}


def retrain_config(workspace, base_run_dir, minutes: float = 5.0) -> RunConfig:
    """A run that continues ``base_run_dir``'s model on the workspace's current masks (corrections
    included): same architecture and hyperparameters, weights initialised from the base run."""
    from core.training.run_folder import RunFolder
    from core.unet.dataset import scan_workspace

    base = RunFolder(base_run_dir).read_config()
    if base.task != "unet":
        raise ValueError(f"{base_run_dir} is not a segmentation run")
    scan = scan_workspace(workspace)
    if not scan.pairs:
        raise ValueError(f"no annotated images in {workspace.root} (masks/ has no mask for images/)")
    params = dict(base.task_params)
    params["source"] = scan.source
    params["init_from"] = str(base_run_dir)
    return RunConfig(task="unet", task_params=params, seed=base.seed, batch_size=base.batch_size,
                     learning_rates=dict(base.learning_rates), budget=Budget(minutes=minutes),
                     log_every=base.log_every, sample_every=base.sample_every,
                     checkpoint_every=base.checkpoint_every, strategy=base.strategy, precision=base.precision,
                     data_source=f"workspace {workspace.root}, from {base_run_dir}",
                     schedule=dict(base.schedule), validation=dict(base.validation))


def fit_crop(crop: int, sizes, multiple: int) -> int:
    """The crop side to train with: ``crop``, or less when every image is smaller (padding small images up
    to a large crop only adds reflected borders), as a multiple of ``multiple`` (2 ** depth)."""
    sides = [min(int(w), int(h)) for w, h in sizes]
    limit = max(sides) if sides else crop
    fitted = min(int(crop), limit)
    return max(multiple, fitted - fitted % multiple)

"""What a task's evaluation hands the engine: measured values, which of them ranks the weights, and a way to
save exactly the weights that were measured (so "best" weights are the ones that scored best, even when the
measurement finished while training went on)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("max", "min")


@dataclass(frozen=True)
class Evaluation:
    step: int  # the step whose weights were measured
    values: dict[str, float]  # metric columns, e.g. {"validation/loss": 0.21, "validation/foreground_iou": 0.8}
    monitor: str  # the column that ranks weights (best weights, early stopping)
    mode: str  # "max" or "min": which way is better
    weights: str  # which weights were measured: "ema" (averaged) or "live" (the optimizer's)
    save: Callable[[Path], list[Path]]  # writes the measured weights into a folder (atomically per file)
    seconds: float = 0.0  # time the measurement held up training (0 for background measurements)
    label: str = ""  # what the values were measured on, for people ("5 validation images")
    extra: dict = field(default_factory=dict)  # anything else worth recording with the best weights

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"evaluation mode must be one of {MODES}, not {self.mode!r}")
        if self.monitor not in self.values:
            raise ValueError(f"the monitored value {self.monitor!r} is not among the measured values")

    @property
    def score(self) -> float:
        return float(self.values[self.monitor])

    def better_than(self, other: float | None, min_delta: float = 0.0) -> bool:
        if other is None:
            return True
        if self.mode == "max":
            return self.score > other + min_delta
        return self.score < other - min_delta

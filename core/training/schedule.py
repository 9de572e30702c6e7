"""Learning-rate schedules that know the budget: the rate is a function of the run's progress (0 at the
start, 1 when the budget is spent), so a 10-minute run and a 5000-step run both warm up and then decay to
their end, whatever their speed. Plain Python, no TensorFlow: the engine's learning-rate hook applies it.

    Schedule("cosine", warmup=0.05).factor(0.5)   # 0.5: half-way down the cosine

Kinds: ``constant``; ``cosine`` (linear warm-up from ``start`` to 1 over the first ``warmup`` of the budget,
then a half cosine down to ``final``); ``one-cycle`` (Smith & Topin 2019, as PyTorch's OneCycleLR: a cosine
rise from 1/25 of the rate over ``warmup`` (default 0.3), then a cosine fall to ``final``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

KINDS = ("constant", "cosine", "one-cycle")


@dataclass(frozen=True)
class Schedule:
    kind: str = "constant"
    warmup: float = 0.0  # fraction of the budget spent warming up
    final: float = 0.0  # the last rate, as a fraction of the base rate
    start: float = 0.01  # the first rate of a cosine warm-up, as a fraction of the base rate

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"learning-rate schedule must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 0.0 <= self.warmup < 1.0:
            raise ValueError(f"schedule warmup is a fraction of the budget in [0, 1), got {self.warmup}")
        for name in ("final", "start"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"schedule {name} is a fraction of the base rate in [0, 1], got {value}")

    def factor(self, progress: float) -> float:
        """The rate at ``progress`` (fraction of the budget spent) as a multiple of the base rate."""
        p = min(1.0, max(0.0, float(progress)))
        if self.kind == "constant":
            return 1.0
        if self.kind == "one-cycle":
            rise = self.warmup or 0.3
            low = 1.0 / 25.0
            if p < rise:
                return low + (1.0 - low) * 0.5 * (1.0 - math.cos(math.pi * p / rise))
            return self._cosine_down((p - rise) / (1.0 - rise))
        if p < self.warmup:
            return self.start + (1.0 - self.start) * p / self.warmup
        return self._cosine_down((p - self.warmup) / (1.0 - self.warmup))

    def _cosine_down(self, q: float) -> float:
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, q)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Schedule:
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
        schedule = cls(**data)
        schedule.validate()
        return schedule


def budget_progress(step: int, elapsed_s: float, total_steps: int | None, minutes: float | None) -> float:
    """How much of the budget is spent: the largest of the step and time fractions (the run stops at
    whichever limit comes first, so the schedule follows that one)."""
    fractions = [0.0]
    if total_steps:
        fractions.append(step / total_steps)
    if minutes:
        fractions.append(elapsed_s / (minutes * 60.0))
    return min(1.0, max(fractions))

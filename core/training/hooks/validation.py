"""Validation the user can watch: the task measures its weights (the U-Net scores its validation images
with the sliding-window inference ``seggan segment`` uses; the GAN measures sample quality) every N steps,
every M seconds of training, or, by default, as often as keeps the measurements under 4 % of training time
(5 % with the first and the final measurement).

The measurements go into ``loop.evaluations`` for the hooks after this one (metrics rows, best weights,
early stopping); ``logs`` stay the step's training values. The final weights are always measured when
training ends.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from core.jobs import Message
from core.training.hooks.base import Hook


@dataclass(frozen=True)
class ValidationPolicy:
    every_steps: int | None = None  # measure every N steps
    every_seconds: float | None = None  # or every M seconds of training time
    # Neither given: measure as often as keeps measuring under this share of the time. 4 %, not 5: the first
    # measurement (which also traces the model) and the final one come on top, and in a 3-minute U-Net run
    # on membrane images 5 % here gave 5.3 % in all (benchmarks/engine_overhead.py --validation).
    max_cost: float = 0.04
    at_start: bool = False  # also after the first step (the automatic policy always starts there)
    enabled: bool = True

    def validate(self) -> None:
        if self.every_steps is not None and int(self.every_steps) < 1:
            raise ValueError(f"validation every_steps must be at least 1, got {self.every_steps}")
        if self.every_seconds is not None and not float(self.every_seconds) > 0:
            raise ValueError(f"validation every_seconds must be positive, got {self.every_seconds}")
        if not 0.0 < float(self.max_cost) < 1.0:
            raise ValueError(f"validation max_cost is a share of training time in (0, 1), got {self.max_cost}")

    @property
    def automatic(self) -> bool:
        return self.every_steps is None and self.every_seconds is None

    def describe(self) -> str:
        if self.every_steps is not None:
            return f"every {int(self.every_steps)} steps"
        if self.every_seconds is not None:
            return f"every {float(self.every_seconds):g} s of training"
        return f"as often as costs at most {100 * self.max_cost:g} % of training time"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ValidationPolicy:
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown validation settings: {', '.join(sorted(unknown))}")
        policy = cls(**data)
        policy.validate()
        return policy


class Validation(Hook):
    def __init__(self, policy: ValidationPolicy | None = None):
        self.policy = policy  # None: the run's config, else the task's default (see on_train_begin)

    def on_train_begin(self) -> None:
        loop = self.loop
        loop.evaluations = []
        if self.policy is None:
            self.policy = ValidationPolicy.from_dict(loop.config.validation or loop.task.default_validation())
        self.active = self.policy.enabled and loop.task.evaluates
        self.last_step = None
        self.last_end = loop.elapsed()
        self.last_cost = 0.0
        self.spent = 0.0
        if not self.active:
            return
        label = loop.task.evaluation_label()
        loop.status_extras["validation"] = {"on": label, "when": self.policy.describe()}
        warning = loop.task.evaluation_warning()
        if warning:  # e.g. too few images for a validation split
            loop.status_extras["validation"]["warning"] = warning
            loop.emit(Message(text=warning, level="warning"))
        loop.emit(Message(text=f"validating on {label}, {self.policy.describe()}"))

    def due(self, step: int) -> bool:
        policy = self.policy
        if policy.at_start and self.last_step is None and step == 1:
            return True
        if policy.every_steps is not None:
            return step % int(policy.every_steps) == 0
        since = self.loop.elapsed() - self.last_end
        if policy.every_seconds is not None:
            return since >= float(policy.every_seconds)
        # Automatic: the last measurement took last_cost seconds; wait until it is max_cost of the interval.
        return since >= self.last_cost * (1.0 - policy.max_cost) / policy.max_cost

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        loop = self.loop
        loop.evaluations = []
        if not self.active:
            return
        if self.due(step):
            self.measure(step)
        self.collect(wait=False)

    def measure(self, step: int) -> None:
        start = time.monotonic()
        self.loop.task.start_evaluation(step, self.loop.elapsed())
        self.last_cost = time.monotonic() - start
        self.spent += self.last_cost
        self.last_step = step
        self.last_end = self.loop.elapsed()

    def collect(self, wait: bool) -> None:
        loop = self.loop
        for evaluation in loop.task.finished_evaluations(wait=wait):
            loop.evaluations.append(evaluation)
            loop.status_extras["validation"] = {
                **loop.status_extras.get("validation", {}), "last_step": evaluation.step,
                "monitor": evaluation.monitor, "value": evaluation.score,
                "seconds_spent": round(self.spent, 2)}

    def on_train_end(self) -> None:
        loop = self.loop
        loop.evaluations = []
        if not self.active or loop.state == "failed":
            return
        step = loop.step
        if self.last_step != step and step > loop.start_step:
            self.measure(step)
        self.collect(wait=True)

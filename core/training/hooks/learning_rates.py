"""Learning rates: the budget-aware schedule (see core/training/schedule.py) and changes asked for while
training (the Train panel's rate field, ``TrainingControl``).

A change asked for overrides the schedule of that optimizer from the next step on; it is logged (a message
and the ``lr_<name>`` column) and recorded in config.json as ``lr_overrides`` with its step, so a resumed
run follows the schedule up to that step and the override after it, as the uninterrupted run did.
"""

from __future__ import annotations

from core.jobs import Message
from core.training.hooks.base import Hook
from core.training.schedule import Schedule


class LearningRates(Hook):
    def __init__(self, schedule: Schedule | None = None):
        self.schedule = schedule or Schedule()

    def on_train_begin(self) -> None:
        loop = self.loop
        self.base = {name: float(rate) for name, rate in loop.config.learning_rates.items()}
        self.overrides = {name: (int(o["step"]), float(o["value"]))
                          for name, o in (loop.config.lr_overrides or {}).items()}
        self._apply(loop.start_step)

    def rate(self, name: str, step: int) -> float:
        """The rate optimizer ``name`` uses for step ``step + 1``."""
        override = self.overrides.get(name)
        if override is not None and step + 1 >= override[0]:
            return override[1]
        return self.base[name] * self.schedule.factor(self.loop.progress(step))

    def on_train_batch_begin(self, step: int) -> None:
        loop = self.loop
        for name, value in loop.control.pending_rates():
            if name not in loop.task.optimizers:
                loop.emit(Message(text=f"no optimizer named {name!r}; learning rate unchanged", level="warning"))
                continue
            old = loop.rates.get(name, self.base.get(name, value))
            self.overrides[name] = (step + 1, float(value))
            loop.config.lr_overrides = {n: {"step": s, "value": v} for n, (s, v) in self.overrides.items()}
            if loop.chief:
                loop.run.write_config(loop.config)
            loop.emit(Message(text=f"learning rate {name}: {old:.3g} -> {value:.3g} from step {step + 1}"
                                   + (" (replaces the schedule)" if self.schedule.kind != "constant" else "")))
        self._apply(step)

    def _apply(self, step: int) -> None:
        loop = self.loop
        for name, optimizer in loop.task.optimizers.items():
            value = self.rate(name, step)
            if loop.rates.get(name) != value:  # an assign costs ~40 us: skip it while the rate is constant
                optimizer.learning_rate.assign(value)
                loop.rates[name] = value

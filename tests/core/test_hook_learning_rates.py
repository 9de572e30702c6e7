"""The learning-rate hook: the schedule follows the budget, resumes exactly, and a change asked for while
training overrides it from its step on, also after a resume."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.jobs import Message, Progress
from core.training.config import Budget
from core.training.engine import TrainingControl, train
from core.training.metrics_log import read_metrics
from core.training.run_folder import RunFolder
from core.training.schedule import Schedule
from tests.core.training_helpers import tiny_config

COSINE = {"kind": "cosine", "warmup": 0.25, "final": 0.1}


def rows_of(run_dir):
    return [r for r in read_metrics(RunFolder(run_dir).metrics_path)[1] if r.get("loss") is not None]


def test_a_step_budget_warms_up_and_decays_to_its_end(tmp_path):
    train(tmp_path / "run", tiny_config(steps=40, log_every=1, schedule=COSINE))
    rates = {int(r["step"]): r["lr_main"] for r in rows_of(tmp_path / "run")}
    schedule = Schedule.from_dict(COSINE)
    for step in (1, 5, 10, 11, 25, 40):  # the row of step s has the rate step s used: progress (s - 1) / 40
        assert rates[step] == pytest.approx(2e-3 * schedule.factor((step - 1) / 40), rel=1e-6)
    assert rates[11] == pytest.approx(2e-3) and rates[1] < 2e-4 and rates[40] < 3e-4


def test_a_minutes_budget_decays_by_training_time(tmp_path):
    config = tiny_config(budget=Budget(minutes=0.05), log_every=5, schedule=COSINE)
    train(tmp_path / "run", config)
    rows = rows_of(tmp_path / "run")
    schedule = Schedule.from_dict(COSINE)
    assert rows[-1]["lr_main"] < 0.5 * 2e-3  # most of the 3 seconds were spent: far down the cosine
    for row in rows:  # each rate is the schedule at (about) the training time of its step
        expected = 2e-3 * schedule.factor(row["elapsed_s"] / 3.0)
        assert row["lr_main"] == pytest.approx(expected, abs=2e-3 * 0.15)


def test_resuming_continues_the_schedule_exactly(tmp_path):
    train(tmp_path / "whole", tiny_config(steps=40, schedule=COSINE))
    train(tmp_path / "split", tiny_config(steps=40, schedule=COSINE), token=_stop_at(20))
    resumed = train(tmp_path / "split", resume=True)
    assert resumed.step == 40
    whole, split = rows_of(tmp_path / "whole"), rows_of(tmp_path / "split")
    assert [r["step"] for r in split] == [r["step"] for r in whole]
    np.testing.assert_allclose([r["lr_main"] for r in split], [r["lr_main"] for r in whole], rtol=1e-7)
    np.testing.assert_allclose([r["loss"] for r in split], [r["loss"] for r in whole], rtol=1e-5)


def _stop_at(step):
    from core.jobs import CancelToken

    class StopAt(CancelToken):
        checks = 0

        @property
        def cancelled(self):
            self.checks += 1
            return self.checks > step

    return StopAt()


def test_a_change_overrides_the_schedule_from_its_step_and_survives_a_resume(tmp_path):
    control = TrainingControl()
    events = []

    def emit(event):
        events.append(event)
        if isinstance(event, Progress):
            time.sleep(0.06)  # every step reports (Progress is throttled to 20/s)
            if event.done >= 12 and not getattr(emit, "done", False):
                emit.done = True
                control.set_learning_rate("main", 5e-4)

    config = tiny_config(steps=40, log_every=1, checkpoint_every=10, schedule=COSINE)
    train(tmp_path / "run", config, emit=emit, control=control)
    message = next(e.text for e in events if isinstance(e, Message) and "learning rate main" in e.text)
    assert "replaces the schedule" in message
    changed = int(message.rsplit("from step ", 1)[1].split()[0])
    rates = {int(r["step"]): r["lr_main"] for r in rows_of(tmp_path / "run")}
    schedule = Schedule.from_dict(COSINE)
    assert rates[changed - 1] == pytest.approx(2e-3 * schedule.factor((changed - 2) / 40), rel=1e-6)
    assert all(rates[s] == 5e-4 for s in range(changed, 41))
    assert RunFolder(tmp_path / "run").read_config().lr_overrides == {"main": {"step": changed, "value": 5e-4}}
    # Resumed from the checkpoint before the change: the schedule again until that step, then the override.
    before = (changed - 1) // 10 * 10
    run = RunFolder(tmp_path / "run")
    for index in run.checkpoints_dir.glob("ckpt-*.index"):
        if int(index.stem.split("-")[1]) > before:
            for part in run.checkpoints_dir.glob(f"{index.stem}.*"):
                part.unlink()
    (run.checkpoints_dir / "checkpoint").write_text(
        f'model_checkpoint_path: "ckpt-{before}"\nall_model_checkpoint_paths: "ckpt-{before}"\n')
    train(run.path, resume=True)
    again = {int(r["step"]): r["lr_main"] for r in rows_of(run.path)}
    assert again == pytest.approx(rates, rel=1e-7)

"""The validation hook: when it measures, what it costs, where the values land (metrics.csv, TensorBoard,
status.json), background measurements in the row of the step they measured, and the final weights."""

from __future__ import annotations

import json

import pytest

from core.jobs import Message
from core.training.config import Budget
from core.training.engine import train
from core.training.metrics_log import read_metrics
from core.training.run_folder import RunFolder
from tests.core.training_helpers import tiny_config


def scripted(steps=40, **params):
    task_params = {"size": 16, "dataset_size": 64, "width": 8, **params}
    return dict(task="test-scripted-evaluation", task_params=task_params, budget=Budget(steps=steps))


def validation_rows(run_dir):
    return [r for r in read_metrics(RunFolder(run_dir).metrics_path)[1] if r.get("validation/score") is not None]


def test_every_n_steps_and_the_final_weights(tmp_path):
    events = []
    train(tmp_path / "run", tiny_config(**scripted(steps=33, scores=[0.1, 0.2, 0.3, 0.4]),
                                        validation={"every_steps": 10}), emit=events.append)
    rows = validation_rows(tmp_path / "run")
    assert [int(r["step"]) for r in rows] == [10, 20, 30, 33]
    assert [r["validation/score"] for r in rows] == [0.1, 0.2, 0.3, 0.4]
    assert all(r.get("loss") is None for r in rows if r["step"] == 33)  # 33 is no logging step
    assert any(isinstance(e, Message) and e.text.startswith("validating on a script, every 10 steps")
               for e in events)
    status = RunFolder(tmp_path / "run").read_status()
    assert status["validation"]["on"] == "a script" and status["validation"]["last_step"] == 33


def test_values_reach_tensorboard_under_validation(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    train(tmp_path / "run", tiny_config(**scripted(steps=20, scores=[0.25, 0.75]), validation={"every_steps": 10}))
    accumulator = EventAccumulator(str(RunFolder(tmp_path / "run").tensorboard_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    events = accumulator.Tensors("validation/score")
    assert [e.step for e in events] == [10, 20]
    assert [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events] == [0.25, 0.75]


def test_the_automatic_policy_keeps_measuring_under_its_cost(tmp_path):
    # Each measurement takes 50 ms; at most 4 % of training time means at least ~1.2 s of training between.
    config = tiny_config(**{**scripted(eval_seconds=0.05), "budget": Budget(minutes=0.1)}, log_every=50)
    result = train(tmp_path / "run", config)
    status = RunFolder(tmp_path / "run").read_status()
    spent, elapsed = status["validation"]["seconds_spent"], status["elapsed_s"]
    measured = [int(r["step"]) for r in validation_rows(tmp_path / "run")]
    assert measured[0] == 1 and measured[-1] == result.step and len(measured) >= 3
    # every interval costs <= 4 %; the first measurement (step 1) and the final one come on top
    assert spent / elapsed <= 0.04 + 2 * 0.05 / elapsed


def test_background_measurements_land_in_the_row_of_the_step_they_measured(tmp_path):
    train(tmp_path / "run", tiny_config(**scripted(steps=30, background=True, lag=4, scores=[0.3, 0.6, 0.9]),
                                        validation={"every_steps": 10}, log_every=1))
    rows = read_metrics(RunFolder(tmp_path / "run").metrics_path)[1]
    measured = [(int(r["step"]), r["validation/score"]) for r in rows if r.get("validation/score") is not None]
    assert measured == [(10, 0.3), (20, 0.6), (30, 0.9)]
    written = [int(r["step"]) for r in rows]
    assert written.index(10, written.index(10) + 1) == written.index(14) - 1  # written when it finished (14)


def test_settings_are_checked(tmp_path):
    with pytest.raises(ValueError, match="every_steps must be at least 1"):
        train(tmp_path / "a", tiny_config(validation={"every_steps": 0}))
    with pytest.raises(ValueError, match="unknown validation settings: often"):
        train(tmp_path / "b", tiny_config(validation={"often": True}))


def test_a_task_that_measures_nothing_is_left_alone(tmp_path):
    train(tmp_path / "run", tiny_config(steps=10))
    status = json.loads(RunFolder(tmp_path / "run").status_path.read_text())
    assert "validation" not in status
    assert not (RunFolder(tmp_path / "run").model_dir / "best").exists()

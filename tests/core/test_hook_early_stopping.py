"""Early stopping on a plateau of the monitored evaluation."""

from __future__ import annotations

import pytest

from core.training.config import Budget
from core.training.engine import train
from core.training.hooks import EarlyStopping
from core.training.run_folder import RunFolder
from tests.core.training_helpers import tiny_config


def scripted(steps, scores, **settings):
    return tiny_config(task="test-scripted-evaluation", budget=Budget(steps=steps), validation={"every_steps": 5},
                       task_params={"size": 16, "dataset_size": 64, "width": 8, "scores": scores}, **settings)


def test_a_plateau_stops_the_run_after_its_patience(tmp_path):
    # steps 5..: 0.1 0.5 0.6 0.55 0.6 0.58 -> no improvement over 0.6 for 3 evaluations at step 30
    config = scripted(200, [0.1, 0.5, 0.6, 0.55, 0.6, 0.58, 0.9], early_stopping={"patience": 3})
    result = train(tmp_path / "run", config)
    assert result.state == "finished" and result.step == 30
    assert result.message == ("stopped early at step 30: validation/score has not improved for 3 evaluations "
                              "(best 0.6 at step 15)")
    status = RunFolder(tmp_path / "run").read_status()
    assert status["state"] == "finished" and status["message"] == result.message


def test_min_delta_counts_small_gains_as_none(tmp_path):
    config = scripted(200, [0.5, 0.505, 0.51, 0.515], early_stopping={"patience": 2, "min_delta": 0.02})
    assert train(tmp_path / "run", config).step == 15


def test_off_unless_asked_for(tmp_path):
    assert train(tmp_path / "run", scripted(40, [0.5, 0.4, 0.3, 0.2])).step == 40


def test_settings_are_checked():
    with pytest.raises(ValueError, match="patience must be at least 1"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="unknown early-stopping settings: wait"):
        tiny_config(early_stopping={"wait": 3}).validate()

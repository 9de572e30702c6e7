"""Learning-rate schedules over the budget's progress (plain functions, no TensorFlow)."""

from __future__ import annotations

import math

import pytest

from core.training.schedule import Schedule, budget_progress


def test_constant_never_changes():
    assert [Schedule().factor(p) for p in (0, 0.3, 1)] == [1.0, 1.0, 1.0]


def test_cosine_warms_up_then_decays_to_its_floor():
    s = Schedule("cosine", warmup=0.1, final=0.02, start=0.01)
    assert s.factor(0.0) == pytest.approx(0.01)
    assert s.factor(0.05) == pytest.approx(0.01 + 0.99 * 0.5)
    assert s.factor(0.1) == pytest.approx(1.0)
    assert s.factor(0.55) == pytest.approx(0.02 + 0.98 * 0.5)  # half-way down the cosine
    assert s.factor(1.0) == pytest.approx(0.02)
    values = [s.factor(p / 100) for p in range(10, 101)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))  # never rises after the warm-up
    assert s.factor(7.0) == s.factor(1.0) and s.factor(-1) == s.factor(0)  # clamped


def test_one_cycle_rises_from_a_25th_and_falls():
    s = Schedule("one-cycle", warmup=0.3)
    assert s.factor(0.0) == pytest.approx(1 / 25)
    assert s.factor(0.3) == pytest.approx(1.0)
    assert s.factor(0.15) == pytest.approx(1 / 25 + (1 - 1 / 25) * 0.5)
    assert s.factor(1.0) == pytest.approx(0.0)


def test_progress_follows_whichever_limit_comes_first():
    assert budget_progress(50, 10.0, total_steps=100, minutes=None) == 0.5
    assert budget_progress(50, 45.0, total_steps=100, minutes=1.0) == 0.75
    assert budget_progress(10, 30.0, total_steps=None, minutes=2.0) == 0.25
    assert budget_progress(500, 0.0, total_steps=100, minutes=None) == 1.0
    assert budget_progress(5, 0.0, total_steps=None, minutes=None) == 0.0


def test_bad_settings_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="one of constant, cosine, one-cycle"):
        Schedule.from_dict({"kind": "step"})
    with pytest.raises(ValueError, match="warmup"):
        Schedule.from_dict({"kind": "cosine", "warmup": 1.5})
    with pytest.raises(ValueError, match="unknown schedule fields: gamma"):
        Schedule.from_dict({"kind": "cosine", "gamma": 0.1})
    assert Schedule.from_dict({}) == Schedule()
    assert math.isclose(Schedule.from_dict({"kind": "cosine"}).factor(1.0), 0.0)

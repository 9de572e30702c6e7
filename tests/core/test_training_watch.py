from __future__ import annotations

import numpy as np
import pytest

from core.jobs import CancelToken
from core.training.config import Budget
from core.training.smoothing import debiased_ema
from core.training.watch import RunUpdate, RunWatcher, watch_run_job
from tests.core.training_helpers import tiny_config


def reference_ema(values, weight):
    """TensorBoard's loop, written out."""
    out, last, count = [], 0.0, 0
    for value in values:
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.95])
def test_debiased_ema_matches_tensorboards_definition(weight):
    values = np.random.default_rng(0).random(200) * 10
    np.testing.assert_allclose(debiased_ema(values, weight), reference_ema(values, weight), rtol=1e-12)


def test_debiased_ema_starts_at_the_first_value_and_skips_nan():
    smoothed = debiased_ema([4.0, float("nan"), 4.0, 4.0], 0.9)
    assert smoothed[0] == pytest.approx(4.0) and np.isnan(smoothed[1]) and smoothed[3] == pytest.approx(4.0)
    with pytest.raises(ValueError):
        debiased_ema([1.0], 1.0)


def test_watcher_reports_only_what_changed(tmp_path):
    from core.training.engine import train

    run_dir = tmp_path / "run"
    watcher = RunWatcher(run_dir)
    assert watcher.poll() is None  # nothing there yet
    train(run_dir, tiny_config(steps=20))
    update = watcher.poll()
    assert isinstance(update, RunUpdate)
    assert [row["step"] for row in update.rows] == [5, 10, 15, 20]
    assert update.status["state"] == "finished" and update.sample_steps == (10, 20)
    assert update.config["task"] == "autoencoder-check"
    assert watcher.poll() is None
    train(run_dir, resume=True, budget=Budget(steps=30))
    update = watcher.poll()
    assert update.restarted  # resuming rewrites metrics.csv (rows after the checkpoint are dropped)
    assert [row["step"] for row in update.rows] == [5, 10, 15, 20, 25, 30]
    assert update.sample_steps == (10, 20, 30)


def test_watch_job_stops_when_cancelled(tmp_path):
    import threading

    token = CancelToken()
    events = []
    thread = threading.Thread(target=watch_run_job(tmp_path / "none", interval_s=0.01), args=(token, events.append))
    thread.start()
    token.cancel()
    thread.join(5)
    assert not thread.is_alive()

"""The training loop, end to end on a tiny autoencoder (seconds each)."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from core.jobs import CancelToken, Images, Message, Metrics, Progress
from core.training.config import Budget
from core.training.engine import ResumeError, TrainingControl, train
from core.training.metrics_log import read_metrics
from core.training.run_folder import RunFolder, RunFolderError
from tests.core.training_helpers import tiny_config


def metric_rows(run_dir):
    _, rows = read_metrics(RunFolder(run_dir).metrics_path)
    return rows


def test_a_run_writes_its_whole_folder(tmp_path):
    events = []
    result = train(tmp_path / "run", tiny_config(steps=20), emit=events.append)
    run = RunFolder(tmp_path / "run")
    assert result.state == "finished" and result.step == 20
    config = json.loads(run.config_path.read_text())
    assert config["seed"] == 3 and config["app_version"] and config["task_params"]["size"] == 16
    status = run.read_status()
    assert status["state"] == "finished" and status["step"] == 20 and status["total_steps"] == 20
    rows = metric_rows(run.path)
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20]
    assert all(r["loss"] > 0 and r["lr_main"] == 2e-3 for r in rows)
    assert run.sample_steps() == [10, 20]
    assert sorted(p.name for p in run.checkpoints_dir.glob("ckpt-*.index")) == ["ckpt-10.index", "ckpt-20.index"]
    assert (run.model_dir / "autoencoder.weights.h5").is_file()
    assert json.loads((run.model_dir / "architecture.json").read_text())["task"] == "autoencoder-check"
    kinds = {type(e) for e in events}
    assert {Progress, Metrics, Images, Message} <= kinds
    assert [e.step for e in events if isinstance(e, Images)] == [10, 20]


def test_metrics_csv_and_event_files_are_readable_by_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train(tmp_path / "run", tiny_config(steps=20))
    run = RunFolder(tmp_path / "run")
    accumulator = EventAccumulator(str(run.tensorboard_dir), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    scalars = {}
    for tag in ("loss", "psnr", "lr_main"):
        assert tag in tags["tensors"] or tag in tags["scalars"], tags
        events = accumulator.Tensors(tag) if tag in tags["tensors"] else accumulator.Scalars(tag)
        scalars[tag] = events
    assert [e.step for e in scalars["loss"]] == [5, 10, 15, 20]
    from tensorboard.util import tensor_util

    csv_loss = [r["loss"] for r in metric_rows(run.path)]
    tb_loss = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in scalars["loss"]]
    np.testing.assert_allclose(tb_loss, csv_loss, rtol=1e-6)
    assert "samples" in tags["tensors"]  # images are stored as tensors in TF2 summaries


def test_same_seed_same_metrics(tmp_path):
    train(tmp_path / "a", tiny_config(steps=20))
    train(tmp_path / "b", tiny_config(steps=20))
    a = [r["loss"] for r in metric_rows(tmp_path / "a")]
    b = [r["loss"] for r in metric_rows(tmp_path / "b")]
    np.testing.assert_allclose(a, b, rtol=1e-6)
    train(tmp_path / "c", tiny_config(steps=20, seed=4))
    c = [r["loss"] for r in metric_rows(tmp_path / "c")]
    assert not np.allclose(a, c, rtol=1e-6)


def test_resume_continues_at_the_same_step_and_reproduces_an_uninterrupted_run(tmp_path):
    train(tmp_path / "whole", tiny_config(steps=40))
    first = train(tmp_path / "split", tiny_config(steps=20))
    assert first.step == 20
    events = []
    second = train(tmp_path / "split", resume=True, budget=Budget(steps=40), emit=events.append)
    assert second.state == "finished" and second.step == 40
    assert any(isinstance(e, Message) and "resumed split at step 20" in e.text for e in events)
    first_progress = next(e for e in events if isinstance(e, Progress))
    assert first_progress.done == 21
    whole = metric_rows(tmp_path / "whole")
    split = metric_rows(tmp_path / "split")
    assert [r["step"] for r in split] == [r["step"] for r in whole]
    np.testing.assert_allclose([r["loss"] for r in split], [r["loss"] for r in whole], rtol=1e-5)
    assert RunFolder(tmp_path / "split").read_config().budget.steps == 40


def test_stop_finishes_the_step_and_saves_a_checkpoint(tmp_path):
    token = CancelToken()

    def emit(event):
        if isinstance(event, Progress) and event.done >= 7:
            token.cancel()

    result = train(tmp_path / "run", tiny_config(steps=1000), token=token, emit=emit)
    run = RunFolder(tmp_path / "run")
    assert result.state == "stopped" and 7 <= result.step < 1000
    assert run.read_status()["state"] == "stopped"
    assert (run.checkpoints_dir / f"ckpt-{result.step}.index").is_file()
    resumed = train(tmp_path / "run", resume=True, budget=Budget(steps=result.step + 5))
    assert resumed.step == result.step + 5


def test_pause_holds_the_loop_and_resume_continues(tmp_path):
    token = CancelToken()
    holder = {}

    def run():
        holder["result"] = train(tmp_path / "run", tiny_config(steps=60), token=token)

    thread = threading.Thread(target=run)
    token.pause()  # paused before the first step
    thread.start()
    status_path = RunFolder(tmp_path / "run").status_path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if status_path.exists() and json.loads(status_path.read_text()).get("state") == "paused":
            break
        time.sleep(0.05)
    status = json.loads(status_path.read_text())
    assert status["state"] == "paused" and status["step"] == 0
    time.sleep(0.3)
    assert json.loads(status_path.read_text())["step"] == 0
    token.resume()
    thread.join(120)
    assert holder["result"].state == "finished" and holder["result"].step == 60


def test_learning_rate_change_takes_effect_and_is_logged(tmp_path):
    control = TrainingControl()
    events = []

    def emit(event):
        events.append(event)
        if isinstance(event, Progress):
            # Progress is throttled to one event per 50 ms: waiting here makes every step report, so the
            # change lands at step 13 however fast the machine trains (it used to miss on a fast one).
            time.sleep(0.06)
        if isinstance(event, Progress) and event.done >= 12 and not getattr(emit, "done", False):
            emit.done = True
            control.set_learning_rate("main", 5e-4)

    train(tmp_path / "run", tiny_config(steps=30), emit=emit, control=control)
    rates = {int(r["step"]): r["lr_main"] for r in metric_rows(tmp_path / "run")}
    assert rates[5] == 2e-3 and rates[30] == 5e-4
    changed_at = next(e for e in events if isinstance(e, Message) and "learning rate" in e.text)
    assert "from step" in changed_at.text
    assert any(isinstance(e, Message) and "learning rate main: 0.002 -> 0.0005" in e.text for e in events)
    config = RunFolder(tmp_path / "run").read_config()
    assert config.learning_rates == {"main": 2e-3}  # the base rate; the change is recorded with its step
    step = int(changed_at.text.rsplit("from step ", 1)[1].split()[0])
    assert config.lr_overrides == {"main": {"step": step, "value": 5e-4}}
    with pytest.raises(ValueError):
        control.set_learning_rate("main", -1)


def test_progress_is_throttled_but_complete(tmp_path):
    events = []
    train(tmp_path / "run", tiny_config(steps=40), emit=events.append)
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == 40 and progress[-1].total == 40
    assert progress[-1].message == "epoch 5.00"  # 64 examples, batch 8: 8 steps an epoch
    times = [e.time for e in events if isinstance(e, Metrics)]
    if len(times) > 1:
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.04


def test_nan_guard_stops_and_restores_the_last_good_checkpoint(tmp_path):
    config = tiny_config(steps=100, task="test-nan-after",
                         task_params={"size": 16, "dataset_size": 64, "width": 8, "nan_from": 13})
    events = []
    result = train(tmp_path / "run", config, emit=events.append)
    assert result.state == "failed" and result.step == 10
    assert "non-finite metrics at step 13" in result.message and "restored the checkpoint of step 10" in result.message
    status = RunFolder(tmp_path / "run").read_status()
    assert status["state"] == "failed" and status["step"] == 10
    assert any(isinstance(e, Message) and e.level == "error" for e in events)
    import h5py

    with h5py.File(tmp_path / "run" / "model" / "autoencoder.weights.h5") as handle:
        arrays = []
        handle.visititems(lambda name, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    assert arrays and all(np.all(np.isfinite(a)) for a in arrays)


def test_budgets_in_epochs_and_minutes(tmp_path):
    by_epochs = train(tmp_path / "epochs", tiny_config(budget=Budget(epochs=2)))  # 64 examples / 8 = 8 steps
    assert by_epochs.step == 16 and "reached 16 steps" in by_epochs.message
    start = time.monotonic()
    by_time = train(tmp_path / "minutes", tiny_config(budget=Budget(minutes=0.03), log_every=1000))
    assert by_time.state == "finished" and "minute budget" in by_time.message
    assert time.monotonic() - start < 60


def test_resume_refuses_a_changed_architecture(tmp_path):
    train(tmp_path / "run", tiny_config(steps=10))
    run = RunFolder(tmp_path / "run")
    config = json.loads(run.config_path.read_text())
    config["task_params"]["width"] = 12
    run.config_path.write_text(json.dumps(config))
    with pytest.raises(ResumeError, match="architecture changed"):
        train(run.path, resume=True, budget=Budget(steps=20))


def test_new_run_refuses_a_folder_that_holds_a_run(tmp_path):
    train(tmp_path / "run", tiny_config(steps=5))
    with pytest.raises(RunFolderError, match="already holds a run"):
        train(tmp_path / "run", tiny_config(steps=5))


def test_bad_configs_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match="budget"):
        train(tmp_path / "a", tiny_config(budget=Budget()))
    with pytest.raises(ValueError, match="strategy"):
        train(tmp_path / "b", tiny_config(strategy="gpu-please"))
    with pytest.raises(ValueError, match="unknown task"):
        train(tmp_path / "c", tiny_config(task="nope"))
    assert RunFolder(tmp_path / "c").read_status()["state"] == "failed"

"""The Train panel with real training runs (tiny autoencoder, seconds each)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.training.config import Budget
from core.training.engine import train
from core.training.run_folder import RunFolder
from tests.core.training_helpers import tiny_config


def status_of(run_dir) -> dict:
    return RunFolder(run_dir).read_status()


def wait_state(qtbot, run_dir, states, timeout=60_000):
    qtbot.waitUntil(lambda: status_of(run_dir).get("state") in states, timeout=timeout)


@pytest.fixture
def panel(window):
    window.tabs.setCurrentWidget(window.train_panel)
    return window.train_panel


def test_curves_and_samples_appear_from_a_live_run(qtbot, panel, workspace):
    run_dir = workspace.runs_dir / "live"
    handle = panel.start_training(run_dir, tiny_config(steps=60, sample_every=10))
    assert handle is not None
    assert panel.primary == str(run_dir.resolve())  # listed and selected at once
    qtbot.waitUntil(lambda: "loss" in panel.curves.metric_names(), timeout=60_000)
    # the job may already have ended while the first curve arrived (a loaded machine): wait for the state
    qtbot.waitUntil(lambda: handle.finished, timeout=60_000)
    qtbot.waitUntil(lambda: panel.timeline.steps == [10, 20, 30, 40, 50, 60], timeout=10_000)
    qtbot.waitUntil(lambda: len(panel.curves.values("live", "loss")[0]) == 12, timeout=10_000)
    steps, losses = panel.curves.values("live", "loss")
    assert list(steps) == list(range(5, 61, 5)) and (losses > 0).all()
    assert {"loss", "psnr", "lr_main", "images_per_s"} <= set(panel.curves.metric_names())
    # the folder watcher polls every 0.25 s: the final status reaches the panel shortly after the job ends
    qtbot.waitUntil(lambda: "finished" in panel.run_title.text(), timeout=10_000)
    assert "step 60 / 60" in panel.progress.format()
    text = panel.curves.readout("loss", 31)
    assert text.startswith("step 30: loss ") and "smoothed" in text
    qtbot.waitUntil(lambda: "CPU" in panel.resource_label.text() and "memory" in panel.resource_label.text(),
                    timeout=5000)


def test_the_slider_reaches_every_saved_step(qtbot, panel, workspace):
    run_dir = workspace.runs_dir / "saved"
    train(run_dir, tiny_config(steps=40, sample_every=5))
    panel.select_run(run_dir)
    qtbot.waitUntil(lambda: len(panel.timeline.steps) == 8, timeout=10_000)
    assert panel.timeline.steps == RunFolder(run_dir).sample_steps()
    shown = []
    panel.timeline.shown_step.connect(shown.append)
    for index in range(len(panel.timeline.steps)):
        with qtbot.waitSignal(panel.timeline.shown_step, timeout=5000):
            panel.timeline.slider.setValue(index) if index else (panel.timeline.slider.setValue(1),
                                                                 panel.timeline.slider.setValue(0))
    assert sorted(set(shown)) == RunFolder(run_dir).sample_steps()
    assert panel.timeline.view.pixmap() is not None and not panel.timeline.view.pixmap().isNull()
    panel.timeline.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not panel.timeline.play_button.isChecked(), timeout=10_000)
    assert panel.timeline.slider.value() == panel.timeline.slider.maximum()


def test_buttons_control_the_training_worker(qtbot, panel, workspace):
    run_dir = workspace.runs_dir / "controlled"
    handle = panel.start_training(run_dir, tiny_config(steps=100_000, checkpoint_every=1000))
    wait_state(qtbot, run_dir, {"running"})
    qtbot.waitUntil(lambda: panel.pause_button.isEnabled(), timeout=10_000)
    panel.pause_button.click()
    wait_state(qtbot, run_dir, {"paused"})
    paused_at = status_of(run_dir)["step"]
    qtbot.wait(500)
    assert status_of(run_dir)["step"] == paused_at
    panel.lr_spin.setValue(0.0005)
    panel.lr_apply.click()
    panel.pause_button.click()  # resume
    wait_state(qtbot, run_dir, {"running"})
    qtbot.waitUntil(lambda: status_of(run_dir).get("learning_rates", {}).get("main") == 0.0005, timeout=20_000)
    with qtbot.waitSignal(handle.done, timeout=60_000) as blocker:
        panel.stop_button.click()
    result = blocker.args[0].result
    assert result.state == "stopped" and result.step > paused_at
    assert (RunFolder(run_dir).checkpoints_dir / f"ckpt-{result.step}.index").is_file()
    qtbot.waitUntil(lambda: not panel.stop_button.isEnabled())
    qtbot.waitUntil(lambda: panel.resume_button.isEnabled(), timeout=5000)  # once the watcher saw "stopped"


def test_a_run_written_by_another_process_is_followed(qtbot, panel, tmp_path):
    run_dir = tmp_path / "elsewhere" / "cli-run"
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "check-training", "--out", str(run_dir), "--steps", "3000",
         "--batch-size", "8", "--size", "16", "--examples", "64", "--log-every", "10", "--sample-every", "100",
         "--checkpoint-every", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not RunFolder(run_dir).is_run() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert panel.open_run_folder(run_dir)
        qtbot.waitUntil(lambda: "running" in panel.run_title.text(), timeout=60_000)
        assert "followed" in panel.run_title.text()
        qtbot.waitUntil(lambda: "loss" in panel.curves.metric_names(), timeout=60_000)
        first = len(panel.curves.values("cli-run", "loss")[0])
        qtbot.waitUntil(lambda: len(panel.curves.values("cli-run", "loss")[0]) > first + 5, timeout=60_000)
        qtbot.waitUntil(lambda: len(panel.timeline.steps) >= 1, timeout=60_000)
        assert not panel.pause_button.isEnabled()  # another process's run is read-only here
        qtbot.waitUntil(lambda: "training process" in panel.resource_label.text(), timeout=5000)
    finally:
        process.terminate()
        process.wait(60)
    qtbot.waitUntil(lambda: "stopped" in panel.run_title.text(), timeout=20_000)


def test_compare_runs_and_export_csv(qtbot, panel, workspace, tmp_path):
    for name, seed, every in (("a", 1, 5), ("b", 2, 10)):
        train(workspace.runs_dir / name, tiny_config(steps=20, seed=seed, sample_every=every))
    panel.refresh_runs()
    panel.select_run(workspace.runs_dir / "a")
    panel.select_run(workspace.runs_dir / "b", add=True)
    assert len(panel.selected_runs()) == 2
    qtbot.waitUntil(lambda: {r for r, _ in panel.curves.series} == {"a", "b"}, timeout=10_000)
    assert panel.curves.color_of("a") != panel.curves.color_of("b")
    assert panel.curves.readout("loss", 10).count("loss") == 2
    panel.select_run(workspace.runs_dir / "a", add=True)  # make "a" current, keep both selected
    assert panel.primary.endswith("/a") and len(panel.selected_runs()) == 2
    qtbot.waitUntil(lambda: panel.timeline.steps == RunFolder(workspace.runs_dir / "a").sample_steps(),
                    timeout=5000)
    out = tmp_path / "both.csv"
    handle = panel.export_selected(out)
    with qtbot.waitSignal(handle.done, timeout=10_000):
        pass
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert {row["run"] for row in rows} == {"a", "b"} and len(rows) == 8


def test_resume_a_stopped_run_from_the_panel(qtbot, panel, workspace):
    run_dir = workspace.runs_dir / "again"
    train(run_dir, tiny_config(steps=10))
    panel.select_run(run_dir)
    qtbot.waitUntil(lambda: panel.resume_button.isEnabled(), timeout=10_000)
    panel.resume_button.click()
    assert panel.live is not None
    with qtbot.waitSignal(panel.live[0].done, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].result.step == 20  # a finished run continues for as long again
    assert json.loads((Path(run_dir) / "config.json").read_text())["budget"]["steps"] == 20
    assert RunFolder(run_dir).read_config().budget == Budget(steps=20)


def test_validation_curves_share_plots_and_the_best_step_is_marked(qtbot, panel, workspace):
    run_dir = workspace.runs_dir / "validated"
    config = tiny_config(steps=40, task="test-scripted-evaluation", validation={"every_steps": 10},
                         task_params={"size": 16, "dataset_size": 64, "width": 8, "scores": [0.2, 0.9, 0.5, 0.4]})
    train(run_dir, config)
    panel.select_run(run_dir)
    qtbot.waitUntil(lambda: "validation/score" in panel.curves.metric_names(), timeout=10_000)
    qtbot.waitUntil(lambda: panel.curves.best_marker("validated", "score") is not None, timeout=10_000)
    panel.curves.flush_all()
    assert panel.curves.best_marker("validated", "score") == 20
    assert panel.curves.best_text("validated", "score") == "best weights: step 20"
    steps, values = panel.curves.values("validated", "validation/score")
    assert list(steps) == [10, 20, 30, 40] and list(values) == [0.2, 0.9, 0.5, 0.4]

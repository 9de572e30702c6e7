"""What the Train panel decides about runs, without Qt: presets, new run folders, resuming, status lines."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from core.jobs import Progress
from core.training.config import Budget, RunConfig
from core.training.process_usage import ProcessUsage
from core.training.run_view import (
    PROGRESS_SCALE,
    can_resume,
    describe_run,
    engine_check_config,
    list_label,
    new_run_dir,
    resume_budget,
    unique_runs,
)


def config(steps=None, minutes=None) -> RunConfig:
    return RunConfig(task="autoencoder-check", budget=Budget(steps=steps, minutes=minutes))


def test_engine_check_is_a_short_autoencoder_run_on_generated_shapes():
    preset = engine_check_config()
    assert preset.task == "autoencoder-check" and preset.budget.steps == 1500
    assert preset.data_source == "generated shapes" and preset.learning_rates == {"main": 2e-3}


def test_new_run_dirs_are_stamped_and_never_reuse_a_folder(tmp_path):
    now = dt.datetime(2026, 3, 4, 5, 6, 7)
    first = new_run_dir(tmp_path, "gan", now)
    assert first == tmp_path / "gan-20260304-050607" and not first.exists()
    first.mkdir()
    second = new_run_dir(tmp_path, "gan", now)
    assert second.name == "gan-20260304-050607-1"
    second.mkdir()
    assert new_run_dir(tmp_path, "gan", now).name == "gan-20260304-050607-2"


def test_a_finished_run_resumes_for_as_long_again_others_keep_their_budget():
    assert resume_budget({"state": "finished"}, config(steps=300)) == Budget(steps=600)
    assert resume_budget({"state": "stopped"}, config(steps=300)) is None
    assert resume_budget({"state": "failed"}, config(steps=300)) is None
    assert resume_budget({"state": "finished"}, config(minutes=1)) is None  # a time budget: no step total


def test_a_run_held_by_a_process_or_while_training_here_cannot_resume():
    for state in ("running", "paused", "stopping"):
        assert not can_resume(state, training_here=False)
    for state in ("stopped", "failed", "finished", None):
        assert can_resume(state, training_here=False)
        assert not can_resume(state, training_here=True)


def test_unique_runs_resolves_and_keeps_first_seen_order(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    found = unique_runs([tmp_path / "b", tmp_path / "a", tmp_path / "x" / ".." / "b"])
    assert found == [(tmp_path / "b").resolve(), (tmp_path / "a").resolve()]


def test_list_label_names_state_and_step():
    assert list_label("r1", {"state": "running", "step": 40}) == "r1\n    running, step 40"
    assert list_label("r1", {}) == "r1\n    unknown"


def test_a_followed_run_shows_its_step_total_and_eta():
    status = {"state": "running", "step": 250, "total_steps": 1000, "eta_s": 90, "epoch": 1.5,
              "images_per_s": 812.4, "elapsed_s": 30, "strategy": "default (CPU)"}
    shown = describe_run("cli", status, trained_here=False)
    assert shown.title == "cli — running (followed)"
    assert shown.progress == PROGRESS_SCALE // 4
    assert shown.progress_text == "step 250 / 1000 · ETA 01:30"
    assert shown.details == "epoch 1.50 · 812 images/s · elapsed 00:30 · default (CPU)"


def test_a_run_trained_here_prefers_the_jobs_progress_and_shows_its_rate():
    status = {"state": "running", "step": 10, "total_steps": 100, "eta_s": 99}
    shown = describe_run("here", status, trained_here=True, progress=Progress(50, 100, eta_s=5, rate=10.0))
    assert shown.title == "here — running (trained here)"
    assert (shown.progress, shown.progress_text) == (500, "step 50 / 100 · ETA 00:05")
    assert shown.details == "10.0 steps/s"
    followed = describe_run("here", status, trained_here=False, progress=Progress(50, 100))
    assert followed.progress_text == "step 10 / 100 · ETA 01:39"  # someone else's progress is not shown


def test_a_time_budget_fills_the_bar_by_elapsed_time_and_a_saved_run_shows_no_eta():
    timed = describe_run("t", {"state": "running", "step": 28, "eta_s": 150, "elapsed_s": 50}, False)
    assert (timed.progress, timed.progress_text) == (250, "step 28 · ETA 02:30")
    saved = describe_run("s", {"state": "finished", "step": 28, "eta_s": 150}, False)
    assert saved.title == "s — finished (saved run)"
    assert (saved.progress, saved.progress_text) == (PROGRESS_SCALE, "step 28")
    stopped = describe_run("s", {"state": "stopped", "step": 3, "message": "stopped by user"}, False)
    assert (stopped.progress, stopped.details) == (0, "stopped by user")


def test_process_usage_reads_this_process_or_the_runs_training_process():
    usage = ProcessUsage()
    assert usage.line({}).endswith("(this app)") and usage.line({}).startswith("CPU ")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert usage.line({"pid": child.pid, "state": "running"}).endswith(f"(training process {child.pid})")
        # a finished run's process is gone or someone else's: show this app's usage
        assert usage.line({"pid": child.pid, "state": "finished"}).endswith("(this app)")
        assert usage.line({"pid": os.getpid(), "state": "running"}).endswith("(this app)")
    finally:
        child.kill()
        child.wait()
    assert usage.line({"pid": 2**22 + 12345, "state": "running"}).endswith("(this app)")  # no such process

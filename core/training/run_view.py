"""What the Train panel decides and shows about a run, without Qt: the engine-check preset, where a new run
goes, whether and for how long a run resumes, and the title, progress and details lines of a run's status."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from core.jobs import Progress, format_eta
from core.training.config import Budget, RunConfig
from core.training.run_states import ACTIVE_STATES, LIVE_STATES

PROGRESS_SCALE = 1000  # the progress bar's range: per mille


def engine_check_config() -> RunConfig:
    """The built-in quick run: a tiny autoencoder on generated shapes (checks the machine can train)."""
    return RunConfig(task="autoencoder-check", task_params={"size": 32, "dataset_size": 512, "width": 16},
                     seed=0, batch_size=32, learning_rates={"main": 2e-3}, budget=Budget(steps=1500),
                     log_every=10, sample_every=50, checkpoint_every=250, data_source="generated shapes")


def new_run_dir(runs_dir: str | os.PathLike, prefix: str, now: dt.datetime | None = None) -> Path:
    """``runs_dir/prefix-YYYYmmdd-HHMMSS``, with ``-1``, ``-2``, … appended if that folder exists."""
    runs_dir = Path(runs_dir)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = runs_dir / f"{prefix}-{stamp}"
    counter = 1
    while path.exists():
        path = runs_dir / f"{prefix}-{stamp}-{counter}"
        counter += 1
    return path


def resume_budget(status: dict, config: RunConfig) -> Budget | None:
    """A finished run with a step budget resumes for as long again (double the steps); any other run
    resumes with its own budget (None: keep the config's)."""
    if status.get("state") == "finished" and config.budget.steps:
        return Budget(steps=int(config.budget.steps) * 2)
    return None


def can_resume(state: str | None, training_here: bool) -> bool:
    """A run can be resumed when no run trains in this app and no process holds the run."""
    return not training_here and state not in ACTIVE_STATES


def unique_runs(paths: list[Path]) -> list[Path]:
    """The resolved paths, each once, in first-seen order (a run opened by hand may also be in runs/)."""
    unique, seen = [], set()
    for path in paths:
        resolved = Path(path).resolve()
        if str(resolved) not in seen:
            seen.add(str(resolved))
            unique.append(resolved)
    return unique


def list_label(name: str, status: dict) -> str:
    """A run's two-line entry in the run list: its name, then its state and step."""
    step = f", step {status['step']}" if status.get("step") else ""
    return f"{name}\n    {status.get('state', 'unknown')}{step}"


@dataclass(frozen=True)
class RunDisplay:
    """The status area of one run: title, progress bar (value out of PROGRESS_SCALE and its text), details."""

    title: str
    progress: int
    progress_text: str
    details: str


def describe_run(name: str, status: dict, trained_here: bool, progress: Progress | None = None) -> RunDisplay:
    """The status area for run ``name`` from its status.json (``status``) and, for a run this app trains,
    the training job's latest Progress event (fresher than the file, and it knows the step rate)."""
    state = status.get("state", "…")
    source = "trained here" if trained_here else ("followed" if state in LIVE_STATES else "saved run")
    step = int(status.get("step", 0) or 0)
    total = status.get("total_steps")
    eta = status.get("eta_s")
    rate = None
    if trained_here and progress is not None:
        step, total = progress.done, progress.total or total
        eta = progress.eta_s if progress.eta_s is not None else eta  # a time budget: the status knows
        rate = progress.rate
    active = state in LIVE_STATES
    eta_text = f" · ETA {format_eta(eta)}" if eta is not None and active else ""
    if total:
        value = int(PROGRESS_SCALE * min(1.0, step / total))
        text = f"step {step} / {total}{eta_text}"
    elif eta is not None and active and status.get("elapsed_s") is not None:
        # a time budget: no step total, but the run knows how long it has left
        elapsed = float(status["elapsed_s"])
        value = int(PROGRESS_SCALE * elapsed / max(elapsed + float(eta), 1e-9))
        text = f"step {step}{eta_text}"
    else:
        value = PROGRESS_SCALE if state == "finished" else 0
        text = f"step {step}{eta_text}"
    parts = [f"epoch {float(status['epoch']):.2f}"] if status.get("epoch") is not None else []
    if status.get("images_per_s"):
        parts.append(f"{float(status['images_per_s']):.0f} images/s")
    if rate:
        parts.append(f"{rate:.1f} steps/s")
    if status.get("elapsed_s") is not None:
        parts.append(f"elapsed {format_eta(float(status['elapsed_s']))}")
    if status.get("strategy"):
        parts.append(str(status["strategy"]))
    if status.get("message"):
        parts.append(str(status["message"]))
    return RunDisplay(f"{name} — {state} ({source})", value, text, " · ".join(parts))

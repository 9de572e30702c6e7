"""Runs on disk: find them, summarise them, export their metrics (for the CLI and the Train panel)."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.atomic import atomic_write_text
from core.training.metrics_log import FIXED_COLUMNS, format_value, read_metrics
from core.training.run_folder import RunFolder, RunFolderError


@dataclass
class RunSummary:
    path: str
    name: str
    task: str
    state: str
    step: int
    total_steps: int | None
    updated: float | None
    message: str = ""
    last_metrics: dict = field(default_factory=dict)
    samples: int = 0
    checkpoints: int = 0
    error: str = ""
    weights: str = ""  # the weights the run offers by default (model/weights.json), for people


def find_runs(folder: str | os.PathLike, task: str | None = None) -> list[Path]:
    """Run folders in ``folder`` (or ``folder`` itself if it is one), newest first; with ``task``, only the
    runs of that task (a folder whose config cannot be read is not offered)."""
    folder = Path(folder).expanduser()
    if RunFolder(folder).is_run():
        runs = [folder]
    elif folder.is_dir():
        runs = [p for p in folder.iterdir() if p.is_dir() and RunFolder(p).is_run()]
        runs.sort(key=lambda p: (RunFolder(p).config_path.stat().st_mtime, p.name), reverse=True)
    else:
        return []
    return [p for p in runs if _is_task(p, task)] if task is not None else runs


def _is_task(path: Path, task: str) -> bool:
    try:
        return RunFolder(path).read_config().task == task
    except (RunFolderError, OSError, ValueError):
        return False


def summarize(path: str | os.PathLike) -> RunSummary:
    run = RunFolder(path)
    status = run.read_status()
    try:
        task = run.read_config().task
        error = ""
    except RunFolderError as exc:
        task, error = "?", str(exc)
    _, rows = read_metrics(run.metrics_path)
    last: dict = {}
    for row in rows:  # the latest value of each metric (validation rows and training rows alternate)
        last.update({k: v for k, v in row.items() if k not in FIXED_COLUMNS and v is not None})
    checkpoints = len(list(run.checkpoints_dir.glob("ckpt-*.index"))) if run.checkpoints_dir.is_dir() else 0
    return RunSummary(
        path=str(run.path), name=run.name, task=task, state=str(status.get("state", "unknown")),
        step=int(status.get("step", 0) or 0), total_steps=status.get("total_steps"),
        updated=status.get("updated"), message=str(status.get("message", "") or ""), last_metrics=last,
        samples=len(run.sample_steps()), checkpoints=checkpoints, error=error, weights=_default_weights(run))


def _default_weights(run: RunFolder) -> str:
    from core.training.weights import describe_variant, read_manifest

    manifest = read_manifest(run.model_dir)
    default = manifest.get("default")
    return describe_variant(default, manifest["variants"].get(default)) if default else ""


def export_csv(runs: list[str | os.PathLike], out: str | os.PathLike) -> int:
    """Write the metrics of several runs to one CSV with a leading ``run`` column; returns the row count."""
    columns: list[str] = []
    tables = []
    for path in runs:
        run = RunFolder(path)
        if not run.is_run():
            raise RunFolderError(f"{run.path}: not a run folder (no config.json)")
        header, rows = read_metrics(run.metrics_path)
        columns += [c for c in header if c not in columns]
        tables.append((run.name, rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", *columns])
    count = 0
    for name, rows in tables:
        for row in rows:
            writer.writerow([name, *(format_value(row.get(c)) for c in columns)])
            count += 1
    atomic_write_text(out, buffer.getvalue())
    return count

"""The run folder: everything a run keeps, in plain files other tools can read.

    config.json          every hyperparameter, data source, seed, app version
    status.json          running / paused / stopping / finished / stopped / failed, step, ETA, message
    metrics.csv          one row per logging step (see metrics_log)
    samples/step_XXXXXX.png   every sample grid, kept
    checkpoints/         tf.train.CheckpointManager files (keep N)
    tensorboard/         TensorBoard event files
    model/               final weights (model.weights.h5 per model) and architecture.json
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

import numpy as np
from PIL import Image

from core.atomic import atomic_save, atomic_write_json
from core.training.config import RunConfig
from core.training.run_states import ACTIVE_STATES, STATES

SAMPLE_PATTERN = re.compile(r"^step_(\d+)\.png$")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunFolderError(Exception):
    pass


class RunFolder:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()

    # layout --------------------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / "tensorboard"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def name(self) -> str:
        return self.path.name

    def is_run(self) -> bool:
        return self.config_path.is_file()

    # config --------------------------------------------------------------------------------------------
    def create(self, config: RunConfig) -> None:
        """Start a new run here; refuses a folder that already holds one."""
        config.validate()
        if self.is_run():
            raise RunFolderError(f"{self.path} already holds a run: resume it, or choose a new folder")
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path} is a file, not a folder")
        for folder in (self.path, self.samples_dir, self.checkpoints_dir, self.tensorboard_dir, self.model_dir):
            folder.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.config_path, config.to_dict())
        self.write_status("created", step=0)

    def read_config(self) -> RunConfig:
        try:
            data = json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunFolderError(f"{self.path}: not a run folder (no config.json)") from None
        except (OSError, ValueError) as exc:
            raise RunFolderError(f"{self.config_path}: unreadable ({exc})") from None
        try:
            return RunConfig.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise RunFolderError(f"{self.config_path}: {exc}") from None

    def write_config(self, config: RunConfig) -> None:
        atomic_write_json(self.config_path, config.to_dict())

    # status --------------------------------------------------------------------------------------------
    def write_status(self, state: str, **fields) -> dict:
        if state not in STATES:
            raise ValueError(f"unknown run state {state!r}")
        status = {"state": state, "updated": time.time(), "pid": os.getpid(), "host": socket.gethostname(),
                  **fields}
        # Rewritten every second: atomic, but not fsynced (an fsync here measured up to 126 ms).
        atomic_write_json(self.status_path, status, durable=state not in ACTIVE_STATES)
        return status

    def read_status(self) -> dict:
        """The last status written; a missing or unreadable file reads as state 'unknown'. A run that says
        it is active but whose process on this host is gone (killed, crashed) reads as 'interrupted'."""
        try:
            status = json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"state": "unknown"}
        if status.get("state") in ACTIVE_STATES and status.get("host") == socket.gethostname():
            pid = int(status.get("pid", 0) or 0)
            if pid and not pid_alive(pid):
                status = {**status, "state": "interrupted", "recorded_state": status["state"]}
        return status

    def remove_stale_temp_files(self) -> int:
        """Temp files of writes that a crash cut short (atomic writes and checkpoint saves); returns how many."""
        import shutil

        removed = 0
        for folder in (self.path, self.samples_dir, self.model_dir):
            if folder.is_dir():
                for entry in folder.glob(".*.tmp"):
                    entry.unlink(missing_ok=True)
                    removed += 1
        if self.checkpoints_dir.is_dir():
            for entry in self.checkpoints_dir.glob("*_temp"):
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
                removed += 1
        return removed

    # samples -------------------------------------------------------------------------------------------
    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{int(step):06d}.png"

    def save_sample(self, step: int, grid: np.ndarray) -> Path:
        path = self.sample_path(step)
        image = Image.fromarray(np.ascontiguousarray(grid, dtype=np.uint8))
        atomic_save(path, lambda handle: image.save(handle, format="PNG"))
        return path

    def sample_steps(self) -> list[int]:
        if not self.samples_dir.is_dir():
            return []
        steps = []
        for entry in self.samples_dir.iterdir():
            match = SAMPLE_PATTERN.match(entry.name)
            if match:
                steps.append(int(match.group(1)))
        return sorted(steps)

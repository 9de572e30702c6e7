"""Following a run folder that someone is writing (this app, the CLI, another machine on a shared disk).

:func:`watch_run_job` is a core job that polls the folder and emits a :class:`RunUpdate` whenever the
status, the metrics or the saved samples change. It reads only what is new.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from core.jobs import CancelToken, Emit, Event, Job
from core.training.metrics_log import MetricsTail
from core.training.run_folder import RunFolder
from core.training.run_states import LIVE_STATES


@dataclass(frozen=True)
class RunUpdate(Event):
    run_dir: str
    rows: tuple = ()  # new metrics rows (dicts); all rows when ``restarted``
    restarted: bool = False  # the metrics file was rewritten: drop what you had
    status: dict | None = None  # the new status, when it changed
    sample_steps: tuple | None = None  # all saved sample steps, when they changed
    config: dict | None = field(default=None)  # the run's config, sent once


class RunWatcher:
    """Polls one run folder; ``poll()`` returns a RunUpdate or None. Plain class, usable without a job."""

    def __init__(self, run_dir):
        self.run = RunFolder(run_dir)
        self.tail = MetricsTail(self.run.metrics_path)
        self._status_key = None
        self._samples_key = None
        self._config_sent = False

    def poll(self) -> RunUpdate | None:
        rows, restarted = self.tail.read_new()
        status = None
        try:
            stat = self.run.status_path.stat()
            key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            key = None
        if key != self._status_key:
            self._status_key = key
            status = self.run.read_status()
        sample_steps = None
        try:
            samples_key = self.run.samples_dir.stat().st_mtime_ns
        except FileNotFoundError:
            samples_key = None
        if samples_key != self._samples_key:
            self._samples_key = samples_key
            sample_steps = tuple(self.run.sample_steps())
        config = None
        if not self._config_sent:
            try:
                config = json.loads(self.run.config_path.read_text(encoding="utf-8"))
                self._config_sent = True
            except (OSError, ValueError):
                config = None
        if rows or restarted or status is not None or sample_steps is not None or config is not None:
            return RunUpdate(run_dir=str(self.run.path), rows=tuple(rows), restarted=restarted, status=status,
                             sample_steps=sample_steps, config=config)
        return None


def watch_run_job(run_dir, interval_s: float = 0.25, idle_interval_s: float = 1.0) -> Job:
    """Polls until cancelled: fast while the run is active, slower once it has ended."""

    def job(token: CancelToken, emit: Emit) -> None:
        watcher = RunWatcher(run_dir)
        state = None
        while not token.cancelled:
            update = watcher.poll()
            if update is not None:
                if update.status is not None:
                    state = update.status.get("state")
                emit(update)
            delay = interval_s if state in LIVE_STATES or state is None else idle_interval_s
            deadline = time.monotonic() + delay
            while not token.cancelled and time.monotonic() < deadline:
                time.sleep(min(0.05, delay))

    return job

"""CPU and memory of the process that trains a run: this app's own, or the training process a followed run's
status names (a CLI run on this machine), so the Train panel shows what the run costs."""

from __future__ import annotations

import os

import psutil

from core.training.run_states import LIVE_STATES


class ProcessUsage:
    """Call ``line(status)`` about once a second: CPU % is measured between two calls (psutil's way)."""

    def __init__(self):
        self._own = psutil.Process()
        self._other: psutil.Process | None = None
        self._other_pid: int | None = None

    def _process_of(self, status: dict) -> tuple[psutil.Process, str]:
        pid = int(status.get("pid", 0) or 0)
        if pid and pid != os.getpid() and status.get("state") in LIVE_STATES:
            try:
                if pid != self._other_pid:
                    self._other = psutil.Process(pid)
                    self._other.cpu_percent(None)  # the first call only starts the measurement
                    self._other_pid = pid
                return self._other, f"training process {pid}"
            except (psutil.Error, OSError):
                pass
        return self._own, "this app"

    def line(self, status: dict) -> str:
        """``CPU 93% · memory 812 MB (training process 4242)``, or "" when the process cannot be read."""
        process, whose = self._process_of(status)
        try:
            cpu = process.cpu_percent(None)
            rss = process.memory_info().rss / 2**20
        except (psutil.Error, OSError):
            return ""
        return f"CPU {cpu:.0f}% · memory {rss:.0f} MB ({whose})"

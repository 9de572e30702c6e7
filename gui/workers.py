"""The worker bridge: runs core jobs on worker threads and delivers their events as Qt signals on the GUI
thread. Jobs follow core.jobs: ``job(token, emit) -> result``.

Each job gets its own Python thread rather than a QThreadPool thread: TensorFlow's pybind11 code
crashes (a stale thread state in ``gil_scoped_acquire``, seen as a segfault in the first
``tf.constant`` of a job) when it runs on a pooled Qt thread while the GUI thread is busy in Python.
Python threads keep one thread state for their whole life, which is what pybind11 expects.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from core.jobs import CancelToken, Event, Failed, Finished, Job, run_job

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class JobHandle(QObject):
    """The GUI-thread face of a running job: its events arrive here, on the GUI thread."""

    event = Signal(object)
    done = Signal(object)  # the last event: Finished or Failed
    _from_worker = Signal(object)  # emitted on the worker thread, queued to the GUI thread

    def __init__(self, job: Job, name: str, total: int | None = None, parent=None, background: bool = False):
        super().__init__(parent)
        self.name = name
        self.background = background  # runs until cancelled (following a run, an explorer): not "work"
        self.token = CancelToken()
        self.last_event: Event | None = None
        self.finished = False
        self._job = job
        self._total = total
        self._from_worker.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self.thread = threading.Thread(target=self._run, name=f"job-{next(_ids)}-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        run_job(self._job, self.token, self._from_worker.emit, name=self.name, total=self._total)

    def cancel(self) -> None:
        self.token.cancel()

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()

    def _on_event(self, event: Event) -> None:
        self.last_event = event
        self.event.emit(event)
        if isinstance(event, Finished | Failed):
            self.finished = True
            self.done.emit(event)


class WorkerBridge(QObject):
    """Starts jobs, keeps them alive while they run, and routes failures to one error handler."""

    job_started = Signal(object)  # JobHandle
    job_done = Signal(object)  # JobHandle
    job_failed = Signal(object, object)  # JobHandle, Failed
    busy_changed = Signal(int)  # number of running jobs that do work (background services not counted)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._handles: list[JobHandle] = []

    @property
    def running(self) -> list[JobHandle]:
        return list(self._handles)

    @property
    def working(self) -> list[JobHandle]:
        """Running jobs that end by themselves. Background jobs (a watcher following a run folder, the GAN
        explorer's render loop) run as long as their view is open: counting them would say "1 job running"
        forever after the work is done."""
        return [handle for handle in self._handles if not handle.background]

    def start(self, job: Job, name: str, *, on_event: Callable[[Event], None] | None = None,
              total: int | None = None, report_errors: bool = True, background: bool = False) -> JobHandle:
        handle = JobHandle(job, name, total, self, background=background)
        if on_event is not None:
            handle.event.connect(on_event)
        handle.done.connect(lambda event, h=handle: self._on_done(h, event, report_errors))
        self._handles.append(handle)
        handle.start()
        log.info("job started: %s", name)
        self.job_started.emit(handle)
        self.busy_changed.emit(len(self.working))
        return handle

    def _on_done(self, handle: JobHandle, event: Event, report_errors: bool) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        if isinstance(event, Failed):
            log.error("job failed: %s: %s\n%s", handle.name, event.error, event.details)
            if report_errors:
                self.job_failed.emit(handle, event)
        else:
            log.info("job finished: %s (%.2f s%s)", handle.name, event.elapsed_s,
                     ", cancelled" if event.cancelled else "")
        self.job_done.emit(handle)
        self.busy_changed.emit(len(self.working))

    def cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job and wait for their threads; True when all stopped in time."""
        self.cancel_all()
        deadline = time.monotonic() + timeout_ms / 1000
        for handle in list(self._handles):
            handle.thread.join(max(0.0, deadline - time.monotonic()))
        return not any(handle.thread.is_alive() for handle in self._handles)

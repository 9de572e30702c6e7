"""The worker bridge: runs core jobs on worker threads (superqt) and delivers their events as Qt signals
on the GUI thread. Jobs follow core.jobs: ``job(token, emit) -> result``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal
from superqt.utils._qthreading import WorkerBase, WorkerBaseSignals

from core.jobs import CancelToken, Event, Failed, Finished, Job, run_job

log = logging.getLogger(__name__)


class JobSignals(WorkerBaseSignals):
    event = Signal(object)


class JobWorker(WorkerBase):
    """A QRunnable that runs one core job; ``event`` is emitted for every job event."""

    def __init__(self, job: Job, name: str, total: int | None = None):
        super().__init__(SignalsClass=JobSignals)
        self.token = CancelToken()
        self.name = name
        self._job = job
        self._total = total

    def work(self):
        return run_job(self._job, self.token, self.signals.event.emit, name=self.name, total=self._total)

    def quit(self) -> None:
        super().quit()
        self.token.cancel()


class JobHandle(QObject):
    """The GUI-thread face of a running job: its events arrive here, on the GUI thread."""

    event = Signal(object)
    done = Signal(object)  # the last event: Finished or Failed

    def __init__(self, worker: JobWorker, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.name = worker.name
        self.last_event: Event | None = None
        self.finished = False
        worker.signals.event.connect(self._on_event)

    @property
    def token(self) -> CancelToken:
        return self.worker.token

    def cancel(self) -> None:
        self.worker.quit()

    def pause(self) -> None:
        self.worker.token.pause()

    def resume(self) -> None:
        self.worker.token.resume()

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
    busy_changed = Signal(int)  # number of running jobs

    def __init__(self, parent=None):
        super().__init__(parent)
        self._handles: list[JobHandle] = []
        pool = QThreadPool.globalInstance()
        # Long jobs (training) must not starve short ones (thumbnails, file loading) on 2-core machines.
        pool.setMaxThreadCount(max(pool.maxThreadCount(), 8))

    @property
    def running(self) -> list[JobHandle]:
        return list(self._handles)

    def start(self, job: Job, name: str, *, on_event: Callable[[Event], None] | None = None,
              total: int | None = None, report_errors: bool = True) -> JobHandle:
        worker = JobWorker(job, name, total)
        handle = JobHandle(worker, self)
        if on_event is not None:
            handle.event.connect(on_event)
        handle.done.connect(lambda event, h=handle: self._on_done(h, event, report_errors))
        self._handles.append(handle)
        worker.start()
        log.info("job started: %s", name)
        self.job_started.emit(handle)
        self.busy_changed.emit(len(self._handles))
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
        self.busy_changed.emit(len(self._handles))
        handle.deleteLater()

    def cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job and wait for the worker threads; True when all stopped in time."""
        self.cancel_all()
        return QThreadPool.globalInstance().waitForDone(timeout_ms)

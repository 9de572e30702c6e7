"""The job protocol: long work in core reports small immutable events and obeys a cancel token.

A job is a function ``job(token, emit) -> result``. It calls ``emit(event)`` with the events below and
``token.check()`` between units of work (which raises :class:`JobCancelled` when cancelled and blocks
while paused). :func:`run_job` wraps it: it emits :class:`Started` first and exactly one of
:class:`Finished` or :class:`Failed` last. Nothing here knows about Qt; the GUI delivers events as
signals, the CLI prints them.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np


class JobCancelled(Exception):
    """Raised by :meth:`CancelToken.check` when the job has been asked to stop."""


class CancelToken:
    """Thread-safe cancel / pause / resume flags shared by a job and whoever controls it."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake a paused job so it can see the cancel

    def pause(self) -> None:
        if not self._cancelled.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; returns False if still paused after ``timeout``."""
        return self._running.wait(timeout)

    def check(self) -> None:
        """Call between units of work: blocks while paused, raises JobCancelled once cancelled."""
        if self._cancelled.is_set():
            raise JobCancelled()
        if not self._running.is_set():
            self._running.wait()
            if self._cancelled.is_set():
                raise JobCancelled()


def _frozen_array(array: np.ndarray) -> np.ndarray:
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


@dataclass(frozen=True)
class Event:
    """Base class of all job events."""

    time: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class Started(Event):
    name: str
    total: int | None = None


@dataclass(frozen=True)
class Progress(Event):
    done: int
    total: int | None = None
    eta_s: float | None = None  # seconds left, once a rate is known
    rate: float | None = None  # units per second
    message: str = ""

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


@dataclass(frozen=True)
class Metrics(Event):
    step: int
    values: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType({k: float(v) for k, v in self.values.items()}))


@dataclass(frozen=True)
class Images(Event):
    step: int
    images: tuple[tuple[str, np.ndarray], ...]  # (name, HxWx3 uint8) pairs, read-only copies

    def __post_init__(self) -> None:
        frozen = tuple((str(name), _frozen_array(arr)) for name, arr in self.images)
        object.__setattr__(self, "images", frozen)


@dataclass(frozen=True)
class Message(Event):
    text: str
    level: str = "info"  # info, warning, error


@dataclass(frozen=True)
class Finished(Event):
    result: Any = None
    elapsed_s: float = 0.0
    cancelled: bool = False


@dataclass(frozen=True)
class Failed(Event):
    error: str  # one line for the user
    details: str = ""  # traceback
    exception_type: str = ""
    elapsed_s: float = 0.0


Emit = Callable[[Event], None]
Job = Callable[[CancelToken, Emit], Any]


def run_job(job: Job, token: CancelToken, emit: Emit, name: str = "job", total: int | None = None) -> Any:
    """Run ``job`` with the protocol's framing; never raises for the job's own errors."""
    start = time.monotonic()
    emit(Started(name=name, total=total))
    try:
        result = job(token, emit)
    except JobCancelled:
        emit(Finished(result=None, elapsed_s=time.monotonic() - start, cancelled=True))
        return None
    except Exception as exc:  # noqa: BLE001 - the protocol turns every job error into an event
        emit(Failed(error=str(exc) or type(exc).__name__, details=traceback.format_exc(),
                    exception_type=type(exc).__name__, elapsed_s=time.monotonic() - start))
        return None
    emit(Finished(result=result, elapsed_s=time.monotonic() - start, cancelled=token.cancelled))
    return result


def generator_job(factory: Callable[[CancelToken], Iterable[Event]]) -> Job:
    """Adapt a generator of events (``factory(token)`` yields events) to the callback protocol.

    The generator's return value becomes the job's result.
    """

    def job(token: CancelToken, emit: Emit) -> Any:
        generator = iter(factory(token))
        while True:
            token.check()
            try:
                event = next(generator)
            except StopIteration as stop:
                return stop.value
            emit(event)

    return job


class ProgressReporter:
    """Turns 'one more unit done' into throttled :class:`Progress` events with a smoothed rate and ETA."""

    def __init__(self, emit: Emit, total: int | None, min_interval_s: float = 0.05, smoothing: float = 0.3,
                 clock: Callable[[], float] = time.monotonic):
        self._emit = emit
        self.total = total
        self.done = 0
        self._min_interval = min_interval_s
        self._smoothing = smoothing
        self._clock = clock
        self._start = clock()
        self._last_emit = -float("inf")
        self._last_time = self._start
        self._last_done = 0
        self.rate: float | None = None

    def advance(self, count: int = 1, message: str = "") -> None:
        self.done += count
        now = self._clock()
        finished = self.total is not None and self.done >= self.total
        if not finished and now - self._last_emit < self._min_interval:
            return
        elapsed = now - self._last_time
        if elapsed > 0:
            instant = (self.done - self._last_done) / elapsed
            self.rate = instant if self.rate is None else (
                self._smoothing * instant + (1 - self._smoothing) * self.rate)
        self._last_time, self._last_done = now, self.done
        eta = None
        if self.total is not None and self.rate:
            eta = max(0.0, (self.total - self.done) / self.rate)
        self._last_emit = now
        self._emit(Progress(done=self.done, total=self.total, eta_s=eta, rate=self.rate, message=message))


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"

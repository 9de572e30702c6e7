from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from core.jobs import (
    CancelToken,
    Failed,
    Finished,
    Images,
    JobCancelled,
    Message,
    Metrics,
    Progress,
    ProgressReporter,
    Started,
    format_eta,
    generator_job,
    run_job,
)


def collect():
    events = []
    return events, events.append


def test_run_job_frames_events_and_returns_result():
    events, emit = collect()

    def job(token, emit):
        emit(Progress(done=1, total=2))
        emit(Metrics(step=1, values={"loss": 0.5}))
        return 42

    assert run_job(job, CancelToken(), emit, name="demo", total=2) == 42
    assert [type(e) for e in events] == [Started, Progress, Metrics, Finished]
    assert events[0].name == "demo" and events[-1].result == 42 and not events[-1].cancelled


def test_failure_becomes_failed_event_with_traceback():
    events, emit = collect()

    def job(token, emit):
        raise ValueError("bad shape (3, 4)")

    assert run_job(job, CancelToken(), emit) is None
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert failed.error == "bad shape (3, 4)" and failed.exception_type == "ValueError"
    assert "Traceback" in failed.details and "bad shape" in failed.details


def test_cancel_stops_the_job_at_its_next_check():
    events, emit = collect()
    token = CancelToken()
    steps = []

    def job(token, emit):
        for i in range(1000):
            token.check()
            steps.append(i)
            if i == 5:
                token.cancel()
        return "never"

    run_job(job, token, emit)
    assert steps == list(range(6))
    assert isinstance(events[-1], Finished) and events[-1].cancelled and events[-1].result is None


def test_pause_blocks_until_resume():
    token = CancelToken()
    progress = []

    def worker():
        for i in range(100):
            token.check()
            progress.append(i)
            time.sleep(0.001)

    token.pause()
    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.1)
    assert progress == [] and token.paused
    token.resume()
    thread.join(5)
    assert progress == list(range(100))


def test_cancel_wakes_a_paused_job():
    token = CancelToken()
    token.pause()
    result = []

    def worker():
        try:
            token.check()
        except JobCancelled:
            result.append("cancelled")

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.05)
    token.cancel()
    thread.join(2)
    assert result == ["cancelled"]


def test_generator_jobs_forward_events_and_return_value():
    events, emit = collect()

    def gen(token):
        yield Message(text="hello")
        yield Progress(done=1, total=1)
        return "done"

    assert run_job(generator_job(gen), CancelToken(), emit) == "done"
    assert [type(e) for e in events] == [Started, Message, Progress, Finished]


def test_events_are_immutable():
    metrics = Metrics(step=1, values={"loss": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        metrics.step = 2
    with pytest.raises(TypeError):
        metrics.values["loss"] = 3
    source = np.zeros((2, 2, 3), np.uint8)
    images = Images(step=0, images=(("grid", source),))
    source[0, 0, 0] = 9  # the event holds a copy
    assert images.images[0][1][0, 0, 0] == 0
    with pytest.raises(ValueError):
        images.images[0][1][0, 0, 0] = 1


def test_progress_reporter_throttles_and_estimates_eta():
    events, emit = collect()
    clock = [0.0]
    reporter = ProgressReporter(emit, total=100, min_interval_s=0.05, clock=lambda: clock[0])
    for _ in range(100):
        clock[0] += 0.01  # 100 units per second
        reporter.advance()
    # one event per 50 ms of work plus the final one
    assert 15 <= len(events) <= 22
    assert events[-1].done == 100 and events[-1].fraction == 1.0
    middle = events[len(events) // 2]
    assert middle.rate == pytest.approx(100, rel=0.05)
    assert middle.eta_s == pytest.approx((100 - middle.done) / 100, rel=0.1)


def test_format_eta():
    assert format_eta(None) == "--:--"
    assert format_eta(65) == "01:05"
    assert format_eta(3725) == "1:02:05"

from __future__ import annotations

import threading
import time

import pytest

from core.jobs import Failed, Finished, Progress, Started


def loop_job(steps: list, count: int, pause_s: float):
    """A job that records each of ``count`` steps, checking its token before each."""
    def job(token, emit):
        for i in range(count):
            token.check()
            steps.append(i)
            time.sleep(pause_s)
        return len(steps)

    return job


def test_worker_job_can_be_cancelled(qtbot, window):
    steps = []
    handle = window.bridge.start(loop_job(steps, 10_000, 0.001), "long job")
    qtbot.waitUntil(lambda: len(steps) > 5, timeout=5000)
    with qtbot.waitSignal(handle.done, timeout=5000) as blocker:
        handle.cancel()
    event = blocker.args[0]
    assert isinstance(event, Finished) and event.cancelled and event.result is None
    assert len(steps) < 10_000


def test_worker_pause_and_resume(qtbot, window):
    steps = []
    handle = window.bridge.start(loop_job(steps, 200, 0.002), "pausable")
    qtbot.waitUntil(lambda: len(steps) > 3, timeout=5000)
    handle.pause()
    time.sleep(0.05)
    frozen = len(steps)
    qtbot.wait(100)
    assert len(steps) <= frozen + 1
    with qtbot.waitSignal(handle.done, timeout=10_000) as blocker:
        handle.resume()
    assert blocker.args[0].result == 200


def test_five_thousand_progress_events_reach_the_gui_thread(qtbot, window):
    """Canary for PySide6 6.12.0 on Python 3.11, which aborts after a few thousand emits."""
    received = []
    gui_thread = threading.current_thread()
    threads = set()

    def on_event(event):
        threads.add(threading.current_thread())
        if isinstance(event, Progress):
            received.append(event.done)

    def job(token, emit):
        for i in range(5000):
            emit(Progress(done=i + 1, total=5000))
        return "ok"

    handle = window.bridge.start(job, "canary", on_event=on_event)
    with qtbot.waitSignal(handle.done, timeout=30_000) as blocker:
        pass
    assert isinstance(blocker.args[0], Finished) and blocker.args[0].result == "ok"
    assert received == list(range(1, 5001))
    assert threads == {gui_thread}


def test_failed_job_reaches_the_error_dialog(qtbot, window):
    def job(token, emit):
        raise RuntimeError("the model file is corrupt")

    events = []
    handle = window.bridge.start(job, "broken job", on_event=events.append)
    qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1, timeout=5000)
    dialog = window.errors.dialogs[0]
    assert dialog.windowTitle() == "broken job failed"
    assert dialog.text() == "the model file is corrupt"
    assert "RuntimeError" in dialog.detailedText()
    assert [type(e) for e in events] == [Started, Failed]
    assert handle.finished


def test_uncaught_exception_in_any_thread_opens_the_error_dialog(qtbot, window):
    window.errors.install_hooks()
    try:
        def boom():
            raise ValueError("thread exploded")

        thread = threading.Thread(target=boom, name="helper")
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1, timeout=5000)
        assert "In helper: ValueError: thread exploded" in window.errors.dialogs[0].text()
    finally:
        window.errors.uninstall_hooks()


@pytest.mark.slow
def test_tensorflow_loads_in_the_background(qtbot, window):
    window.load_tensorflow()
    assert window.tf_status.text() == "Loading TensorFlow…"
    with qtbot.waitSignal(window.tensorflow_ready, timeout=120_000) as blocker:
        pass
    report = blocker.args[0]
    assert window.tf_status.text().startswith(f"TensorFlow {report.tensorflow}")
    assert "CPU" in window.tf_status.toolTip()


@pytest.mark.slow
def test_tensorflow_job_runs_while_the_gui_thread_is_busy(qtbot, window):
    """Regression: TF on pooled Qt threads segfaulted in its first tf.constant while a GUI timer ran Python."""
    from PySide6.QtCore import QTimer

    ticks = []
    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()

    def job(token, emit):
        import numpy as np

        from core.runtime import tensorflow

        tf = tensorflow()
        deadline = time.monotonic() + 10
        while len(ticks) < 20 and time.monotonic() < deadline:  # make sure the GUI timer is firing
            time.sleep(0.005)
        total = 0.0
        for seed in range(5):
            array = np.random.default_rng(seed).random((4, 64, 64, 3), dtype=np.float32)
            total += float(tf.reduce_sum(tf.constant(array)))
            emit(Progress(done=seed + 1, total=5))
        return total

    handle = window.bridge.start(job, "tensorflow in a worker")
    with qtbot.waitSignal(handle.done, timeout=120_000) as blocker:
        pass
    timer.stop()
    assert isinstance(blocker.args[0], Finished) and blocker.args[0].result > 0
    assert len(ticks) >= 20

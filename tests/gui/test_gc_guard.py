"""Cyclic garbage (here holding a QObject) is collected by the GUI thread, never by a busy worker thread, also
while the worker runs and after it made a bulk of long-lived objects (as importing TensorFlow does)."""

from __future__ import annotations

import gc
import threading
import time

from PySide6.QtCore import QObject

finalized_in: list[str] = []


class _Holder:
    def __init__(self):
        self.qobject = QObject()
        self.me = self  # a reference cycle: only the cyclic collector can free it

    def __del__(self):
        finalized_in.append(threading.current_thread().name)


def test_cyclic_garbage_is_collected_in_the_gui_thread_only(qtbot):
    assert not gc.isenabled()  # automatic collection is off (gui.gc_guard, installed as in the app)
    finalized_in.clear()
    _Holder()  # garbage at once, but only a cycle collection frees it

    def allocate():  # far past the collector's thresholds: automatic collection would run in this thread
        junk = []
        for _ in range(20_000):
            pair = [None]
            pair[0] = pair
            junk.append(pair)

    worker = threading.Thread(target=allocate, name="busy-worker")
    worker.start()
    worker.join()
    assert finalized_in == []  # the worker did not collect it
    qtbot.waitUntil(lambda: bool(finalized_in), timeout=5000)  # the GUI thread's timer did
    assert finalized_in == [threading.main_thread().name]


class _Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        finalized_in.append(threading.current_thread().name)


def test_a_running_workers_garbage_is_collected_in_the_gui_thread_and_bulks_are_frozen(qtbot, monkeypatch):
    assert not gc.isenabled()
    # What the suite left alive so far is out of the way (in the app, startup's freezes do this), and a slow
    # collection on a loaded CI machine must not decide the outcome: the bound on milliseconds is a safety net
    # tested in tests/core/test_bounded_gc.py; here the object counts decide what is frozen.
    from gui.gc_guard import collect_in_gui_thread

    collector = collect_in_gui_thread().collector
    gc.collect()
    collector.freeze()
    monkeypatch.setattr(collector, "max_ms", 10_000.0)
    finalized_in.clear()
    frozen_before = gc.get_freeze_count()
    kept = []

    def work():  # like a training thread: a bulk of long-lived objects (an import, a model), then steps
        kept.append([[i] for i in range(200_000)])
        for _ in range(200):
            for _ in range(20):
                _Cycle()  # cyclic garbage: freed only by a collection
            [[None] for _ in range(2_000)]  # allocations that would trigger automatic collection here
            time.sleep(0.005)

    worker = threading.Thread(target=work, name="busy-worker")
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=30_000)  # the GUI's event loop runs meanwhile
    qtbot.waitUntil(lambda: len(finalized_in) >= 4000 - 700, timeout=5000)
    assert set(finalized_in) == {threading.main_thread().name}
    assert gc.get_freeze_count() - frozen_before >= 200_000  # the bulk is out of every later collection

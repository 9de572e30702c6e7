"""Cyclic garbage (here holding a QObject) is collected by the GUI thread, never by a busy worker thread."""

from __future__ import annotations

import gc
import threading

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

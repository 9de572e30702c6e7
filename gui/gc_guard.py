"""Python's cyclic garbage collector runs only in the GUI thread while the app is up.

With automatic collection, whichever thread happens to allocate runs the collector, so a training thread can
end up destroying Qt objects that became cyclic garbage. A QObject destroyed off the GUI thread takes Qt's
signal-slot lock and then waits for the GIL, while the GUI thread, holding the GIL, waits for that lock:
the app freezes (seen in the test suite: a training job's tf.function trace collected an old window's menu).
pyqtgraph's GarbageCollector turns automatic collection off and collects on a GUI-thread timer instead.
"""

from __future__ import annotations

import gc
import sys

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_in_gui_thread(interval_s: float = 1.0) -> GarbageCollector:
    """Turns automatic collection off and collects on a GUI-thread timer (idempotent; needs a QApplication)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=interval_s)
    return _collector


def application():
    """The process's QApplication (created if needed) with cyclic garbage collected on its thread: how the app,
    the screenshot script and the GUI benchmarks start Qt."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_in_gui_thread()
    return app


def restore_automatic_collection() -> None:
    global _collector
    if _collector is not None:
        _collector.timer.stop()
        _collector = None
    gc.enable()

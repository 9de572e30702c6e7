"""Python's cyclic garbage collector runs only in the GUI thread while the app is up, in short steps.

With automatic collection, whichever thread happens to allocate runs the collector, so a training thread can
end up destroying Qt objects that became cyclic garbage. A QObject destroyed off the GUI thread takes Qt's
signal-slot lock and then waits for the GIL, while the GUI thread, holding the GIL, waits for that lock:
the app freezes (seen in the test suite: a training job's tf.function trace collected an old window's menu).
So automatic collection is off and a GUI-thread timer collects instead (as pyqtgraph's GarbageCollector
does). Collecting there pauses the GUI, so the timer drives core.bounded_gc.BoundedCollector, which never
traverses more than ~10,000 objects at once and freezes bulks of long-lived objects (TensorFlow, Keras,
built and traced models) instead of collecting them over and over.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QTimer

from core.bounded_gc import BoundedCollector


class GuiThreadCollector:
    """Turns automatic collection off; a timer in the creating (GUI) thread collects in bounded steps."""

    def __init__(self, interval_s: float = 0.05):
        self.collector = BoundedCollector()
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.collector.tick)
        self.timer.start(max(1, int(interval_s * 1000)))

    def stop(self) -> None:
        self.timer.stop()


_collector: GuiThreadCollector | None = None


def collect_in_gui_thread(interval_s: float = 0.05) -> GuiThreadCollector:
    """Turns automatic collection off and collects on a GUI-thread timer (idempotent; needs a QApplication)."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(interval_s)
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
        _collector.stop()
        _collector = None
    gc.enable()

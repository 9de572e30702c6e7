"""One error dialog for everything: job failures, bad files and uncaught exceptions from any thread."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


class ErrorReporter(QObject):
    """Thread-safe: ``report`` may be called from any thread; dialogs open on the GUI thread."""

    _requested = Signal(str, str, str)  # title, message, details
    shown = Signal(object)  # the QMessageBox, for tests and screenshots

    def __init__(self, parent_widget: QWidget | None, log_path: str = ""):
        super().__init__()
        self._parent_widget = parent_widget
        self.log_path = log_path
        self.dialogs: list[QMessageBox] = []
        self._requested.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._previous_hooks = None

    def report(self, title: str, message: str, details: str = "") -> None:
        log.error("%s: %s\n%s", title, message, details)
        self._requested.emit(title, message, details)

    def _show(self, title: str, message: str, details: str) -> None:
        box = QMessageBox(self._parent_widget)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(message)
        if self.log_path:
            box.setInformativeText(f"Nothing was lost. Details are in the log file:\n{self.log_path}")
        if details:
            box.setDetailedText(details)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        self.dialogs.append(box)
        box.open()  # window-modal, never blocks the event loop
        self.shown.emit(box)

    # uncaught exceptions ---------------------------------------------------------------------------
    def install_hooks(self) -> None:
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall_hooks(self) -> None:
        if self._previous_hooks:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None

    def _excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.report("Unexpected error", f"{exc_type.__name__}: {exc}", details)

    def _thread_excepthook(self, args) -> None:
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        name = args.thread.name if args.thread else "a worker thread"
        self.report("Unexpected error", f"In {name}: {args.exc_type.__name__}: {args.exc_value}", details)

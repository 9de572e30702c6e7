"""Save label maps in the background as they change: at most ``interval`` seconds of edits are ever unsaved.

``submit`` is cheap (it only keeps a reference to the latest snapshot); a daemon thread writes the newest
snapshot of each path atomically, so older snapshots that arrive in between are skipped, never queued.
The first write into a folder removes the temp files that earlier, interrupted saves left there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.atomic import remove_stale_temp_files
from core.maskio import write_mask

log = logging.getLogger(__name__)


class Autosaver:
    def __init__(self, interval: float = 0.5,
                 on_saved: Callable[[Path], None] | None = None,
                 on_error: Callable[[Path, Exception], None] | None = None,
                 writer: Callable[[Path, np.ndarray, dict], object] = write_mask):
        self.interval = float(interval)
        self.on_saved = on_saved
        self.on_error = on_error
        self._writer = writer
        self._pending: dict[Path, object] = {}  # (labels, names) or a callable returning them
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._writing = False
        self._closed = False
        self._urgent = False
        self._cleaned: set[Path] = set()  # folders whose stale temp files were removed (first write there)
        self._thread = threading.Thread(target=self._run, name="mask-autosave", daemon=True)
        self._thread.start()

    def submit(self, path: str | Path, labels: np.ndarray, names: dict[int, str]) -> None:
        """Queue the latest state of ``path`` (the array is copied, so the caller may keep editing it)."""
        snapshot = (np.array(labels, dtype=np.uint8, copy=True), dict(names))
        with self._lock:
            if self._closed:
                raise RuntimeError("autosaver is closed")
            self._pending[Path(path)] = snapshot
            self._wake.notify()

    def submit_snapshot(self, path: str | Path, snapshot: Callable[[], tuple[np.ndarray, dict]]) -> None:
        """Like :meth:`submit`, but the copy is taken on the saving thread when it writes, so a caller that
        edits a large map many times a second pays nothing per edit. If an edit races the copy, that edit
        submits again and the next write (``interval`` later) has it."""
        with self._lock:
            if self._closed:
                raise RuntimeError("autosaver is closed")
            self._pending[Path(path)] = snapshot
            self._wake.notify()

    def pending(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._writing

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until everything submitted so far is written (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._urgent = True
            self._wake.notify()
            while self._pending or self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float = 10.0) -> bool:
        done = self.flush(timeout)
        with self._lock:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout)
        return done

    def _run(self) -> None:
        last_write = 0.0
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed and not self._pending:
                    return
                # Writes are spaced by ``interval`` so a burst of edits costs one write, not one per edit.
                # (new submissions wake the wait early: keep waiting until the deadline; flush and close
                # set ``_urgent`` so they do not wait)
                deadline = last_write + self.interval
                while not self._closed and not self._urgent and time.monotonic() < deadline:
                    self._wake.wait(deadline - time.monotonic())
                self._urgent = False
                batch, self._pending = self._pending, {}
                self._writing = True
            for path, state in batch.items():
                try:
                    if path.parent not in self._cleaned:
                        self._cleaned.add(path.parent)
                        remove_stale_temp_files(path.parent)
                    labels, names = state() if callable(state) else state
                    self._writer(path, labels, names)
                except Exception as error:  # a full disk or a vanished folder must not kill the thread
                    log.exception("autosave of %s failed", path)
                    if self.on_error:
                        self.on_error(path, error)
                else:
                    if self.on_saved:
                        self.on_saved(path)
            last_write = time.monotonic()
            with self._lock:
                self._writing = False
                self._idle.notify_all()

"""Runs the click segmenter of the current image on its own thread, with "latest request wins" coalescing.

Commands (clicks, strokes, undo, ...) are cheap and all applied, in order; the expensive update runs once
after the queue drains, so ten fast clicks cost one or two updates, never ten stale ones. Results arrive on
the GUI thread as signals, tagged with the image generation and the number of commands they include.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.segmentation import ClickSegmenter
from core.segmentation.render import object_rgba, probability_rgba

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectResult:
    generation: int  # which image (set_image call) this belongs to
    revision: int  # commands applied so far for this image
    work_scale: float  # work pixels per image pixel
    picture: np.ndarray  # RGBA at work resolution: the object, or its probabilities
    has_object: bool
    interactions: int
    can_undo: bool
    can_redo: bool
    seconds: float  # time of the update


@dataclass(frozen=True)
class AcceptedObject:
    generation: int
    revision: int
    mask: np.ndarray  # full resolution bool
    label: int
    name: str | None


class ObjectWorker(QObject):
    ready = Signal(int)  # generation: the segmenter of that image is prepared
    result = Signal(object)  # ObjectResult
    accepted = Signal(object)  # AcceptedObject
    failed = Signal(str)
    _from_thread = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lock = threading.Condition()
        self._queue: deque = deque()
        self._generation = 0
        self._revision = 0
        self._closed = False
        self._color = (255, 200, 0)
        self._show_probabilities = False
        self._segmenter: ClickSegmenter | None = None
        self._from_thread.connect(self._deliver)
        self._thread = threading.Thread(target=self._run, name="click-segmenter", daemon=True)
        self._thread.start()

    # GUI-thread API ---------------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self._generation

    @property
    def revision(self) -> int:
        return self._revision

    def set_image(self, rgb: np.ndarray | None, prior: np.ndarray | None = None) -> int:
        """Start on a new image (pending commands for the old one are dropped). Returns its generation."""
        with self._lock:
            self._generation += 1
            self._revision = 0
            self._queue.clear()
            self._queue.append((self._generation, 0, "prepare", (rgb, prior)))
            self._lock.notify()
            return self._generation

    def submit(self, command: str, *args) -> int:
        """Queue ``command`` ('click', 'stroke', 'undo', 'redo', 'reset', 'prior', 'accept', 'style');
        returns the revision whose result will include it."""
        with self._lock:
            self._revision += 1
            self._queue.append((self._generation, self._revision, command, args))
            self._lock.notify()
            return self._revision

    def set_style(self, color, show_probabilities: bool) -> int:
        return self.submit("style", tuple(int(c) for c in color), bool(show_probabilities))

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._lock.notify()
        self._thread.join(timeout)

    def _deliver(self, item) -> None:
        kind, payload = item
        getattr(self, kind).emit(payload)

    # worker thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                batch = list(self._queue)
                self._queue.clear()
            try:
                self._apply(batch)
            except Exception as error:  # a bug here must not kill the thread: report it, keep serving
                log.error("click segmentation failed:\n%s", traceback.format_exc())
                self._from_thread.emit(("failed", f"Click segmentation failed: {error}"))

    def _apply(self, batch) -> None:
        generation, revision, dirty = None, 0, False
        for generation, revision, command, args in batch:
            if command == "prepare":
                rgb, prior = args
                self._segmenter = None if rgb is None else ClickSegmenter(rgb, prior=prior)
                self._from_thread.emit(("ready", generation))
                dirty = self._segmenter is not None
                continue
            if generation != self._current_generation():
                continue  # a command for an image that has since been replaced
            seg = self._segmenter
            if command == "style":
                self._color, self._show_probabilities = args
            elif seg is None:
                continue
            elif command == "click":
                seg.add_click(*args)
            elif command == "stroke":
                seg.add_stroke(*args)
            elif command == "undo":
                seg.undo()
            elif command == "redo":
                seg.redo()
            elif command == "reset":
                seg.reset()
            elif command == "prior":
                seg.set_prior(args[0])
            elif command == "accept":
                label, name = args
                mask = seg.mask()
                if mask.any():
                    self._from_thread.emit(("accepted", AcceptedObject(generation, revision, mask, label, name)))
                seg.reset()
                seg.set_prior(None)
            dirty = True
        # Coalescing: however many commands the batch held, the model runs once, for the state after them.
        if dirty and generation == self._current_generation() and self._segmenter is not None:
            self._publish(generation, revision)

    def _current_generation(self) -> int:
        with self._lock:
            return self._generation

    def _publish(self, generation: int, revision: int) -> None:
        seg = self._segmenter
        start = time.perf_counter()
        prob = seg.work_probabilities()
        mask = prob > 0.49
        picture = probability_rgba(prob) if self._show_probabilities and mask.any() else object_rgba(
            mask, self._color)
        self._from_thread.emit(("result", ObjectResult(
            generation, revision, seg.scale, picture, bool(mask.any()), len(seg.interactions), seg.can_undo(),
            seg.can_redo(), time.perf_counter() - start)))

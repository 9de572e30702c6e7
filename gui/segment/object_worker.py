"""Runs the click segmenter of the current image off the GUI thread, with "latest request wins" coalescing.

The segmenter itself lives in a child process (``core.segmentation.remote``: its graph cut holds the GIL);
this object's thread feeds it commands and turns its answers into pictures.

Commands (clicks, strokes, undo, ...) are cheap and all applied, in order; the expensive update runs once
after the queue drains, so ten fast clicks cost one or two updates, never ten stale ones. Results arrive on
the GUI thread as signals, tagged with the image generation and the number of commands they include.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.segmentation.label_map import Region
from core.segmentation.remote import RemoteDied, RemoteSegmenter

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
    region: Region  # the object's bounding box in the image
    mask: np.ndarray  # bool, cropped to ``region``
    label: int
    name: str | None
    interactions: tuple = ()  # the object's clicks and strokes, to restore if its acceptance is undone


class ObjectWorker(QObject):
    ready = Signal(int)  # generation: the segmenter of that image is prepared
    result = Signal(object)  # ObjectResult
    accepted = Signal(object)  # AcceptedObject
    failed = Signal(str)
    restarted = Signal(int)  # generation: the segmenter restarted on this image with no clicks
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
        self._remote: RemoteSegmenter | None = None  # the segmenter lives in a child process (see remote.py)
        self._prepared = False
        self._image: tuple | None = None  # (rgb, prior) of the current image, to restart the child with
        self._call_lock = threading.RLock()
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
        """Queue ``command`` ('click', 'stroke', 'undo', 'redo', 'reset', 'prior', 'restore', 'accept', 'style');
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
        if self._remote is not None:
            self._remote.close()
            self._remote = None

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
                with self._call_lock:
                    self._apply(batch)
            except RemoteDied:
                log.error("the click-segmentation process died:\n%s", traceback.format_exc())
                self._restart()
            except Exception as error:  # a bug here must not kill the thread: report it, keep serving
                log.error("click segmentation failed:\n%s", traceback.format_exc())
                self._from_thread.emit(("failed", f"Click segmentation failed: {error.__class__.__name__}: "
                                                  f"{str(error).strip().splitlines()[-1]}"))

    def _restart(self) -> None:
        """The child process died (killed, out of memory): start a new one on the same image. The current
        object's clicks are lost (the label map is not: it lives in the GUI process)."""
        with self._call_lock:
            if self._remote is not None:
                self._remote.close(timeout=1)
            self._remote = None
            self._prepared = False
            try:
                if self._image is not None:
                    self._remote_segmenter().prepare(*self._image)
                    self._prepared = True
            except Exception:
                log.error("restarting click segmentation failed:\n%s", traceback.format_exc())
        self._from_thread.emit(("failed", "Click segmentation had to restart: the current object's clicks "
                                          "were lost (your accepted objects and edits are safe). Click again."))
        self._from_thread.emit(("restarted", self._current_generation()))

    def _apply(self, batch) -> None:
        generation, revision, dirty = None, 0, False
        for generation, revision, command, args in batch:
            if command == "prepare":
                rgb, prior = args
                self._prepared = False
                self._image = None if rgb is None else (rgb, prior)
                if rgb is not None:
                    self._remote_segmenter().prepare(rgb, prior)
                    self._prepared = True
                self._from_thread.emit(("ready", generation))
                dirty = self._prepared
                continue
            if generation != self._current_generation():
                continue  # a command for an image that has since been replaced
            if command == "style":
                self._color, self._show_probabilities = args
            elif not self._prepared:
                continue
            elif command == "accept":
                label, name = args
                region, mask = self._remote.mask()
                if not region.empty:
                    interactions = tuple(self._remote.call("interactions"))
                    self._from_thread.emit(("accepted", AcceptedObject(generation, revision, region, mask, label,
                                                                       name, interactions)))
                self._remote.call("reset")
                self._remote.call("prior", None)
            else:  # click, stroke, undo, redo, reset, prior: cheap, recorded in the child
                self._remote.call(command, *args)
            dirty = True
        # Coalescing: however many commands the batch held, the model runs once, for the state after them.
        if dirty and generation == self._current_generation() and self._prepared:
            self._publish(generation, revision)

    def _remote_segmenter(self) -> RemoteSegmenter:
        if self._remote is None:
            self._remote = RemoteSegmenter()
        return self._remote

    def interactions(self) -> list:
        """The current object's clicks and strokes, as the child holds them (for tests and diagnostics)."""
        with self._call_lock:
            return self._remote.call("interactions") if self._remote is not None and self._prepared else []

    def _current_generation(self) -> int:
        with self._lock:
            return self._generation

    def _publish(self, generation: int, revision: int) -> None:
        remote = self._remote.result(self._color, self._show_probabilities)
        self._from_thread.emit(("result", ObjectResult(
            generation, revision, remote.scale, remote.picture, remote.has_object, remote.interactions,
            remote.can_undo, remote.can_redo, remote.seconds)))

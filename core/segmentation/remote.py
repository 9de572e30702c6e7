"""A ClickSegmenter in a child process.

PyMaxflow holds the GIL for the whole graph cut (measured: a 0.5 Mpx cut stops every other Python thread
for up to a second), so running the segmenter on a thread of the GUI process would freeze the window.
In a child process it cannot, and it gets a core of its own. The process is started once and serves one
image at a time; commands are cheap messages, results come back as arrays.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RemoteResult:
    picture: np.ndarray  # RGBA at work resolution: the object outlined, or its probabilities
    has_object: bool
    scale: float
    interactions: int
    can_undo: bool
    can_redo: bool
    seconds: float


class RemoteError(RuntimeError):
    """The child failed on a command (its traceback is the message)."""


class RemoteDied(RemoteError):
    """The child process is gone (killed, crashed, out of memory)."""


def _serve(conn) -> None:  # runs in the child
    import time
    import traceback

    from core.segmentation.click_segmenter import ClickSegmenter
    from core.segmentation.label_map import region_of
    from core.segmentation.render import object_rgba, probability_rgba

    segmenter = None
    while True:
        try:
            command, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if command == "close":
                conn.send((True, None))
                return
            if command == "prepare":
                rgb, prior = args
                segmenter = ClickSegmenter(rgb, prior=prior)
                reply = (segmenter.scale, segmenter.shape)
            elif segmenter is None:
                raise RuntimeError("no image prepared")
            elif command == "result":
                # the picture is drawn here too: numpy work in the GUI process would compete for its GIL
                color, show_probabilities = args
                start = time.perf_counter()
                prob = segmenter.work_probabilities()
                mask = prob > 0.49
                picture = probability_rgba(prob) if show_probabilities and mask.any() else object_rgba(mask, color)
                reply = RemoteResult(picture, bool(mask.any()), segmenter.scale, len(segmenter.interactions), segmenter.can_undo(),
                                     segmenter.can_redo(), time.perf_counter() - start)
            elif command == "mask":
                mask = segmenter.mask()
                region = region_of(mask)
                crop = mask[region.slices]
                reply = (region, np.packbits(crop), crop.shape)  # only the object's box, 8x packed
            elif command == "interactions":
                reply = list(segmenter.interactions)
            else:
                method = {"click": segmenter.add_click, "stroke": segmenter.add_stroke, "undo": segmenter.undo,
                          "redo": segmenter.redo, "reset": segmenter.reset, "prior": segmenter.set_prior,
                          "restore": segmenter.restore}[command]
                method(*args)
                reply = None
            conn.send((True, reply))
        except Exception:
            conn.send((False, traceback.format_exc()))


class RemoteSegmenter:
    """Call from one thread at a time (the GUI's object worker); every call blocks until the child answers."""

    def __init__(self):
        context = mp.get_context("spawn")  # never fork a process that may hold Qt and TensorFlow threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="seggan-click-segmenter", daemon=True)
        self._process.start()
        child.close()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def call(self, command: str, *args):
        with self._lock:
            if not self._process.is_alive():
                raise RemoteDied("the click-segmentation process has stopped")
            try:
                self._conn.send((command, args))
                ok, reply = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as error:
                raise RemoteDied(f"the click-segmentation process died: {error}") from error
        if not ok:
            raise RemoteError(reply)
        return reply

    def prepare(self, rgb: np.ndarray, prior: np.ndarray | None = None) -> tuple[float, tuple[int, int]]:
        return self.call("prepare", rgb, prior)

    def result(self, color=(255, 200, 0), show_probabilities: bool = False) -> RemoteResult:
        return self.call("result", tuple(int(c) for c in color), bool(show_probabilities))

    def mask(self):
        """The object's mask at full resolution, as (Region, mask cropped to that region)."""
        region, packed, shape = self.call("mask")
        return region, np.unpackbits(packed, count=shape[0] * shape[1]).reshape(shape).astype(bool)

    def close(self, timeout: float = 5.0) -> None:
        if self._process.is_alive():
            try:
                self.call("close")
            except RemoteError:
                pass
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
        self._conn.close()

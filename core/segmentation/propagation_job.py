"""The propagation job: carry a frame's accepted objects through the next frames of a sequence.

Each frame's label map is the previous one's objects moved by their own motion (see ``propagation``),
i.e. the starting point the user then corrects with clicks on that frame. Frames are loaded one at a time
through ``load_frame`` so memory stays bounded to two frames whatever the sequence's length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.jobs import CancelToken, Emit, Event, Job, ProgressReporter

if TYPE_CHECKING:
    from core.segmentation.propagation import PropagationParams


@dataclass(frozen=True)
class FramePropagated(Event):
    """One frame done: its carried label map (a read-only copy) and each object's motion (rows, cols)."""

    index: int
    labels: np.ndarray
    shifts: tuple[tuple[int, tuple[float, float]], ...] = ()

    def __post_init__(self) -> None:
        labels = np.array(self.labels, copy=True)
        labels.flags.writeable = False
        object.__setattr__(self, "labels", labels)


@dataclass(frozen=True)
class PropagationResult:
    frames: tuple[int, ...]  # the indices propagated to, in order
    lost: tuple[tuple[int, int], ...]  # (frame, label): objects that left the frame (nothing carried)


def propagate_frames_job(load_frame: Callable[[int], np.ndarray], start_labels: np.ndarray, start: int,
                         stop: int, params: PropagationParams | None = None,
                         save: Callable[[int, np.ndarray], None] | None = None) -> Job:
    """A job carrying ``start_labels`` (the accepted objects of frame ``start``) to frames start+1 .. stop.

    ``load_frame(i)`` returns frame i as HxWx3 (or HxW) uint8; ``save(i, labels)``, if given, stores each
    frame's result as it is made (so a cancel keeps the frames already done). Emits ``Progress`` and
    ``FramePropagated`` per frame; the result is a :class:`PropagationResult`.
    """
    if stop <= start:
        raise ValueError(f"nothing to propagate: the last frame ({stop}) must come after the first ({start})")
    start_labels = np.array(start_labels, copy=True)
    if not (start_labels > 0).any():
        raise ValueError(f"frame {start} has no accepted object to propagate")

    def job(token: CancelToken, emit: Emit) -> PropagationResult:
        # imported here: scipy.signal and scikit-image cost ~0.4 s of the app's start-up otherwise
        from core.segmentation.propagation import propagate_labels

        reporter = ProgressReporter(emit, stop - start)
        labels = start_labels
        previous = load_frame(start)
        done, lost = [], []
        for index in range(start + 1, stop + 1):
            token.check()
            frame = load_frame(index)
            token.check()
            carried, objects = propagate_labels(previous, labels, frame, params)
            lost.extend((index, label) for label in objects if not (carried == label).any())
            if save is not None:
                save(index, carried)
            emit(FramePropagated(index=index, labels=carried,
                                 shifts=tuple((label, o.shift) for label, o in objects.items())))
            done.append(index)
            reporter.advance(message=f"frame {index}")
            labels, previous = carried, frame
            if not (labels > 0).any():
                break  # every object left the picture: nothing more to carry
        return PropagationResult(tuple(done), tuple(lost))

    return job

"""A small least-recently-used cache of decoded frames: memory stays bounded whatever a stack's depth."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class FrameCache(Generic[T]):
    """At most ``capacity`` frames, keyed by index; reading one makes it the most recent."""

    def __init__(self, capacity: int = 4):
        if capacity < 1:
            raise ValueError(f"a frame cache holds at least one frame, not {capacity}")
        self.capacity = int(capacity)
        self._frames: OrderedDict[int, T] = OrderedDict()

    def get(self, index: int) -> T | None:
        frame = self._frames.get(index)
        if frame is not None:
            self._frames.move_to_end(index)
        return frame

    def put(self, index: int, frame: T) -> None:
        self._frames[index] = frame
        self._frames.move_to_end(index)
        while len(self._frames) > self.capacity:
            self._frames.popitem(last=False)

    def indices(self) -> tuple[int, ...]:
        """Held frames, least recent first."""
        return tuple(self._frames)

    def clear(self) -> None:
        self._frames.clear()

    def __len__(self) -> int:
        return len(self._frames)

"""Errors of stacks: both are :class:`core.imageio.ImageLoadError`, so existing handlers catch them."""

from __future__ import annotations

import os

from core.imageio import ImageLoadError


class StackError(ImageLoadError):
    """The stack itself cannot be opened (missing, an empty folder, not an image, ...)."""


class FrameLoadError(ImageLoadError):
    """One frame of a stack cannot be decoded; the other frames may still load. ``index`` is 0-based."""

    def __init__(self, path: str | os.PathLike, index: int, reason: str, kind: str):
        self.index = int(index)
        super().__init__(path, f"frame {self.index}: {reason}", kind)


def frame_error(path: str | os.PathLike, index: int, exc: ImageLoadError) -> FrameLoadError:
    """``exc`` (about a frame's file or the decode of a frame) as the error of frame ``index``."""
    if isinstance(exc, FrameLoadError):
        return exc
    return FrameLoadError(path, index, exc.reason, exc.kind)

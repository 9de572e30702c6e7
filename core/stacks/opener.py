"""Open any image path or numbered-sequence folder as a stack; only headers are read here."""

from __future__ import annotations

import os
from pathlib import Path

from core.imageio import ImageLoadError, open_image
from core.stacks.animated import KINDS as ANIMATED_FORMATS
from core.stacks.animated import AnimatedImage
from core.stacks.errors import StackError
from core.stacks.sequence import find_sequence, open_sequence
from core.stacks.single import SingleImage
from core.stacks.stack import DEFAULT_CACHE_FRAMES, ImageStack
from core.stacks.tiff_pages import open_tiff


def _as_stack_error(exc: ImageLoadError) -> StackError:
    return StackError(exc.path, exc.reason, exc.kind)


def open_stack(path: str | os.PathLike, as_sequence: bool = False,
               cache_frames: int = DEFAULT_CACHE_FRAMES) -> ImageStack:
    """A stack of ``path``: a folder is a numbered sequence; a file is itself (multi-page TIFF, animated
    GIF/APNG/WebP, or an ordinary image of depth 1) unless ``as_sequence`` asks for the sequence its name
    belongs to. Raises :class:`StackError` when the source cannot be opened at all."""
    path = Path(os.fsdecode(path))
    if path.is_dir() or as_sequence:
        return open_sequence(path, cache_frames)
    try:
        image, file_size = open_image(path)
    except ImageLoadError as exc:
        raise _as_stack_error(exc) from None
    fmt, size = image.format, image.size
    try:
        frames = int(getattr(image, "n_frames", 1) or 1)
    except Exception:  # noqa: BLE001 - counting walks the file; a broken later frame fails when it is read
        frames = 1
    if fmt == "TIFF":
        image.close()
        try:
            stack = open_tiff(path, cache_frames)
        except Exception:  # noqa: BLE001 - Pillow read the header; tifffile refusing it leaves Pillow's reading
            stack = None
        return stack if stack is not None else SingleImage(path, size, cache_frames)
    if fmt in ANIMATED_FORMATS and frames > 1:
        return AnimatedImage(path, image, frames, file_size, cache_frames)
    image.close()
    return SingleImage(path, size, cache_frames)


def stack_depth(path: str | os.PathLike, as_sequence: bool = False) -> int:
    """How many frames ``path`` holds, from headers only."""
    with open_stack(path, as_sequence=as_sequence, cache_frames=1) as stack:
        return stack.n_frames


def is_stack(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder sequence or a file with several frames (headers only; False when
    unreadable: loading it then reports why)."""
    try:
        return Path(path).is_dir() or stack_depth(path) > 1
    except ImageLoadError:
        return False


__all__ = ["find_sequence", "is_stack", "open_stack", "stack_depth"]

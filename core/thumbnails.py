"""A job that makes thumbnails for a list of image files, one event per file, failures reported."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from core.imageio import ImageLoadError, load_thumbnail
from core.jobs import CancelToken, Emit, Event, Images, Job, Message
from core.pathtext import safe_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StackDepth(Event):
    """``path`` holds ``frames`` frames (a stack); emitted just before that path's ``Images`` event."""

    path: str
    frames: int


def _thumbnail(path: str, size: int):
    """(thumbnail, depth): an ordinary image through load_thumbnail (reduced decoding), a stack through
    its first frame."""
    from core.stacks import stack_depth
    from core.stacks.thumbnail import stack_thumbnail

    if not os.path.isdir(path) and stack_depth(path) == 1:
        return load_thumbnail(path, size), 1
    return stack_thumbnail(path, size)


def thumbnails_job(paths: Sequence[str | os.PathLike], size: int = 96) -> Job:
    """Emits ``Images(step=i, images=((path, thumb),))`` per readable file and a warning ``Message``
    (text ``"<path>\\t<reason>"``) per unreadable one, whatever way it fails; returns the number of
    thumbnails made. Stacks (multi-page TIFFs, animated images, sequence folders) show their first frame
    and, when they hold more than one frame, a :class:`StackDepth` event comes first."""
    paths = [os.fsdecode(p) for p in paths]

    def job(token: CancelToken, emit: Emit) -> int:
        made = 0
        for index, path in enumerate(paths):
            token.check()  # outside the try: cancelling is not a problem of this file
            try:
                thumb, depth = _thumbnail(path, size)
            except ImageLoadError as exc:
                emit(Message(text=f"{path}\t{exc.reason}", level="warning"))
                continue
            except Exception as exc:  # noqa: BLE001 - one file failing in any way must not stop the rest
                log.warning("thumbnail of %s failed", safe_text(path), exc_info=True)
                emit(Message(text=f"{path}\t{safe_text(f'unexpected error ({type(exc).__name__}: {exc})')}",
                             level="warning"))
                continue
            if depth > 1 or os.path.isdir(path):
                emit(StackDepth(path=path, frames=depth))
            emit(Images(step=index, images=((path, thumb),)))
            made += 1
        return made

    return job

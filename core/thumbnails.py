"""A job that makes thumbnails for a list of image files, one event per file, failures reported."""

from __future__ import annotations

import os
from collections.abc import Sequence

from core.imageio import ImageLoadError, load_thumbnail
from core.jobs import CancelToken, Emit, Images, Job, Message


def thumbnails_job(paths: Sequence[str | os.PathLike], size: int = 96) -> Job:
    """Emits ``Images(step=i, images=((path, thumb),))`` per readable file and a warning ``Message``
    (text ``"<path>\\t<reason>"``) per unreadable one; returns the number of thumbnails made."""
    paths = [str(p) for p in paths]

    def job(token: CancelToken, emit: Emit) -> int:
        made = 0
        for index, path in enumerate(paths):
            token.check()
            try:
                thumb = load_thumbnail(path, size)
            except ImageLoadError as exc:
                emit(Message(text=f"{path}\t{exc.reason}", level="warning"))
                continue
            emit(Images(step=index, images=((path, thumb),)))
            made += 1
        return made

    return job

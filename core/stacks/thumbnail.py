"""A stack's thumbnail (its first frame, small) and its depth, for image lists."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from core.imageio import load_thumbnail
from core.stacks.opener import open_stack


def stack_thumbnail(path: str | os.PathLike, size: int = 96) -> tuple[np.ndarray, int]:
    """(thumbnail of frame 0 as small RGB, number of frames). Ordinary images and sequence frames use
    :func:`core.imageio.load_thumbnail` (reduced decoding); other stacks shrink their decoded frame 0."""
    with open_stack(path, cache_frames=1) as stack:
        if stack.kind in ("single", "sequence"):
            return load_thumbnail(stack.frame_file(0), size), stack.n_frames
        preview = Image.fromarray(stack.frame(0).rgb)
        preview.thumbnail((size, size), Image.Resampling.BILINEAR)
        return np.asarray(preview), stack.n_frames

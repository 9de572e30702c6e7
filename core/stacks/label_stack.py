"""A stack's per-frame masks as one label TIFF stack (TYX, one page per frame), and back.

Export reads one mask at a time and hands tifffile a generator, so a long stack is never in memory as a
whole; frames without a mask are written as all background, so page i is always frame i.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.formats.label_tiff import LabelTiffError, read_label_tiff, write_label_tiff
from core.maskio import read_mask
from core.stacks.frame_masks import frame_mask_dir, frame_masks, write_frame_mask
from core.stacks.opener import open_stack


def _stack_shape(stack_path: Path) -> tuple[int, tuple[int, int]]:
    """(frames, (height, width)) from headers; a sequence's frame 0 is decoded when its header lacks it."""
    with open_stack(stack_path, cache_frames=1) as stack:
        width, height = stack.frame_size
        if not width or not height:
            meta = stack.frame(0).meta
            width, height = meta.width, meta.height
        return stack.n_frames, (height, width)


def _names_in(path: Path) -> dict:
    """The label names a studio mask carries, from its header only (an unreadable file: none; reading
    its pixels then reports the problem)."""
    from PIL import Image

    from core.masks.values import names_from

    try:
        with Image.open(path) as image:
            return names_from(image)
    except (OSError, ValueError):
        return {}


def export_label_stack(workspace, stack_path: str | os.PathLike, out_path: str | os.PathLike,
                       names: dict | None = None) -> Path:
    """Write the stack's masks as one ImageJ label TIFF (uint16, TYX) at ``out_path``, atomically.
    Names default to those the masks carry. A mask of another size than the frames is an error
    (``MaskLoadError``, naming the file) and nothing is written."""
    stack_path = Path(stack_path)
    count, shape = _stack_shape(stack_path)
    masks = frame_masks(frame_mask_dir(workspace, stack_path))
    extra = [index for index in masks if index >= count]
    if extra:
        raise ValueError(f"{stack_path.name} has {count} frames but masks exist for frame(s) {extra}")
    if names is None:
        names = {}
        for path in masks.values():
            names.update(_names_in(path))
    size = (shape[1], shape[0])

    def frames() -> Iterator[np.ndarray]:
        for index in range(count):
            path = masks.get(index)
            yield read_mask(path, expected_size=size).labels if path else np.zeros(shape, np.uint8)

    return write_label_tiff(out_path, frames(), names=names or None, shape=shape, count=count)


def read_label_stack(path: str | os.PathLike) -> tuple[np.ndarray, dict]:
    """(labels TxHxW, names): a label TIFF stack; a single label image gives T = 1."""
    labels, names = read_label_tiff(path)
    return (labels[None] if labels.ndim == 2 else labels), names


def import_label_stack(workspace, stack_path: str | os.PathLike, tiff_path: str | os.PathLike) -> list[int]:
    """Write each frame of a label TIFF stack that has any object as the stack's mask of that frame
    (replacing what was there); returns the frames written. The TIFF must have the stack's frame count
    and frame size, and ids 0..255 (what a palette label map holds)."""
    stack_path = Path(stack_path)
    labels, names = read_label_stack(tiff_path)
    count, shape = _stack_shape(stack_path)
    if labels.shape != (count, *shape):
        raise LabelTiffError(f"{tiff_path}: {labels.shape[0]} frames of {labels.shape[2]}x{labels.shape[1]}, but "
                             f"{stack_path.name} has {count} frames of {shape[1]}x{shape[0]}")
    if labels.size and labels.max() > 255:
        raise LabelTiffError(f"{tiff_path}: ids up to {labels.max()}, a label map holds 0..255")
    written = []
    for index in range(count):
        if labels[index].any():
            write_frame_mask(workspace, stack_path, index, labels[index].astype(np.uint8), names=names or None)
            written.append(index)
    return written

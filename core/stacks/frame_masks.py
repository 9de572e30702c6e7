"""Per-frame masks of a stack in a workspace: ``masks/<stem>/<index:04d>.png``.

A single image keeps its mask at ``masks/<stem>.png`` (unchanged); a stack (a file with several frames or
a sequence folder) has a folder of its own named by its stem (a sequence folder's name), one palette PNG
label map per annotated frame, named by the 0-based frame index. Frames without a mask have no file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from core.maskio import LoadedMask, read_mask, write_mask

INDEX_DIGITS = 4
_FRAME_FILE = re.compile(r"^(\d+)\.png$")


def stack_stem(stack_path: str | os.PathLike) -> str:
    """The name of a stack's mask folder: a file's stem, or a sequence folder's own name."""
    path = Path(stack_path)
    return path.name if path.is_dir() else path.stem


def frame_mask_dir(workspace, stack_path: str | os.PathLike) -> Path:
    return workspace.masks_dir / stack_stem(stack_path)


def frame_file_name(index: int) -> str:
    if index < 0:
        raise ValueError(f"frame indices start at 0, not {index}")
    return f"{int(index):0{INDEX_DIGITS}d}.png"


def frame_mask_path(workspace, stack_path: str | os.PathLike, index: int) -> Path:
    return frame_mask_dir(workspace, stack_path) / frame_file_name(index)


def write_frame_mask(workspace, stack_path: str | os.PathLike, index: int, labels: np.ndarray,
                     names: dict[int, str] | None = None) -> Path:
    """Save frame ``index``'s label map (atomically, as ``core.maskio.write_mask`` does)."""
    return write_mask(frame_mask_path(workspace, stack_path, index), labels, names=names)


def read_frame_mask(workspace, stack_path: str | os.PathLike, index: int,
                    expected_size: tuple[int, int] | None = None) -> LoadedMask | None:
    """Frame ``index``'s label map, or None when the frame has none. A broken file raises MaskLoadError."""
    path = frame_mask_path(workspace, stack_path, index)
    if not path.is_file():
        return None
    return read_mask(path, expected_size=expected_size)


def frame_masks(mask_dir: str | os.PathLike) -> dict[int, Path]:
    """{frame index: mask file} in a stack's mask folder (any zero padding), sorted by index."""
    try:
        entries = list(os.scandir(mask_dir))
    except OSError:
        return {}
    found = {}
    for entry in entries:
        match = _FRAME_FILE.match(entry.name)
        if match and entry.is_file():
            found[int(match[1])] = Path(entry.path)
    return dict(sorted(found.items()))


def masked_frames(workspace, stack_path: str | os.PathLike) -> list[int]:
    """The frames of a stack that have a mask in the workspace, in order."""
    return list(frame_masks(frame_mask_dir(workspace, stack_path)))

"""Bringing a stack into a workspace's ``images/``: a stack file is copied as is, a sequence as a sub-folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.atomic import atomic_open
from core.stacks.errors import StackError
from core.stacks.sequence import find_sequence


def _free_folder(parent: Path, name: str) -> Path:
    target, counter = parent / name, 1
    while target.exists():
        target = parent / f"{name}_{counter}"
        counter += 1
    return target


def sequence_name(source: Path) -> str:
    """The folder name a sequence gets: the folder's own name, or for a chosen frame file the part of its
    name before the number (``walk_0001.png`` -> ``walk``), else its parent folder's name."""
    if source.is_dir():
        return source.name
    prefix = source.stem.rstrip("0123456789").rstrip("_-. ")
    return prefix or source.parent.name or "sequence"


def import_stack(workspace, source: str | os.PathLike, as_sequence: bool = False) -> Path:
    """Copy a stack into the workspace and return its path there (what :func:`core.stacks.open_stack`
    opens). A file (multi-page TIFF, animated image, or an ordinary image) goes to ``images/`` like
    ``Workspace.add_image``; a sequence (a folder, or a frame file with ``as_sequence``) is copied frame
    by frame into a new ``images/<name>/`` (``<name>_1`` when taken). Nothing existing
    is overwritten."""
    source = Path(os.fsdecode(source))
    if not source.is_dir() and not as_sequence:
        return workspace.add_image(source)
    sequence = find_sequence(source)
    if sequence is None:
        raise StackError(source, "no numbered image files to import as a sequence", "empty")
    target = _free_folder(workspace.images_dir, sequence_name(source))
    # copied into a hidden folder first, renamed when complete: a failed import leaves no half sequence
    staging = workspace.images_dir / f".{target.name}.importing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for frame in sequence.files:
            with open(frame, "rb") as src, atomic_open(staging / frame.name, "wb", durable=False) as dst:
                shutil.copyfileobj(src, dst)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

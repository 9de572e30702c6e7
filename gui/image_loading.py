"""What the Image panel's workers do: open a list entry (an image, or a stack and its first frame) or one
frame of the open stack, with the mask the workspace keeps for it, and build the display QImage.

Runs on worker threads only (``core.stacks.ImageStack`` is thread-safe). A stack is opened by its headers;
its frames are decoded one at a time, on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.imageio import ImageLoadError, LoadedImage, load_image
from core.maskio import LoadedMask, read_mask
from core.workspace import Workspace
from gui.qt_image import rgb_to_qimage
from gui.scene_contrast import prepare_display


@dataclass(frozen=True)
class LoadResult:
    image: LoadedImage
    mask: LoadedMask | None
    mask_error: str | None
    qimage: object = None  # the display QImage, built on the worker (QImage, unlike QPixmap, is thread-safe)
    stack: object = None  # the core.stacks.ImageStack the image is a frame of (None: a single image)
    frame: int | None = None  # which frame of ``stack``
    display: object = None  # gui.scene_contrast.PreparedDisplay of a high-depth image (its contrast)


def load_entry(path: Path, workspace: Workspace | None, remembered=None) -> LoadResult:
    """Open a list entry: a single image, or a stack (a multi-page or animated file, a sequence folder)
    and its first frame. ``workspace``: where its masks are (None: the image is not in a workspace);
    ``remembered``: the contrast settings last used for it (high-depth images are shown under them)."""
    depth = 1
    if path.is_dir():
        depth = 2  # a folder in the list is a numbered sequence
    else:
        try:
            from core.stacks import stack_depth

            depth = stack_depth(path)
        except Exception:  # noqa: BLE001 - load_image below names the file and its problem
            depth = 1
    if depth > 1:
        from core.stacks import open_stack

        return load_frame(open_stack(path), 0, workspace, remembered=remembered)
    mask_path = workspace.mask_path(path) if workspace is not None else None
    image = load_image(path)
    display, qimage = _display(image, remembered)
    mask, mask_error = None, None
    if mask_path is not None and mask_path.is_file():
        try:
            mask = read_mask(mask_path, expected_size=(image.meta.width, image.meta.height))
        except ImageLoadError as exc:
            mask_error = str(exc)
    return LoadResult(image, mask, mask_error, qimage, display=display)


def load_frame(stack, index: int, workspace: Workspace | None,
               before_mask: Callable[[], object] = lambda: None, remembered=None) -> LoadResult:
    """Frame ``index`` of ``stack`` and its mask. ``before_mask`` runs before the mask is read: the Segment
    panel's autosave flush, so a frame left a moment ago is read back with its last edits."""
    image = stack.frame(index)
    display, qimage = _display(image, remembered)
    mask, mask_error = None, None
    if workspace is not None:
        from core.stacks.frame_masks import read_frame_mask

        before_mask()
        try:
            mask = read_frame_mask(workspace, stack.path, index, expected_size=(image.meta.width, image.meta.height))
        except ImageLoadError as exc:
            mask_error = str(exc)
    return LoadResult(image, mask, mask_error, qimage, stack, index, display)


def _display(image: LoadedImage, remembered):
    """High depths are shown under contrast limits (the stack's or image's last ones, else automatic)."""
    display = prepare_display(image, remembered)
    return display, (display.levels if display is not None else rgb_to_qimage(image.rgb))

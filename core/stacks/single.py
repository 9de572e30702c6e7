"""An ordinary image as a stack of depth 1, so callers have one code path for images and stacks."""

from __future__ import annotations

from pathlib import Path

from core.imageio import ImageLoadError, LoadedImage, load_image
from core.stacks.errors import frame_error
from core.stacks.stack import DEFAULT_CACHE_FRAMES, ImageStack


class SingleImage(ImageStack):
    kind = "single"

    def __init__(self, path: Path, frame_size: tuple[int, int], cache_frames: int = DEFAULT_CACHE_FRAMES):
        super().__init__(path, 1, frame_size, cache_frames=1)

    def frame_name(self, index: int) -> str:
        self._checked(index)
        return self.path.name

    def _decode(self, index: int) -> LoadedImage:
        try:
            return load_image(self.path)
        except ImageLoadError as exc:
            raise frame_error(self.path, index, exc) from None

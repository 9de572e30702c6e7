"""Animated GIF, APNG and WebP: frames decoded one at a time by seeking Pillow's reader.

Pillow composites GIF and APNG frames (disposal, blending) as it seeks, so each frame is the picture a
viewer shows. Seeking backwards reopens the file and starts from frame 0; reading forwards (playback,
propagation, segmentation) costs one frame each. The file stays open while the stack is.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from core import image_strips as strips
from core.image_sniff import classify_decode_error
from core.imageio import (
    ImageLoadError,
    ImageMeta,
    LoadedImage,
    check_decode_budget,
    exif_orientation,
    open_image,
)
from core.orientation import apply_orientation
from core.stacks.errors import frame_error
from core.stacks.stack import DEFAULT_CACHE_FRAMES, ImageStack

KINDS = {"GIF": "gif", "PNG": "apng", "WEBP": "webp"}


class AnimatedImage(ImageStack):
    def __init__(self, path: Path, image: Image.Image, n_frames: int, file_size: int,
                 cache_frames: int = DEFAULT_CACHE_FRAMES):
        super().__init__(path, n_frames, image.size, cache_frames)
        self.kind = KINDS.get(image.format or "", "gif")
        self._image: Image.Image | None = image
        self._format = image.format or "unknown"
        self._file_size = file_size

    def _reader(self) -> Image.Image:
        if self._image is None:  # reopened after close(): the stack stays usable
            self._image, self._file_size = open_image(self.path)
        return self._image

    def _decode(self, index: int) -> LoadedImage:
        try:
            image = self._reader()
            if image.tell() > index:
                # Going back: start from a fresh reader. Pillow's own rewind breaks APNG (seeking to frame
                # 0 after a later one, then forward, raises "APNG contains frame sequence errors").
                self._drop_reader()
                image = self._reader()
        except ImageLoadError as exc:
            raise frame_error(self.path, index, exc) from None
        try:
            check_decode_budget(self.path, image)
            image.seek(index)
            image.load()
        except ImageLoadError as exc:
            raise frame_error(self.path, index, exc) from None
        except MemoryError:
            raise self._frame_error(index, "ran out of memory while decoding", "too_large") from None
        except EOFError:
            self._drop_reader()
            raise self._frame_error(index, "the file ends before this frame (truncated)", "truncated") from None
        except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many types on hostile data
            self._drop_reader()  # a failed seek leaves the reader mid-frame: start afresh next time
            raise self._frame_error(index, *classify_decode_error(exc)) from None
        try:
            rgba = np.asarray(image.convert("RGBA"))
        except Exception as exc:  # noqa: BLE001
            self._drop_reader()
            raise self._frame_error(index, *classify_decode_error(exc)) from None
        has_alpha = bool((rgba[..., 3] < 255).any())
        rgb = strips.composite_over_white(rgba) if has_alpha else np.ascontiguousarray(rgba[..., :3])
        orientation, note = exif_orientation(image)
        rgb = np.ascontiguousarray(apply_orientation(rgb, orientation))
        meta = ImageMeta(path=str(self.path), format=self._format, mode=image.mode, bit_depth=8,
                         stored_size=image.size, width=rgb.shape[1], height=rgb.shape[0],
                         orientation=orientation, frames=self.n_frames, has_alpha=has_alpha,
                         file_size=self._file_size, notes=(note,) if note else ())
        return LoadedImage(rgb=rgb, meta=dataclasses.replace(meta))

    def _drop_reader(self) -> None:
        if self._image is not None:
            self._image.close()
            self._image = None

    def _close(self) -> None:
        self._drop_reader()

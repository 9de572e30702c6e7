"""A frame given as a numpy array (a TIFF page) as the :class:`LoadedImage` that ``load_image`` returns.

8-bit gray and RGB(A) become ``rgb`` directly (alpha composited over white, as ``load_image`` does). Higher
depths and floats keep their stored values in ``raw`` and are stretched linearly from their finite
[min, max] to 0..255 for display, a strip at a time (see :mod:`core.image_strips`).
"""

from __future__ import annotations

import numpy as np

from core import image_strips as strips
from core.imageio import ImageMeta, LoadedImage

_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _display_rgb(values: np.ndarray, value_range) -> np.ndarray:
    height, width = values.shape[:2]
    rgb = np.empty((height, width, 3), np.uint8)
    if values.ndim == 2:
        strips.rgb_from_values(values, rgb, value_range)
        return rgb
    samples = values.shape[2]
    for top, bottom in strips.strips(height, width):
        part = strips.stretch(values[top:bottom, :, :min(samples, 3)], value_range)
        rgb[top:bottom] = part if samples >= 3 else part[..., :1]
    return rgb


def loaded_from_array(array: np.ndarray, path: str, fmt: str, frames: int, file_size: int = 0,
                      notes: tuple[str, ...] = ()) -> LoadedImage:
    """``array`` is HxW or HxWxS (S samples per pixel) in any numeric dtype."""
    if array.dtype == np.bool_:
        array = array.view(np.uint8) * np.uint8(255)
    samples = 1 if array.ndim == 2 else array.shape[2]
    height, width = array.shape[:2]
    mode = _MODES.get(samples, f"{samples} samples")
    has_alpha = samples in (2, 4)
    value_range, raw = None, None
    if array.dtype == np.uint8:
        if samples == 1:
            rgb = np.repeat(array[..., None], 3, axis=2)
        elif samples == 2:  # grey + alpha
            rgba = np.concatenate([np.repeat(array[..., :1], 3, axis=2), array[..., 1:2]], axis=2)
            rgb = strips.composite_over_white(rgba)
        elif samples == 4:
            rgb = strips.composite_over_white(array)
        else:
            rgb = np.ascontiguousarray(array[..., :3]) if samples >= 3 else np.repeat(array, 3, axis=2)
        bit_depth = 8
    else:
        raw = np.ascontiguousarray(array)
        value_range = strips.array_value_range(raw)
        rgb = _display_rgb(raw, value_range)
        bit_depth = array.dtype.itemsize * 8
        mode = f"{mode};{array.dtype.name}"
    meta = ImageMeta(path=str(path), format=fmt, mode=mode, bit_depth=bit_depth, stored_size=(width, height),
                     width=width, height=height, frames=frames, has_alpha=has_alpha, value_range=value_range,
                     file_size=file_size, notes=tuple(notes))
    return LoadedImage(rgb=np.ascontiguousarray(rgb), meta=meta, raw=raw)

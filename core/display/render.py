"""Render stored values to the RGB8 picture shown on screen, under :class:`DisplaySettings`.

For each channel, a stored value ``v`` becomes the fraction ``t = clip((v - low) / (high - low), 0, 1)``,
raised to ``gamma``; the channel adds ``round(t * colour)`` to each of red, green and blue, and the sum is
capped at 255 (additive composite, as napari blends channels). A channel shown alone is grey:
``round(t * 255)`` in all three. NaN and -inf show as ``low``, +inf as ``high``. Limits with ``high <= low``
are a threshold: values above ``high`` are full colour, the rest black (a constant image shows black).

8- and 16-bit integers go through a lookup table of every possible value (exact, and ~10x faster than
arithmetic); wider integers and floats are computed in float32 (float64 for 32-bit integers and float64,
whose values float32 cannot hold). Work is done a strip of rows at a time, so the temporaries stay at a
few MB whatever the image size. The stored values are only read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.display.contrast import ChannelLimits, DisplaySettings, channel, channel_count
from core.image_strips import strips

_LUT_KINDS = {"u", "i", "b"}


def _uses_lut(dtype: np.dtype) -> bool:
    return dtype.kind in _LUT_KINDS and dtype.itemsize <= 2


def _work_dtype(dtype: np.dtype) -> type:
    return np.float32 if dtype.itemsize <= 2 or dtype == np.float32 else np.float64


def fraction(values: np.ndarray, limits: ChannelLimits, work=np.float64) -> np.ndarray:
    """The 0..1 brightness of ``values`` under ``limits`` (see the module docstring)."""
    data = np.asarray(values, dtype=work)
    if limits.high <= limits.low:
        t = (data > limits.high).astype(work)  # NaN compares False: black
    else:
        t = data - work(limits.low)
        t *= work(1.0 / (limits.high - limits.low))
        np.clip(t, 0.0, 1.0, out=t)
        if data.dtype.kind == "f":
            t[np.isnan(t)] = 0.0
    if limits.gamma != 1.0:
        np.power(t, work(limits.gamma), out=t)
    return t


def _lut_offset(dtype: np.dtype) -> int:
    return -int(np.iinfo(dtype).min) if dtype.kind == "i" else 0


def _channel_luts(dtype: np.dtype, limits: ChannelLimits, color) -> np.ndarray:
    """3 x (every value of ``dtype``) uint8: the red, green, blue this channel adds for each stored value."""
    if dtype.kind == "b":
        values = np.arange(2, dtype=np.float64)
    else:
        info = np.iinfo(dtype)
        values = np.arange(int(info.min), int(info.max) + 1, dtype=np.float64)
    t = fraction(values, limits)
    return np.stack([np.rint(t * c).astype(np.uint8) for c in color])


def _lut_index(values: np.ndarray, offset: int) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.view(np.uint8)
    return values.astype(np.int32) + offset if offset else values


def render(raw: np.ndarray, settings: DisplaySettings, out: np.ndarray | None = None,
           cancelled: Callable[[], bool] | None = None) -> np.ndarray | None:
    """The picture of ``raw`` (HxW or HxWxC stored values) as HxWx3 uint8, written into ``out`` if given;
    None when ``cancelled()`` turns true (checked between strips)."""
    count = channel_count(raw)
    if count != settings.channels:
        raise ValueError(f"the image has {count} channel(s), the display settings {settings.channels}")
    height, width = raw.shape[:2]
    if out is None:
        out = np.empty((height, width, 3), np.uint8)
    shown = [settings.solo] if settings.solo is not None else list(range(count))
    colors = {i: (255, 255, 255) if settings.solo is not None else settings.colors[i] for i in shown}
    grey = {i: len(set(colors[i])) == 1 and colors[i][0] == 255 for i in shown}
    lut = _uses_lut(raw.dtype)
    tables = {i: _channel_luts(raw.dtype, settings.limits[i], colors[i]) for i in shown} if lut else {}
    offset = _lut_offset(raw.dtype) if lut and raw.dtype.kind == "i" else 0
    work = _work_dtype(raw.dtype)
    for top, bottom in strips(height, width):
        if cancelled is not None and cancelled():
            return None
        block = out[top:bottom]
        if len(shown) == 1 and grey[shown[0]]:  # one grey channel: compute one plane, copy it thrice
            i = shown[0]
            values = channel(raw, i)[top:bottom]
            if lut:
                plane = tables[i][0][_lut_index(values, offset)]
            else:
                plane = np.rint(fraction(values, settings.limits[i], work) * 255).astype(np.uint8)
            block[...] = plane[..., None]
            continue
        total = np.zeros(block.shape, np.uint16)
        for i in shown:
            values = channel(raw, i)[top:bottom]
            if lut:
                index = _lut_index(values, offset)
                for k in range(3):
                    if colors[i][k]:
                        total[..., k] += tables[i][k][index]
            else:
                t = fraction(values, settings.limits[i], work)
                for k in range(3):
                    if colors[i][k]:
                        total[..., k] += np.rint(t * colors[i][k]).astype(np.uint16)
        np.minimum(total, 255, out=total)
        block[...] = total
    return out

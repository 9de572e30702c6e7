"""Multichannel TIFFs that Pillow reduces or refuses, read with tifffile so every channel keeps its values.

Pillow reads a 16-bit RGB TIFF as 8-bit RGB (the low byte dropped: the stored values are lost), refuses
2-sample 16-bit TIFFs, and reads an ImageJ channel hyperstack (axes CYX) as a stack of grey frames showing
the first channel only. Here those files are recognised from their header and read whole as HxWxC:

- samples per pixel (axes YXS): 16/32-bit integer or float RGB, RGBA (alpha dropped) and 2..6 samples;
- an ImageJ/OME series of 2..6 channels with nothing else (axes CYX).

What is not taken here goes to Pillow as before: 8-bit samples (Pillow shows RGB/RGBA correctly), series with
Z or T axes (stacks: frames, not channels), more than :data:`MAX_CHANNELS` channels, 64-bit integers,
complex values. Nothing here raises on a hostile header: :func:`probe` answers None and Pillow's path
reports the problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

MAX_CHANNELS = 6
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_DTYPES = {"u": (1, 2, 4), "i": (1, 2, 4), "f": (2, 4, 8)}


@dataclass(frozen=True)
class ChannelLayout:
    """What :func:`probe` found: the first series' axes and shape, and how to read it."""

    axes: str  # "YXS" or "CYX"
    height: int
    width: int
    samples: int  # channels or samples per pixel as stored
    channels: int  # channels kept (an RGBA's alpha is dropped)
    dtype: np.dtype  # as stored
    rgb: bool  # photometric RGB: channels are red, green, blue
    orientation: int = 1  # the TIFF Orientation tag (1..8)

    @property
    def values_dtype(self) -> np.dtype:
        """The dtype the values are kept in (float16 widened to float32, native byte order)."""
        return np.dtype(np.float32) if self.dtype.kind == "f" and self.dtype.itemsize == 2 else \
            self.dtype.newbyteorder("=")

    @property
    def kept_bytes(self) -> int:
        return self.height * self.width * self.channels * self.values_dtype.itemsize


def is_tiff(path: str | os.PathLike) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) in _TIFF_MAGIC
    except OSError:
        return False


def _supported_dtype(dtype: np.dtype) -> bool:
    return dtype.itemsize in _DTYPES.get(dtype.kind, ())


def probe(path: str | os.PathLike) -> ChannelLayout | None:
    """The layout of a multichannel TIFF this module reads, or None (not a TIFF, or one for Pillow)."""
    if not is_tiff(path):
        return None
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes, shape, dtype = series.axes, tuple(series.shape), np.dtype(series.dtype)
            page = series.pages[0] if series.pages else tif.pages[0]
            rgb = int(page.photometric) == int(tifffile.PHOTOMETRIC.RGB)
            tag = page.tags.get(274)  # Orientation; tifffile reads the pixels as stored
            orientation = int(tag.value) if tag is not None and axes == "YXS" else 1
    except Exception:  # noqa: BLE001 - a header tifffile cannot parse is Pillow's to report
        return None
    if not _supported_dtype(dtype) or len(shape) != 3:
        return None
    if axes == "YXS" and (dtype.itemsize > 1 or dtype.kind == "f"):
        height, width, samples = shape
        channels = 3 if rgb and samples == 4 else samples
    elif axes == "CYX":
        samples, height, width = shape
        channels, rgb = samples, False
    else:
        return None
    if not 2 <= channels <= MAX_CHANNELS or (rgb and channels != 3):
        return None
    if height <= 0 or width <= 0:
        return None
    orientation = orientation if 1 <= orientation <= 8 else 1
    return ChannelLayout(axes, height, width, samples, channels, dtype, rgb, orientation)


def read(path: str | os.PathLike, layout: ChannelLayout) -> np.ndarray:
    """The values as HxWxC (stored layout, before orientation), contiguous, native byte order."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        data = tif.series[0].asarray()
    if tuple(data.shape) != _stored_shape(layout):
        raise ValueError(f"the pixel data has shape {data.shape}, the header says {_stored_shape(layout)}")
    if layout.axes == "CYX":
        data = np.moveaxis(data, 0, -1)
    data = data[..., : layout.channels]
    return np.ascontiguousarray(data, dtype=layout.values_dtype)


def _stored_shape(layout: ChannelLayout) -> tuple[int, ...]:
    if layout.axes == "CYX":
        return layout.samples, layout.height, layout.width
    return layout.height, layout.width, layout.samples


def peak_bytes(layout: ChannelLayout) -> int:
    """Memory a read takes at its worst: tifffile's array, a transposed or converted copy, the RGB8 picture."""
    stored = layout.height * layout.width * layout.samples * layout.dtype.itemsize
    return stored + layout.kept_bytes + layout.height * layout.width * 3

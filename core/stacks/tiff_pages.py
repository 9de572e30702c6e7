"""Multi-page TIFFs read with tifffile: one page per frame, decoded only when asked for.

The first series is the stack. Every axis of it except the page's own (Y, X and the samples S of RGB) is
folded into the frame index in C order, so ``TYX``, ``ZYX``, ``CYX`` and ``TZCYX`` all become a flat run of
frames; :meth:`TiffStack.frame_name` says where a frame sits (``t=2 c=1``). The pixel limit and the decode
budget are checked per frame, from the page header, before its pixels are decoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.image_budget import decode_budget_bytes, format_bytes
from core.imageio import LoadedImage, max_pixels
from core.stacks.frame_arrays import loaded_from_array
from core.stacks.stack import DEFAULT_CACHE_FRAMES, ImageStack


def _size(page) -> tuple[int, int]:
    """(width, height) of a page or a TiffFrame (which has no imagewidth of its own)."""
    shape, axes = page.shape, page.axes
    return int(shape[axes.index("X")]), int(shape[axes.index("Y")])


class TiffStack(ImageStack):
    kind = "tiff"

    def __init__(self, path: Path, tif, cache_frames: int = DEFAULT_CACHE_FRAMES):
        series = tif.series[0]
        page = series.pages[0]
        self._tif = tif
        self._series = series
        self._frame_axes = series.axes[:len(series.shape) - len(page.shape)]
        self._frame_shape = tuple(series.shape[:len(self._frame_axes)])
        n_frames = len(series.pages)
        notes = ()
        if len(self._frame_axes) > 1:
            notes = (f"TIFF axes {series.axes}: {'x'.join(map(str, self._frame_shape))} "
                     f"({self._frame_axes}) folded into {n_frames} frames",)
        super().__init__(path, n_frames, _size(page), cache_frames, notes)
        self._file_size = path.stat().st_size

    def frame_name(self, index: int) -> str:
        index = self._checked(index)
        name = super().frame_name(index)
        if len(self._frame_axes) > 1 and int(np.prod(self._frame_shape)) == self.n_frames:
            where = np.unravel_index(index, self._frame_shape)
            name += " " + " ".join(f"{axis.lower()}={int(i)}" for axis, i in zip(self._frame_axes, where, strict=True))
        return name

    def _page(self, index: int):
        if self._tif is None:  # reopened after close(): the stack stays usable
            import tifffile

            self._tif = tifffile.TiffFile(self.path)
            self._series = self._tif.series[0]
        try:
            page = self._series.pages[index]
        except Exception as exc:  # noqa: BLE001 - a bad IFD offset in a hostile file
            raise self._frame_error(index, f"its page header is unreadable ({type(exc).__name__}: {exc})",
                                    "corrupt") from None
        if page is None:
            raise self._frame_error(index, "the file has no page for this frame", "corrupt")
        return page

    def _check_size(self, index: int, page) -> None:
        width, height = _size(page)
        if width <= 0 or height <= 0:
            raise self._frame_error(index, f"empty image ({width}x{height} pixels)", "empty")
        if width * height > max_pixels():
            raise self._frame_error(index, f"image too large: {width}x{height} exceeds the pixel limit "
                                    f"of {max_pixels() / 1e6:.0f} Mpx", "too_large")
        stored = int(np.prod(page.shape)) * np.dtype(page.dtype).itemsize
        peak = 2 * stored + width * height * 3  # decoder output + our copy + the display RGB
        if peak > decode_budget_bytes():
            raise self._frame_error(index, f"decoding needs about {format_bytes(peak)}, over the budget of "
                                    f"{format_bytes(decode_budget_bytes())} (SEGGAN_MAX_DECODE_MB)", "too_large")

    def _decode(self, index: int) -> LoadedImage:
        page = self._page(index)
        self._check_size(index, page)
        try:
            array = page.asarray()
        except MemoryError:
            raise self._frame_error(index, "ran out of memory while decoding", "too_large") from None
        except Exception as exc:  # noqa: BLE001 - codecs raise many types on hostile data
            raise self._frame_error(index, f"corrupt or truncated page data ({type(exc).__name__}: {exc})",
                                    "corrupt") from None
        axes = page.axes
        if axes.startswith("S") and array.ndim == 3:  # planar samples: SYX -> YXS
            array = np.moveaxis(array, 0, -1)
        array = np.squeeze(array) if array.ndim > 3 else array
        if array.ndim not in (2, 3):
            raise self._frame_error(index, f"page of shape {array.shape} ({axes}) is not an image", "unsupported")
        return loaded_from_array(array, str(self.path), "TIFF", self.n_frames, self._file_size, self.notes)

    def _close(self) -> None:
        if self._tif is not None:
            self._tif.close()
            self._tif = None


def open_tiff(path: Path, cache_frames: int = DEFAULT_CACHE_FRAMES):
    """A :class:`TiffStack` for a TIFF with more than one frame, or None when it has a single frame (the
    caller then reads it as an ordinary image, EXIF orientation and all). Raises what tifffile raises."""
    import tifffile

    tif = tifffile.TiffFile(path)
    try:
        series = tif.series
        if not series or len(series[0].pages) <= 1:
            tif.close()
            return None
        return TiffStack(path, tif, cache_frames)
    except BaseException:
        tif.close()
        raise

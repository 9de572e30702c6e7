"""Convert a decoded Pillow image to RGB8 (and to its exact stored values) a strip of rows at a time.

Converting a whole 144-Mpx image at once makes several image-sized temporaries (Pillow's RGBA conversion,
``tobytes``, float64 stretch, uint16 compositing): gigabytes for a file of a few hundred KB. Here each step
works on a strip of at most :data:`core.image_budget.STRIP_PIXELS` pixels and writes into an array the caller
allocated once, so a load peaks at Pillow's image plus the arrays it returns.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

from core.image_budget import HIGH_DEPTH_BYTES, STRIP_PIXELS

ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}


def is_high_depth(image: Image.Image) -> bool:
    return image.mode in HIGH_DEPTH_BYTES


def unsigned_32(image: Image.Image) -> bool:
    """A TIFF of unsigned 32-bit integers, which Pillow holds in its signed mode ``I`` (same bits)."""
    if image.mode != "I" or image.format != "TIFF":
        return False
    tags = getattr(image, "tag_v2", {})
    bits = tags.get(258, ())
    bits = bits[0] if isinstance(bits, tuple) and bits else bits
    sample_format = tags.get(339, 1)
    sample_format = sample_format[0] if isinstance(sample_format, tuple) and sample_format else sample_format
    return bits == 32 and sample_format in (1, None)


def strips(height: int, width: int, multiple: int = 1) -> Iterator[tuple[int, int]]:
    rows = max(STRIP_PIXELS // max(width, 1), 1)
    rows = max(rows // multiple, 1) * multiple
    for top in range(0, height, rows):
        yield top, min(top + rows, height)


def _crop(image: Image.Image, top: int, bottom: int) -> Image.Image:
    return image.crop((0, top, image.size[0], bottom))


def stored_values(image: Image.Image, top: int, bottom: int, as_uint32: bool = False) -> np.ndarray:
    """Rows [top, bottom) of a high-depth image as its exact stored values, native byte order."""
    values = np.asarray(_crop(image, top, bottom))
    if values.dtype.byteorder == ">":
        values = values.astype(values.dtype.newbyteorder("="))
    if as_uint32:
        values = values.view(np.uint32)
    return values


def _finite_range(pieces) -> tuple[float, float] | None:
    low, high = np.inf, -np.inf
    for values in pieces:
        if values.dtype.kind == "f":
            values = values[np.isfinite(values)]
        if values.size:
            low, high = min(low, float(values.min())), max(high, float(values.max()))
    return None if low > high else (low, high)


def value_range(image: Image.Image, as_uint32: bool = False) -> tuple[float, float] | None:
    """(min, max) of the finite values of a high-depth image, or None when it has none."""
    width, height = image.size
    return _finite_range(stored_values(image, top, bottom, as_uint32) for top, bottom in strips(height, width))


def array_value_range(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values of an array, a strip at a time (no image-sized mask)."""
    height, width = values.shape[:2]
    return _finite_range(values[top:bottom] for top, bottom in strips(height, width))


def stretch(values: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    """Map values linearly from ``value_range`` to 0..255 (NaN and -inf to 0, +inf to 255)."""
    if value_range is None or value_range[1] <= value_range[0]:
        out = np.zeros(values.shape, np.uint8)
        if value_range is None or values.dtype.kind != "f":
            return out
        out[np.isposinf(values)] = 255
        return out
    low, high = value_range
    data = values.astype(np.float64)
    if values.dtype.kind == "f":
        data[np.isnan(data)] = low
        np.clip(data, low, high, out=data)
    data -= low
    data *= 255.0 / (high - low)
    np.rint(data, out=data)
    return np.clip(data, 0, 255).astype(np.uint8)


def composite_over_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgb = rgba[..., :3].astype(np.uint16)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ALPHA_MODES or (image.mode in ("P", "L", "RGB") and "transparency" in image.info)


def rgb_rows(image: Image.Image, top: int, bottom: int, value_range=None, as_uint32: bool = False) -> np.ndarray:
    """Rows [top, bottom) as RGB8 for display: alpha composited over white, high depths stretched by
    ``value_range``. Raises ValueError for a mode that has no RGB conversion."""
    mode = image.mode
    if mode in HIGH_DEPTH_BYTES:
        grey = stretch(stored_values(image, top, bottom, as_uint32), value_range)
        return np.repeat(grey[..., None], 3, axis=2)
    strip = _crop(image, top, bottom)
    if has_alpha(image):
        return composite_over_white(np.asarray(strip.convert("RGBA")))
    if mode == "RGB":
        return np.asarray(strip)
    return np.asarray(strip.convert("RGB"))  # P, 1, L, CMYK, YCbCr, ...; ValueError for a mode with none


def fill_rgb(image: Image.Image, out: np.ndarray, value_range=None, as_uint32: bool = False) -> None:
    """Write the whole image as RGB8 into ``out`` (H x W x 3 in stored layout; may be a strided view)."""
    width, height = image.size
    for top, bottom in strips(height, width):
        out[top:bottom] = rgb_rows(image, top, bottom, value_range, as_uint32)


def fill_values(image: Image.Image, out: np.ndarray, as_uint32: bool = False) -> None:
    width, height = image.size
    for top, bottom in strips(height, width):
        out[top:bottom] = stored_values(image, top, bottom, as_uint32)


def values_dtype(image: Image.Image, as_uint32: bool = False) -> np.dtype:
    if as_uint32:
        return np.dtype(np.uint32)
    return {"I": np.dtype(np.int32), "F": np.dtype(np.float32)}.get(image.mode, np.dtype(np.uint16))


def rgb_from_values(values: np.ndarray, out: np.ndarray, value_range) -> None:
    """Fill ``out`` (H x W x 3) from stored values, a strip at a time."""
    height, width = values.shape[:2]
    for top, bottom in strips(height, width):
        out[top:bottom] = stretch(values[top:bottom], value_range)[..., None]


def reduced_rgb(image: Image.Image, factor: int, value_range=None, as_uint32: bool = False) -> np.ndarray:
    """The image as RGB8, box-averaged by ``factor`` strip by strip (for thumbnails of large images)."""
    width, height = image.size
    pieces = []
    for top, bottom in strips(height, width, multiple=factor):
        rows = Image.fromarray(np.ascontiguousarray(rgb_rows(image, top, bottom, value_range, as_uint32)))
        pieces.append(np.asarray(rows.reduce(factor) if factor > 1 else rows))
    return np.concatenate(pieces, axis=0)

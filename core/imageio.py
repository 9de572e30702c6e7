"""Hostile-proof image loading.

The contract: :func:`load_image` returns a :class:`LoadedImage` whose ``rgb`` is an HxWx3 ``uint8`` array
in RGB order, EXIF orientation applied, first frame of animations. What the file really held (format,
mode, bit depth, stored size, orientation, frames, alpha) is kept in ``meta``. Images with more than 8
bits per sample keep their values in ``raw`` (HxW or HxWxC, native dtype) and are mapped linearly from
their data range [min, max] to [0, 255] for display; images with alpha are composited over white.

Every failure is an :class:`ImageLoadError` naming the file and the reason.
"""

from __future__ import annotations

import os
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Pillow's own bomb check would fire before ours with a less useful message. Ours (in open_image, which
# every image and mask read in the app goes through) is authoritative and checks the header's size.
Image.MAX_IMAGE_PIXELS = None
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

DEFAULT_MAX_PIXELS = 150_000_000
MAX_PIXELS_ENV = "SEGGAN_MAX_PIXELS"

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")

_HIGH_DEPTH_MODES = {"I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16, "I": 32, "F": 32}
_ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}


class ImageLoadError(Exception):
    """An image could not be loaded. ``str(err)`` names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str, kind: str):
        self.path = str(path)
        self.reason = reason
        self.kind = kind  # missing, permission, not_image, truncated, unsupported, too_large, empty, directory
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class ImageMeta:
    path: str
    format: str  # what the file really is (PNG, JPEG, ...), whatever its name says
    mode: str  # Pillow mode of the stored data (L, P, I;16, CMYK, ...)
    bit_depth: int  # bits per sample as stored
    stored_size: tuple[int, int]  # (width, height) as stored, before EXIF orientation
    width: int  # after orientation
    height: int
    orientation: int = 1  # EXIF orientation tag that was applied (1 = none)
    frames: int = 1
    has_alpha: bool = False
    value_range: tuple[float, float] | None = None  # data range mapped to 0..255 for high bit depths
    file_size: int = 0
    extension_mismatch: bool = False  # e.g. a JPEG named .png: loaded by content, noted here


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray
    meta: ImageMeta
    raw: np.ndarray | None = field(default=None, repr=False)

    def value_at(self, row: int, col: int) -> tuple:
        """The stored value at a pixel: raw values for high bit depths, else the RGB triple."""
        source = self.raw if self.raw is not None else self.rgb
        value = source[row, col]
        return tuple(np.atleast_1d(value).tolist())


def max_pixels() -> int:
    """The pixel limit above which images are refused before decoding."""
    value = os.environ.get(MAX_PIXELS_ENV, "")
    try:
        return int(value) if value else DEFAULT_MAX_PIXELS
    except ValueError:
        return DEFAULT_MAX_PIXELS


def _too_large_message(width: int, height: int, limit: int) -> str:
    return (
        f"image too large: {width}x{height} = {width * height / 1e6:.1f} Mpx exceeds the limit of "
        f"{limit / 1e6:.0f} Mpx; raise it with the environment variable {MAX_PIXELS_ENV}=<pixels> "
        "if you trust this file"
    )


def _sniff_text(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "an XML/SVG document"
    if head and all(b in b"\t\n\r" or 32 <= b < 127 or b >= 128 for b in head) and b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "a text file"
        except UnicodeDecodeError:
            return None
    return None


def _check_path(path: Path) -> int:
    """Classify filesystem problems before Pillow sees the file; returns the file size."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(path, "file not found", "missing") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied", "permission") from None
    except OSError as exc:
        raise ImageLoadError(path, f"cannot access file ({exc.strerror or exc})", "missing") from None
    if path.is_dir():
        raise ImageLoadError(path, "is a folder, not an image file", "directory")
    if stat.st_size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)", "empty")
    if not os.access(path, os.R_OK):
        raise ImageLoadError(path, "permission denied (file is not readable)", "permission")
    return stat.st_size


def open_image(path: str | os.PathLike) -> tuple[Image.Image, int]:
    """Open lazily (header only) with all checks that come before decoding; returns (image, file size)."""
    path = Path(path)
    size = _check_path(path)
    limit = max_pixels()
    try:
        image = Image.open(path)
    except PermissionError:
        raise ImageLoadError(path, "permission denied", "permission") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(path, f"image too large ({exc}); limit {limit / 1e6:.0f} Mpx, "
                             f"raise it with {MAX_PIXELS_ENV}=<pixels>", "too_large") from None
    except UnidentifiedImageError:
        what = _sniff_text(path)
        reason = f"not an image: the file is {what}" if what else "not an image (unknown or unsupported file format)"
        raise ImageLoadError(path, reason, "not_image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(path, f"corrupt or truncated image header ({exc})", "truncated") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise ImageLoadError(path, f"empty image ({width}x{height} pixels)", "empty")
    if width * height > limit:
        image.close()
        raise ImageLoadError(path, _too_large_message(width, height, limit), "too_large")
    return image, size


def _bit_depth(image: Image.Image) -> int:
    if image.mode in _HIGH_DEPTH_MODES:
        return _HIGH_DEPTH_MODES[image.mode]
    if image.mode == "1":
        return 1
    rawmode = ""
    if image.tile:
        args = image.tile[0][3]
        rawmode = args[0] if isinstance(args, tuple) and args else args if isinstance(args, str) else ""
    if isinstance(rawmode, str) and ";16" in rawmode:
        return 16
    return 8


def _stretch_to_uint8(values: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    data = values.astype(np.float64, copy=False)
    finite = np.isfinite(data)
    if not finite.any():
        return np.zeros(values.shape, np.uint8), (0.0, 0.0)
    low = float(data[finite].min())
    high = float(data[finite].max())
    if high <= low:
        out = np.zeros(values.shape, np.uint8)
        return out, (low, high)
    scaled = (np.where(finite, data, low) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8), (low, high)


def _composite_over_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgb = rgba[..., :3].astype(np.uint16)
    out = (rgb * alpha + 255 * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)


def _to_rgb(image: Image.Image, path: Path) -> tuple[np.ndarray, np.ndarray | None, tuple | None, bool]:
    """Convert a decoded image to (rgb uint8, raw or None, value range or None, has_alpha)."""
    mode = image.mode
    if mode in _HIGH_DEPTH_MODES:
        raw = np.asarray(image)
        if raw.dtype.byteorder == ">":
            raw = raw.astype(raw.dtype.newbyteorder("="))
        gray, value_range = _stretch_to_uint8(raw)
        return np.repeat(gray[..., None], 3, axis=2), raw, value_range, False
    if mode == "P":
        has_alpha = "transparency" in image.info
        converted = image.convert("RGBA" if has_alpha else "RGB")
        arr = np.asarray(converted)
        return (_composite_over_white(arr) if has_alpha else arr), None, None, has_alpha
    if mode in _ALPHA_MODES:
        arr = np.asarray(image.convert("RGBA"))
        return _composite_over_white(arr), None, None, True
    if mode in ("RGB",):
        return np.asarray(image), None, None, False
    if mode in ("L", "1", "CMYK", "YCbCr", "HSV"):
        if mode == "L" and "transparency" in image.info:
            arr = np.asarray(image.convert("RGBA"))
            return _composite_over_white(arr), None, None, True
        return np.asarray(image.convert("RGB")), None, None, False
    if mode in ("I;16S", "I;32", "I;32S", "I;32B"):  # pragma: no cover - rare TIFF variants Pillow may expose
        raw = np.asarray(image).astype(np.int64)
        gray, value_range = _stretch_to_uint8(raw)
        return np.repeat(gray[..., None], 3, axis=2), raw, value_range, False
    try:
        return np.asarray(image.convert("RGB")), None, None, False
    except (ValueError, OSError):
        raise ImageLoadError(path, f"unsupported image mode {mode!r}", "unsupported") from None


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Load an image file as HxWx3 uint8 RGB plus metadata (see the module docstring)."""
    path = Path(path)
    image, file_size = open_image(path)
    try:
        fmt = image.format or "unknown"
        mode = image.mode
        stored_size = image.size
        frames = int(getattr(image, "n_frames", 1) or 1)
        depth = _bit_depth(image)
        try:
            if frames > 1:
                image.seek(0)
            orientation = int(image.getexif().get(0x0112, 1) or 1)
            image.load()
            oriented = ImageOps.exif_transpose(image) if orientation != 1 else image
        except Image.DecompressionBombError as exc:
            raise ImageLoadError(path, f"image too large ({exc})", "too_large") from None
        except (OSError, SyntaxError, ValueError, EOFError, zlib.error, IndexError, struct_error()) as exc:
            detail = str(exc) or type(exc).__name__
            raise ImageLoadError(path, f"truncated or corrupt image data ({detail})", "truncated") from None
        if oriented is None:  # pragma: no cover - exif_transpose(in_place=False) always returns an image
            oriented = image
        try:
            rgb, raw, value_range, has_alpha = _to_rgb(oriented, path)
        except ImageLoadError:
            raise
        except (OSError, ValueError, TypeError) as exc:
            raise ImageLoadError(path, f"unsupported image data ({exc})", "unsupported") from None
    finally:
        image.close()
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:  # pragma: no cover - guarded by _to_rgb
        raise ImageLoadError(path, f"unexpected decoded shape {rgb.shape}", "unsupported")
    suffix = path.suffix.lower()
    expected = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                ".bmp": "BMP", ".webp": "WEBP", ".gif": "GIF"}.get(suffix)
    meta = ImageMeta(
        path=str(path), format=fmt, mode=mode, bit_depth=depth, stored_size=stored_size,
        width=rgb.shape[1], height=rgb.shape[0], orientation=orientation if 1 <= orientation <= 8 else 1,
        frames=frames, has_alpha=has_alpha, value_range=value_range, file_size=file_size,
        extension_mismatch=bool(expected and expected != fmt),
    )
    return LoadedImage(rgb=rgb, meta=meta, raw=raw)


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def load_thumbnail(path: str | os.PathLike, size: int = 96) -> np.ndarray:
    """A small RGB preview (longest side ``size``), decoded cheaply where the format allows (JPEG draft)."""
    path = Path(path)
    image, _ = open_image(path)
    try:
        try:
            if image.format == "JPEG":
                image.draft("RGB", (size * 2, size * 2))
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as exc:
            raise ImageLoadError(path, f"truncated or corrupt image data ({exc})", "truncated") from None
        try:
            image = ImageOps.exif_transpose(image) or image
        except (OSError, ValueError):
            pass
        rgb, _, _, _ = _to_rgb(image, path)
    finally:
        image.close()
    preview = Image.fromarray(np.ascontiguousarray(rgb))
    preview.thumbnail((size, size), Image.Resampling.BILINEAR)
    return np.asarray(preview)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly in ``folder`` (by extension), sorted by name; folders named x.png are skipped."""
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
                  key=lambda p: p.name.lower())


# Pillow refuses to decode truncated files (the default); we report them instead of guessing pixels.
ImageFile.LOAD_TRUNCATED_IMAGES = False

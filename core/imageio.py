"""Hostile-proof image loading.

The contract: :func:`load_image` returns a :class:`LoadedImage` whose ``rgb`` is an HxWx3 ``uint8`` array
in RGB order, EXIF orientation applied, first frame of animations. What the file really held (format,
mode, bit depth, stored size, orientation, frames, alpha) is kept in ``meta``. Images with more than 8
bits per sample keep their exact values in ``raw`` (HxW, native dtype: uint16, int32, uint32 or float32)
and are mapped linearly from their data range [min, max] to [0, 255] for display; images with alpha are
composited over white.

Two limits are checked from the header, before any pixel is decoded: a pixel count (:func:`max_pixels`)
and a memory budget (:mod:`core.image_budget`). Conversion works in strips, so an accepted image peaks
near Pillow's decoded image plus the arrays returned.

Every failure is an :class:`ImageLoadError` naming the file and the reason.
"""

from __future__ import annotations

import logging
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from core import image_strips as strips
from core import tiff_channels
from core.image_budget import (
    MAX_DECODE_ENV,
    decode_budget_bytes,
    estimate_decode,
    format_bytes,
    over_budget_message,
)
from core.image_sniff import classify_decode_error, diagnose_unidentified
from core.orientation import (
    ORIENTATION_TAG,
    apply_orientation,
    oriented_shape,
    parse_orientation,
    stored_view,
)
from core.pathtext import display_path, safe_text

log = logging.getLogger(__name__)

# Pillow's own bomb check would fire before ours with a less useful message. Ours (in open_image, which
# every image and mask read in the app goes through) is authoritative and checks the header's size.
Image.MAX_IMAGE_PIXELS = None
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# A broken EXIF block is reported as a note on the image (see _orientation), not as a warning on stderr.
warnings.filterwarnings("ignore", message="Corrupt EXIF data", category=UserWarning)

DEFAULT_MAX_PIXELS = 150_000_000
MAX_PIXELS_ENV = "SEGGAN_MAX_PIXELS"

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
_EXPECTED_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                    ".bmp": "BMP", ".webp": "WEBP", ".gif": "GIF"}
_HIGH_DEPTH_BITS = {"I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16, "I": 32, "F": 32}


class ImageLoadError(Exception):
    """An image could not be loaded. ``str(err)`` names the file and the reason (always encodable text)."""

    def __init__(self, path: str | os.PathLike, reason: str, kind: str):
        self.path = os.fsdecode(path)  # as given, usable to open the file (may hold undecodable bytes)
        self.reason = safe_text(reason)
        # missing, permission, not_image, not_regular, truncated, corrupt, unsupported, too_large, empty,
        # directory (maskio adds its own)
        self.kind = kind
        super().__init__(f"{display_path(path)}: {self.reason}")


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
    notes: tuple[str, ...] = ()  # what was unusual but handled (an invalid EXIF orientation, ...)
    channels: int = 1  # channels of ``raw`` (HxWxC when more than one; see core.tiff_channels)
    rgb_channels: bool = False  # those channels are red, green, blue (a 16-bit RGB TIFF)


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


_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_path(path: Path) -> int:
    """Classify filesystem problems before Pillow sees the file (opening a FIFO would block); returns the
    file size."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            target = display_path(os.readlink(path)) if os.path.islink(path) else "?"
            raise ImageLoadError(path, f"broken symbolic link (its target {target} does not exist)",
                                 "missing") from None
        raise ImageLoadError(path, "file not found", "missing") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied (a folder on its path cannot be entered)",
                             "permission") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise ImageLoadError(path, "symbolic link loop (the link points back to itself)", "missing") from None
        raise ImageLoadError(path, f"cannot access file ({exc.strerror or exc})", "missing") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageLoadError(path, "is a folder, not an image file", "directory")
    if not stat.S_ISREG(info.st_mode):
        what = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), "a special file")
        raise ImageLoadError(path, f"not a regular file: it is {what}", "not_regular")
    if info.st_size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)", "empty")
    if not os.access(path, os.R_OK):
        raise ImageLoadError(path, "permission denied (file is not readable)", "permission")
    return info.st_size


def open_image(path: str | os.PathLike) -> tuple[Image.Image, int]:
    """Open lazily (header only) with all checks that come before decoding; returns (image, file size)."""
    path = Path(path)
    size = _check_path(path)
    limit = max_pixels()
    try:
        image = Image.open(path)
    except PermissionError:
        raise ImageLoadError(path, "permission denied", "permission") from None
    except UnidentifiedImageError:
        reason, kind = diagnose_unidentified(path)
        raise ImageLoadError(path, reason, kind) from None
    except MemoryError:
        raise ImageLoadError(path, "ran out of memory reading the image header", "too_large") from None
    except Exception as exc:  # noqa: BLE001 - any plugin failure on a hostile header is the file's fault
        raise ImageLoadError(path, *_header_failure(path, exc)) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise ImageLoadError(path, f"empty image ({width}x{height} pixels)", "empty")
    if width * height > limit:
        image.close()
        raise ImageLoadError(path, _too_large_message(width, height, limit), "too_large")
    return image, size


def _header_failure(path: Path, exc: Exception) -> tuple[str, str]:
    """(reason, kind) when Pillow recognised the format but failed inside its header."""
    detail = f"{type(exc).__name__}: {exc}"
    if "Decompressed data too large" in str(exc) or "Decompressed Data Too Large" in str(exc):
        return ("refused: a compressed metadata chunk (text or colour profile) inflates past Pillow's safety "
                f"limit, as a decompression bomb does ({detail})"), "too_large"
    reason, kind = diagnose_unidentified(path)
    if kind == "not_image":  # the bytes say nothing more precise than Pillow did
        return f"corrupt or truncated image header ({detail})", "truncated"
    return reason, kind


def _bit_depth(image: Image.Image) -> int:
    if image.mode in _HIGH_DEPTH_BITS:
        return _HIGH_DEPTH_BITS[image.mode]
    if image.mode == "1":
        return 1
    rawmode = ""
    if image.tile:
        args = image.tile[0][3]
        rawmode = args[0] if isinstance(args, tuple) and args else args if isinstance(args, str) else ""
    if isinstance(rawmode, str) and ";16" in rawmode:
        return 16
    return 8


def exif_orientation(image: Image.Image) -> tuple[int, str | None]:
    """The EXIF orientation to apply and a note when the tag was unusable (never an error)."""
    try:
        exif = image.getexif()
    except Exception as exc:  # noqa: BLE001 - a broken EXIF block must not refuse a readable image
        return 1, f"EXIF data unreadable ({type(exc).__name__}); orientation ignored"
    if not exif and image.info.get("exif"):
        return 1, "EXIF data present but unreadable (corrupt); orientation ignored"
    return parse_orientation(exif.get(ORIENTATION_TAG))


def _frames(image: Image.Image) -> int:
    try:
        return int(getattr(image, "n_frames", 1) or 1)
    except Exception:  # noqa: BLE001 - counting frames walks the file; a broken later frame is not fatal
        return 1


def check_decode_budget(path: Path, image: Image.Image, **estimate_args) -> None:
    """Refuse (ImageLoadError, kind too_large) when decoding ``image`` would exceed the memory budget;
    ``estimate_args`` go to :func:`core.image_budget.estimate_decode`. Call before ``image.load()``."""
    estimate = estimate_decode(image, **estimate_args)
    budget = decode_budget_bytes()
    if estimate.peak > budget:
        raise ImageLoadError(path, over_budget_message(image, estimate, budget), "too_large")


def decode_pixels(path: Path, image: Image.Image) -> None:
    """Decode the first frame's pixels, every failure as an ImageLoadError."""
    no_data = not image.tile
    try:
        if _frames(image) > 1:
            image.seek(0)
        image.load()
    except MemoryError:
        raise ImageLoadError(path, "ran out of memory while decoding", "too_large") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many types on hostile data
        if no_data:
            raise ImageLoadError(path, "truncated image: the file has a header but no image data",
                                 "truncated") from None
        reason, kind = classify_decode_error(exc)
        raise ImageLoadError(path, reason, kind) from None


def _convert_failure(path: Path, exc: Exception) -> ImageLoadError:
    if isinstance(exc, MemoryError):
        return ImageLoadError(path, "ran out of memory while converting for display", "too_large")
    if isinstance(exc, ValueError):
        return ImageLoadError(path, f"unsupported image data ({exc})", "unsupported")
    reason, kind = classify_decode_error(exc)
    return ImageLoadError(path, reason, kind)


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Load an image file as HxWx3 uint8 RGB plus metadata (see the module docstring)."""
    path = Path(path)
    file_size = _check_path(path)
    layout = tiff_channels.probe(path)
    if layout is not None:
        return _load_channels(path, layout, file_size)
    image, file_size = open_image(path)
    notes: list[str] = []
    try:
        fmt, mode, stored_size = image.format or "unknown", image.mode, image.size
        frames, depth = _frames(image), _bit_depth(image)
        check_decode_budget(path, image)
        decode_pixels(path, image)
        orientation, note = exif_orientation(image)  # after decoding: a PNG's eXIf chunk may follow its pixels
        notes += [note] if note else []
        height, width = oriented_shape(image.size[1], image.size[0], orientation)
        raw, value_range = None, None
        try:
            has_alpha = strips.has_alpha(image)
            if strips.is_high_depth(image):
                as_uint32 = strips.unsigned_32(image)
                raw = np.empty((height, width), strips.values_dtype(image, as_uint32))
                strips.fill_values(image, stored_view(raw, orientation), as_uint32)
                image.close()  # Pillow's copy is no longer needed: free it before the display copy
                value_range = strips.array_value_range(raw)
                rgb = np.empty((height, width, 3), np.uint8)
                strips.rgb_from_values(raw, rgb, value_range)
            else:
                rgb = np.empty((height, width, 3), np.uint8)
                strips.fill_rgb(image, stored_view(rgb, orientation))
        except Exception as exc:  # noqa: BLE001 - converted to a message naming the file
            raise _convert_failure(path, exc) from None
    finally:
        image.close()
    expected = _EXPECTED_FORMAT.get(path.suffix.lower())
    meta = ImageMeta(
        path=str(path), format=fmt, mode=mode, bit_depth=depth, stored_size=stored_size,
        width=width, height=height, orientation=orientation, frames=frames, has_alpha=has_alpha,
        value_range=value_range, file_size=file_size, extension_mismatch=bool(expected and expected != fmt),
        notes=tuple(notes),
    )
    return LoadedImage(rgb=rgb, meta=meta, raw=raw)


def _load_channels(path: Path, layout: tiff_channels.ChannelLayout, file_size: int) -> LoadedImage:
    """A multichannel TIFF read by tifffile: ``raw`` HxWxC, ``rgb`` each channel's min..max in its colour."""
    from core.display.contrast import full_range_settings
    from core.display.render import render

    limit, budget = max_pixels(), decode_budget_bytes()
    if layout.width * layout.height > limit:
        raise ImageLoadError(path, _too_large_message(layout.width, layout.height, limit), "too_large")
    if tiff_channels.peak_bytes(layout) > budget:
        raise ImageLoadError(path, f"reading its {layout.channels} channels would take "
                             f"{format_bytes(tiff_channels.peak_bytes(layout))}, over the memory budget of "
                             f"{format_bytes(budget)} (raise it with {MAX_DECODE_ENV})", "too_large")
    try:
        raw = apply_orientation(tiff_channels.read(path, layout), layout.orientation)
        rgb = render(raw, full_range_settings(raw, layout.rgb))
    except MemoryError:
        raise ImageLoadError(path, "ran out of memory while decoding", "too_large") from None
    except Exception as exc:  # noqa: BLE001 - tifffile raises many types on hostile data
        raise ImageLoadError(path, f"unreadable TIFF pixel data ({type(exc).__name__}: {exc})", "corrupt") from None
    dtype = layout.dtype
    mode = f"RGB;{dtype.itemsize * 8}" if layout.rgb else f"{layout.channels} channels {dtype.name}"
    notes = ["alpha channel ignored (shown opaque)"] if layout.samples > layout.channels else []
    height, width = raw.shape[:2]
    meta = ImageMeta(
        path=str(path), format="TIFF", mode=mode, bit_depth=dtype.itemsize * 8,
        stored_size=(layout.width, layout.height), width=width, height=height, orientation=layout.orientation,
        value_range=strips.array_value_range(raw), file_size=file_size,
        extension_mismatch=path.suffix.lower() not in (".tif", ".tiff"), notes=tuple(notes),
        channels=layout.channels, rgb_channels=layout.rgb)
    return LoadedImage(rgb=rgb, meta=meta, raw=raw)


def load_thumbnail(path: str | os.PathLike, size: int = 96) -> np.ndarray:
    """A small RGB preview (longest side ``size``), oriented like :func:`load_image`. JPEGs are decoded
    at a reduced scale; other images are reduced strip by strip, never converted at full size."""
    path = Path(path)
    _check_path(path)
    if tiff_channels.probe(path) is not None:  # Pillow would refuse it or drop its low bytes
        preview = Image.fromarray(load_image(path).rgb)
        preview.thumbnail((size, size), Image.Resampling.BILINEAR)
        return np.asarray(preview)
    image, _ = open_image(path)
    try:
        source_pixels = image.size[0] * image.size[1]
        try:
            if image.format == "JPEG":
                image.draft("RGB", (size * 2, size * 2))
        except Exception:  # noqa: BLE001 - draft is an optimisation; a full decode still works
            log.debug("JPEG draft failed for %s", display_path(path), exc_info=True)
        width, height = image.size
        factor = max(1, max(width, height) // (2 * size))
        reduced_pixels = (width // factor + 1) * (height // factor + 1)
        check_decode_budget(path, image, keep_values=False, output_pixels=reduced_pixels, source_pixels=source_pixels)
        decode_pixels(path, image)
        orientation, _note = exif_orientation(image)
        try:
            as_uint32 = strips.unsigned_32(image)
            value_range = strips.value_range(image, as_uint32) if strips.is_high_depth(image) else None
            small = strips.reduced_rgb(image, factor, value_range, as_uint32)
        except Exception as exc:  # noqa: BLE001
            raise _convert_failure(path, exc) from None
    finally:
        image.close()
    preview = Image.fromarray(apply_orientation(small, orientation))
    preview.thumbnail((size, size), Image.Resampling.BILINEAR)
    return np.asarray(preview)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Entries of ``folder`` named like images (by extension), sorted by name. Folders named x.png are
    skipped; everything else is listed, including broken links and special files, so that whoever loads
    them reports the problem for that file instead of it silently missing."""
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and not os.path.isdir(p)),
                  key=lambda p: p.name.lower())


# Pillow refuses to decode truncated files (the default); we report them instead of guessing pixels.
ImageFile.LOAD_TRUNCATED_IMAGES = False

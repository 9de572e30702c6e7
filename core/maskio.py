"""Label-map (mask) files: read any common form into class indices, write visible palette PNGs atomically.

Reading accepts palette PNGs (indices as stored), grey masks (0/255 binary -> 0/1, small integers as
classes, a few arbitrary grey levels mapped in order), and RGB masks with few colours (black -> 0, our
palette's colours -> their index, other colours in sorted order). What was done is in the report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo

from core.atomic import atomic_save
from core.imageio import ImageLoadError, open_image
from core.palette import LABEL_COLORS, flat_palette

MAX_CLASSES = 255
_GREY_LEVEL_LIMIT = 16  # at most this many arbitrary grey levels are accepted as classes
_LABEL_NAMES_KEY = "seggan:labels"


class MaskLoadError(ImageLoadError):
    """A mask file could not be read as a label map."""


@dataclass(frozen=True)
class MaskReport:
    kind: str  # palette, binary, indexed, grey-levels, colours
    classes: tuple[int, ...]  # class indices present
    mapping: dict = field(default_factory=dict)  # source value/colour -> class, where values were remapped
    notes: tuple[str, ...] = ()  # anything unexpected (thresholded pixels, ignored alpha, ...)
    names: dict = field(default_factory=dict)  # class -> name, when the file carries them


@dataclass(frozen=True)
class LoadedMask:
    labels: np.ndarray  # HxW uint8 class indices
    report: MaskReport


def _decode(path: Path) -> Image.Image:
    image, _ = open_image(path)
    try:
        image.load()
        if image.getexif().get(0x0112, 1) not in (1, None):
            image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MaskLoadError(path, f"truncated or corrupt mask ({exc})", "truncated") from None
    return image


def _names_from(image: Image.Image) -> dict:
    text = image.info.get(_LABEL_NAMES_KEY)
    if not text:
        return {}
    try:
        return {int(k): str(v) for k, v in json.loads(text).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def _from_grey(values: np.ndarray, path: Path, notes: list[str]) -> tuple[np.ndarray, str, dict]:
    uniques, counts = np.unique(values, return_counts=True)
    present = set(uniques.tolist())
    if present <= {0, 255}:
        return (values == 255).astype(np.uint8), "binary", {0: 0, 255: 1}
    if present <= set(range(MAX_CLASSES + 1)) and max(present) <= 64 and (
        len(present) <= 2 or max(present) < 255
    ):
        return values.astype(np.uint8), "indexed", {}
    if len(uniques) <= _GREY_LEVEL_LIMIT:
        mapping = {int(v): i for i, v in enumerate(uniques.tolist())}
        lut_values = np.searchsorted(uniques, values)
        levels = ", ".join(str(v) for v in uniques.tolist())
        notes.append(f"grey levels {levels} mapped to classes 0..{len(uniques) - 1}")
        return lut_values.astype(np.uint8), "grey-levels", mapping
    extremes = counts[(uniques == 0) | (uniques == uniques.max())].sum()
    if uniques.max() > 0 and extremes >= 0.98 * values.size:
        high = uniques.max()
        other = values.size - int(extremes)
        notes.append(
            f"{other} pixels with values between 0 and {high} (antialiasing or JPEG compression?) "
            f"thresholded at {high / 2:g}"
        )
        return (values > high / 2).astype(np.uint8), "binary", {0: 0, int(high): 1}
    raise MaskLoadError(
        path, f"not a label map: {len(uniques)} distinct grey levels (expected class indices, 0/255, or a "
        f"few levels)", "not_label_map")


def _from_colours(rgb: np.ndarray, path: Path, notes: list[str]) -> tuple[np.ndarray, str, dict]:
    flat = rgb.reshape(-1, 3)
    packed = (flat[:, 0].astype(np.uint32) << 16) | (flat[:, 1].astype(np.uint32) << 8) | flat[:, 2]
    uniques, inverse = np.unique(packed, return_inverse=True)
    if len(uniques) > MAX_CLASSES + 1:
        raise MaskLoadError(path, f"not a label map: {len(uniques)} distinct colours (a photo?)", "not_label_map")
    palette_packed = {
        (int(r) << 16) | (int(g) << 8) | int(b): i for i, (r, g, b) in enumerate(LABEL_COLORS.tolist())
    }
    classes = np.zeros(len(uniques), np.int64)
    taken: set[int] = set()
    unknown = []
    for i, colour in enumerate(uniques.tolist()):
        if colour in palette_packed and palette_packed[colour] not in taken:
            classes[i] = palette_packed[colour]
            taken.add(int(classes[i]))
        else:
            unknown.append(i)
    next_class = 1
    for i in unknown:
        while next_class in taken:
            next_class += 1
        if next_class > MAX_CLASSES:
            raise MaskLoadError(path, "not a label map: too many colours", "not_label_map")
        classes[i] = next_class
        taken.add(next_class)
    mapping = {
        f"#{colour:06x}": int(cls) for colour, cls in zip(uniques.tolist(), classes.tolist(), strict=True)
    }
    if unknown:
        notes.append("colours mapped to classes: " + ", ".join(f"{k} -> {v}" for k, v in mapping.items()))
    labels = classes[inverse].reshape(rgb.shape[:2]).astype(np.uint8)
    return labels, "colours", mapping


def read_mask(path: str | os.PathLike, expected_size: tuple[int, int] | None = None) -> LoadedMask:
    """Read a label map. ``expected_size`` is the image's (width, height); a different size is an error."""
    path = Path(path)
    image = _decode(path)
    notes: list[str] = []
    names = _names_from(image)
    mode = image.mode
    mapping: dict = {}
    try:
        if mode == "P":
            labels = np.asarray(image).astype(np.uint8)
            kind = "palette"
            if "transparency" in image.info:
                notes.append("palette transparency ignored: indices are the classes")
        elif mode in ("1",):
            labels = np.asarray(image).astype(np.uint8)
            kind = "binary"
        elif mode in ("L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
            if mode == "LA":
                notes.append("alpha channel ignored")
                image = image.getchannel("L")
            values = np.asarray(image)
            if values.dtype.kind == "f":
                if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
                    raise MaskLoadError(path, "not a label map: non-integer values", "not_label_map")
                values = values.astype(np.int64)
            if values.min() < 0:
                raise MaskLoadError(path, "not a label map: negative values", "not_label_map")
            labels, kind, mapping = _from_grey(values, path, notes)
        elif mode in ("RGB", "RGBA", "RGBX", "CMYK", "YCbCr"):
            if mode == "RGBA":
                notes.append("alpha channel ignored")
            rgb = np.asarray(image.convert("RGB"))
            if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
                labels, kind, mapping = _from_grey(rgb[..., 0], path, notes)
            else:
                labels, kind, mapping = _from_colours(rgb, path, notes)
        else:
            raise MaskLoadError(path, f"unsupported mask mode {mode!r}", "unsupported")
    finally:
        image.close()
    height, width = labels.shape
    if expected_size is not None and tuple(expected_size) != (width, height):
        ew, eh = expected_size
        raise MaskLoadError(path, f"mask is {width}x{height} but its image is {ew}x{eh}", "size_mismatch")
    classes = tuple(int(c) for c in np.unique(labels).tolist())
    report = MaskReport(kind=kind, classes=classes, mapping=mapping, notes=tuple(notes), names=names)
    return LoadedMask(labels=np.ascontiguousarray(labels), report=report)


def write_mask(path: str | os.PathLike, labels: np.ndarray, names: dict[int, str] | None = None) -> Path:
    """Write ``labels`` (HxW ints 0..255) as a palette PNG with visible colours, atomically."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a label map is 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > MAX_CLASSES):
        raise ValueError(f"labels must be in 0..{MAX_CLASSES}, got {labels.min()}..{labels.max()}")
    # Build the P image from raw bytes so indices are exactly the label values (convert() may remap).
    height, width = labels.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    image.putpalette(flat_palette())
    info = PngInfo()
    if names:
        info.add_text(_LABEL_NAMES_KEY, json.dumps({str(int(k)): str(v) for k, v in names.items()}))
    path = Path(path)
    atomic_save(path, lambda handle: image.save(handle, format="PNG", pnginfo=info))
    return path

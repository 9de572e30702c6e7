"""One mask file's values, surveyed in bounded memory.

A mask is read as a plane of *values* in one of three spaces: ``grey`` (grey levels, 16-bit and integer
TIFF values), ``palette`` (palette indices; their colours and any class names stored with them are kept)
and ``colour`` (RGB packed as 0xRRGGBB). For every distinct value the survey counts

- ``count``: its pixels;
- ``solid``: pixels equal to all four neighbours (the inside of a region, what a class looks like);
- ``between``: pixels that are not solid and whose value lies within the range of their *differing*
  four neighbours, widened by a tolerance per channel (what antialiasing and compression leave on the
  boundary between two regions).

The work goes in strips of about a million pixels, so a 12000x12000 mask costs its decoded image plus a
few strips, never an array of packed colours of the whole image.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.image_strips import unsigned_32
from core.imageio import ImageLoadError, check_decode_budget, decode_pixels, exif_orientation, open_image

GREY, PALETTE, COLOUR = "grey", "palette", "colour"
STRIP_PIXELS = 1 << 19
MAX_DISTINCT = 1 << 20  # more distinct values than this in one file: a photo, not a label map
TOLERANCE = {GREY: 8, PALETTE: 24, COLOUR: 24}  # per channel: for "between" and for merging near values
LOSSY_TOLERANCE = {GREY: 24, PALETTE: 48, COLOUR: 48}  # lossy files shift flat colours (JPEG chroma)
LOSSY_FORMATS = ("JPEG", "MPO", "WEBP")
LABEL_NAMES_KEY = "seggan:labels"

_GREY_MODES = ("L", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_COLOUR_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr")
# EXIF orientation -> the transpose that shows the stored image as a viewer does (as load_image orients it)
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


class MaskLoadError(ImageLoadError):
    """A mask file could not be read as a label map."""


@dataclass(frozen=True)
class ValueStats:
    """Per distinct value (sorted): pixels, solid pixels, boundary ("between") pixels."""

    values: np.ndarray
    count: np.ndarray
    solid: np.ndarray
    between: np.ndarray

    @property
    def pixels(self) -> int:
        return int(self.count.sum())

    @staticmethod
    def empty() -> ValueStats:
        zero = np.zeros(0, np.int64)
        return ValueStats(zero, zero, zero, zero)

    @staticmethod
    def merge(parts: list[ValueStats]) -> ValueStats:
        """Sum the counts of equal values over ``parts``."""
        parts = [p for p in parts if len(p.values)]
        if not parts:
            return ValueStats.empty()
        if len(parts) == 1:
            return parts[0]
        values = np.concatenate([p.values for p in parts])
        uniq, inverse = np.unique(values, return_inverse=True)

        def summed(name: str) -> np.ndarray:
            weights = np.concatenate([getattr(p, name) for p in parts])
            return np.bincount(inverse, weights=weights, minlength=len(uniq)).astype(np.int64)

        return ValueStats(uniq.astype(np.int64), summed("count"), summed("solid"), summed("between"))

    def mapped(self, new_values: np.ndarray) -> ValueStats:
        """The same pixels under new values (one per current value); equal new values are merged."""
        return ValueStats.merge([ValueStats(np.asarray(new_values, np.int64), self.count, self.solid,
                                            self.between)])


@dataclass(frozen=True)
class MaskFile:
    """What one mask file holds: its size, value space, value statistics and metadata."""

    path: str
    size: tuple[int, int]  # (width, height) after EXIF orientation
    space: str
    stats: ValueStats
    mode: str
    palette: np.ndarray | None = None  # 256x3 uint8 colours of the indices (palette files)
    names: dict = field(default_factory=dict)  # value -> class name stored in the file
    notes: tuple[str, ...] = ()
    lossy: bool = False  # JPEG or WebP: flat regions may decode to slightly different values

    @property
    def pixels(self) -> int:
        return self.size[0] * self.size[1]


def pack(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 (or Nx3) uint8 -> 0xRRGGBB as uint32."""
    rgb = np.asarray(rgb)
    return (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]


def unpack(packed) -> np.ndarray:
    """0xRRGGBB ints -> (..., 3) int64 channels."""
    packed = np.asarray(packed, np.int64)
    return np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=-1)


def names_from(image: Image.Image) -> dict:
    text = image.info.get(LABEL_NAMES_KEY)
    if not text:
        return {}
    try:
        return {int(k): str(v) for k, v in json.loads(text).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


class MaskSource:
    """An opened mask, readable as value planes strip by strip. Use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        image, _ = open_image(self.path)
        notes: list[str] = []
        fmt = image.format  # an oriented copy has none
        self.unsigned_32 = unsigned_32(image)  # Pillow holds uint32 TIFFs as int32: read the same bits back
        try:
            image = self._decode(image, notes)
        except BaseException:
            image.close()
            raise
        self.mode = image.mode
        self.lossy = fmt in LOSSY_FORMATS
        self.names = names_from(image)
        self.palette = None
        if image.mode in ("P", "PA"):
            self.space = PALETTE
            flat = (image.getpalette() or [])[: 768]
            self.palette = np.zeros((256, 3), np.uint8)
            colours = np.asarray(flat, np.uint8).reshape(-1, 3)
            self.palette[: len(colours)] = colours
            if image.mode == "PA":
                notes.append("alpha channel ignored")
                image = image.getchannel(0)  # indices as an L image
            elif "transparency" in image.info:
                notes.append("palette transparency ignored: indices are the classes")
        elif image.mode in ("1", "L", "LA", "La") or image.mode in _GREY_MODES:
            self.space = GREY
            if image.mode in ("LA", "La"):
                notes.append("alpha channel ignored")
                image = image.getchannel(0)
            elif image.mode == "1":
                image = image.convert("L")
        elif image.mode in _COLOUR_MODES:
            self.space = COLOUR
            if image.mode in ("RGBA", "RGBa"):
                notes.append("alpha channel ignored")
        else:
            image.close()
            raise MaskLoadError(self.path, f"unsupported mask mode {image.mode!r}", "unsupported")
        self.image = image
        self.notes = tuple(notes)
        self.size = image.size
        self.colours = None  # sorted packed colours of an RGB image, when few: codes instead of np.unique
        if image.mode == "RGB":
            counted = image.getcolors(maxcolors=1 << 16)  # Pillow counts in C, without a packed copy
            if counted is not None:
                self.colours = np.sort(pack(np.array([c for _, c in counted], np.uint8)).astype(np.int64))

    def _decode(self, image: Image.Image, notes: list[str]) -> Image.Image:
        """Decode the pixels within the memory budget and orient them as load_image does (an Orientation
        tag of any stored type; an invalid one is ignored with a note). Every failure is a MaskLoadError."""
        try:
            # the budget counts Pillow's image, the uint8 label map and one strip's temporaries
            check_decode_budget(self.path, image, keep_values=False, output_bytes_per_pixel=1,
                                output_name="label map")
            decode_pixels(self.path, image)  # the first frame; failures named as load_image names them
        except ImageLoadError as exc:
            raise MaskLoadError(self.path, exc.reason, exc.kind) from None
        orientation, note = exif_orientation(image)
        if note:
            notes.append(note)
        if orientation != 1:
            try:
                oriented = image.transpose(_TRANSPOSE[orientation])
            except MemoryError:
                raise MaskLoadError(self.path, "ran out of memory while orienting the mask", "too_large") from None
            image.close()
            image = oriented
        return image

    def __enter__(self) -> MaskSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.image.close()

    def rows_per_strip(self) -> int:
        return max(1, STRIP_PIXELS // max(1, self.size[0]))

    def plane(self, top: int, bottom: int) -> np.ndarray:
        """Rows ``top:bottom`` as values: uint8/uint16/int64 grey, uint8 indices or uint32 packed RGB."""
        strip = self.image.crop((0, top, self.size[0], bottom))
        if self.space == COLOUR:
            if strip.mode != "RGB":
                strip = strip.convert("RGB")
            return pack(np.asarray(strip))
        values = np.asarray(strip)
        if self.unsigned_32 and values.dtype == np.int32:
            values = values.view(np.uint32)
        if values.dtype.kind == "f":
            if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
                raise MaskLoadError(self.path, "not a label map: non-integer values", "not_label_map")
            values = values.astype(np.int64)
        if values.dtype.kind == "i":
            if values.size and values.min() < 0:
                raise MaskLoadError(self.path, "not a label map: negative values", "not_label_map")
            values = values.astype(np.int64)
        elif values.dtype == np.uint32:
            values = values.astype(np.int64)
        elif values.dtype.byteorder == ">":
            values = values.astype(values.dtype.newbyteorder("="))
        return values

    def strips(self, halo: int = 0) -> Iterator[tuple[int, int, np.ndarray]]:
        """(top, bottom, plane) per strip; with ``halo`` the plane has that many extra rows above and
        below (edge rows repeated at the image's border)."""
        width, height = self.size
        step = self.rows_per_strip()
        for top in range(0, height, step):
            bottom = min(height, top + step)
            low, high = max(0, top - halo), min(height, bottom + halo)
            values = self.plane(low, high)
            if halo:
                values = np.concatenate([values[:1]] * (halo - (top - low)) + [values]
                                        + [values[-1:]] * (halo - (high - bottom)), axis=0)
            yield top, bottom, values

    def channels(self, values: np.ndarray) -> list[np.ndarray]:
        """The per-channel numbers the 'between' test compares (grey level, or the R, G, B of a colour)."""
        if self.space == GREY:
            return [values.astype(np.int64)]
        rgb = unpack(values) if self.space == COLOUR else self.palette.astype(np.int64)[values]
        return [rgb[..., 0], rgb[..., 1], rgb[..., 2]]


def _neighbours(plane: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Centre rows of a plane with a one-row halo, and its four neighbours (edges repeated)."""
    centre = plane[1:-1]
    left = np.concatenate([centre[:, :1], centre[:, :-1]], axis=1)
    right = np.concatenate([centre[:, 1:], centre[:, -1:]], axis=1)
    return centre, [plane[:-2], plane[2:], left, right]


def _strip_stats(source: MaskSource, plane: np.ndarray, tolerance: int) -> ValueStats:
    centre, around = _neighbours(plane)
    solid = np.ones(centre.shape, bool)
    for other in around:
        solid &= other == centre
    # 'between' only where a pixel is not solid: a small share of any label map
    where = ~solid
    value = centre[where]
    between = np.zeros(value.shape, bool)
    if value.size:
        differs = [other[where] != value for other in around]
        any_differs = np.logical_or.reduce(differs)
        between = any_differs.copy()
        for channel_value, channel_around in zip(source.channels(value),
                                                 zip(*[source.channels(o[where]) for o in around], strict=True),
                                                 strict=True):
            low = np.full(value.shape, np.iinfo(np.int64).max)
            high = np.full(value.shape, np.iinfo(np.int64).min)
            for d, n in zip(differs, channel_around, strict=True):
                low = np.where(d, np.minimum(low, n), low)
                high = np.where(d, np.maximum(high, n), high)
            between &= (channel_value >= low - tolerance) & (channel_value <= high + tolerance)
    flat = centre.ravel()
    if source.colours is not None:  # few colours, known in advance: index them instead of sorting
        codes = np.searchsorted(source.colours, centre)
        size = len(source.colours)
        count = np.bincount(codes.ravel(), minlength=size)
        return ValueStats(source.colours, count, np.bincount(codes[solid], minlength=size),
                          np.bincount(codes[where][between], minlength=size))
    if centre.dtype in (np.uint8, np.uint16):
        size = 256 if centre.dtype == np.uint8 else 65536
        count = np.bincount(flat, minlength=size)
        solid_count = np.bincount(centre[solid], minlength=size)
        between_count = np.bincount(value[between], minlength=size)
        present = np.flatnonzero(count)
        return ValueStats(present.astype(np.int64), count[present], solid_count[present], between_count[present])
    uniq, inverse = np.unique(flat, return_inverse=True)
    inverse = inverse.reshape(centre.shape)
    return ValueStats(uniq.astype(np.int64), np.bincount(inverse.ravel(), minlength=len(uniq)),
                      np.bincount(inverse[solid], minlength=len(uniq)),
                      np.bincount(inverse[where][between], minlength=len(uniq)))


def survey_file(path: str | Path) -> MaskFile:
    """Decode ``path`` once and count its values (see the module's docstring). Raises MaskLoadError."""
    with MaskSource(path) as source:
        tolerance = TOLERANCE[source.space]
        parts: list[ValueStats] = []
        distinct = 0
        for _, _, plane in source.strips(halo=1):
            part = _strip_stats(source, plane, tolerance)
            parts.append(part)
            distinct += len(part.values)
            if distinct > 4 * MAX_DISTINCT or len(parts) > 64:
                parts = [ValueStats.merge(parts)]
                distinct = len(parts[0].values)
                if distinct > MAX_DISTINCT:
                    raise MaskLoadError(path, f"not a label map: more than {MAX_DISTINCT} distinct "
                                        f"{'colours' if source.space == COLOUR else 'values'} (a photo?)",
                                        "not_label_map")
        stats = ValueStats.merge(parts)
        space, palette = source.space, source.palette
        if space == COLOUR and len(stats.values) and np.all(np.ptp(unpack(stats.values), axis=1) == 0):
            space, stats = GREY, stats.mapped(stats.values & 255)  # an RGB file of greys is a grey mask
        result = MaskFile(str(path), source.size, space, stats, source.mode, palette, source.names, source.notes,
                          source.lossy)
    _refuse_photos(result)
    return result


def _refuse_photos(mask: MaskFile) -> None:
    """Many distinct values and few solid pixels: a photo or a scan, not a label map."""
    if mask.space == PALETTE and mask.names:
        return  # a label map this studio wrote (it names its labels): many tiny instances are not a photo
    stats = mask.stats
    if len(stats.values) > 64 and stats.solid.sum() < 0.2 * stats.pixels:
        what = "colours" if mask.space == COLOUR else "grey levels"
        raise MaskLoadError(mask.path, f"not a label map: {len(stats.values)} distinct {what} and only "
                            f"{100 * stats.solid.sum() / max(1, stats.pixels):.0f}% of pixels in solid regions "
                            "(a photo?)", "not_label_map")

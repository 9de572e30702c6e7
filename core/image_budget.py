"""The memory a decode will take, estimated from the header before any pixel is decoded.

Two limits guard every image read: a pixel count (:func:`core.imageio.max_pixels`) and this memory budget.
The estimate counts what Pillow holds (its own storage per mode, 4 bytes a pixel for RGB), the decoder's
buffers (a progressive JPEG's coefficients, a TIFF strip), the stored values the studio keeps for 16-bit,
32-bit and float images, the RGB8 display copy and the temporaries of one conversion strip. Conversion works in strips
(:mod:`core.image_strips`), so nothing else of image size is ever allocated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

DEFAULT_MAX_DECODE_MB = 1536
MAX_DECODE_ENV = "SEGGAN_MAX_DECODE_MB"
STRIP_PIXELS = 1 << 20  # pixels converted at a time
# Temporaries per pixel of a strip at worst: an alpha composite (crop, RGBA conversion, its numpy copy,
# uint16 products) or a float64 stretch of stored values.
STRIP_BYTES_PER_PIXEL = 48

# Bytes per pixel of Pillow's own storage. Multi-band modes (RGB included) use 4 bytes a pixel.
_PILLOW_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "I": 4, "F": 4}
# Stored values kept next to the display copy: numpy bytes per pixel.
HIGH_DEPTH_BYTES = {"I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "I": 4, "F": 4}


def decode_budget_bytes() -> int:
    """The memory one decode may take; ``SEGGAN_MAX_DECODE_MB`` overrides the default."""
    value = os.environ.get(MAX_DECODE_ENV, "")
    try:
        megabytes = float(value) if value else DEFAULT_MAX_DECODE_MB
    except ValueError:
        megabytes = DEFAULT_MAX_DECODE_MB
    return int(max(megabytes, 1.0) * (1 << 20))


def format_bytes(count: float) -> str:
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GB"
    if count >= 1 << 20:
        return f"{count / (1 << 20):.0f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{int(count)} bytes"


def pillow_bytes_per_pixel(mode: str) -> int:
    return _PILLOW_BYTES.get(mode, 4 if len(mode) <= 5 else 8)


@dataclass(frozen=True)
class DecodeEstimate:
    peak: int  # bytes at the worst moment
    parts: tuple[tuple[str, int], ...]  # what makes it up, for the message

    def describe(self) -> str:
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in self.parts if size)


def _decoder_buffers(image: Image.Image, pixels: int) -> int:
    """Buffers the codec keeps beside Pillow's image while decoding."""
    fmt = image.format
    if fmt == "JPEG" and (image.info.get("progressive") or image.info.get("progression")):
        # libjpeg keeps every DCT coefficient (16 bits) of every component until the last scan
        layers = getattr(image, "layer", None) or [(0, 1, 1, 0)] * len(image.getbands())
        most = max(h * v for _, h, v, _ in layers) or 1
        return int(pixels * 2 * sum(h * v for _, h, v, _ in layers) / most)
    if fmt == "TIFF":
        tags = getattr(image, "tag_v2", {})
        width, height = image.size
        samples = int(tags.get(277, 1) or 1)
        bits = tags.get(258, (8,))
        bits = max(bits) if isinstance(bits, tuple) else int(bits)
        if 322 in tags and 323 in tags:  # tiled: libtiff holds one tile, whatever its declared size
            block = int(tags[322]) * int(tags[323])
        else:  # one strip of RowsPerStrip rows (default: the whole image)
            block = min(int(tags.get(278, height) or height), height) * width
        # the compressed block read whole (measured: a single-strip 12000x12000 float32 TIFF peaks no higher
        # than a 64-row-strip one, so libtiff decodes into Pillow's rows, not into a second full copy)
        return block * samples * max(bits // 8, 1)
    if fmt == "PNG" and int(getattr(image, "n_frames", 1) or 1) > 1:
        return pixels * pillow_bytes_per_pixel(image.mode) * 2  # APNG keeps the canvas to dispose to
    return 0


def estimate_decode(image: Image.Image, *, keep_values: bool = True, display: bool = True,
                    output_pixels: int | None = None, source_pixels: int | None = None,
                    output_bytes_per_pixel: int = 3, output_name: str = "display copy") -> DecodeEstimate:
    """The peak memory of decoding ``image`` (opened, not loaded) and converting it for display.

    ``keep_values``: the stored 16/32-bit values are kept (load_image); ``display``: an RGB8 copy of
    ``output_pixels`` pixels (default: the whole image) is made, ``output_bytes_per_pixel`` each (1 for a
    mask's uint8 label map, named ``output_name`` in the message); ``source_pixels``: the stored size when a JPEG draft already reduced
    ``image.size`` (the codec's buffers still follow the stored size)."""
    width, height = image.size
    pixels = width * height
    mode = image.mode
    if image.format == "GIF":
        mode = "RGBA"  # later frames and some first frames are decoded into RGB(A) at screen size
    decoded = pixels * pillow_bytes_per_pixel(mode)
    buffers = _decoder_buffers(image, pixels if source_pixels is None else source_pixels)
    values = pixels * HIGH_DEPTH_BYTES.get(mode, 0) if keep_values else 0
    rgb = (pixels if output_pixels is None else output_pixels) * output_bytes_per_pixel if display else 0
    # Phases: decoding (Pillow + codec), copying stored values out (Pillow + values), converting (Pillow or
    # values + display copy); the strip allowance covers one strip's temporaries in any phase.
    strip = min(pixels, STRIP_PIXELS) * STRIP_BYTES_PER_PIXEL
    peak = max(decoded + buffers, decoded + values, decoded + rgb, values + rgb) + strip
    parts = (("decoded", decoded), ("decoder buffers", buffers), ("stored values", values),
             (output_name, rgb), ("conversion strip", strip))
    return DecodeEstimate(peak=peak, parts=parts)


def over_budget_message(image: Image.Image, estimate: DecodeEstimate, budget: int) -> str:
    width, height = image.size
    return (f"image too large to decode safely: {width}x{height} {image.mode} needs about "
            f"{format_bytes(estimate.peak)} of memory ({estimate.describe()}), above the memory budget of "
            f"{format_bytes(budget)}; raise it with the environment variable {MAX_DECODE_ENV}=<megabytes> "
            "if this machine has the memory")

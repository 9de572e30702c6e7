"""Builders for the hostile-input corpus: every file is generated here, in the test's temp folder."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def gradient_rgb(height: int = 24, width: int = 32) -> np.ndarray:
    """An asymmetric RGB test image: every pixel different, so any flip or rotation shows."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1),
                     (xx * 7 + yy * 3) % 256], axis=-1).astype(np.uint8)


def save(path: Path, image: Image.Image, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


def truncated_copy(source: Path, target: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def png_header_only(path: Path, width: int, height: int, bit_depth: int = 8, colour_type: int = 2) -> Path:
    """A PNG with a valid signature and IHDR declaring width x height, no pixel data: a decompression bomb's
    header without the bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def with_exif_orientation(path: Path, rgb: np.ndarray, orientation: int, fmt: str = "PNG") -> Path:
    image = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, format=fmt, exif=exif.tobytes())
    return path


def expected_orientation(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows for a stored image with this EXIF orientation (the EXIF spec's definitions)."""
    return {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.transpose(a, (1, 0, 2)),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.transpose(a[::-1, ::-1], (1, 0, 2)),
        8: lambda a: np.rot90(a, 1),
    }[orientation](rgb)


def cmyk_jpeg_bytes(cmyk: tuple[int, int, int, int], size: tuple[int, int] = (16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("CMYK", size, cmyk).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


# ---- low-level writers: files Pillow would refuse to write, or too big to build as arrays ------------------
def png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    if crc is None:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_streamed(path: Path, width: int, height: int, first_row: bytes, bit_depth: int = 8,
                 colour_type: int = 2, extra_chunks: bytes = b"") -> Path:
    """A PNG of ``height`` copies of one row (``first_row``: the unfiltered scanline bytes), compressed as it
    is written: a 12000x12000 16-bit image costs a few hundred KB on disk and almost no memory to make."""
    compressor = zlib.compressobj(9)
    up_row = b"\x02" + bytes(len(first_row))  # filter 2 (Up): every later row equals the one above
    parts = [compressor.compress(b"\x00" + first_row)]
    block = up_row * 256
    done = 1
    while done < height:
        count = min(256, height - done)
        parts.append(compressor.compress(block if count == 256 else up_row * count))
        done += count
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    with open(path, "wb") as handle:
        handle.write(PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + extra_chunks)
        handle.write(png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b""))
    return path


def tiff_bytes(array: np.ndarray, sample_format: int, extra_tags: tuple = ()) -> bytes:
    """An uncompressed little-endian one-strip TIFF of ``array`` (HxW or HxWxC) with the given SampleFormat
    (1 unsigned, 2 signed, 3 float): writes the dtypes Pillow cannot (uint32, float64, int16)."""
    array = np.ascontiguousarray(array)
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    height, width = array.shape[:2]
    samples = array.shape[2] if array.ndim == 3 else 1
    data = array.tobytes()
    short, long_ = 3, 4
    tags = [(256, long_, width), (257, long_, height), (258, short, array.itemsize * 8), (259, short, 1),
            (262, short, 2 if samples >= 3 else 1), (273, long_, 0), (277, short, samples),
            (278, long_, height), (279, long_, len(data)), (339, short, sample_format), *extra_tags]
    tags.sort()
    data_offset = 8 + 2 + 12 * len(tags) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)))
    for tag, kind, value in tags:
        value = data_offset if tag == 273 else value
        out += struct.pack("<HHIHH", tag, kind, 1, value, 0) if kind == short else \
            struct.pack("<HHII", tag, kind, 1, value)
    return bytes(out + struct.pack("<I", 0) + data)


def gif_with_screen(path: Path, width: int, height: int) -> Path:
    """A valid GIF whose logical screen is ``width x height`` and whose only frame is one pixel."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    path.write_bytes(header + frame + b";")
    return path


def exif_orientation_bytes(field_type: int, payload: bytes, count: int = 1) -> bytes:
    """A little-endian EXIF block holding only Orientation (0x0112), stored with any TIFF field type:
    3 SHORT (the standard), 2 ASCII, 5 RATIONAL, 4 LONG, ... ``payload`` is the raw value bytes."""
    entry_offset = 8 + 2 + 12 + 4
    if len(payload) <= 4:
        value = payload.ljust(4, b"\x00")
        tail = b""
    else:
        value = struct.pack("<I", entry_offset)
        tail = payload
    return (b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
            + struct.pack("<HHI", 0x0112, field_type, count) + value + struct.pack("<I", 0) + tail)


def jpeg_with_exif(path: Path, rgb: np.ndarray, exif: bytes) -> Path:
    """A JPEG whose APP1 segment is ``exif`` exactly as given (Pillow's writer would retype the value)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=95)
    data = buffer.getvalue()
    segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    path.write_bytes(data[:2] + segment + data[2:])
    return path


def idx_bytes_header(dtype_code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, dtype_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def gzip_of_zeros(path: Path, header: bytes, zero_bytes: int) -> Path:
    """A gzip file of ``header`` followed by ``zero_bytes`` zeros, written as a stream (a few MB on disk for
    several GB inflated)."""
    import gzip

    chunk = bytes(1 << 22)
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(header)
        left = zero_bytes
        while left > 0:
            handle.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


def tiff_streamed(path: Path, width: int, height: int, row: bytes, bits: int, sample_format: int,
                  samples: int = 1, rows_per_strip: int = 64) -> Path:
    """A deflate-compressed little-endian TIFF of ``height`` copies of ``row`` (raw sample bytes), in strips:
    a 12000x12000 float32 image in a few MB, made without building the array."""
    strips = []
    full = zlib.compress(row * rows_per_strip, 9)
    for top in range(0, height, rows_per_strip):
        count = min(rows_per_strip, height - top)
        strips.append(full if count == rows_per_strip else zlib.compress(row * count, 9))
    short, long_ = 3, 4
    n = len(strips)
    tags = [(256, long_, 1, width), (257, long_, 1, height), (258, short, 1, bits), (259, short, 1, 8),
            (262, short, 1, 2 if samples >= 3 else 1), (273, long_, n, None), (277, short, 1, samples),
            (278, long_, 1, rows_per_strip), (279, long_, n, None), (339, short, 1, sample_format)]
    ifd_size = 2 + 12 * len(tags) + 4
    offsets_at = 8 + ifd_size
    counts_at = offsets_at + 4 * n
    data_at = counts_at + 4 * n
    offsets, position = [], data_at
    for strip in strips:
        offsets.append(position)
        position += len(strip)
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)))
    for tag, kind, count, value in tags:
        if tag == 273:
            value = offsets[0] if n == 1 else offsets_at
        elif tag == 279:
            value = len(strips[0]) if n == 1 else counts_at
        out += struct.pack("<HHIHH", tag, kind, count, value, 0) if kind == short else \
            struct.pack("<HHII", tag, kind, count, value)
    out += struct.pack("<I", 0)
    out += struct.pack(f"<{n}I", *offsets) + struct.pack(f"<{n}I", *(len(s) for s in strips))
    with open(path, "wb") as handle:
        handle.write(bytes(out))
        for strip in strips:
            handle.write(strip)
    return path

"""Why a file Pillow cannot identify is not an image: name the real problem from its first bytes.

Pillow reports every header failure as "cannot identify image file". A PNG cut right after its header,
a PNG whose header fails its checksum, a TIFF of 64-bit floats and a text file renamed .png deserve
different messages; this module reads just enough of the file to tell them apart.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_READ_LIMIT = 1 << 16
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}

# signature -> (offset, name) of formats that are not supported or not images at all
_OTHER_FORMATS = (
    (b"%PDF", 0, "a PDF document"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", 0, "a gzip-compressed file"),
    (b"ftypheic", 4, "a HEIC image, which is not supported (convert it to PNG or JPEG)"),
    (b"ftypheix", 4, "a HEIC image, which is not supported (convert it to PNG or JPEG)"),
    (b"ftypmif1", 4, "a HEIF image, which is not supported (convert it to PNG or JPEG)"),
    (b"ftypavif", 4, "an AVIF image, which is not supported by this installation (convert it to PNG)"),
    (b"\x00\x00\x00\x0cjP  ", 0, "a JPEG 2000 image, which is not supported by this installation"),
    (b"8BPS", 0, "a Photoshop document that cannot be read"),
)


def sniff_text(head: bytes) -> str | None:
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "an XML/SVG document"
    if head and b"\x00" not in head and all(b in b"\t\n\r" or b >= 32 for b in head):
        try:
            head.decode("utf-8")
            return "a text file"
        except UnicodeDecodeError:
            return None
    return None


def _png_problem(data: bytes, complete: bool) -> tuple[str, str]:
    """Walk the chunks of a PNG Pillow refused: a cut, a bad checksum or an impossible header."""
    position, last = len(_PNG_SIGNATURE), None
    while True:
        if position + 8 > len(data):
            if not complete:
                break
            where = f"after the {last.decode('latin-1')} chunk" if last else "right after its signature"
            return f"truncated PNG: the file ends {where}, before any image data", "truncated"
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        end = position + 12 + length
        if length > 0x7FFFFFFF:
            return f"corrupt PNG: chunk length {length} is impossible", "corrupt"
        if end > len(data):
            if not complete:
                break
            name = kind.decode("latin-1", "replace")
            return f"truncated PNG: the file ends inside the {name} chunk", "truncated"
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:end])
        name = kind.decode("latin-1", "replace")
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return f"corrupt PNG: the {name} chunk fails its checksum (CRC)", "corrupt"
        if kind == b"IHDR":
            if length != 13:
                return f"corrupt PNG header: IHDR is {length} bytes, not 13", "corrupt"
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if width == 0 or height == 0:
                return f"corrupt PNG header: {width}x{height} pixels", "corrupt"
            if depth not in _PNG_DEPTHS.get(colour, ()):
                return f"corrupt PNG header: bit depth {depth} with colour type {colour} does not exist", "corrupt"
        if kind in (b"IDAT", b"IEND"):
            break
        last, position = kind, end
    return "corrupt PNG header (the file starts like a PNG but its chunks cannot be read)", "corrupt"


def _tiff_problem(data: bytes) -> tuple[str, str]:
    """Name the sample layout of a TIFF that Pillow has no reader for (64-bit floats, 12-bit, ...)."""
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", data[4:8])
        (count,) = struct.unpack(order + "H", data[offset:offset + 2])
        tags = {}
        for index in range(min(count, 512)):
            entry = data[offset + 2 + 12 * index: offset + 14 + 12 * index]
            tag, kind, n = struct.unpack(order + "HHI", entry[:8])
            if kind == 3:
                tags[tag] = struct.unpack(order + "H", entry[8:10])[0]
            elif kind == 4:
                tags[tag] = struct.unpack(order + "I", entry[8:12])[0]
    except (struct.error, IndexError):
        return "corrupt or truncated TIFF header", "truncated"
    bits, fmt, samples = tags.get(258, 1), tags.get(339, 1), tags.get(277, 1)
    if fmt == 3 and bits == 64:
        return ("unsupported TIFF: 64-bit floating-point samples cannot be read (only up to 32-bit float); "
                "save it as 32-bit float"), "unsupported"
    kind = {1: "unsigned integer", 2: "signed integer", 3: "floating-point"}.get(fmt, f"sample format {fmt}")
    return (f"unsupported TIFF: {bits}-bit {kind} samples, {samples} per pixel, compression "
            f"{tags.get(259, 1)}"), "unsupported"


def diagnose_unidentified(path: Path) -> tuple[str, str]:
    """(reason, kind) for a file Pillow could not identify."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_READ_LIMIT)
            complete = len(handle.read(1)) == 0
    except OSError as exc:
        return f"cannot read file ({exc.strerror or exc})", "permission"
    if data.startswith(_PNG_SIGNATURE):
        return _png_problem(data, complete)
    if data[:3] == b"\xff\xd8\xff":
        return "corrupt or truncated JPEG: its header cannot be read", "corrupt"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "corrupt or truncated GIF: its header cannot be read", "corrupt"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_problem(data)
    if data[:2] == b"BM":
        return "corrupt or unsupported BMP (its header cannot be read)", "corrupt"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        declared = struct.unpack("<I", data[4:8])[0] + 8
        size = path.stat().st_size
        if size < declared:
            return f"truncated WebP: the file has {size} of the {declared} bytes its header declares", "truncated"
        return "corrupt or unsupported WebP (its header cannot be read)", "corrupt"
    for signature, offset, what in _OTHER_FORMATS:
        if data[offset:offset + len(signature)] == signature:
            return f"not a supported image: the file is {what}", "not_image"
    text = sniff_text(data[:512])
    if text:
        return f"not an image: the file is {text}", "not_image"
    return "not an image (unknown or unsupported file format)", "not_image"


def classify_decode_error(exc: BaseException) -> tuple[str, str]:
    """(reason, kind) for an exception raised while decoding pixel data."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError) or "truncated" in detail.lower() or "premature end" in detail.lower():
        return f"truncated image data: the file ends before all pixels are stored ({detail})", "truncated"
    if isinstance(exc, zlib.error) or "decoder error" in detail.lower() or "broken" in detail.lower():
        return f"corrupt image data ({detail})", "corrupt"
    return f"corrupt or unreadable image data ({type(exc).__name__}: {detail})", "corrupt"

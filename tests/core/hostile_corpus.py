"""The hostile-input corpus: one case per failure class a real user's files can have, each generated here
and each with its exact expected outcome. ``tests/core/test_hostile_corpus.py`` runs every case through
its public core call; ``benchmarks/hostile_memory.py`` runs the same cases (and the big ones marked
``big``, never run by the tests) each in a fresh process under an address-space limit and reports peak
memory.

A case builds its file(s) in an empty folder and returns the path the call gets. Calls:
``image`` (load_image, load_thumbnail, and read_mask: every image file is also read as a mask),
``mask`` (read_mask, through core.masks), ``mask_folder`` (survey_masks over a folder's listing),
``unet_folder`` (load_data of an images/ + masks/ pair of folders), ``idx`` (load_idx), ``gan_folder``
(load_folder), ``workspace`` (Workspace.open), ``thumbnails`` (thumbnails_job over a folder's listing).
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from tests.core.hostile import (
    PNG_SIGNATURE,
    cmyk_jpeg_bytes,
    exif_orientation_bytes,
    expected_orientation,
    gif_with_screen,
    gradient_rgb,
    gzip_of_zeros,
    idx_bytes_header,
    jpeg_with_exif,
    png_chunk,
    png_header_only,
    png_streamed,
    tiff_bytes,
    tiff_streamed,
    truncated_copy,
    with_exif_orientation,
)

THUMB_SIZE = 64
SMALL_BUDGET = {"SEGGAN_MAX_DECODE_MB": "8"}  # scaled-down memory budget: refusals with small files


@dataclass(frozen=True)
class Expect:
    kind: str | None = None  # None: the call succeeds; else the refusal's kind (ImageLoadError.kind)
    fragments: tuple[str, ...] = ()  # text the message must contain
    check: Callable | None = None  # for a success: check(result) raises AssertionError when wrong
    or_refused: str | None = None  # for a success: a refusal of this kind is fine too


def loads(check: Callable | None = None) -> Expect:
    return Expect(check=check)


def refused(kind: str, *fragments: str) -> Expect:
    return Expect(kind=kind, fragments=fragments)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    expect: Expect
    call: str = "image"
    thumb: Expect | None = None  # the thumbnail's outcome when it differs from load_image's
    mask: Expect | None = None  # read_mask's outcome when it differs from the default (see expectation())
    env: dict = field(default_factory=dict)
    big: bool = False  # generated only by the memory benchmark
    needs_non_root: bool = False  # permissions do not stop root


CASES: list[Case] = []


def case(name: str, expect: Expect, call: str = "image", **kwargs) -> Callable:
    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES.append(Case(name, build, expect, call, **kwargs))
        return build
    return register


# ---- checks ---------------------------------------------------------------------------------------------
def rgb_equals(expected: np.ndarray, tolerance: int = 0) -> Callable:
    def check(loaded) -> None:
        assert loaded.rgb.shape == expected.shape, (loaded.rgb.shape, expected.shape)
        assert np.abs(loaded.rgb.astype(int) - expected.astype(int)).max() <= tolerance
    return check


def shape_is(height: int, width: int, **meta) -> Callable:
    def check(loaded) -> None:
        assert loaded.rgb.shape == (height, width, 3) and loaded.rgb.dtype == np.uint8, loaded.rgb.shape
        for key, value in meta.items():
            assert getattr(loaded.meta, key) == value, (key, getattr(loaded.meta, key), value)
    return check


def raw_equals(values: np.ndarray, shown: np.ndarray | None = None) -> Callable:
    def check(loaded) -> None:
        assert loaded.raw is not None and loaded.raw.dtype == values.dtype, (loaded.raw, values.dtype)
        np.testing.assert_array_equal(loaded.raw, values)
        if shown is not None:
            np.testing.assert_array_equal(loaded.rgb[..., 0], shown)
    return check


def all_of(*checks: Callable) -> Callable:
    def check(result) -> None:
        for one in checks:
            one(result)
    return check


def noted(fragment: str) -> Callable:
    def check(loaded) -> None:
        assert any(fragment in note for note in loaded.meta.notes), loaded.meta.notes
    return check


# ---- small builders -------------------------------------------------------------------------------------
def saved(name: str, image: Image.Image | Callable[[], Image.Image], **kwargs) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        picture = image() if callable(image) else image
        picture.save(folder / name, **kwargs)
        return folder / name
    return build


def written(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data() if callable(data) else data)
        return folder / name
    return build


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def noise(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


GRAD = gradient_rgb(24, 32)
TINY_INDICES = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
TINY_PALETTE = [10, 20, 30, 200, 100, 50, 0, 0, 255] + [0] * 759


def palette_image(transparency: int | None = None) -> Image.Image:
    image = Image.fromarray(TINY_INDICES, mode="P")
    image.putpalette(TINY_PALETTE)
    if transparency is not None:
        image.info["transparency"] = transparency
    return image


def png_ihdr(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))


def raw_png(width: int, height: int, rows: bytes, depth: int = 8, colour: int = 2, *, extra: bytes = b"",
            idat_crc: int | None = None, ihdr_crc: int | None = None) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (PNG_SIGNATURE + png_chunk(b"IHDR", ihdr, ihdr_crc) + extra
            + png_chunk(b"IDAT", zlib.compress(rows), idat_crc) + png_chunk(b"IEND", b""))


TINY_ROWS = b"".join(b"\x00" + bytes(range(i, i + 12)) for i in range(4))  # 4x4 RGB, filter 0


# ==== images that must load, exactly ======================================================================
case("png_rgb", loads(rgb_equals(GRAD)))(saved("a.png", Image.fromarray(GRAD)))
case("png_grey_L", loads(rgb_equals(np.repeat(GRAD[..., :1], 3, 2))))(saved("a.png", Image.fromarray(GRAD[..., 0])))
CHECKER = (np.indices((8, 8)).sum(0) % 2).astype(bool)
case("png_1bit", loads(rgb_equals(np.repeat(CHECKER[..., None] * np.uint8(255), 3, 2))))(
    saved("a.png", Image.fromarray(CHECKER)))
case("png_palette", loads(rgb_equals(np.array(TINY_PALETTE[:9], np.uint8).reshape(3, 3)[TINY_INDICES])))(
    saved("a.png", palette_image()))
case("png_palette_transparency", loads(all_of(shape_is(2, 3, has_alpha=True),
                                              rgb_equals(np.where(TINY_INDICES[..., None] == 0, 255,
                                                                  np.array(TINY_PALETTE[:9], np.uint8)
                                                                  .reshape(3, 3)[TINY_INDICES]).astype(np.uint8)))))(
    lambda folder: (palette_image().save(folder / "a.png", transparency=0), folder / "a.png")[1])
case("png_la", loads(all_of(shape_is(5, 5, has_alpha=True),  # 20 at alpha 128 over white
                            rgb_equals(np.full((5, 5, 3), (20 * 128 + 255 * 127 + 127) // 255, np.uint8)))))(
    saved("a.png", Image.new("LA", (5, 5), (20, 128))))
case("png_rgba", loads(rgb_equals(np.full((3, 3, 3), (255, 128, 128), np.uint8))))(
    saved("a.png", Image.new("RGBA", (3, 3), (255, 0, 0, 127))))
case("png_grey_trns", loads(rgb_equals(np.array([[[255] * 3, [7] * 3]], np.uint8))))(
    lambda folder: (Image.fromarray(np.array([[5, 7]], np.uint8)).save(folder / "a.png", transparency=5),
                    folder / "a.png")[1])
case("png_rgb_trns", loads(rgb_equals(np.array([[[255] * 3, [1, 2, 4]]], np.uint8))))(
    lambda folder: (Image.fromarray(np.array([[[1, 2, 3], [1, 2, 4]]], np.uint8)).save(
        folder / "a.png", transparency=(1, 2, 3)), folder / "a.png")[1])
case("png_16bit_grey", loads(raw_equals(np.array([[0, 1000], [30000, 65535]], np.uint16),
                                        np.array([[0, 4], [117, 255]], np.uint8))))(
    saved("a.png", Image.fromarray(np.array([[0, 1000], [30000, 65535]], np.uint16))))
case("png_16bit_rgb", loads(shape_is(1, 2, bit_depth=16)))(
    written("a.png", lambda: raw_png(2, 1, b"\x00" + np.array([[65535, 0, 0, 0, 0, 65535]], ">u2").tobytes(),
                                     16, 2)))
case("png_2bit_grey", loads(rgb_equals(np.repeat(np.array([[0, 85, 170, 255]], np.uint8)[..., None], 3, 2))))(
    written("a.png", lambda: raw_png(4, 1, b"\x00\x1b", 2, 0)))
case("png_interlaced", loads(rgb_equals(GRAD)))(
    lambda folder: (Image.fromarray(GRAD).save(folder / "a.png", interlace=1), folder / "a.png")[1])
case("png_animated_first_frame", loads(all_of(rgb_equals(np.full((6, 6, 3), (255, 0, 0), np.uint8)),
                                              shape_is(6, 6, frames=3))))(
    lambda folder: (Image.new("RGB", (6, 6), (255, 0, 0)).save(
        folder / "a.png", save_all=True, append_images=[Image.new("RGB", (6, 6), c) for c in
                                                        ((0, 255, 0), (0, 0, 255))]), folder / "a.png")[1])
case("png_exif_orientation_8", loads(rgb_equals(expected_orientation(GRAD, 8))))(
    lambda folder: with_exif_orientation(folder / "a.png", GRAD, 8))
case("png_huge_text_chunks", loads(rgb_equals(GRAD)))(
    written("a.png", lambda: png_bytes(Image.fromarray(GRAD))[:33]
            + b"".join(png_chunk(b"tEXt", b"k%d\x00" % i + b"x" * 60000) for i in range(40))
            + png_bytes(Image.fromarray(GRAD))[33:]))
case("png_ztxt_bomb", refused("too_large", "metadata chunk", "decompression bomb"))(
    written("a.png", lambda: png_bytes(Image.fromarray(GRAD))[:33]
            + png_chunk(b"zTXt", b"bomb\x00\x00" + zlib.compress(bytes(50_000_000), 9))
            + png_bytes(Image.fromarray(GRAD))[33:]))
case("png_one_pixel", loads(rgb_equals(np.array([[[1, 2, 3]]], np.uint8))))(
    saved("a.png", Image.new("RGB", (1, 1), (1, 2, 3))))
case("png_very_wide", loads(shape_is(1, 30000)))(saved("a.png", lambda: Image.new("L", (30000, 1), 9)))
case("png_very_tall", loads(shape_is(30000, 1)))(saved("a.png", lambda: Image.new("L", (1, 30000), 9)))
case("png_constant_16bit", loads(all_of(shape_is(4, 4, value_range=(777.0, 777.0)),
                                        rgb_equals(np.zeros((4, 4, 3), np.uint8)))))(
    saved("a.png", Image.fromarray(np.full((4, 4), 777, np.uint16))))

case("gif_animated_first_frame", loads(all_of(rgb_equals(np.full((8, 8, 3), (255, 0, 0), np.uint8)),
                                              shape_is(8, 8, frames=3))))(
    lambda folder: (Image.new("RGB", (8, 8), (255, 0, 0)).save(
        folder / "a.gif", save_all=True, append_images=[Image.new("RGB", (8, 8), c) for c in
                                                        ((0, 255, 0), (0, 0, 255))]), folder / "a.gif")[1])
case("gif_logical_screen_larger_than_frame", loads(shape_is(300, 400)))(
    lambda folder: gif_with_screen(folder / "a.gif", 400, 300))
case("gif_transparency", loads(rgb_equals(np.array([[[255] * 3, [200, 100, 50]]], np.uint8))))(
    lambda folder: (palette_image().crop((0, 0, 2, 1)).save(folder / "a.gif", transparency=0),
                    folder / "a.gif")[1])

case("jpeg_baseline", loads(rgb_equals(np.full((16, 16, 3), (200, 60, 30), np.uint8), 4)))(
    saved("a.jpg", Image.new("RGB", (16, 16), (200, 60, 30)), quality=95))
case("jpeg_progressive", loads(rgb_equals(np.full((16, 16, 3), (200, 60, 30), np.uint8), 4)))(
    saved("a.jpg", Image.new("RGB", (16, 16), (200, 60, 30)), quality=95, progressive=True))
case("jpeg_grey", loads(rgb_equals(np.full((16, 16, 3), 90, np.uint8), 2)))(
    saved("a.jpg", Image.new("L", (16, 16), 90), quality=95))


def red_centre(loaded) -> None:
    r, g, b = loaded.rgb[8, 8].astype(int)
    assert r >= 245 and g <= 10 and b <= 10, (r, g, b)


case("jpeg_cmyk", loads(all_of(shape_is(16, 16, mode="CMYK"), red_centre)))(
    written("a.jpg", lambda: cmyk_jpeg_bytes((0, 255, 255, 0))))
_STORED = np.zeros((16, 32, 3), np.uint8)
_STORED[:, :16] = 255  # left half white: after orientation 6 (90 degrees clockwise) the white half is on top


def white_on_top(loaded) -> None:
    assert loaded.rgb.shape == (32, 16, 3), loaded.rgb.shape
    assert loaded.rgb[:16].mean() > 200 and loaded.rgb[16:].mean() < 50


def as_stored(loaded) -> None:
    assert loaded.rgb.shape == (16, 32, 3) and loaded.meta.orientation == 1, loaded.rgb.shape


for _name, _type, _payload, _count, _expect in (
    ("short_6", 3, struct.pack("<H", 6), 1, loads(white_on_top)),
    ("long_6", 4, struct.pack("<I", 6), 1, loads(white_on_top)),
    ("ascii_6", 2, b"6\x00", 2, loads(white_on_top)),
    ("rational_6", 5, struct.pack("<II", 6, 1), 1, loads(white_on_top)),
    ("rational_12_over_2", 5, struct.pack("<II", 12, 2), 1, loads(white_on_top)),
    ("short_9_invalid", 3, struct.pack("<H", 9), 1, loads(all_of(as_stored, noted("not one of 1..8")))),
    ("ascii_garbage", 2, b"up\x00", 3, loads(all_of(as_stored, noted("not one of 1..8")))),
    ("rational_zero_denominator", 5, struct.pack("<II", 6, 0), 1, loads(all_of(as_stored, noted("1..8")))),
    ("short_0", 3, struct.pack("<H", 0), 1, loads(all_of(as_stored, noted("1..8")))),
):
    case(f"jpeg_exif_orientation_{_name}", _expect)(
        lambda folder, t=_type, p=_payload, c=_count: jpeg_with_exif(folder / "a.jpg", _STORED,
                                                                     exif_orientation_bytes(t, p, c)))
case("jpeg_exif_truncated_block", loads(all_of(as_stored, noted("EXIF data present but unreadable"))))(
    lambda folder: jpeg_with_exif(folder / "a.jpg", _STORED, exif_orientation_bytes(3, b"\x06\x00")[:14]))
case("jpeg_exif_huge", loads(as_stored))(
    lambda folder: jpeg_with_exif(folder / "a.jpg", _STORED, b"Exif\x00\x00II*\x00" + struct.pack("<IH", 8, 5000)
                                  + b"".join(struct.pack("<HHII", 0x9000 + i % 200, 7, 4, i) for i in range(5000))
                                  + b"\x00" * 4))

case("tiff_rgb", loads(rgb_equals(GRAD)))(saved("a.tif", Image.fromarray(GRAD)))
case("tiff_lzw", loads(rgb_equals(GRAD)))(saved("a.tif", Image.fromarray(GRAD), compression="tiff_lzw"))
case("tiff_16bit", loads(raw_equals(np.array([[100, 600], [1100, 4095]], np.uint16),
                                    np.array([[0, 32], [64, 255]], np.uint8))))(
    saved("a.tif", Image.fromarray(np.array([[100, 600], [1100, 4095]], np.uint16))))
case("tiff_16bit_big_endian", loads(raw_equals(np.array([[1, 65535]], np.uint16))))(
    written("a.tif", lambda: _big_endian_tiff16()))
case("tiff_int16_signed", loads(raw_equals(np.array([[-5, 300]], np.int32), np.array([[0, 255]], np.uint8))))(
    written("a.tif", lambda: tiff_bytes(np.array([[-5, 300]], np.int16), 2)))
case("tiff_uint32", loads(raw_equals(np.array([[3_150_000_000, 5]], np.uint32), np.array([[255, 0]], np.uint8))))(
    written("a.tif", lambda: tiff_bytes(np.array([[3_150_000_000, 5]], np.uint32), 1)))
case("tiff_int32_signed", loads(raw_equals(np.array([[-2_000_000_000, 7]], np.int32))))(
    written("a.tif", lambda: tiff_bytes(np.array([[-2_000_000_000, 7]], np.int32), 2)))
case("tiff_float32", loads(raw_equals(np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32),
                                      np.array([[0, 128], [191, 255]], np.uint8))))(
    saved("a.tif", Image.fromarray(np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32), mode="F")))
case("tiff_float32_nan_inf", loads(all_of(shape_is(1, 4, value_range=(0.0, 2.0)),
                                          raw_equals(np.array([[np.nan, np.inf, 0.0, 2.0]], np.float32),
                                                     np.array([[0, 255, 0, 255]], np.uint8)))))(
    written("a.tif", lambda: tiff_bytes(np.array([[np.nan, np.inf, 0.0, 2.0]], np.float32), 3)))
case("tiff_float32_all_nan", loads(all_of(shape_is(2, 2, value_range=None),
                                          rgb_equals(np.zeros((2, 2, 3), np.uint8)))))(
    written("a.tif", lambda: tiff_bytes(np.full((2, 2), np.nan, np.float32), 3)))
case("tiff_multipage_first_page", loads(rgb_equals(np.full((4, 4, 3), 10, np.uint8))))(
    lambda folder: (Image.new("RGB", (4, 4), (10, 10, 10)).save(
        folder / "a.tif", save_all=True, append_images=[Image.new("RGB", (8, 8), (99, 0, 0))]),
        folder / "a.tif")[1])
case("tiff_orientation_tag_6", loads(white_on_top))(
    written("a.tif", lambda: tiff_bytes(_STORED, 1, ((274, 3, 6), (284, 3, 1)))))
case("tiff_cmyk", loads(shape_is(4, 4, mode="CMYK")))(saved("a.tif", Image.new("CMYK", (4, 4), (0, 0, 0, 0))))
case("tiff_1bit", loads(shape_is(8, 8, bit_depth=1)))(saved("a.tif", Image.new("1", (8, 8), 1)))

case("bmp_24bit", loads(rgb_equals(GRAD)))(saved("a.bmp", Image.fromarray(GRAD)))
case("bmp_8bit_palette", loads(shape_is(2, 3)))(saved("a.bmp", palette_image()))
case("bmp_rgba", loads(shape_is(3, 3)))(saved("a.bmp", Image.new("RGBA", (3, 3), (1, 2, 3, 255))))
case("webp_lossless", loads(rgb_equals(GRAD)))(saved("a.webp", Image.fromarray(GRAD), lossless=True))
case("webp_lossy", loads(shape_is(24, 32)))(saved("a.webp", Image.fromarray(GRAD), quality=80))
case("webp_alpha", loads(all_of(shape_is(3, 3, has_alpha=True), rgb_equals(np.full((3, 3, 3), 255, np.uint8)))))(
    saved("a.webp", Image.new("RGBA", (3, 3), (0, 0, 0, 0)), lossless=True))
case("webp_animated_first_frame", loads(rgb_equals(np.full((8, 8, 3), (255, 0, 0), np.uint8), 8)))(
    lambda folder: (Image.new("RGB", (8, 8), (255, 0, 0)).save(
        folder / "a.webp", save_all=True, lossless=True, append_images=[Image.new("RGB", (8, 8), (0, 0, 255))]),
        folder / "a.webp")[1])

case("wrong_extension_png_named_jpg", loads(all_of(rgb_equals(GRAD), shape_is(24, 32, format="PNG",
                                                                               extension_mismatch=True))))(
    saved("a.jpg", Image.fromarray(GRAD), format="PNG"))
case("wrong_extension_jpeg_named_png", loads(shape_is(16, 16, format="JPEG", extension_mismatch=True)))(
    saved("a.png", Image.new("RGB", (16, 16)), format="JPEG"))
case("uppercase_extension", loads(rgb_equals(GRAD)))(saved("A.PNG", Image.fromarray(GRAD)))
case("unicode_name", loads(rgb_equals(GRAD)))(saved("ñandú 图像.png", Image.fromarray(GRAD)))
case("non_utf8_name", loads(rgb_equals(GRAD)))(saved(os.fsdecode(b"caf\xe9 \xff.png"), Image.fromarray(GRAD)))
case("symlink_to_image", loads(rgb_equals(GRAD)))(
    lambda folder: (Image.fromarray(GRAD).save(folder / "real.png"), os.symlink("real.png", folder / "a.png"),
                    folder / "a.png")[2])


def _big_endian_tiff16() -> bytes:
    """Pillow's own writer picks the byte order; this one is big-endian (mode I;16B)."""
    data = np.array([[1, 65535]], ">u2").tobytes()
    tags = [(256, 3, 2), (257, 3, 1), (258, 3, 16), (259, 3, 1), (262, 3, 1), (273, 4, 0), (277, 3, 1),
            (278, 3, 1), (279, 4, len(data))]
    offset = 8 + 2 + 12 * len(tags) + 4
    out = bytearray(b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", len(tags)))
    for tag, kind, value in tags:
        value = offset if tag == 273 else value
        out += struct.pack(">HHIHH", tag, kind, 1, value, 0) if kind == 3 else struct.pack(">HHII", tag, kind, 1, value)
    return bytes(out + struct.pack(">I", 0) + data)


# ==== images refused with a message naming the real problem =================================================
case("empty_file", refused("empty", "empty file (0 bytes)"))(written("a.png", b""))
case("text_named_png", refused("not_image", "the file is a text file"))(written("a.png", b"my notes\n"))
case("html_named_jpg", refused("not_image", "an HTML page"))(
    written("a.jpg", b"<!DOCTYPE html><html><body>404</body></html>"))
case("svg_named_png", refused("not_image", "XML/SVG"))(written("a.png", b'<svg xmlns="x"></svg>'))
case("random_bytes", refused("not_image", "not an image"))(
    written("a.png", bytes(np.random.default_rng(2).integers(0, 256, 4096, dtype=np.uint8))))
case("pdf_named_png", refused("not_image", "a PDF document"))(written("a.png", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj"))
case("zip_named_jpg", refused("not_image", "a ZIP archive"))(written("a.jpg", b"PK\x03\x04" + bytes(60)))
case("gzip_named_png", refused("not_image", "gzip-compressed"))(written("a.png", gzip.compress(b"hello")))
case("heic_named_jpg", refused("not_image", "HEIC image, which is not supported"))(
    written("a.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(40)))
case("png_truncated_in_idat", refused("truncated", "truncated image data"))(
    written("a.png", lambda: png_bytes(Image.fromarray(noise(64, 64)))[:3000]))
case("png_cut_after_ihdr", refused("truncated", "truncated PNG", "after the IHDR chunk"))(
    written("a.png", PNG_SIGNATURE + png_ihdr(4, 4)))
case("png_cut_inside_ihdr", refused("truncated", "truncated PNG", "inside the IHDR chunk"))(
    written("a.png", (PNG_SIGNATURE + png_ihdr(4, 4))[:20]))
case("png_cut_after_signature", refused("truncated", "truncated PNG", "right after its signature"))(
    written("a.png", PNG_SIGNATURE))
case("png_bad_ihdr_crc", refused("corrupt", "corrupt PNG", "IHDR chunk fails its checksum"))(
    written("a.png", raw_png(4, 4, TINY_ROWS, ihdr_crc=1234)))
case("png_bad_text_crc", refused("corrupt", "corrupt PNG", "tEXt chunk fails its checksum"))(
    written("a.png", raw_png(4, 4, TINY_ROWS, extra=png_chunk(b"tEXt", b"a\x00b", 99))))
case("png_corrupt_idat", refused("corrupt", "corrupt image data"))(
    written("a.png", lambda: raw_png(4, 4, TINY_ROWS)[:41] + b"\x00" * 20 + raw_png(4, 4, TINY_ROWS)[61:]))
case("png_header_without_data", refused("truncated", "no image data"))(
    written("a.png", PNG_SIGNATURE + png_ihdr(4, 4) + png_chunk(b"IEND", b"")))
case("png_zero_width", refused("corrupt", "corrupt PNG header", "0x4"))(
    written("a.png", PNG_SIGNATURE + png_ihdr(0, 4) + png_chunk(b"IEND", b"")))
case("png_impossible_bit_depth", refused("corrupt", "bit depth 3 with colour type 2"))(
    written("a.png", PNG_SIGNATURE + png_ihdr(4, 4, 3, 2) + png_chunk(b"IEND", b"")))
case("png_declares_900_mpx", refused("too_large", "30000x30000", "900.0 Mpx", "SEGGAN_MAX_PIXELS"))(
    lambda folder: png_header_only(folder / "a.png", 30000, 30000))
case("png_declares_3600_mpx", refused("too_large", "60000x60000", "SEGGAN_MAX_PIXELS"))(
    lambda folder: png_header_only(folder / "a.png", 60000, 60000))
case("png_over_memory_budget", refused("too_large", "memory budget of 8 MB", "SEGGAN_MAX_DECODE_MB", "1500x1500"),
     thumb=refused("too_large", "memory budget"), env=SMALL_BUDGET)(
    lambda folder: png_streamed(folder / "a.png", 1500, 1500, bytes(3000), 16, 0))
case("png_16bit_within_small_budget", loads(shape_is(300, 300, bit_depth=16)), env=SMALL_BUDGET)(
    lambda folder: png_streamed(folder / "a.png", 300, 300, np.arange(300, dtype=">u2").tobytes(), 16, 0))
case("rgba_over_memory_budget", refused("too_large", "memory budget", "RGBA"), env=SMALL_BUDGET)(
    lambda folder: png_streamed(folder / "a.png", 1200, 1200, bytes(4800), 8, 6))
case("gif_screen_over_memory_budget", refused("too_large", "memory budget", "1500x1500"), env=SMALL_BUDGET)(
    lambda folder: gif_with_screen(folder / "a.gif", 1500, 1500))
case("tiff_float32_over_memory_budget", refused("too_large", "memory budget", "stored values"),
     thumb=refused("too_large", "memory budget"), env=SMALL_BUDGET)(
    lambda folder: tiff_streamed(folder / "a.tif", 1200, 1200, bytes(4800), 32, 3))
# 3000x3000: Pillow 36 MB, RGB8 27 MB, strip temporaries 50 MB; a progressive 4:4:4 JPEG adds 54 MB of DCT
# coefficients (libjpeg keeps them all): 140 MB, above a 120 MB budget; the baseline JPEG needs 113 MB.
case("jpeg_progressive_over_memory_budget", refused("too_large", "memory budget", "decoder buffers 51 MB"),
     thumb=loads(), env={"SEGGAN_MAX_DECODE_MB": "120"})(
    saved("a.jpg", lambda: Image.new("RGB", (3000, 3000), (9, 9, 9)), progressive=True, subsampling=0))
case("jpeg_baseline_same_size_within_budget", loads(shape_is(3000, 3000)), env={"SEGGAN_MAX_DECODE_MB": "120"})(
    saved("a.jpg", lambda: Image.new("RGB", (3000, 3000), (9, 9, 9)), subsampling=0))
case("jpeg_truncated", refused("truncated", "truncated image data"))(
    lambda folder: truncated_copy(saved("full.jpg", Image.fromarray(noise(64, 64)))(folder), folder / "a.jpg"))
case("jpeg_header_only", refused("corrupt", "JPEG"))(written("a.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(5)))
case("gif_truncated_header", refused("corrupt", "GIF"))(written("a.gif", b"GIF89a\x10\x00"))
case("gif_truncated_data", refused("truncated", "truncated image data"))(
    lambda folder: truncated_copy(saved("full.gif", Image.fromarray(noise(64, 64)).convert("P"))(folder),
                                  folder / "a.gif", 0.6))
case("tiff_float64", refused("unsupported", "64-bit floating-point", "save it as 32-bit float"))(
    written("a.tif", lambda: tiff_bytes(np.array([[1.5, -2.25e10]], np.float64), 3)))
case("tiff_five_samples", refused("unsupported", "unsupported TIFF", "5 per pixel"))(
    written("a.tif", lambda: tiff_bytes(np.zeros((2, 2, 5), np.uint8), 1)))
case("tiff_absurd_tile_size", refused("too_large", "16x16", "decoder buffers 3.4 GB", "memory budget"))(
    written("a.tif", lambda: tiff_bytes(np.zeros((16, 16), np.uint8), 1, ((322, 4, 60000), (323, 4, 60000)))))
case("tiff_truncated_strip", refused("truncated", "truncated image data"))(
    written("a.tif", lambda: tiff_bytes(np.arange(4096, dtype=np.uint8).reshape(64, 64), 1)[:2000]))
case("tiff_ifd_out_of_range", refused("truncated", "TIFF"))(written("a.tif", b"II*\x00" + struct.pack("<I", 999999)))
case("tiff_ifd_loop", loads(shape_is(1, 2)))(
    written("a.tif", lambda: _tiff_with_next_ifd_pointing_to_itself()))
case("bmp_truncated", refused("truncated", "truncated image data"))(
    lambda folder: truncated_copy(saved("full.bmp", Image.fromarray(noise(64, 64)))(folder), folder / "a.bmp"))
case("bmp_huge_header_tiny_file", refused("truncated", "truncated image data"))(
    written("a.bmp", b"BM" + struct.pack("<IHHI", 0, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 3000, 3000, 1, 24,
                                                                                0, 0, 0, 0, 0, 0) + bytes(100)))
case("webp_truncated", refused("truncated", "truncated"))(
    lambda folder: truncated_copy(saved("full.webp", Image.fromarray(noise(64, 64)), lossless=True)(folder),
                                  folder / "a.webp"))
case("missing_file", refused("missing", "file not found"))(lambda folder: folder / "nope.png")
case("broken_symlink", refused("missing", "broken symbolic link", "gone.png"))(
    lambda folder: (os.symlink("gone.png", folder / "a.png"), folder / "a.png")[1])
case("symlink_loop", refused("missing", "symbolic link loop"))(
    lambda folder: (os.symlink("a.png", folder / "a.png"), folder / "a.png")[1])
case("folder_named_png", refused("directory", "is a folder"))(
    lambda folder: ((folder / "a.png").mkdir(), folder / "a.png")[1])
case("fifo_named_png", refused("not_regular", "not a regular file", "named pipe"))(
    lambda folder: (os.mkfifo(folder / "a.png"), folder / "a.png")[1])
case("device_named_png", refused("not_regular", "not a regular file", "character device"))(
    lambda folder: (os.symlink("/dev/zero", folder / "a.png"), folder / "a.png")[1])
case("non_utf8_name_refused", refused("not_image", "caf\\xe9"))(written(os.fsdecode(b"caf\xe9.png"), b"text\n"))
case("unreadable_file", refused("permission", "permission denied"), needs_non_root=True)(
    lambda folder: (Image.new("RGB", (2, 2)).save(folder / "a.png"), os.chmod(folder / "a.png", 0),
                    folder / "a.png")[2])


def _tiff_with_next_ifd_pointing_to_itself() -> bytes:
    data = bytearray(tiff_bytes(np.array([[1, 2]], np.uint8), 1))
    count = struct.unpack("<H", data[8:10])[0]
    next_at = 10 + 12 * count
    data[next_at:next_at + 4] = struct.pack("<I", 8)  # the next IFD is this IFD: an endless chain
    return bytes(data)


# ==== IDX files (GAN training data) =========================================================================
def idx_file(name: str, shape: tuple[int, ...], *, dtype: int = 0x08, data: bytes | None = None,
             compress: bool = False, header: bytes | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        size = int(np.prod(shape)) if shape else 0
        body = (header if header is not None else idx_bytes_header(dtype, shape)) + (
            data if data is not None else bytes(size))
        (folder / name).write_bytes(gzip.compress(body, 1) if compress else body)
        return folder / name
    return build


def _idx_with_labels(folder: Path, label_count: int = 5) -> Path:
    idx_file("t-images-idx3-ubyte.gz", (5, 4, 4), compress=True)(folder)
    idx_file("t-labels-idx1-ubyte.gz", (label_count,), data=bytes(range(label_count)), compress=True)(folder)
    return folder / "t-images-idx3-ubyte.gz"


case("idx_plain", loads(lambda d: _check(d.images.shape == (5, 4, 4, 1), d.images.shape)), call="idx")(
    idx_file("a-images-idx3-ubyte", (5, 4, 4)))
case("idx_gzip_with_labels", loads(lambda d: _check(d.num_classes == 5, d.num_classes)), call="idx")(
    _idx_with_labels)
case("idx_zero_first_dimension", refused("idx", "zero dimension (0x28x28)"), call="idx")(
    idx_file("a-images-idx3-ubyte", (0, 28, 28)))
case("idx_zero_middle_dimension", refused("idx", "zero dimension (5x0x28)"), call="idx")(
    idx_file("a-images-idx3-ubyte", (5, 0, 28)))
case("idx_truncated_data", refused("idx", "promises 80 bytes", "has 70", "truncated"), call="idx")(
    idx_file("a-images-idx3-ubyte", (5, 4, 4), data=bytes(70)))
case("idx_extra_data", refused("idx", "promises 80 bytes", "extra data"), call="idx")(
    idx_file("a-images-idx3-ubyte", (5, 4, 4), data=bytes(90)))
case("idx_gzip_truncated_data", refused("idx", "truncated"), call="idx")(
    idx_file("a-images-idx3-ubyte.gz", (5, 4, 4), data=bytes(70), compress=True))
case("idx_gzip_bomb_lying_header", refused("idx", "goes on past the 784 bytes", "decompression bomb"), call="idx")(
    lambda folder: gzip_of_zeros(folder / "a-images-idx3-ubyte.gz", idx_bytes_header(8, (1, 28, 28)), 50_000_000))
case("idx_gzip_bomb_honest_header", refused("idx", "6000000x28x28", "above the budget"), call="idx")(
    lambda folder: gzip_of_zeros(folder / "a-images-idx3-ubyte.gz", idx_bytes_header(8, (6_000_000, 28, 28)),
                                 1_000_000))
case("idx_bad_magic", refused("idx", "not an IDX file"), call="idx")(written("a-images-idx3-ubyte", b"\x01\x02\x08\x03"))
case("idx_float_type", refused("idx", "32-bit float", "not supported"), call="idx")(
    idx_file("a-images-idx3-ubyte", (2, 2, 2), dtype=0x0D, data=bytes(32)))
case("idx_truncated_header", refused("idx", "truncated IDX header"), call="idx")(
    written("a-images-idx3-ubyte", idx_bytes_header(8, (5, 4, 4))[:9]))
case("idx_zero_dimensions", refused("idx", "declares 0 dimensions"), call="idx")(
    written("a-images-idx3-ubyte", b"\x00\x00\x08\x00"))
case("idx_corrupt_gzip", refused("idx", "corrupt or truncated gzip"), call="idx")(
    written("a-images-idx3-ubyte.gz", lambda: gzip.compress(idx_bytes_header(8, (5, 4, 4)) + bytes(80))[:30]))
case("idx_labels_not_images", refused("idx", "expected an IDX file with 3 dimensions"), call="idx")(
    idx_file("a-labels-idx1-ubyte", (12,)))
case("idx_label_count_mismatch", refused("idx", "4 labels for 5 images"), call="idx")(
    lambda folder: _idx_with_labels(folder, 4))
case("idx_empty_file", refused("idx", "not an IDX file"), call="idx")(written("a-images-idx3-ubyte", b""))
case("idx_fifo", refused("idx", "not a regular file"), call="idx")(
    lambda folder: (os.mkfifo(folder / "a-images-idx3-ubyte"), folder / "a-images-idx3-ubyte")[1])


def _check(condition: bool, shown) -> None:
    assert condition, shown


# ==== folders: one bad file never stops the rest =============================================================
def mixed_folder(folder: Path) -> Path:
    """Two good images among one file of most failure classes."""
    root = folder / "data"
    root.mkdir()
    Image.fromarray(GRAD).save(root / "good1.png")
    Image.new("L", (20, 20), 90).save(root / "good2.jpg")
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("hello")
    png_header_only(root / "bomb.png", 30000, 30000)
    (root / "cut.png").write_bytes(PNG_SIGNATURE + png_ihdr(4, 4))
    (root / "float64.tif").write_bytes(tiff_bytes(np.zeros((2, 2), np.float64), 3))
    os.symlink("gone.png", root / "broken.png")
    os.symlink("loop.png", root / "loop.png")
    os.mkfifo(root / "fifo.png")
    (root / "folder.png").mkdir()
    Image.fromarray(GRAD).save(root / os.fsdecode(b"caf\xe9.png"))
    return root


MIXED_PROBLEMS = ("empty file", "text file", "image too large", "truncated PNG", "64-bit floating-point",
                  "broken symbolic link", "symbolic link loop", "named pipe")


def mixed_ok(data) -> None:
    assert len(data.images) == 3, (len(data.images), data.problems)
    for fragment in MIXED_PROBLEMS:
        assert any(fragment in problem for problem in data.problems), (fragment, data.problems)
    assert len(data.problems) == len(MIXED_PROBLEMS), data.problems


case("gan_folder_mixed", loads(mixed_ok), call="gan_folder")(mixed_folder)
case("gan_folder_unlistable_subfolder", loads(lambda d: _check(any("cannot list folder" in p for p in d.problems),
                                                              d.problems)), call="gan_folder", needs_non_root=True)(
    lambda folder: ((folder / "d" / "a").mkdir(parents=True), Image.fromarray(GRAD).save(folder / "d" / "ok.png"),
                    (folder / "d" / "b").mkdir(), os.chmod(folder / "d" / "b", 0), folder / "d")[4])
case("gan_folder_all_bad", refused("gan", "none of the 2 image files could be read", "empty file"), call="gan_folder")(
    lambda folder: ((folder / "a.png").write_bytes(b""), (folder / "b.png").write_text("x"), folder)[2])


def thumbnails_ok(outcome) -> None:
    made, problems = outcome
    assert made == 3, (made, problems)
    for fragment in MIXED_PROBLEMS:
        assert any(fragment in reason for reason in problems.values()), (fragment, problems)


case("thumbnails_mixed_folder", loads(thumbnails_ok), call="thumbnails")(mixed_folder)


# ==== workspaces ================================================================================================
case("workspace_is_a_file", refused("workspace", "the workspace path is a file, not a folder"), call="workspace")(
    lambda folder: ((folder / "ws").write_text("x"), folder / "ws")[1])
case("workspace_is_a_fifo", refused("workspace", "special file"), call="workspace")(
    lambda folder: (os.mkfifo(folder / "ws"), folder / "ws")[1])
case("workspace_under_a_file", refused("workspace", "lies under a file"), call="workspace")(
    lambda folder: ((folder / "f").write_text("x"), folder / "f" / "ws")[1])
case("workspace_symlink_loop", refused("workspace", "symbolic link loop"), call="workspace")(
    lambda folder: (os.symlink("ws", folder / "ws"), folder / "ws")[1])
case("workspace_images_is_a_file", refused("workspace", "images", "its images/ is a file, not a folder"),
     call="workspace")(lambda folder: ((folder / "ws").mkdir(), (folder / "ws" / "images").write_text("x"),
                                       folder / "ws")[2])
case("workspace_images_self_link", refused("workspace", "its images/ is a symbolic link loop"), call="workspace")(
    lambda folder: ((folder / "ws").mkdir(), os.symlink("images", folder / "ws" / "images"), folder / "ws")[2])
case("workspace_masks_broken_link", refused("workspace", "its masks/ is a broken symbolic link"), call="workspace")(
    lambda folder: ((folder / "ws").mkdir(), os.symlink("/nonexistent/m", folder / "ws" / "masks"),
                    folder / "ws")[2])
case("workspace_runs_is_a_file", refused("workspace", "its runs/ is a file"), call="workspace")(
    lambda folder: ((folder / "ws").mkdir(), (folder / "ws" / "runs").write_text("x"), folder / "ws")[2])
case("workspace_unwritable_parent", refused("workspace", "cannot create its images/ folder", "ermission"),
     call="workspace", needs_non_root=True)(
    lambda folder: ((folder / "ro").mkdir(), os.chmod(folder / "ro", 0o555), folder / "ro" / "ws")[2])


def stale_temps_removed(workspace) -> None:
    left = sorted(p.name for p in workspace.masks_dir.iterdir())
    assert left == ["a.png"], left


def _stale_temps(folder: Path) -> Path:
    """Temp files of killed saves (a dead pid, the legacy name with no pid) beside a live one's."""
    masks = folder / "ws" / "masks"
    masks.mkdir(parents=True)
    (masks / "a.png").write_bytes(b"mask")
    dead = _dead_pid()
    for name in (f".a.png.{_HOST}-{dead}.k2j4h5g6.tmp", ".a.png.q8w7e6r5.tmp"):
        (masks / name).write_bytes(b"half a mask")
        os.utime(masks / name, (1, 1))
    return folder / "ws"


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _host_tag() -> str:
    from core.atomic import _HOST_TAG

    return _HOST_TAG


_HOST = _host_tag()
case("workspace_stale_temp_files", loads(stale_temps_removed), call="workspace")(_stale_temps)


# ==== masks: read through core.masks (one decision per dataset) ===============================================
# Every image case above is also read as a mask (call "mask", see expectation()); these are masks proper.
MASK_TRUTH = np.zeros((24, 32), np.uint8)
MASK_TRUTH[2:10, 3:20] = 1
MASK_TRUTH[14:22, 8:30] = 2
MASK_COLOURS = np.array([[0, 0, 0], [30, 60, 210], [220, 40, 30]], np.uint8)  # not ours: ids in colour order
BIG_MASK_TRUTH = np.kron(MASK_TRUTH, np.ones((4, 4), np.uint8))  # JPEG needs regions larger than its blocks


def labels_equal(expected: np.ndarray, kind: str | None = None, note: str | None = None) -> Callable:
    def check(loaded) -> None:
        assert loaded.labels.shape == expected.shape, (loaded.labels.shape, expected.shape)
        assert np.array_equal(loaded.labels, expected), np.argwhere(loaded.labels != expected)[:5]
        assert kind is None or loaded.report.kind == kind, loaded.report
        assert note is None or any(note in text for text in loaded.report.notes), loaded.report.notes
    return check


def _palette_of_256() -> list[int]:
    colours = np.random.default_rng(3).integers(0, 256, (256, 3), dtype=np.uint8)
    colours[0] = 0
    return colours.ravel().tolist()


def _far_apart_palette_mask() -> Image.Image:
    """A palette mask using indices 0, 100 and 200 of a full 256-colour palette."""
    image = Image.fromarray(np.array([0, 100, 200], np.uint8)[MASK_TRUTH], mode="P")
    image.putpalette(_palette_of_256())
    return image


def _mask_png_with_exif(folder: Path, field_type: int, payload: bytes, count: int = 1) -> Path:
    Image.fromarray(MASK_TRUTH).save(folder / "m.png", exif=exif_orientation_bytes(field_type, payload, count))
    return folder / "m.png"


case("mask_rgb_three_colours", loads(labels_equal(MASK_TRUTH, "colours")), call="mask")(
    saved("m.png", Image.fromarray(MASK_COLOURS[MASK_TRUTH])))
case("mask_rgb_three_colours_as_jpeg", loads(labels_equal(BIG_MASK_TRUTH, "colours", "snapped")), call="mask")(
    saved("m.jpg", Image.fromarray(MASK_COLOURS[BIG_MASK_TRUTH]), quality=70))
case("mask_palette_256_entries_three_used", loads(labels_equal(MASK_TRUTH)), call="mask")(
    saved("m.png", _far_apart_palette_mask))
case("mask_grey_levels_16bit", loads(labels_equal(MASK_TRUTH)), call="mask")(
    saved("m.png", Image.fromarray(MASK_TRUTH.astype(np.uint16) * 30000)))
case("mask_uint32_tiff_above_int32", loads(labels_equal(MASK_TRUTH, "grey-levels")), call="mask")(
    written("m.tif", lambda: tiff_bytes(np.array([0, 100, 3_150_000_000], np.uint32)[MASK_TRUTH], 1)))
case("mask_float_tiff_with_nan", refused("not_label_map", "non-integer values"), call="mask")(
    written("m.tif", lambda: tiff_bytes(np.where(MASK_TRUTH == 2, np.nan, MASK_TRUTH).astype(np.float32), 3)))
case("mask_negative_int_tiff", refused("not_label_map", "negative values"), call="mask")(
    written("m.tif", lambda: tiff_bytes(MASK_TRUTH.astype(np.int32) - 1, 2)))
case("mask_exif_orientation_ascii_6", loads(labels_equal(np.rot90(MASK_TRUTH, -1))), call="mask")(
    lambda folder: _mask_png_with_exif(folder, 2, b"6\x00", 2))
case("mask_exif_orientation_rational_6", loads(labels_equal(np.rot90(MASK_TRUTH, -1))), call="mask")(
    lambda folder: _mask_png_with_exif(folder, 5, struct.pack("<II", 6, 1)))
case("mask_exif_orientation_invalid", loads(labels_equal(MASK_TRUTH, note="not one of 1..8")), call="mask")(
    lambda folder: _mask_png_with_exif(folder, 3, struct.pack("<H", 42)))
case("mask_over_memory_budget", refused("too_large", "memory budget", "label map"), call="mask", env=SMALL_BUDGET)(
    saved("m.png", lambda: Image.fromarray(np.array([0, 255], np.uint8)[np.indices((2000, 2000)).sum(0) // 500 % 2])))
case("mask_photo", refused("not_label_map", "a photo?"), call="mask")(saved("m.png", Image.fromarray(noise(64, 64))))
case("mask_truncated", refused("truncated", "truncated"), call="mask")(
    lambda folder: truncated_copy(saved("full.png", Image.fromarray(noise(64, 64)[..., 0]))(folder), folder / "m.png"))
case("mask_non_utf8_name", loads(labels_equal(MASK_TRUTH)), call="mask")(
    saved(os.fsdecode(b"m\xe9\xff.png"), Image.fromarray(MASK_TRUTH)))
case("mask_gif_screen_larger_than_frame", loads(lambda m: _check(m.labels.shape == (300, 400), m.labels.shape)),
     call="mask")(lambda folder: gif_with_screen(folder / "m.gif", 400, 300))


def mixed_mask_folder(folder: Path) -> Path:
    """Three good masks among one file of most failure classes."""
    root = folder / "masks"
    root.mkdir()
    for name in ("a.png", "b.png", os.fsdecode(b"caf\xe9.png")):
        Image.fromarray(MASK_TRUTH).save(root / name)
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("hello")
    truncated_copy(saved("full.png", Image.fromarray(noise(64, 64)[..., 0]))(folder), root / "cut.png")
    (root / "float64.tif").write_bytes(tiff_bytes(np.zeros((2, 2), np.float64), 3))
    os.symlink("loop.png", root / "loop.png")
    os.mkfifo(root / "fifo.png")
    Image.fromarray(noise(64, 64)).save(root / "photo.png")
    return root


MIXED_MASK_PROBLEMS = ("empty file", "text file", "truncated", "64-bit floating-point", "symbolic link loop",
                       "named pipe", "a photo?")


def mask_folder_ok(survey) -> None:
    assert survey.decision is not None and survey.decision.num_classes == 3, survey.lines()
    reasons = [reason for _kind, reason in survey.unreadable.values()]
    assert len(reasons) == len(MIXED_MASK_PROBLEMS), reasons
    for fragment in MIXED_MASK_PROBLEMS:
        assert any(fragment in reason for reason in reasons), (fragment, reasons)


case("mask_folder_mixed", loads(mask_folder_ok), call="mask_folder")(mixed_mask_folder)


def mixed_pair_folders(folder: Path) -> Path:
    """Images and masks folders: two good pairs, and pairs whose image or mask fails in some way."""
    images, masks = folder / "images", folder / "masks"
    images.mkdir()
    masks.mkdir()
    rgb = gradient_rgb(*MASK_TRUTH.shape)
    for stem in ("good1", "good2", "fifo_mask", "cut_image", "loop_mask", "wrong_size"):
        Image.fromarray(rgb).save(images / f"{stem}.png")
        Image.fromarray(MASK_TRUTH).save(masks / f"{stem}.png")
    (masks / "fifo_mask.png").unlink()
    os.mkfifo(masks / "fifo_mask.png")
    truncated_copy(images / "good1.png", images / "cut_image.png", 0.3)
    (masks / "loop_mask.png").unlink()
    os.symlink("loop_mask.png", masks / "loop_mask.png")
    Image.fromarray(MASK_TRUTH[:20]).save(masks / "wrong_size.png")
    return folder


def pairs_ok(data) -> None:
    assert sorted(data.stems) == ["good1", "good2"], (data.stems, [str(p) for p in data.problems])
    assert all(np.array_equal(labels, MASK_TRUTH) for labels in data.labels)
    text = [str(p) for p in data.problems if p.skipped]
    for fragment in ("named pipe", "truncated", "symbolic link loop", "32x20"):
        assert any(fragment in line for line in text), (fragment, text)
    assert len(text) == 4, text


case("unet_folders_mixed", loads(pairs_ok), call="unet_folder")(mixed_pair_folders)


# ==== big files that are small on disk: the memory benchmark only ==========================================
def _big_progressive_jpeg(path: Path) -> Path:
    """12000x12000 progressive 4:4:4: libjpeg holds 864 MB of coefficients besides Pillow's 576 MB."""
    rgb = np.empty((12000, 12000, 3), np.uint8)
    rgb[...] = (np.arange(12000) % 256).astype(np.uint8)[None, :, None]
    Image.fromarray(rgb).save(path, progressive=True, quality=90, subsampling=0)
    return path


def _grey16_row(width: int) -> bytes:
    return np.linspace(0, 65535, width).astype(">u2").tobytes()


BIG_CASES = [
    Case("big_png_16bit_12000", lambda f: png_streamed(f / "a.png", 12000, 12000, _grey16_row(12000), 16, 0),
         loads(), big=True),
    Case("big_png_16bit_8000", lambda f: png_streamed(f / "a.png", 8000, 8000, _grey16_row(8000), 16, 0),
         loads(), big=True),
    Case("big_tiff_float32_12000", lambda f: tiff_streamed(f / "a.tif", 12000, 12000, np.resize(
        np.linspace(-1, 1, 64), 12000).astype("<f4").tobytes(), 32, 3), loads(), big=True),
    Case("big_tiff_float32_12000_one_strip", lambda f: tiff_streamed(f / "a.tif", 12000, 12000, np.resize(
        np.linspace(-1, 1, 64), 12000).astype("<f4").tobytes(), 32, 3, rows_per_strip=12000), loads(), big=True),
    Case("big_jpeg_progressive_444_12000", lambda f: _big_progressive_jpeg(f / "a.jpg"), loads(), big=True),
    Case("big_png_palette_transparency_12000", lambda f: png_streamed(
        f / "a.png", 12000, 12000, (np.arange(12000) % 256).astype(np.uint8).tobytes(), 8, 3,
        png_chunk(b"PLTE", bytes(range(256)) * 3) + png_chunk(b"tRNS", bytes(range(256)))), loads(), big=True),
    Case("big_png_rgba_12000", lambda f: png_streamed(f / "a.png", 12000, 12000, (np.arange(48000) % 251).astype(
        np.uint8).tobytes(), 8, 6), loads(), big=True),
    Case("big_png_rgb_12000_exif_rotated", lambda f: png_streamed(
        f / "a.png", 12000, 12000, (np.arange(36000) % 253).astype(np.uint8).tobytes(), 8, 2,
        png_chunk(b"eXIf", exif_orientation_bytes(3, struct.pack("<H", 6))[6:])), loads(), big=True),
    Case("big_gif_screen_10000", lambda f: gif_with_screen(f / "a.gif", 10000, 10000), loads(), big=True),
    Case("big_png_16bit_over_pixel_limit", lambda f: png_streamed(f / "a.png", 13000, 13000, _grey16_row(13000),
                                                                  16, 0), refused("too_large", "Mpx"), big=True),
    Case("big_mask_rgb_three_colours_12000", lambda f: png_streamed(f / "m.png", 12000, 12000, MASK_COLOURS[
        np.arange(12000) * 3 // 12000].tobytes(), 8, 2), loads(lambda m: _check(
            m.report.classes == (0, 1, 2) and m.labels.shape == (12000, 12000), m.report)), call="mask", big=True),
    Case("big_mask_16bit_12000", lambda f: png_streamed(f / "m.png", 12000, 12000, (np.arange(12000) // 4000 * 300)
         .astype(">u2").tobytes(), 16, 0), loads(lambda m: _check(m.report.classes == (0, 1, 2), m.report)),
         call="mask", big=True),
    Case("big_idx_gzip_bomb", lambda f: gzip_of_zeros(f / "a-images-idx3-ubyte.gz", idx_bytes_header(
        8, (6_000_000, 28, 28)), 4_704_000_000), refused("idx", "above the budget"), call="idx", big=True),
    Case("big_idx_gzip_bomb_lying_header", lambda f: gzip_of_zeros(f / "a-images-idx3-ubyte.gz", idx_bytes_header(
        8, (60_000, 28, 28)), 4_704_000_000), refused("idx", "decompression bomb"), call="idx", big=True),
]


# ==== running a case ============================================================================================
@dataclass
class Outcome:
    status: str  # ok, refused (the project's own error), raw (any other exception: a bug)
    kind: str = ""
    message: str = ""
    result: object = None


def calls_of(case_: Case) -> tuple[str, ...]:
    return ("image", "thumbnail", "mask") if case_.call == "image" else (case_.call,)


def run_call(call: str, path: Path):
    """The public core call a user's file goes through."""
    if call == "image":
        from core.imageio import load_image

        return load_image(path)
    if call == "thumbnail":
        from core.imageio import load_thumbnail

        return load_thumbnail(path, THUMB_SIZE)
    if call == "mask":
        from core.maskio import read_mask

        return read_mask(path)
    if call == "mask_folder":
        from core.imageio import list_images
        from core.masks.survey import survey_masks

        return survey_masks(list_images(path))
    if call == "unet_folder":
        from core.unet.dataset import load_data, scan_folders

        return load_data(scan_folders(path / "images", path / "masks"))
    if call == "idx":
        from core.gan.data import load_idx

        return load_idx(path)
    if call == "gan_folder":
        from core.gan.data import load_folder

        return load_folder(path, 16)
    if call == "workspace":
        from core.workspace import Workspace

        return Workspace.open(path)
    if call == "thumbnails":
        from core.imageio import list_images
        from core.jobs import CancelToken, Images, Message
        from core.thumbnails import thumbnails_job

        problems: dict[str, str] = {}

        def emit(event) -> None:
            if isinstance(event, Message):
                where, _, reason = event.text.partition("\t")
                problems[where] = reason
            else:
                assert isinstance(event, Images)

        made = thumbnails_job(list_images(path), THUMB_SIZE)(CancelToken(), emit)
        return made, problems
    raise ValueError(call)


def outcome_of(call: str, path: Path) -> Outcome:
    from core.gan.data import GanDataError
    from core.imageio import ImageLoadError
    from core.workspace import WorkspaceError

    try:
        return Outcome("ok", result=run_call(call, path))
    except ImageLoadError as exc:
        return Outcome("refused", exc.kind, str(exc))
    except GanDataError as exc:
        return Outcome("refused", "idx" if call == "idx" else "gan", str(exc))
    except WorkspaceError as exc:
        return Outcome("refused", "workspace", str(exc))
    except Exception as exc:  # noqa: BLE001 - exactly what the corpus hunts for
        return Outcome("raw", type(exc).__name__, str(exc).encode("utf-8", "backslashreplace").decode())


def _thumbnail_fits(image_outcome: Outcome) -> Callable:
    def check(thumb: np.ndarray) -> None:
        assert thumb.dtype == np.uint8 and thumb.ndim == 3 and thumb.shape[2] == 3, thumb.shape
        assert 1 <= max(thumb.shape[:2]) <= THUMB_SIZE, thumb.shape
        if image_outcome.status == "ok":
            height, width = image_outcome.result.rgb.shape[:2]
            expected = Image.new("L", (width, height))
            expected.thumbnail((THUMB_SIZE, THUMB_SIZE))
            assert abs(thumb.shape[0] - expected.size[1]) <= 1 and abs(thumb.shape[1] - expected.size[0]) <= 1, (
                thumb.shape, expected.size)
    return check


def _mask_fits(image_outcome: Outcome) -> Callable:
    def check(loaded) -> None:
        assert loaded.labels.dtype == np.uint8 and loaded.labels.ndim == 2, loaded.labels.shape
        if image_outcome.status == "ok":  # oriented as the image is, so the two overlay
            assert loaded.labels.shape == image_outcome.result.rgb.shape[:2], (
                loaded.labels.shape, image_outcome.result.rgb.shape)
    return check


def expectation(case_: Case, call: str, outcomes: dict[str, Outcome]) -> Expect:
    if call == "mask" and case_.call == "image":
        # An image file read as a mask: the image's refusal, or a label map shaped like the image, or (a photo,
        # negative or fractional values) refused as not a label map.
        if case_.mask is not None:
            return case_.mask
        if case_.expect.kind is not None:
            return Expect(kind=case_.expect.kind)
        image = outcomes.get("image", Outcome("not run"))  # the memory benchmark runs each call alone
        return Expect(check=_mask_fits(image), or_refused="not_label_map")
    if call != "thumbnail":
        return case_.expect
    if case_.thumb is not None:
        return case_.thumb if case_.thumb.kind or case_.thumb.check else loads(_thumbnail_fits(outcomes["image"]))
    if case_.expect.kind is None:
        return loads(_thumbnail_fits(outcomes["image"]))
    return Expect(kind=case_.expect.kind)  # the same refusal; its wording may differ


def check(case_: Case, call: str, path: Path, outcome: Outcome, outcomes: dict[str, Outcome]) -> list[str]:
    """What is wrong with ``outcome`` for this case (empty: as expected)."""
    from core.pathtext import display_path

    expect = expectation(case_, call, outcomes)
    where = f"{case_.name}/{call}"
    if outcome.status == "raw":
        return [f"{where}: raw {outcome.kind}: {outcome.message}"]
    try:
        outcome.message.encode("utf-8")
    except UnicodeEncodeError:
        return [f"{where}: message cannot be encoded: {outcome.message!r}"]
    if expect.kind is None:
        if outcome.status == "refused" and outcome.kind == expect.or_refused:
            return [] if display_path(path) in outcome.message else [
                f"{where}: message does not name the file: {outcome.message}"]
        if outcome.status != "ok":
            return [f"{where}: refused ({outcome.kind}) but should load: {outcome.message}"]
        if expect.check is not None:
            try:
                expect.check(outcome.result)
            except AssertionError as exc:
                return [f"{where}: loaded wrongly: {exc}"]
        return []
    if outcome.status != "refused":
        return [f"{where}: loaded but should be refused ({expect.kind})"]
    problems = []
    if outcome.kind != expect.kind:
        problems.append(f"{where}: kind {outcome.kind!r}, expected {expect.kind!r}: {outcome.message}")
    if call in ("image", "thumbnail", "mask") and display_path(path) not in outcome.message:
        problems.append(f"{where}: message does not name the file: {outcome.message}")
    problems += [f"{where}: {fragment!r} not in {outcome.message!r}" for fragment in expect.fragments
                 if fragment not in outcome.message]
    return problems


def verify(case_: Case, path: Path) -> list[str]:
    """Run every call of the case on ``path``; the list of everything unexpected."""
    outcomes: dict[str, Outcome] = {}
    problems: list[str] = []
    for call in calls_of(case_):
        outcomes[call] = outcome_of(call, path)
        problems += check(case_, call, path, outcomes[call], outcomes)
    return problems

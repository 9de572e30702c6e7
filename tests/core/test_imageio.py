"""The hostile-input corpus: every case is generated here and asserts the exact outcome."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from core.imageio import (
    DEFAULT_MAX_PIXELS,
    MAX_PIXELS_ENV,
    ImageLoadError,
    list_images,
    load_image,
    load_thumbnail,
)
from tests.core.hostile import (
    cmyk_jpeg_bytes,
    expected_orientation,
    gradient_rgb,
    png_header_only,
    save,
    truncated_copy,
    with_exif_orientation,
)


def expect_error(path, kind: str, *fragments: str) -> ImageLoadError:
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    err = info.value
    assert err.kind == kind, str(err)
    assert str(path) in str(err)
    for fragment in fragments:
        assert fragment in str(err), str(err)
    return err


# ---- plain formats load exactly -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,suffix,kwargs", [
    ("PNG", ".png", {}), ("BMP", ".bmp", {}), ("TIFF", ".tif", {}), ("WEBP", ".webp", {"lossless": True}),
])
def test_lossless_formats_roundtrip_exactly(tmp_path, fmt, suffix, kwargs):
    rgb = gradient_rgb()
    path = save(tmp_path / f"img{suffix}", Image.fromarray(rgb), format=fmt, **kwargs)
    loaded = load_image(path)
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (24, 32, 3)
    np.testing.assert_array_equal(loaded.rgb, rgb)
    assert loaded.meta.format == fmt and loaded.meta.mode == "RGB" and loaded.meta.bit_depth == 8
    assert (loaded.meta.width, loaded.meta.height) == (32, 24)
    assert loaded.raw is None


def test_jpeg_loads_close_to_source(tmp_path):
    rgb = np.full((32, 32, 3), (200, 60, 30), np.uint8)
    path = save(tmp_path / "photo.jpg", Image.fromarray(rgb), format="JPEG", quality=95)
    loaded = load_image(path)
    assert loaded.meta.format == "JPEG"
    assert np.abs(loaded.rgb.astype(int) - rgb).max() <= 4


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    loaded = load_image(save(tmp_path / "g.png", Image.fromarray(gray, mode="L")))
    assert loaded.meta.mode == "L"
    for channel in range(3):
        np.testing.assert_array_equal(loaded.rgb[..., channel], gray)


def test_bilevel_mode_1(tmp_path):
    bits = (np.indices((8, 8)).sum(0) % 2).astype(bool)
    loaded = load_image(save(tmp_path / "b.png", Image.fromarray(bits)))
    assert loaded.meta.mode == "1" and loaded.meta.bit_depth == 1
    np.testing.assert_array_equal(loaded.rgb[..., 0], bits.astype(np.uint8) * 255)


# ---- high bit depth ------------------------------------------------------------------------------------
def test_16bit_png_keeps_raw_values_and_stretches_for_display(tmp_path):
    values = np.array([[0, 1000], [30000, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    loaded = load_image(path)
    assert loaded.meta.bit_depth == 16 and loaded.meta.mode.startswith("I")
    np.testing.assert_array_equal(loaded.raw, values)
    expected = np.rint(values.astype(float) * 255 / 65535).astype(np.uint8)
    np.testing.assert_array_equal(loaded.rgb[..., 0], expected)
    assert loaded.meta.value_range == (0.0, 65535.0)
    assert loaded.value_at(1, 0) == (30000,)


def test_16bit_tiff_with_12bit_data_is_stretched_to_its_range(tmp_path):
    values = np.array([[100, 600], [1100, 4095]], dtype=np.uint16)
    path = tmp_path / "deep.tif"
    Image.fromarray(values).save(path)
    loaded = load_image(path)
    assert loaded.meta.format == "TIFF" and loaded.meta.bit_depth == 16
    np.testing.assert_array_equal(loaded.raw, values)
    expected = np.rint((values - 100.0) * 255 / (4095 - 100)).astype(np.uint8)
    np.testing.assert_array_equal(loaded.rgb[..., 1], expected)
    assert loaded.meta.value_range == (100.0, 4095.0)


def test_32bit_float_tiff(tmp_path):
    values = np.array([[-1.0, 0.0], [0.5, 1.0]], dtype=np.float32)
    path = tmp_path / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    loaded = load_image(path)
    assert loaded.meta.mode == "F" and loaded.meta.bit_depth == 32
    np.testing.assert_array_equal(loaded.rgb[..., 0], [[0, 128], [191, 255]])


def test_constant_16bit_image_is_black_not_a_crash(tmp_path):
    path = tmp_path / "flat.png"
    Image.fromarray(np.full((4, 4), 777, np.uint16)).save(path)
    loaded = load_image(path)
    assert loaded.rgb.max() == 0 and loaded.meta.value_range == (777.0, 777.0)


# ---- colour modes ------------------------------------------------------------------------------------
def test_cmyk_jpeg_converts_to_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(cmyk_jpeg_bytes((0, 255, 255, 0)))  # pure red in CMYK
    loaded = load_image(path)
    assert loaded.meta.mode == "CMYK"
    r, g, b = loaded.rgb[8, 8].astype(int)
    assert r >= 245 and g <= 10 and b <= 10


def test_palette_with_transparency_composites_over_white(tmp_path):
    indices = np.array([[0, 1], [1, 2]], dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([10, 20, 30, 200, 100, 50, 0, 0, 255] + [0] * 759)
    path = tmp_path / "pal.png"
    image.save(path, transparency=0)
    loaded = load_image(path)
    assert loaded.meta.mode == "P" and loaded.meta.has_alpha
    np.testing.assert_array_equal(loaded.rgb[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(loaded.rgb[0, 1], [200, 100, 50])
    np.testing.assert_array_equal(loaded.rgb[1, 1], [0, 0, 255])


def test_la_composites_over_white(tmp_path):
    data = np.zeros((2, 2, 2), np.uint8)
    data[..., 0] = 100
    data[..., 1] = [[255, 0], [128, 255]]
    path = save(tmp_path / "la.png", Image.fromarray(data, mode="LA"))
    loaded = load_image(path)
    assert loaded.meta.mode == "LA" and loaded.meta.has_alpha
    np.testing.assert_array_equal(loaded.rgb[..., 0], [[100, 255], [(100 * 128 + 255 * 127 + 127) // 255, 100]])


def test_rgba_composites_over_white_exactly(tmp_path):
    rgba = np.array([[[255, 0, 0, 255], [0, 255, 0, 0]], [[0, 0, 255, 64], [10, 20, 30, 200]]], np.uint8)
    loaded = load_image(save(tmp_path / "rgba.png", Image.fromarray(rgba, mode="RGBA")))
    rgb, alpha = rgba[..., :3].astype(int), rgba[..., 3:].astype(int)
    expected = (rgb * alpha + 255 * (255 - alpha) + 127) // 255
    np.testing.assert_array_equal(loaded.rgb, expected)
    assert loaded.meta.has_alpha


# ---- EXIF orientation --------------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_exif_orientations_are_applied(tmp_path, orientation):
    stored = gradient_rgb(12, 20)
    path = with_exif_orientation(tmp_path / f"o{orientation}.png", stored, orientation)
    loaded = load_image(path)
    expected = expected_orientation(stored, orientation)
    np.testing.assert_array_equal(loaded.rgb, expected)
    assert loaded.meta.orientation == orientation
    assert loaded.meta.stored_size == (20, 12)
    assert (loaded.meta.height, loaded.meta.width) == expected.shape[:2]


def test_exif_rotated_jpeg(tmp_path):
    stored = np.zeros((16, 32, 3), np.uint8)
    stored[:, :16] = 255  # left half white
    path = with_exif_orientation(tmp_path / "rot.jpg", stored, 6, fmt="JPEG")
    loaded = load_image(path)
    assert loaded.rgb.shape == (32, 16, 3)  # portrait after rotating 90 degrees clockwise
    assert loaded.rgb[:16].mean() > 200 and loaded.rgb[16:].mean() < 50  # the white half is now on top


# ---- animation, tiny, odd paths ---------------------------------------------------------------------
def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((8, 8, 3), value, np.uint8)) for value in ((255, 0, 0), (0, 255, 0),
                                                                                   (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(path)
    assert loaded.meta.frames == 3 and loaded.meta.format == "GIF"
    np.testing.assert_array_equal(loaded.rgb[4, 4], [255, 0, 0])


def test_one_pixel_image(tmp_path):
    loaded = load_image(save(tmp_path / "one.png", Image.new("RGB", (1, 1), (1, 2, 3))))
    assert loaded.rgb.shape == (1, 1, 3)
    np.testing.assert_array_equal(loaded.rgb[0, 0], [1, 2, 3])


@pytest.mark.parametrize("name", ["ñandú 图像 ütf8.png", "a path with spaces/my image.png"])
def test_unusual_paths(tmp_path, name):
    path = tmp_path / name
    save(path, Image.fromarray(gradient_rgb()))
    np.testing.assert_array_equal(load_image(path).rgb, gradient_rgb())


def test_mislabelled_file_loads_by_content(tmp_path):
    path = save(tmp_path / "really_a_png.jpg", Image.fromarray(gradient_rgb()), format="PNG")
    loaded = load_image(path)
    assert loaded.meta.format == "PNG" and loaded.meta.extension_mismatch
    np.testing.assert_array_equal(loaded.rgb, gradient_rgb())


# ---- failures: each one names the file and the reason ------------------------------------------------
def test_truncated_png(tmp_path):
    full = save(tmp_path / "full.png", Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3),
                                                                                         dtype=np.uint8)))
    expect_error(truncated_copy(full, tmp_path / "cut.png"), "truncated", "truncated image data")


def test_truncated_jpeg(tmp_path):
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    full = save(tmp_path / "full.jpg", Image.fromarray(noise), format="JPEG")
    expect_error(truncated_copy(full, tmp_path / "cut.jpg"), "truncated", "truncated image data")


def test_corrupt_png_data(tmp_path):
    full = save(tmp_path / "full.png", Image.fromarray(gradient_rgb(64, 64)))
    data = bytearray(full.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 20: idat + 60] = b"\x00" * 40
    bad = tmp_path / "bad.png"
    bad.write_bytes(bytes(data))
    expect_error(bad, "corrupt", "corrupt image data")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    expect_error(path, "empty", "empty file (0 bytes)")


def test_text_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not an image\n")
    expect_error(path, "not_image", "not an image: the file is a text file")


def test_html_named_jpg(tmp_path):
    path = tmp_path / "download.jpg"
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    expect_error(path, "not_image", "not an image: the file is an HTML page")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.png"
    path.write_bytes(bytes(np.random.default_rng(2).integers(0, 256, 4096, dtype=np.uint8)))
    expect_error(path, "not_image", "not an image")


def test_missing_file(tmp_path):
    expect_error(tmp_path / "nope.png", "missing", "file not found")


def test_directory_named_like_an_image(tmp_path):
    folder = tmp_path / "x.png"
    folder.mkdir()
    expect_error(folder, "directory", "is a folder")


def test_unreadable_file(tmp_path):
    """As root (CI), permissions do not stop reads, so the load runs in a child that drops to 'nobody'."""
    import tempfile

    shared = tempfile.mkdtemp(prefix="seggan-perm-")
    os.chmod(shared, 0o755)
    path = os.path.join(shared, "secret.png")
    Image.new("RGB", (2, 2)).save(path)
    os.chmod(path, 0)
    try:
        if os.geteuid() != 0:
            expect_error(path, "permission", "permission denied")
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            try:
                os.close(read_end)
                os.setgid(65534)
                os.setuid(65534)
                try:
                    load_image(path)
                    message = "loaded"
                except ImageLoadError as exc:
                    message = f"{exc.kind}|{exc}"
                os.write(write_end, message.encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            result = pipe.read()
        os.waitpid(pid, 0)
        kind, _, message = result.partition("|")
        assert kind == "permission", result
        assert path in message and "permission denied" in message
    finally:
        os.chmod(path, 0o644)


def test_huge_declared_size_is_refused_before_decoding(tmp_path):
    path = png_header_only(tmp_path / "bomb.png", 30000, 30000)
    start = time.perf_counter()
    err = expect_error(path, "too_large", "30000x30000", "900.0 Mpx", f"{DEFAULT_MAX_PIXELS / 1e6:.0f} Mpx",
                       MAX_PIXELS_ENV)
    assert time.perf_counter() - start < 1.0
    assert err.reason.startswith("image too large")


def test_limit_can_be_raised(tmp_path, monkeypatch):
    path = png_header_only(tmp_path / "big.png", 20000, 10000)
    expect_error(path, "too_large")
    monkeypatch.setenv(MAX_PIXELS_ENV, str(300_000_000))
    expect_error(path, "truncated")  # past the size check; the header-only file has no pixel data


def test_declared_size_past_pillows_own_limit(tmp_path, monkeypatch):
    path = png_header_only(tmp_path / "bigger.png", 60000, 60000)
    expect_error(path, "too_large", MAX_PIXELS_ENV)


# ---- helpers -----------------------------------------------------------------------------------------
def test_thumbnail_is_small_and_oriented(tmp_path):
    stored = gradient_rgb(100, 200)
    path = with_exif_orientation(tmp_path / "t.png", stored, 6)
    thumb = load_thumbnail(path, 50)
    assert thumb.shape == (50, 25, 3)


def test_thumbnail_of_bad_file_raises_load_error(tmp_path):
    path = tmp_path / "bad.png"
    path.write_text("nope")
    with pytest.raises(ImageLoadError):
        load_thumbnail(path)


def test_list_images_skips_folders_and_other_files(tmp_path):
    save(tmp_path / "b.PNG", Image.new("RGB", (1, 1)))
    save(tmp_path / "a.jpg", Image.new("RGB", (1, 1)))
    (tmp_path / "c.png").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG"]


def test_load_from_bytes_path_object(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (9, 9, 9)).save(buffer, format="PNG")
    path = tmp_path / "b.png"
    path.write_bytes(buffer.getvalue())
    assert load_image(str(path)).rgb.shape == (2, 3, 3)

"""Multichannel TIFFs keep every channel's stored values (core.tiff_channels via core.imageio.load_image)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from core.imageio import ImageLoadError, load_image


def values(shape, seed=0, high=60000, dtype=np.uint16):
    return np.random.default_rng(seed).integers(0, high, shape).astype(dtype)


def test_16bit_rgb_keeps_its_values(tmp_path):
    data = values((12, 10, 3))
    tifffile.imwrite(tmp_path / "rgb16.tif", data, photometric="rgb")
    loaded = load_image(tmp_path / "rgb16.tif")
    np.testing.assert_array_equal(loaded.raw, data)
    assert loaded.meta.channels == 3 and loaded.meta.rgb_channels and loaded.meta.mode == "RGB;16"
    assert loaded.value_at(2, 3) == tuple(int(v) for v in data[2, 3])
    low, high = float(data.min()), float(data.max())  # one shared range keeps the colour balance
    expected = np.rint((data[0, 0] - low) / (high - low) * 255).astype(np.uint8)
    np.testing.assert_array_equal(loaded.rgb[0, 0], expected)


def test_16bit_rgba_drops_alpha_with_a_note(tmp_path):
    data = values((6, 7, 4))
    tifffile.imwrite(tmp_path / "rgba.tif", data, photometric="rgb", extrasamples=["unassalpha"])
    loaded = load_image(tmp_path / "rgba.tif")
    np.testing.assert_array_equal(loaded.raw, data[..., :3])
    assert any("alpha" in note for note in loaded.meta.notes)


def test_big_endian_float_samples_are_native(tmp_path):
    data = np.linspace(-1, 1, 5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)
    tifffile.imwrite(tmp_path / "f.tif", data.astype(">f4"), photometric="minisblack", planarconfig="contig",
                     byteorder=">")
    loaded = load_image(tmp_path / "f.tif")
    assert loaded.raw.dtype == np.float32 and loaded.raw.dtype.byteorder in "=|"
    np.testing.assert_array_equal(loaded.raw, data)


def test_two_sample_16bit_tiff_that_pillow_refuses_loads(tmp_path):
    data = values((8, 9, 2), high=4000)
    tifffile.imwrite(tmp_path / "two.tif", data, photometric="minisblack", planarconfig="contig")
    with pytest.raises(Exception):  # noqa: B017 - what Pillow does on its own
        Image.open(tmp_path / "two.tif").load()
    loaded = load_image(tmp_path / "two.tif")
    np.testing.assert_array_equal(loaded.raw, data)
    assert loaded.meta.channels == 2 and not loaded.meta.rgb_channels


def test_imagej_channel_hyperstack_loads_as_channels_not_frames(tmp_path):
    data = values((3, 8, 9), high=4000)  # C, Y, X
    tifffile.imwrite(tmp_path / "cyx.tif", data, imagej=True, metadata={"axes": "CYX"})
    loaded = load_image(tmp_path / "cyx.tif")
    np.testing.assert_array_equal(loaded.raw, np.moveaxis(data, 0, -1))
    assert loaded.meta.channels == 3 and loaded.meta.frames == 1 and loaded.rgb.shape == (8, 9, 3)


def test_what_stays_with_pillow(tmp_path):
    grey = values((8, 9))
    tifffile.imwrite(tmp_path / "grey.tif", grey)
    assert load_image(tmp_path / "grey.tif").meta.channels == 1  # single channel: Pillow's path, as before
    rgb8 = values((8, 9, 3), high=255, dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb8.tif", rgb8, photometric="rgb")
    loaded = load_image(tmp_path / "rgb8.tif")
    assert loaded.raw is None and loaded.meta.mode == "RGB"
    stack = values((4, 8, 9), high=4000)  # Z slices: a stack, not channels
    tifffile.imwrite(tmp_path / "zyx.tif", stack, imagej=True, metadata={"axes": "ZYX"})
    assert load_image(tmp_path / "zyx.tif").meta.channels == 1


def test_multichannel_over_the_memory_budget_is_refused(tmp_path, monkeypatch):
    tifffile.imwrite(tmp_path / "big.tif", values((400, 400, 3)), photometric="rgb")
    monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "1")
    with pytest.raises(ImageLoadError) as info:
        load_image(tmp_path / "big.tif")
    assert info.value.kind == "too_large" and "big.tif" in str(info.value)


def test_truncated_multichannel_tiff_is_a_clear_error(tmp_path):
    tifffile.imwrite(tmp_path / "ok.tif", values((64, 64, 3)), photometric="rgb")
    blob = (tmp_path / "ok.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ImageLoadError) as info:
        load_image(tmp_path / "cut.tif")
    assert "cut.tif" in str(info.value)


def test_thumbnail_of_a_multichannel_tiff(tmp_path):
    from core.imageio import load_thumbnail

    data = values((40, 60, 2), high=4000)
    tifffile.imwrite(tmp_path / "two.tif", data, photometric="minisblack", planarconfig="contig")
    thumb = load_thumbnail(tmp_path / "two.tif", size=30)
    assert thumb.shape == (20, 30, 3) and thumb.dtype == np.uint8 and thumb.any()

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from core import maskio
from core.maskio import MaskLoadError, read_mask, write_mask
from core.palette import LABEL_COLORS


def test_write_then_read_roundtrips_labels_and_names(tmp_path):
    labels = np.zeros((10, 12), np.uint8)
    labels[2:5, 3:7] = 1
    labels[6:9, 1:4] = 7
    path = write_mask(tmp_path / "m.png", labels, names={1: "cell", 7: "nucleus"})
    loaded = read_mask(path)
    np.testing.assert_array_equal(loaded.labels, labels)
    assert loaded.report.kind == "palette" and loaded.report.classes == (0, 1, 7)
    assert loaded.report.names == {1: "cell", 7: "nucleus"}


def test_written_mask_is_a_visible_palette_png(tmp_path):
    labels = np.array([[0, 1], [2, 3]], np.uint8)
    path = write_mask(tmp_path / "m.png", labels)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "P"
        rgb = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(rgb[0, 0], [0, 0, 0])
    for row, col in ((0, 1), (1, 0), (1, 1)):
        assert rgb[row, col].astype(int).sum() > 150, "label colours must be visible, never near-black"
    assert len({tuple(rgb[r, c]) for r, c in ((0, 1), (1, 0), (1, 1))}) == 3


def test_all_palette_colours_are_visible_and_distinct():
    colours = LABEL_COLORS[1:].astype(int)
    assert (colours.max(axis=1) >= 100).all()
    assert len({tuple(c) for c in colours}) == 255


def test_binary_0_255_mask_becomes_0_1(tmp_path):
    values = np.zeros((6, 6), np.uint8)
    values[1:4, 1:4] = 255
    Image.fromarray(values).save(tmp_path / "bin.png")
    loaded = read_mask(tmp_path / "bin.png")
    np.testing.assert_array_equal(loaded.labels, (values == 255).astype(np.uint8))
    assert loaded.report.kind == "binary" and loaded.report.classes == (0, 1)


def test_small_integer_grey_mask_is_class_indices(tmp_path):
    values = np.array([[0, 1, 2], [3, 2, 1]], np.uint8)
    Image.fromarray(values).save(tmp_path / "idx.png")
    loaded = read_mask(tmp_path / "idx.png")
    np.testing.assert_array_equal(loaded.labels, values)
    assert loaded.report.kind == "indexed" and loaded.report.notes == ()


def test_three_grey_levels_map_to_classes_with_a_note(tmp_path):
    values = np.repeat(np.repeat(np.array([[0, 128, 255], [255, 128, 0]], np.uint8), 8, axis=0), 8, axis=1)
    Image.fromarray(values).save(tmp_path / "lv.png")
    loaded = read_mask(tmp_path / "lv.png")
    np.testing.assert_array_equal(loaded.labels[::8, ::8], [[0, 1, 2], [2, 1, 0]])
    assert loaded.report.kind == "grey-levels"
    assert "grey levels 0, 128, 255 mapped to classes 0..2" in loaded.report.notes[0]


def test_rgb_mask_with_three_colours(tmp_path):
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[0, :] = (255, 0, 0)
    rgb[1, :] = (0, 0, 255)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    loaded = read_mask(tmp_path / "rgb.png")
    # black is background; unknown colours get classes in sorted colour order: blue (0x0000ff) then red
    expected = np.zeros((4, 4), np.uint8)
    expected[1, :] = 1
    expected[0, :] = 2
    np.testing.assert_array_equal(loaded.labels, expected)
    assert loaded.report.kind == "colours"
    assert loaded.report.mapping == {"#000000": 0, "#0000ff": 1, "#ff0000": 2}


def test_rgb_mask_in_our_palette_keeps_indices(tmp_path):
    labels = np.array([[0, 4], [9, 4]], np.uint8)
    Image.fromarray(LABEL_COLORS[labels]).save(tmp_path / "exported.png")
    loaded = read_mask(tmp_path / "exported.png")
    np.testing.assert_array_equal(loaded.labels, labels)
    assert loaded.report.notes == ()


def test_jpeg_like_noise_on_binary_mask_is_thresholded_and_reported(tmp_path):
    values = np.zeros((100, 100), np.uint8)
    values[:, 50:] = 255
    values[0, 48:52] = [3, 100, 180, 250]  # compression fringe
    values[1, 48:52] = [1, 90, 170, 252]
    values[2, 48:52] = [5, 60, 200, 240]
    values[3, 48:52] = [2, 30, 220, 230]
    values[4, 48:52] = [4, 70, 140, 245]
    values[5, 48:52] = [6, 80, 150, 235]
    values[6, 48:52] = [7, 85, 155, 225]
    values[7, 48:52] = [8, 95, 165, 215]
    values[8, 48:52] = [9, 99, 175, 205]
    Image.fromarray(values).save(tmp_path / "fringe.png")
    loaded = read_mask(tmp_path / "fringe.png")
    assert loaded.report.kind == "binary"
    assert loaded.labels[50, 10] == 0 and loaded.labels[50, 90] == 1
    assert loaded.labels[0, 49] == 0 and loaded.labels[0, 50] == 1  # 100 -> 0, 180 -> 1
    assert "snapped to the nearest class" in loaded.report.notes[0]


def test_photo_is_not_a_label_map(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "photo.png")
    with pytest.raises(MaskLoadError) as info:
        read_mask(tmp_path / "photo.png")
    assert info.value.kind == "not_label_map" and "distinct colours" in str(info.value)
    assert str(tmp_path / "photo.png") in str(info.value)


def test_grey_photo_is_not_a_label_map(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "gphoto.png")
    with pytest.raises(MaskLoadError, match="distinct grey levels"):
        read_mask(tmp_path / "gphoto.png")


def test_mask_size_must_match_its_image(tmp_path):
    write_mask(tmp_path / "m.png", np.zeros((80, 100), np.uint8))
    with pytest.raises(MaskLoadError) as info:
        read_mask(tmp_path / "m.png", expected_size=(120, 80))
    assert info.value.kind == "size_mismatch"
    assert "mask is 100x80 but its image is 120x80" in str(info.value)


def test_16bit_label_map(tmp_path):
    values = np.array([[0, 1], [2, 2]], np.uint16)
    Image.fromarray(values).save(tmp_path / "m16.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "m16.png").labels, values)


def test_rgba_mask_ignores_alpha_with_a_note(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 255, 255, 128)
    rgba[..., 3] = 255
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    loaded = read_mask(tmp_path / "a.png")
    np.testing.assert_array_equal(loaded.labels, [[1, 0], [0, 0]])
    assert "alpha channel ignored" in loaded.report.notes


def test_truncated_mask_is_a_clear_error(tmp_path):
    write_mask(tmp_path / "m.png", np.random.default_rng(0).integers(0, 5, (64, 64)).astype(np.uint8))
    data = (tmp_path / "m.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(MaskLoadError, match="truncated"):
        read_mask(tmp_path / "cut.png")


def test_write_rejects_bad_labels(tmp_path):
    with pytest.raises(ValueError, match="2-D"):
        write_mask(tmp_path / "x.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="0..255"):
        write_mask(tmp_path / "x.png", np.full((2, 2), 300))
    assert not (tmp_path / "x.png").exists()


def test_mask_write_is_atomic_when_saving_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.png"
    original = np.ones((4, 4), np.uint8)
    write_mask(path, original)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", explode)
    with pytest.raises(OSError, match="disk full"):
        write_mask(path, np.zeros((4, 4), np.uint8))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.png"], "no temp file may be left behind"
    monkeypatch.undo()
    np.testing.assert_array_equal(maskio.read_mask(path).labels, original)


def test_studio_label_maps_read_back_exactly_however_sparse_or_small_their_labels(tmp_path):
    labels = np.zeros((300, 400), np.uint8)
    labels[10:200, 20:300] = 200  # a high label, nothing in between: still label 200, not compacted
    labels[250, 390] = 3  # one pixel of an object: a label, not noise
    labels[260:262, 0:400] = 9  # a two-pixel line
    path = write_mask(tmp_path / "m.png", labels, names={200: "cell", 3: "dot", 9: "line"})
    loaded = read_mask(path)
    np.testing.assert_array_equal(loaded.labels, labels)
    assert loaded.report.kind == "palette" and loaded.report.notes == ()

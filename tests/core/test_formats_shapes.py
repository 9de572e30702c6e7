"""Masks as COCO RLE and polygons, checked with pycocotools (the reference decoder) on random shapes."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as reference
from scipy import ndimage

from core.formats import shapes


def _random_masks(count, seed=0, max_side=28):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        h, w = rng.integers(1, max_side, 2)
        mask = rng.random((h, w)) < rng.uniform(0.2, 0.8)
        if rng.random() < 0.5:
            mask = ndimage.binary_opening(mask) | (rng.random((h, w)) < 0.05)
        if mask.any():
            yield mask


def test_rle_round_trip_through_the_reference_decoder():
    for mask in _random_masks(200):
        rle = shapes.encode_rle(mask)
        assert isinstance(rle["counts"], str) and rle["size"] == list(mask.shape)
        decoded = reference.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})
        assert np.array_equal(decoded.astype(bool), mask)
        assert np.array_equal(shapes.decode_rle(rle), mask)


def test_rle_of_a_crop_equals_the_rle_of_the_full_mask():
    rng = np.random.default_rng(1)
    full = np.zeros((30, 40), bool)
    full[7:19, 11:30] = rng.random((12, 19)) < 0.5
    buffer = np.zeros((30, 40), np.uint8, order="F")
    rle = shapes.encode_rle_crop(full[7:19, 11:30], 7, 11, 30, 40, buffer)
    assert rle == shapes.encode_rle(full)
    assert not buffer.any()  # left clean for the next object


def test_uncompressed_rle_is_read():
    mask = np.zeros((4, 5), bool)
    mask[1:3, 2:4] = True
    # column-major runs: 9 zeros, 2 ones, 2 zeros, 2 ones, 5 zeros
    assert np.array_equal(shapes.decode_rle({"size": [4, 5], "counts": [9, 2, 2, 2, 5]}), mask)


def test_polygons_without_holes_rasterise_back_exactly():
    checked = 0
    for mask in _random_masks(300, seed=2):
        outers, holes = shapes.mask_rings(mask)
        if holes:
            continue
        polygons = [shapes.flat(r) for r in outers]
        merged = reference.merge(reference.frPyObjects(polygons, *mask.shape))
        assert np.array_equal(reference.decode(merged).astype(bool), mask)
        checked += 1
    assert checked > 100


def test_joined_rings_keep_holes_and_parts():
    with_holes = 0
    for mask in _random_masks(300, seed=3):
        outers, holes = shapes.mask_rings(mask)
        with_holes += bool(holes)
        joined = shapes.join_rings(outers + holes)
        assert shapes.polygons_reproduce([shapes.flat(joined)], mask, 0, 0)
    assert with_holes > 50


def test_ring_vertices_are_corners_on_half_pixels_in_image_coordinates():
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:9] = True
    outers, holes = shapes.mask_rings(mask[2:5, 3:9], top=2, left=3)
    assert not holes and len(outers) == 1
    ring = outers[0]
    assert len(ring) == 8  # a rectangle with its corners cut half a pixel: no collinear vertices
    assert ring[:, 0].min() == 3.0 and ring[:, 0].max() == 9.0  # x spans the pixels' edges
    assert ring[:, 1].min() == 2.0 and ring[:, 1].max() == 5.0
    assert np.all((ring * 2) == np.round(ring * 2))
    assert shapes.polygons_reproduce([shapes.flat(ring)], mask[2:5, 3:9], 2, 3)

"""The crop pipeline: crops come from the images at full resolution, batches are a pure function of
(seed, step), and augmentation keeps images and labels aligned."""

from __future__ import annotations

import numpy as np

from core.unet.pipeline import Augment, PackedImages, make_dataset


def _data():
    rng = np.random.default_rng(0)
    images, labels = [], []
    for h, w in ((40, 56), (24, 24), (70, 33)):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        images.append(img)
        labels.append((img[..., 0] > 127).astype(np.uint8))  # labels are a function of the pixel
    return images, labels


def _find(haystack: np.ndarray, crop: np.ndarray) -> bool:
    s = crop.shape[0]
    for r in range(haystack.shape[0] - s + 1):
        for c in range(haystack.shape[1] - s + 1):
            if np.array_equal(haystack[r:r + s, c:c + s], crop):
                return True
    return False


def test_plain_crops_are_unresized_windows_of_the_images():
    images, labels = _data()
    packed = PackedImages(images, labels, 16)
    x, y = next(iter(make_dataset(packed, 16, 6, 0, seed=1, augment=Augment.none())))
    x = np.rint(np.asarray(x) * 255).astype(np.uint8)
    y = np.asarray(y)
    assert x.shape == (6, 16, 16, 3) and y.shape == (6, 16, 16)
    for crop, lab in zip(x, y, strict=True):
        assert any(_find(img, crop) for img in images)
        assert np.array_equal(lab, (crop[..., 0] > 127).astype(np.int32))


def test_batches_are_a_function_of_seed_and_step():
    images, labels = _data()
    packed = PackedImages(images, labels, 16)
    run = iter(make_dataset(packed, 16, 4, 0, seed=5, augment=Augment()))
    batches = [next(run) for _ in range(4)]
    resumed = next(iter(make_dataset(packed, 16, 4, 3, seed=5, augment=Augment())))
    assert np.array_equal(np.asarray(batches[3][0]), np.asarray(resumed[0]))
    assert np.array_equal(np.asarray(batches[3][1]), np.asarray(resumed[1]))
    other = next(iter(make_dataset(packed, 16, 4, 3, seed=6, augment=Augment())))
    assert not np.array_equal(np.asarray(batches[3][0]), np.asarray(other[0]))


def test_geometric_augmentation_keeps_labels_aligned():
    images, labels = _data()
    packed = PackedImages(images, labels, 16)
    augment = Augment(brightness=0.0, contrast=0.0, elastic=1.0, elastic_alpha=3.0)
    x, y = next(iter(make_dataset(packed, 16, 8, 0, seed=2, augment=augment)))
    x, y = np.asarray(x), np.asarray(y)
    assert set(np.unique(y)) <= {0, 1} and 0.0 <= x.min() and x.max() <= 1.0
    # Elastic sampling is bilinear for the image, nearest for labels: they agree away from value edges.
    agree = np.mean(y == (x[..., 0] * 255 > 127))
    assert agree > 0.75


def test_small_images_are_padded_not_resized():
    img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    packed = PackedImages([img], [np.ones((8, 8), np.uint8)], 16)
    assert packed.shapes.tolist() == [[16, 16]]
    x, y = next(iter(make_dataset(packed, 16, 1, 0, seed=0, augment=Augment.none())))
    x = np.rint(np.asarray(x)[0] * 255).astype(np.uint8)
    assert _find(x, img) and np.all(np.asarray(y) == 1)

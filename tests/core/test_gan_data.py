"""GAN data loaders on small files the tests write: IDX, folders (classes, corrupt files), Keras datasets,
procedural shapes. No network, no shared data."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from PIL import Image

from core.gan.data import (
    GanDataError,
    fit_square,
    load_folder,
    load_gan_data,
    load_idx,
    load_keras_dataset,
    procedural_shapes,
    read_idx,
    write_idx,
)


def digits(count=12, size=28, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, size, size), dtype=np.uint8), rng.integers(0, 10, count).astype(np.uint8)


@pytest.mark.parametrize("name", ["t-images-idx3-ubyte.gz", "t-images-idx3-ubyte"])
def test_idx_round_trip_with_labels_found_next_to_the_images(tmp_path, name):
    images, labels = digits()
    write_idx(tmp_path / name, images)
    write_idx(tmp_path / name.replace("images-idx3", "labels-idx1"), labels)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")
    data = load_idx(tmp_path / name)
    assert data.images.shape == (12, 28, 28, 1) and np.array_equal(data.images[..., 0], images)
    assert np.array_equal(data.labels, labels) and data.num_classes == int(labels.max()) + 1


def test_idx_errors_name_the_file_and_the_problem(tmp_path):
    images, _ = digits()
    good = write_idx(tmp_path / "a-images-idx3-ubyte", images)
    truncated = tmp_path / "b-images-idx3-ubyte"
    truncated.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(GanDataError, match=r"b-images-idx3-ubyte: IDX header promises 9408 bytes.*9308"):
        read_idx(truncated)
    text = tmp_path / "c.gz"
    text.write_bytes(gzip.compress(b"<html>not found</html>"))
    with pytest.raises(GanDataError, match="c.gz: not an IDX file"):
        read_idx(text)
    broken = tmp_path / "d.gz"
    broken.write_bytes(gzip.compress(good.read_bytes())[:50])
    with pytest.raises(GanDataError, match="d.gz: corrupt or truncated gzip data"):
        read_idx(broken)
    with pytest.raises(GanDataError, match="no such file"):
        load_gan_data(str(tmp_path / "missing.gz"), 28)
    write_idx(tmp_path / "e-labels-idx1-ubyte", np.zeros(12, np.uint8))
    with pytest.raises(GanDataError, match="expected an IDX file with 3 dimensions"):
        load_idx(tmp_path / "e-labels-idx1-ubyte")


def test_idx_resized_to_32_and_to_colour(tmp_path):
    images, _ = digits(4)
    path = write_idx(tmp_path / "x-images-idx3-ubyte.gz", images)
    data = load_gan_data(str(path), 32, channels=3)
    assert data.images.shape == (4, 32, 32, 3) and data.labels is None
    assert np.array_equal(data.images[..., 0], data.images[..., 2])


def _save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def test_folder_with_class_subfolders_skips_and_reports_corrupt_files(tmp_path):
    rng = np.random.default_rng(1)
    for cls in ("cats", "dogs"):
        for index in range(3):
            _save(tmp_path / cls / f"{index}.png", rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
    _save(tmp_path / "dogs" / "deep" / "nested.jpg", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    (tmp_path / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    data = load_folder(tmp_path, 32)
    assert data.images.shape == (7, 32, 32, 3)
    assert data.class_names == ("cats", "dogs")
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert len(data.problems) == 1 and "broken.png" in data.problems[0]
    assert "7 images" in data.description and "2 classes" in data.description and "1 skipped" in data.description


def test_flat_folder_is_unconditional_and_grayscale_is_detected(tmp_path):
    for index in range(3):
        _save(tmp_path / f"{index}.png", np.full((30, 30), index * 80, np.uint8), "L")
    data = load_folder(tmp_path, 28)
    assert data.images.shape == (3, 28, 28, 1) and data.labels is None and data.num_classes == 0
    assert data.images[2].min() == data.images[2].max() == 160


def test_folder_errors(tmp_path):
    with pytest.raises(GanDataError, match="no image files"):
        load_folder(tmp_path, 28)
    (tmp_path / "bad.png").write_text("<html>")
    with pytest.raises(GanDataError, match="none of the 1 image files could be read"):
        load_folder(tmp_path, 28)
    with pytest.raises(GanDataError, match="not a folder"):
        load_folder(tmp_path / "bad.png", 28)


def test_fit_square_crops_the_centre():
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, 10:30] = 255  # the centre square is white
    out = fit_square(image, 10)
    assert out.shape == (10, 10, 3) and out.min() == 255


def test_keras_datasets_load_from_local_cache_files(tmp_path):
    cache = tmp_path / "keras"
    (cache / "datasets").mkdir(parents=True)
    images, labels = digits(6)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=images, y_train=labels, x_test=images[:2], y_test=labels[:2])
    (cache / "datasets" / "mnist.npz").write_bytes(buffer.getvalue())
    data = load_keras_dataset("mnist", cache)
    assert data.images.shape == (6, 28, 28, 1) and np.array_equal(data.labels, labels)
    write_idx(cache / "datasets" / "train-images-idx3-ubyte.gz", images)
    write_idx(cache / "datasets" / "train-labels-idx1-ubyte.gz", np.arange(6, dtype=np.uint8) + 4)
    fashion = load_gan_data("keras:fashion_mnist", 32, cache_dir=cache)
    assert fashion.images.shape == (6, 32, 32, 1)
    assert fashion.class_names[4] == "Coat" and fashion.class_names[9] == "Ankle boot"
    with pytest.raises(GanDataError, match="unknown built-in dataset 'cifar100'"):
        load_keras_dataset("cifar100", cache)
    (cache / "datasets" / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(GanDataError, match="not a valid mnist.npz"):
        load_keras_dataset("mnist", cache)


def test_procedural_shapes_are_deterministic_labelled_and_varied():
    a = procedural_shapes(30, 28, seed=5)
    b = procedural_shapes(30, 28, seed=5)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert a.images.shape == (30, 28, 28, 1) and set(a.labels.tolist()) == {0, 1, 2}
    assert a.class_names == ("disc", "square", "triangle")
    assert a.images.std(axis=0).mean() > 20  # not one picture thirty times
    colour = load_gan_data("procedural", 64, channels=3)
    assert colour.images.shape[1:] == (64, 64, 3)

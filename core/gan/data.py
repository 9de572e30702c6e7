"""Training images for GANs: a folder (recursive, subfolders = classes), MNIST-style IDX files (``.gz`` or
plain), the Keras built-in datasets (downloaded once on a machine with internet) and a procedural dataset
that needs no data at all. Every source gives :class:`GanData`: uint8 NHWC images at the model's size, optional
integer labels with class names, and the problems found (skipped files, with the reason)."""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.imageio import IMAGE_SUFFIXES, ImageLoadError, load_image

PROCEDURAL = "procedural"
KERAS_PREFIX = "keras:"
# name -> (files as published by Keras, the base URL they come from)
KERAS_DATASETS = {
    "mnist": (("mnist.npz",), "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
    "fashion_mnist": (("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                      "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
}
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot")
SHAPE_NAMES = ("disc", "square", "triangle")


class GanDataError(ValueError):
    """The data cannot be used at all (as opposed to single bad files, which are skipped and reported)."""


@dataclass
class GanData:
    images: np.ndarray  # N x size x size x channels, uint8
    labels: np.ndarray | None = None  # N int32 class ids, or None
    class_names: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)  # "path: reason" for every skipped file
    description: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.labels is not None else 0

    @property
    def channels(self) -> int:
        return int(self.images.shape[-1])


# --- resizing ------------------------------------------------------------------------------------------
def fit_square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` (area filter when shrinking: no aliasing)."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = np.ascontiguousarray(image[top:top + side, left:left + side])
    if side == size:
        return crop
    squeezed = crop[..., 0] if crop.ndim == 3 and crop.shape[-1] == 1 else crop
    resample = Image.Resampling.BOX if side > size else Image.Resampling.BICUBIC
    resized = np.asarray(Image.fromarray(squeezed).resize((size, size), resample))
    return resized.reshape(size, size, -1)


def _resize_all(images: np.ndarray, size: int) -> np.ndarray:
    if images.shape[1] == size and images.shape[2] == size:
        return images
    return np.stack([fit_square(image, size) for image in images])


def _with_channels(images: np.ndarray, channels: int | None) -> np.ndarray:
    if images.ndim == 3:
        images = images[..., None]
    if channels is None or images.shape[-1] == channels:
        return images
    if channels == 3:
        return np.repeat(images, 3, axis=-1)
    weights = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma
    return np.clip(np.rint(images.astype(np.float32) @ weights), 0, 255).astype(np.uint8)[..., None]


# --- IDX (MNIST, Fashion-MNIST) --------------------------------------------------------------------------
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (gzip-compressed or not) as a uint8 array, checked against its header."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GanDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise GanDataError(f"{path}: corrupt gzip data ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise GanDataError(f"{path}: not an IDX file (bad magic number)")
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code != 0x08:
        raise GanDataError(f"{path}: IDX data type 0x{dtype_code:02x} is not supported (only unsigned bytes)")
    header = 4 + 4 * ndim
    if ndim < 1 or len(raw) < header:
        raise GanDataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        raise GanDataError(f"{path}: IDX header promises {expected} bytes of data, the file has "
                           f"{len(raw) - header} (truncated or corrupt)")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    array = np.ascontiguousarray(array, np.uint8)
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(raw, compresslevel=1) if path.suffix == ".gz" else raw)
    return path


def labels_path_for(images_path: Path) -> Path | None:
    """The labels file next to an MNIST-style images file (``...-images-idx3-ubyte`` -> ``...-labels-idx1-ubyte``)."""
    name = images_path.name
    if "images-idx3" not in name:
        return None
    candidate = images_path.with_name(name.replace("images-idx3", "labels-idx1"))
    return candidate if candidate.exists() else None


def load_idx(images_path, labels_path=None, class_names: tuple[str, ...] = ()) -> GanData:
    images_path = Path(images_path)
    images = read_idx(images_path)
    if images.ndim != 3:
        raise GanDataError(f"{images_path}: expected an IDX image file (3 dimensions), got shape {images.shape}")
    labels_path = Path(labels_path) if labels_path else labels_path_for(images_path)
    labels, names = None, ()
    if labels_path is not None:
        labels = read_idx(labels_path).astype(np.int32)
        if labels.shape != (len(images),):
            raise GanDataError(f"{labels_path}: {labels.shape[0]} labels for {len(images)} images")
        count = int(labels.max()) + 1
        names = tuple(class_names[:count]) if len(class_names) >= count else tuple(str(i) for i in range(count))
    where = images_path.name + (f" + {labels_path.name}" if labels_path else "")
    return GanData(images[..., None], labels, names, [], f"{len(images)} images from {where}")


# --- a folder of images ----------------------------------------------------------------------------------
def _image_files(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files.extend(Path(dirpath) / f for f in sorted(filenames)
                     if Path(f).suffix.lower() in IMAGE_SUFFIXES and not f.startswith("."))
    return files


def load_folder(root, size: int, channels: int | None = None, limit: int | None = None,
                cancel_check=None) -> GanData:
    """Every image under ``root`` (recursive). When all images sit in two or more subfolders, the first-level
    subfolder names are the classes. Unreadable files are skipped and listed in ``problems``."""
    root = Path(root)
    if not root.is_dir():
        raise GanDataError(f"{root}: not a folder")
    files = _image_files(root)
    if limit:
        files = files[:limit]
    if not files:
        raise GanDataError(f"{root}: no image files found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    groups = [f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else "" for f in files]
    class_names = tuple(sorted(set(groups)))
    conditional = len(class_names) >= 2 and "" not in class_names
    images, labels, problems, grey = [], [], [], True
    for path, group in zip(files, groups, strict=True):
        if cancel_check is not None:
            cancel_check()
        try:
            rgb = load_image(path).rgb
        except ImageLoadError as exc:
            problems.append(str(exc))
            continue
        grey = grey and bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))
        images.append(fit_square(rgb, size))
        labels.append(class_names.index(group) if conditional else 0)
    if not images:
        raise GanDataError(f"{root}: none of the {len(files)} image files could be read; first problem: "
                           f"{problems[0]}")
    stacked = _with_channels(np.stack(images), channels or (1 if grey else 3))
    description = f"{len(images)} images from {root}" + (f" in {len(class_names)} classes" if conditional else "")
    if problems:
        description += f" ({len(problems)} skipped)"
    return GanData(stacked, np.asarray(labels, np.int32) if conditional else None,
                   class_names if conditional else (), problems, description)


# --- procedural ------------------------------------------------------------------------------------------
def procedural_shapes(count: int, size: int, seed: int = 0, channels: int = 1) -> GanData:
    """Soft-edged discs, squares and triangles of random position, size and brightness on a dark background:
    three classes a small GAN learns in a minute, so the studio works with no data at all."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    labels = rng.integers(0, len(SHAPE_NAMES), count).astype(np.int32)
    images = np.empty((count, size, size, channels), np.uint8)
    for index, kind in enumerate(labels):
        cy, cx = rng.uniform(0.35, 0.65, 2) * size
        radius = rng.uniform(0.18, 0.32) * size
        if kind == 0:
            distance = np.hypot(yy - cy, xx - cx) - radius
        elif kind == 1:
            distance = np.maximum(np.abs(yy - cy), np.abs(xx - cx)) - radius * 0.85
        else:  # a triangle: the largest signed distance to its three edges (outward normals)
            angle = rng.uniform(-0.3, 0.3)
            normals = [(np.cos(a + angle), np.sin(a + angle)) for a in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6)]
            distance = np.max([ny * (yy - cy) + nx * (xx - cx) for ny, nx in normals], axis=0) - radius * 0.6
        inside = np.clip(0.5 - distance, 0.0, 1.0)  # one-pixel antialiased edge
        colour = rng.uniform(0.55, 1.0, channels)
        background = rng.uniform(0.0, 0.2, channels)
        picture = background + inside[..., None] * (colour - background)
        images[index] = np.clip(np.rint(picture * 255), 0, 255).astype(np.uint8)
    return GanData(images, labels, SHAPE_NAMES, [], f"{count} procedural shapes ({', '.join(SHAPE_NAMES)})")


# --- Keras built-in datasets -------------------------------------------------------------------------------
def load_keras_dataset(name: str, cache_dir: str | os.PathLike | None = None) -> GanData:
    """A Keras built-in dataset's training split, fetched with ``keras.utils.get_file`` (downloaded once into
    ``cache_dir``/datasets, default ~/.keras/datasets) and parsed here, without pickle or code execution."""
    if name not in KERAS_DATASETS:
        raise GanDataError(f"unknown built-in dataset {name!r} (known: {', '.join(sorted(KERAS_DATASETS))})")
    import keras

    filenames, base = KERAS_DATASETS[name]
    try:
        paths = [Path(keras.utils.get_file(fname=f, origin=base + f,
                                           cache_dir=str(cache_dir) if cache_dir else None)) for f in filenames]
    except Exception as exc:  # noqa: BLE001 - network errors come in many types; the message says which
        raise GanDataError(f"cannot fetch the {name} dataset ({type(exc).__name__}: {exc}); without internet, "
                           "pass the IDX files or an image folder instead") from None
    if name == "mnist":
        try:
            with np.load(paths[0], allow_pickle=False) as archive:
                images, labels = archive["x_train"], archive["y_train"].astype(np.int32)
        except (OSError, ValueError, KeyError) as exc:
            raise GanDataError(f"{paths[0]}: not a valid mnist.npz ({exc})") from None
        if images.ndim != 3 or images.dtype != np.uint8 or labels.shape != (len(images),):
            raise GanDataError(f"{paths[0]}: unexpected arrays {images.shape} {images.dtype}, labels {labels.shape}")
        return GanData(images[..., None], labels, tuple(str(i) for i in range(10)), [],
                       f"{len(images)} MNIST training images (Keras)")
    data = load_idx(paths[0], paths[1], FASHION_NAMES)
    data.description = f"{len(data.images)} Fashion-MNIST training images (Keras)"
    return data


# --- one entry point ---------------------------------------------------------------------------------------
def load_gan_data(source: str, size: int, channels: int | None = None, *, seed: int = 0,
                  procedural_count: int = 4096, cache_dir=None) -> GanData:
    """``source`` is ``procedural``, ``keras:mnist`` / ``keras:fashion_mnist``, an IDX images file, or a folder.
    Images come back at ``size`` px with ``channels`` (None: what the data has)."""
    source = str(source or PROCEDURAL).strip()
    if source == PROCEDURAL:
        data = procedural_shapes(procedural_count, size, seed, channels or 1)
        return data
    if source.startswith(KERAS_PREFIX):
        data = load_keras_dataset(source[len(KERAS_PREFIX):], cache_dir)
    else:
        path = Path(source).expanduser()
        if path.is_dir():
            return load_folder(path, size, channels)
        if not path.exists():
            raise GanDataError(f"{path}: no such file or folder")
        data = load_idx(path)
    data.images = _with_channels(_resize_all(data.images, size), channels)
    return data

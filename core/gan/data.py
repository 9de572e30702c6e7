"""Training images for GANs: a folder (recursive, subfolders = classes), MNIST-style IDX files (``.gz`` or
plain), the Keras built-in datasets (downloaded once on a machine with internet) and a procedural dataset
that needs no data at all. Every source gives :class:`GanData`: uint8 NHWC images at the model's size, optional
integer labels with class names, and the problems found (skipped files, with the reason)."""

from __future__ import annotations

import gzip
import logging
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.imageio import IMAGE_SUFFIXES, ImageLoadError, load_image
from core.pathtext import display_path, safe_text

log = logging.getLogger(__name__)

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
_IDX_TYPES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer", 0x0C: "32-bit integer",
              0x0D: "32-bit float", 0x0E: "64-bit float"}
_IDX_MAX_DIMS = 4


def _read_exactly(stream, count: int) -> bytes:
    data = stream.read(count)
    return data if data is not None else b""


def _idx_header(stream, name: str) -> tuple[int, tuple[int, ...]]:
    """(header length, shape) from the first bytes of an IDX stream, checked before any data is read."""
    head = _read_exactly(stream, 4)
    if len(head) < 4 or head[:2] != b"\x00\x00":
        raise GanDataError(f"{name}: not an IDX file (bad magic number)")
    dtype_code, ndim = head[2], head[3]
    if dtype_code != 0x08:
        what = _IDX_TYPES.get(dtype_code, f"unknown type 0x{dtype_code:02x}")
        raise GanDataError(f"{name}: IDX data type {what} (0x{dtype_code:02x}) is not supported (only unsigned "
                           "bytes, as in MNIST)")
    if not 1 <= ndim <= _IDX_MAX_DIMS:
        raise GanDataError(f"{name}: IDX header declares {ndim} dimensions (expected 1 to {_IDX_MAX_DIMS})")
    dims = _read_exactly(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise GanDataError(f"{name}: truncated IDX header ({len(dims) + 4} of {4 + 4 * ndim} bytes)")
    shape = struct.unpack(f">{ndim}I", dims)
    if 0 in shape:
        raise GanDataError(f"{name}: IDX header declares a zero dimension ({'x'.join(map(str, shape))}): "
                           "no data")
    return 4 + 4 * ndim, shape


def read_idx(path: str | os.PathLike, expect_ndim: int | None = None,
             max_bytes: int | None = None) -> np.ndarray:
    """An IDX file (gzip-compressed or not) as a uint8 array. The header is read and checked first (magic,
    type, no zero dimension, ``expect_ndim``, size within ``max_bytes``, default the decode budget, and for
    an uncompressed file the file's length); the data is then read, decompressing as a stream that stops
    at the size the header promises, so a gzip bomb costs no more than an honest file."""
    from core.image_budget import decode_budget_bytes, format_bytes

    path = Path(path)
    name = display_path(path)
    limit = decode_budget_bytes() if max_bytes is None else int(max_bytes)
    try:
        if not path.is_file():
            raise GanDataError(f"{name}: not a regular file" if path.exists() else f"{name}: no such file")
        with open(path, "rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            header, shape = _idx_header(stream, name)
            if expect_ndim is not None and len(shape) != expect_ndim:
                raise GanDataError(f"{name}: expected an IDX file with {expect_ndim} dimensions, the header "
                                   f"declares {len(shape)} ({'x'.join(map(str, shape))})")
            expected = int(np.prod(shape, dtype=np.int64))
            if expected > limit:
                raise GanDataError(f"{name}: IDX header declares {'x'.join(map(str, shape))} = "
                                   f"{format_bytes(expected)} of data, above the budget of {format_bytes(limit)} "
                                   "(raise it with SEGGAN_MAX_DECODE_MB=<megabytes>)")
            if not compressed:
                stored = os.fstat(raw.fileno()).st_size - header
                if stored != expected:
                    raise GanDataError(f"{name}: IDX header promises {expected} bytes of data, the file has "
                                       f"{stored} ({'truncated' if stored < expected else 'extra data'})")
            data = np.empty(expected, np.uint8)
            view, got = memoryview(data), 0
            while got < expected:
                count = stream.readinto(view[got:])
                if not count:
                    break
                got += count
            if got < expected:
                raise GanDataError(f"{name}: IDX header promises {expected} bytes of data, the file has {got} "
                                   "(truncated)")
            if stream.read(1):
                raise GanDataError(f"{name}: the data goes on past the {expected} bytes its IDX header promises "
                                   "(corrupt, or a decompression bomb); not read further")
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
            reason = f"corrupt or truncated gzip data ({exc})"
        else:
            reason = f"cannot read ({exc.strerror or exc})"
        raise GanDataError(f"{name}: {safe_text(reason)}") from None
    return data.reshape(shape)


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
    images = read_idx(images_path, expect_ndim=3)
    labels_path = Path(labels_path) if labels_path else labels_path_for(images_path)
    labels, names = None, ()
    if labels_path is not None:
        labels = read_idx(labels_path, expect_ndim=1).astype(np.int32)
        if labels.shape != (len(images),):
            raise GanDataError(f"{display_path(labels_path)}: {labels.shape[0]} labels for {len(images)} images")
        count = int(labels.max()) + 1
        names = tuple(class_names[:count]) if len(class_names) >= count else tuple(str(i) for i in range(count))
    where = images_path.name + (f" + {labels_path.name}" if labels_path else "")
    return GanData(images[..., None], labels, names, [], f"{len(images)} images from {where}")


# --- a folder of images ----------------------------------------------------------------------------------
def _image_files(root: Path, problems: list[str]) -> list[Path]:
    """Image files under ``root``; a subfolder that cannot be listed is a problem, not a silent gap."""
    def unreadable(error: OSError) -> None:
        where = display_path(error.filename) if error.filename else display_path(root)
        problems.append(f"{where}: cannot list folder ({error.strerror or error}); its images are skipped")

    files = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
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
        raise GanDataError(f"{display_path(root)}: not a folder")
    problems: list[str] = []
    files = _image_files(root, problems)
    if limit:
        files = files[:limit]
    if not files:
        extra = f" ({problems[0]})" if problems else ""
        raise GanDataError(f"{display_path(root)}: no image files found (looked for "
                           f"{', '.join(sorted(IMAGE_SUFFIXES))}){extra}")
    groups = [f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else "" for f in files]
    class_names = tuple(sorted(set(groups)))
    conditional = len(class_names) >= 2 and "" not in class_names
    images, labels, grey = [], [], True
    for path, group in zip(files, groups, strict=True):
        if cancel_check is not None:
            cancel_check()  # outside the try: cancelling is not a problem of this file
        try:
            small = fit_square(load_image(path).rgb, size)
        except ImageLoadError as exc:
            problems.append(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one file failing in any way must not stop the load
            log.warning("unexpected failure loading %s", display_path(path), exc_info=True)
            problems.append(f"{display_path(path)}: unexpected error ({type(exc).__name__}: {safe_text(str(exc))})")
            continue
        grey = grey and bool(np.array_equal(small[..., 0], small[..., 1])
                             and np.array_equal(small[..., 1], small[..., 2]))
        images.append(small)
        labels.append(class_names.index(group) if conditional else 0)
    if not images:
        raise GanDataError(f"{display_path(root)}: none of the {len(files)} image files could be read; first "
                           f"problem: {problems[0]}")
    stacked = _with_channels(np.stack(images), channels or (1 if grey else 3))
    description = f"{len(images)} images from {display_path(root)}" + (f" in {len(class_names)} classes" if conditional else "")
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
            raise GanDataError(f"{display_path(path)}: no such file or folder")
        data = load_idx(path)
    data.images = _with_channels(_resize_all(data.images, size), channels)
    return data

"""Label TIFFs: integer label images (uint16 instance ids, or class ids) as napari, Fiji and Cellpose read them.

Written with tifffile as ImageJ-compatible TIFFs (deflate-compressed, which ImageJ reads natively; axes
``YX`` for one image, ``TYX`` for a stack of frames, one page per frame, written frame by frame so a long
stack never has to be in memory at once). The label names travel inside the file as JSON in the ImageJ
``Info`` property (Fiji shows it under Image > Show Info), so a studio round trip keeps them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.atomic import atomic_save

_NAMES_KEY = "seggan:labels"


def _info(names: dict | None) -> str:
    return json.dumps({_NAMES_KEY: {str(int(k)): str(v) for k, v in (names or {}).items()}})


def write_label_tiff(path: str | os.PathLike, frames: np.ndarray | Iterable[np.ndarray],
                     names: dict | None = None, shape: tuple[int, int] | None = None,
                     count: int | None = None, dtype=np.uint16) -> Path:
    """Write one label image (HxW), a stack (TxHxW array) or ``count`` frames from an iterable (each HxW of
    ``shape``) as an ImageJ label TIFF, atomically. Values must fit ``dtype`` (uint16 by default)."""
    import tifffile

    dtype = np.dtype(dtype)
    limit = np.iinfo(dtype).max
    if isinstance(frames, np.ndarray):
        array = frames
        if array.ndim not in (2, 3):
            raise ValueError(f"a label image is HxW or TxHxW, got shape {array.shape}")
        if array.size and (array.min() < 0 or array.max() > limit):
            raise ValueError(f"labels {array.min()}..{array.max()} do not fit {dtype.name}")
        data = np.ascontiguousarray(array, dtype=dtype)
        full_shape = data.shape
        axes = "YX" if data.ndim == 2 else "TYX"
    else:
        if shape is None or count is None:
            raise ValueError("frames from an iterable need shape=(H, W) and count=T")
        full_shape = (int(count), *map(int, shape))
        axes = "TYX"

        def checked(source):
            for index, frame in enumerate(source):
                frame = np.asarray(frame)
                if frame.shape != full_shape[1:]:
                    raise ValueError(f"frame {index} is {frame.shape}, expected {full_shape[1:]}")
                if frame.size and (frame.min() < 0 or frame.max() > limit):
                    raise ValueError(f"frame {index}: labels do not fit {dtype.name}")
                yield np.ascontiguousarray(frame, dtype=dtype)

        data = checked(frames)
    path = Path(path)
    metadata = {"axes": axes, "Info": _info(names)}

    def write(raw_handle):
        # tifffile asks a stream for its name; the temp file's handle has only a descriptor
        handle = tifffile.FileHandle(raw_handle, mode="wb", name=path.name)
        if isinstance(data, np.ndarray):
            tifffile.imwrite(handle, data, imagej=True, compression="zlib", metadata=metadata)
        else:
            tifffile.imwrite(handle, data=data, shape=full_shape, dtype=dtype, imagej=True, compression="zlib",
                             metadata=metadata)

    atomic_save(path, write)
    return path


class LabelTiffError(ValueError):
    """A TIFF that is not a label image."""


def read_label_tiff(path: str | os.PathLike) -> tuple[np.ndarray, dict]:
    """(labels, names): labels HxW (or TxHxW for a stack) non-negative integers, names {id: name} when the
    file carries them."""
    import tifffile

    path = Path(path)
    try:
        with tifffile.TiffFile(path) as tif:
            labels = tif.asarray()
            info = (tif.imagej_metadata or {}).get("Info", "") if tif.is_imagej else ""
    except (OSError, ValueError, tifffile.TiffFileError) as exc:
        raise LabelTiffError(f"{path}: not a readable TIFF ({exc})") from None
    if labels.dtype.kind not in "ui" and not (labels.dtype.kind == "f" and np.all(labels == np.round(labels))):
        raise LabelTiffError(f"{path}: {labels.dtype} values are not label ids")
    labels = np.squeeze(labels)
    if labels.ndim not in (2, 3):
        raise LabelTiffError(f"{path}: shape {labels.shape} is not a label image (HxW) or stack (TxHxW)")
    if labels.size and labels.min() < 0:
        raise LabelTiffError(f"{path}: negative label ids")
    names: dict = {}
    if info:
        try:
            names = {int(k): str(v) for k, v in json.loads(info).get(_NAMES_KEY, {}).items()}
        except (ValueError, AttributeError, TypeError):
            names = {}
    return labels, names

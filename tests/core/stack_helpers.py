"""Small stacks written by tests: multi-page TIFFs, animated GIF/APNG/WebP, numbered PNG sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image


def colour_frames(count: int, size=(10, 8)) -> list[Image.Image]:
    """Frames whose top-left pixel tells them apart: red = 30 * index."""
    width, height = size
    frames = []
    for index in range(count):
        array = np.zeros((height, width, 3), np.uint8)
        array[..., 0] = (30 * index) % 256
        array[height // 2:, :, 1] = 200  # some structure, so encoders keep every frame
        array[:, index % width, 2] = 255
        frames.append(Image.fromarray(array))
    return frames


def write_animation(path: Path, count: int = 4, size=(10, 8), **options) -> Path:
    frames = colour_frames(count, size)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=40, loop=0, **options)
    return path


def gray_stack(count: int, dtype=np.uint8, size=(8, 10)) -> np.ndarray:
    """TxHxW: frame t holds t * 1000 + pixel index (wrapped to the dtype's range for uint8)."""
    height, width = size
    base = np.arange(height * width).reshape(height, width)
    stack = np.stack([base + t * 1000 for t in range(count)])
    if dtype == np.uint8:
        return (stack % 256).astype(np.uint8)
    return stack.astype(dtype)


def write_tiff_stack(path: Path, array: np.ndarray, **options) -> Path:
    options.setdefault("photometric", "minisblack")
    tifffile.imwrite(path, array, **options)
    return path


def write_sequence(folder: Path, numbers, size=(10, 8), prefix="frame_", digits=4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, number in enumerate(numbers):
        frame = colour_frames(index + 1, size)[index]
        path = folder / f"{prefix}{number:0{digits}d}.png"
        frame.save(path)
        paths.append(path)
    return paths


def corrupt_tiff_page(path: Path, index: int) -> None:
    """Overwrite the compressed data of page ``index`` with bytes zlib cannot inflate."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[index]
        offset, count = page.dataoffsets[0], page.databytecounts[0]
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xff" * count)

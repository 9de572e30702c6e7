"""Small generated segmentation datasets for the U-Net tests (no real data, no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.maskio import write_mask


def synthetic_pair(height: int, width: int, seed: int, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Bright discs (class 1) and, with 3 classes, dark squares (class 2) on a noisy mid-grey background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    labels = np.zeros((height, width), np.uint8)
    for _ in range(rng.integers(2, 5)):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        r = rng.uniform(4, max(5, min(height, width) / 5))
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
        if classes > 2:
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            labels[(np.abs(yy - cy) <= r * 0.8) & (np.abs(xx - cx) <= r * 0.8)] = 2
    base = np.array([110.0, 120.0, 115.0])
    image = base + rng.normal(0, 12, (height, width, 3))
    image[labels == 1] += np.array([90.0, 80.0, 60.0])
    image[labels == 2] -= np.array([80.0, 90.0, 70.0])
    return np.clip(image, 0, 255).astype(np.uint8), labels


def write_folders(root: Path, count: int = 6, size: tuple[int, int] = (64, 80), classes: int = 2,
                  mask_form: str = "palette") -> tuple[Path, Path]:
    """images/ and masks/ folders of generated pairs; ``mask_form``: palette, L01 (0/1 grey), L255 (0/255),
    rgb (colours)."""
    images, masks = root / "images", root / "masks"
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        rgb, labels = synthetic_pair(*size, seed=100 + i, classes=classes)
        Image.fromarray(rgb).save(images / f"img{i}.png")
        save_mask(masks / f"img{i}.png", labels, mask_form)
    return images, masks


def save_mask(path: Path, labels: np.ndarray, form: str) -> None:
    if form == "palette":
        write_mask(path, labels)
    elif form == "L01":
        Image.fromarray(labels, "L").save(path)
    elif form == "L255":
        Image.fromarray((labels > 0).astype(np.uint8) * 255, "L").save(path)
    elif form == "rgb":
        colours = np.array([[0, 0, 0], [255, 255, 0], [0, 0, 255]], np.uint8)
        Image.fromarray(colours[labels], "RGB").save(path)
    else:
        raise ValueError(form)


def unet_params(images: Path, masks: Path, **overrides) -> dict:
    params = {"source": {"kind": "folders", "images": str(images), "masks": str(masks)}, "num_classes": 2,
              "depth": 2, "base_width": 8, "crop": 32, "loss": "ce+dice", "val_fraction": 0.2,
              "augment": {"elastic": 0.0}}
    params.update(overrides)
    return params

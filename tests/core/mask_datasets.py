"""Generated mask datasets in the forms people bring: clean, antialiased, JPEG, 0/1, palette, colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.maskio import write_mask

COLOURS = np.array([[0, 0, 0], [255, 0, 0], [0, 200, 0], [40, 40, 255]], np.uint8)


def shapes(size: int, seed: int, classes: int = 2) -> np.ndarray:
    """Class ids 0..classes-1: discs for odd classes, rectangles for even ones, on background 0."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    labels = np.zeros((size, size), np.uint8)
    for cls in range(1, classes):
        for _ in range(2):
            cy, cx, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(size / 10, size / 5)
            if cls % 2:
                labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = cls
            else:
                labels[(np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r * 0.7)] = cls
    return labels


def antialiased(picture: np.ndarray) -> Image.Image:
    """What resizing leaves: down to half size and back up, bilinear (grey levels between the classes)."""
    image = Image.fromarray(picture)
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    return half.resize(image.size, Image.Resampling.BILINEAR)


def write_dataset(folder: Path, form: str, count: int = 8, size: int = 96, classes: int = 2,
                  seed: int = 0) -> tuple[list[Path], list[np.ndarray]]:
    """``count`` masks of ``form`` and the class ids each was drawn from. Forms: binary (0/255), binary-aa
    (every third file antialiased), binary-jpeg, zero-one, palette-named, colour, colour-jpeg, colour-aa,
    large-palette (a 256-entry palette, a few indices far apart), grey-levels (0/128/255)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, truths = [], []
    for i in range(count):
        truth = shapes(size, seed + i, classes)
        suffix = ".jpg" if form.endswith("jpeg") else ".png"
        path = folder / f"m{i}{suffix}"
        if form in ("binary", "binary-aa", "binary-jpeg"):
            picture = (truth > 0).astype(np.uint8) * 255
            image = antialiased(picture) if form == "binary-aa" and i % 3 == 0 else Image.fromarray(picture)
            image.save(path, quality=60) if suffix == ".jpg" else image.save(path)
        elif form == "zero-one":
            Image.fromarray(truth, "L").save(path)
        elif form == "grey-levels":
            Image.fromarray(np.array([0, 128, 255], np.uint8)[truth]).save(path)
        elif form == "palette-named":
            write_mask(path, truth, names={c: name for c, name in ((1, "cell"), (2, "nucleus"), (3, "debris"))
                                           if c < classes})
        elif form in ("colour", "colour-jpeg", "colour-aa"):
            picture = COLOURS[truth]
            image = antialiased(picture) if form == "colour-aa" else Image.fromarray(picture)
            image.save(path, quality=75) if suffix == ".jpg" else image.save(path)
        elif form == "large-palette":  # an editor's 256-colour palette; the classes sit at scattered indices
            indices = np.array([0, 37, 180, 251], np.uint8)
            palette = np.random.default_rng(7).integers(0, 256, (256, 3)).astype(np.uint8)
            palette[indices] = COLOURS
            image = Image.fromarray(indices[truth], "P")
            image.putpalette(palette.ravel().tolist())
            image.save(path)
        else:
            raise ValueError(form)
        paths.append(path)
        truths.append(truth)
    return paths, truths


def agreement(labels: np.ndarray, truth: np.ndarray, ids: dict[int, int] | None = None) -> float:
    """Share of pixels where ``labels`` equals ``truth`` (after mapping truth's ids through ``ids``)."""
    if ids is not None:
        lut = np.zeros(256, np.uint8)
        for source, target in ids.items():
            lut[source] = target
        truth = lut[truth]
    return float((labels == truth).mean())

"""Sample quality: multi-scale sliced Wasserstein distance (SWD, the ProGAN recipe: Karras et al. 2018,
section 5) and the Fréchet distance between feature sets. Plain numpy/scipy, so it can run on a host thread
while TensorFlow trains."""

from __future__ import annotations

import numpy as np

_KERNEL = np.array([1, 4, 6, 4, 1], np.float32) / 16.0


def _blur(images: np.ndarray) -> np.ndarray:
    from scipy.ndimage import convolve1d

    out = convolve1d(images, _KERNEL, axis=1, mode="reflect")
    return convolve1d(out, _KERNEL, axis=2, mode="reflect")


def laplacian_pyramid(images: np.ndarray, min_side: int = 14) -> list[np.ndarray]:
    """Band-pass levels of NHWC float images, finest first, down to ``min_side`` px; the last is low-pass."""
    levels, current = [], images.astype(np.float32)
    while current.shape[1] // 2 >= min_side:
        smaller = _blur(current)[:, ::2, ::2]
        up = np.zeros_like(current)
        up[:, ::2, ::2] = smaller
        levels.append(current - _blur(up) * 4.0)
        current = smaller
    levels.append(current)
    return levels


def _descriptors(level: np.ndarray, per_image: int, rng: np.random.Generator, patch: int = 7) -> np.ndarray:
    count, height, width, channels = level.shape
    rows = rng.integers(0, height - patch + 1, (count, per_image))
    cols = rng.integers(0, width - patch + 1, (count, per_image))
    offsets = np.arange(patch)
    r = rows[..., None, None] + offsets[:, None]  # count x per x patch x 1
    c = cols[..., None, None] + offsets[None, :]
    n = np.arange(count)[:, None, None, None]
    patches = level[n, r, c]  # count x per x patch x patch x channels
    patches = patches.reshape(count * per_image, patch, patch, channels)
    # Normalise each channel over the whole set (ProGAN), so every level weighs the same.
    mean = patches.mean(axis=(0, 1, 2), keepdims=True)
    std = patches.std(axis=(0, 1, 2), keepdims=True) + 1e-8
    return ((patches - mean) / std).reshape(count * per_image, -1)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: int, repeats: int,
                       rng: np.random.Generator) -> float:
    """Mean over random unit directions of the 1-D Wasserstein distance between the projected sets."""
    values = []
    for _ in range(repeats):
        basis = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        basis /= np.linalg.norm(basis, axis=0, keepdims=True)
        pa, pb = np.sort(a @ basis, axis=0), np.sort(b @ basis, axis=0)
        values.append(float(np.mean(np.abs(pa - pb))))
    return float(np.mean(values))


def swd(real: np.ndarray, fake: np.ndarray, *, per_image: int = 64, directions: int = 128, repeats: int = 4,
        seed: int = 0) -> tuple[float, list[float]]:
    """Multi-scale SWD between two equally sized sets of NHWC images (uint8 or floats in any one range).

    Returns (mean over levels, per level finest first), times 1e3 as in ProGAN's tables. Lower is better;
    compare with :func:`swd` of two disjoint real sets (the floor set by sampling noise)."""
    if real.shape != fake.shape:
        raise ValueError(f"SWD needs sets of the same shape, got {real.shape} and {fake.shape}")
    rng = np.random.default_rng(seed)
    scale = 1 / 255.0 if real.dtype == np.uint8 else 1.0
    levels = []
    for level_real, level_fake in zip(laplacian_pyramid(real * scale), laplacian_pyramid(fake * scale), strict=True):
        da = _descriptors(level_real, per_image, rng)
        db = _descriptors(level_fake, per_image, rng)
        levels.append(1e3 * sliced_wasserstein(da, db, directions, repeats, rng))
    return float(np.mean(levels)), levels


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) between two sets of feature vectors (rows)."""
    from scipy import linalg

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # A small ridge keeps the product well conditioned (ReLU features have dead units), as in the FID code.
    offset = np.eye(len(cov_a)) * 1e-6
    root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    root = np.real(root)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root))

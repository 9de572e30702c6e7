"""A procedural sample image the app owns: a shaded scene with a few distinct objects on a textured
background, so a first-time user can try every panel with no data. Deterministic for a seed."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image
from scipy import ndimage

from core.atomic import atomic_save

OBJECT_NAMES = ("ball", "box", "ring", "leaf")


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Fractal (multi-octave) noise in [0, 1]."""
    out = np.zeros((height, width), np.float64)
    amplitude = 1.0
    # Coarse octaves are blurred at reduced resolution and scaled up: same look, a fraction of the time.
    for sigma, shrink in ((32, 8), (12, 4), (4, 2), (1.2, 1)):
        small = (max(2, -(-height // shrink)), max(2, -(-width // shrink)))
        noise = ndimage.gaussian_filter(rng.standard_normal(small), sigma / shrink, mode="wrap")
        if shrink > 1:
            noise = ndimage.zoom(noise, (height / small[0], width / small[1]), order=1, grid_mode=True,
                                 mode="grid-wrap")[:height, :width]
        out += amplitude * noise * sigma
        amplitude *= 0.55
    out -= out.min()
    return out / max(out.max(), 1e-9)


def make_sample_scene(height: int = 480, width: int = 640, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Returns (HxWx3 uint8 image, HxW uint8 labels with 0 = background and 1..4 = OBJECT_NAMES)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    sy, sx = height / 480.0, width / 640.0
    scale = min(sy, sx)

    # Background: warm wood-like texture with stripes plus fine grain, lit from the top left.
    grain = _texture(rng, height, width)
    stripes = 0.5 + 0.5 * np.sin(xx / (9 * sx) + 6 * grain)
    light = 0.75 + 0.25 * (1 - (xx / width + yy / height) / 2)
    base = np.stack([0.55 + 0.25 * stripes, 0.45 + 0.2 * stripes, 0.30 + 0.12 * stripes], -1)
    image = base * light[..., None] * (0.85 + 0.3 * grain[..., None])
    labels = np.zeros((height, width), np.uint8)

    def shadow(mask: np.ndarray, dy: float, dx: float) -> None:
        shifted = ndimage.shift(mask.astype(np.float64), (dy * scale, dx * scale), order=0)
        soft = ndimage.gaussian_filter(shifted, 6 * scale)
        image[...] *= (1 - 0.45 * soft)[..., None]

    # 1: a shaded ball (Lambert shading of a sphere).
    cy, cx, r = 150 * sy, 160 * sx, 85 * scale
    d2 = ((yy - cy) ** 2 + (xx - cx) ** 2) / r**2
    ball = d2 <= 1
    shadow(ball, 14, 18)
    nz = np.sqrt(np.clip(1 - d2, 0, 1))
    nx, ny = (xx - cx) / r, (yy - cy) / r
    lambert = np.clip(-0.45 * nx - 0.55 * ny + 0.7 * nz, 0, 1)
    spec = np.clip(lambert, 0, 1) ** 40
    ball_rgb = np.stack([0.15 + 0.8 * lambert + spec, 0.35 * lambert + spec, 0.55 * lambert + 0.1 + spec], -1)
    image[ball] = np.clip(ball_rgb[ball], 0, 1)
    labels[ball] = 1

    # 2: a box with a vertical gradient and a darker side face.
    top, left, bottom, right = 250 * sy, 330 * sx, 420 * sy, 560 * sx
    box = (yy >= top) & (yy < bottom) & (xx >= left) & (xx < right)
    shadow(box, 12, 16)
    t = (yy - top) / (bottom - top)
    face = np.stack([0.15 + 0.2 * (1 - t), 0.35 + 0.3 * (1 - t), 0.6 + 0.35 * (1 - t)], -1)
    side = xx > right - 45 * sx
    face[side] *= 0.6
    image[box] = face[box]
    labels[box] = 2

    # 3: a ring (annulus) with a metallic radial shading.
    cy, cx = 330 * sy, 150 * sx
    rad = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    ring = (rad >= 45 * scale) & (rad <= 80 * scale)
    shadow(ring, 10, 12)
    shade = 0.5 + 0.5 * np.cos((rad - 62.5 * scale) / (17.5 * scale) * np.pi / 2)
    ring_rgb = np.stack([0.55 + 0.4 * shade, 0.6 + 0.35 * shade, 0.68 + 0.3 * shade], -1)
    image[ring] = ring_rgb[ring]
    labels[ring] = 3

    # 4: a leaf (a lens shape) with veins, rotated.
    cy, cx = 120 * sy, 470 * sx
    angle = np.deg2rad(30)
    u = ((xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)) / (110 * scale)
    v = (-(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)) / (110 * scale)
    leaf = (np.abs(u) < 1) & (np.abs(v) < 0.42 * (1 - u**2))
    shadow(leaf, 10, 14)
    veins = (np.abs(v) < 0.02) | (np.abs(np.sin(14 * u + 30 * np.abs(v))) < 0.12)
    leaf_rgb = np.stack([0.2 + 0.1 * grain, 0.55 + 0.25 * (1 - np.abs(v)), 0.15 + 0.05 * grain], -1)
    leaf_rgb[veins] = leaf_rgb[veins] * 1.35
    image[leaf] = leaf_rgb[leaf]
    labels[leaf] = 4

    image += rng.normal(0, 0.015, image.shape)  # sensor noise
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8), labels


def save_sample_scene(path: str | os.PathLike, **kwargs) -> None:
    image, _ = make_sample_scene(**kwargs)
    atomic_save(path, lambda handle: Image.fromarray(image).save(handle, format="PNG"))

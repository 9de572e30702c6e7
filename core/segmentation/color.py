"""Colour conversion for segmentation features: sRGB (uint8) to CIE Lab (D65), vectorised in numpy."""

from __future__ import annotations

import numpy as np

_RGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=np.float32,
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)


def _srgb_to_linear_table() -> np.ndarray:
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92).astype(np.float32)


_LINEAR = _srgb_to_linear_table()


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 sRGB to HxWx3 float32 Lab (L in 0..100, a and b roughly -100..100)."""
    linear = _LINEAR[rgb]  # table lookup: the gamma curve costs nothing per pixel
    xyz = linear @ (_RGB_TO_XYZ / _WHITE_D65[:, None]).T
    eps = 216 / 24389
    kappa = 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    lab = np.empty_like(xyz)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab

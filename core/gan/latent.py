"""Latent vectors: one per seed (the same seed always gives the same vector), truncation and slerp."""

from __future__ import annotations

import numpy as np


def latent_for_seed(seed: int, dim: int) -> np.ndarray:
    """The latent vector of ``seed``: standard normal, float32, independent of any other seed."""
    if seed < 0:
        raise ValueError(f"a seed must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed)).standard_normal(dim).astype(np.float32)


def latents_for_seeds(seeds, dim: int) -> np.ndarray:
    return np.stack([latent_for_seed(s, dim) for s in seeds]) if len(seeds) else np.zeros((0, dim), np.float32)


def truncate(z: np.ndarray, psi: float) -> np.ndarray:
    """The truncation trick for a generator without a mapping network: pull z toward the mean (0) of its
    prior by ``psi`` (1 = unchanged, 0 = the average image). Trades variety for typical-looking samples."""
    if not 0.0 <= psi <= 2.0:
        raise ValueError(f"truncation psi must be in [0, 2], got {psi}")
    return (np.asarray(z, np.float32) * np.float32(psi)).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Spherical interpolation (Shoemake; White 2016 for GAN latents): stays at the typical radius of a
    Gaussian prior, where linear interpolation would pass through unlikely, washed-out points.
    ``t`` may be a scalar or a vector (one output row per value); t=0 gives ``a`` and t=1 gives ``b`` exactly."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ts = np.atleast_1d(np.asarray(t, np.float64))[:, None]
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel: fall back to linear interpolation
        out = (1 - ts) * a + ts * b
    else:
        out = (np.sin((1 - ts) * omega) * a + np.sin(ts * omega) * b) / np.sin(omega)
    out = np.where(ts == 0, a, np.where(ts == 1, b, out))
    out = out.astype(np.float32)
    return out[0] if np.ndim(t) == 0 else out

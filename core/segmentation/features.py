"""Per-pixel features and a small classifier trained online on one image's clicks (no pretrained weights).

The features are a compact version of ilastik's filter bank on Lab: Gaussian-smoothed colour at several
scales, gradient magnitude, Laplacian of Gaussian and local contrast (texture), standardised per image. The
classifier is a one-hidden-layer network trained from scratch on each update (a few hundred weighted pixels,
full-batch Adam), so it learns which combination of colour and texture separates this object from its
surroundings.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def filter_bank(lab: np.ndarray, sigmas=(1.0, 3.0)) -> np.ndarray:
    """HxWxF float32 standardised features of an HxWx3 Lab image."""
    light = lab[..., 0]
    channels = [ndimage.gaussian_filter(lab, sigma=(0.7, 0.7, 0))]
    for sigma in sigmas:
        smooth = ndimage.gaussian_filter(lab, sigma=(2 * sigma, 2 * sigma, 0))
        channels.append(smooth)
        channels.append(ndimage.gaussian_gradient_magnitude(light, sigma)[..., None])
        channels.append(ndimage.gaussian_laplace(light, sigma)[..., None])
        mean_sq = ndimage.gaussian_filter(light * light, 2 * sigma)
        mean = ndimage.gaussian_filter(light, 2 * sigma)
        channels.append(np.sqrt(np.maximum(mean_sq - mean * mean, 0))[..., None])
    features = np.concatenate(channels, axis=-1).astype(np.float32)
    flat = features.reshape(-1, features.shape[-1])
    mean = flat[::5].mean(axis=0)
    std = flat[::5].std(axis=0) + 1e-6
    return ((features - mean) / std).astype(np.float32)


class OnlineClassifier:
    """A one-hidden-layer network (tanh) for foreground log-odds, retrained from its last weights."""

    def __init__(self, n_features: int, hidden: int = 16, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.w1 = (rng.normal(size=(n_features, hidden)) / np.sqrt(n_features)).astype(np.float32)
        self.b1 = np.zeros(hidden, dtype=np.float32)
        self.w2 = (rng.normal(size=hidden) / np.sqrt(hidden)).astype(np.float32)
        self.b2 = np.float32(0.0)
        self._initial = (self.w1.copy(), self.b1.copy(), self.w2.copy(), self.b2)

    def reset(self) -> None:
        self.w1, self.b1, self.w2, self.b2 = (np.copy(a) for a in self._initial)

    def fit(self, x: np.ndarray, y: np.ndarray, weight: np.ndarray, steps: int = 60, lr: float = 0.05,
            l2: float = 1e-3) -> None:
        """Weighted logistic loss, full-batch Adam; ``y`` in {0, 1}."""
        weight = (weight / max(float(weight.sum()), 1e-12)).astype(np.float32)
        params = [self.w1, self.b1, self.w2, np.array(self.b2, dtype=np.float32)]
        m = [np.zeros_like(a) for a in params]
        v = [np.zeros_like(a) for a in params]
        for t in range(1, steps + 1):
            w1, b1, w2, b2 = params
            hidden = np.tanh(x @ w1 + b1)
            logit = hidden @ w2 + b2
            prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
            g_logit = (prob - y) * weight
            g_w2 = hidden.T @ g_logit + l2 * w2
            g_b2 = np.array(g_logit.sum(), dtype=np.float32)
            g_hidden = np.outer(g_logit, w2) * (1 - hidden * hidden)
            g_w1 = x.T @ g_hidden + l2 * w1
            g_b1 = g_hidden.sum(axis=0)
            for k, g in enumerate((g_w1, g_b1, g_w2, g_b2)):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                params[k] = params[k] - lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
        self.w1, self.b1, self.w2, b2 = params
        self.b2 = np.float32(b2)

    def logit(self, x: np.ndarray) -> np.ndarray:
        return (np.tanh(x @ self.w1 + self.b1) @ self.w2 + self.b2).astype(np.float32)

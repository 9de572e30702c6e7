"""The click segmenter's per-image precomputation: the working resolutions (work, coarse, geodesic grids),
colour bins, contrast edge weights and geodesic graphs. Built once per image, in a worker (it is the slow
part); every click then reuses it."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from core.segmentation.click_types import Params
from core.segmentation.color import rgb_to_lab
from core.segmentation.geodesic import GeodesicGrid
from core.segmentation.graphcut import contrast_weights, neighbour_differences


class ImageFeatures:
    """What every update of one image needs. ``full_shape`` is the image's, ``shape`` the work resolution
    (up to ``max_work_pixels``, ``scale`` of the image), ``coarse_shape`` the global solve's grid (``fine``:
    it is coarser than work resolution, so a band is re-cut at work resolution), ``geo_shape`` the geodesic
    distances' grid."""

    def __init__(self, image: np.ndarray, params: Params):
        p = params
        rgb = as_rgb(image)
        self.full_shape = rgb.shape[:2]
        h, w = self.full_shape
        self.scale = min(1.0, float(np.sqrt(p.max_work_pixels / (h * w))))
        if self.scale < 1.0:
            size = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
        self.shape = rgb.shape[:2]
        lab = rgb_to_lab(rgb)
        cs = min(1.0, float(np.sqrt(p.coarse_pixels / (self.shape[0] * self.shape[1]))))
        self.fine = cs < 0.95 and p.band > 0  # refine the coarse boundary at work resolution
        if self.fine:
            size = (max(2, round(self.shape[1] * cs)), max(2, round(self.shape[0] * cs)))
            lab_c = rgb_to_lab(np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR)))
        else:
            lab_c = lab
        self.coarse_shape = lab_c.shape[:2]
        self.coarse_scale = (self.coarse_shape[0] / self.shape[0], self.coarse_shape[1] / self.shape[1])
        smooth = ndimage.gaussian_filter(lab_c, sigma=(0.7, 0.7, 0))
        self.weights = contrast_weights(neighbour_differences(smooth))
        self.bin_edges = bin_edges(smooth, p.bins)
        self.bin_index = quantise(smooth, self.bin_edges)
        if self.fine:
            smooth_w = ndimage.gaussian_filter(lab, sigma=(0.5, 0.5, 0))
            # Unblurred: a blur would wash out the edges of thin structures (blur 0.5 px: NoC@90 +0.15).
            self.fine_weights = contrast_weights(neighbour_differences(lab))
            self.fine_bin_index = quantise(smooth_w, self.bin_edges)
        gs = min(1.0, float(np.sqrt(p.geo_pixels / (self.coarse_shape[0] * self.coarse_shape[1]))))
        self.geo_shape = (max(2, round(self.coarse_shape[0] * gs)), max(2, round(self.coarse_shape[1] * gs)))
        self.geo_scale = (self.geo_shape[0] / self.coarse_shape[0], self.geo_shape[1] / self.coarse_shape[1])
        geo_lab = ndimage.gaussian_filter(lab_c, sigma=(p.geo_sigma, p.geo_sigma, 0))
        self.geodesic = GeodesicGrid(resize_channels(geo_lab, self.geo_shape))
        border = np.zeros(self.geo_shape, dtype=bool)
        border[[0, -1], :] = True
        border[:, [0, -1]] = True
        self.geo_border = self.geodesic.distance(border)
        self.local_geodesic = GeodesicGrid(smooth) if p.local_limit > 0 else None


def as_rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {array.shape}")
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {array.dtype}")
    return np.ascontiguousarray(array[..., :3])


def bin_edges(lab: np.ndarray, bins: int) -> list[np.ndarray]:
    """Per-channel quantile bin edges, so that every bin holds about as many pixels."""
    return [np.quantile(lab[::7, ::7, k], np.linspace(0, 1, bins + 1)[1:-1]) for k in range(3)]


def quantise(lab: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    index = np.zeros(lab.shape[:2], dtype=np.int64)
    for channel, channel_edges in enumerate(edges):
        index = index * (len(channel_edges) + 1) + np.searchsorted(channel_edges, lab[..., channel])
    return index


def resize_float(array: np.ndarray, shape) -> np.ndarray:
    if array.shape == tuple(shape):
        return array
    image = Image.fromarray(array.astype(np.float32), mode="F")
    return np.asarray(image.resize((shape[1], shape[0]), Image.BILINEAR))


def resize_channels(array: np.ndarray, shape) -> np.ndarray:
    return np.stack([resize_float(array[..., k], shape) for k in range(array.shape[2])], axis=-1)


def color_log_ratio(bin_index: np.ndarray, sample_fg, sample_bg, mask, p: Params) -> np.ndarray:
    """Log-ratio of object to background colour histograms, per colour bin: from the pixels the clicks sample
    and, once there is a mask, the mask itself (self-training, weighted ``self_weight``)."""
    n_bins = p.bins**3
    idx = bin_index
    fg = np.bincount(idx[sample_fg], minlength=n_bins).astype(np.float64)
    if mask is None:
        bg = np.bincount(idx.ravel(), minlength=n_bins).astype(np.float64)
        bg *= 1.0 / max(bg.sum(), 1)
        bg_samples = np.bincount(idx[sample_bg], minlength=n_bins)
        bg = bg + bg_samples / max(bg_samples.sum(), 1)
    else:
        fg_self = np.bincount(idx[mask], minlength=n_bins)
        bg_self = np.bincount(idx[~mask], minlength=n_bins)
        fg = fg / max(fg.sum(), 1) + p.self_weight * fg_self / max(fg_self.sum(), 1)
        bg_click = np.bincount(idx[sample_bg], minlength=n_bins)
        bg = p.self_weight * bg_self / max(bg_self.sum(), 1) + bg_click / max(bg_click.sum(), 1)
    fg = _smooth_hist(fg, p.bins, p.hist_sigma)
    bg = _smooth_hist(bg, p.bins, p.hist_sigma)
    eps = p.alpha / idx.size
    return (np.log(fg + eps) - np.log(bg + eps)).astype(np.float32)


def _smooth_hist(hist, bins, sigma):
    if sigma > 0:
        hist = ndimage.gaussian_filter(hist.reshape(bins, bins, bins), sigma, mode="nearest").ravel()
    return hist / max(hist.sum(), 1e-12)

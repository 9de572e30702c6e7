"""Geodesic distances on a small colour grid: how much colour change separates each pixel from a set of seeds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.csgraph import dijkstra

_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))


class GeodesicGrid:
    """An 8-connected grid graph whose edge cost is the colour difference (in units of the image's mean
    difference) plus ``length_cost`` per pixel step, so that among equal colour paths the shorter wins."""

    def __init__(self, lab: np.ndarray, length_cost: float = 0.05):
        h, w = lab.shape[:2]
        self.shape = (h, w)
        index = np.arange(h * w).reshape(h, w)
        flat = lab.reshape(-1, lab.shape[2]).astype(np.float32)
        sources, targets, costs = [], [], []
        for dy, dx in _OFFSETS:
            x0, x1 = max(0, -dx), w - max(0, dx)
            a = index[: h - dy, x0:x1].ravel()
            b = index[dy:, x0 + dx : x1 + dx].ravel()
            length = float(np.hypot(dy, dx))
            diff = np.sqrt(np.sum((flat[a] - flat[b]) ** 2, axis=1))
            sources.append(a)
            targets.append(b)
            costs.append((diff, length))
        mean = float(np.mean(np.concatenate([d for d, _ in costs]))) or 1.0
        weights = np.concatenate([d / mean * length + length_cost * length for d, length in costs])
        n = h * w
        self.graph = sparse.csr_matrix(
            (weights + 1e-6, (np.concatenate(sources), np.concatenate(targets))), shape=(n, n)
        )

    def local(self, row: int, col: int, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices and distances of the pixels within geodesic distance ``limit`` of (row, col)."""
        start = int(row) * self.shape[1] + int(col)
        dist = dijkstra(self.graph, directed=False, indices=start, limit=limit)
        inside = np.flatnonzero(np.isfinite(dist))
        return inside, dist[inside].astype(np.float32)

    def distance(self, seeds: np.ndarray) -> np.ndarray:
        """HxW distance from the nearest True pixel of ``seeds`` (inf where unreachable or no seeds)."""
        indices = np.flatnonzero(seeds)
        if indices.size == 0:
            return np.full(self.shape, np.inf, dtype=np.float32)
        dist = dijkstra(self.graph, directed=False, indices=indices, min_only=True)
        return dist.reshape(self.shape).astype(np.float32)

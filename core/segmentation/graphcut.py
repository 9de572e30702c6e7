"""Binary graph cut on a pixel grid (PyMaxflow's Boykov-Kolmogorov solver) with contrast-sensitive edges."""

from __future__ import annotations

import maxflow
import numpy as np

# 8-neighbourhood: right, down, down-right, down-left (each edge is added in both directions)
OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _structure(offset: tuple[int, int]) -> np.ndarray:
    structure = np.zeros((3, 3), dtype=np.float64)
    structure[1 + offset[0], 1 + offset[1]] = 1.0
    return structure


_STRUCTURES = [_structure(o) for o in OFFSETS]


def neighbour_differences(lab: np.ndarray) -> list[np.ndarray]:
    """Squared colour difference from each pixel to its neighbour at each offset (0 where there is none)."""
    h, w = lab.shape[:2]
    out = []
    for dy, dx in OFFSETS:
        diff = np.zeros((h, w), dtype=np.float32)
        x0, x1 = max(0, -dx), w - max(0, dx)
        a = lab[: h - dy, x0:x1]
        b = lab[dy:, x0 + dx : x1 + dx]
        diff[: h - dy, x0:x1] = np.sum((a - b) ** 2, axis=-1)
        out.append(diff)
    return out


def contrast_weights(differences: list[np.ndarray]) -> list[np.ndarray]:
    """GrabCut's pairwise weights exp(-beta d^2) / distance, beta from the image's mean contrast."""
    mean = float(np.mean([d.mean() for d in differences]))
    beta = 1.0 / (2.0 * mean) if mean > 0 else 0.0
    weights = []
    for (dy, dx), diff in zip(OFFSETS, differences, strict=True):
        length = float(np.hypot(dy, dx))
        weights.append((np.exp(-beta * diff) / length).astype(np.float32))
    return weights


def graph_cut(
    logit: np.ndarray,
    weights: list[np.ndarray],
    smoothness: float,
    hard_foreground: np.ndarray | None = None,
    hard_background: np.ndarray | None = None,
) -> np.ndarray:
    """Minimum cut for per-pixel foreground log-odds ``logit`` plus ``smoothness`` * contrast edges.

    Returns the HxW bool foreground. Hard seeds get a capacity no cut can afford.
    """
    h, w = logit.shape
    source = np.maximum(logit, 0).astype(np.float64)  # cost of labelling the pixel background
    sink = np.maximum(-logit, 0).astype(np.float64)  # cost of labelling it foreground
    big = 1e9
    if hard_foreground is not None:
        source[hard_foreground] = big
        sink[hard_foreground] = 0
    if hard_background is not None:
        sink[hard_background] = big
        source[hard_background] = 0
    graph = maxflow.GraphFloat()
    nodes = graph.add_grid_nodes((h, w))
    for structure, weight in zip(_STRUCTURES, weights, strict=True):
        graph.add_grid_edges(nodes, weights=smoothness * weight.astype(np.float64), structure=structure,
                             symmetric=True)
    graph.add_grid_tedges(nodes, source, sink)
    graph.maxflow()
    return ~graph.get_grid_segments(nodes)  # segments are True on the sink (background) side


def band_graph_cut(
    logit: np.ndarray,
    weights: list[np.ndarray],
    smoothness: float,
    band: np.ndarray,
    outside: np.ndarray,
    hard_foreground: np.ndarray | None = None,
    hard_background: np.ndarray | None = None,
) -> np.ndarray:
    """Graph cut over the ``band`` pixels only, the others fixed to ``outside`` (True = foreground).

    All arrays are one HxW window (``weights`` as from :func:`contrast_weights` over the same window); edges
    from a band pixel to a fixed neighbour become that pixel's terminal capacities, so the cost is the full
    grid's with the fixed labels. Returns the HxW bool foreground (``outside`` off the band).
    """
    h, w = band.shape
    ids = np.full((h, w), -1, dtype=np.int64)
    n = int(np.count_nonzero(band))
    result = outside.copy()
    if n == 0:
        return result
    ids[band] = np.arange(n)
    source = np.maximum(logit[band], 0).astype(np.float64)
    sink = np.maximum(-logit[band], 0).astype(np.float64)
    graph = maxflow.GraphFloat()
    graph.add_nodes(n)
    for (dy, dx), weight in zip(OFFSETS, weights, strict=True):
        x0, x1 = max(0, -dx), w - max(0, dx)
        a = ids[: h - dy, x0:x1]
        b = ids[dy:, x0 + dx : x1 + dx]
        cap = smoothness * weight[: h - dy, x0:x1].astype(np.float64)
        a_in, b_in = a >= 0, b >= 0
        both = a_in & b_in
        if both.any():
            graph.add_edges(a[both], b[both], cap[both], cap[both])
        for inner, inner_ids, neighbour_fg in (
            (a_in & ~b_in, a, outside[dy:, x0 + dx : x1 + dx]),
            (b_in & ~a_in, b, outside[: h - dy, x0:x1]),
        ):
            if inner.any():
                fg, nodes, caps = neighbour_fg[inner], inner_ids[inner], cap[inner]
                np.add.at(source, nodes[fg], caps[fg])
                np.add.at(sink, nodes[~fg], caps[~fg])
    big = 1e9
    if hard_foreground is not None:
        hf = hard_foreground[band]
        source[hf], sink[hf] = big, 0
    if hard_background is not None:
        hb = hard_background[band]
        sink[hb], source[hb] = big, 0
    nodes = np.arange(n)
    graph.add_grid_tedges(nodes, source, sink)
    graph.maxflow()
    result[band] = ~graph.get_grid_segments(nodes)
    return result

"""Click segmentation that learns from this image's clicks alone (no pretrained weights)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage

from core.segmentation.color import rgb_to_lab
from core.segmentation.geodesic import GeodesicGrid
from core.segmentation.graphcut import band_graph_cut, contrast_weights, graph_cut, neighbour_differences
from core.segmentation.label_map import disc_stroke


@dataclass(frozen=True)
class Params:
    max_work_pixels: int = 450_000  # resolution of the answer (and of the boundary refinement)
    coarse_pixels: int = 60_000  # resolution of the global solve (colour models, geodesics, first cut)
    band: int = 3  # coarse pixels on each side of the coarse boundary that are re-cut at work resolution
    fine_smoothness: float = 44.0  # strong: at work resolution the boundary should follow image edges
    fine_color_weight: float = 4.0  # relative to the upsampled smooth terms (geodesic, memory, regions)
    fine_seed_radius: float = 3.0  # hard-constraint disc around each click in the band cut, in work pixels
    bins: int = 12  # colour histogram bins per Lab channel (quantile-spaced per image)
    seed_radius: int = 4  # hard-constraint disc around each click
    sample_radius: int = 12  # disc whose colours train the click's class model
    smoothness: float = 6.0
    self_weight: float = 0.3  # weight of the current mask's pixels in the colour models
    distance_weight: float = 1.0
    iterations: int = 2
    alpha: float = 1.0  # histogram smoothing (pseudo-count per bin)
    hist_sigma: float = 0.7  # Gaussian smoothing of the colour histograms, in bins
    geo_pixels: int = 28_000  # size of the grid geodesic distances are computed on
    geo_weight: float = 1.5
    geo_sigma: float = 1.5  # smoothing before the geodesic grid, so noise and fine texture are not "edges"
    geo_tau: float = 3.0
    geo_floor: float = 0.0  # lowest geodesic log-odds (geo_tau units): < 0 lets "far from the clicks" argue background
    border_offset: float = 2.0  # how much weaker the image border is than a negative click, as a seed
    local_limit: float = 3.0  # geodesic radius of the region a click speaks for (0 = a plain disc)
    local_count: int = 50  # ... or its this many geodesically nearest pixels, if that is more (texture)
    local_search: float = 10.0  # how far (geodesically) those nearest pixels are looked for
    local_weight: float = 6.0  # log-odds a click adds at its own spot, fading to 0 at its region's edge
    prior_weight: float = 2.0  # log-odds a prior mask adds (its pixels can still be corrected)
    memory_weight: float = 3.0  # log-odds the previous answer (before the last interaction) adds
    revert_depth: int = 3  # how many interactions back a contradicted change is looked for (see _revert)


@dataclass(frozen=True)
class Click:
    """A click in work-resolution coordinates."""

    row: float
    col: float
    positive: bool


@dataclass(frozen=True)
class Stroke:
    """A scribble in work-resolution coordinates: a polyline and its brush radius."""

    points: tuple[tuple[float, float], ...]
    positive: bool
    radius: float


class ClickSegmenter:
    """One object's mask from positive and negative clicks, strokes and an optional prior mask.

    Construction is the per-image precomputation (colour space, edge weights, geodesic graphs; run it in a
    worker); each click then costs one incremental update. Coordinates are pixels of the image as given.

    Each update solves coarse to fine. On a coarse grid (``coarse_pixels``): colour models (histograms of
    the click regions and, self-trained, of the current mask), geodesic distances to the positive and
    negative clicks, the geodesic region each click speaks for, a distance prior, and the previous answer
    (the final one before the last interaction, downsampled) as a soft prior, so a click corrects its own
    region and keeps what earlier clicks fixed (except a change the new click contradicts: see ``_revert``);
    then a contrast-sensitive graph cut keeps the parts connected to positive clicks. At work resolution
    (``self.shape``, up to ``max_work_pixels``) only a band around the coarse boundary is re-cut, with
    work-resolution colour evidence and strong, unblurred edges (the coarse terms only nudge it), so
    boundaries follow the image at a fraction of the cost.
    A click contradicting an earlier click of the other label at the same spot replaces it.
    """

    def __init__(self, image: np.ndarray, prior: np.ndarray | None = None, params: Params | None = None):
        self.params = params or Params()
        rgb = _as_rgb(image)
        self.full_shape = rgb.shape[:2]
        h, w = self.full_shape
        self.scale = min(1.0, float(np.sqrt(self.params.max_work_pixels / (h * w))))
        if self.scale < 1.0:
            size = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
        self.shape = rgb.shape[:2]
        lab = rgb_to_lab(rgb)
        p = self.params
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
        self.bin_edges = _bin_edges(smooth, p.bins)
        self.bin_index = _quantise(smooth, self.bin_edges)
        if self.fine:
            smooth_w = ndimage.gaussian_filter(lab, sigma=(0.5, 0.5, 0))
            # Unblurred: a blur would wash out the edges of thin structures (blur 0.5 px: NoC@90 +0.15).
            self.fine_weights = contrast_weights(neighbour_differences(lab))
            self.fine_bin_index = _quantise(smooth_w, self.bin_edges)
        gs = min(1.0, float(np.sqrt(p.geo_pixels / (self.coarse_shape[0] * self.coarse_shape[1]))))
        self.geo_shape = (max(2, round(self.coarse_shape[0] * gs)), max(2, round(self.coarse_shape[1] * gs)))
        self.geo_scale = (self.geo_shape[0] / self.coarse_shape[0], self.geo_shape[1] / self.coarse_shape[1])
        geo_lab = ndimage.gaussian_filter(lab_c, sigma=(p.geo_sigma, p.geo_sigma, 0))
        self.geodesic = GeodesicGrid(_resize_channels(geo_lab, self.geo_shape))
        border = np.zeros(self.geo_shape, dtype=bool)
        border[[0, -1], :] = True
        border[:, [0, -1]] = True
        self.geo_border = self.geodesic.distance(border)
        self.local_geodesic = GeodesicGrid(smooth) if p.local_limit > 0 else None
        self._coarse: dict = {}
        self._history: dict[tuple, np.ndarray] = {}  # answers (on the coarse grid) by interactions, for memory
        self._regions: dict[Click, tuple[np.ndarray, np.ndarray]] = {}
        self.interactions: list[Click | Stroke] = []
        self._undo: list[list] = []
        self._redo: list[list] = []
        self._prior: np.ndarray | None = None
        self._mask = np.zeros(self.shape, dtype=bool)
        self._prob = np.zeros(self.shape, dtype=np.float32)
        self._stale = False  # interactions changed since the last update (updates run when asked for)
        if prior is not None:
            self.set_prior(prior)

    # interactions -----------------------------------------------------------------------------------
    @property
    def clicks(self) -> list[Click]:
        return [i for i in self.interactions if isinstance(i, Click)]

    def add_click(self, row: float, col: float, positive: bool = True) -> None:
        """A foreground (``positive``) or background click at pixel (row, col) of the image."""
        self._check_point(row, col)
        self._push([*self.interactions, Click(*self._to_work(row, col), bool(positive))])

    def add_stroke(self, points, positive: bool = True, radius: float = 3.0) -> None:
        """A scribble through ``points`` ((row, col) pixels): every pixel within ``radius`` of it is a seed."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if pts.size == 0:
            raise ValueError("a stroke needs at least one point")
        for row, col in pts:
            self._check_point(row, col)
        work = tuple(self._to_work(r, c) for r, c in pts)
        stroke = Stroke(work, bool(positive), max(float(radius) * self.scale, 0.5))
        self._push([*self.interactions, stroke])

    def set_prior(self, prior: np.ndarray | None) -> None:
        """A mask (bool) or probability map (float in [0, 1]) to correct, e.g. a model's prediction."""
        if prior is None:
            self._prior = None
        else:
            prior = np.asarray(prior)
            if prior.shape != self.full_shape:
                raise ValueError(f"prior shape {prior.shape} differs from the image's {self.full_shape}")
            self._prior = np.clip(_resize_float(prior.astype(np.float32), self.shape), 0, 1)
        self._stale = True

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.interactions)
        self.interactions = self._undo.pop()
        self._stale = True
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.interactions)
        self.interactions = self._redo.pop()
        self._stale = True
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def restore(self, interactions) -> None:
        """Bring back an object's clicks and strokes (as ``interactions`` returned them), each one undoable
        again: undoing the acceptance of an object returns to editing it."""
        interactions = list(interactions)
        self._undo = [interactions[:count] for count in range(len(interactions))]
        self._redo.clear()
        self.interactions = interactions
        self._stale = True

    def reset(self) -> None:
        """Forget every click and stroke (the prior stays)."""
        self.interactions = []
        self._undo.clear()
        self._redo.clear()
        self._stale = True

    def _push(self, interactions: list) -> None:
        self._undo.append(self.interactions)
        self._redo.clear()
        self.interactions = interactions
        self._stale = True

    def _to_work(self, row: float, col: float) -> tuple[float, float]:
        return (row + 0.5) * self.scale - 0.5, (col + 0.5) * self.scale - 0.5

    def _check_point(self, row: float, col: float) -> None:
        h, w = self.full_shape
        if not (np.isfinite(row) and np.isfinite(col) and -0.5 <= row <= h - 0.5 and -0.5 <= col <= w - 0.5):
            raise ValueError(f"({row}, {col}) is outside the {w}x{h} image")

    # results ----------------------------------------------------------------------------------------
    def probabilities(self) -> np.ndarray:
        """HxW float32 in [0, 1] at the image's resolution; > 0.49 is the object."""
        self.update()
        return np.clip(_resize_float(self._prob, self.full_shape), 0, 1)

    def mask(self) -> np.ndarray:
        return self.probabilities() > 0.49

    def work_probabilities(self) -> np.ndarray:
        """The probabilities at work resolution (``self.shape``), cheap to display on very large images."""
        self.update()
        return self._prob

    def update(self) -> None:
        """Bring the result up to date with the interactions (a no-op if nothing changed since)."""
        if self._stale:
            self._stale = False
            self._update()

    # model ------------------------------------------------------------------------------------------
    def _update(self) -> None:
        p = self.params
        prior = self._prior
        active = _latest_wins(self.interactions, 2 * p.fine_seed_radius)
        if not any(i.positive for i in active) and (prior is None or not (prior > 0.5).any()):
            self._mask = np.zeros(self.shape, dtype=bool)
            self._prob = np.zeros(self.shape, dtype=np.float32)
            return
        if not self.interactions and prior is not None:
            self._mask = prior > 0.5
            self._prob = prior.astype(np.float32)
            return
        interactions = [self._to_coarse(i) for i in active]
        prior_c = None if prior is None else _resize_float(prior, self.coarse_shape)
        previous = self._history.get(tuple(self.interactions[:-1]))
        if previous is not None and isinstance(self.interactions[-1], Click):
            previous = self._revert(previous)
        mask, logit, color, ratio, anchors = self._coarse_cut(interactions, prior_c, previous)
        if not self.fine:
            self._remember(mask)
            self._mask = mask
            self._set_prob(mask, logit)
            return
        # Fine stage: the coarse answer decides the regions; a band around its boundary is re-cut at work
        # resolution, with the colour evidence at work resolution and the smooth terms (geodesic, distance,
        # local regions, prior) upsampled.
        band = ndimage.binary_dilation(mask, _EIGHT, iterations=p.band) & ~ndimage.binary_erosion(
            mask, _EIGHT, iterations=p.band, border_value=1)
        rows, cols = np.nonzero(band.any(axis=1))[0], np.nonzero(band.any(axis=0))[0]
        if rows.size == 0:
            self._remember(mask)
            self._mask = np.zeros(self.shape, dtype=bool)
            self._set_prob(self._mask, _resize_float(logit, self.shape))
            return
        ky, kx = self.coarse_scale
        h, w = self.shape
        r0, r1 = max(0, int(rows[0] / ky) - 2), min(h, int((rows[-1] + 1) / ky) + 3)
        c0, c1 = max(0, int(cols[0] / kx) - 2), min(w, int((cols[-1] + 1) / kx) + 3)
        rr = np.minimum(((np.arange(r0, r1) + 0.5) * ky).astype(np.intp), self.coarse_shape[0] - 1)
        cc = np.minimum(((np.arange(c0, c1) + 0.5) * kx).astype(np.intp), self.coarse_shape[1] - 1)
        window = (slice(r0, r1), slice(c0, c1))
        unary = _resize_float(logit - color, self.shape) + p.fine_color_weight * ratio[self.fine_bin_index]
        radius = p.fine_seed_radius
        hard_fg = self._seeds([i for i in active if i.positive], radius, self.shape)[window]
        hard_bg = self._seeds([i for i in active if not i.positive], radius, self.shape)[window]
        cut = band_graph_cut(unary[window], [wt[window] for wt in self.fine_weights], p.fine_smoothness,
                             band[rr[:, None], cc[None, :]], mask[rr[:, None], cc[None, :]], hard_fg, hard_bg)
        keep = hard_fg | (anchors[rr[:, None], cc[None, :]] & ~hard_bg) | (
            ndimage.binary_erosion(mask, _EIGHT, iterations=p.band)[rr[:, None], cc[None, :]])
        fine = np.zeros(self.shape, dtype=bool)
        fine[window] = _connected_to(cut, keep)
        self._mask = fine
        # The memory is the answer the user saw: boundaries the band cut fixed stay fixed at the next click.
        self._remember(_resize_float(fine.astype(np.float32), self.coarse_shape))
        self._set_prob(fine, unary)

    def _revert(self, previous: np.ndarray) -> np.ndarray:
        """The memory without the change the new click contradicts: a click inside a region that one of the
        last ``revert_depth`` interactions added (or removed), and that is still as it left it, says that change
        was wrong, so that whole changed region is remembered as it was before it (a leak is undone by one
        click, not whittled away by several)."""
        click = self._to_coarse(self.interactions[-1])
        r, q = _nearest_pixel(click.row, click.col, self.coarse_shape)
        was = previous > 0.5
        if was[r, q] == click.positive:
            return previous
        n = len(self.interactions)
        for depth in range(1, self.params.revert_depth + 1):
            after = self._history.get(tuple(self.interactions[: n - depth]))
            before = self._history.get(tuple(self.interactions[: n - depth - 1]))
            if after is None or before is None:
                return previous
            change = (after > 0.5) != (before > 0.5)
            if change[r, q] and (before[r, q] > 0.5) == click.positive:
                labels, _ = ndimage.label(change, _EIGHT)
                region = (labels == labels[r, q]) & ((after > 0.5) == was)
                out = previous.copy()
                out[region] = before[region]
                return out
        return previous

    def _remember(self, coarse: np.ndarray) -> None:
        """Keeps the answer to these interactions, on the coarse grid (soft where a coarse pixel is mixed): the
        next interaction's memory."""
        self._history[tuple(self.interactions)] = coarse
        if len(self._history) > 64:
            self._history.pop(next(iter(self._history)))

    def _set_prob(self, mask: np.ndarray, logit: np.ndarray) -> None:
        # Probabilities agree with the cut (> 0.49 exactly on the mask) and grade within each side by how
        # strongly the pixel's own evidence agrees: values near 0.5 are where the model is unsure.
        evidence = 1.0 / (1.0 + np.exp(-0.5 * np.clip(logit, -30, 30)))
        self._prob = np.where(mask, 0.5 + 0.5 * evidence, 0.48 * evidence).astype(np.float32)

    def _to_coarse(self, item):
        """A click or stroke in coarse-grid coordinates (cached: interactions are immutable)."""
        if not self.fine:
            return item
        if item not in self._coarse:
            ky, kx = self.coarse_scale
            if isinstance(item, Click):
                self._coarse[item] = Click((item.row + 0.5) * ky - 0.5, (item.col + 0.5) * kx - 0.5, item.positive)
            else:
                points = tuple(((r + 0.5) * ky - 0.5, (c + 0.5) * kx - 0.5) for r, c in item.points)
                self._coarse[item] = Stroke(points, item.positive, max(item.radius * min(ky, kx), 0.5))
        return self._coarse[item]

    def _coarse_cut(self, interactions, prior, previous):
        """The global solve on the coarse grid: (mask, logit, colour logit, colour table, anchors)."""
        p = self.params
        shape = self.coarse_shape
        positives = [i for i in interactions if i.positive]
        negatives = [i for i in interactions if not i.positive]
        hard_fg = self._seeds(positives, p.seed_radius, shape)
        hard_bg = self._seeds(negatives, p.seed_radius, shape)
        local_fg, sample_fg = self._local(positives)
        local_bg, sample_bg = self._local(negatives)
        anchors = hard_fg if prior is None else hard_fg | ((prior > 0.5) & ~hard_bg)
        dist_pos = _distance_to(shape, [i for i in positives if isinstance(i, Click)] or positives)
        geo = self._geodesic_logit(positives, negatives)
        memory = 0.0
        if previous is not None and p.memory_weight > 0:
            memory = p.memory_weight * (2 * previous - 1.0)
        mask = None if prior is None else prior > 0.5
        for _ in range(p.iterations):
            ratio = self._color_ratio(sample_fg, sample_bg, mask)
            color = ratio[self.bin_index]
            logit = color + geo + p.local_weight * (local_fg - local_bg)
            if positives:
                logit -= p.distance_weight * dist_pos / self._object_scale(mask)
            if prior is not None:
                logit += p.prior_weight * (2 * prior - 1)
            logit += memory
            mask = graph_cut(logit, self.weights, p.smoothness, hard_fg, hard_bg)
            mask = _connected_to(mask, anchors)
        return mask, logit, color, ratio, anchors

    def _seeds(self, interactions, radius, shape) -> np.ndarray:
        out = _discs(shape, [i for i in interactions if isinstance(i, Click)], radius)
        for stroke in (i for i in interactions if isinstance(i, Stroke)):
            pixels, region = disc_stroke(shape, stroke.points, stroke.radius)
            if not region.empty:
                out[region.slices] |= pixels
        return out

    def _local(self, interactions) -> tuple[np.ndarray, np.ndarray]:
        """(strength in [0, 1] of the interactions' local regions, bool sample mask) on the coarse grid."""
        p = self.params
        shape = self.coarse_shape
        clicks = [i for i in interactions if isinstance(i, Click)]
        strokes = [i for i in interactions if isinstance(i, Stroke)]
        strength = np.zeros(shape[0] * shape[1], dtype=np.float32)
        if strokes:
            strength[self._seeds(strokes, 0, shape).ravel()] = 1.0
        if self.local_geodesic is None:
            samples = _discs(shape, clicks, p.sample_radius) | (strength.reshape(shape) > 0)
            return strength.reshape(shape), samples
        for c in clicks:
            if c not in self._regions:
                self._regions[c] = self._local_region(*_nearest_pixel(c.row, c.col, shape))
            index, dist = self._regions[c]
            np.maximum.at(strength, index, 1.0 - dist / p.local_limit)
        strength = strength.reshape(shape)
        return strength, strength > 0

    def _local_region(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of the region a click at (row, col) speaks for, and their distances rescaled to
        [0, local_limit): the pixels within geodesic distance ``local_limit``, or if that is fewer (a click
        in texture, where every step costs), the ``local_count`` geodesically nearest ones."""
        p = self.params
        index, dist = self.local_geodesic.local(row, col, max(p.local_limit, p.local_search))
        reach = p.local_limit
        if dist.size > p.local_count:
            reach = max(reach, float(np.partition(dist, p.local_count)[p.local_count]))
        else:
            reach = max(reach, float(dist.max()) + 1e-3)
        keep = dist < reach
        return index[keep], dist[keep] * (p.local_limit / reach)

    def _geodesic_logit(self, positives, negatives) -> np.ndarray:
        p = self.params
        g_pos = self.geodesic.distance(self._geo_seeds(positives))
        g_neg = self.geo_border + p.border_offset
        if negatives:
            g_neg = np.minimum(g_neg, self.geodesic.distance(self._geo_seeds(negatives)))
        # Near a positive click the term argues for the object; far from all of them it stays neutral
        # (geo_floor 0) and colour decides, so a click in a textured part can grow past its texture. With
        # no positive click (a prior being corrected) there is nothing to be near: everything leans background.
        floor = p.geo_floor if positives else -3.0
        logit = p.geo_weight * np.clip((g_neg - g_pos) / p.geo_tau, floor, 3)
        return _resize_float(logit.astype(np.float32), self.coarse_shape)

    def _geo_seeds(self, interactions) -> np.ndarray:
        seeds = np.zeros(self.geo_shape, dtype=bool)
        points = [(i.row, i.col) for i in interactions if isinstance(i, Click)]
        points += [pt for i in interactions if isinstance(i, Stroke) for pt in i.points]
        for row, col in points:
            r, q = _nearest_pixel((row + 0.5) * self.geo_scale[0] - 0.5, (col + 0.5) * self.geo_scale[1] - 0.5,
                                  self.geo_shape)
            seeds[r, q] = True
        return seeds

    def _object_scale(self, mask) -> float:
        if mask is None or not mask.any():
            return 0.15 * float(np.sqrt(self.coarse_shape[0] * self.coarse_shape[1]))
        return max(float(np.sqrt(mask.sum() / np.pi)), 5.0)

    def _color_ratio(self, sample_fg, sample_bg, mask) -> np.ndarray:
        p = self.params
        n_bins = p.bins**3
        idx = self.bin_index
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


_EIGHT = np.ones((3, 3), dtype=bool)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {array.shape}")
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {array.dtype}")
    return np.ascontiguousarray(array[..., :3])


def _bin_edges(lab: np.ndarray, bins: int) -> list[np.ndarray]:
    """Per-channel quantile bin edges, so that every bin holds about as many pixels."""
    return [np.quantile(lab[::7, ::7, k], np.linspace(0, 1, bins + 1)[1:-1]) for k in range(3)]


def _quantise(lab: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    index = np.zeros(lab.shape[:2], dtype=np.int64)
    for channel, channel_edges in enumerate(edges):
        index = index * (len(channel_edges) + 1) + np.searchsorted(channel_edges, lab[..., channel])
    return index


def _smooth_hist(hist, bins, sigma):
    if sigma > 0:
        hist = ndimage.gaussian_filter(hist.reshape(bins, bins, bins), sigma, mode="nearest").ravel()
    return hist / max(hist.sum(), 1e-12)


def _resize_channels(array: np.ndarray, shape) -> np.ndarray:
    return np.stack([_resize_float(array[..., k], shape) for k in range(array.shape[2])], axis=-1)


def _discs(shape, clicks, radius) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    h, w = shape
    for c in clicks:
        r0, r1 = int(max(0, np.floor(c.row - radius))), int(min(h, np.ceil(c.row + radius) + 1))
        c0, c1 = int(max(0, np.floor(c.col - radius))), int(min(w, np.ceil(c.col + radius) + 1))
        yy, xx = np.ogrid[r0:r1, c0:c1]
        out[r0:r1, c0:c1] |= (yy - c.row) ** 2 + (xx - c.col) ** 2 <= radius**2
        out[_nearest_pixel(c.row, c.col, shape)] = True
    return out


def _nearest_pixel(row: float, col: float, shape) -> tuple[int, int]:
    """The grid pixel nearest to (row, col), clamped into ``shape``."""
    return min(shape[0] - 1, max(0, round(row))), min(shape[1] - 1, max(0, round(col)))


def _distance_to(shape, interactions) -> np.ndarray:
    seeds = np.ones(shape, dtype=bool)
    points = [(i.row, i.col) for i in interactions if isinstance(i, Click)]
    points += [pt for i in interactions if isinstance(i, Stroke) for pt in i.points]
    for row, col in points:
        seeds[_nearest_pixel(row, col, shape)] = False
    return ndimage.distance_transform_edt(seeds).astype(np.float32)


def _latest_wins(interactions: list, radius: float) -> list:
    """The interactions without clicks that a later click of the other label, within ``radius``, contradicts."""
    out = []
    for k, item in enumerate(interactions):
        if isinstance(item, Click) and any(
            isinstance(later, Click) and later.positive != item.positive
            and (later.row - item.row) ** 2 + (later.col - item.col) ** 2 <= radius**2
            for later in interactions[k + 1 :]
        ):
            continue
        out.append(item)
    return out


def _connected_to(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    keep = np.unique(labels[seeds & mask])
    keep = keep[keep > 0]
    return np.isin(labels, keep)


def _resize_float(array: np.ndarray, shape) -> np.ndarray:
    if array.shape == tuple(shape):
        return array
    image = Image.fromarray(array.astype(np.float32), mode="F")
    return np.asarray(image.resize((shape[1], shape[0]), Image.BILINEAR))


__all__ = ["Click", "ClickSegmenter", "Params", "Stroke", "replace"]

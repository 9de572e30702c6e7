"""Click segmentation that learns from this image's clicks alone (no pretrained weights).

Split by concern: the parameters and interactions are in ``click_types``, the per-image precomputation in
``click_features``, undo/redo over the clicks in ``click_history``, the pixel geometry and the "which parts
are kept" decisions in ``click_geometry``; this module is the update step (colour models, geodesics, the
coarse cut and the band re-cut at work resolution) and the segmenter's public API."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage

from core.segmentation.click_features import ImageFeatures, color_log_ratio, resize_float
from core.segmentation.click_geometry import (
    EIGHT,
    connected_to,
    discs,
    distance_to,
    latest_wins,
    nearest_pixel,
    points_of,
    seeds,
)
from core.segmentation.click_history import InteractionHistory
from core.segmentation.click_types import Click, Params, Stroke
from core.segmentation.graphcut import band_graph_cut, graph_cut


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
        self.features = ImageFeatures(image, self.params)
        self.history = InteractionHistory()
        self._coarse: dict = {}
        self._history: dict[tuple, np.ndarray] = {}  # answers (on the coarse grid) by interactions, for memory
        self._regions: dict[Click, tuple[np.ndarray, np.ndarray]] = {}
        self._prior: np.ndarray | None = None
        self._mask = np.zeros(self.shape, dtype=bool)
        self._prob = np.zeros(self.shape, dtype=np.float32)
        self._stale = False  # interactions changed since the last update (updates run when asked for)
        if prior is not None:
            self.set_prior(prior)

    # the image's resolutions (see ImageFeatures) ---------------------------------------------------
    @property
    def full_shape(self) -> tuple[int, int]:
        return self.features.full_shape

    @property
    def shape(self) -> tuple[int, int]:
        return self.features.shape

    @property
    def scale(self) -> float:
        return self.features.scale

    @property
    def coarse_shape(self) -> tuple[int, int]:
        return self.features.coarse_shape

    @property
    def fine(self) -> bool:
        return self.features.fine

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
            self._prior = np.clip(resize_float(prior.astype(np.float32), self.shape), 0, 1)
        self._stale = True

    @property
    def interactions(self) -> list[Click | Stroke]:
        return self.history.interactions

    def undo(self) -> bool:
        return self._changed(self.history.undo())

    def redo(self) -> bool:
        return self._changed(self.history.redo())

    def can_undo(self) -> bool:
        return self.history.can_undo()

    def can_redo(self) -> bool:
        return self.history.can_redo()

    def restore(self, interactions) -> None:
        """Bring back an object's clicks and strokes (as ``interactions`` returned them), each one undoable
        again: undoing the acceptance of an object returns to editing it."""
        self.history.restore(interactions)
        self._stale = True

    def reset(self) -> None:
        """Forget every click and stroke (the prior stays)."""
        self.history.reset()
        self._stale = True

    def _push(self, interactions: list) -> None:
        self.history.push(interactions)
        self._stale = True

    def _changed(self, changed: bool) -> bool:
        self._stale = self._stale or changed
        return changed

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
        return np.clip(resize_float(self._prob, self.full_shape), 0, 1)

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
        active = latest_wins(self.interactions, 2 * p.fine_seed_radius)
        if not any(i.positive for i in active) and (prior is None or not (prior > 0.5).any()):
            self._mask = np.zeros(self.shape, dtype=bool)
            self._prob = np.zeros(self.shape, dtype=np.float32)
            return
        if not self.interactions and prior is not None:
            self._mask = prior > 0.5
            self._prob = prior.astype(np.float32)
            return
        interactions = [self._to_coarse(i) for i in active]
        prior_c = None if prior is None else resize_float(prior, self.coarse_shape)
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
        band = ndimage.binary_dilation(mask, EIGHT, iterations=p.band) & ~ndimage.binary_erosion(
            mask, EIGHT, iterations=p.band, border_value=1)
        rows, cols = np.nonzero(band.any(axis=1))[0], np.nonzero(band.any(axis=0))[0]
        if rows.size == 0:
            self._remember(mask)
            self._mask = np.zeros(self.shape, dtype=bool)
            self._set_prob(self._mask, resize_float(logit, self.shape))
            return
        ky, kx = self.features.coarse_scale
        h, w = self.shape
        r0, r1 = max(0, int(rows[0] / ky) - 2), min(h, int((rows[-1] + 1) / ky) + 3)
        c0, c1 = max(0, int(cols[0] / kx) - 2), min(w, int((cols[-1] + 1) / kx) + 3)
        rr = np.minimum(((np.arange(r0, r1) + 0.5) * ky).astype(np.intp), self.coarse_shape[0] - 1)
        cc = np.minimum(((np.arange(c0, c1) + 0.5) * kx).astype(np.intp), self.coarse_shape[1] - 1)
        window = (slice(r0, r1), slice(c0, c1))
        unary = resize_float(logit - color, self.shape) + p.fine_color_weight * ratio[self.features.fine_bin_index]
        radius = p.fine_seed_radius
        hard_fg = seeds([i for i in active if i.positive], radius, self.shape)[window]
        hard_bg = seeds([i for i in active if not i.positive], radius, self.shape)[window]
        cut = band_graph_cut(unary[window], [wt[window] for wt in self.features.fine_weights], p.fine_smoothness,
                             band[rr[:, None], cc[None, :]], mask[rr[:, None], cc[None, :]], hard_fg, hard_bg)
        keep = hard_fg | (anchors[rr[:, None], cc[None, :]] & ~hard_bg) | (
            ndimage.binary_erosion(mask, EIGHT, iterations=p.band)[rr[:, None], cc[None, :]])
        fine = np.zeros(self.shape, dtype=bool)
        fine[window] = connected_to(cut, keep)
        self._mask = fine
        # The memory is the answer the user saw: boundaries the band cut fixed stay fixed at the next click.
        self._remember(resize_float(fine.astype(np.float32), self.coarse_shape))
        self._set_prob(fine, unary)

    def _revert(self, previous: np.ndarray) -> np.ndarray:
        """The memory without the change the new click contradicts: a click inside a region that one of the
        last ``revert_depth`` interactions added (or removed), and that is still as it left it, says that change
        was wrong, so that whole changed region is remembered as it was before it (a leak is undone by one
        click, not whittled away by several)."""
        click = self._to_coarse(self.interactions[-1])
        r, q = nearest_pixel(click.row, click.col, self.coarse_shape)
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
                labels, _ = ndimage.label(change, EIGHT)
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
            ky, kx = self.features.coarse_scale
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
        hard_fg = seeds(positives, p.seed_radius, shape)
        hard_bg = seeds(negatives, p.seed_radius, shape)
        local_fg, sample_fg = self._local(positives)
        local_bg, sample_bg = self._local(negatives)
        anchors = hard_fg if prior is None else hard_fg | ((prior > 0.5) & ~hard_bg)
        dist_pos = distance_to(shape, [i for i in positives if isinstance(i, Click)] or positives)
        geo = self._geodesic_logit(positives, negatives)
        memory = 0.0
        if previous is not None and p.memory_weight > 0:
            memory = p.memory_weight * (2 * previous - 1.0)
        mask = None if prior is None else prior > 0.5
        for _ in range(p.iterations):
            ratio = color_log_ratio(self.features.bin_index, sample_fg, sample_bg, mask, p)
            color = ratio[self.features.bin_index]
            logit = color + geo + p.local_weight * (local_fg - local_bg)
            if positives:
                logit -= p.distance_weight * dist_pos / self._object_scale(mask)
            if prior is not None:
                logit += p.prior_weight * (2 * prior - 1)
            logit += memory
            mask = graph_cut(logit, self.features.weights, p.smoothness, hard_fg, hard_bg)
            mask = connected_to(mask, anchors)
        return mask, logit, color, ratio, anchors

    def _local(self, interactions) -> tuple[np.ndarray, np.ndarray]:
        """(strength in [0, 1] of the interactions' local regions, bool sample mask) on the coarse grid."""
        p = self.params
        shape = self.coarse_shape
        clicks = [i for i in interactions if isinstance(i, Click)]
        strokes = [i for i in interactions if isinstance(i, Stroke)]
        strength = np.zeros(shape[0] * shape[1], dtype=np.float32)
        if strokes:
            strength[seeds(strokes, 0, shape).ravel()] = 1.0
        if self.features.local_geodesic is None:
            samples = discs(shape, clicks, p.sample_radius) | (strength.reshape(shape) > 0)
            return strength.reshape(shape), samples
        for c in clicks:
            if c not in self._regions:
                self._regions[c] = self._local_region(*nearest_pixel(c.row, c.col, shape))
            index, dist = self._regions[c]
            np.maximum.at(strength, index, 1.0 - dist / p.local_limit)
        strength = strength.reshape(shape)
        return strength, strength > 0

    def _local_region(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of the region a click at (row, col) speaks for, and their distances rescaled to
        [0, local_limit): the pixels within geodesic distance ``local_limit``, or if that is fewer (a click
        in texture, where every step costs), the ``local_count`` geodesically nearest ones."""
        p = self.params
        index, dist = self.features.local_geodesic.local(row, col, max(p.local_limit, p.local_search))
        reach = p.local_limit
        if dist.size > p.local_count:
            reach = max(reach, float(np.partition(dist, p.local_count)[p.local_count]))
        else:
            reach = max(reach, float(dist.max()) + 1e-3)
        keep = dist < reach
        return index[keep], dist[keep] * (p.local_limit / reach)

    def _geodesic_logit(self, positives, negatives) -> np.ndarray:
        p = self.params
        g_pos = self.features.geodesic.distance(self._geo_seeds(positives))
        g_neg = self.features.geo_border + p.border_offset
        if negatives:
            g_neg = np.minimum(g_neg, self.features.geodesic.distance(self._geo_seeds(negatives)))
        # Near a positive click the term argues for the object; far from all of them it stays neutral
        # (geo_floor 0) and colour decides, so a click in a textured part can grow past its texture. With
        # no positive click (a prior being corrected) there is nothing to be near: everything leans background.
        floor = p.geo_floor if positives else -3.0
        logit = p.geo_weight * np.clip((g_neg - g_pos) / p.geo_tau, floor, 3)
        return resize_float(logit.astype(np.float32), self.coarse_shape)

    def _geo_seeds(self, interactions) -> np.ndarray:
        seeds = np.zeros(self.features.geo_shape, dtype=bool)
        for row, col in points_of(interactions):
            r, q = nearest_pixel((row + 0.5) * self.features.geo_scale[0] - 0.5, (col + 0.5) * self.features.geo_scale[1] - 0.5,
                                  self.features.geo_shape)
            seeds[r, q] = True
        return seeds

    def _object_scale(self, mask) -> float:
        if mask is None or not mask.any():
            return 0.15 * float(np.sqrt(self.coarse_shape[0] * self.coarse_shape[1]))
        return max(float(np.sqrt(mask.sum() / np.pi)), 5.0)


__all__ = ["Click", "ClickSegmenter", "Params", "Stroke", "replace"]

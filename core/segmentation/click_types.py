"""What the click segmenter is tuned by (Params) and what the user gives it (Click, Stroke), in work-resolution
coordinates. Immutable: interactions are dict keys (coarse-grid copies, answers by interaction history)."""

from __future__ import annotations

from dataclasses import dataclass


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

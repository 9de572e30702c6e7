"""Contrast limits for showing scientific images (16-bit, 32-bit, float; one or a few channels).

The way napari does it: each channel has a pair of contrast limits (the stored value shown as black and the
one shown as full colour) and an optional gamma; a channel is drawn in its colour and the channels add up
(composite), or one channel is drawn alone in grey. The stored values are never changed: only the picture
on screen is. Rendering is in :mod:`core.display.render`.

Automatic limits are percentiles of the finite values (:data:`AUTO_PERCENTILES`), computed on a regular
subsample of at most :data:`SAMPLE_PIXELS` pixels per channel, so they take bounded time on any image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from core import image_strips

# 0.5 / 99.5 %: on 16-bit EM-like images with hot and dead pixels, min..max leaves the picture a flat grey
# (measured in benchmarks/contrast_auto.py); these percentiles ignore up to 0.5 % outliers on each side.
AUTO_PERCENTILES = (0.5, 99.5)
SAMPLE_PIXELS = 1 << 20  # pixels per channel that auto limits look at

GREY = (255, 255, 255)
RGB_COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
# napari's defaults for a channel axis: magenta/green for two channels, then cyan, magenta, yellow, ...
TWO_CHANNEL_COLORS = ((255, 0, 255), (0, 255, 0))
CHANNEL_COLORS = ((0, 255, 255), (255, 0, 255), (255, 255, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255))


@dataclass(frozen=True)
class ChannelLimits:
    """Stored value shown as black (``low``) and as full colour (``high``); ``gamma`` bends the ramp."""

    low: float
    high: float
    gamma: float = 1.0

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"contrast limits must be finite numbers, got {self.low}..{self.high}")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise ValueError(f"gamma must be a positive number, got {self.gamma}")


@dataclass(frozen=True)
class DisplaySettings:
    """How an image's stored values are drawn: limits and a colour per channel, and which channel, if any,
    is shown alone (in grey)."""

    limits: tuple[ChannelLimits, ...]
    colors: tuple[tuple[int, int, int], ...]
    solo: int | None = None  # index of the channel shown alone, or None for all channels composited

    def __post_init__(self):
        if not self.limits or len(self.limits) != len(self.colors):
            raise ValueError("one colour per channel, and at least one channel")
        if self.solo is not None and not 0 <= self.solo < len(self.limits):
            raise ValueError(f"channel {self.solo} does not exist ({len(self.limits)} channels)")

    @property
    def channels(self) -> int:
        return len(self.limits)

    def with_limits(self, channel: int, limits: ChannelLimits) -> DisplaySettings:
        changed = list(self.limits)
        changed[channel] = limits
        return replace(self, limits=tuple(changed))

    def with_solo(self, solo: int | None) -> DisplaySettings:
        return replace(self, solo=solo)


def channel_count(raw: np.ndarray) -> int:
    """Channels of stored values laid out HxW (one) or HxWxC."""
    return 1 if raw.ndim == 2 else int(raw.shape[2])


def channel(raw: np.ndarray, index: int) -> np.ndarray:
    return raw if raw.ndim == 2 else raw[..., index]


def default_colors(channels: int, rgb: bool = False) -> tuple[tuple[int, int, int], ...]:
    """Grey for one channel, red/green/blue for an RGB image, napari's channel colours otherwise."""
    if channels == 1:
        return (GREY,)
    if rgb and channels == 3:
        return RGB_COLORS
    if channels == 2:
        return TWO_CHANNEL_COLORS
    return tuple(CHANNEL_COLORS[i % len(CHANNEL_COLORS)] for i in range(channels))


def subsample(values: np.ndarray, max_pixels: int = SAMPLE_PIXELS) -> np.ndarray:
    """A regular grid of at most ``max_pixels`` pixels of a 2-D array (a view, no copy)."""
    height, width = values.shape[:2]
    step = max(1, math.ceil(math.sqrt(height * width / max_pixels)))
    return values[::step, ::step]


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values).ravel()
    return values[np.isfinite(values)] if values.dtype.kind == "f" else values


def channel_range(raw: np.ndarray, index: int) -> tuple[float, float] | None:
    """Exact (min, max) of a channel's finite values (a strip at a time), or None when it has none."""
    return image_strips.array_value_range(channel(raw, index))


def percentile_limits(values: np.ndarray, percentiles=AUTO_PERCENTILES, max_pixels: int = SAMPLE_PIXELS
                      ) -> ChannelLimits | None:
    """Limits at the given percentiles of the finite values of a 2-D array's subsample (None if none)."""
    return _limits_of(subsample(values, max_pixels), percentiles)


def _limits_of(sample: np.ndarray, percentiles) -> ChannelLimits | None:
    sample = _finite(sample)
    if not sample.size:
        return None
    low, high = np.percentile(sample, percentiles, method="linear")
    return ChannelLimits(float(low), float(high))


def auto_limits(raw: np.ndarray, percentiles=AUTO_PERCENTILES, joint: bool = False,
                max_pixels: int = SAMPLE_PIXELS) -> tuple[ChannelLimits, ...]:
    """Automatic limits for every channel. ``joint``: one pair for all channels, computed on all of them
    (keeps an RGB picture's colour balance). A channel with no finite value gets 0..1; a constant channel
    gets low == high (drawn black, see :func:`core.display.render.render`)."""
    count = channel_count(raw)
    if joint and count > 1:
        step = max(1, math.ceil(math.sqrt(raw.shape[0] * raw.shape[1] * count / max_pixels)))
        limits = _limits_of(raw[::step, ::step], percentiles)
        return (limits or ChannelLimits(0.0, 1.0),) * count
    return tuple(percentile_limits(channel(raw, i), percentiles, max_pixels) or ChannelLimits(0.0, 1.0)
                 for i in range(count))


def range_limits(raw: np.ndarray) -> tuple[ChannelLimits, ...]:
    """Each channel's full data range (min..max) as limits."""
    limits = []
    for index in range(channel_count(raw)):
        span = channel_range(raw, index)
        limits.append(ChannelLimits(*span) if span else ChannelLimits(0.0, 1.0))
    return tuple(limits)


def auto_settings(raw: np.ndarray, rgb: bool = False, percentiles=AUTO_PERCENTILES) -> DisplaySettings:
    """Display settings for an image seen for the first time: automatic limits, default colours."""
    count = channel_count(raw)
    return DisplaySettings(auto_limits(raw, percentiles, joint=rgb), default_colors(count, rgb))


def full_range_settings(raw: np.ndarray, rgb: bool = False) -> DisplaySettings:
    """Display settings mapping each channel's min..max (what the loader's picture shows); an RGB image's
    channels share one range (all channels' min..max), so its colours keep their balance."""
    limits = range_limits(raw)
    if rgb and len(limits) > 1:
        shared = ChannelLimits(min(lim.low for lim in limits), max(lim.high for lim in limits))
        limits = (shared,) * len(limits)
    return DisplaySettings(limits, default_colors(channel_count(raw), rgb))

"""Contrast limits and rendering of stored values for display (core.display), on small generated arrays."""

from __future__ import annotations

import numpy as np
import pytest

from core.display.contrast import (
    ChannelLimits,
    DisplaySettings,
    auto_limits,
    auto_settings,
    default_colors,
    full_range_settings,
    subsample,
)
from core.display.memory import DisplayMemory
from core.display.render import render

GREY = ((255, 255, 255),)


def grey(limits: ChannelLimits) -> DisplaySettings:
    return DisplaySettings((limits,), GREY)


# ---- rendering: exact outputs ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.uint32, np.int32, np.float32, np.float64, np.uint8])
def test_linear_ramp_gives_exact_levels(dtype):
    raw = np.array([[0, 10, 20, 30, 40]], dtype)
    out = render(raw, grey(ChannelLimits(10, 30)))
    assert out.shape == (1, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], [[0, 0, 128, 255, 255]])  # 127.5 rounds to even: 128
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_identity_limits_on_16bit_values_show_them_as_stored():
    raw = np.arange(256, dtype=np.uint16).reshape(16, 16)
    out = render(raw, grey(ChannelLimits(0, 255)))
    np.testing.assert_array_equal(out[..., 1], raw)


def test_gamma_bends_the_ramp():
    raw = np.array([[0, 25, 50, 100]], np.uint16)
    out = render(raw, grey(ChannelLimits(0, 100, gamma=2.0)))
    np.testing.assert_array_equal(out[0, :, 0], [0, 16, 64, 255])  # 255 * t**2


@pytest.mark.filterwarnings("error")  # no "invalid value in cast": NaN never reaches the uint8 conversion
def test_float_nan_and_inf_are_handled():
    raw = np.array([[np.nan, -np.inf, np.inf, 0.5, 2.0]], np.float32)
    out = render(raw, grey(ChannelLimits(0.0, 1.0)))
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 255, 128, 255])


def test_constant_image_and_zero_width_limits_are_a_threshold():
    raw = np.full((4, 4), 777, np.uint16)
    assert auto_limits(raw) == (ChannelLimits(777.0, 777.0),)
    assert not render(raw, auto_settings(raw)).any()  # black, as the loader shows a constant image
    ramp = np.array([[5, 10, 11]], np.uint16)
    np.testing.assert_array_equal(render(ramp, grey(ChannelLimits(10, 10)))[0, :, 0], [0, 0, 255])


def test_channels_composite_in_their_colours_and_solo_is_grey():
    raw = np.zeros((1, 3, 2), np.uint16)
    raw[0, 0] = (100, 0)  # channel 0 full
    raw[0, 1] = (0, 100)  # channel 1 full
    raw[0, 2] = (50, 100)  # both
    settings = DisplaySettings((ChannelLimits(0, 100), ChannelLimits(0, 100)), ((255, 0, 255), (0, 255, 0)))
    out = render(raw, settings)
    np.testing.assert_array_equal(out[0], [[255, 0, 255], [0, 255, 0], [128, 255, 128]])
    solo = render(raw, settings.with_solo(1))
    np.testing.assert_array_equal(solo[0], [[0, 0, 0], [255, 255, 255], [255, 255, 255]])


def test_per_channel_limits_are_independent():
    raw = np.zeros((2, 2, 3), np.float32)
    raw[..., 0], raw[..., 1], raw[..., 2] = 10.0, 1000.0, 0.5
    settings = DisplaySettings((ChannelLimits(0, 20), ChannelLimits(0, 1000), ChannelLimits(0, 1)),
                               default_colors(3, rgb=True))
    out = render(raw, settings)
    np.testing.assert_array_equal(out[0, 0], [128, 255, 128])
    changed = render(raw, settings.with_limits(0, ChannelLimits(0, 10)))
    np.testing.assert_array_equal(changed[0, 0], [255, 255, 128])  # only red moved


def test_composite_saturates_at_255():
    raw = np.full((1, 1, 3), 100, np.uint16)
    settings = DisplaySettings((ChannelLimits(0, 100),) * 3, ((255, 255, 0), (255, 0, 0), (0, 0, 255)))
    np.testing.assert_array_equal(render(raw, settings)[0, 0], [255, 255, 255])


def test_raw_is_never_modified_and_large_images_render_in_strips():
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 65535, (1500, 1100), np.uint16)  # > one strip of 2**20 pixels
    before = raw.copy()
    out = render(raw, grey(ChannelLimits(1000, 30000, gamma=0.7)))
    np.testing.assert_array_equal(raw, before)
    floats = raw.astype(np.float64)  # the arithmetic path, computed independently
    t = np.clip((floats - 1000) / 29000, 0, 1) ** 0.7
    np.testing.assert_array_equal(out[..., 0], np.rint(t * 255).astype(np.uint8))
    for dtype in (np.float32, np.int32):
        values = raw.astype(dtype)
        copy = values.copy()
        render(values, grey(ChannelLimits(1000, 30000)))
        np.testing.assert_array_equal(values, copy)


def test_channel_count_mismatch_is_refused():
    with pytest.raises(ValueError, match="channel"):
        render(np.zeros((2, 2, 2), np.uint16), grey(ChannelLimits(0, 1)))


# ---- automatic limits -----------------------------------------------------------------------------------
def em_like(shape=(200, 200), seed=0) -> np.ndarray:
    """16-bit values in 20000..24000 with 0.1 % hot (65535) and 0.1 % dead (0) pixels."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(22000, 600, shape).clip(20000, 24000).astype(np.uint16)
    flat = raw.reshape(-1)
    picks = rng.choice(flat.size, flat.size // 500, replace=False)
    flat[picks[: len(picks) // 2]] = 65535
    flat[picks[len(picks) // 2:]] = 0
    return raw


def test_auto_limits_ignore_outliers():
    raw = em_like()
    (limits,) = auto_limits(raw)
    assert 20000 <= limits.low < 21000 and 23000 < limits.high <= 24000
    (full,) = full_range_settings(raw).limits
    assert (full.low, full.high) == (0.0, 65535.0)
    shown = render(raw, auto_settings(raw))[..., 0]
    assert shown.std() > 4 * render(raw, full_range_settings(raw))[..., 0].std()


def test_auto_limits_skip_nan_and_inf():
    raw = np.linspace(0, 1, 10_000, dtype=np.float32).reshape(100, 100)
    raw[::7, ::3] = np.nan
    raw[1, 1], raw[2, 2] = np.inf, -np.inf
    (limits,) = auto_limits(raw, percentiles=(0, 100))
    finite = raw[np.isfinite(raw)]
    assert limits.low == float(finite.min()) and limits.high == 1.0
    assert auto_limits(np.full((3, 3), np.nan, np.float32)) == (ChannelLimits(0.0, 1.0),)


def test_auto_limits_are_per_channel_unless_joint():
    raw = np.stack([np.linspace(0, 100, 400).reshape(20, 20), np.linspace(1000, 5000, 400).reshape(20, 20)],
                   axis=-1)
    low0, low1 = auto_limits(raw, percentiles=(0, 100))
    assert (low0.low, low0.high, low1.low, low1.high) == (0, 100, 1000, 5000)
    joint = auto_limits(raw, percentiles=(0, 100), joint=True)
    assert joint[0] == joint[1] == ChannelLimits(0, 5000)


def test_auto_limits_look_at_a_bounded_subsample():
    raw = np.zeros((3000, 2000), np.uint16)
    sample = subsample(raw, max_pixels=10_000)
    assert sample.size <= 10_000 and sample.base is not None  # a view: no copy of the image
    raw[::2] = 1000  # half the rows bright: percentiles of the sample still see both halves
    (limits,) = auto_limits(raw, percentiles=(25, 75), max_pixels=10_001)
    assert (limits.low, limits.high) == (0.0, 1000.0)


def test_limits_refuse_non_finite_values():
    with pytest.raises(ValueError):
        ChannelLimits(0, float("nan"))
    with pytest.raises(ValueError):
        ChannelLimits(0, 1, gamma=0)


def test_default_colors():
    assert default_colors(1) == GREY
    assert default_colors(3, rgb=True) == ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    assert default_colors(2) == ((255, 0, 255), (0, 255, 0))
    assert len(set(default_colors(4))) == 4


def test_memory_recalls_settings_per_image_and_drops_the_oldest():
    memory = DisplayMemory(max_images=2)
    one = grey(ChannelLimits(1, 2))
    memory.remember("a", one)
    memory.remember("b", grey(ChannelLimits(3, 4)))
    assert memory.recall("a", channels=1) == one
    assert memory.recall("a", channels=3) is None  # the file now has other channels
    memory.remember("c", grey(ChannelLimits(5, 6)))
    assert memory.recall("b", 1) is None and memory.recall("a", 1) == one and len(memory) == 2

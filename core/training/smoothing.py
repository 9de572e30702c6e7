"""Curve smoothing as TensorBoard does it: an exponential moving average, debiased at the start."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import lfilter


def debiased_ema(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard's smoothing: ``last = last * w + (1 - w) * v``, divided by ``1 - w**n`` so the first
    points are not pulled toward zero. Non-finite values pass through and do not poison the average."""
    if not 0.0 <= weight < 1.0:
        raise ValueError("smoothing weight must be in [0, 1)")
    data = np.asarray(values, dtype=np.float64)
    out = data.copy()
    finite = np.isfinite(data)
    if weight == 0 or not finite.any():
        return out
    clean = data[finite]
    ema = lfilter([1.0 - weight], [1.0, -weight], clean)  # the recurrence, in C
    count = np.arange(1, len(clean) + 1)
    out[finite] = ema / (1.0 - weight**count)
    return out

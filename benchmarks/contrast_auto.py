"""Which automatic contrast limits look right on 16-bit EM-like data with outliers.

Each 8-bit EM image (default ``/work/shared/data/membrane/images``, ISBI 2012) becomes 16-bit data the way a
detector records it: ``value * 40 + 8000`` plus Gaussian noise (sigma 150), with 0.05 % hot pixels (65535)
and 0.05 % dead pixels (0). For each candidate pair of percentiles the picture is rendered and compared
with the original 8-bit image (which is what the scene really looks like):

- ``corr``: correlation of the shown grey with the original (1 = same structure);
- ``spread``: standard deviation of the shown grey / 255 (0 = a flat picture);
- ``clipped``: fraction of pixels shown pure black or pure white (detail lost).

Prints one JSON object. Usage: ``python -m benchmarks.contrast_auto [folder] [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from core.display.contrast import DisplaySettings, auto_limits
from core.display.render import render

CANDIDATES = {"min/max": (0, 100), "0.1/99.9": (0.1, 99.9), "0.5/99.5": (0.5, 99.5), "1/99": (1, 99),
              "2/98": (2, 98)}


def em16(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    data = grey.astype(np.float64) * 40 + 8000 + rng.normal(0, 150, grey.shape)
    raw = np.clip(np.rint(data), 0, 65535).astype(np.uint16)
    flat = raw.reshape(-1)
    picks = rng.choice(flat.size, max(2, flat.size // 1000), replace=False)
    flat[picks[: len(picks) // 2]] = 65535
    flat[picks[len(picks) // 2:]] = 0
    return raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default="/work/shared/data/membrane/images")
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    paths = sorted(Path(args.folder).glob("*.png"), key=lambda p: p.name)[: args.limit]
    rng = np.random.default_rng(0)
    scores = {name: {"corr": [], "spread": [], "clipped": []} for name in CANDIDATES}
    seconds = []
    for path in paths:
        grey = np.asarray(Image.open(path).convert("L"))
        raw = em16(grey, rng)
        for name, percentiles in CANDIDATES.items():
            start = time.perf_counter()
            limits = auto_limits(raw, percentiles)
            seconds.append(time.perf_counter() - start)
            shown = render(raw, DisplaySettings(limits, ((255, 255, 255),)))[..., 0].astype(np.float64)
            scores[name]["corr"].append(float(np.corrcoef(shown.ravel(), grey.ravel())[0, 1]))
            scores[name]["spread"].append(float(shown.std() / 255))
            scores[name]["clipped"].append(float(np.mean((shown == 0) | (shown == 255))))
    result = {"data": f"{len(paths)} images of {args.folder}, made 16-bit (x40 + 8000, noise 150, 0.1 % outliers)",
              "auto_limits_ms_mean": round(1000 * float(np.mean(seconds)), 2),
              "candidates": {name: {key: round(float(np.mean(values)), 4) for key, values in score.items()}
                             for name, score in scores.items()}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

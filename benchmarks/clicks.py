"""Click benchmark: NoC@85 / NoC@90 of interactive segmentation, with the standard DIOS/RITM protocol.

The data folder holds ``images/NNN.jpg`` and ``masks/NNN.png`` (L, 0 = background, 255 = object; > 127 counts
as object); the dev set is ``/work/shared/data/davis`` (345 pairs, 854x480). Pairs are sorted by name, then
``--stride K`` keeps every Kth pair and ``--limit N`` the first N of those.

Protocol (RITM's ``Clicker``, ``isegm/inference/clicker.py``), one object per image, at most ``--max-clicks``
(20) clicks, each one simulated from the ground truth and the previous prediction:

- the prediction is ``probabilities() > 0.49`` (all background before the first click);
- FN = object pixels predicted background, FP = background pixels predicted object. Both are padded by one
  pixel of background and run through ``scipy.ndimage.distance_transform_edt``, so the image border counts
  as region boundary; pixels already clicked are set to 0;
- the click goes to the pixel with the largest distance to its region's boundary: positive in FN if FN's
  maximum is strictly larger than FP's, otherwise negative in FP (first such pixel in raster order). So the
  first click is positive at the object's most interior point. Note that this picks the error region with
  the most interior point, not the one with the largest area;
- IoU is computed at full resolution after every click. NoC@T is the number of the first click with
  IoU >= T, counting ``--max-clicks`` when it is never reached.

An image stops early once IoU >= 0.90 has been reached and at least 10 clicks were made: every reported number
(NoC@85/90, mean IoU after 1/3/5/10 clicks) is then the same as after all 20 clicks, at a fraction of the
time (``--all-clicks`` runs all of them). If no click can be placed (no error left), the IoU is carried on.

Methods, all used through one interface and one protocol loop::

    seg = Segmenter(image)                   # HxWx3 uint8 RGB; timed as setup
    seg.add_click(row, col, positive=True)   # pixel coordinates
    prob = seg.probabilities()               # HxW float in [0, 1]; add_click + probabilities timed per click

- ``ours``: ``core.segmentation.ClickSegmenter``.
- ``random_walker``: ``skimage.segmentation.random_walker`` on the colour image (``channel_axis=-1``,
  beta 130, mode ``cg_j``, ``return_full_prob=True``), clicks seeded as discs of radius 5 px (label 1 =
  positive, 2 = negative); while there is no negative click, a 5 px image border is seeded as background.
  Dropping those border seeds at the first negative click (as specified) costs it ~0.5 IoU at that click on
  DAVIS, so its mean IoU is not monotonic in the number of clicks.
- ``grabcut``: ``cv2.grabCut`` with a mask that is probable background everywhere, clicks as discs (radius
  5 px) of definite foreground / background, ``GC_INIT_WITH_MASK``, 5 iterations, rerun from scratch on all
  clicks after each click; while there is no negative click, a 5 px image border is definite background.
  Its output is binary (probability 0 or 1). With everything else probable background, one click gives
  little more than the 5 px disc (mean IoU ~0.07 after the first click on DAVIS).

Both baselines need the ``bench`` extra (``pip install -e '.[bench]'``). Nothing about them is tuned. The random
walker takes ~20 s per click at 854x480 on a 2-core CPU, so by default it runs at half resolution
(``--downscale``, default 0.5 for random_walker and 1 for grabcut): the image is resized, clicks, disc radius
and border are scaled, and the probabilities are resized back (bilinear) so IoU is still measured at full
resolution; the resizing is part of the timed setup and click time.

``corrections`` says why clicks are needed: the share of the error region a click was placed in that it fixed
(positive and negative clicks apart), the new error it made elsewhere per pixel of that region, and the share
of the error left after the last click that lies within 1.5 px of the true boundary.

``--baselines`` runs the two baselines after ``--method`` in the same process. To keep that manageable they
see at most ``--baseline-max`` (35) images of the selection (every ceil(n / 35)th one); the comparison
(NoC@90 of ``--method`` over the best baseline's, on the same images; the target is a ratio <= 1/1.5, and
click latencies) uses only those images.

Prints one JSON object on stdout (progress goes to stderr)::

    .venv/bin/python benchmarks/clicks.py /work/shared/data/davis                     # ours, all 345 pairs
    .venv/bin/python benchmarks/clicks.py /work/shared/data/davis --baselines         # + baselines on 35
    .venv/bin/python benchmarks/clicks.py /work/shared/data/davis --stride 10 --method grabcut
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy.ndimage import distance_transform_edt, label

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PRED_THRESHOLD = 0.49
MAX_CLICKS = 20
NOC_THRESHOLDS = (0.85, 0.90)
IOU_AFTER = (1, 3, 5, 10)
CLICK_RADIUS = 5  # px, seed discs of the baselines (at full resolution)
BORDER = 5  # px, background seeds of the baselines while there is no negative click
TARGET_RATIO = 1.5  # ours' NoC@90 should be at least this many times lower than the best baseline's
BASELINES = ("random_walker", "grabcut")
DEFAULT_DOWNSCALE = {"random_walker": 0.5, "grabcut": 1.0}


# --- data ------------------------------------------------------------------------------------------------


def list_pairs(dataset: str, stride: int = 1, limit: int | None = None) -> list[tuple[str, str, str]]:
    """(name, image path, mask path) of the pairs, sorted by name, every ``stride``th, the first ``limit``."""
    image_dir, mask_dir = os.path.join(dataset, "images"), os.path.join(dataset, "masks")
    pairs = []
    for file in sorted(os.listdir(image_dir)):
        name, ext = os.path.splitext(file)
        mask_path = os.path.join(mask_dir, name + ".png")
        if ext.lower() in (".jpg", ".jpeg", ".png") and os.path.exists(mask_path):
            pairs.append((name, os.path.join(image_dir, file), mask_path))
    pairs = pairs[::stride]
    return pairs[:limit] if limit is not None else pairs


def load_pair(image_path: str, mask_path: str) -> tuple[np.ndarray, np.ndarray]:
    """HxWx3 uint8 RGB image and HxW bool object mask."""
    with Image.open(image_path) as image, Image.open(mask_path) as mask:
        return np.array(image.convert("RGB")), np.array(mask.convert("L")) > 127


# --- protocol ------------------------------------------------------------------------------------------


class Clicker:
    """RITM's click simulator: the next click at the most interior pixel of the FN or FP region."""

    def __init__(self, gt: np.ndarray):
        self.gt = gt
        self.not_clicked = np.ones(gt.shape, dtype=bool)

    def next_click(self, pred: np.ndarray) -> tuple[int, int, bool] | None:
        """(row, col, positive) for prediction ``pred`` (bool), or None if no error pixel is left to click."""
        fn_dt = self._interior_distance(self.gt & ~pred)
        fp_dt = self._interior_distance(~self.gt & pred)
        fn_max, fp_max = fn_dt.max(), fp_dt.max()
        if fn_max == 0 and fp_max == 0:
            return None
        positive = bool(fn_max > fp_max)  # ties go to a negative click, as in RITM
        dt = fn_dt if positive else fp_dt
        row, col = np.unravel_index(int(np.argmax(dt)), dt.shape)  # first maximum in raster order
        self.not_clicked[row, col] = False
        return int(row), int(col), positive

    def _interior_distance(self, region: np.ndarray) -> np.ndarray:
        dt = distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
        return dt * self.not_clicked


def iou(gt: np.ndarray, pred: np.ndarray) -> float:
    union = np.count_nonzero(gt | pred)
    return np.count_nonzero(gt & pred) / union if union else 1.0


def noc(ious: list[float], threshold: float, max_clicks: int) -> int:
    """Number of the first click with IoU >= threshold, ``max_clicks`` if never reached."""
    for k, value in enumerate(ious[:max_clicks], start=1):
        if value >= threshold:
            return k
    return max_clicks


@dataclass
class ImageResult:
    name: str
    setup_s: float
    ious: list[float] = field(default_factory=list)  # IoU after click 1, 2, ...
    click_ms: list[float] = field(default_factory=list)  # add_click + probabilities, per click
    clicks: list[tuple[int, int, bool]] = field(default_factory=list)
    # per click: pixels of the clicked error region, how many of them it fixed, new errors it made elsewhere
    corrections: list[tuple[int, int, int]] = field(default_factory=list)
    final_error: int = 0  # error pixels after the last click
    final_error_at_boundary: int = 0  # of those, within 1.5 px of the true boundary


def run_image(
    factory: Callable[[np.ndarray], object],
    name: str,
    image: np.ndarray,
    gt: np.ndarray,
    max_clicks: int = MAX_CLICKS,
    all_clicks: bool = False,
) -> ImageResult:
    """One object through the protocol: simulated clicks until max_clicks (or the early stop)."""
    start = time.perf_counter()
    seg = factory(image)
    result = ImageResult(name, time.perf_counter() - start)
    clicker = Clicker(gt)
    pred = np.zeros(gt.shape, dtype=bool)
    min_clicks = min(max(IOU_AFTER), max_clicks)
    while len(result.ious) < max_clicks:
        click = clicker.next_click(pred)
        if click is None:  # nothing left to correct: the IoU stays as it is
            result.ious.append(result.ious[-1] if result.ious else iou(gt, pred))
            continue
        row, col, positive = click
        start = time.perf_counter()
        seg.add_click(row, col, positive=positive)
        prob = seg.probabilities()
        result.click_ms.append((time.perf_counter() - start) * 1000)
        result.clicks.append(click)
        new_pred = np.asarray(prob) > PRED_THRESHOLD
        result.corrections.append(_correction(gt, pred, new_pred, row, col))
        pred = new_pred
        result.ious.append(float(iou(gt, pred)))
        if not all_clicks and len(result.ious) >= min_clicks and max(result.ious) >= max(NOC_THRESHOLDS):
            break
    error = pred != gt
    near_boundary = np.where(gt, distance_transform_edt(gt), distance_transform_edt(~gt)) <= 1.5
    result.final_error = int(np.count_nonzero(error))
    result.final_error_at_boundary = int(np.count_nonzero(error & near_boundary))
    return result


def _correction(gt: np.ndarray, before: np.ndarray, after: np.ndarray, row: int, col: int) -> tuple[int, int, int]:
    """What one click did: (size of the error region it was placed in, pixels of it fixed, new error pixels)."""
    error_before, error_after = before != gt, after != gt
    regions, _ = label(error_before)
    clicked = regions == regions[row, col]
    return (int(np.count_nonzero(clicked)), int(np.count_nonzero(clicked & ~error_after)),
            int(np.count_nonzero(error_after & ~error_before)))


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _corrections_summary(results: list[ImageResult]) -> dict:
    """Why clicks are needed: how much of the error region a click was placed in it fixes (by click kind),
    how much new error it makes elsewhere, and how much of what is left hugs the true boundary."""
    rows = np.array([c for r in results for c in r.corrections], dtype=np.float64).reshape(-1, 3)
    kinds = np.array([k for r in results for (_, _, k) in r.clicks], dtype=bool)
    out = {}
    for name, pick in (("positive", kinds), ("negative", ~kinds)):
        part = rows[pick]
        if len(part):
            out[f"{name}_clicks"] = int(len(part))
            out[f"{name}_fixed_share_of_clicked_region"] = round(float(part[:, 1].sum() / max(part[:, 0].sum(), 1)), 3)
    if len(rows):
        out["new_error_per_clicked_region_pixel"] = round(float(rows[:, 2].sum() / max(rows[:, 0].sum(), 1)), 3)
    final = sum(r.final_error for r in results)
    if final:
        out["final_error_within_1_5px_of_boundary"] = round(sum(r.final_error_at_boundary for r in results) / final, 3)
    return out


def summarize(method: str, results: list[ImageResult], max_clicks: int) -> dict:
    """The reported numbers of one method over a list of per-image results."""
    nocs = {t: [noc(r.ious, t, max_clicks) for r in results] for t in NOC_THRESHOLDS}
    never_90 = [r.name for r in results if max(r.ious) < 0.90]
    click_ms = [ms for r in results for ms in r.click_ms]
    setup_s = [r.setup_s for r in results]
    return {
        "method": method,
        "count": len(results),
        "noc85": _round(float(np.mean(nocs[0.85])), 2) if results else None,
        "noc90": _round(float(np.mean(nocs[0.90])), 2) if results else None,
        "never_90": len(never_90),
        "never_90_images": never_90,
        "miou_after_clicks": {
            str(k): _round(float(np.mean([r.ious[k - 1] for r in results])), 4)
            for k in IOU_AFTER
            if k <= max_clicks and results
        },
        "click_latency_ms": {
            "p50": _round(percentile(click_ms, 50), 1),
            "p95": _round(percentile(click_ms, 95), 1),
            "clicks_timed": len(click_ms),
        },
        "corrections": _corrections_summary(results),
        "setup_s": {
            "mean": _round(float(np.mean(setup_s)), 3) if setup_s else None,
            "p95": _round(percentile(setup_s, 95), 3),
            "first": _round(setup_s[0], 3) if setup_s else None,  # includes any one-time loading
        },
    }


# --- methods --------------------------------------------------------------------------------------------


def paint_disc(array: np.ndarray, row: int, col: int, radius: int, value: int) -> None:
    """Sets the pixels within ``radius`` of (row, col) to ``value``, clipped at the image border."""
    height, width = array.shape[:2]
    r0, r1 = max(row - radius, 0), min(row + radius + 1, height)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, width)
    rows, cols = np.ogrid[r0:r1, c0:c1]
    inside = (rows - row) ** 2 + (cols - col) ** 2 <= radius**2
    array[r0:r1, c0:c1][inside] = value


def paint_border(array: np.ndarray, width: int, value: int) -> None:
    array[:width], array[-width:], array[:, :width], array[:, -width:] = value, value, value, value


class ClickSeeds:
    """Clicks kept by the baselines, which recompute their result from all clicks after each one."""

    def __init__(self, image: np.ndarray, radius: int = CLICK_RADIUS, border: int = BORDER):
        self.image = image
        self.radius, self.border = radius, border
        self.clicks: list[tuple[int, int, bool]] = []

    def add_click(self, row: int, col: int, positive: bool = True) -> None:
        self.clicks.append((row, col, positive))

    def seeds(self, positive: int, negative: int, unknown: int, border: int, dtype) -> np.ndarray:
        """A seed map: discs of ``positive``/``negative`` at the clicks (in click order), ``border`` at the image
        border while there is no negative click, ``unknown`` elsewhere."""
        seeds = np.full(self.image.shape[:2], unknown, dtype=dtype)
        if not any(not is_positive for _, _, is_positive in self.clicks):
            paint_border(seeds, self.border, border)
        for row, col, is_positive in self.clicks:
            paint_disc(seeds, row, col, self.radius, positive if is_positive else negative)
        return seeds


class RandomWalkerSegmenter(ClickSeeds):
    """scikit-image's random walker on the colour image; labels 1 = positive clicks, 2 = negative."""

    beta, mode = 130, "cg_j"

    def __init__(self, image: np.ndarray, radius: int = CLICK_RADIUS, border: int = BORDER):
        from skimage.segmentation import random_walker

        super().__init__(image, radius, border)
        self._random_walker = random_walker

    def probabilities(self) -> np.ndarray:
        labels = self.seeds(positive=1, negative=2, unknown=0, border=2, dtype=np.int32)
        with warnings.catch_warnings():  # cg's tolerance leaves probabilities slightly outside [0, 1]
            warnings.filterwarnings("ignore", message="The probability range is outside")
            prob = self._random_walker(
                self.image, labels, beta=self.beta, mode=self.mode, channel_axis=-1, return_full_prob=True
            )
        return np.clip(prob[0], 0, 1).astype(np.float32)


class GrabCutSegmenter(ClickSeeds):
    """OpenCV's GrabCut from a mask: probable background, clicks as definite foreground / background."""

    iterations = 5

    def __init__(self, image: np.ndarray, radius: int = CLICK_RADIUS, border: int = BORDER):
        import cv2

        super().__init__(image, radius, border)
        self._cv2 = cv2
        self._bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)

    def probabilities(self) -> np.ndarray:
        cv2 = self._cv2
        mask = self.seeds(
            positive=cv2.GC_FGD, negative=cv2.GC_BGD, unknown=cv2.GC_PR_BGD, border=cv2.GC_BGD, dtype=np.uint8
        )
        cv2.setRNGSeed(0)  # GrabCut's GMMs start from k-means: same clicks, same result
        bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(self._bgr, mask, None, bgd_model, fgd_model, self.iterations, cv2.GC_INIT_WITH_MASK)
        return ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)


class Downscaled:
    """Runs a segmenter on the image resized by ``factor``; clicks are mapped down, probabilities back up."""

    def __init__(self, segmenter_class, image: np.ndarray, factor: float):
        height, width = image.shape[:2]
        self.size = (width, height)
        small = (max(round(width * factor), 1), max(round(height * factor), 1))
        self.scale = (small[1] / height, small[0] / width)
        resized = np.asarray(Image.fromarray(image).resize(small, Image.BILINEAR))
        self.inner = segmenter_class(
            resized, radius=max(round(CLICK_RADIUS * factor), 1), border=max(round(BORDER * factor), 1)
        )

    def add_click(self, row: int, col: int, positive: bool = True) -> None:
        height, width = self.inner.image.shape[:2]
        small_row = min(int((row + 0.5) * self.scale[0]), height - 1)
        small_col = min(int((col + 0.5) * self.scale[1]), width - 1)
        self.inner.add_click(small_row, small_col, positive=positive)

    def probabilities(self) -> np.ndarray:
        prob = Image.fromarray(np.asarray(self.inner.probabilities(), dtype=np.float32))
        return np.asarray(prob.resize(self.size, Image.BILINEAR))


def make_factory(method: str, downscale: float = 1.0) -> Callable[[np.ndarray], object]:
    """image -> segmenter for ``method``."""
    if method == "ours":
        try:
            from core.segmentation import ClickSegmenter
        except ImportError as error:
            raise SystemExit(f"method 'ours' needs core.segmentation.ClickSegmenter: {error}") from error
        return ClickSegmenter
    segmenter_class = {"random_walker": RandomWalkerSegmenter, "grabcut": GrabCutSegmenter}[method]
    segmenter_class(np.zeros((8, 8, 3), np.uint8))  # imports skimage / cv2 now, not in the first timed setup
    if downscale == 1:
        return segmenter_class
    return lambda image: Downscaled(segmenter_class, image, downscale)


def method_config(method: str, downscale: float) -> dict:
    if method == "ours":
        return {}
    config = {"downscale": downscale, "click_disc_radius_px": CLICK_RADIUS, "border_seed_px": BORDER}
    if method == "random_walker":
        config.update(beta=RandomWalkerSegmenter.beta, mode=RandomWalkerSegmenter.mode, image="rgb")
    else:
        config.update(iterations=GrabCutSegmenter.iterations, init="GC_INIT_WITH_MASK", output="binary")
    return config


# --- running --------------------------------------------------------------------------------------------


def evaluate(
    method: str,
    factory: Callable[[np.ndarray], object],
    pairs: list[tuple[str, str, str]],
    max_clicks: int = MAX_CLICKS,
    all_clicks: bool = False,
) -> tuple[list[ImageResult], float]:
    """Per-image results of one method and its wall time in s; a progress line per image on stderr."""
    results = []
    start = time.perf_counter()
    for index, (name, image_path, mask_path) in enumerate(pairs, start=1):
        image, gt = load_pair(image_path, mask_path)
        result = run_image(factory, name, image, gt, max_clicks, all_clicks)
        results.append(result)
        print(
            f"[{method}] {index}/{len(pairs)} {name}: NoC@90 {noc(result.ious, 0.90, max_clicks)}, "
            f"IoU@1 {result.ious[0]:.3f}, {len(result.click_ms)} clicks, "
            f"{time.perf_counter() - start:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return results, time.perf_counter() - start


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", help="folder with images/NNN.jpg and masks/NNN.png")
    parser.add_argument("--method", choices=("ours", *BASELINES), default="ours")
    parser.add_argument("--limit", type=int, default=None, help="first N pairs (after --stride)")
    parser.add_argument("--stride", type=int, default=1, help="every Kth pair, sorted by name")
    parser.add_argument("--max-clicks", type=int, default=MAX_CLICKS)
    parser.add_argument("--all-clicks", action="store_true", help="no early stop: always max-clicks clicks")
    parser.add_argument("--baselines", action="store_true", help="also run random_walker and grabcut")
    parser.add_argument(
        "--baseline-max", type=int, default=35, help="with --baselines: at most this many images (0 = all)"
    )
    parser.add_argument(
        "--downscale",
        type=float,
        default=None,
        help="baselines only: resize factor (default 0.5 for random_walker, 1 for grabcut)",
    )
    parser.add_argument("--per-image", metavar="PATH", help="also write per-image IoUs and clicks as JSON")
    args = parser.parse_args(argv)
    if args.stride < 1 or (args.limit is not None and args.limit < 1) or args.max_clicks < 1:
        parser.error("--stride, --limit and --max-clicks must be >= 1")
    if args.downscale is not None and not 0 < args.downscale <= 1:
        parser.error("--downscale must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    pairs = list_pairs(args.dataset, args.stride, args.limit)
    if not pairs:
        raise SystemExit(f"no image/mask pairs in {args.dataset}")
    selection = {
        "stride": args.stride,
        "limit": args.limit,
        "max_clicks": args.max_clicks,
        "early_stop": not args.all_clicks,
    }

    def run(method: str, method_pairs: list) -> tuple[dict, list[ImageResult]]:
        downscale = 1.0 if method == "ours" else (args.downscale or DEFAULT_DOWNSCALE[method])
        results, wall_s = evaluate(
            method, make_factory(method, downscale), method_pairs, args.max_clicks, args.all_clicks
        )
        summary = summarize(method, results, args.max_clicks)
        summary.update(config=method_config(method, downscale), wall_s=round(wall_s, 1))
        return summary, results

    load_before = os.getloadavg()[0]
    report, results = run(args.method, pairs)
    report = {"dataset": os.path.abspath(args.dataset), **selection, **report}
    per_image = {args.method: results}

    if args.baselines:
        baseline_stride = max(math.ceil(len(pairs) / args.baseline_max), 1) if args.baseline_max else 1
        subset = pairs[::baseline_stride]
        names = {name for name, _, _ in subset}
        report["baselines"] = {}
        for method in (m for m in BASELINES if m != args.method):
            summary, per_image[method] = run(method, subset)
            report["baselines"][method] = {"baseline_stride": baseline_stride, **summary}
        main_on_subset = summarize(args.method, [r for r in results if r.name in names], args.max_clicks)
        best = min(report["baselines"].values(), key=lambda s: s["noc90"])
        ratio = main_on_subset["noc90"] / best["noc90"]
        report["comparison"] = {
            "images": len(subset),
            "baseline_stride": baseline_stride,
            f"{args.method}_noc90": main_on_subset["noc90"],
            f"{args.method}_noc85": main_on_subset["noc85"],
            "best_baseline": best["method"],
            "best_baseline_noc90": best["noc90"],
            f"noc90_ratio_{args.method}_over_best_baseline": round(ratio, 3),
            "target_ratio_max": round(1 / TARGET_RATIO, 3),
            "meets_target": ratio <= 1 / TARGET_RATIO,
            "click_latency_p50_ms": {
                args.method: main_on_subset["click_latency_ms"]["p50"],
                **{s["method"]: s["click_latency_ms"]["p50"] for s in report["baselines"].values()},
            },
            f"latency_p50_ratio_{args.method}_over_best_baseline": _round(
                main_on_subset["click_latency_ms"]["p50"] / best["click_latency_ms"]["p50"], 3
            ),
        }

    report["load_avg_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    if args.per_image:
        with open(args.per_image, "w") as file:
            json.dump({m: [r.__dict__ for r in rs] for m, rs in per_image.items()}, file)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Propagation benchmark: clicks per video frame with and without carrying the object over from the last frame.

The data folder holds ``<sequence>/images/NNNNN.jpg`` and ``<sequence>/masks/NNNNN.png`` (L, > 127 = the
object); the dev set is ``/work/shared/data/davis_seq`` (10 DAVIS 2016 sequences x 30 consecutive frames,
854x480, one object each). Sequences are sorted by name; ``--split tune`` keeps the 1st, 3rd, 5th ...
(the ones propagation was tuned on), ``--split check`` the 2nd, 4th ... (never tuned on), ``all`` both,
reported apart and together.

Each sequence is played frame after frame with the click protocol of ``benchmarks/clicks.py`` (its
``Clicker``: the next click at the most interior point of the error region with the most interior point,
positive in a missed part, negative in a false one; probabilities > 0.49; at most ``--max-clicks`` clicks),
stopping on each frame as soon as IoU >= 0.90 (the user is done) or at the last click:

- **scratch**: every frame from an empty mask (``ClickSegmenter(frame)``), as if there were no propagation;
- **propagated**: frame 1 from scratch; each next frame starts from ``propagate_object`` of the previous
  frame's final mask (the one the protocol ended with on that frame: IoU >= 0.90, or after the last click),
  so errors the user left carry over as they would. The starting mask counts as click 0: a frame whose
  propagated mask already has IoU >= 0.90 needs 0 clicks.

NoC@T per frame is the number of clicks after which IoU >= T first holds (0 if before any click),
``--max-clicks`` if never. Reported over the frames after the first (the ones propagation can help; the first
frame is the same in both): mean NoC@90 ("clicks per frame") and NoC@85, the share of frames needing 0 clicks,
the propagated mask's IoU before any click, the latency of the propagation step (motion search and the
start of the segmenter, per frame) and of a click (``add_click`` + ``probabilities``). Target: at least 2x
fewer clicks per frame with propagation.

Prints one JSON object on stdout (progress on stderr)::

    .venv/bin/python benchmarks/propagation.py /work/shared/data/davis_seq
    .venv/bin/python benchmarks/propagation.py /work/shared/data/davis_seq --split tune --set soft=4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.clicks import Clicker, iou, load_pair, percentile  # noqa: E402
from core.segmentation import ClickSegmenter, Params  # noqa: E402
from core.segmentation.propagation import PropagationParams, propagate_object, start_segmenter  # noqa: E402

MAX_CLICKS = 20
DONE = 0.90
THRESHOLDS = (0.85, 0.90)
TARGET_RATIO = 2.0


@dataclass
class FrameResult:
    sequence: str
    frame: str
    ious: list[float] = field(default_factory=list)  # IoU before any click (index 0), after click 1, 2, ...
    click_ms: list[float] = field(default_factory=list)
    setup_s: float = 0.0
    propagate_ms: float | None = None  # motion search + the segmenter's start (propagated frames only)

    def noc(self, threshold: float, max_clicks: int) -> int:
        for count, value in enumerate(self.ious):
            if value >= threshold:
                return count
        return max_clicks


def list_sequences(dataset: str, split: str) -> list[str]:
    names = sorted(n for n in os.listdir(dataset) if os.path.isdir(os.path.join(dataset, n, "images")))
    if split == "tune":
        return names[0::2]
    if split == "check":
        return names[1::2]
    return names


def list_frames(dataset: str, sequence: str, limit: int | None) -> list[tuple[str, str, str]]:
    image_dir, mask_dir = os.path.join(dataset, sequence, "images"), os.path.join(dataset, sequence, "masks")
    frames = []
    for file in sorted(os.listdir(image_dir)):
        name = os.path.splitext(file)[0]
        mask = os.path.join(mask_dir, name + ".png")
        if os.path.exists(mask):
            frames.append((name, os.path.join(image_dir, file), mask))
    return frames[:limit]


def play(seg, gt: np.ndarray, result: FrameResult, max_clicks: int, started: bool) -> np.ndarray:
    """Clicks on one frame until IoU >= DONE or ``max_clicks``; returns the final mask."""
    pred = seg.probabilities() > 0.49 if started else np.zeros(gt.shape, dtype=bool)
    result.ious.append(float(iou(gt, pred)))
    clicker = Clicker(gt)
    while result.ious[-1] < DONE and len(result.ious) <= max_clicks:
        click = clicker.next_click(pred)
        if click is None:
            break
        row, col, positive = click
        start = time.perf_counter()
        seg.add_click(row, col, positive=positive)
        prob = seg.probabilities()
        result.click_ms.append((time.perf_counter() - start) * 1000)
        pred = np.asarray(prob) > 0.49
        result.ious.append(float(iou(gt, pred)))
    return pred


def run_sequence(dataset: str, sequence: str, params: PropagationParams, args) -> dict[str, list[FrameResult]]:
    frames = list_frames(dataset, sequence, args.frames)
    out: dict[str, list[FrameResult]] = {"scratch": [], "propagated": []}
    previous = None  # (rgb, final mask) of the last frame, propagated run
    for index, (name, image_path, mask_path) in enumerate(frames):
        rgb, gt = load_pair(image_path, mask_path)
        if not args.no_scratch or index == 0:
            result = FrameResult(sequence, name)
            start = time.perf_counter()
            seg = ClickSegmenter(rgb)
            result.setup_s = time.perf_counter() - start
            final = play(seg, gt, result, args.max_clicks, started=False)
            out["scratch"].append(result)
        if index == 0:
            previous = (rgb, final)
            continue
        result = FrameResult(sequence, name)
        start = time.perf_counter()
        propagated = propagate_object(previous[0], previous[1], rgb, params=params)
        motion_s = time.perf_counter() - start
        start = time.perf_counter()
        seg = ClickSegmenter(rgb, params=args.seg_params)
        result.setup_s = time.perf_counter() - start
        start = time.perf_counter()
        start_segmenter(seg, propagated)
        seg.probabilities()
        result.propagate_ms = (motion_s + time.perf_counter() - start) * 1000
        final = play(seg, gt, result, args.max_clicks, started=True)
        out["propagated"].append(result)
        previous = (rgb, final)
    return out


def summarize(frames: list[FrameResult], max_clicks: int) -> dict:
    """The reported numbers over ``frames``."""
    if not frames:
        return {}
    nocs = {t: np.array([r.noc(t, max_clicks) for r in frames]) for t in THRESHOLDS}
    click_ms = [ms for r in frames for ms in r.click_ms]
    out = {
        "frames": len(frames),
        "clicks_per_frame_noc90": round(float(nocs[0.90].mean()), 3),
        "noc85": round(float(nocs[0.85].mean()), 3),
        "zero_click_share": round(float(np.mean(nocs[0.90] == 0)), 3),
        "never_90": int(sum(max(r.ious) < DONE for r in frames)),
        "click_latency_ms": {"p50": _r(percentile(click_ms, 50)), "p95": _r(percentile(click_ms, 95)),
                             "clicks": len(click_ms)},
    }
    propagated = [r for r in frames if r.propagate_ms is not None]
    if propagated:
        before = np.array([r.ious[0] for r in propagated])
        ms = [r.propagate_ms for r in propagated]
        out["iou_before_clicks"] = {"mean": round(float(before.mean()), 4), "median": round(float(np.median(before)), 4)}
        out["propagate_latency_ms"] = {"p50": _r(percentile(ms, 50)), "p95": _r(percentile(ms, 95))}
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def compare(scratch: list[FrameResult], propagated: list[FrameResult], max_clicks: int) -> dict:
    later = [r for r in scratch if r.frame != _first_frame(scratch, r.sequence)]
    a = summarize(later, max_clicks)
    b = summarize(propagated, max_clicks)
    out = {"scratch": a, "propagated": b}
    if a and b:
        ratio = a["clicks_per_frame_noc90"] / max(b["clicks_per_frame_noc90"], 1e-9)
        out["fewer_clicks_factor"] = round(ratio, 3)
        out["meets_target"] = bool(ratio >= TARGET_RATIO)
        # The frames the click segmenter can finish at all (scratch reaches 0.90 within max_clicks): on the
        # others both runs mostly count max_clicks, which says more about the segmenter than propagation.
        reachable = {(r.sequence, r.frame) for r in later if max(r.ious) >= DONE}
        a2 = [r for r in later if (r.sequence, r.frame) in reachable]
        b2 = [r for r in propagated if (r.sequence, r.frame) in reachable]
        if a2 and b2:
            sa, sb = _mean_noc(a2, max_clicks), _mean_noc(b2, max_clicks)
            out["frames_scratch_reaches_90"] = {"frames": len(a2), "scratch_noc90": sa, "propagated_noc90": sb,
                                                "fewer_clicks_factor": round(sa / max(sb, 1e-9), 3)}
    return out


def _first_frame(results: list[FrameResult], sequence: str) -> str:
    return min(r.frame for r in results if r.sequence == sequence)


def parse_params(pairs: list[str], cls=PropagationParams):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown {cls.__name__} field {key!r}; known: {', '.join(fields)}")
        default = getattr(cls(), key)
        values[key] = type(default)(raw) if not isinstance(default, bool) else raw.lower() in ("1", "true", "yes")
    return cls(**values)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", nargs="?", default="/work/shared/data/davis_seq")
    parser.add_argument("--split", choices=("tune", "check", "all"), default="all")
    parser.add_argument("--sequences", help="comma-separated names (instead of --split)")
    parser.add_argument("--frames", type=int, default=None, help="first N frames of each sequence")
    parser.add_argument("--max-clicks", type=int, default=MAX_CLICKS)
    parser.add_argument("--no-scratch", action="store_true", help="skip the from-scratch run (tuning)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a PropagationParams field (tuning)")
    parser.add_argument("--seg", action="append", default=[], metavar="KEY=VALUE",
                        help="override a ClickSegmenter Params field on propagated frames (tuning)")
    parser.add_argument("--per-frame", metavar="PATH", help="also write per-frame IoUs as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    params = parse_params(args.set)
    args.seg_params = parse_params(args.seg, Params)
    sequences = args.sequences.split(",") if args.sequences else list_sequences(args.dataset, args.split)
    tune = set(list_sequences(args.dataset, "tune"))
    load_before = os.getloadavg()[0]
    wall = time.perf_counter()
    results = {"scratch": [], "propagated": []}
    for sequence in sequences:
        out = run_sequence(args.dataset, sequence, params, args)
        for key in results:
            results[key].extend(out[key])
        b = summarize(out["propagated"], args.max_clicks)
        a = summarize([r for r in out["scratch"] if r.frame != out["scratch"][0].frame], args.max_clicks)
        print(f"{sequence}: scratch {a.get('clicks_per_frame_noc90')} propagated {b['clicks_per_frame_noc90']} "
              f"(IoU before clicks {b['iou_before_clicks']['mean']}), {time.perf_counter() - wall:.0f} s",
              file=sys.stderr, flush=True)
    frames_per_sequence = {s: 1 + sum(r.sequence == s for r in results["propagated"]) for s in sequences}
    report = {
        "dataset": os.path.abspath(args.dataset),
        "data": {"sequences": sequences, "frames_per_sequence": frames_per_sequence,
                 "frames": sum(frames_per_sequence.values()),
                 "frames_compared": len(results["propagated"]),
                 "note": "numbers are over the frames after each sequence's first (the first is played from "
                         "scratch in both runs)"},
        "protocol": {"max_clicks": args.max_clicks, "done_iou": DONE, "threshold": 0.49,
                     "stop": "each frame stops at IoU >= 0.90 or max_clicks; propagation starts from that mask"},
        "params": dataclasses.asdict(params),
        "segmenter_params": {k: v for k, v in dataclasses.asdict(args.seg_params).items()
                             if v != getattr(Params(), k)},
        "all": compare(results["scratch"], results["propagated"], args.max_clicks),
    }
    for name, members in (("tune", tune), ("check", set(sequences) - tune)):
        chosen = [s for s in sequences if s in members]
        if chosen and len(chosen) < len(sequences):
            report[name] = {"sequences": chosen, **compare(
                [r for r in results["scratch"] if r.sequence in members],
                [r for r in results["propagated"] if r.sequence in members], args.max_clicks)}
    report["first_frames_scratch"] = summarize(
        [r for r in results["scratch"] if r.frame == _first_frame(results["scratch"], r.sequence)],
        args.max_clicks)
    report["per_sequence_noc90"] = {
        s: {"scratch": _mean_noc([r for r in results["scratch"] if r.sequence == s and r.frame != _first_frame(
            results["scratch"], s)], args.max_clicks),
            "propagated": _mean_noc([r for r in results["propagated"] if r.sequence == s], args.max_clicks)}
        for s in sequences}
    report["wall_s"] = round(time.perf_counter() - wall, 1)
    report["load_avg_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    if args.per_frame:
        with open(args.per_frame, "w") as file:
            json.dump({k: [r.__dict__ for r in v] for k, v in results.items()}, file)
    print(json.dumps(report, indent=2))


def _mean_noc(results: list[FrameResult], max_clicks: int) -> float | None:
    return round(float(np.mean([r.noc(DONE, max_clicks) for r in results])), 3) if results else None


if __name__ == "__main__":
    main()

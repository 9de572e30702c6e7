"""Segmentation training benchmark: our U-Net versus the keras-io reference, same budget, same crops.

Trains ``core.unet`` (through the real training engine) for ``--minutes`` on random crops of the training
pairs, then the keras-io "Image segmentation with a U-Net-like architecture" model (Xception-style, see
keras_io_unet.py) with its published recipe (Adam 1e-4, sparse categorical cross-entropy) for the same
minutes on exactly the same crop stream (same pipeline, seed and batch). Ours is configured as
``seggan train-seg`` configures it: it holds out ``--val-fraction`` of the training pairs for its validation
(the reference trains on all of them), follows a warm-up + cosine schedule over the budget and keeps an EMA of
its weights; it is scored with the weights ``seggan segment`` uses by default (the best validated ones).
Both are scored on the test pairs (whole images, our sliding-window inference for ours): mean IoU over
classes, foreground IoU, Dice, pixel accuracy. Per run of ours: the validation curve's best step. Prints ONE
JSON object on stdout, with the ratios ours/reference:

    .venv/bin/python benchmarks/train_seg.py --data ../shared/data/membrane --test-count 6 --minutes 10
    .venv/bin/python benchmarks/train_seg.py --data ../shared/data/membrane --seeds 0,1,2   # reference once
    .venv/bin/python benchmarks/train_seg.py --data ../shared/data/membrane --no-test --skip-reference  # tuning
    .venv/bin/python benchmarks/train_seg.py --train-images A --train-masks B --test-images C --test-masks D

``--data DIR --test-count N`` splits ``DIR/images`` + ``DIR/masks`` by natural stem order: the last N pairs
are the test set (membrane: 24/6). TensorFlow uses both cores here (no UI to keep one for) unless
SEGGAN_INTRA_OP_THREADS is set. Peak RSS is the process's maximum resident set after our model trained and
was scored (the reference runs after it).

Speed (benchmarks/throughput.py): ``throughput`` gives the precision ours trained in (``--precision``, default
auto as the app), one step's FLOPs counted by TensorFlow's profiler, the GFLOP/s over the budget and at the
steady rate (metrics.csv), and their share of this machine's peak (``hardware``). Run it once per precision
to compare mixed precision's quality with float32's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SEGGAN_INTRA_OP_THREADS", "2")
os.environ.setdefault("SEGGAN_INTER_OP_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from throughput import hardware_report, public, resolved_precision, run_throughput  # noqa: E402


def natural_key(stem: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", stem)]


def split_folder(data: Path, test_count: int, scratch: Path) -> tuple[Path, Path, Path, Path]:
    """Symlinked train/test folders (nothing is copied) from one images/ + masks/ folder."""
    from core.unet.dataset import scan_folders

    scan = scan_folders(data / "images", data / "masks")
    pairs = sorted(scan.pairs, key=lambda p: natural_key(p.stem))
    if len(pairs) <= test_count:
        raise SystemExit(f"{data}: {len(pairs)} pairs, need more than --test-count {test_count}")
    folders = []
    for name, subset in (("train", pairs[:-test_count]), ("test", pairs[-test_count:])):
        for kind in ("images", "masks"):
            folder = scratch / name / kind
            folder.mkdir(parents=True)
            folders.append(folder)
            for pair in subset:
                source = pair.image if kind == "images" else pair.mask
                (folder / source.name).symlink_to(source.resolve())
    return folders[0], folders[1], folders[2], folders[3]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def score(predict, test_data, num_classes: int) -> dict:
    from core.unet.metrics import confusion_matrix, scores_from_confusion

    total = np.zeros((num_classes, num_classes), np.int64)
    start = time.perf_counter()
    for rgb, labels in zip(test_data.images, test_data.labels, strict=True):
        total += confusion_matrix(labels, predict(rgb), num_classes)
    scores = scores_from_confusion(total)
    return {"mean_iou": round(scores.mean_iou, 4), "foreground_iou": round(float(np.nanmean(scores.iou[1:])), 4),
            "mean_dice": round(scores.mean_dice, 4), "pixel_accuracy": round(scores.pixel_accuracy, 4),
            "iou_per_class": [round(v, 4) for v in scores.iou],
            "predict_s_per_image": round((time.perf_counter() - start) / len(test_data), 3)}


def train_ours(args, seed, train_images, train_masks, num_classes, run_dir, decision):
    """Our U-Net through the real engine, configured as ``seggan train-seg`` configures it (setup.py),
    including the masks' decision recorded in the run."""
    from core.training.engine import train
    from core.training.run_folder import RunFolder
    from core.unet.setup import SegHyperparameters, unet_run_config

    hp = SegHyperparameters(num_classes=num_classes, crop=args.crop, batch_size=args.batch, depth=args.depth,
                            base_width=args.width, residual=not args.no_residual, loss=args.loss, learning_rate=args.lr,
                            val_fraction=args.val_fraction, seed=seed,
                            schedule=args.schedule, warmup=args.warmup, ema=args.ema,
                            precision=args.precision, steps=args.steps,
                            minutes=None if args.steps else args.minutes,
                            early_stopping=0 if args.steps else None,
                            class_weights=_class_weights(args.class_weights), augment=_augment(args))
    source = {"kind": "folders", "images": str(train_images), "masks": str(train_masks)}
    config = unet_run_config(source, hp, description="benchmark",
                             masks=decision.to_params() if decision is not None else None)
    config.log_every, config.sample_every, config.checkpoint_every = 20, 250, 500
    result = train(run_dir, config)
    status = RunFolder(run_dir).read_status()
    elapsed = float(status.get("elapsed_s") or 0.0)
    return result, elapsed, config, status


def _class_weights(text):
    if not text:
        return None
    return "auto" if text == "auto" else [float(v) for v in text.split(",")]


def _augment(args) -> dict:
    """Augment fields given on the command line (the rest keep the app's defaults)."""
    return {key: value for key, value in (("elastic", args.elastic), ("elastic_alpha", args.elastic_alpha))
            if value is not None}


def validation_curve(run_dir) -> dict:
    """The validation curve's best step and value (what the best-weights hook kept), and its length."""
    from core.training.metrics_log import read_metrics
    from core.unet.validation import HEADLINE, MONITOR

    _, rows = read_metrics(Path(run_dir) / "metrics.csv")
    points = [(int(r["step"]), r[MONITOR], r.get(HEADLINE)) for r in rows if r.get(MONITOR) is not None]
    if not points:
        return {"points": 0}
    best = max(points, key=lambda p: p[1])
    return {"metric": MONITOR, "points": len(points), "best_step": best[0], "best_value": round(best[1], 4),
            "foreground_iou_at_best": round(best[2], 4), "last_step": points[-1][0],
            "last_value": round(points[-1][1], 4)}


def run_ours(args, seed, train_images, train_masks, num_classes, run_dir, test_data, decision, hardware,
             precision) -> dict:
    from core.training.weights import read_manifest
    from core.unet.inference import load_segmenter

    result, elapsed, config, status = train_ours(args, seed, train_images, train_masks, num_classes, run_dir,
                                                  decision)
    segmenter = load_segmenter(run_dir)  # what seggan segment uses by default
    out = {"seed": seed, "steps": result.step, "train_s": round(elapsed, 1),
           "images_per_s": round(result.step * args.batch / max(elapsed, 1e-9), 2),
           "validation": {**validation_curve(run_dir), "on": (status.get("validation") or {}).get("on"),
                          "seconds_spent": (status.get("validation") or {}).get("seconds_spent")},
           "weights_used": segmenter.weights.description,
           "final_train_metrics": {k: round(v, 4) for k, v in result.last_metrics.items()}}
    out["params"] = int(segmenter.model.count_params())
    out["throughput"] = run_throughput(config, run_dir, result.step, elapsed, hardware, precision)
    if test_data is not None:
        out["test"] = score(lambda rgb: segmenter.predict(rgb)[0], test_data, num_classes)
        out["test_iou"] = out["test"]["mean_iou"]
        float32 = load_segmenter(run_dir, precision="float32")  # the app predicts in auto's precision, as above
        out["test_iou_predicting_in_float32"] = score(
            lambda rgb: float32.predict(rgb)[0], test_data, num_classes)["mean_iou"]
        # Test-time augmentation (seggan segment --tta 8; not its default: 8x the inference time).
        tta = load_segmenter(run_dir, tta=8)
        out["test_iou_with_tta8"] = score(lambda rgb: tta.predict(rgb)[0], test_data, num_classes)["mean_iou"]
        # The other saved weights, for comparison (not what segment uses).
        others = {}
        for variant in sorted(read_manifest(Path(run_dir) / "model")["variants"]):
            if variant != segmenter.weights.variant:
                other = load_segmenter(run_dir, weights=variant)
                others[variant] = score(lambda rgb, o=other: o.predict(rgb)[0], test_data, num_classes)["mean_iou"]
        out["test_iou_of_other_weights"] = others
    return out


def train_reference(args, packed, num_classes, minutes):
    """The keras-io recipe on the same crop stream as ours: same pipeline, seed, batch, crop."""
    import keras
    from keras_io_unet import build_reference

    from core.runtime import tensorflow
    from core.unet.pipeline import Augment, make_dataset

    tf = tensorflow()
    keras.utils.set_random_seed(args.seed)
    model = build_reference(num_classes)
    optimizer = keras.optimizers.Adam(args.reference_lr)
    optimizer.build(model.trainable_variables)
    dataset = make_dataset(packed, args.crop, args.batch, 0, args.seed, Augment())
    iterator = iter(dataset)

    @tf.function
    def step(it):
        images, labels = next(it)
        with tf.GradientTape() as tape:
            probs = model(images, training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probs))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    steps, start = 0, time.monotonic()
    while time.monotonic() - start < minutes * 60:
        loss = step(iterator)
        steps += 1
        if steps % 20 == 0:
            float(loss)  # keep the host in step with the device, as the engine's logging does
    elapsed = time.monotonic() - start
    return model, steps, elapsed, float(loss)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="folder with images/ and masks/ (split with --test-count)")
    parser.add_argument("--test-count", type=int, default=6)
    parser.add_argument("--train-images", type=Path)
    parser.add_argument("--train-masks", type=Path)
    parser.add_argument("--test-images", type=Path)
    parser.add_argument("--test-masks", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget of EACH model")
    parser.add_argument("--classes", type=int, help="number of classes (default: from the masks)")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--width", type=int, default=8, help="our U-Net's base width")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--no-residual", action="store_true", help="plain conv blocks (no shortcuts)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--loss", default="ce+dice")
    parser.add_argument("--schedule", default="cosine", choices=("constant", "cosine", "one-cycle"))
    parser.add_argument("--warmup", type=float, default=0.05, help="share of the budget warming up")
    parser.add_argument("--steps", type=int, help="tuning: a step budget instead of --minutes (load-independent)")
    parser.add_argument("--class-weights", help="auto or per-class weights, e.g. 2,1 (default: none)")
    parser.add_argument("--elastic", type=float, help="probability of an elastic deformation (default: the app's)")
    parser.add_argument("--elastic-alpha", type=float, help="elastic displacement in pixels (default: the app's)")
    parser.add_argument("--ema", type=float, default=0.99, help="weights' moving-average momentum (0: none)")
    parser.add_argument("--val-fraction", type=float, default=0.2,
                        help="share of the TRAINING pairs held out for validation (the app's default)")
    parser.add_argument("--reference-lr", type=float, default=1e-4, help="keras-io's published Adam rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", help="several seeds, e.g. 0,1,2: ours runs once per seed, the reference once "
                                        "(its images/s does not depend on our seed)")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--precision", default="auto", help="ours: auto (as the app), float32, bfloat16, float16")
    parser.add_argument("--no-test", action="store_true",
                        help="tuning: report the validation curve only, never score the test pairs")
    parser.add_argument("--keep-run", type=Path, help="train our runs under this folder (kept)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]

    from core.masks.classes import MaskOverride
    from core.runtime import tensorflow
    from core.unet.dataset import load_data, scan_folders
    from core.unet.pipeline import PackedImages

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="seggan-bench-seg-") as scratch:
        scratch = Path(scratch)
        if args.data:
            train_images, train_masks, test_images, test_masks = split_folder(args.data, args.test_count, scratch)
        elif all((args.train_images, args.train_masks, args.test_images, args.test_masks)):
            train_images, train_masks = args.train_images, args.train_masks
            test_images, test_masks = args.test_images, args.test_masks
        else:
            parser.error("give --data DIR, or all of --train-images --train-masks --test-images --test-masks")
        train_data = load_data(scan_folders(train_images, train_masks), args.classes)
        num_classes = args.classes or train_data.num_classes
        # The test masks are read the way the training run reads its masks (one decision, made on the
        # training masks), not surveyed on their own: the same grey level is the same class in both.
        decision = train_data.masks.decision if train_data.masks is not None else None
        override = MaskOverride.of(decision) if decision is not None else None
        test_data = None if args.no_test else load_data(scan_folders(test_images, test_masks), num_classes,
                                                        override=override)
        tf = tensorflow()
        hardware, precision = hardware_report(), resolved_precision(args.precision)
        runs = []
        for seed in seeds:
            run_dir = (args.keep_run or scratch) / f"run-seed{seed}"
            runs.append(run_ours(args, seed, train_images, train_masks, num_classes, run_dir, test_data,
                                 decision, hardware, precision))
            print(f"seed {seed}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
        ours_rss = peak_rss_mb()
        rates = [r["images_per_s"] for r in runs]
        out = {
            "benchmark": "train_seg", "minutes": args.minutes,
            "data": {"train_pairs": len(train_data),
                     "masks": train_data.masks.lines() if train_data.masks is not None else None,
                     "test_pairs": 0 if test_data is None else len(test_data),
                     "test_masks": test_data.masks.lines() if test_data is not None and test_data.masks else None,
                     "classes": num_classes, "train": str(train_images), "test": str(test_images),
                     "val_fraction_of_train": args.val_fraction,
                     "problems": [str(p) for p in train_data.problems + (test_data.problems if test_data else [])
                                  if p.skipped]},
            "crops": {"size": args.crop, "batch": args.batch, "seeds": seeds},
            "ours": {"model": {"depth": args.depth, "base_width": args.width, "loss": args.loss},
                     "params": runs[0]["params"], "lr": args.lr, "schedule": args.schedule, "warmup": args.warmup,
                     "ema": args.ema, "runs": runs, "images_per_s": round(float(np.mean(rates)), 2)},
            "peak_rss_mb": round(ours_rss, 1),
        }
        out["hardware"] = public(hardware)
        out["ours"]["throughput"] = runs[0]["throughput"]  # the first seed's run
        if test_data is not None:
            ious = [r["test_iou"] for r in runs]
            out["ours"].update({"test_iou_mean": round(float(np.mean(ious)), 4),
                                "test_iou_with_tta8_mean": round(float(np.mean([r["test_iou_with_tta8"] for r in runs])), 4),
                                "test_iou_min": round(min(ious), 4), "test_iou_max": round(max(ious), 4),
                                "test_iou_spread": round(max(ious) - min(ious), 4)})
        if not args.skip_reference and test_data is not None:
            packed = PackedImages(train_data.images, train_data.labels, args.crop)
            args.seed = seeds[0]
            model, steps, elapsed, loss = train_reference(args, packed, num_classes, args.minutes)

            def reference_predict(rgb, batch_statistics=False):
                from core.unet.inference import _reflect_pad, _round_up

                h, w = rgb.shape[:2]
                padded = _reflect_pad(rgb, _round_up(h, 16), _round_up(w, 16))
                probs = model(tf.constant(padded[None].astype(np.float32) / 255.0), training=batch_statistics)
                return np.argmax(np.asarray(probs)[0, :h, :w], axis=-1)

            ref_scores = score(reference_predict, test_data, num_classes)
            # Its BatchNorm moving averages (momentum 0.99) can lag far behind after a few hundred steps;
            # normalising each test image by its own statistics shows what the weights learnt.
            ref_batch_stats = score(lambda rgb: reference_predict(rgb, True), test_data, num_classes)
            ref_rate = steps * args.batch / elapsed
            out["reference"] = {"model": "keras-io Xception-style U-Net", "params": int(model.count_params()),
                                "lr": args.reference_lr, "seed": seeds[0], "steps": steps,
                                "train_s": round(elapsed, 1), "images_per_s": round(ref_rate, 2),
                                "final_train_loss": round(loss, 4), "test": ref_scores,
                                "test_iou": ref_scores["mean_iou"], "test_with_batch_statistics": ref_batch_stats}
            out["ratios"] = {
                "test_iou": round(out["ours"]["test_iou_mean"] / max(ref_scores["mean_iou"], 1e-9), 3),
                "images_per_s": round(out["ours"]["images_per_s"] / max(ref_rate, 1e-9), 3),
                "images_per_s_slowest_seed": round(min(rates) / max(ref_rate, 1e-9), 3)}
            out["peak_rss_mb_with_reference"] = round(peak_rss_mb(), 1)
        out["loadavg_start"] = [round(v, 2) for v in load_start]
        out["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
        out["threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                          "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                          "cpu_count": os.cpu_count()}
        out["targets_met"] = {"rss_le_2_5_gb": out["peak_rss_mb"] <= 2560}
        if test_data is not None:
            out["targets_met"].update({"test_iou_mean_ge_0_82": out["ours"]["test_iou_mean"] >= 0.82,
                                       "test_iou_spread_le_0_02": out["ours"]["test_iou_spread"] <= 0.02})
        if "ratios" in out:
            out["targets_met"]["throughput_ge_1_5x"] = out["ratios"]["images_per_s"] >= 1.5
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

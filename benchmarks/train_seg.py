"""Segmentation training benchmark: our U-Net versus the keras-io reference, same budget, same crops.

Trains ``core.unet`` (through the real training engine) for ``--minutes`` on random crops of the training
pairs, then the keras-io "Image segmentation with a U-Net-like architecture" model (Xception-style, see
keras_io_unet.py) with its published recipe (Adam 1e-4, sparse categorical cross-entropy) for the same
minutes on exactly the same crop stream (same pipeline, seed and batch). Both are scored on the test pairs
(whole images, our sliding-window inference for ours): mean IoU over classes, foreground IoU, Dice, pixel
accuracy. Prints ONE JSON object on stdout, with the ratios ours/reference:

    .venv/bin/python benchmarks/train_seg.py --data ../shared/data/membrane --test-count 6 --minutes 10
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


def train_ours(args, train_images, train_masks, num_classes, run_dir):
    from core.training.config import Budget, RunConfig
    from core.training.engine import train
    from core.training.run_folder import RunFolder

    params = {"source": {"kind": "folders", "images": str(train_images), "masks": str(train_masks)},
              "num_classes": num_classes, "depth": args.depth, "base_width": args.width, "crop": args.crop,
              "loss": args.loss, "val_fraction": 0.0, "batch_norm": True, "residual": True}
    config = RunConfig(task="unet", task_params=params, seed=args.seed, batch_size=args.batch,
                       learning_rates={"main": args.lr}, budget=Budget(minutes=args.minutes), log_every=20,
                       sample_every=250, checkpoint_every=500, data_source="benchmark",
                       precision=args.precision)
    result = train(run_dir, config)
    status = RunFolder(run_dir).read_status()
    elapsed = float(status.get("elapsed_s") or 0.0)
    return result, elapsed, config, params


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
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--loss", default="ce+dice")
    parser.add_argument("--reference-lr", type=float, default=1e-4, help="keras-io's published Adam rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--precision", default="auto", help="ours: auto (as the app), float32, bfloat16, float16")
    parser.add_argument("--keep-run", type=Path, help="train our run here (kept) instead of a temp folder")
    args = parser.parse_args(argv)

    from core.runtime import tensorflow
    from core.unet.dataset import load_data, scan_folders
    from core.unet.inference import load_segmenter
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
        test_data = load_data(scan_folders(test_images, test_masks), num_classes)
        tf = tensorflow()
        hardware, precision = hardware_report(), resolved_precision(args.precision)
        run_dir = args.keep_run or scratch / "run"
        result, ours_elapsed, config, params = train_ours(args, train_images, train_masks, num_classes, run_dir)
        ours_images = result.step * args.batch
        segmenter = load_segmenter(run_dir)
        ours_scores = score(lambda rgb: segmenter.predict(rgb)[0], test_data, num_classes)
        ours_rss = peak_rss_mb()
        out = {
            "benchmark": "train_seg", "minutes": args.minutes,
            "data": {"train_pairs": len(train_data), "test_pairs": len(test_data), "classes": num_classes,
                     "train": str(train_images), "test": str(test_images),
                     "problems": [str(p) for p in train_data.problems + test_data.problems if p.skipped]},
            "crops": {"size": args.crop, "batch": args.batch, "seed": args.seed},
            "ours": {"model": {k: params[k] for k in ("depth", "base_width", "loss")},
                     "params": int(segmenter.model.count_params()), "lr": args.lr, "steps": result.step,
                     "train_s": round(ours_elapsed, 1),
                     "images_per_s": round(ours_images / max(ours_elapsed, 1e-9), 2),
                     "final_train_metrics": {k: round(v, 4) for k, v in result.last_metrics.items()},
                     "test": ours_scores, "test_iou": ours_scores["mean_iou"]},
            "peak_rss_mb": round(ours_rss, 1),
        }
        out["hardware"] = public(hardware)
        out["ours"]["throughput"] = run_throughput(config, run_dir, result.step, ours_elapsed, hardware, precision)
        float32 = load_segmenter(run_dir, precision="float32")  # the app predicts in auto's precision, as above
        out["ours"]["test_iou_predicting_in_float32"] = score(
            lambda rgb: float32.predict(rgb)[0], test_data, num_classes)["mean_iou"]
        if not args.skip_reference:
            packed = PackedImages(train_data.images, train_data.labels, args.crop)
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
                                "lr": args.reference_lr, "steps": steps, "train_s": round(elapsed, 1),
                                "images_per_s": round(ref_rate, 2), "final_train_loss": round(loss, 4),
                                "test": ref_scores, "test_iou": ref_scores["mean_iou"],
                                "test_with_batch_statistics": ref_batch_stats}
            out["ratios"] = {
                "test_iou": round(ours_scores["mean_iou"] / max(ref_scores["mean_iou"], 1e-9), 3),
                "foreground_iou": round(ours_scores["foreground_iou"] / max(ref_scores["foreground_iou"], 1e-9), 3),
                "images_per_s": round(out["ours"]["images_per_s"] / max(ref_rate, 1e-9), 3),
                "test_iou_vs_reference_with_batch_statistics": round(
                    ours_scores["mean_iou"] / max(ref_batch_stats["mean_iou"], 1e-9), 3)}
            out["peak_rss_mb_with_reference"] = round(peak_rss_mb(), 1)
        out["loadavg_start"] = [round(v, 2) for v in load_start]
        out["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
        out["threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                          "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                          "cpu_count": os.cpu_count()}
        out["targets_met"] = {"rss_le_2_5_gb": out["peak_rss_mb"] <= 2560}
        if "ratios" in out:
            out["targets_met"].update({"iou_above_reference": out["ratios"]["test_iou"] > 1.0,
                                       "throughput_ge_1_5x": out["ratios"]["images_per_s"] >= 1.5})
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

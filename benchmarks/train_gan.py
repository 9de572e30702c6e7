"""GAN benchmark: train SegGAN's GAN on MNIST-style IDX data for a time budget, and the TF DCGAN tutorial's
model and recipe for the same budget, then score both and print ONE JSON object.

    python benchmarks/train_gan.py --data ../shared/data/mnist/t10k-images-idx3-ubyte.gz --minutes 10

The labelled data is shuffled and split (train / held-out test). Scores: multi-scale SWD against held-out
images, and the Fréchet distance in the 128-d features of a small CNN classifier trained here on the
labelled training split (with the real-vs-real floor: training images against test images), the classifier's
predicted-class histogram of the samples, and the time to render a 64-sample grid.

The reference is the TF tutorial "Deep Convolutional Generative Adversarial Network" written from its published
layer list: G = Dense(7*7*256, no bias)-BN-LeakyReLU-Reshape-Conv2DTranspose(128,5,s1)-BN-LReLU-
Conv2DTranspose(64,5,s2)-BN-LReLU-Conv2DTranspose(1,5,s2,tanh); D = Conv2D(64,5,s2)-LReLU-Dropout(.3)-
Conv2D(128,5,s2)-LReLU-Dropout(.3)-Flatten-Dense(1); noise 100, batch 256, Adam 1e-4 for both, BCE from logits.

Ours runs as ``seggan train-gan`` does: TensorFlow on every core, ``--precision`` auto unless asked. Its
``throughput`` (benchmarks/throughput.py): the precision, one step's FLOPs counted by TensorFlow's profiler,
GFLOP/s over the budget and at the steady rate (metrics.csv), and their share of this machine's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.gan.data import labels_path_for, load_idx, write_idx  # noqa: E402
from core.gan.quality import frechet_distance, swd  # noqa: E402
from core.runtime import set_headless, tensorflow  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import hardware_report, public, resolved_precision, run_throughput  # noqa: E402

set_headless(True)  # as the CLI: no UI to keep a core free for (SEGGAN_INTRA_OP_THREADS still wins)


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- the feature classifier --------------------------------------------------------------------------------
def train_classifier(images: np.ndarray, labels: np.ndarray, epochs: int, seed: int):
    """A small CNN (custom loop, as everywhere in this project); returns (model, feature model)."""
    import keras
    from keras import layers

    tf = tensorflow()
    keras.utils.set_random_seed(seed)
    x = keras.Input((28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu")(x)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Flatten()(h)
    features = layers.Dense(128, activation="relu", name="features")(h)
    logits = layers.Dense(int(labels.max()) + 1)(layers.Dropout(0.3)(features))
    model = keras.Model(x, logits)
    optimizer = keras.optimizers.Adam(1e-3)
    data = images.astype(np.float32) / 127.5 - 1.0

    @tf.function
    def step(batch, target):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(target, model(batch, training=True)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(data))
        for start in range(0, len(order) - 63, 64):
            idx = order[start:start + 64]
            step(data[idx], labels[idx].astype(np.int32))
    return model, keras.Model(x, features)


def predict(model, images: np.ndarray, batch: int = 500) -> np.ndarray:
    data = images.astype(np.float32) / 127.5 - 1.0
    return np.concatenate([np.asarray(model(data[i:i + batch], training=False)) for i in range(0, len(data), batch)])


# --- the tutorial reference --------------------------------------------------------------------------------
def train_tutorial(images: np.ndarray, minutes: float, seed: int) -> tuple[object, int, float]:
    import keras
    from keras import layers

    tf = tensorflow()
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential([
        keras.Input((100,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ])
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    data = tf.constant(images.astype(np.float32) / 127.5 - 1.0)
    batch = 256

    @tf.function
    def step(real):
        noise = tf.random.normal([batch, 100])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_out = discriminator(real, training=True)
            fake_out = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),
                                  generator.trainable_variables, strict=True))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables, strict=True))
        return g_loss

    rng = np.random.default_rng(seed)
    steps, start = 0, time.monotonic()
    order = rng.permutation(len(images))
    position = 0
    while time.monotonic() - start < minutes * 60:
        if position + batch > len(order):  # the tutorial's shuffled epochs (remainder dropped)
            order, position = rng.permutation(len(images)), 0
        step(tf.gather(data, order[position:position + batch])).numpy()
        position += batch
        steps += 1
    elapsed = time.monotonic() - start
    return generator, steps, elapsed


def tutorial_samples(generator, count: int, seed: int) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal((count, 100)).astype(np.float32)
    out = np.concatenate([np.asarray(generator(z[i:i + 500], training=False)) for i in range(0, count, 500)])
    return np.clip(np.rint((out + 1) * 127.5), 0, 255).astype(np.uint8)


# --- ours ----------------------------------------------------------------------------------------------------
def train_ours(train_dir: Path, run_dir: Path, minutes: float, seed: int, args) -> dict:
    from core.training.config import Budget, RunConfig
    from core.training.engine import train

    config = RunConfig(
        task="gan", seed=seed, batch_size=args.batch_size, precision=args.precision,
        task_params={"data": str(train_dir / "train-images-idx3-ubyte.gz"), "size": 28, "width": args.width,
                     "latent_dim": args.latent_dim, "conditional": args.conditional, "loss": args.loss,
                     "ema": args.ema, "r1": args.r1, "quality_every": 1000},
        learning_rates={"generator": args.lr_g, "discriminator": args.lr_d}, budget=Budget(minutes=minutes),
        log_every=100, sample_every=500, checkpoint_every=100_000, data_source="benchmark train split",
        schedule={} if args.schedule == "constant" else {"kind": args.schedule, "warmup": args.warmup})
    result = train(run_dir, config)
    return {"state": result.state, "steps": result.step, "last_metrics": result.last_metrics, "run_config": config}


def render_time_ms(explorer, repeats: int = 30) -> dict:
    import threading

    for thread in threading.enumerate():  # a last SWD measurement may still be running: let it finish
        if thread.name == "gan-swd":
            thread.join()
    seeds = list(range(64))
    for _ in range(3):
        explorer.grid(seeds)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        explorer.grid(seeds)
        times.append((time.perf_counter() - start) * 1000)
    return {"median": round(float(np.median(times)), 2), "p95": round(float(np.percentile(times, 95)), 2)}


def histogram(logits: np.ndarray, classes: int) -> dict:
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    counts = np.bincount(predicted, minlength=classes)
    return {"counts": counts.tolist(), "confident_fraction": round(float((probabilities.max(axis=1) > 0.9).mean()), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="IDX images file (labels file found next to it)")
    parser.add_argument("--labels", help="IDX labels file (default: next to --data)")
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget for each model")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--samples", type=int, default=2000, help="samples scored per model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true", help="train only our model (for tuning)")
    parser.add_argument("--keep-run", help="keep our run folder here")
    parser.add_argument("--precision", default="auto", help="ours: auto (as the app), float32, bfloat16, float16")
    ours = parser.add_argument_group("our model")
    ours.add_argument("--batch-size", type=int, default=64)
    ours.add_argument("--width", type=int, default=32)
    ours.add_argument("--latent-dim", type=int, default=64)
    ours.add_argument("--loss", default="nonsaturating")
    ours.add_argument("--ema", type=float, default=0.999)
    ours.add_argument("--r1", type=float, default=0.0)
    ours.add_argument("--lr-g", type=float, default=2e-4)
    ours.add_argument("--lr-d", type=float, default=2e-4)
    ours.add_argument("--conditional", action="store_true", help="class-conditional (the reference is not)")
    ours.add_argument("--schedule", default="constant", choices=("constant", "cosine", "one-cycle"),
                      help="both learning rates over the budget (default constant: a cosine did not help, docs/benchmarks.md)")
    ours.add_argument("--warmup", type=float, default=0.0, help="share of the budget warming up (with --schedule)")
    args = parser.parse_args(argv)

    tf = tensorflow()
    load_start = os.getloadavg()
    labels_path = Path(args.labels) if args.labels else labels_path_for(Path(args.data))
    if labels_path is None:
        parser.error("no labels file next to --data; pass --labels")
    data = load_idx(args.data, labels_path)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(data.images))  # the files are ordered by writer group: shuffle first
    test_count = int(len(order) * args.test_fraction)
    test_idx, train_idx = order[:test_count], order[test_count:]
    train_images, train_labels = data.images[train_idx], data.labels[train_idx]
    test_images, test_labels = data.images[test_idx], data.labels[test_idx]
    classes = int(data.labels.max()) + 1
    report: dict = {"data": str(args.data), "train_images": len(train_idx), "test_images": test_count,
                    "minutes": args.minutes, "cpu_count": os.cpu_count(), "tensorflow": tf.__version__}

    start = time.monotonic()
    classifier, features = train_classifier(train_images, train_labels, epochs=3, seed=args.seed)
    accuracy = float((predict(classifier, test_images).argmax(axis=1) == test_labels).mean())
    report["classifier"] = {"test_accuracy": round(accuracy, 4), "train_s": round(time.monotonic() - start, 1)}
    log(f"classifier: test accuracy {accuracy:.4f}")
    count = min(args.samples, test_count)
    real_test_features = predict(features, test_images[:count])
    real_train_features = predict(features, train_images[:count])
    floor_fd = frechet_distance(real_train_features, real_test_features)
    floor_swd = swd(train_images[:count], test_images[:count])[0]
    report["floor"] = {"frechet": round(floor_fd, 4), "swd": round(floor_swd, 3)}

    def score(samples: np.ndarray) -> dict:
        logits = predict(classifier, samples)
        return {"frechet": round(frechet_distance(predict(features, samples), real_test_features), 4),
                "swd": round(swd(samples, test_images[:count])[0], 3), "histogram": histogram(logits, classes)}

    with tempfile.TemporaryDirectory(prefix="seggan-gan-bench-") as tmp:
        tmp = Path(tmp)
        write_idx(tmp / "train-images-idx3-ubyte.gz", train_images[..., 0])
        write_idx(tmp / "train-labels-idx1-ubyte.gz", train_labels.astype(np.uint8))
        run_dir = Path(args.keep_run) if args.keep_run else tmp / "run"
        log(f"training ours for {args.minutes} min in {run_dir}")
        hardware, precision = hardware_report(), resolved_precision(args.precision)
        ours = train_ours(tmp, run_dir, args.minutes, args.seed, args)
        report["hardware"] = public(hardware)
        ours["throughput"] = run_throughput(ours.pop("run_config"), run_dir, ours["steps"], None, hardware, precision)
        from core.gan.explore import GanExplorer

        explorer = GanExplorer.from_run(run_dir)
        seeds = range(10_000, 10_000 + count)
        ours_samples = np.concatenate([explorer.samples(list(seeds)[i:i + 500]) for i in range(0, count, 500)])
        ours.update(score(ours_samples))
        ours["steps_per_s"] = round(ours["steps"] / (args.minutes * 60), 2)
        ours["render_grid64_ms"] = render_time_ms(explorer)
        ours["config"] = {k: getattr(args, k) for k in ("batch_size", "width", "latent_dim", "loss", "ema", "r1",
                                                        "lr_g", "lr_d", "conditional", "schedule", "warmup")}
        ours["weights"] = explorer.source  # the run's default: its snapshot with the lowest SWD while training
        report["ours"] = ours
        log(f"ours: {json.dumps({k: ours[k] for k in ('steps', 'frechet', 'swd')})}")

    if not args.skip_reference:
        log(f"training the tutorial reference for {args.minutes} min")
        generator, steps, elapsed = train_tutorial(train_images, args.minutes, args.seed)
        reference = {"steps": steps, "steps_per_s": round(steps / elapsed, 3), "batch_size": 256}
        reference.update(score(tutorial_samples(generator, count, args.seed + 1)))
        report["tutorial_reference"] = reference
        report["ratios"] = {
            "frechet_reference_over_ours": round(reference["frechet"] / max(ours["frechet"], 1e-9), 2),
            "swd_reference_over_ours": round(reference["swd"] / max(ours["swd"], 1e-9), 2),
            "images_per_s_ours_over_reference": round(
                ours["steps_per_s"] * args.batch_size / max(reference["steps_per_s"] * 256, 1e-9), 2),
        }
    from core.runtime import device_report

    device = device_report()
    report["threads"] = {"intra_op": device.intra_op_threads, "inter_op": device.inter_op_threads}
    report["loadavg_start"] = [round(v, 2) for v in load_start]
    report["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

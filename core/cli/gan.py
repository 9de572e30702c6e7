"""CLI subcommands for GANs: ``seggan train-gan``, ``seggan sample`` and ``seggan interpolate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli.training import (
    add_budget_arguments,
    add_precision_argument,
    add_strategy_argument,
    budget_from,
    run_training,
)
from core.gan.config import gan_config

SIZES = (28, 32, 64)


def _conditional(value: str):
    return {"auto": "auto", "yes": True, "no": False}[value]


def cmd_train_gan(args) -> int:
    if args.resume:
        return run_training(args.out, None, resume=True, budget=budget_from(args))
    from core.gan.data import GanDataError, load_gan_data

    try:  # check the data before creating a run folder, and say what was found
        data = load_gan_data(args.data, args.size, 3 if args.colour else None, seed=args.seed)
    except GanDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"data: {data.description}")
    for problem in data.problems[:20]:
        print(f"  skipped {problem}", file=sys.stderr)
    if len(data.problems) > 20:
        print(f"  … and {len(data.problems) - 20} more skipped files", file=sys.stderr)
    config = gan_config(args.data, size=args.size, channels=3 if args.colour else None,
                        conditional=_conditional(args.conditional), latent_dim=args.latent_dim, width=args.width,
                        loss=args.loss, ema=args.ema, r1=args.r1, spectral_norm=args.spectral_norm,
                        batch_size=args.batch_size, lr_g=args.lr_g, lr_d=args.lr_d, seed=args.seed,
                        budget=budget_from(args, default_steps=None), sample_every=args.sample_every,
                        quality_every=args.quality_every, strategy=args.strategy,
                        precision=args.precision)
    return run_training(args.out, config)


def _explorer(run: str):
    from core.gan.explore import GanExplorer, GanRunError

    try:
        return GanExplorer.from_run(run)
    except GanRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_sample(args) -> int:
    from core.gan.explore import save_png

    explorer = _explorer(args.run)
    if explorer is None:
        return 2
    seeds = list(range(args.seed, args.seed + args.count))
    try:
        images = explorer.samples(seeds, args.truncation, args.class_id)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if args.grid:
        from core.gan.task import tile

        columns = args.columns or max(1, int(round(len(images) ** 0.5)))
        target = out if out.suffix.lower() == ".png" else out / "grid.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        save_png(tile(images, columns, args.scale), target)
        print(f"wrote a {len(images)}-sample grid to {target}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for seed, image in zip(seeds, images, strict=True):
        if args.scale > 1:
            image = image.repeat(args.scale, axis=0).repeat(args.scale, axis=1)
        save_png(image, out / f"seed{seed:06d}.png")
    print(f"wrote {len(images)} samples (seeds {seeds[0]}..{seeds[-1]}) to {out}")
    return 0


def cmd_interpolate(args) -> int:
    from core.gan.explore import save_gif

    explorer = _explorer(args.run)
    if explorer is None:
        return 2
    try:
        frames = explorer.interpolate(args.from_seed, args.to_seed, args.frames, args.truncation, args.class_id)
        path = save_gif(frames, args.output, fps=args.fps, scale=args.scale)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.frames} frames (seed {args.from_seed} -> {args.to_seed}, slerp) to {path}")
    return 0


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be a non-negative integer")
    return value


def _add_sampling_arguments(parser) -> None:
    parser.add_argument("--run", required=True, help="a GAN run folder")
    parser.add_argument("--truncation", type=float, default=1.0, metavar="PSI",
                        help="0..1: pull samples toward the average (less variety, fewer oddities); 1 = off")
    parser.add_argument("--class", dest="class_id", type=_non_negative, help="class id (conditional runs)")
    parser.add_argument("--scale", type=int, default=1, help="enlarge pixels by this factor")


def add_subcommands(sub) -> None:
    train = sub.add_parser("train-gan", help="train a GAN on an image folder, MNIST-style IDX files, a Keras "
                                             "dataset or the built-in procedural shapes")
    train.add_argument("--data", default="procedural",
                       help="image folder (subfolders = classes), IDX images file (.gz), keras:mnist, "
                            "keras:fashion_mnist, or procedural (default)")
    train.add_argument("--out", required=True, help="run folder to create (or to resume with --resume)")
    train.add_argument("--resume", action="store_true")
    add_budget_arguments(train)
    add_strategy_argument(train)
    add_precision_argument(train)
    train.add_argument("--size", type=int, choices=SIZES, default=32)
    train.add_argument("--colour", action="store_true", help="train in colour even on grayscale data")
    train.add_argument("--conditional", choices=("auto", "yes", "no"), default="auto",
                       help="class-conditional: auto = when the data has 2+ classes")
    train.add_argument("--loss", choices=("nonsaturating", "hinge", "wgan-gp"), default="nonsaturating")
    train.add_argument("--latent-dim", type=int, default=64)
    train.add_argument("--width", type=int, default=32, help="generator/discriminator width (channels)")
    train.add_argument("--ema", type=float, default=0.999, help="EMA decay of the generator's weights (0 = off)")
    train.add_argument("--r1", type=float, default=0.0, help="R1 penalty weight (0 = off)")
    train.add_argument("--spectral-norm", action="store_true", help="spectral normalisation in D")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr-g", type=float, default=2e-4)
    train.add_argument("--lr-d", type=float, default=2e-4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sample-every", type=int, default=250)
    train.add_argument("--quality-every", type=int, default=500, help="steps between SWD measurements (0 = off)")
    train.set_defaults(func=cmd_train_gan)

    sample = sub.add_parser("sample", help="generate samples from a trained GAN run (one PNG per seed, or a grid)")
    _add_sampling_arguments(sample)
    sample.add_argument("--count", type=int, default=16)
    sample.add_argument("--seed", type=_non_negative, default=0, help="first seed; samples use seed, seed+1, …")
    sample.add_argument("--output", required=True, help="folder (or .png file with --grid)")
    sample.add_argument("--grid", action="store_true", help="one grid picture instead of one PNG per sample")
    sample.add_argument("--columns", type=int, help="grid columns (default: square)")
    sample.set_defaults(func=cmd_sample)

    interp = sub.add_parser("interpolate", help="an animated GIF of the slerp between two seeds")
    _add_sampling_arguments(interp)
    interp.add_argument("--from", dest="from_seed", type=_non_negative, required=True)
    interp.add_argument("--to", dest="to_seed", type=_non_negative, required=True)
    interp.add_argument("--frames", type=int, default=24)
    interp.add_argument("--fps", type=float, default=12.0)
    interp.add_argument("--output", required=True, help="the .gif file")
    interp.set_defaults(func=cmd_interpolate)

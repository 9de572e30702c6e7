"""CLI subcommands for segmentation models: ``seggan train-seg`` and ``seggan segment``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli.progress import ProgressBar
from core.cli.training import (
    add_budget_arguments,
    add_precision_argument,
    add_strategy_argument,
    budget_from,
    run_training,
)


def _class_weights(text: str | None):
    if text in (None, "none"):
        return None
    if text == "auto":
        return "auto"
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"class weights: 'auto', 'none' or numbers like 1,3 (got {text!r})") from None


def _scan(args):
    from core.unet.dataset import scan_folders, scan_mask_suffix, scan_workspace
    from core.workspace import Workspace

    chosen = [bool(args.images or args.masks), bool(args.folder), bool(args.workspace)]
    if sum(chosen) != 1:
        raise ValueError("give the data as --images DIR --masks DIR, --folder DIR (NAME_mask.png) or --workspace DIR")
    if args.folder:
        return scan_mask_suffix(args.folder)
    if args.workspace:
        return scan_workspace(Workspace.open(args.workspace, create=False))
    if not (args.images and args.masks):
        raise ValueError("--images and --masks go together")
    return scan_folders(args.images, args.masks)


def _class_setting(text: str | None):
    from core.masks.classes import parse_classes

    try:
        return parse_classes(text or "")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def survey_with_progress(scan, override):
    """Survey the masks with a progress bar, then print the decision."""
    from core.jobs import CancelToken, Finished
    from core.unet.dataset import survey_pairs

    bar = ProgressBar(unit="mask")
    survey = survey_pairs(scan, CancelToken(), bar, override)
    bar(Finished(result=None))  # the last count, also on a pipe
    for line in survey.lines():
        print(line, file=sys.stderr)
    return survey


def print_problems(problems, limit: int = 20) -> None:
    shown = [p for p in problems if p.kind != "note"][:limit]
    notes = [p for p in problems if p.kind == "note"]
    for problem in shown:
        print(f"  {'skipped' if problem.skipped else 'note'}: {problem}", file=sys.stderr)
    hidden = len([p for p in problems if p.kind != "note"]) - len(shown)
    if hidden > 0:
        print(f"  … and {hidden} more", file=sys.stderr)
    if notes:
        print(f"  {len(notes)} mask(s) needed interpreting, e.g. {notes[0]}", file=sys.stderr)


def cmd_train_seg(args) -> int:
    from core.masks.classes import MaskOverride
    from core.unet.dataset import load_data
    from core.unet.setup import fit_crop, machine_defaults, unet_run_config

    if args.resume:
        return run_training(args.out, None, resume=True, budget=budget_from(args))
    num_classes, classes = args.classes or (None, None)
    try:
        scan = _scan(args)
        print(f"reading {len(scan.pairs)} image/mask pairs from {scan.describe()}…", file=sys.stderr)
        survey = survey_with_progress(scan, MaskOverride(args.mask_encoding, classes))
        data = load_data(scan, num_classes=num_classes, survey=survey)
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    skipped = [p for p in data.problems if p.skipped]
    print(f"{len(data)} usable pairs, {data.num_classes} classes, {len(skipped)} skipped", file=sys.stderr)
    print_problems(data.problems)
    if len(data) == 0:
        print("error: no usable image/mask pairs", file=sys.stderr)
        return 2
    hp = machine_defaults()
    hp.num_classes = data.num_classes
    for name in ("crop", "depth", "dropout", "loss", "seed", "val_fraction"):
        value = getattr(args, name)
        if value is not None:
            setattr(hp, name, value)
    if args.batch_size is not None:
        hp.batch_size = args.batch_size
    if args.width is not None:
        hp.base_width = args.width
    if args.lr is not None:
        hp.learning_rate = args.lr
    hp.class_weights = args.class_weights
    hp.batch_norm = not args.no_batch_norm
    hp.residual = not args.no_residual
    hp.binary_sigmoid = args.binary_sigmoid
    hp.init_from = args.init_from or ""
    hp.precision = args.precision
    for name in ("schedule", "warmup", "ema", "early_stopping", "validate_every_steps", "validate_every_seconds"):
        if getattr(args, name) is not None:
            setattr(hp, name, getattr(args, name))
    if args.no_augment:
        hp.augment = {"flips": False, "rotations": False, "brightness": 0.0, "contrast": 0.0, "elastic": 0.0}
    elif args.elastic is not None:
        hp.augment = {"elastic": args.elastic}
    if args.crop is None:  # the default crop shrinks to fit data whose images are all smaller
        hp.crop = fit_crop(hp.crop, [lab.shape[::-1] for lab in data.labels], 2**hp.depth)
    budget = budget_from(args)
    if budget is not None:
        hp.minutes, hp.epochs, hp.steps = budget.minutes, budget.epochs, budget.steps
    try:
        config = unet_run_config(scan.source, hp, class_names=data.class_names or None, strategy=args.strategy,
                                 description=scan.describe(),
                                 masks=survey.decision.to_params() if survey.decision else None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run_training(args.out, config)


def cmd_segment(args) -> int:
    from core.imageio import list_images
    from core.jobs import CancelToken, Finished, JobCancelled
    from core.unet.inference import SegmenterError, load_segmenter, segment_images_job

    source = Path(args.input)
    if args.sequence:
        if not source.is_dir():
            print(f"error: --sequence takes the folder of the frames, not {source}", file=sys.stderr)
            return 2
        paths = [source]
    elif source.is_dir():
        paths = list_images(source)
        if not paths:
            print(f"error: no images in {source}", file=sys.stderr)
            return 2
    elif source.exists():
        paths = [source]
    else:
        print(f"error: {source} does not exist", file=sys.stderr)
        return 2
    try:
        segmenter = load_segmenter(args.run, tile=args.tile, overlap=args.overlap, weights=args.weights,
                                   tta=args.tta)
    except (SegmenterError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    instances = None
    if args.instances:
        from core.segmentation.instances import InstanceOptions

        instances = InstanceOptions(args.instances, args.min_distance)
    print(f"using the {segmenter.weights.description}", file=sys.stderr)
    bar = ProgressBar(unit="image")  # prints the job's messages (skipped files) too
    try:
        result = segment_images_job(args.run, paths, args.output, CancelToken(), bar, overlay=args.overlay,
                                    segmenter=segmenter, instances=instances,
                                    stack_tiff=args.stack_tiff)
    except (KeyboardInterrupt, JobCancelled):
        print("\ninterrupted", file=sys.stderr)
        return 130
    if bar.tty:  # end the bar's line (on a pipe every update is already its own line)
        bar(Finished(result=result))
    print(f"wrote {len(result.written)} label map(s) to {args.output}"
          + (f"; {len(result.failed)} file(s) could not be read" if result.failed else ""))
    return 0 if result.written or not result.failed else 1


def add_subcommands(sub) -> None:
    train = sub.add_parser("train-seg", help="train a U-Net segmentation model on image/mask pairs",
                           description="Train a U-Net on random full-resolution crops of image/mask pairs. "
                                       "Defaults are sized to this machine.")
    data = train.add_argument_group("data (one of)")
    data.add_argument("--images", help="folder of images (with --masks: matched by file name stem)")
    data.add_argument("--masks", help="folder of masks (palette, grey 0..K, 0/255 or colour PNGs; JPEG too)")
    data.add_argument("--mask-encoding", default="auto",
                      choices=("auto", "binary", "indexed", "grey-levels", "palette", "colours"),
                      help="how to read the masks (default: decided once from all of them; binary = background "
                           "against everything else)")
    data.add_argument("--folder", help="one folder where NAME_mask.png is the mask of NAME.*")
    data.add_argument("--workspace", help="a workspace folder (images/ and masks/)")
    train.add_argument("--out", required=True, help="run folder to create (or to resume with --resume)")
    train.add_argument("--resume", action="store_true")
    add_budget_arguments(train)
    add_strategy_argument(train)
    add_precision_argument(train)
    model = train.add_argument_group("model and training (defaults sized to this machine)")
    model.add_argument("--classes", type=_class_setting,
                       help="number of classes incl. background, or the class values in id order, optionally "
                            "named: 0,255 or 0=background,255=cell or #000000,#ff0000=tumour "
                            "(default: decided from the masks)")
    model.add_argument("--crop", type=int, help="training crop side (multiple of 2**depth; default 256)")
    model.add_argument("--batch-size", type=int)
    model.add_argument("--lr", type=float, help="Adam learning rate (default 2e-3)")
    model.add_argument("--depth", type=int, help="poolings (default 4)")
    model.add_argument("--width", type=int, help="filters at full resolution, doubled per level")
    model.add_argument("--dropout", type=float)
    model.add_argument("--no-batch-norm", action="store_true")
    model.add_argument("--no-residual", action="store_true")
    model.add_argument("--binary-sigmoid", action="store_true", help="two classes as one sigmoid output")
    model.add_argument("--loss", choices=("ce", "dice", "ce+dice", "focal", "focal+dice", "mse"))
    model.add_argument("--class-weights", type=_class_weights, default=None, help="auto, none or w0,w1,...")
    model.add_argument("--val-fraction", type=float, help="pairs kept for validation samples (default 0.2)")
    model.add_argument("--elastic", type=float, help="probability of elastic deformation (default 0.5)")
    model.add_argument("--no-augment", action="store_true")
    model.add_argument("--init-from", help="start from this run's weights (retrain on corrected masks)")
    model.add_argument("--seed", type=int)
    watch = train.add_argument_group("schedule, validation and best weights")
    watch.add_argument("--schedule", choices=("constant", "cosine", "one-cycle"),
                       help="learning rate over the budget (default: cosine after a warm-up)")
    watch.add_argument("--warmup", type=float, help="share of the budget warming up (default 0.05)")
    watch.add_argument("--ema", type=float, help="momentum of the weights' moving average (default 0.99; 0: none)")
    watch.add_argument("--early-stopping", type=int, metavar="N",
                       help="stop after N validations without improvement (0: off; default: 10 for step and "
                            "epoch budgets, off for minutes)")
    watch.add_argument("--validate-every-steps", type=int, metavar="N")
    watch.add_argument("--validate-every-seconds", type=float, metavar="S",
                       help="(default: as often as keeps validation under 5 %% of training time)")
    train.set_defaults(func=cmd_train_seg)

    segment = sub.add_parser("segment", help="segment images with a trained U-Net run into label-map PNGs")
    segment.add_argument("--run", required=True, help="a unet run folder (finished, stopped or still training)")
    segment.add_argument("--input", required=True, help="an image file, a stack (multi-page TIFF, animated GIF/PNG/WebP) or a folder of "
                         "images (with --sequence: a folder of numbered frames, segmented as one stack)")
    segment.add_argument("--output", required=True, help="folder for <stem>.png label maps (a stack's: <stem>/<frame index>.png, "
                         "frame 0 = 0000.png)")
    segment.add_argument("--overlay", action="store_true", help="also write <stem>_overlay.png")
    segment.add_argument("--sequence", action="store_true",
                         help="--input is one numbered image sequence (frame_0001.png, ...), not a batch of images")
    segment.add_argument("--stack-tiff", action="store_true",
                         help="write each stack (multi-page TIFF, animation, sequence) as one label TIFF stack "
                              "<stem>.tif instead of <stem>/<frame>.png label maps")
    segment.add_argument("--tile", type=int, default=1024, help="sliding-window tile side (default 1024)")
    segment.add_argument("--overlap", type=int, default=64, help="tile overlap in pixels (default 64)")
    segment.add_argument("--tta", type=int, choices=(1, 2, 4, 8), default=1,
                         help="test-time augmentation: average over this many flipped/transposed views (default 1: "
                              "none; 8 measured +0.006 mean IoU on membrane at 8x the time)")
    from core.cli.formats import add_instance_arguments

    add_instance_arguments(segment, default=None)
    segment.add_argument("--weights", choices=("default", "best", "ema", "final", "checkpoint"), default="default",
                         help="which of the run's weights (default: what the run recorded, its best validated)")
    segment.set_defaults(func=cmd_segment)

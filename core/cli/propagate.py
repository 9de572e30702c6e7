"""CLI subcommand ``seggan propagate``: carry a frame's objects through a folder of numbered frames."""

from __future__ import annotations

import sys
from pathlib import Path

from core.cli.progress import ProgressBar


def cmd_propagate(args) -> int:
    from core.imageio import ImageLoadError, list_images, load_image
    from core.jobs import CancelToken, Finished, JobCancelled
    from core.maskio import MaskLoadError, read_mask, write_mask
    from core.segmentation.propagation_job import propagate_frames_job

    frames = list_images(args.frames)
    if not frames:
        print(f"error: no images in {args.frames}", file=sys.stderr)
        return 2
    names = [p.name for p in frames]
    start = args.start if args.start is not None else 0
    stop = args.stop if args.stop is not None else len(frames) - 1
    if not (0 <= start < stop < len(frames)):
        print(f"error: --start {start} / --stop {stop}: {args.frames} has frames 0..{len(frames) - 1} "
              f"({names[0]} .. {names[-1]}) and the last must come after the first", file=sys.stderr)
        return 2

    def load_frame(index: int):
        return load_image(frames[index]).rgb

    try:
        first = load_frame(start)
        labels = read_mask(args.mask, expected_size=(first.shape[1], first.shape[0])).labels
    except (ImageLoadError, MaskLoadError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    def save(index: int, carried) -> None:
        write_mask(output / (frames[index].stem + ".png"), carried)

    try:
        job = propagate_frames_job(load_frame, labels, start, stop, save=save)
    except ValueError as exc:
        print(f"error: {args.mask}: {exc}", file=sys.stderr)
        return 2
    bar = ProgressBar(unit="frame")
    try:
        result = job(CancelToken(), bar)
    except (KeyboardInterrupt, JobCancelled):
        print("\ninterrupted (the frames already written stay)", file=sys.stderr)
        return 130
    except (ImageLoadError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if bar.tty:
        bar(Finished(result=result))
    for index, label in result.lost:
        print(f"object {label} left the picture at {names[index]}", file=sys.stderr)
    print(f"wrote {len(result.frames)} label map(s) to {output} "
          f"({names[result.frames[0]]} .. {names[result.frames[-1]]})" if result.frames else "wrote nothing")
    return 0


def add_subcommands(sub) -> None:
    parser = sub.add_parser(
        "propagate", help="carry a frame's objects to the next frames of a numbered frame folder",
        description="Carry each object of a label map (the accepted objects of one frame) through the next "
                    "frames of a folder of frames (sorted by name: frame_0001.png, ...), each object by its own "
                    "motion. Writes one palette label map per frame, named like the frame, as the starting "
                    "point to correct with clicks.")
    parser.add_argument("frames", help="folder of the sequence's frames")
    parser.add_argument("--mask", required=True, help="label map of the first frame (the objects to carry)")
    parser.add_argument("--output", "-o", required=True, help="folder for the propagated label maps")
    parser.add_argument("--start", type=int, help="index (0-based, in name order) of the mask's frame; default 0")
    parser.add_argument("--stop", type=int, help="index of the last frame to propagate to; default the last")
    parser.set_defaults(func=cmd_propagate)

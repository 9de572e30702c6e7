"""CLI subcommand ``seggan propagate``: carry a frame's objects through the next frames of a stack (a folder
of numbered frames, a multi-page TIFF, an animated GIF/PNG/WebP)."""

from __future__ import annotations

import sys
from pathlib import Path

from core.cli.progress import ProgressBar


def _open(source: Path):
    """The stack to propagate through: a folder's sequence, a stack file, or the numbered sequence a single
    frame file belongs to."""
    from core.stacks import open_stack

    stack = open_stack(source)
    if stack.n_frames == 1 and stack.kind == "single":
        stack.close()
        stack = open_stack(source, as_sequence=True)
    return stack


def _output_name(stack, index: int) -> str:
    from core.stacks.frame_masks import frame_file_name

    return stack.frame_file(index).stem + ".png" if stack.kind == "sequence" else frame_file_name(index)


def cmd_propagate(args) -> int:
    from core.imageio import ImageLoadError

    try:
        stack = _open(Path(args.frames))
    except ImageLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with stack:
        return _propagate(args, stack)


def _propagate(args, stack) -> int:
    from core.imageio import ImageLoadError
    from core.jobs import CancelToken, Finished, JobCancelled
    from core.maskio import MaskLoadError, read_mask, write_mask
    from core.segmentation.propagation_job import propagate_frames_job

    count = stack.n_frames
    names = [stack.frame_name(i) for i in range(count)]
    start = args.start if args.start is not None else 0
    stop = args.stop if args.stop is not None else count - 1
    if not (0 <= start < stop < count):
        print(f"error: --start {start} / --stop {stop}: {args.frames} has frames 0..{count - 1} "
              f"({names[0]} .. {names[-1]}) and the last must come after the first", file=sys.stderr)
        return 2

    def load_frame(index: int):
        return stack.frame(index).rgb

    try:
        first = load_frame(start)
        labels = read_mask(args.mask, expected_size=(first.shape[1], first.shape[0])).labels
    except (ImageLoadError, MaskLoadError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    def save(index: int, carried) -> None:
        write_mask(output / _output_name(stack, index), carried)

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
        "propagate", help="carry a frame's objects to the next frames of a stack or numbered frame folder",
        description="Carry each object of a label map (the accepted objects of one frame) through the next "
                    "frames of a stack: a folder of numbered frames (natural order: frame_2.png before "
                    "frame_10.png), one frame file of such a sequence, a multi-page TIFF or an animated "
                    "GIF/PNG/WebP; each object moves by its own motion. Writes one palette label map per frame "
                    "(a sequence's named like the frame, a stack file's 0003.png for frame 3) as the starting "
                    "point to correct with clicks.")
    parser.add_argument("frames", help="the stack: a folder of numbered frames, one of its frames, a multi-page "
                                       "TIFF or an animated GIF/PNG/WebP")
    parser.add_argument("--mask", required=True, help="label map of the first frame (the objects to carry)")
    parser.add_argument("--output", "-o", required=True, help="folder for the propagated label maps")
    parser.add_argument("--start", type=int, help="index (0-based, in name order) of the mask's frame; default 0")
    parser.add_argument("--stop", type=int, help="index of the last frame to propagate to; default the last")
    parser.set_defaults(func=cmd_propagate)

"""CLI subcommands for stacks: ``seggan stack-info``, ``seggan export-stack``, ``seggan import-stack``."""

from __future__ import annotations

import sys
from pathlib import Path


def _stack_path(workspace, name: str) -> Path:
    """A stack named by its path, or by its name in the workspace's ``images/``."""
    path = Path(name)
    if path.exists():
        return path
    return workspace.images_dir / name


def cmd_stack_info(args) -> int:
    from core.imageio import ImageLoadError
    from core.stacks import open_stack

    try:
        stack = open_stack(args.stack, as_sequence=args.sequence)
    except ImageLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with stack:
        width, height = stack.frame_size
        print(f"{stack.path}: {stack.kind}, {stack.n_frames} frame(s) of {width}x{height}")
        for note in stack.notes:
            print(f"  {note}")
        if args.frames:
            for index in range(stack.n_frames):
                print(f"  {index:4d}  {stack.frame_name(index)}")
    return 0


def cmd_export_stack(args) -> int:
    from core.imageio import ImageLoadError
    from core.maskio import MaskLoadError
    from core.stacks.frame_masks import masked_frames
    from core.stacks.label_stack import export_label_stack
    from core.workspace import Workspace, WorkspaceError

    try:
        workspace = Workspace.open(args.workspace, create=False)
        stack = _stack_path(workspace, args.stack)
        out = export_label_stack(workspace, stack, args.out)
    except (WorkspaceError, ImageLoadError, MaskLoadError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    masked = masked_frames(workspace, stack)
    print(f"wrote {out}: {len(masked)} annotated frame(s) of the stack's pages")
    return 0


def cmd_import_stack(args) -> int:
    from core.formats.label_tiff import LabelTiffError
    from core.imageio import ImageLoadError
    from core.stacks.label_stack import import_label_stack
    from core.workspace import Workspace, WorkspaceError

    try:
        workspace = Workspace.open(args.workspace, create=False)
        stack = _stack_path(workspace, args.stack)
        written = import_label_stack(workspace, stack, args.tiff)
    except (WorkspaceError, ImageLoadError, LabelTiffError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the masks of {len(written)} frame(s) of {stack.name}")
    return 0


def add_subcommands(sub) -> None:
    info = sub.add_parser("stack-info", help="what a stack holds: kind, frames, size, gaps")
    info.add_argument("stack", help="a multi-page TIFF, an animated GIF/PNG/WebP, or a folder of numbered frames")
    info.add_argument("--sequence", action="store_true", help="a frame file: use the sequence it belongs to")
    info.add_argument("--frames", action="store_true", help="list every frame's name")
    info.set_defaults(func=cmd_stack_info)
    export = sub.add_parser("export-stack", help="a stack's per-frame masks as one label TIFF stack (TYX uint16)")
    export.add_argument("--workspace", required=True, help="the workspace folder")
    export.add_argument("stack", help="the stack (its path, or its name in the workspace's images/)")
    export.add_argument("--out", "-o", required=True, help="the label TIFF to write")
    export.set_defaults(func=cmd_export_stack)
    imp = sub.add_parser("import-stack", help="a label TIFF stack as a stack's per-frame masks")
    imp.add_argument("--workspace", required=True, help="the workspace folder")
    imp.add_argument("stack", help="the stack (its path, or its name in the workspace's images/)")
    imp.add_argument("tiff", help="a label TIFF with one page per frame")
    imp.set_defaults(func=cmd_import_stack)

"""What the Image panel's information box says about an image: one line per row, from its metadata."""

from __future__ import annotations

from core.imageio import ImageMeta


def image_info_rows(meta: ImageMeta, stack=None, frame: int | None = None) -> dict[str, str]:
    """Rows Format, Mode, Bit depth, Size, Orientation, Frames, Notes of an image (``stack``: the
    core.stacks.ImageStack it is ``frame`` of, if any)."""
    depth = f"{meta.bit_depth}-bit"
    if meta.value_range:
        depth += f", values {meta.value_range[0]:g}..{meta.value_range[1]:g}"
    if meta.channels > 1:
        depth += f", {meta.channels} channels"
    if stack is not None:
        frames = f"{len(stack)} ({stack.kind}; frame {(frame or 0) + 1} shown: PgUp / PgDown)"
    else:
        frames = str(meta.frames) + (" (showing the first)" if meta.frames > 1 else "")
    notes = list(meta.notes)  # what the loader handled but you may want to know (an invalid EXIF tag, ...)
    if meta.has_alpha:
        notes.append("transparent areas shown on white")
    return {
        "Format": meta.format + (" (named otherwise)" if meta.extension_mismatch else ""),
        "Mode": meta.mode + (" with alpha" if meta.has_alpha else ""),
        "Bit depth": depth,
        "Size": f"{meta.width} × {meta.height} px, {meta.file_size / 1024:.0f} KiB",
        "Orientation": "as stored" if meta.orientation == 1 else f"EXIF {meta.orientation} applied",
        "Frames": frames,
        "Notes": "; ".join(notes) or "—",
    }

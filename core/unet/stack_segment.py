"""Segmenting a stack (multi-page TIFF, animation, numbered sequence) with a U-Net, frame by frame.

One frame is decoded, predicted and written at a time (the stack's cache holds one frame), so memory does
not grow with depth. The label maps go where a workspace keeps a stack's masks
(``<output>/<stem>/<index:04d>.png``, see :mod:`core.stacks.frame_masks`) or, with ``stack_tiff``, into one
label TIFF stack ``<output>/<stem>.tif``. A frame that cannot be read is reported and skipped (all
background in a TIFF, so page i stays frame i); the other frames are written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.jobs import CancelToken, Emit, Message, ProgressReporter
from core.stacks.frame_masks import frame_file_name


def frame_labels(segmenter, rgb: np.ndarray, token: CancelToken, instances, emit: Emit, name: str):
    """(labels, names) of one picture, split into instances when asked (as segment_images_job does)."""
    labels, _ = segmenter.predict(rgb, token)
    names = segmenter.class_names or None
    if instances is not None:
        from core.segmentation.instances import split_all

        edit = split_all(labels, names, instances, token)
        labels, names = edit.labels, edit.names
        if edit.dropped:
            emit(Message(text=f"{name}: {edit.dropped} instance(s) beyond the 255 a label map holds were left out",
                         level="warning"))
    return labels, names


def segment_stack(segmenter, stack, output_dir: Path, stem: str, token: CancelToken, emit: Emit,
                  reporter: ProgressReporter, result, *, overlay: bool = False, skip_existing: bool = False,
                  instances=None, stack_tiff: bool = False) -> None:
    """Segment every frame of ``stack`` (an open :class:`core.stacks.ImageStack`) into ``output_dir``,
    recording what was written, kept and failed in ``result`` (a SegmentResult); one progress unit a frame."""
    from core.stacks import FrameLoadError

    def predicted(index: int):
        token.check()
        try:
            frame = stack.frame(index)
        except FrameLoadError as exc:
            result.failed.append((f"{stack.path} frame {index}", exc.reason))
            emit(Message(text=f"skipped {exc}", level="warning"))
            return None, None, None
        labels, names = frame_labels(segmenter, frame.rgb, token, instances, emit, stack.frame_name(index))
        return frame, labels, names

    if stack_tiff:
        class_names = (segmenter.class_names or None) if instances is None else None
        _segment_to_tiff(stack, output_dir / f"{stem}.tif", predicted, reporter, result, emit, class_names)
        return
    from core.maskio import write_mask

    folder = output_dir / stem
    for index in range(stack.n_frames):
        target = folder / frame_file_name(index)
        if skip_existing and target.exists():
            result.kept.append(str(target))
        else:
            frame, labels, names = predicted(index)
            if frame is not None:
                result.written.append(str(write_mask(target, labels, names=names)))
                if overlay:
                    _write_overlay(folder / f"{target.stem}_overlay.png", frame.rgb, labels)
        reporter.advance(1, message=stack.frame_name(index))


def _segment_to_tiff(stack, target: Path, predicted, reporter, result, emit: Emit, names: dict | None) -> None:
    from core.formats.label_tiff import write_label_tiff

    width, height = stack.frame_size

    def frames() -> Iterator[np.ndarray]:
        for index in range(stack.n_frames):
            frame, labels, _ = predicted(index)
            if frame is not None and labels.shape != (height, width):
                result.failed.append((f"{stack.path} frame {index}", f"{labels.shape[1]}x{labels.shape[0]} "
                                      f"differs from frame 0's {width}x{height}; left empty in the TIFF"))
                emit(Message(text=f"{stack.frame_name(index)}: other size than frame 0, left empty", level="warning"))
                labels = None
            reporter.advance(1, message=stack.frame_name(index))
            yield labels if labels is not None else np.zeros((height, width), np.uint8)

    if not width or not height:  # a sequence whose first header was unreadable: take frame 0's decoded size
        meta = stack.frame(0).meta
        width, height = meta.width, meta.height
    # the names go in the header, before any frame is predicted: the model's class names (instance ids,
    # numbered per frame, carry none)
    write_label_tiff(target, frames(), names=names, shape=(height, width), count=stack.n_frames)
    result.written.append(str(target))


def _write_overlay(path: Path, rgb: np.ndarray, labels: np.ndarray) -> None:
    from PIL import Image

    from core.atomic import atomic_save
    from core.unet.inference import overlay_image

    picture = Image.fromarray(overlay_image(rgb, labels))
    atomic_save(path, lambda handle: picture.save(handle, format="PNG"))

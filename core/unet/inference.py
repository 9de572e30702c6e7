"""Segment images of any size with a trained run: sliding-window inference with overlapping tiles whose
predictions are blended with a tapered weight (tile borders, where a convolution sees padding, count least).

Weights are loaded into the architecture built in code from the run's config.json, never deserialised.

    seg = load_segmenter("runs/cells")
    labels, probs = seg.predict(rgb)          # HxW uint8, HxWxK float32

``segment_images_job`` segments a list of files into palette PNG label maps as a core job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.jobs import CancelToken, Emit, Message, ProgressReporter
from core.training import run_weights
from core.training.run_weights import WEIGHT_CHOICES, LoadedWeights  # noqa: F401 - imported from here too
from core.unet.model import UNetSpec, build_unet, probabilities_from_logits
from core.unet.tta import TTA_VIEWS, averaged_over_views

# Tiles of 1024 pixels: a 1024x1024 image is one pass instead of nine overlapping 512-pixel tiles (2.25x the
# pixels); the largest activation of a tile (16 channels at full resolution) stays about 64 MB.
DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 64


class SegmenterError(Exception):
    """A run cannot be used for segmentation (not a U-Net run, no weights yet, ...)."""


def _reflect_pad(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pad bottom/right up to (height, width): reflection keeps image statistics at the border."""
    h, w = array.shape[:2]
    widths = [(0, height - h), (0, width - w)] + [(0, 0)] * (array.ndim - 2)
    if height == h and width == w:
        return array
    return np.pad(array, widths, mode="reflect" if min(h, w) > 1 else "edge")


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _taper(size: int, overlap: int) -> np.ndarray:
    """1-D blending weights: a linear ramp over ``overlap`` pixels at each end, never zero."""
    ramp = np.ones(size, np.float32)
    if overlap > 0:
        edge = (np.arange(overlap, dtype=np.float32) + 1) / (overlap + 1)
        ramp[:overlap] = edge
        ramp[-overlap:] = np.minimum(ramp[-overlap:], edge[::-1])
    return ramp


def _starts(length: int, tile: int, stride: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def _softmax(tf, logits):
    """Softmax over the last axis in elementwise ops. oneDNN's Softmax kernel took 30 ms of a 113 ms
    prediction of a 512x512 image with 2 classes (profiled, one core; 19 ms alone in a micro-benchmark);
    these take 3-4 ms, and for two classes, the sigmoid of the logits' difference (the same numbers), 2."""
    if logits.shape[-1] == 2:
        p = tf.sigmoid(logits[..., 1:] - logits[..., :1])
        return tf.concat([1.0 - p, p], axis=-1)
    e = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


@dataclass
class Segmenter:
    """A loaded model; ``predict`` works on images of any size. Not thread-safe: one caller at a time."""

    model: object
    spec: UNetSpec
    tile: int = DEFAULT_TILE
    overlap: int = DEFAULT_OVERLAP
    class_names: dict = field(default_factory=dict)
    run_dir: str = ""
    precision: str = "float32"  # what the model computes in (its weights are float32 in every precision)
    weights: LoadedWeights | None = None  # which of the run's weights (None: weights given directly)
    fold: bool = True  # batch norm folded into the convolutions (faster, same result; see folding.py)
    tta: int = 1  # test-time augmentation: probabilities averaged over 1, 2, 4 or 8 flipped/transposed views

    def __post_init__(self) -> None:
        from core.runtime import tensorflow

        tf = tensorflow()
        m = self.spec.multiple
        self.tile = max(m, _round_up(int(self.tile), m))
        self.overlap = max(0, min(int(self.overlap), self.tile // 2))
        if self.tta not in TTA_VIEWS:
            raise ValueError(f"tta must be one of {TTA_VIEWS} views, got {self.tta}")
        spec = self.spec
        self._folded = self._fold(None)
        if self._folded is not None:
            from core.unet.folding import folded_forward

            logits = folded_forward(self._folded, spec, self.precision)
        else:
            model = self.model

            def logits(images):
                return model(images, training=False)
        views = self.tta

        def probabilities(images):
            if spec.binary_sigmoid:
                return probabilities_from_logits(logits(images), spec)
            return _softmax(tf, logits(images))

        @tf.function(reduce_retracing=True)
        def forward(batch):  # uint8 in: the scaling to [0, 1] runs in the graph, not as a float copy on the host
            images = tf.cast(batch, tf.float32) / 255.0
            if views == 1:
                return probabilities(images)
            return averaged_over_views(tf, probabilities, images, views)

        self._forward = forward

    def _fold(self, folded):
        """Batch norm folded into the convolutions (core/unet/folding.py); None for a model without it."""
        if not (self.fold and self.spec.batch_norm):
            return None
        from core.unet.folding import FoldedWeights

        if folded is None:
            return FoldedWeights(self.model, self.spec)
        folded.update(self.model)
        return folded

    def set_weights(self, weights: list) -> None:
        """Give ``model`` new weights (``model.weights`` order) and refresh what inference computes with."""
        self.model.set_weights(weights)
        self._fold(self._folded)

    @property
    def num_classes(self) -> int:
        return self.spec.num_classes

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._forward(np.ascontiguousarray(batch, np.uint8)))

    def predict_whole(self, rgb: np.ndarray) -> np.ndarray:
        """Class probabilities from one pass over the whole (padded) image: exact, but memory grows with
        the image. ``predict`` gives the same result whenever the image fits in one tile."""
        rgb = _as_rgb(rgb)
        h, w = rgb.shape[:2]
        m = self.spec.multiple
        padded = _reflect_pad(rgb, _round_up(h, m), _round_up(w, m))
        return self._run(padded[None])[0, :h, :w]

    def predict_probabilities(self, rgb: np.ndarray, token: CancelToken | None = None,
                              batch_size: int = 2) -> np.ndarray:
        rgb = _as_rgb(rgb)
        h, w = rgb.shape[:2]
        tile = self.tile
        if h <= tile and w <= tile:
            return self.predict_whole(rgb)
        # Pad to at least one tile per side (sides below a tile are padded up to it).
        ph, pw = max(h, tile), max(w, tile)
        padded = _reflect_pad(rgb, ph, pw)
        stride = tile - self.overlap
        weight = np.outer(_taper(tile, self.overlap), _taper(tile, self.overlap))[..., None]
        total = np.zeros((ph, pw, self.spec.num_classes), np.float32)
        norm = np.zeros((ph, pw, 1), np.float32)
        corners = [(r, c) for r in _starts(ph, tile, stride) for c in _starts(pw, tile, stride)]
        for first in range(0, len(corners), batch_size):
            if token is not None:
                token.check()
            group = corners[first:first + batch_size]
            probs = self._run(np.stack([padded[r:r + tile, c:c + tile] for r, c in group]))
            for (r, c), p in zip(group, probs, strict=True):
                total[r:r + tile, c:c + tile] += p * weight
                norm[r:r + tile, c:c + tile] += weight
        return (total / norm)[:h, :w]

    def predict(self, rgb: np.ndarray, token: CancelToken | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(labels HxW uint8, probabilities HxWxK float32) for an HxWx3 (or HxW) uint8 image of any size."""
        probs = self.predict_probabilities(rgb, token)
        return np.argmax(probs, axis=-1).astype(np.uint8), np.asarray(probs, np.float32)  # no copy when float32


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 or HxW image, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {image.dtype}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError("empty image")
    return image


def _read_run_config(run_dir: Path):
    from core.training.run_folder import RunFolder, RunFolderError

    run = RunFolder(run_dir)
    if not run.is_run():
        raise SegmenterError(f"{run_dir}: not a run folder (no config.json)")
    try:
        config = run.read_config()
    except RunFolderError as exc:
        raise SegmenterError(str(exc)) from None
    if config.task != "unet":
        raise SegmenterError(f"{run_dir}: a {config.task!r} run, not a segmentation (unet) run")
    return run, config


def load_run_weights(model, run_dir: str | os.PathLike, variant: str = "default") -> LoadedWeights:
    """Load a U-Net run's weights into ``model`` (see core.training.run_weights for which weights)."""
    _read_run_config(Path(run_dir))  # a U-Net run folder, or a SegmenterError saying what it is
    return run_weights.load_run_weights(model, run_dir, "unet", variant, error=SegmenterError)


def load_segmenter(run_dir: str | os.PathLike, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                   weights: str = "default", precision: str = "auto", tta: int = 1) -> Segmenter:
    """A Segmenter for a U-Net run folder (finished, stopped or still training), with the run's default
    weights unless ``weights`` names others (see load_run_weights). Runs TensorFlow: call it on a worker
    thread.

    ``precision``: auto (mixed bfloat16 where this machine's measured check found it faster, see
    core.training.precision), float32, bfloat16 or float16, whatever precision the run trained in.
    ``tta``: views averaged per prediction (1: none; see Segmenter).
    """
    from core.training.precision import resolve_precision

    run_dir = Path(run_dir)
    _, config = _read_run_config(run_dir)
    spec = UNetSpec.from_params(config.task_params)
    chosen = resolve_precision(precision).precision
    model = build_unet(spec, precision=chosen)
    loaded = load_run_weights(model, run_dir, weights)
    names = {int(k): str(v) for k, v in (config.task_params.get("class_names") or {}).items()}
    return Segmenter(model, spec, tile=tile, overlap=overlap, class_names=names, run_dir=str(run_dir),
                     weights=loaded, precision=chosen, tta=tta)


def overlay_image(rgb: np.ndarray, labels: np.ndarray, opacity: float = 0.45) -> np.ndarray:
    """The image with each labelled pixel tinted by its label colour (background untouched)."""
    from core.palette import LABEL_COLORS

    colours = LABEL_COLORS[labels].astype(np.float32)
    mixed = rgb.astype(np.float32) * (1 - opacity) + colours * opacity
    return np.where(labels[..., None] > 0, mixed, rgb).round().astype(np.uint8)


def _depth(path: Path) -> int:
    """Frames of ``path`` from its headers; 1 when unreadable (loading it reports why)."""
    from core.stacks import stack_depth

    try:
        return stack_depth(path)
    except Exception:  # noqa: BLE001 - any failure is reported by the load that follows
        return 1


def _segment_stack(seg, path: Path, output_dir: Path, used: set, token, emit, reporter, result, **options) -> None:
    from core.jobs import JobCancelled
    from core.stacks import StackError, open_stack
    from core.unet.stack_segment import segment_stack

    try:
        stack = open_stack(path, cache_frames=1)
    except StackError as exc:
        result.failed.append((str(path), exc.reason))
        emit(Message(text=f"skipped {exc}", level="warning"))
        reporter.advance(1, message=path.name)
        return
    stem = path.name if path.is_dir() else path.stem
    unique, counter = stem, 2
    while unique in used:
        unique, counter = f"{stem}_{counter}", counter + 1
    used.add(unique)
    try:
        with stack:
            segment_stack(seg, stack, output_dir, unique, token, emit, reporter, result, **options)
    except JobCancelled:
        result.cancelled = True
        raise


@dataclass
class SegmentResult:
    written: list[str] = field(default_factory=list)  # label maps written
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input path, reason)
    kept: list[str] = field(default_factory=list)  # existing label maps left alone (skip_existing)
    cancelled: bool = False


def segment_images_job(run_dir, image_paths, output_dir, token: CancelToken, emit: Emit, *,
                       overlay: bool = False, segmenter: Segmenter | None = None,
                       skip_existing: bool = False, instances=None, stack_tiff: bool = False) -> SegmentResult:
    """Segment ``image_paths`` into ``output_dir/<stem>.png`` palette label maps (the input's size).

    A job body: reports Progress per image and a Message per unreadable file (skipped, listed in the
    result), checks ``token`` between tiles. Wrap it for the worker bridge with
    ``functools.partial(segment_images_job, run_dir, paths, out)``. With ``overlay``, also writes
    ``<stem>_overlay.png``. Pass an already loaded ``segmenter`` to skip loading the run. With
    ``skip_existing`` an existing ``<stem>.png`` is kept (segmenting a workspace's unannotated images into
    its ``masks/`` never overwrites masks a person made or corrected). With ``instances`` (a
    ``core.segmentation.instances.InstanceOptions``) each class is split into instances ("cell 1", "cell 2",
    ...; at most 255 per label map, the rest reported).

    Stacks (a file with several frames, or a numbered-sequence folder) are segmented frame by frame into
    ``<stem>/<index:04d>.png`` (a workspace's per-frame mask layout), or with ``stack_tiff`` into one label
    TIFF stack ``<stem>.tif``; progress counts frames (see ``core.unet.stack_segment``).
    """
    from core.atomic import atomic_save
    from core.imageio import ImageLoadError, load_image
    from core.jobs import JobCancelled
    from core.maskio import write_mask

    paths = [Path(p) for p in image_paths]
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    seg = segmenter or load_segmenter(run_dir)
    depths = [_depth(path) for path in paths]
    reporter = ProgressReporter(emit, sum(depths))
    result = SegmentResult()
    used: set[str] = set()
    for path, depth in zip(paths, depths, strict=True):
        try:
            token.check()
        except JobCancelled:
            result.cancelled = True
            raise
        if depth > 1 or path.is_dir():
            _segment_stack(seg, path, output_dir, used, token, emit, reporter, result, overlay=overlay,
                           skip_existing=skip_existing, instances=instances, stack_tiff=stack_tiff)
            continue
        if skip_existing and (output_dir / f"{path.stem}.png").exists():
            result.kept.append(str(output_dir / f"{path.stem}.png"))
            used.add(path.stem)
            reporter.advance(1, message=path.name)
            continue
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            result.failed.append((str(path), exc.reason))
            emit(Message(text=f"skipped {exc}", level="warning"))
            reporter.advance(1, message=path.name)
            continue
        labels, _ = seg.predict(image.rgb, token)
        names = seg.class_names or None
        if instances is not None:
            from core.segmentation.instances import split_all

            edit = split_all(labels, names, instances, token)
            labels, names = edit.labels, edit.names
            if edit.dropped:
                emit(Message(text=f"{path.name}: {edit.dropped} instance(s) beyond the 255 a label map holds were "
                                  "left out (export the class map with --instances to a uint16 label TIFF "
                                  "instead)", level="warning"))
        stem, counter = path.stem, 2
        while stem in used:  # a.png and a.jpg must not overwrite each other's label map
            stem, counter = f"{path.stem}_{counter}", counter + 1
        used.add(stem)
        target = write_mask(output_dir / f"{stem}.png", labels, names=names)
        result.written.append(str(target))
        if overlay:
            from PIL import Image

            picture = Image.fromarray(overlay_image(image.rgb, labels))
            atomic_save(output_dir / f"{stem}_overlay.png", lambda handle, p=picture: p.save(handle, format="PNG"))
        reporter.advance(1, message=path.name)
    return result

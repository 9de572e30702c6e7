"""The training input pipeline: random full-resolution crops (whole images are never resized, so the model
sees pixels at the scale it will segment them) with flips, 90-degree rotations, brightness/contrast and
elastic deformation.

Every batch is a pure function of (seed, step) — image choice from ``batch_indices``, crop position and
augmentation from stateless random ops seeded by the example's global position — so a resumed run gets
exactly the batches an uninterrupted one would. Images of any sizes are packed into one flat tensor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Augment:
    flips: bool = True
    rotations: bool = True  # multiples of 90 degrees
    brightness: float = 0.1  # added offset in [-b, b] (images in [0, 1])
    contrast: float = 0.2  # contrast factor in [1/(1+c), 1+c]
    elastic: float = 0.5  # probability of an elastic deformation
    elastic_alpha: float = 6.0  # displacement standard deviation in pixels
    elastic_grid: int = 4  # control points per side (smooth displacement field)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict | None) -> Augment:
        params = params or {}
        return cls(**{k: params[k] for k in cls.__dataclass_fields__ if k in params})

    @classmethod
    def none(cls) -> Augment:
        return cls(flips=False, rotations=False, brightness=0.0, contrast=0.0, elastic=0.0)


def pad_to(array: np.ndarray, min_side: int) -> np.ndarray:
    """Reflect-pad (edge-pad for 1-pixel sides) so both sides are at least ``min_side``."""
    h, w = array.shape[:2]
    pad_h, pad_w = max(0, min_side - h), max(0, min_side - w)
    if not pad_h and not pad_w:
        return array
    widths = [(pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)] + [(0, 0)] * (array.ndim - 2)
    mode = "reflect" if min(h, w) > 1 else "edge"
    return np.pad(array, widths, mode=mode)


class PackedImages:
    """Images and label maps of different sizes in flat uint8 tensors, with offsets and shapes."""

    def __init__(self, images, labels, min_side: int):
        import itertools

        images = [pad_to(np.asarray(im, np.uint8), min_side) for im in images]
        labels = [pad_to(np.asarray(lab, np.uint8), min_side) for lab in labels]
        self.count = len(images)
        self.shapes = np.array([im.shape[:2] for im in images], np.int64).reshape(-1, 2)
        sizes = self.shapes[:, 0] * self.shapes[:, 1]
        self.offsets = np.array([0, *itertools.accumulate(sizes.tolist())][:-1], np.int64)
        self.images = np.concatenate([im.reshape(-1, 3) for im in images]) if images else np.zeros((0, 3), np.uint8)
        self.labels = np.concatenate([lab.reshape(-1) for lab in labels]) if labels else np.zeros(0, np.uint8)


def _bilinear_flat(pixels, base, w, rows, cols, h):
    """Sample an image stored flat from ``pixels[base]`` (row length ``w``, ``h`` rows, C channels, uint8) at
    float coordinates (S, S) with bilinear interpolation (clamped at the border): four gathers of S*S pixels
    straight from the packed tensor, so neither the image nor a float copy of it is ever materialised."""
    from core.runtime import tensorflow

    tf = tensorflow()
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    rows = tf.clip_by_value(rows, 0.0, hf - 1.0)
    cols = tf.clip_by_value(cols, 0.0, wf - 1.0)
    r0, c0 = tf.floor(rows), tf.floor(cols)
    fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
    r0, c0 = tf.cast(r0, tf.int64), tf.cast(c0, tf.int64)
    r1 = tf.minimum(r0 + 1, tf.cast(h, tf.int64) - 1)
    c1 = tf.minimum(c0 + 1, tf.cast(w, tf.int64) - 1)
    w64 = tf.cast(w, tf.int64)

    def at(r, c):
        return tf.cast(tf.gather(pixels, base + r * w64 + c), tf.float32)

    top = at(r0, c0) * (1 - fc) + at(r0, c1) * fc
    bottom = at(r1, c0) * (1 - fc) + at(r1, c1) * fc
    return top * (1 - fr) + bottom * fr


def make_dataset(packed: PackedImages, crop: int, global_batch: int, start_step: int, seed: int,
                 augment: Augment):
    """Endless batches ``(images float32 (B, S, S, 3) in [0, 1], labels int32 (B, S, S))`` from step
    ``start_step`` on.

    Host work per crop is kept small (it runs on the same cores as training, profiled at 4 ms a crop before
    this layout): crops are cut from the packed tensors without copying whole images, the geometric
    augmentations run on uint8 pixels and labels stacked together, and brightness, contrast and the
    scaling to [0, 1] are one multiply-add.
    """
    from core.runtime import tensorflow
    from core.training.data import batch_indices

    tf = tensorflow()
    if packed.count == 0:
        raise ValueError("no training pairs")
    images = tf.constant(packed.images)
    labels = tf.constant(packed.labels)
    shapes = tf.constant(packed.shapes)
    offsets = tf.constant(packed.offsets)
    s = int(crop)
    batch = int(global_batch)
    aug = augment

    def example(position, index):
        shape = shapes[index]
        h, w = shape[0], shape[1]
        start = offsets[index]
        key = tf.stack([tf.constant(seed, tf.int64), position])
        u = tf.random.stateless_uniform([8], seed=key)
        top = tf.cast(tf.floor(u[0] * tf.cast(h - s + 1, tf.float32)), tf.int64)
        left = tf.cast(tf.floor(u[1] * tf.cast(w - s + 1, tf.float32)), tf.int64)
        top = tf.minimum(top, h - s)
        left = tf.minimum(left, w - s)

        def plain():
            # the band of rows holding the crop, then its columns: copies s*w pixels, not the image
            first, last = start + top * w, start + (top + s) * w
            x = tf.reshape(images[first:last], [s, w, 3])[:, left:left + s]
            y = tf.reshape(labels[first:last], [s, w])[:, left:left + s]
            return x, y

        def elastic():
            # A smooth displacement field: random vectors on a coarse grid, upsampled bicubically.
            grid = tf.random.stateless_normal([1, aug.elastic_grid, aug.elastic_grid, 2],
                                              seed=key + tf.constant([1, 0], tf.int64)) * aug.elastic_alpha
            field = tf.image.resize(grid, [s, s], method="bicubic")[0]
            rr, cc = tf.meshgrid(tf.range(s, dtype=tf.float32), tf.range(s, dtype=tf.float32), indexing="ij")
            rows = rr + tf.cast(top, tf.float32) + field[..., 0]
            cols = cc + tf.cast(left, tf.float32) + field[..., 1]
            sampled = _bilinear_flat(images, start, w, rows, cols, h)
            x = tf.cast(tf.round(sampled), tf.uint8)  # uint8 like the plain crop (< 0.5 grey levels off)
            hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
            nearest_r = tf.cast(tf.clip_by_value(tf.round(rows), 0, hf - 1), tf.int64)
            nearest_c = tf.cast(tf.clip_by_value(tf.round(cols), 0, wf - 1), tf.int64)
            y = tf.gather(labels, start + nearest_r * w + nearest_c)
            return x, y

        if aug.elastic > 0:
            x, y = tf.cond(u[2] < aug.elastic, elastic, plain)
        else:
            x, y = plain()
        if aug.flips or aug.rotations:  # one flip / rotation for pixels and labels together (uint8)
            xy = tf.concat([x, y[..., None]], axis=-1)
            if aug.flips:
                xy = tf.cond(u[3] < 0.5, lambda: xy[:, ::-1], lambda: xy)
            if aug.rotations:
                xy = tf.image.rot90(xy, tf.cast(tf.floor(u[4] * 4.0), tf.int32))
            x, y = xy[..., :3], xy[..., 3]
        x = tf.cast(x, tf.float32)
        if aug.brightness > 0 or aug.contrast > 0:
            # contrast about the crop's mean, then brightness, as one multiply-add: x/255 * f + m (1 - f) + b
            factor = tf.exp((u[5] * 2.0 - 1.0) * float(np.log1p(aug.contrast))) if aug.contrast > 0 else 1.0
            mean = tf.reduce_mean(x) / 255.0 if aug.contrast > 0 else 0.0
            offset = mean * (1.0 - factor) + ((u[6] * 2.0 - 1.0) * aug.brightness if aug.brightness > 0 else 0.0)
            x = tf.clip_by_value(x * (factor / 255.0) + offset, 0.0, 1.0)
        else:
            x = x / 255.0
        return tf.ensure_shape(x, [s, s, 3]), tf.ensure_shape(tf.cast(y, tf.int32), [s, s])

    steps = tf.data.Dataset.range(int(start_step), 2**62)
    indices = batch_indices(packed.count, batch, start_step, seed)

    def per_example(step, idx):
        positions = step * batch + tf.range(batch, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((positions, idx))

    dataset = tf.data.Dataset.zip((steps, indices)).flat_map(per_example)
    dataset = dataset.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(batch, drop_remainder=True).prefetch(2)

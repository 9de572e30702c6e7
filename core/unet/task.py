"""``unet``: the segmentation task the training engine runs.

Params (saved in config.json): ``source`` (a data source, see dataset.PairScan.source), ``num_classes``,
the model's UNetSpec fields, ``crop``, ``loss``, ``class_weights`` (None, "auto" or a list), ``augment``
(pipeline.Augment fields), ``val_fraction``, ``init_from`` (a run folder whose weights start this run:
retraining from corrections), ``class_names``, ``masks`` (how the masks are read: a MaskDecision's params).
"""

from __future__ import annotations

import numpy as np

from core.masks.classes import MaskDecision, MaskOverride
from core.palette import LABEL_COLORS
from core.runtime import tensorflow
from core.training.precision import wrap_optimizer
from core.training.task import Task, register_task
from core.unet.dataset import SegmentationData, load_data, scan_source, split_indices
from core.unet.losses import LOSSES, segmentation_loss
from core.unet.model import UNetSpec, build_unet
from core.unet.pipeline import Augment, PackedImages, make_dataset, pad_to

SAMPLE_CROPS = 4


def auto_class_weights(class_pixels: np.ndarray) -> list[float]:
    """Inverse square-root frequency, normalised to mean 1: rare classes count more, without the
    instability of full inverse-frequency weights."""
    counts = np.maximum(np.asarray(class_pixels, np.float64), 1.0)
    weights = (counts.sum() / counts) ** 0.5
    return (weights / weights.mean()).round(4).tolist()


SAMPLE_COLUMNS = ("image", "truth", "prediction")
SAMPLE_GAP = 4  # white pixels between columns and rows of the sample grid


def _header(caption: str, cell: int, columns=SAMPLE_COLUMNS, gap: int = SAMPLE_GAP) -> np.ndarray:
    """The strip above the sample grid: a caption line, then each column's title centred over it, in a font
    sized to the crops (the grid is shown scaled down to fit the Samples pane: 8 px bitmap text was unreadable
    there)."""
    from PIL import Image, ImageDraw, ImageFont

    width = len(columns) * cell + (len(columns) - 1) * gap
    size = max(10, min(22, cell // 7))
    font = ImageFont.load_default(size=size)  # Pillow's bundled scalable font: nothing to install or download
    line = size + size // 2
    strip = Image.new("RGB", (width, 2 * line + 2), (255, 255, 255))
    draw = ImageDraw.Draw(strip)
    caption_font = font
    while caption_font.getlength(caption) > width - 4 and caption_font.size > 7:  # narrow grids: smaller text
        caption_font = ImageFont.load_default(size=caption_font.size - 1)
    draw.text((width / 2, line / 2), caption, fill=(0, 0, 0), font=caption_font, anchor="mm")
    for index, title in enumerate(columns):
        if font.getlength(title) > cell + gap:  # small crops: "pred" rather than a clipped "prediction"
            title = {"image": "img", "prediction": "pred"}.get(title, title)
        centre = index * (cell + gap) + cell / 2
        draw.text((centre, line + line / 2), title, fill=(90, 90, 90), font=font, anchor="mm")
    return np.asarray(strip)


def colourise(labels: np.ndarray) -> np.ndarray:
    return LABEL_COLORS[np.asarray(labels, np.uint8)]


@register_task
class UNetTask(Task):
    name = "unet"

    # parameters --------------------------------------------------------------------------------------
    @property
    def spec(self) -> UNetSpec:
        return UNetSpec.from_params(self.params)

    @property
    def crop(self) -> int:
        return int(self.params.get("crop", 256))

    def _validate(self) -> None:
        spec = self.spec
        spec.validate()
        if self.crop % spec.multiple:
            raise ValueError(f"crop {self.crop} must be a multiple of {spec.multiple} (2 ** depth)")
        if self.params.get("loss", "ce+dice") not in LOSSES:
            raise ValueError(f"unknown loss {self.params.get('loss')!r} (known: {', '.join(LOSSES)})")
        if "source" not in self.params:
            raise ValueError("the unet task needs a data source (params['source'])")

    # data --------------------------------------------------------------------------------------------
    def _load(self) -> None:
        if getattr(self, "_train", None) is not None:
            return
        self._validate()
        masks = self.params.get("masks")  # the decision made at setup: the masks read the same way every time
        override = MaskOverride.of(MaskDecision.from_params(masks)) if masks else None
        data = load_data(scan_source(self.params["source"]), num_classes=self.spec.num_classes, override=override)
        if len(data) == 0:
            details = "; ".join(str(p) for p in data.problems[:5])
            raise ValueError(f"no usable image/mask pairs in {self.params['source']}" +
                             (f" ({details})" if details else ""))
        train_idx, val_idx = split_indices(len(data), float(self.params.get("val_fraction", 0.2)), self.seed)
        self._train: SegmentationData = data.subset(train_idx)
        self._val: SegmentationData = data.subset(val_idx)
        self.problems = data.problems
        self._packed = PackedImages(self._train.images, self._train.labels, self.crop)
        weights = self.params.get("class_weights")
        self._class_weights = auto_class_weights(self._train.class_pixels) if weights == "auto" else weights
        self._fixed = self._fixed_crops()

    def _fixed_crops(self):
        """Centre crops of validation images (training images when there is no validation split)."""
        source = self._val if len(self._val) else self._train
        side = min(self.crop, 256)
        side -= side % self.spec.multiple
        images, labels = [], []
        for i in range(SAMPLE_CROPS):
            k = i % len(source)
            img, lab = pad_to(source.images[k], side), pad_to(source.labels[k], side)
            h, w = lab.shape
            # different images, or different places of the same image when there are few
            repeat = i // len(source)
            top = (h - side) // 2 if repeat == 0 else (h - side) * (repeat % 2)
            left = (w - side) // 2 if repeat == 0 else (w - side) * ((repeat // 2) % 2)
            images.append(img[top:top + side, left:left + side])
            labels.append(lab[top:top + side, left:left + side])
        return np.stack(images), np.stack(labels)

    def dataset(self, global_batch_size, start_step=0):
        self._load()
        augment = Augment.from_params(self.params.get("augment"))
        return make_dataset(self._packed, self.crop, global_batch_size, start_step, self.seed, augment)

    def steps_per_epoch(self, global_batch_size):
        """One epoch = as many crops as it takes to cover the training pixels once."""
        self._load()
        pixels = float(sum(lab.size for lab in self._train.labels))
        return max(1, int(round(pixels / (self.crop * self.crop * global_batch_size))))

    # model -------------------------------------------------------------------------------------------
    def build_models(self, learning_rates):
        import keras

        self._load()
        model = build_unet(self.spec, precision=self.precision)
        init_from = self.params.get("init_from")
        if init_from:
            from core.unet.inference import load_run_weights

            load_run_weights(model, init_from)
        self.models["unet"] = model
        self.optimizers["main"] = wrap_optimizer(keras.optimizers.Adam(learning_rates["main"]), self.precision)
        self.optimizers["main"].build(model.trainable_variables)  # slots before tracing (see Task.build)

    def train_step(self, batch, global_batch_size):
        tf = tensorflow()
        images, labels = batch
        model, optimizer, spec = self.models["unet"], self.optimizers["main"], self.spec
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            per_example = segmentation_loss(self.params.get("loss", "ce+dice"), logits, labels, spec.num_classes,
                                            spec.binary_sigmoid, self._class_weights)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            scaled = optimizer.scale_loss(loss)  # float16 only: loss scaling against underflow
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        if spec.binary_sigmoid:
            predicted = tf.cast(logits[..., 0] > 0, tf.int32)
        else:
            predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
        truth = tf.cast(labels, tf.int32)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, truth), tf.float32))
        ious = []
        for c in range(spec.num_classes):
            p, t = tf.equal(predicted, c), tf.equal(truth, c)
            inter = tf.reduce_sum(tf.cast(p & t, tf.float32))
            union = tf.reduce_sum(tf.cast(p | t, tf.float32))
            ious.append(tf.where(union > 0, inter / tf.maximum(union, 1.0), 1.0))
        return {"loss": tf.reduce_mean(per_example), "pixel_accuracy": accuracy,
                "iou": tf.add_n(ious) / float(len(ious))}

    # pictures ----------------------------------------------------------------------------------------
    def predict_fixed(self) -> np.ndarray:
        from core.unet.model import probabilities_from_logits

        images, _ = self._fixed
        logits = self.models["unet"](images.astype(np.float32) / 255.0, training=False)
        return np.argmax(np.asarray(probabilities_from_logits(logits, self.spec)), axis=-1).astype(np.uint8)

    def sample_grid(self, step):
        """Rows of image | truth | prediction on fixed validation crops, under a caption with their IoU."""
        from core.unet.metrics import segmentation_scores

        images, labels = self._fixed
        predicted = self.predict_fixed()
        self.last_validation = segmentation_scores(labels, predicted, self.spec.num_classes)
        rows = []
        for img, truth, pred in zip(images, labels, predicted, strict=True):
            gap = np.full((img.shape[0], SAMPLE_GAP, 3), 255, np.uint8)
            rows.append(np.concatenate([img, gap, colourise(truth), gap, colourise(pred)], axis=1))
            rows.append(np.full((SAMPLE_GAP, rows[-1].shape[1], 3), 255, np.uint8))
        grid = np.concatenate(rows[:-1], axis=0)
        which = "validation" if len(self._val) else "training"
        caption = f"step {step} · {which} IoU {self.last_validation.mean_iou:.3f}"
        return np.concatenate([_header(caption, images.shape[2]), grid], axis=0)

    def architecture(self) -> dict:
        return {"task": self.name, "model": self.spec.to_dict(), "params": self.params}

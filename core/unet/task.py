"""``unet``: the segmentation task the training engine runs.

Params (saved in config.json): ``source`` (a data source, see dataset.PairScan.source), ``num_classes``,
the model's UNetSpec fields, ``crop``, ``loss``, ``class_weights`` (None, "auto" or a list), ``augment``
(pipeline.Augment fields), ``val_fraction``, ``init_from`` (a run folder whose weights start this run:
retraining from corrections), ``class_names``, ``masks`` (how the masks are read: a MaskDecision's params),
``ema`` (momentum of the optimizer's moving average of the weights; 0 or absent = none).

Training-batch metrics: ``loss``, ``pixel_accuracy`` and ``foreground_iou`` (the mean IoU of the object
classes, background left out: a batch that is mostly background would otherwise read as a success). The
validation hook calls ``start_evaluation``: the validation images, whole, through the same sliding-window
inference ``seggan segment`` uses, with the weights ``segment`` would use (the averaged ones when ``ema``).
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


def foreground_iou(predicted, truth, num_classes: int):
    """The mean IoU of the object classes 1..K-1 over the whole batch (pooled, not per crop), counting only
    classes present in the truth or the prediction; NaN when none is (undefined, left out of the mean)."""
    tf = tensorflow()
    ious, present = [], []
    for c in range(1, num_classes):
        p, t = tf.equal(predicted, c), tf.equal(truth, c)
        inter = tf.reduce_sum(tf.cast(p & t, tf.float32))
        union = tf.reduce_sum(tf.cast(p | t, tf.float32))
        ious.append(inter / tf.maximum(union, 1.0))
        present.append(tf.cast(union > 0, tf.float32))
    count = tf.add_n(present)
    return tf.where(count > 0, tf.add_n([i * k for i, k in zip(ious, present, strict=True)]) / tf.maximum(count, 1.0),
                    float("nan"))


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
        ema = float(self.params.get("ema") or 0.0)
        # Keras keeps the average inside the optimizer (updated in the traced step, saved with its slots),
        # the way keras.callbacks.SwapEMAWeights expects; the model's own weights stay the optimizer's.
        # float16 wraps it in a loss-scale optimizer: the average lives in the inner one (see _adam).
        adam = keras.optimizers.Adam(learning_rates["main"], use_ema=ema > 0, ema_momentum=ema if ema > 0 else 0.99)
        self.optimizers["main"] = wrap_optimizer(adam, self.precision)
        self.optimizers["main"].build(model.trainable_variables)  # slots before tracing (see Task.build)
        self._pending: list = []

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
        return {"loss": tf.reduce_mean(per_example), "pixel_accuracy": accuracy,
                "foreground_iou": foreground_iou(predicted, truth, spec.num_classes)}

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
        foreground = [v for v in self.last_validation.iou[1:] if not np.isnan(v)]
        score = f"{np.mean(foreground):.3f}" if foreground else "-"
        caption = f"step {step} · {which} crops · foreground IoU {score}"
        return np.concatenate([_header(caption, images.shape[2]), grid], axis=0)

    def architecture(self) -> dict:
        return {"task": self.name, "model": self.spec.to_dict(), "params": self.params}

    # validation --------------------------------------------------------------------------------------
    evaluates = True

    def _validation_source(self) -> SegmentationData:
        return self._val if len(self._val) else self._train

    def evaluation_label(self) -> str:
        self._load()
        count = len(self._validation_source())
        kind = "validation" if len(self._val) else "training"
        return f"{count} {kind} image{'s' if count != 1 else ''}, whole"

    def evaluation_warning(self) -> str:
        self._load()
        if len(self._val):
            return ""
        return (f"too few images for a validation split ({len(self._train)} pair(s), val_fraction "
                f"{self.params.get('val_fraction', 0.2)}): validating on the training images, which says how "
                "well the model fits them, not how well it generalises")

    @property
    def _adam(self):
        """The optimizer that keeps the moving average (inside float16's loss-scale wrapper, if any)."""
        optimizer = self.optimizers["main"]
        return getattr(optimizer, "inner_optimizer", optimizer)

    @property
    def averaging(self) -> bool:
        return bool(self._adam.use_ema)

    def _measured_weights(self) -> list[np.ndarray]:
        """The weights ``segment`` would use, as arrays in ``model.weights`` order: the optimizer's moving
        average of the trainable weights (when ``ema``) with the live batch-norm statistics."""
        model, optimizer = self.models["unet"], self._adam
        values = [np.array(v) for v in model.weights]
        if self.averaging:
            position = {id(v): i for i, v in enumerate(model.weights)}
            for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average,
                                    strict=True):
                values[position[id(var)]] = np.array(average)
        return values

    def _scoring_segmenter(self, weights: list[np.ndarray]):
        from core.unet.inference import Segmenter

        if getattr(self, "_segmenter", None) is None:
            # A model of its own (outside any distribution strategy), so measuring never touches training.
            self._segmenter = Segmenter(build_unet(self.spec, name="unet"), self.spec)
        self._segmenter.set_weights(weights)
        return self._segmenter

    def start_evaluation(self, step, elapsed_s):
        import time

        from core.training.evaluation import Evaluation
        from core.training.task import save_weights_atomically
        from core.unet.validation import MONITOR, score_images

        start = time.monotonic()
        weights = self._measured_weights()
        segmenter = self._scoring_segmenter(weights)
        source = self._validation_source()
        values = score_images(segmenter, source.images, source.labels, self.params.get("loss", "ce+dice"),
                              self._class_weights, self.params.get("class_names"))

        def save(folder):
            segmenter.model.set_weights(weights)
            return [save_weights_atomically(segmenter.model, folder / "unet.weights.h5")]

        self._pending.append(Evaluation(step=step, values=values, monitor=MONITOR, mode="max",
                                        weights="ema" if self.averaging else "live", save=save,
                                        seconds=time.monotonic() - start, label=self.evaluation_label(),
                                        extra={"elapsed_s": elapsed_s}))

    def finished_evaluations(self, wait=False):
        done, self._pending = self._pending, []
        return done

    def save_final(self, model_dir):
        """The final weights, and the averaged ones in ``model/ema/`` when the run keeps an average."""
        from core.training.task import save_weights_atomically

        variants = super().save_final(model_dir)
        if self.averaging:
            (model_dir / "ema").mkdir(parents=True, exist_ok=True)
            model = self._scoring_segmenter(self._measured_weights()).model
            variants["ema"] = [save_weights_atomically(model, model_dir / "ema" / "unet.weights.h5")]
        return variants

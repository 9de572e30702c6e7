"""``autoencoder-check``: a tiny convolutional autoencoder on generated shapes.

It exists to check that a machine (or a cluster: TF_CONFIG on each worker) can train end to end:
data pipeline, distributed steps, checkpoints, summaries and sample grids, in seconds, with no data.
"""

from __future__ import annotations

import numpy as np

from core.runtime import tensorflow
from core.training.data import batch_indices
from core.training.task import Task, register_task


def generated_shapes(count: int, size: int, seed: int) -> np.ndarray:
    """``count`` RGB images (float32 in [0, 1]) of one coloured disc or square on a darker background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    images = np.empty((count, size, size, 3), np.float32)
    for index in range(count):
        background = rng.uniform(0.0, 0.35, 3)
        colour = rng.uniform(0.45, 1.0, 3)
        cy, cx = rng.uniform(size * 0.25, size * 0.75, 2)
        radius = rng.uniform(size * 0.12, size * 0.3)
        if rng.random() < 0.5:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        else:
            inside = (np.abs(yy - cy) <= radius) & (np.abs(xx - cx) <= radius)
        image = np.where(inside[..., None], colour, background)
        images[index] = image.astype(np.float32)
    return images


@register_task
class AutoencoderCheckTask(Task):
    name = "autoencoder-check"

    @property
    def size(self) -> int:
        return int(self.params.get("size", 32))

    @property
    def count(self) -> int:
        return int(self.params.get("dataset_size", 512))

    @property
    def width(self) -> int:
        return int(self.params.get("width", 16))

    def build_models(self, learning_rates):
        import keras

        from core.training.precision import policy_name, wrap_optimizer

        size, width = self.size, self.width
        dtype = policy_name(self.precision)  # the output layer stays float32: the loss is computed in float32
        inputs = keras.Input((size, size, 3))
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", dtype=dtype)(inputs)
        x = keras.layers.Conv2D(width * 2, 3, strides=2, padding="same", activation="relu", dtype=dtype)(x)
        x = keras.layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu", dtype=dtype)(x)
        x = keras.layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu", dtype=dtype)(x)
        outputs = keras.layers.Conv2D(3, 1, activation="sigmoid", dtype="float32")(x)
        self.models["autoencoder"] = keras.Model(inputs, outputs, name="autoencoder")
        self.optimizers["main"] = wrap_optimizer(keras.optimizers.Adam(learning_rates["main"]), self.precision)
        # Create the optimizer's slot variables here, inside the strategy scope: left to the first
        # apply_gradients they would be created inside the traced step, which fails under MirroredStrategy
        # with several local replicas ("You must feed a value for placeholder tensor ...").
        self.optimizers["main"].build(self.models["autoencoder"].trainable_variables)
        self._images = generated_shapes(self.count, size, self.seed)
        self._fixed = self._images[:8]

    def dataset(self, global_batch_size, start_step=0):
        tf = tensorflow()
        images = getattr(self, "_images", None)
        if images is None:
            images = generated_shapes(self.count, self.size, self.seed)
        table = tf.constant(images)
        batches = batch_indices(len(images), global_batch_size, start_step, self.seed)
        return batches.map(lambda idx: tf.gather(table, idx)).prefetch(2)

    def steps_per_epoch(self, global_batch_size):
        return max(1, self.count // global_batch_size)

    def train_step(self, batch, global_batch_size):
        tf = tensorflow()
        model = self.models["autoencoder"]
        optimizer = self.optimizers["main"]
        with tf.GradientTape() as tape:
            reconstruction = model(batch, training=True)
            per_example = tf.reduce_mean(tf.square(reconstruction - batch), axis=[1, 2, 3])
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            scaled = optimizer.scale_loss(loss)  # float16 only: loss scaling against underflow
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        mse = tf.reduce_mean(per_example)
        return {"loss": mse, "psnr": -10.0 * tf.math.log(mse + 1e-10) / tf.math.log(10.0)}

    def sample_grid(self, step):
        reconstruction = self.models["autoencoder"](self._fixed, training=False)
        reconstruction = np.asarray(reconstruction)
        # 4 columns: a row of inputs, then their reconstructions below them, twice.
        rows = []
        for start in (0, 4):
            rows.append(np.concatenate(list(self._fixed[start:start + 4]), axis=1))
            rows.append(np.concatenate(list(reconstruction[start:start + 4]), axis=1))
        grid = np.concatenate(rows, axis=0)
        grid = np.clip(np.rint(grid * 255), 0, 255).astype(np.uint8)
        return np.repeat(np.repeat(grid, 2, axis=0), 2, axis=1)

"""``gan``: a DCGAN-family GAN as a training-engine task.

Each step updates D and G together from one generator pass (as the TF DCGAN tutorial does), with the
chosen loss, optional R1 / gradient penalty, and an exponential moving average of G's weights (the EMA
generator makes the samples, the sample grids and the saved model). Sample quality (multi-scale SWD of the EMA
generator's samples against real images) is the task's evaluation: the validation hook starts it after the
first step and every ``quality_every`` steps, it runs on a host thread while training goes on, and lands in
the metrics row of the step it measured as ``swd`` (with ``swd_floor``, the real-vs-real distance, in the
first one). The best-weights hook keeps the generator snapshot with the lowest SWD.
"""

from __future__ import annotations

import threading

import numpy as np

from core.gan.data import GanData, load_gan_data
from core.gan.latent import latents_for_seeds
from core.gan.losses import check_loss, discriminator_loss, generator_loss, gradient_penalty, r1_penalty
from core.gan.models import GanArch, build_discriminator, build_generator
from core.gan.quality import swd
from core.runtime import tensorflow
from core.training.data import batch_indices
from core.training.precision import wrap_optimizer
from core.training.task import Task, register_task

DEFAULTS = {
    "data": "procedural", "size": 32, "channels": None, "conditional": "auto", "latent_dim": 64, "width": 32,
    "loss": "nonsaturating", "r1": 0.0, "gp": 10.0, "ema": 0.999, "spectral_norm": False, "beta1": 0.5,
    "dataset_limit": None, "quality_every": 500, "quality_samples": 256,
}
GRID_SIDE = 8  # sample grids are 8 x 8, seeds 0..63 (the GAN panel shows the same seeds)


def images_to_float(images):
    tf = tensorflow()
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def tile(images: np.ndarray, columns: int, scale: int = 1) -> np.ndarray:
    """N x h x w x c uint8 -> one HxWx3 picture, ``columns`` per row, 1 px dark gaps, pixels x ``scale``."""
    count, h, w, c = images.shape
    rows = -(-count // columns)
    if c == 1:
        images = np.repeat(images, 3, axis=-1)
    if scale > 1:
        images = np.repeat(np.repeat(images, scale, axis=1), scale, axis=2)
        h, w = h * scale, w * scale
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1, 3), 24, np.uint8)
    for index in range(count):
        r, col = divmod(index, columns)
        out[r * (h + 1):r * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = images[index]
    return out


class _QualityMonitor:
    """Runs SWD on a daemon thread; at most one computation at a time, new requests while busy are dropped."""

    def __init__(self, real: np.ndarray, seed: int):
        self.real = real
        self.seed = seed
        self.busy = threading.Lock()

    def floor(self) -> float:
        half = len(self.real) // 2
        return swd(self.real[:half], self.real[half:2 * half], seed=self.seed)[0]

    def submit(self, fake: np.ndarray, on_done) -> bool:
        if not self.busy.acquire(blocking=False):
            return False

        def work():
            try:
                on_done(swd(self.real[:len(fake)], fake, seed=self.seed)[0])
            finally:
                self.busy.release()

        threading.Thread(target=work, name="gan-swd", daemon=True).start()
        return True

    def wait(self, timeout: float = 30.0) -> None:
        if self.busy.acquire(timeout=timeout):
            self.busy.release()


@register_task
class GanTask(Task):
    name = "gan"

    def __init__(self, params, seed):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown GAN parameters: {', '.join(sorted(unknown))}")
        super().__init__({**DEFAULTS, **params}, seed)
        check_loss(self.params["loss"])
        self.data: GanData | None = None
        self._finished: list = []  # Evaluations the quality thread finished, not yet collected
        self._finished_lock = threading.Lock()

    # data -------------------------------------------------------------------------------------------------
    def load_data(self) -> GanData:
        if self.data is None:
            p = self.params
            data = load_gan_data(p["data"], int(p["size"]), p["channels"], seed=self.seed)
            if p["dataset_limit"]:
                data.images = data.images[:int(p["dataset_limit"])]
                data.labels = None if data.labels is None else data.labels[:int(p["dataset_limit"])]
            if len(data.images) < 2:
                raise ValueError(f"{p['data']}: a GAN needs at least 2 training images, found {len(data.images)}")
            self.data = data
        return self.data

    @property
    def arch(self) -> GanArch:
        data = self.load_data()
        p = self.params
        conditional = p["conditional"]
        if conditional == "auto":
            conditional = data.num_classes >= 2
        if conditional and data.num_classes < 2:
            raise ValueError(f"{p['data']}: class-conditional training needs labelled data with 2 or more "
                             "classes (IDX labels or one subfolder per class)")
        return GanArch(size=int(p["size"]), channels=data.channels, latent_dim=int(p["latent_dim"]),
                       width=int(p["width"]), num_classes=data.num_classes if conditional else 0,
                       spectral_norm=bool(p["spectral_norm"]))

    def architecture(self) -> dict:
        data = self.load_data()
        return {"task": self.name, "params": self.params, "arch": self.arch.to_dict(),
                "class_names": list(data.class_names) if self.arch.num_classes else []}

    def dataset(self, global_batch_size, start_step=0):
        tf = tensorflow()
        data = self.load_data()
        table = tf.constant(data.images)
        batches = batch_indices(len(data.images), global_batch_size, start_step, self.seed)
        if self.arch.num_classes:
            labels = tf.constant(data.labels)
            return batches.map(lambda idx: (images_to_float(tf.gather(table, idx)), tf.gather(labels, idx))
                               ).prefetch(2)
        return batches.map(lambda idx: images_to_float(tf.gather(table, idx))).prefetch(2)

    def steps_per_epoch(self, global_batch_size):
        return max(1, len(self.load_data().images) // global_batch_size)

    # models -----------------------------------------------------------------------------------------------
    def build_models(self, learning_rates):
        import keras

        tensorflow()  # thread settings before Keras builds anything
        arch = self.arch
        p = self.params
        self.models["generator"] = build_generator(arch, precision=self.precision)
        self.models["discriminator"] = build_discriminator(arch, precision=self.precision)
        # The EMA generator only makes samples (host side): float32, whatever the training precision.
        self.models["generator_ema"] = build_generator(arch, name="generator_ema")
        self.models["generator_ema"].set_weights(self.models["generator"].get_weights())
        beta1 = 0.0 if p["loss"] == "wgan-gp" else float(p["beta1"])
        for name in ("generator", "discriminator"):
            optimizer = wrap_optimizer(keras.optimizers.Adam(learning_rates[name], beta_1=beta1,
                                                             beta_2=0.99 if beta1 == 0 else 0.999), self.precision)
            optimizer.build(self.models[name].trainable_variables)
            self.optimizers[name] = optimizer
        rng = np.random.default_rng(self.seed + 7)
        count = min(int(p["quality_samples"]), len(self.data.images) // 2)
        picked = rng.choice(len(self.data.images), 2 * count, replace=False)
        self.quality = _QualityMonitor(self.data.images[picked], self.seed)
        self.swd_floor = self.quality.floor()
        self.quality_labels = self.data.labels[picked[:count]] if arch.num_classes else None
        self._floor_logged = False
        self._ema_pairs = list(zip(self.models["generator_ema"].weights, self.models["generator"].weights,
                                   strict=True))

    def _labels_for(self, count: int) -> np.ndarray | None:
        if not self.arch.num_classes:
            return None
        return (np.arange(count) % self.arch.num_classes).astype(np.int32)

    def _generate(self, z: np.ndarray, labels) -> np.ndarray:
        generator = self.models["generator_ema"]
        inputs = z if labels is None else [z, labels]
        return to_uint8(generator(inputs, training=False))

    def _generate_quality(self, count: int) -> np.ndarray:
        z = np.random.default_rng(self.seed + 11).standard_normal((count, self.arch.latent_dim)).astype(np.float32)
        labels = None if self.quality_labels is None else self.quality_labels[:count]
        return self._generate(z, labels)

    # the step ---------------------------------------------------------------------------------------------
    def train_step(self, batch, global_batch_size):
        tf = tensorflow()
        p, arch = self.params, self.arch
        generator, discriminator = self.models["generator"], self.models["discriminator"]
        if arch.num_classes:
            real, labels = batch
        else:
            real, labels = batch, None
        local = tf.shape(real)[0]
        z = self.rng.normal([local, arch.latent_dim])

        def d_inputs(images):
            return images if labels is None else [images, labels]

        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake = generator(z if labels is None else [z, labels], training=True)
            real_logits = discriminator(d_inputs(real), training=True)
            fake_logits = discriminator(d_inputs(fake), training=True)
            d_per_example = discriminator_loss(p["loss"], real_logits, fake_logits)
            extra = {}
            if p["loss"] == "wgan-gp":
                mix = self.rng.uniform([local])
                penalty = gradient_penalty(discriminator, real, tf.stop_gradient(fake), mix, labels)
                d_per_example += float(p["gp"]) * penalty
                extra["gradient_penalty"] = tf.reduce_mean(penalty)
            if float(p["r1"]) > 0:
                penalty = r1_penalty(discriminator, real, labels)
                d_per_example += 0.5 * float(p["r1"]) * penalty
                extra["r1"] = tf.reduce_mean(penalty)
            d_loss = tf.nn.compute_average_loss(d_per_example, global_batch_size=global_batch_size)
            g_per_example = generator_loss(p["loss"], fake_logits)
            g_loss = tf.nn.compute_average_loss(g_per_example, global_batch_size=global_batch_size)
            # float16 only: loss scaling against underflow (unscaled again by the optimizers)
            d_scaled = self.optimizers["discriminator"].scale_loss(d_loss)
            g_scaled = self.optimizers["generator"].scale_loss(g_loss)
        d_grads = d_tape.gradient(d_scaled, discriminator.trainable_variables)
        g_grads = g_tape.gradient(g_scaled, generator.trainable_variables)
        self.optimizers["discriminator"].apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
        self.optimizers["generator"].apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        # EMA with warm-up (decay grows as (1+n)/(10+n) up to its setting): early samples are not
        # dominated by the random initial weights of a short run.
        n = tf.cast(self.optimizers["generator"].iterations, tf.float32)
        decay = tf.minimum(float(p["ema"]), (1.0 + n) / (10.0 + n))
        for ema_weight, weight in self._ema_pairs:
            if float(p["ema"]) > 0 and weight.trainable:
                ema_weight.assign(decay * ema_weight + (1.0 - decay) * weight)
            else:  # batch-norm statistics (and everything when EMA is off) are copied
                ema_weight.assign(weight)
        if p["loss"] == "nonsaturating":  # D(x) and D(G(z)) as probabilities
            d_real, d_fake = tf.reduce_mean(tf.sigmoid(real_logits)), tf.reduce_mean(tf.sigmoid(fake_logits))
        else:  # raw critic scores
            d_real, d_fake = tf.reduce_mean(real_logits), tf.reduce_mean(fake_logits)
        metrics = {
            "d_loss": tf.reduce_mean(d_per_example), "g_loss": tf.reduce_mean(g_per_example),
            "d_real": d_real, "d_fake": d_fake,
            # scale_loss(1.0) is the float16 loss scale (1 otherwise): report the unscaled norms
            "d_grad_norm": tf.linalg.global_norm(d_grads) / self.optimizers["discriminator"].scale_loss(1.0),
            "g_grad_norm": tf.linalg.global_norm(g_grads) / self.optimizers["generator"].scale_loss(1.0),
        }
        metrics.update(extra)
        return metrics

    # host-side ----------------------------------------------------------------------------------------------
    def sample_grid(self, step):
        count = GRID_SIDE * GRID_SIDE
        z = latents_for_seeds(range(count), self.arch.latent_dim)
        images = self._generate(z, self._labels_for(count))
        scale = 2 if self.arch.size <= 32 else 1
        return tile(images, GRID_SIDE, scale)

    # sample quality: the task's evaluation ------------------------------------------------------------
    @property
    def evaluates(self) -> bool:
        return int(self.params["quality_every"]) > 0

    def default_validation(self) -> dict:
        every = int(self.params["quality_every"])
        return {"every_steps": every, "at_start": True} if every > 0 else {"enabled": False}

    def evaluation_label(self) -> str:
        count = len(self.quality.real) // 2
        return f"{count} samples of the EMA generator against {count} real images (SWD)"

    def start_evaluation(self, step, elapsed_s):
        """Generate the quality samples now and measure them on the quality thread (skipped while the
        previous measurement still runs); the generator's weights of this step go with the result."""
        from core.training.evaluation import Evaluation

        count = len(self.quality.real) // 2
        fake = self._generate_quality(count)
        snapshot = self.models["generator_ema"].get_weights()

        def save(folder):
            model = self._snapshot_model()
            model.set_weights(snapshot)
            target = folder / "generator_ema.weights.h5"
            from core.training.task import save_weights_atomically

            return [save_weights_atomically(model, target)]

        def done(value):
            values = {"swd": float(value)}
            if not self._floor_logged:  # the reference line of the swd plot, measured once at the start
                values["swd_floor"] = float(self.swd_floor)
                self._floor_logged = True
            evaluation = Evaluation(step=step, values=values, monitor="swd", mode="min", weights="ema", save=save,
                                    label=self.evaluation_label(),
                                    extra={"elapsed_s": elapsed_s, "swd_floor": round(float(self.swd_floor), 4)})
            with self._finished_lock:
                self._finished.append(evaluation)

        self.quality.submit(fake, done)

    def _snapshot_model(self):
        if getattr(self, "_snapshot", None) is None:
            self._snapshot = build_generator(self.arch, name="generator_ema")
        return self._snapshot

    def finished_evaluations(self, wait=False):
        if wait:
            self.quality.wait()
        with self._finished_lock:
            done, self._finished = self._finished, []
        return done

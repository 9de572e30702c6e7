"""Exploring a trained generator: samples by seed, truncation, class control, slerp interpolation, GIF export
and latent directions found by PCA (GANSpace, Härkönen et al. 2020).

The generator is rebuilt in code from the run's recorded architecture and gets the saved weights (the EMA
generator's, falling back to the newest checkpoint of a run still training); nothing is deserialised as code.
All methods run TensorFlow: call them from a worker thread in a GUI.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.gan.latent import latent_for_seed, latents_for_seeds, slerp, truncate
from core.gan.models import GanArch, build_generator
from core.gan.task import tile, to_uint8
from core.runtime import tensorflow
from core.training.run_weights import load_run_weights


class GanRunError(ValueError):
    """The folder is not a usable GAN run (with the reason)."""


@dataclass(frozen=True)
class Directions:
    """Principal latent directions: unit vectors in z (rows) and the share of feature variance each explains."""

    vectors: np.ndarray  # k x latent_dim
    explained: np.ndarray  # k


def _read_architecture(run: Path) -> dict:
    for path, key in ((run / "model" / "architecture.json", None), (run / "signature.json", "architecture")):
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise GanRunError(f"{path}: unreadable ({exc})") from None
            data = data.get(key, {}) if key else data
            if data.get("task") != "gan":
                raise GanRunError(f"{run}: a {data.get('task') or 'unknown'!r} run, not a GAN run")
            if "arch" not in data:
                raise GanRunError(f"{path}: no generator architecture recorded")
            return data
    raise GanRunError(f"{run}: not a GAN run folder (no model/architecture.json or signature.json)")


def _top_components(matrix: np.ndarray, k: int, seed: int, oversample: int = 10, power: int = 3):
    """The top ``k`` singular values and right singular vectors by randomized SVD (Halko et al. 2011): a full
    SVD of 1024 x 12544 activations takes seconds on one core, this takes milliseconds."""
    rng = np.random.default_rng(seed)
    sketch = matrix @ rng.standard_normal((matrix.shape[1], min(k + oversample, matrix.shape[1])), dtype=np.float32)
    basis, _ = np.linalg.qr(sketch)
    for _ in range(power):  # power iterations sharpen the spectrum so the top components are accurate
        basis, _ = np.linalg.qr(matrix @ (matrix.T @ basis))
    _, singular, components = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    return singular[:k], components[:k]


class GanExplorer:
    def __init__(self, generator, arch: GanArch, class_names=(), source: str = ""):
        self.generator = generator
        self.arch = arch
        self.class_names = tuple(class_names)
        self.source = source
        self._directions: Directions | None = None
        self._lock = threading.Lock()  # one render at a time: Keras models are not re-entrant
        tf = tensorflow()
        signature = [tf.TensorSpec([None, arch.latent_dim], tf.float32)]
        if arch.num_classes:
            signature.append(tf.TensorSpec([None], tf.int32))
        # One traced graph for any batch size: eager Keras calls cost several ms of Python per render.
        self._forward = tf.function(lambda *inputs: generator(list(inputs) if len(inputs) > 1 else inputs[0],
                                                              training=False),
                                    input_signature=signature)

    # loading ----------------------------------------------------------------------------------------------
    @classmethod
    def from_run(cls, run_dir) -> GanExplorer:
        run = Path(run_dir)
        if not run.is_dir():
            raise GanRunError(f"{run}: no such folder")
        info = _read_architecture(run)
        try:
            arch = GanArch.from_dict(info["arch"])
        except (TypeError, ValueError) as exc:
            raise GanRunError(f"{run}: bad architecture record ({exc})") from None
        generator = build_generator(arch, name="generator_ema")
        # The run's default weights (the snapshot with the best sample quality), else its final EMA (or plain)
        # generator, else the newest checkpoint of a run still training.
        loaded = load_run_weights(generator, run, "generator_ema", final_names=("generator_ema", "generator"),
                                  newest=False, label="generator", error=GanRunError)
        return cls(generator, arch, info.get("class_names", ()), loaded.path)

    # sampling ---------------------------------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        return self.arch.num_classes > 0

    def latent(self, seed: int) -> np.ndarray:
        return latent_for_seed(seed, self.arch.latent_dim)

    def labels(self, count: int, class_id: int | None) -> np.ndarray | None:
        """Class ids for ``count`` samples: ``class_id`` for all, or cycling through the classes when None."""
        if not self.conditional:
            if class_id is not None:
                raise ValueError("this generator is unconditional: it has no classes")
            return None
        if class_id is None:
            return (np.arange(count) % self.arch.num_classes).astype(np.int32)
        if not 0 <= int(class_id) < self.arch.num_classes:
            raise ValueError(f"class must be in 0..{self.arch.num_classes - 1}, got {class_id}")
        return np.full(count, int(class_id), np.int32)

    def render(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Latent rows (and class ids) -> N x size x size x channels uint8 images."""
        z = np.asarray(z, np.float32).reshape(-1, self.arch.latent_dim)
        if self.conditional and labels is None:
            labels = self.labels(len(z), None)
        with self._lock:
            out = self._forward(z) if not self.conditional else self._forward(z, np.asarray(labels, np.int32))
            return to_uint8(out.numpy())

    def samples(self, seeds, psi: float = 1.0, class_id: int | None = None) -> np.ndarray:
        seeds = list(seeds)
        return self.render(truncate(latents_for_seeds(seeds, self.arch.latent_dim), psi),
                           self.labels(len(seeds), class_id))

    def grid(self, seeds, psi: float = 1.0, class_id: int | None = None, columns: int = 8, scale: int = 1):
        return tile(self.samples(seeds, psi, class_id), columns, scale)

    # interpolation ----------------------------------------------------------------------------------------
    def interpolate(self, seed_a: int, seed_b: int, frames: int, psi: float = 1.0,
                    class_id: int | None = None) -> np.ndarray:
        """``frames`` images along the slerp from seed_a to seed_b; the ends are exactly the two samples."""
        if frames < 2:
            raise ValueError("an interpolation needs at least 2 frames")
        z = slerp(self.latent(seed_a), self.latent(seed_b), np.linspace(0.0, 1.0, frames))
        return self.render(truncate(z, psi), self.labels(frames, class_id if class_id is not None else 0)
                           if self.conditional else None)

    # latent directions ------------------------------------------------------------------------------------
    def directions(self, count: int = 8, samples: int = 1024, seed: int = 0) -> Directions:
        """GANSpace for a generator without a mapping network: PCA of the first block's activations over
        random z, then each principal component's direction in z by least squares (as GANSpace does for
        BigGAN). Cached after the first call."""
        if self._directions is not None and len(self._directions.vectors) >= count:
            return Directions(self._directions.vectors[:count], self._directions.explained[:count])
        import keras

        layer = self.generator.get_layer("up0_relu")
        features_model = keras.Model(self.generator.inputs, layer.output)
        z = np.random.default_rng(seed).standard_normal((samples, self.arch.latent_dim)).astype(np.float32)
        inputs = [z, self.labels(samples, None)] if self.conditional else z
        with self._lock:
            features = np.asarray(features_model(inputs, training=False)).reshape(samples, -1)
        centred = features - features.mean(axis=0)
        k = min(count, *centred.shape)
        singular, components = _top_components(centred, k, seed)
        scores = centred @ components.T  # samples x k
        mapping, *_ = np.linalg.lstsq(scores, z, rcond=None)  # k x latent: z ≈ scores @ mapping
        vectors = mapping / (np.linalg.norm(mapping, axis=1, keepdims=True) + 1e-12)
        total = float(np.sum(centred.astype(np.float64) ** 2))
        self._directions = Directions(vectors.astype(np.float32), (singular**2 / total).astype(np.float32))
        return self._directions

    def edit(self, z: np.ndarray, amounts) -> np.ndarray:
        """z moved along the principal directions: ``amounts[i]`` standard deviations along component i."""
        amounts = np.asarray(amounts, np.float32)
        vectors = self.directions(len(amounts)).vectors
        return (np.asarray(z, np.float32) + amounts[: len(vectors)] @ vectors).astype(np.float32)


def save_gif(frames: np.ndarray, path, fps: float = 12.0, scale: int = 1, bounce: bool = True) -> Path:
    """Frames (N x h x w x c uint8) as a looping GIF (Pillow); ``bounce`` plays them forward then back."""
    import io

    from PIL import Image

    from core.atomic import atomic_write_bytes

    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) < 1:
        raise ValueError("save_gif needs N x h x w x c frames")
    if frames.shape[-1] == 1:
        frames = frames[..., 0]
    if scale > 1:
        frames = np.repeat(np.repeat(frames, scale, axis=1), scale, axis=2)
    sequence = list(frames) + (list(frames[-2:0:-1]) if bounce and len(frames) > 2 else [])
    pictures = [Image.fromarray(np.ascontiguousarray(f)) for f in sequence]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=max(20, int(round(1000 / fps))), loop=0)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def save_png(image: np.ndarray, path) -> Path:
    import io

    from PIL import Image

    from core.atomic import atomic_write_bytes

    image = np.asarray(image)
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image).save(buffer, format="PNG")
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path

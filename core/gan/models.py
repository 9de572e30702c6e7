"""DCGAN-family generator and discriminator for 28, 32 and 64 px, grayscale or colour, optionally
class-conditional. Built in code from a small parameter dict, so saved runs load as weights only."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SIZES = (28, 32, 64)


@dataclass(frozen=True)
class GanArch:
    size: int = 32
    channels: int = 1
    latent_dim: int = 64
    width: int = 32  # channels of the last generator block; earlier blocks double it
    num_classes: int = 0  # 0 = unconditional
    spectral_norm: bool = False  # on the discriminator's layers

    def validate(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"image size must be one of {', '.join(map(str, SIZES))}, not {self.size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (colour), not {self.channels}")
        if not 2 <= self.latent_dim <= 1024 or not 4 <= self.width <= 512:
            raise ValueError("latent_dim must be in 2..1024 and width in 4..512")
        if self.num_classes < 0 or self.num_classes == 1:
            raise ValueError("num_classes must be 0 (unconditional) or at least 2")

    @property
    def base(self) -> int:
        return 7 if self.size == 28 else 4

    @property
    def upsamplings(self) -> int:
        return {28: 2, 32: 3, 64: 4}[self.size]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GanArch:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        arch = cls(**known)
        arch.validate()
        return arch


def build_generator(arch: GanArch, name: str = "generator", precision: str = "float32"):
    """z (and a class id) -> image in [-1, 1]. Dense to a base grid, then stride-2 transposed convolutions
    (kernel 4: no checkerboard from uneven overlap) with batch norm and ReLU, as in DCGAN.

    ``precision`` sets the layers' dtype policy (core.training.precision); the image comes out in float32.
    """
    import keras
    from keras import layers

    from core.training.fused_batch_norm import FusedBatchNormalization
    from core.training.precision import policy_name

    arch.validate()
    dtype = policy_name(precision)
    n_up = arch.upsamplings
    top = arch.width * 2**n_up // 2
    z = keras.Input((arch.latent_dim,), name="z")
    inputs = [z]
    h = z
    if arch.num_classes:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        embedded = layers.Embedding(arch.num_classes, arch.latent_dim, name="class_embedding", dtype=dtype)(label)
        h = layers.Concatenate(dtype=dtype)([z, embedded])
    h = layers.Dense(arch.base * arch.base * top, use_bias=False, name="project", dtype=dtype)(h)
    h = layers.BatchNormalization(name="project_bn", dtype=dtype)(h)
    h = layers.ReLU(dtype=dtype)(h)
    h = layers.Reshape((arch.base, arch.base, top), dtype=dtype)(h)
    channels = top
    for index in range(n_up):
        channels = max(arch.width, channels // 2) if index else top // 2
        h = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", use_bias=False, name=f"up{index}",
                                   dtype=dtype)(h)
        h = FusedBatchNormalization(name=f"up{index}_bn", dtype=dtype)(h)
        h = layers.ReLU(name=f"up{index}_relu", dtype=dtype)(h)
    out = layers.Conv2D(arch.channels, 3, padding="same", activation="tanh", name="to_image", dtype="float32")(h)
    return keras.Model(inputs if len(inputs) > 1 else z, out, name=name)


def build_discriminator(arch: GanArch, name: str = "discriminator", precision: str = "float32"):
    """image (and a class id) -> one logit. Stride-2 convolutions with leaky ReLU (no batch norm: it breaks
    gradient penalties and couples the examples of a batch); conditional runs use a projection
    discriminator (Miyato & Koyama 2018): logit + <embed(class), features>. The convolutions compute in
    ``precision``; the logit (and the class projection) in float32."""
    import keras
    from keras import layers

    from core.training.precision import policy_name

    arch.validate()
    dtype = policy_name(precision)

    def wrap(layer):
        return layers.SpectralNormalization(layer) if arch.spectral_norm else layer

    image = keras.Input((arch.size, arch.size, arch.channels), name="image")
    inputs = [image]
    h = image
    channels = arch.width
    for index in range(arch.upsamplings):
        h = wrap(layers.Conv2D(channels, 4, strides=2, padding="same", name=f"down{index}", dtype=dtype))(h)
        h = layers.LeakyReLU(0.2, dtype=dtype)(h)
        channels *= 2
    features = layers.Flatten(dtype="float32")(h)
    logit = wrap(layers.Dense(1, name="logit"))(features)
    if arch.num_classes:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        embedded = layers.Embedding(arch.num_classes, features.shape[-1], name="class_projection")(label)
        projection = layers.Dot(axes=1)([embedded, features])
        logit = layers.Add()([logit, projection])
    return keras.Model(inputs if len(inputs) > 1 else image, logit, name=name)

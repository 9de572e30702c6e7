"""The U-Net family: an encoder of conv blocks with max-pooling, a decoder with transposed-conv upsampling
and skip connections, and a 1x1 head giving per-pixel class logits.

The model is fully convolutional (input ``(None, None, C)``), so it runs on crops in training and on tiles
of any size at inference. Sides must be multiples of ``2**depth`` (inference pads, see inference.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class UNetSpec:
    num_classes: int = 2  # including background (class 0)
    depth: int = 4  # number of poolings
    base_width: int = 16  # filters at full resolution; doubles at every level
    max_width: int = 256
    batch_norm: bool = True
    dropout: float = 0.0  # at the bottleneck only (where it helps; elsewhere it slows convergence)
    residual: bool = True  # each block adds a (1x1-projected) shortcut
    in_channels: int = 3
    binary_sigmoid: bool = False  # two classes as one sigmoid logit instead of a 2-way softmax

    def validate(self) -> None:
        if self.num_classes < 2:
            raise ValueError("a segmentation model needs at least 2 classes (background and one object)")
        if self.binary_sigmoid and self.num_classes != 2:
            raise ValueError("binary_sigmoid needs exactly 2 classes")
        if not 1 <= self.depth <= 6:
            raise ValueError(f"depth must be 1..6, got {self.depth}")
        if self.base_width < 1 or self.max_width < self.base_width:
            raise ValueError("base_width must be >= 1 and <= max_width")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return 2**self.depth

    @property
    def output_channels(self) -> int:
        return 1 if self.binary_sigmoid else self.num_classes

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict) -> UNetSpec:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**known)


def _block(x, filters: int, spec: UNetSpec, name: str, dtype: str):
    from keras import layers

    from core.training.fused_batch_norm import FusedBatchNormalization

    shortcut = x
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not spec.batch_norm,
                          kernel_initializer="he_normal", name=f"{name}_conv{i}", dtype=dtype)(x)
        if spec.batch_norm:
            x = FusedBatchNormalization(name=f"{name}_bn{i}", dtype=dtype)(x)
        if i == 1 or not spec.residual:
            x = layers.Activation("relu", name=f"{name}_relu{i}", dtype=dtype)(x)
    if spec.residual:
        if shortcut.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_proj", dtype=dtype)(shortcut)
        x = layers.Add(name=f"{name}_add", dtype=dtype)([x, shortcut])
        x = layers.Activation("relu", name=f"{name}_relu2", dtype=dtype)(x)
    return x


def build_unet(spec: UNetSpec, name: str = "unet", precision: str = "float32"):
    """A Keras model mapping float32 images (N, H, W, C) in [0, 1] to float32 logits (N, H, W, output_channels).

    ``precision`` (float32, bfloat16, float16; see core.training.precision) sets the layers' dtype policy:
    mixed precision computes in 16 bits with float32 variables, and the logits layer always computes in
    float32, so the weights, and the losses computed from the logits, are the same in every precision.
    Batch norm goes through the fused kernel (core.training.fused_batch_norm; same weights as Keras's).
    """
    import keras
    from keras import layers

    from core.runtime import tensorflow
    from core.training.precision import policy_name

    tensorflow()  # configure threads before Keras creates ops
    spec.validate()
    dtype = policy_name(precision)
    inputs = keras.Input((None, None, spec.in_channels), name="image")
    x = inputs
    skips = []
    widths = [min(spec.base_width * 2**level, spec.max_width) for level in range(spec.depth + 1)]
    for level in range(spec.depth):
        x = _block(x, widths[level], spec, f"down{level}", dtype)
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}", dtype=dtype)(x)
    x = _block(x, widths[spec.depth], spec, "bottom", dtype)
    if spec.dropout > 0:
        x = layers.Dropout(spec.dropout, name="bottom_dropout", dtype=dtype)(x)
    for level in reversed(range(spec.depth)):
        x = layers.Conv2DTranspose(widths[level], 2, strides=2, name=f"up{level}_upsample", dtype=dtype)(x)
        x = layers.Concatenate(name=f"up{level}_concat", dtype=dtype)([x, skips[level]])
        x = _block(x, widths[level], spec, f"up{level}", dtype)
    logits = layers.Conv2D(spec.output_channels, 1, name="logits", dtype="float32")(x)
    return keras.Model(inputs, logits, name=name)


def probabilities_from_logits(logits, spec: UNetSpec):
    """(N, H, W, K) class probabilities from the model's logits (sigmoid head -> [1 - p, p])."""
    from core.runtime import tensorflow

    tf = tensorflow()
    if spec.binary_sigmoid:
        p = tf.sigmoid(logits)
        return tf.concat([1.0 - p, p], axis=-1)
    return tf.nn.softmax(logits, axis=-1)

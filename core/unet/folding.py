"""Batch norm folded into the convolutions, for inference.

At inference a batch-norm layer is an affine map per channel, ``y = gamma (x - mean) / sqrt(var + eps) + beta``,
so the convolution before it can absorb it: kernel * scale and a bias ``beta - mean * scale``. The folded
weights (per layer of the U-Net, batch norms left out) give the same logits up to rounding, with one pass over each activation fewer per layer and, in mixed precision, no
casts to float32 and back around each batch norm; TensorFlow's graph optimiser then fuses each
convolution with its bias and ReLU into one oneDNN kernel. Only inference uses it: training needs the
batch statistics.
"""

from __future__ import annotations

import numpy as np

from core.unet.model import UNetSpec


def folded_weights(model, spec: UNetSpec) -> dict[str, list[np.ndarray]]:
    """Per layer name of the folded model, its weights computed from ``model`` (built with batch norm)."""
    layers = {layer.name: layer for layer in model.layers}
    out: dict[str, list[np.ndarray]] = {}
    for name, layer in layers.items():
        if not layer.weights or name.rsplit("_", 1)[-1].startswith("bn"):
            continue
        values = [np.asarray(w, np.float32) for w in layer.get_weights()]
        block, _, part = name.rpartition("_")
        norm = layers.get(f"{block}_bn{part[-1]}") if spec.batch_norm and part in ("conv1", "conv2") else None
        if norm is not None:
            gamma, beta, mean, variance = (np.asarray(w, np.float32) for w in norm.get_weights())
            scale = gamma / np.sqrt(variance + norm.epsilon)
            values = [values[0] * scale, beta - mean * scale]
        out[name] = values
    return out


class FoldedWeights:
    """The folded weights as TensorFlow variables (per layer name: kernel, and bias where there is one), so a
    traced forward reads whatever ``update`` assigned last. No second Keras model is built: building one
    cost the first prediction about a tenth of a second."""

    def __init__(self, model, spec: UNetSpec):
        from core.runtime import tensorflow

        tf = tensorflow()
        self.spec = spec
        self.variables = {name: [tf.Variable(v, trainable=False, name=f"{name}_{i}") for i, v in enumerate(values)]
                          for name, values in folded_weights(model, spec).items()}

    def update(self, model) -> None:
        """Refold from ``model``'s current weights (same architecture)."""
        for name, values in folded_weights(model, self.spec).items():
            for variable, value in zip(self.variables[name], values, strict=True):
                variable.assign(value)


def folded_forward(folded: FoldedWeights, spec: UNetSpec, precision: str = "float32"):
    """``images -> logits`` through the folded weights with TensorFlow's own ops, as build_unet's model
    computes them: ``bias_add`` (which the graph optimiser fuses with the convolution and the ReLU into one
    oneDNN kernel; Keras adds biases with a broadcast ``add`` that it leaves alone). Reads the variables at
    each call, so it follows ``folded.update``."""
    from core.runtime import tensorflow
    from core.training.precision import policy_name

    tf = tensorflow()
    compute = tf.bfloat16 if "bfloat16" in policy_name(precision) else (
        tf.float16 if "float16" in policy_name(precision) else tf.float32)
    layers = folded.variables

    def conv(x, name, relu=False, dtype=compute):
        kernel, *bias = layers[name]
        y = tf.nn.conv2d(x, tf.cast(kernel, dtype), strides=1, padding="SAME")
        if bias:
            y = tf.nn.bias_add(y, tf.cast(bias[0], dtype))
        return tf.nn.relu(y) if relu else y

    def block(x, name):
        shortcut = x
        x = conv(x, f"{name}_conv1", relu=True)
        x = conv(x, f"{name}_conv2", relu=not spec.residual)
        if spec.residual:
            if f"{name}_proj" in layers:
                shortcut = conv(shortcut, f"{name}_proj")
            x = tf.nn.relu(x + shortcut)
        return x

    def upsample(x, name):
        kernel, bias = layers[name]
        shape = tf.shape(x)
        filters = kernel.shape[2]  # transposed kernels are (h, w, out, in)
        y = tf.nn.conv2d_transpose(x, tf.cast(kernel, compute),
                                   tf.stack([shape[0], shape[1] * 2, shape[2] * 2, filters]), strides=2)
        return tf.nn.bias_add(y, tf.cast(bias, compute))

    def forward(images):
        x = tf.cast(images, compute)
        skips = []
        for level in range(spec.depth):
            x = block(x, f"down{level}")
            skips.append(x)
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
        x = block(x, "bottom")
        for level in reversed(range(spec.depth)):
            x = upsample(x, f"up{level}_upsample")
            x = block(tf.concat([x, skips[level]], axis=-1), f"up{level}")
        return conv(tf.cast(x, tf.float32), "logits", dtype=tf.float32)

    return forward

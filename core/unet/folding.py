"""Batch norm folded into the convolutions, for inference.

At inference a batch-norm layer is an affine map per channel, ``y = gamma (x - mean) / sqrt(var + eps) + beta``,
so the convolution before it can absorb it: kernel * scale and a bias ``beta - mean * scale``. The folded
model (the same U-Net built with ``batch_norm=False``: same layer names, convolutions with biases) gives the
same logits up to rounding, with one pass over each activation fewer per layer and, in mixed precision, no
casts to float32 and back around each batch norm; TensorFlow's graph optimiser then fuses each
convolution with its bias and ReLU into one oneDNN kernel. Only inference uses it: training needs the
batch statistics.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from core.unet.model import UNetSpec, build_unet


def folded_spec(spec: UNetSpec) -> UNetSpec:
    return dataclasses.replace(spec, batch_norm=False)


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


def fold_batch_norm(model, spec: UNetSpec, precision: str = "float32", target=None):
    """A model without batch norm computing what ``model`` computes at inference. ``target``: a folded model
    built before (its weights are replaced), else a new one."""
    if target is None:
        target = build_unet(folded_spec(spec), name=f"{model.name}_folded", precision=precision)
    weights = folded_weights(model, spec)
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(weights[layer.name])
    return target


def folded_forward(folded, spec: UNetSpec, precision: str = "float32"):
    """``images -> logits`` through the folded model's weights with TensorFlow's own ops: ``bias_add`` (which
    the graph optimiser fuses with the convolution and the ReLU into one oneDNN kernel; Keras adds biases
    with a broadcast ``add`` that it leaves alone). Reads the variables at each call, so it follows
    ``fold_batch_norm(..., target=folded)``."""
    from core.runtime import tensorflow
    from core.training.precision import policy_name

    tf = tensorflow()
    compute = tf.bfloat16 if "bfloat16" in policy_name(precision) else (
        tf.float16 if "float16" in policy_name(precision) else tf.float32)
    layers = {layer.name: layer for layer in folded.layers}

    def conv(x, name, relu=False, dtype=compute):
        layer = layers[name]
        kernel = tf.cast(layer.kernel, dtype)
        y = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
        if layer.use_bias:
            y = tf.nn.bias_add(y, tf.cast(layer.bias, dtype))
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
        layer = layers[name]
        shape = tf.shape(x)
        filters = layer.kernel.shape[2]  # transposed kernels are (h, w, out, in)
        y = tf.nn.conv2d_transpose(x, tf.cast(layer.kernel, compute),
                                   tf.stack([shape[0], shape[1] * 2, shape[2] * 2, filters]), strides=2)
        return tf.nn.bias_add(y, tf.cast(layer.bias, compute))

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

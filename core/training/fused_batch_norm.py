"""Batch normalisation through TensorFlow's fused kernel.

Keras 3's ``BatchNormalization`` computes the batch moments and the normalisation as separate elementwise
ops (reduce, squared difference, multiply, add, and their gradients), each a full pass over the activations;
under a mixed precision policy it also casts the activations to float32 and back. On a CPU that is about a
third of a U-Net training step (profiled: Mul, SquaredDifference, Tile, Mean, Sub, AddN). TensorFlow's
``FusedBatchNormV3`` (oneDNN on CPUs, cuDNN on GPUs) does the forward and the backward pass in one kernel
each, reading bfloat16/float16 activations directly with float32 statistics.

``FusedBatchNormalization(...)`` makes a drop-in subclass: same variables (gamma, beta, moving_mean,
moving_variance, all float32), same names, same class name, so checkpoints and .weights.h5 files move freely
between it and the plain layer. It falls back to the plain layer's code wherever the fused kernel does not apply (another
backend, a mask, renorm, synchronised statistics, an axis other than the last of a 4-D input).
"""

from __future__ import annotations

import functools


def _half_kernels_fast() -> bool:
    """Whether FusedBatchNorm should read bfloat16/float16 activations directly: on GPUs (cuDNN) yes; on
    CPUs oneDNN's half-precision batch norm ran 3x slower than casting to float32 around the float32
    kernel (profiled on AVX512-BF16 Zen 5: FusedBatchNormGradV3 359 ms vs 24 ms a step)."""
    from core.runtime import tensorflow

    return bool(tensorflow().config.list_logical_devices("GPU"))


@functools.cache
def fused_batch_norm_class():
    """The layer class, defined on first use so that importing this module does not import Keras."""
    import keras

    # Named like Keras's layer on purpose: .weights.h5 files address layers by their class name (snake case,
    # numbered in order), so the same name keeps weight files interchangeable with the plain layer's.
    @keras.saving.register_keras_serializable(package="seggan", name="FusedBatchNormalization")
    class BatchNormalization(keras.layers.BatchNormalization):
        def _fusable(self, inputs, mask) -> bool:
            return (keras.backend.backend() == "tensorflow" and mask is None and not self.renorm
                    and not self.synchronized and len(inputs.shape) == 4 and self.axis in (-1, 3)
                    and self.scale and self.center)

        def call(self, inputs, training=None, mask=None):
            if not self._fusable(inputs, mask):
                return super().call(inputs, training=training, mask=mask)
            from core.runtime import tensorflow

            tf = tensorflow()

            x = inputs
            if x.dtype != tf.float32 and not _half_kernels_fast():
                x = tf.cast(x, tf.float32)
            gamma = tf.convert_to_tensor(self.gamma.value)
            beta = tf.convert_to_tensor(self.beta.value)
            moving_mean = tf.convert_to_tensor(self.moving_mean.value)
            moving_variance = tf.convert_to_tensor(self.moving_variance.value)
            if training and self.trainable:
                # exponential_avg_factor folds the moving-average update into the kernel:
                # new = (1 - factor) * old + factor * batch, i.e. Keras's momentum = 1 - factor.
                y, new_mean, new_variance = tf.compat.v1.nn.fused_batch_norm(
                    x, gamma, beta, mean=moving_mean, variance=moving_variance, epsilon=self.epsilon,
                    data_format="NHWC", is_training=True, exponential_avg_factor=1.0 - self.momentum)
                self.moving_mean.assign(new_mean)
                self.moving_variance.assign(new_variance)
            else:
                y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                    x, gamma, beta, mean=moving_mean, variance=moving_variance, epsilon=self.epsilon,
                    data_format="NHWC", is_training=False)
            return tf.cast(y, self.compute_dtype)

    return BatchNormalization


def FusedBatchNormalization(**kwargs):  # noqa: N802 - reads as the layer it makes
    """A new fused batch-norm layer (keyword arguments as keras.layers.BatchNormalization)."""
    return fused_batch_norm_class()(**kwargs)

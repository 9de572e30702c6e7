"""The fused batch-norm layer computes what Keras's BatchNormalization computes, and shares its weights."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.fused_batch_norm import FusedBatchNormalization


def _pair(momentum: float = 0.9):
    import keras

    from core.runtime import tensorflow

    tensorflow()
    plain = keras.layers.BatchNormalization(momentum=momentum)
    fused = FusedBatchNormalization(momentum=momentum)
    shape = (4, 6, 5, 3)
    plain.build(shape)
    fused.build(shape)
    rng = np.random.default_rng(0)
    for layer in (plain, fused):  # same non-trivial weights in both
        layer.set_weights([np.array([1.5, 0.5, 2.0], np.float32), np.array([0.1, -0.2, 0.3], np.float32),
                           np.array([0.5, -1.0, 2.0], np.float32), np.array([2.0, 0.5, 4.0], np.float32)])
    x = (rng.normal(size=shape) * np.array([1.0, 3.0, 0.5]) + np.array([2.0, -1.0, 0.0])).astype(np.float32)
    return plain, fused, x


def test_training_output_and_moving_statistics_match_keras():
    plain, fused, x = _pair()
    np.testing.assert_allclose(fused(x, training=True), plain(x, training=True), atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), atol=1e-5)
    # the fused kernel's running variance takes the unbiased batch variance (x n / (n - 1), n = 120 here)
    n = x.shape[0] * x.shape[1] * x.shape[2]
    expected = 0.9 * np.array([2.0, 0.5, 4.0]) + 0.1 * x.reshape(-1, 3).var(axis=0) * n / (n - 1)
    np.testing.assert_allclose(fused.moving_variance.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-2)
    assert not np.allclose(fused.moving_mean.numpy(), [0.5, -1.0, 2.0])  # the statistics did move


def test_inference_uses_the_moving_statistics_like_keras():
    plain, fused, x = _pair()
    np.testing.assert_allclose(fused(x, training=False), plain(x, training=False), atol=1e-5)
    np.testing.assert_allclose(fused.moving_mean.numpy(), [0.5, -1.0, 2.0])  # untouched


def test_gradients_match_keras():
    from core.runtime import tensorflow

    tf = tensorflow()
    plain, fused, x = _pair()
    weights = tf.constant(np.random.default_rng(1).normal(size=x.shape).astype(np.float32))
    grads = []
    for layer in (plain, fused):
        inputs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(layer(inputs, training=True) * weights)
        grads.append(tape.gradient(loss, [inputs, layer.gamma, layer.beta]))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_half_precision_inputs_give_half_outputs_and_float32_statistics(policy):
    import keras

    _, _, x = _pair()
    layer = FusedBatchNormalization(dtype=policy)
    y = layer(x, training=True)
    assert y.dtype.name == policy.split("_")[1]
    assert {v.dtype for v in layer.variables} == {"float32"}
    reference = keras.layers.BatchNormalization()(x, training=True)  # float32, same initial weights
    np.testing.assert_allclose(np.asarray(y, np.float32), reference, atol=0.05)


def test_falls_back_to_keras_where_the_fused_kernel_does_not_apply():
    _pair()  # TensorFlow configured
    layer = FusedBatchNormalization()
    flat = np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32)  # 2-D: Dense outputs
    reference = __import__("keras").layers.BatchNormalization()
    np.testing.assert_allclose(layer(flat, training=True), reference(flat, training=True), atol=1e-5)


def test_weights_files_move_between_the_fused_and_the_plain_layer(tmp_path):
    import keras

    from core.runtime import tensorflow

    tensorflow()

    def model(norm):
        inputs = keras.Input((8, 8, 2))
        x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
        x = norm(name="bn")(x)
        return keras.Model(inputs, x)

    plain, fused = model(keras.layers.BatchNormalization), model(FusedBatchNormalization)
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in plain.get_weights()]
    weights[-1] = np.abs(weights[-1]) + 0.5  # kernel, bias, gamma, beta, moving mean, moving variance > 0
    plain.set_weights(weights)
    plain.save_weights(tmp_path / "plain.weights.h5")
    fused.load_weights(tmp_path / "plain.weights.h5")
    x = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    np.testing.assert_allclose(fused(x, training=False), plain(x, training=False), atol=1e-4)

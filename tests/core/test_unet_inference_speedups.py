"""Inference shortcuts of core/unet: batch norm folded into the convolutions, and test-time augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from core.unet.model import UNetSpec, build_unet


def _model_with_statistics(spec: UNetSpec, seed: int = 0):
    """A U-Net whose batch norms have non-trivial learnt scales and running statistics (as after training)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_unet(spec)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if "_bn" in layer.name:
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2.0, gamma.shape), rng.normal(0, 0.3, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.2, 3.0, variance.shape)])
    return model


def _logits(model, images):
    return np.asarray(model(images.astype(np.float32) / 255.0, training=False))


@pytest.mark.parametrize("residual", [True, False])
def test_folded_weights_compute_what_the_batch_norm_model_computes(residual):
    from core.unet.folding import FoldedWeights, folded_forward

    spec = UNetSpec(num_classes=3, depth=2, base_width=4, residual=residual)
    model = _model_with_statistics(spec)
    folded = FoldedWeights(model, spec)
    assert not [name for name in folded.variables if "_bn" in name]
    images = np.random.default_rng(1).integers(0, 256, (2, 32, 48, 3)).astype(np.uint8)
    expected = _logits(model, images)
    got = np.asarray(folded_forward(folded, spec)(images.astype(np.float32) / 255.0))
    assert np.abs(expected).max() > 0.1  # a real signal, not all zeros
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_segmenter_follows_new_weights():
    """The validation hook swaps weights into one Segmenter: its folded model must follow them."""
    from core.unet.inference import Segmenter

    spec = UNetSpec(num_classes=2, depth=2, base_width=4)
    first, second = _model_with_statistics(spec, seed=0), _model_with_statistics(spec, seed=1)
    image = np.random.default_rng(2).integers(0, 256, (40, 36, 3)).astype(np.uint8)
    segmenter = Segmenter(first, spec)
    before = segmenter.predict_probabilities(image)
    segmenter.set_weights(second.get_weights())
    after = segmenter.predict_probabilities(image)
    reference = Segmenter(second, spec).predict_probabilities(image)
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, reference, atol=1e-5)


@pytest.mark.parametrize("views", [2, 4, 8])
def test_test_time_augmentation_averages_the_views_mapped_back(views):
    from core.unet.inference import Segmenter

    spec = UNetSpec(num_classes=2, depth=2, base_width=4)
    model = _model_with_statistics(spec)
    image = np.random.default_rng(3).integers(0, 256, (32, 48, 3)).astype(np.uint8)  # not square: 8 transposes
    plain = Segmenter(model, spec)
    flips = [lambda x: x, lambda x: x[:, ::-1], lambda x: x[::-1], lambda x: x[::-1, ::-1]][:min(views, 4)]
    pairs = [(f, f) for f in flips]  # flips undo themselves
    if views == 8:  # transposed, then flipped; undone by flipping, then transposing back
        pairs += [(lambda x, f=f: f(np.swapaxes(x, 0, 1)), lambda x, f=f: np.swapaxes(f(x), 0, 1)) for f in flips]
    # each view predicted on its own, its prediction mapped back
    expected = np.mean([back(plain.predict_probabilities(np.ascontiguousarray(view(image))))
                        for view, back in pairs], axis=0)
    got = Segmenter(model, spec, tta=views).predict_probabilities(image)
    assert np.abs(got - plain.predict_probabilities(image)).max() > 1e-4  # the views differ
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="tta"):
        Segmenter(model, spec, tta=3)


@pytest.mark.parametrize("classes", [2, 3])
def test_inference_softmax_matches_keras(classes):
    """The elementwise softmax of inference gives the probabilities tf.nn.softmax gives."""
    from core.runtime import tensorflow
    from core.unet.inference import _softmax

    tf = tensorflow()
    logits = tf.constant(np.random.default_rng(4).normal(0, 4, (2, 8, 8, classes)).astype(np.float32))
    np.testing.assert_allclose(np.asarray(_softmax(tf, logits)), np.asarray(tf.nn.softmax(logits)), atol=1e-6)

"""Segmentation losses on logits and integer labels: cross-entropy (optionally class-weighted), soft Dice,
focal, and MSE on probabilities. Each returns per-example values (shape (N,)) so the engine's
``compute_average_loss`` can scale them for distributed training.
"""

from __future__ import annotations

LOSSES = ("ce", "dice", "ce+dice", "focal", "focal+dice", "mse")


def _tf():
    from core.runtime import tensorflow

    return tensorflow()


def _probs_and_onehot(logits, labels, num_classes: int, binary_sigmoid: bool):
    tf = _tf()
    from core.unet.model import UNetSpec, probabilities_from_logits

    spec = UNetSpec(num_classes=num_classes, binary_sigmoid=binary_sigmoid)
    probs = probabilities_from_logits(logits, spec)
    onehot = tf.one_hot(tf.cast(labels, tf.int32), num_classes, dtype=probs.dtype)
    return probs, onehot


def _pixel_weights(labels, class_weights):
    tf = _tf()
    if class_weights is None:
        return None
    table = tf.constant([float(w) for w in class_weights], tf.float32)
    return tf.gather(table, tf.cast(labels, tf.int32))


def cross_entropy(logits, labels, num_classes: int, binary_sigmoid: bool = False, class_weights=None):
    tf = _tf()
    if binary_sigmoid:
        per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.cast(labels, tf.float32)[..., None], logits=logits)[..., 0]
    else:
        per_pixel = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32),
                                                                   logits=logits)
    weights = _pixel_weights(labels, class_weights)
    if weights is not None:
        # normalised by the weights' sum so the loss scale does not depend on the weights chosen
        return tf.reduce_sum(per_pixel * weights, axis=[1, 2]) / (tf.reduce_sum(weights, axis=[1, 2]) + 1e-6)
    return tf.reduce_mean(per_pixel, axis=[1, 2])


def dice_loss(logits, labels, num_classes: int, binary_sigmoid: bool = False, class_weights=None,
              smooth: float = 1.0):
    """1 - soft Dice, averaged over classes (weighted by ``class_weights`` if given)."""
    tf = _tf()
    probs, onehot = _probs_and_onehot(logits, labels, num_classes, binary_sigmoid)
    intersection = tf.reduce_sum(probs * onehot, axis=[1, 2])
    sizes = tf.reduce_sum(probs, axis=[1, 2]) + tf.reduce_sum(onehot, axis=[1, 2])
    dice = (2.0 * intersection + smooth) / (sizes + smooth)  # (N, K)
    if class_weights is not None:
        w = tf.constant([float(x) for x in class_weights], tf.float32)
        return 1.0 - tf.reduce_sum(dice * w, axis=-1) / tf.reduce_sum(w)
    return 1.0 - tf.reduce_mean(dice, axis=-1)


def focal_loss(logits, labels, num_classes: int, binary_sigmoid: bool = False, class_weights=None,
               gamma: float = 2.0):
    tf = _tf()
    probs, onehot = _probs_and_onehot(logits, labels, num_classes, binary_sigmoid)
    p_true = tf.reduce_sum(probs * onehot, axis=-1)
    log_p = tf.math.log(tf.clip_by_value(p_true, 1e-7, 1.0))
    per_pixel = -tf.pow(1.0 - p_true, gamma) * log_p
    weights = _pixel_weights(labels, class_weights)
    if weights is not None:
        return tf.reduce_sum(per_pixel * weights, axis=[1, 2]) / (tf.reduce_sum(weights, axis=[1, 2]) + 1e-6)
    return tf.reduce_mean(per_pixel, axis=[1, 2])


def mse_loss(logits, labels, num_classes: int, binary_sigmoid: bool = False, class_weights=None):
    tf = _tf()
    probs, onehot = _probs_and_onehot(logits, labels, num_classes, binary_sigmoid)
    return tf.reduce_mean(tf.square(probs - onehot), axis=[1, 2, 3])


def segmentation_loss(name: str, logits, labels, num_classes: int, binary_sigmoid: bool = False,
                      class_weights=None):
    """Per-example loss by name (see LOSSES)."""
    args = (logits, labels, num_classes, binary_sigmoid, class_weights)
    if name == "ce":
        return cross_entropy(*args)
    if name == "dice":
        return dice_loss(*args)
    if name == "ce+dice":
        return cross_entropy(*args) + dice_loss(*args)
    if name == "focal":
        return focal_loss(*args)
    if name == "focal+dice":
        return focal_loss(*args) + dice_loss(*args)
    if name == "mse":
        return mse_loss(*args)
    raise ValueError(f"unknown loss {name!r} (known: {', '.join(LOSSES)})")

"""GAN losses on discriminator logits, and the gradient penalties. Each returns per-example values so the
task can average them over the global batch (``tf.nn.compute_average_loss``) under any strategy."""

from __future__ import annotations

from core.runtime import tensorflow

LOSSES = ("nonsaturating", "hinge", "wgan-gp")


def check_loss(name: str) -> str:
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {name!r}")
    return name


def discriminator_loss(name: str, real_logits, fake_logits):
    tf = tensorflow()
    real, fake = tf.reshape(real_logits, [-1]), tf.reshape(fake_logits, [-1])
    if name == "nonsaturating":  # -log sigmoid(real) - log(1 - sigmoid(fake)), the seed's BCE
        return tf.nn.softplus(-real) + tf.nn.softplus(fake)
    if name == "hinge":
        return tf.nn.relu(1.0 - real) + tf.nn.relu(1.0 + fake)
    if name == "wgan-gp":
        return fake - real
    raise ValueError(check_loss(name))


def generator_loss(name: str, fake_logits):
    tf = tensorflow()
    fake = tf.reshape(fake_logits, [-1])
    if name == "nonsaturating":
        return tf.nn.softplus(-fake)
    if name in ("hinge", "wgan-gp"):
        return -fake
    raise ValueError(check_loss(name))


def r1_penalty(discriminator, real_images, labels=None):
    """Per-example squared gradient norm of D at real images (Mescheder et al. 2018)."""
    tf = tensorflow()
    with tf.GradientTape() as tape:
        tape.watch(real_images)
        total = tf.reduce_sum(discriminator(_inputs(real_images, labels), training=True))
    grads = tape.gradient(total, real_images)
    return tf.reduce_sum(tf.square(grads), axis=[1, 2, 3])


def gradient_penalty(discriminator, real_images, fake_images, mix, labels=None):
    """WGAN-GP: (||grad D(x_hat)|| - 1)^2 on random mixes of real and fake images (Gulrajani et al. 2017).
    ``mix`` holds one uniform number per example, drawn by the caller from the task's generator."""
    tf = tensorflow()
    mix = tf.reshape(mix, [-1, 1, 1, 1])
    mixed = real_images + mix * (fake_images - real_images)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        total = tf.reduce_sum(discriminator(_inputs(mixed, labels), training=True))
    grads = tape.gradient(total, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
    return tf.square(norms - 1.0)


def _inputs(images, labels):
    return images if labels is None else [images, labels]

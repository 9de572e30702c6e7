"""Latents, losses, quality metrics and model shapes."""

from __future__ import annotations

import numpy as np
import pytest

from core.gan.latent import latent_for_seed, latents_for_seeds, slerp, truncate
from core.gan.quality import frechet_distance, laplacian_pyramid, swd


def test_a_seed_always_gives_the_same_latent():
    assert np.array_equal(latent_for_seed(7, 64), latent_for_seed(7, 64))
    assert not np.array_equal(latent_for_seed(7, 64), latent_for_seed(8, 64))
    assert np.array_equal(latents_for_seeds([3, 7], 64)[1], latent_for_seed(7, 64))
    assert latent_for_seed(1, 16).dtype == np.float32
    with pytest.raises(ValueError, match="non-negative"):
        latent_for_seed(-1, 8)


def test_slerp_ends_are_exact_and_the_path_keeps_the_radius():
    a, b = latent_for_seed(1, 128), latent_for_seed(2, 128)
    path = slerp(a, b, np.linspace(0, 1, 9))
    assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)
    radii = np.linalg.norm(path, axis=1)
    linear_mid = np.linalg.norm((a + b) / 2)
    assert radii.min() > linear_mid * 1.2  # linear interpolation sags toward 0; slerp does not
    assert slerp(a, b, 0.5).shape == (128,)
    assert np.allclose(slerp(a, a, 0.3), a)


def test_truncation_scales_toward_the_mean():
    z = latent_for_seed(3, 32)
    assert np.allclose(truncate(z, 0.5), z * 0.5) and np.array_equal(truncate(z, 1.0), z)
    with pytest.raises(ValueError, match="psi"):
        truncate(z, -0.1)


def test_losses_match_their_formulas():
    import tensorflow as tf

    from core.gan.losses import check_loss, discriminator_loss, generator_loss

    real, fake = tf.constant([2.0, -1.0]), tf.constant([0.5, -3.0])
    ns = discriminator_loss("nonsaturating", real, fake).numpy()
    expected = np.log1p(np.exp(-np.array([2.0, -1.0]))) + np.log1p(np.exp([0.5, -3.0]))
    assert np.allclose(ns, expected, atol=1e-6)
    assert np.allclose(discriminator_loss("hinge", real, fake).numpy(), [0.0 + 1.5, 2.0 + 0.0])
    assert np.allclose(discriminator_loss("wgan-gp", real, fake).numpy(), [-1.5, -2.0])
    assert np.allclose(generator_loss("hinge", fake).numpy(), [-0.5, 3.0])
    assert np.allclose(generator_loss("nonsaturating", fake).numpy(), np.log1p(np.exp(-np.array([0.5, -3.0]))))
    with pytest.raises(ValueError, match="loss must be one of"):
        check_loss("lsgan")


def test_swd_ranks_distributions_and_has_a_low_floor():
    rng = np.random.default_rng(0)

    def blobs(count, radius):
        yy, xx = np.mgrid[0:28, 0:28]
        out = np.zeros((count, 28, 28, 1), np.uint8)
        for i in range(count):
            cy, cx = rng.uniform(9, 19, 2)
            out[i, ..., 0] = 255 * ((yy - cy) ** 2 + (xx - cx) ** 2 < radius**2)
        return out

    real_a, real_b = blobs(64, 6), blobs(64, 6)
    near, far = blobs(64, 5), rng.integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
    floor, levels = swd(real_a, real_b)
    assert len(levels) == 2  # 28 and 14 px
    assert floor < swd(real_a, near)[0] < swd(real_a, far)[0]
    assert len(laplacian_pyramid(np.zeros((1, 64, 64, 1), np.float32))) == 3
    with pytest.raises(ValueError, match="same shape"):
        swd(real_a, real_b[:10])


def test_frechet_distance():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2000, 4))
    b = rng.standard_normal((2000, 4)) + np.array([3.0, 0, 0, 0])
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-4)
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.05)
    scaled = rng.standard_normal((2000, 4)) * 2.0  # trace term: 4 * (1 + 4 - 2*2) = 4
    assert frechet_distance(a, scaled) == pytest.approx(4.0, rel=0.15)


@pytest.mark.parametrize("size,classes", [(28, 0), (32, 3), (64, 0)])
def test_models_have_the_promised_shapes(size, classes):
    from core.gan.models import GanArch, build_discriminator, build_generator

    arch = GanArch(size=size, channels=3 if size == 32 else 1, latent_dim=16, width=8, num_classes=classes,
                   spectral_norm=size == 64)
    g, d = build_generator(arch), build_discriminator(arch)
    z = np.zeros((2, 16), np.float32)
    labels = np.array([0, 2], np.int32)
    images = g([z, labels] if classes else z, training=False).numpy()
    assert images.shape == (2, size, size, arch.channels) and np.abs(images).max() <= 1.0
    logits = d([images, labels] if classes else images, training=False).numpy()
    assert logits.shape == (2, 1)


def test_bad_architectures_are_refused():
    from core.gan.models import GanArch

    for kwargs, message in (({"size": 48}, "image size"), ({"channels": 2}, "channels"),
                            ({"num_classes": 1}, "num_classes")):
        with pytest.raises(ValueError, match=message):
            GanArch(**kwargs).validate()


def test_latest_request_wins_per_kind():
    from core.gan.render import GridRequest, LatestRequests, PreviewRequest

    mailbox = LatestRequests()
    for psi in (0.1, 0.2, 0.3):
        mailbox.post(GridRequest((0, 1), psi))
    mailbox.post(PreviewRequest(5, amounts=(1.0,)))
    mailbox.post(PreviewRequest(5, amounts=(2.0,)))
    taken = mailbox.take(timeout=0)
    assert [type(r).__name__ for r in taken] == ["GridRequest", "PreviewRequest"]  # grids first
    assert taken[0].psi == 0.3 and taken[1].amounts == (2.0,)  # only the newest of each kind
    assert mailbox.posted == 5 and mailbox.replaced == 3
    assert mailbox.take(timeout=0.01) == []

"""The gan task end to end on tiny synthetic data: training moves the samples toward the data, the run
folder holds what the explorer needs, and the explorer's promises (seeds, slerp ends, directions, GIF)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from core.gan.data import write_idx
from core.training.config import Budget, RunConfig
from core.training.engine import train


def bright_squares(count=256, size=28, seed=0):
    """A dataset far from a random generator's output: one bright square (value 230) on black."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, size, size), np.uint8)
    for index in range(count):
        top, left = rng.integers(4, 12, 2)
        images[index, top:top + 12, left:left + 12] = 230
    return images


def gan_config(data, steps, **params) -> RunConfig:
    task_params = {"data": str(data), "size": 28, "width": 8, "latent_dim": 16, "ema": 0.9,
                   "quality_every": 50, "quality_samples": 64}
    task_params.update(params)
    return RunConfig(task="gan", task_params=task_params, seed=1, batch_size=32,
                     learning_rates={"generator": 2e-3, "discriminator": 2e-3}, budget=Budget(steps=steps),
                     log_every=10, sample_every=50, checkpoint_every=100)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gan")
    images = bright_squares()
    labels = (np.arange(len(images)) % 2).astype(np.uint8)
    images[labels == 1] = 255 - images[labels == 1]  # class 1: inverted (dark square on white)
    write_idx(folder / "sq-images-idx3-ubyte.gz", images)
    write_idx(folder / "sq-labels-idx1-ubyte.gz", labels)
    run_dir = folder / "run"
    result = train(run_dir, gan_config(folder / "sq-images-idx3-ubyte.gz", 300, conditional=True))
    assert result.state == "finished" and result.step == 300
    return run_dir, images, labels


def test_training_moves_samples_toward_the_data(trained_run):
    from core.gan.explore import GanExplorer

    run_dir, images, labels = trained_run
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [r for r in rows if r["d_loss"]]
    assert len(training) == 30
    assert {"d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "swd", "swd_floor"} <= set(rows[0])
    # SWD only where it was measured: after the first step, then every 50 steps (in the background)
    quality = [(int(r["step"]), float(r["swd"])) for r in rows if r["swd"]]
    assert [step for step, _ in quality] == [1, 50, 100, 150, 200, 250, 300]
    floors = [float(r["swd_floor"]) for r in rows if r["swd_floor"]]
    assert [r["step"] for r in rows if r["swd_floor"]] == ["1"]  # measured once, at the start
    first_swd, last_swd = quality[0][1], quality[-1][1]
    assert last_swd < 0.7 * first_swd and floors[0] < last_swd  # measured while training, above its floor
    from core.training.weights import read_manifest

    best = read_manifest(run_dir / "model")["variants"]["best"]
    assert (best["step"], best["value"]) == min(quality, key=lambda q: q[1]) and best["swd_floor"] > 0
    explorer = GanExplorer.from_run(run_dir)
    assert explorer.class_names == ("0", "1") and explorer.source.endswith("best/generator_ema.weights.h5")
    for class_id in (0, 1):
        samples = explorer.samples(range(64), class_id=class_id).astype(np.float32)
        data = images[labels == class_id].astype(np.float32)
        # the mean image and the share of bright pixels match the class's data far better than chance
        assert abs(samples.mean() - data.mean()) < 25
        bright = (samples > 128).mean()
        assert abs(bright - (data > 128).mean()) < 0.1
    untrained = np.random.default_rng(0).uniform(0, 255, (64, 28, 28))
    assert np.abs(samples[..., 0].mean(axis=0) - data.mean(axis=0)).mean() < \
        np.abs(untrained.mean(axis=0) - data.mean(axis=0)).mean() / 2
    grids = sorted((run_dir / "samples").glob("*.png"))
    assert [p.name for p in grids] == [f"step_{s:06d}.png" for s in (50, 100, 150, 200, 250, 300)]
    assert Image.open(grids[-1]).size == (8 * 57 - 1, 8 * 57 - 1)  # 8x8 tiles of 28 px shown at 2x


def test_explorer_promises(trained_run, tmp_path):
    from core.gan.explore import GanExplorer, save_gif

    run_dir, _, _ = trained_run
    explorer = GanExplorer.from_run(run_dir)
    a = explorer.samples([5, 9], class_id=1)
    again = explorer.samples([9, 5, 9], class_id=1)
    assert np.array_equal(a[1], again[0]) and np.array_equal(a[0], again[1])  # a seed is a picture
    frames = explorer.interpolate(5, 9, 7, class_id=1)
    assert frames.shape == (7, 28, 28, 1)
    assert np.array_equal(frames[0], a[0]) and np.array_equal(frames[-1], a[1])
    directions = explorer.directions(4, samples=256)
    assert directions.vectors.shape == (4, 16)
    assert np.allclose(np.linalg.norm(directions.vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.diff(directions.explained) <= 1e-7) and directions.explained.sum() <= 1.0
    z = explorer.latent(5)
    assert np.array_equal(explorer.edit(z, [0, 0, 0, 0]), z)
    moved = explorer.render(explorer.edit(z, [3.0, 0, 0, 0])[None], explorer.labels(1, 1))
    assert np.abs(moved.astype(int) - a[0].astype(int)).mean() > 1.0  # a component changes the picture
    grid = explorer.grid(range(16), psi=0.7, columns=4)
    assert grid.shape == (4 * 29 - 1, 4 * 29 - 1, 3)
    gif = save_gif(frames, tmp_path / "walk.gif", fps=10)
    with Image.open(gif) as picture:
        assert picture.n_frames == 12 and picture.info["loop"] == 0  # forward 7, back 5
    with pytest.raises(ValueError, match=r"class must be in 0..1"):
        explorer.samples([1], class_id=2)


def test_explorer_reads_a_checkpoint_of_a_run_still_training(trained_run, tmp_path):
    import shutil

    from core.gan.explore import GanExplorer, GanRunError

    run_dir, _, _ = trained_run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "model" / "weights.json").unlink()  # then the final weights, which the last checkpoint holds
    expected = GanExplorer.from_run(copy).samples([3], class_id=0)
    shutil.rmtree(copy / "model")
    restored = GanExplorer.from_run(copy)
    assert restored.source.endswith("ckpt-300") and np.array_equal(restored.samples([3], class_id=0), expected)
    shutil.rmtree(copy / "checkpoints")
    with pytest.raises(GanRunError, match="no saved generator yet"):
        GanExplorer.from_run(copy)
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanRunError, match="not a GAN run folder"):
        GanExplorer.from_run(tmp_path / "empty")


def test_other_losses_and_stabilisers_train_without_errors(tmp_path):
    data = write_idx(tmp_path / "d-images-idx3-ubyte", bright_squares(64))
    for loss, extra in (("hinge", {"r1": 1.0, "spectral_norm": True}), ("wgan-gp", {"ema": 0.0})):
        result = train(tmp_path / loss, gan_config(data, 10, loss=loss, quality_every=0, **extra))
        assert result.state == "finished"
        assert ("r1" in result.last_metrics) == (loss == "hinge")
        assert ("gradient_penalty" in result.last_metrics) == (loss == "wgan-gp")


def test_bad_parameters_give_clear_messages(tmp_path):
    from core.gan.task import GanTask

    with pytest.raises(ValueError, match="unknown GAN parameters: colour"):
        GanTask({"colour": 1}, 0)
    data = write_idx(tmp_path / "d-images-idx3-ubyte", bright_squares(8))
    task = GanTask({"data": str(data), "size": 28, "conditional": True}, 0)
    with pytest.raises(ValueError, match="needs labelled data"):
        task.arch  # noqa: B018

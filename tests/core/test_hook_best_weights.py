"""The best-weights hook: the weights of the best evaluation are saved and become the run's default."""

from __future__ import annotations

import json

import numpy as np

from core.training.config import Budget
from core.training.engine import train
from core.training.run_folder import RunFolder
from core.training.weights import read_manifest
from tests.core.training_helpers import tiny_config


def scripted(steps, **params):
    return dict(task="test-scripted-evaluation", budget=Budget(steps=steps), validation={"every_steps": 10},
                task_params={"size": 16, "dataset_size": 64, "width": 8, **params})


def weights_of(path):
    import h5py

    arrays = []
    with h5py.File(path) as handle:
        handle.visititems(lambda name, obj: arrays.append(obj[()]) if hasattr(obj, "shape") else None)
    return arrays


def checkpoint_weights(run_dir, step):
    import keras

    from core.runtime import tensorflow
    from core.training.check_task import AutoencoderCheckTask

    tf = tensorflow()
    task = AutoencoderCheckTask({"size": 16, "dataset_size": 64, "width": 8}, 3)
    task.build({"main": 1e-3})
    tf.train.Checkpoint(model_autoencoder=task.models["autoencoder"]).restore(
        str(RunFolder(run_dir).checkpoints_dir / f"ckpt-{step}")).expect_partial()
    path = RunFolder(run_dir).path / f"step{step}.weights.h5"
    task.models["autoencoder"].save_weights(path)
    keras.backend.clear_session()
    return weights_of(path)


def test_the_best_evaluation_keeps_its_weights_and_becomes_the_default(tmp_path):
    run_dir = tmp_path / "run"
    # scores at steps 10, 20, 30, 40: the best is step 20's (higher is better)
    train(run_dir, tiny_config(**scripted(40, scores=[0.2, 0.9, 0.5, 0.4]), checkpoint_every=10,
                               keep_checkpoints=10))
    model_dir = RunFolder(run_dir).model_dir
    manifest = read_manifest(model_dir)
    assert manifest["default"] == "best"
    best = manifest["variants"]["best"]
    assert best["step"] == 20 and best["value"] == 0.9 and best["metric"] == "validation/score"
    assert best["files"] == ["best/autoencoder.weights.h5"] and manifest["variants"]["final"]["step"] == 40
    saved = weights_of(model_dir / "best" / "autoencoder.weights.h5")
    for got, expected in zip(saved, checkpoint_weights(run_dir, 20), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert not all(np.array_equal(a, b) for a, b in zip(saved, checkpoint_weights(run_dir, 40), strict=True))
    status = json.loads(RunFolder(run_dir).status_path.read_text())
    assert status["best"] == {"step": 20, "metric": "validation/score", "value": 0.9, "mode": "max", "weights": "live"}


def test_lower_is_better_when_the_task_says_so_and_resume_keeps_the_best(tmp_path):
    run_dir = tmp_path / "run"
    train(run_dir, tiny_config(**scripted(20, scores=[3.0, 1.0], mode="min")))
    assert read_manifest(RunFolder(run_dir).model_dir)["variants"]["best"]["step"] == 20
    train(run_dir, resume=True, budget=Budget(steps=40))  # scores 3.0, 1.0 again: no better than 1.0
    manifest = read_manifest(RunFolder(run_dir).model_dir)
    assert manifest["variants"]["best"]["step"] == 20 and manifest["variants"]["final"]["step"] == 40

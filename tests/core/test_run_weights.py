"""One weight loader for every task's runs: which weights it picks, and what it says when it cannot."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from core.runtime import tensorflow
from core.training.run_weights import WeightsError, load_run_weights
from core.training.weights import record_variant


def make_model(value: float):
    """A one-weight model whose weights are all ``value``: which file was loaded shows in the weights."""
    keras = tensorflow().keras
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="dense")])
    model.set_weights([np.full(w.shape, value, np.float32) for w in model.get_weights()])
    return model


def loaded_value(model) -> float:
    return float(model.get_weights()[0].ravel()[0])


def save(run, name: str, value: float):
    (run / "model").mkdir(parents=True, exist_ok=True)
    path = run / "model" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make_model(value).save_weights(path)
    return path


def save_checkpoint(run, name: str, value: float) -> str:
    tf = tensorflow()
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    return tf.train.Checkpoint(**{f"model_{name}": make_model(value)}).save(str(run / "checkpoints" / "ckpt"))


def test_default_is_the_recorded_default_and_a_named_variant_must_exist(tmp_path):
    run = tmp_path / "run"
    record_variant(run / "model", "final", [save(run, "net.weights.h5", 1.0)], step=100)
    record_variant(run / "model", "best", [save(run, "best/net.weights.h5", 2.0)], step=60,
                   metric="validation/mean_iou", value=0.8)
    model = make_model(0.0)
    loaded = load_run_weights(model, run, "net")
    assert loaded.variant == "best" and loaded_value(model) == 2.0
    assert loaded.description.startswith("best validated weights (step 60") and loaded.path.endswith(
        "best/net.weights.h5")
    assert load_run_weights(model, run, "net", "final").variant == "final" and loaded_value(model) == 1.0
    with pytest.raises(WeightsError, match=r"no ema weights \(the run has: best, final\)"):
        load_run_weights(model, run, "net", "ema")
    with pytest.raises(WeightsError, match="weights must be one of"):
        load_run_weights(model, run, "net", "latest")


def test_without_a_manifest_the_newest_of_final_and_checkpoint_wins(tmp_path):
    run = tmp_path / "run"
    final = save(run, "net.weights.h5", 1.0)
    old = time.time() - 60
    os.utime(final, (old, old))
    prefix = save_checkpoint(run, "net", 3.0)  # a finished run resumed: training again, newer than its final
    model = make_model(0.0)
    loaded = load_run_weights(model, run, "net")
    assert (loaded.variant, loaded.path, loaded_value(model)) == ("checkpoint", prefix, 3.0)
    assert loaded.description.endswith(f"step {prefix.rsplit('-', 1)[-1]}")
    # newest=False (the GAN explorer): saved final weights always win over a checkpoint
    loaded = load_run_weights(model, run, "net", newest=False)
    assert loaded.variant == "final" and loaded_value(model) == 1.0
    assert load_run_weights(model, run, "net", "checkpoint", newest=False).variant == "checkpoint"
    os.utime(final, None)  # now the final weights are newer
    assert load_run_weights(model, run, "net").variant == "final" and loaded_value(model) == 1.0


def test_final_names_are_tried_in_order(tmp_path):
    run = tmp_path / "run"
    save(run, "generator.weights.h5", 5.0)
    model = make_model(0.0)
    loaded = load_run_weights(model, run, "generator_ema", final_names=("generator_ema", "generator"))
    assert loaded.path.endswith("generator.weights.h5") and loaded_value(model) == 5.0
    save(run, "generator_ema.weights.h5", 6.0)
    load_run_weights(model, run, "generator_ema", final_names=("generator_ema", "generator"))
    assert loaded_value(model) == 6.0


def test_missing_and_unusable_weights_raise_the_callers_error_naming_the_run_or_file(tmp_path):
    class MyError(Exception):
        pass

    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    with pytest.raises(MyError, match="no saved generator yet"):
        load_run_weights(make_model(0.0), run, "g", label="generator", error=MyError)
    (run / "model" / "g.weights.h5").write_bytes(b"not an HDF5 file")
    with pytest.raises(MyError, match=r"g\.weights\.h5: cannot load these weights"):
        load_run_weights(make_model(0.0), run, "g", error=MyError)

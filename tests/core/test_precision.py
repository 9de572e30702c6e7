"""Mixed precision: the automatic choice and its overrides, float32 state under mixed precision, and
checkpoints that move between precisions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.hardware import read_cpu_info
from core.training import precision as prec
from core.training.config import Budget, RunConfig
from core.training.engine import train
from tests.core.unet_helpers import synthetic_pair, unet_params, write_folders

ZEN4_FLAGS = "fpu sse4_2 avx avx2 fma f16c avx512f avx512dq avx512_bf16 avx512_vnni"
AVX2_FLAGS = "fpu sse4_2 avx avx2 fma f16c"


def cpuinfo(flags: str, vendor: str = "AuthenticAMD", family: int = 25, mhz: float = 2600.0) -> str:
    return (f"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: 17\n"
            f"model name\t: Test CPU\ncpu MHz\t\t: {mhz}\nflags\t\t: {flags}\n\nprocessor\t: 1\n")


class Measure:
    """A fake probe: fixed step times, counting its calls."""

    def __init__(self, float32_ms: float, bfloat16_ms: float):
        self.times = {"float32": float32_ms, "bfloat16": bfloat16_ms}
        self.calls = 0

    def __call__(self, precisions):
        self.calls += 1
        return {p: self.times[p] for p in precisions}


@pytest.fixture
def bf16_cpu(monkeypatch):
    """A CPU with bfloat16 instructions and a fixed fingerprint; no SEGGAN_PRECISION override."""
    monkeypatch.delenv("SEGGAN_PRECISION", raising=False)
    monkeypatch.setattr("core.hardware.read_cpu_info", lambda: read_cpu_info(cpuinfo(ZEN4_FLAGS), cores=2))
    fingerprint = {"cpu": "Test CPU", "tensorflow": "x", "gpus": []}
    monkeypatch.setattr(prec, "machine_fingerprint", lambda: dict(fingerprint))
    return fingerprint


# --- choosing ------------------------------------------------------------------------------------------
def test_an_explicit_precision_is_used_as_asked_without_measuring(bf16_cpu, tmp_path):
    def never(_):
        raise AssertionError("an explicit precision must not be measured")

    for name in ("float32", "bfloat16", "float16"):
        choice = prec.choose_precision(name, cache_path=tmp_path / "c.json", measure=never)
        assert (choice.precision, choice.requested) == (name, name)
    assert prec.choose_precision("bfloat16").policy == "mixed_bfloat16"
    assert prec.choose_precision("float16").policy == "mixed_float16"
    with pytest.raises(ValueError, match="precision must be one of"):
        prec.choose_precision("int8")


def test_auto_takes_bfloat16_only_when_measured_clearly_faster(bf16_cpu, tmp_path):
    faster = prec.choose_precision("auto", cache_path=None, measure=Measure(30.0, 20.0))
    assert faster.precision == "bfloat16" and "1.50x faster" in faster.reason
    assert faster.probe_ms == {"float32": 30.0, "bfloat16": 20.0}
    barely = prec.choose_precision("auto", cache_path=None, measure=Measure(30.0, 28.5))
    assert barely.precision == "float32" and "not clearly faster" in barely.reason
    slower = prec.choose_precision("auto", cache_path=None, measure=Measure(30.0, 45.0))
    assert slower.precision == "float32"


def test_auto_measures_once_per_machine_and_caches_the_result(bf16_cpu, tmp_path):
    cache = tmp_path / "cache" / "precision.json"
    measure = Measure(30.0, 20.0)
    first = prec.choose_precision("auto", cache_path=cache, measure=measure)
    second = prec.choose_precision("auto", cache_path=cache, measure=measure)
    assert measure.calls == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.precision == first.precision == "bfloat16" and second.reason == first.reason
    saved = json.loads(cache.read_text())
    (entry,) = saved["entries"].values()
    assert entry["precision"] == "bfloat16" and entry["fingerprint"]["cpu"] == "Test CPU"
    bf16_cpu["tensorflow"] = "y"  # another TensorFlow (or CPU, threads, GPU): measured again
    third = prec.choose_precision("auto", cache_path=cache, measure=Measure(30.0, 40.0))
    assert third.precision == "float32" and not third.cached
    assert len(json.loads(cache.read_text())["entries"]) == 2


def test_a_broken_cache_file_is_measured_again(bf16_cpu, tmp_path):
    cache = tmp_path / "precision.json"
    cache.write_text("{not json")
    measure = Measure(30.0, 20.0)
    assert prec.choose_precision("auto", cache_path=cache, measure=measure).precision == "bfloat16"
    assert measure.calls == 1 and json.loads(cache.read_text())["version"] == prec.CACHE_VERSION


def test_auto_is_float32_without_bfloat16_instructions_and_does_not_measure(monkeypatch, tmp_path):
    monkeypatch.delenv("SEGGAN_PRECISION", raising=False)
    monkeypatch.setattr("core.hardware.read_cpu_info", lambda: read_cpu_info(cpuinfo(AVX2_FLAGS), cores=2))
    monkeypatch.setattr(prec, "machine_fingerprint", lambda: {"cpu": "Test CPU", "gpus": []})

    def never(_):
        raise AssertionError("nothing to measure without bfloat16 instructions")

    choice = prec.choose_precision("auto", cache_path=tmp_path / "c.json", measure=never)
    assert choice.precision == "float32" and "no bfloat16 instructions" in choice.reason


def test_the_environment_and_multiworker_rules_for_runs(bf16_cpu, monkeypatch):
    monkeypatch.setenv("SEGGAN_PRECISION", "bfloat16")
    assert prec.resolve_precision("auto").precision == "bfloat16"
    assert prec.resolve_precision("float32").precision == "float32"  # an explicit choice wins
    monkeypatch.setenv("SEGGAN_PRECISION", "fast")
    with pytest.raises(ValueError, match="SEGGAN_PRECISION"):
        prec.resolve_precision("auto")
    monkeypatch.delenv("SEGGAN_PRECISION")

    class MultiWorkerMirroredStrategy:  # stands for the real one: only its name is looked at
        pass

    choice = prec.resolve_precision("auto", MultiWorkerMirroredStrategy())
    assert choice.precision == "float32" and "multi-worker" in choice.reason


def test_the_real_probe_times_both_precisions():
    times = prec.probe_step_ms(rounds=1, steps=1, shape=(2, 16, 16, 4), width=8)
    assert set(times) == {"float32", "bfloat16"} and all(t > 0 for t in times.values())


def test_run_config_and_cli_carry_the_override(tmp_path):
    with pytest.raises(ValueError, match="precision must be one of"):
        RunConfig(task="unet", precision="half").validate()
    from core.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["train-seg", "--images", "a", "--masks", "b", "--out", "r", "--precision", "bfloat16"])
    assert args.precision == "bfloat16"
    assert parser.parse_args(["train-gan", "--out", "r"]).precision == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["train-seg", "--images", "a", "--masks", "b", "--out", "r", "--precision", "int8"])


# --- training in mixed precision -----------------------------------------------------------------------
def built_unet_task(root, precision: str):
    from core.unet.task import UNetTask

    images, masks = write_folders(root / "data", count=4)
    task = UNetTask(unet_params(images, masks), seed=1)
    task.precision = precision
    task.build({"main": 3e-3})
    return task


def test_unet_state_stays_float32_under_mixed_precision(tmp_path):
    from core.runtime import tensorflow

    tf = tensorflow()
    task = built_unet_task(tmp_path, "bfloat16")
    model, optimizer = task.models["unet"], task.optimizers["main"]
    assert model.get_layer("down0_conv1").compute_dtype == "bfloat16"  # mixed precision is really applied ...
    assert model.get_layer("logits").compute_dtype == "float32"
    step = tf.function(lambda batch: task.train_step(batch, 4))
    iterator = iter(task.dataset(4))
    for _ in range(2):
        metrics = step(next(iterator))
    assert {v.dtype for v in model.variables} == {"float32"}  # ... with float32 weights and BN statistics,
    assert {v.dtype for v in optimizer.variables} <= {"float32", "int64"}  # optimizer slots,
    assert all(value.dtype == tf.float32 for value in metrics.values())  # losses and metrics
    assert all(np.isfinite(float(value)) for value in metrics.values())
    assert model(np.zeros((1, 32, 32, 3), np.float32), training=False).dtype == tf.float32


def test_float16_trains_with_loss_scaling_and_float32_state(tmp_path):
    import keras

    from core.runtime import tensorflow

    tf = tensorflow()
    task = built_unet_task(tmp_path, "float16")
    model, optimizer = task.models["unet"], task.optimizers["main"]
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer("down0_conv1").compute_dtype == "float16"
    before = [v.numpy().copy() for v in model.trainable_variables]
    step = tf.function(lambda batch: task.train_step(batch, 4))
    iterator = iter(task.dataset(4))
    for _ in range(3):
        metrics = step(next(iterator))
    assert np.isfinite(float(metrics["loss"]))
    after = [v.numpy() for v in model.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))  # it learns
    assert {v.dtype for v in model.variables} == {"float32"}


def test_the_engine_builds_the_task_in_the_chosen_precision(tmp_path):
    images, masks = write_folders(tmp_path / "data", count=4)
    config = RunConfig(task="unet", task_params=unet_params(images, masks), seed=1, batch_size=4,
                       learning_rates={"main": 3e-3}, budget=Budget(steps=4), log_every=2, sample_every=1000,
                       checkpoint_every=1000, precision="bfloat16")
    events = []
    result = train(tmp_path / "run", config, emit=events.append)
    assert result.state == "finished" and np.isfinite(result.last_metrics["loss"])
    assert any(getattr(e, "text", "") == "precision bfloat16: asked for" for e in events)
    from core.training.run_folder import RunFolder

    assert RunFolder(tmp_path / "run").read_config().precision == "bfloat16"


def test_gan_state_stays_float32_under_mixed_precision(tmp_path):
    from core.gan.task import GanTask
    from core.runtime import tensorflow

    tf = tensorflow()
    task = GanTask({"data": "procedural", "size": 28, "dataset_limit": 64, "quality_samples": 16,
                    "quality_every": 0}, seed=0)
    task.precision = "bfloat16"
    task.build({"generator": 2e-4, "discriminator": 2e-4})
    generator, discriminator = task.models["generator"], task.models["discriminator"]
    assert generator.get_layer("up0").compute_dtype == "bfloat16"
    assert discriminator.get_layer("down0").compute_dtype == "bfloat16"
    assert generator.get_layer("to_image").compute_dtype == "float32"
    assert task.models["generator_ema"].get_layer("up0").compute_dtype == "float32"
    batch = next(iter(task.dataset(8)))
    metrics = tf.function(lambda b: task.train_step(b, 8))(batch)
    assert all(value.dtype == tf.float32 and np.isfinite(float(value)) for value in metrics.values())
    for name in ("generator", "discriminator", "generator_ema"):
        assert {v.dtype for v in task.models[name].variables} == {"float32"}, name
    for optimizer in task.optimizers.values():
        assert {v.dtype for v in optimizer.variables} <= {"float32", "int64"}
    # the EMA generator moved towards the trained one (EMA in float32, not a copy of bfloat16 values)
    ema = task.models["generator_ema"].get_layer("up0").kernel.numpy()
    live = generator.get_layer("up0").kernel.numpy()
    assert ema.dtype == np.float32 and np.allclose(ema, live, atol=1e-2)


# --- checkpoints across precisions ----------------------------------------------------------------------
@pytest.mark.parametrize(("trained_in", "loaded_in"), [("bfloat16", "float32"), ("float32", "bfloat16"),
                                                       ("float16", "float32")])
def test_a_checkpoint_saved_in_one_precision_predicts_in_another(tmp_path, trained_in, loaded_in):
    from core.unet.inference import load_segmenter

    images, masks = write_folders(tmp_path / "data", count=6)
    config = RunConfig(task="unet", task_params=unet_params(images, masks), seed=1, batch_size=8,
                       learning_rates={"main": 3e-3}, budget=Budget(steps=40), log_every=10, sample_every=1000,
                       checkpoint_every=20, precision=trained_in)
    result = train(tmp_path / "run", config)
    assert result.state == "finished"
    same = load_segmenter(tmp_path / "run", precision=trained_in)
    other = load_segmenter(tmp_path / "run", precision=loaded_in)
    assert (same.precision, other.precision) == (trained_in, loaded_in)
    assert other.model.get_layer("down0_conv1").compute_dtype == loaded_in
    rgb, _ = synthetic_pair(64, 80, seed=777)
    labels_same, probs_same = same.predict(rgb)
    labels_other, probs_other = other.predict(rgb)
    assert probs_other.dtype == np.float32 and np.allclose(probs_other.sum(-1), 1, atol=1e-3)
    assert np.abs(probs_same - probs_other).max() < 0.1  # 16-bit rounding, not different weights
    assert (labels_same == labels_other).mean() > 0.98
    # both hold the trained float32 weights (not a fresh model's)
    from core.unet.model import build_unet

    fresh = build_unet(same.spec).get_weights()
    for a, b in zip(same.model.get_weights(), other.model.get_weights(), strict=True):
        assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b)
    assert any(not np.allclose(a, c) for a, c in zip(other.model.get_weights(), fresh, strict=True))

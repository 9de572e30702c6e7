"""Which floating-point precision a model computes in: float32, or mixed bfloat16 / float16.

Mixed precision (Keras's ``mixed_bfloat16`` / ``mixed_float16`` policies) computes layers in 16 bits and keeps
every variable in float32: weights, batch-norm statistics, optimizer slots, EMA copies. Models end in a
float32 layer, so logits, losses and metrics are float32 too. Checkpoints and saved weights are therefore the
same files in every precision: a model trained in one loads and predicts in another.

``choose_precision("auto")`` decides by measurement, not by feature flags alone: it times a small
convolution/batch-norm training step in float32 and in bfloat16 (alternating rounds, median) and takes
bfloat16 only when it is clearly faster (a CPU without bfloat16 instructions is not even measured: there
bfloat16 is emulated and slower). The result is cached per machine (CPU, cores, threads, TensorFlow version,
GPUs) in the user cache folder, so the check costs about a second once, not at every run. ``auto`` never picks
float16: it needs loss scaling (a different optimizer, so checkpoints would not resume across precisions) and
where it is fast, bfloat16 usually is too. Ask for it explicitly when you want it.

For a training run or a loaded model (:func:`resolve_precision`), ``SEGGAN_PRECISION=float32|bfloat16|float16`` makes
``auto`` resolve to that without measuring (tests, CI, reproducing a run), and a multi-worker run resolves
``auto`` to float32 unless that variable is set: each worker would measure on its own, and replicas must
agree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.training.config import PRECISIONS  # one list, kept where RunConfig validates it

log = logging.getLogger(__name__)

_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
CLEARLY_FASTER = 0.9  # bfloat16 is chosen when its probe step takes at most 90 % of float32's
CACHE_VERSION = 1


@dataclass(frozen=True)
class PrecisionChoice:
    requested: str  # what was asked for: auto, float32, bfloat16 or float16
    precision: str  # what is used: float32, bfloat16 or float16
    reason: str  # one sentence for the user
    probe_ms: dict = field(default_factory=dict)  # median probe step time per measured precision
    cached: bool = False

    @property
    def policy(self) -> str:
        """The Keras dtype policy name: float32, mixed_bfloat16 or mixed_float16."""
        return policy_name(self.precision)

    @property
    def mixed(self) -> bool:
        return self.precision != "float32"

    def to_dict(self) -> dict:
        return asdict(self)


def validate_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {name!r}")
    return name


def policy_name(precision: str) -> str:
    """Keras dtype policy for a concrete precision (also accepts a policy name itself)."""
    if precision in _POLICIES.values():
        return precision
    if precision not in _POLICIES:
        raise ValueError(f"no dtype policy for precision {precision!r} (resolve 'auto' first)")
    return _POLICIES[precision]


def wrap_optimizer(optimizer, precision: str):
    """float16 needs dynamic loss scaling against underflowing gradients; float32 and bfloat16 do not."""
    if precision != "float16":
        return optimizer
    import keras

    return keras.optimizers.LossScaleOptimizer(optimizer)


# --- the measured check ---------------------------------------------------------------------------------
def _gpu_names() -> list[str]:
    from core.runtime import tensorflow

    tf = tensorflow()
    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            names.append(str(tf.config.experimental.get_device_details(device).get("device_name", device.name)))
        except (RuntimeError, ValueError):
            names.append(device.name)
    return names


def machine_fingerprint() -> dict:
    """What the measurement depends on; a cached result is reused only for an identical fingerprint."""
    from core.hardware import read_cpu_info
    from core.runtime import device_report

    info = read_cpu_info()
    report = device_report()
    return {"cpu": info.model_name, "family": info.family, "model": info.model, "features": list(info.features),
            "cores": info.cores, "intra_op_threads": report.intra_op_threads, "tensorflow": report.tensorflow,
            "keras": report.keras, "gpus": _gpu_names()}


def _key(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


def default_cache_path() -> Path:
    override = os.environ.get("SEGGAN_PRECISION_CACHE")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("seggan-studio", appauthor=False)) / "precision.json"


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    return data


def _write_cache(path: Path, key: str, entry: dict) -> None:
    from core.atomic import atomic_write_json

    data = _read_cache(path) or {"version": CACHE_VERSION}
    entries = data.setdefault("entries", {})
    entries[key] = entry
    try:
        atomic_write_json(path, data)
    except OSError as exc:  # a read-only home folder must not stop training
        log.warning("could not cache the precision choice in %s: %s", path, exc)


def probe_step_ms(precisions=("float32", "bfloat16"), rounds: int = 5, steps: int = 4,
                  shape=(8, 64, 64, 16), width: int = 32) -> dict[str, float]:
    """Median milliseconds of a small training step (two 3x3 convolutions with batch norm and ReLU, a
    float32 head, its gradient) per precision; the precisions alternate round by round so a busy moment of a
    shared machine hits all of them."""
    import keras

    from core.runtime import tensorflow
    from core.training.fused_batch_norm import FusedBatchNormalization

    tf = tensorflow()
    x = tf.random.stateless_uniform(shape, seed=(5, 6))
    steps_by_precision = {}
    for precision in precisions:
        policy = policy_name(precision)
        layers = [keras.layers.Conv2D(width, 3, padding="same", use_bias=False, dtype=policy),
                  FusedBatchNormalization(dtype=policy), keras.layers.ReLU(dtype=policy),
                  keras.layers.Conv2D(width, 3, padding="same", use_bias=False, dtype=policy),
                  FusedBatchNormalization(dtype=policy), keras.layers.ReLU(dtype=policy),
                  keras.layers.Conv2D(1, 1, dtype="float32")]
        model = keras.Sequential([keras.Input(shape[1:]), *layers])

        @tf.function
        def step(model=model):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x, training=True)))
            grads = tape.gradient(loss, model.trainable_variables)
            return tf.add_n([tf.reduce_sum(tf.cast(g, tf.float32)) for g in grads])

        step().numpy()  # trace and warm up
        steps_by_precision[precision] = step
    times: dict[str, list[float]] = {p: [] for p in precisions}
    for _ in range(rounds):
        for precision, step in steps_by_precision.items():
            start = time.perf_counter()
            for _ in range(steps):
                step().numpy()
            times[precision].append((time.perf_counter() - start) * 1000 / steps)
    return {p: round(statistics.median(v), 3) for p, v in times.items()}


def _measured_choice(cache_path: Path | None, measure) -> PrecisionChoice:
    from core.hardware import read_cpu_info

    fingerprint = machine_fingerprint()
    if not fingerprint["gpus"] and not read_cpu_info().bf16_instructions:
        return PrecisionChoice("auto", "float32", "float32: this CPU has no bfloat16 instructions")
    key = _key(fingerprint)
    if cache_path is not None:
        entry = _read_cache(cache_path).get("entries", {}).get(key)
        if entry and entry.get("precision") in _POLICIES:
            return PrecisionChoice("auto", entry["precision"], entry.get("reason", ""), entry.get("probe_ms", {}),
                                   cached=True)
    probe = measure(("float32", "bfloat16"))
    f32, b16 = probe["float32"], probe["bfloat16"]
    if b16 <= CLEARLY_FASTER * f32:
        choice = PrecisionChoice("auto", "bfloat16", f"mixed bfloat16: {f32 / b16:.2f}x faster than float32 "
                                 f"in a measured training step ({b16:.1f} vs {f32:.1f} ms)", probe)
    else:
        choice = PrecisionChoice("auto", "float32", f"float32: mixed bfloat16 was not clearly faster in a "
                                 f"measured training step ({b16:.1f} vs {f32:.1f} ms)", probe)
    if cache_path is not None:
        _write_cache(cache_path, key, {"precision": choice.precision, "reason": choice.reason, "probe_ms": probe,
                                       "fingerprint": fingerprint, "measured_at": time.time()})
    return choice


def choose_precision(requested: str = "auto", cache_path: Path | None | str = "default",
                     measure=probe_step_ms) -> PrecisionChoice:
    """Resolve a requested precision. ``auto`` measures (or reads the cached measurement, see the module
    doc); anything else is used as asked. ``cache_path=None`` measures without caching."""
    validate_precision(requested)
    if requested != "auto":
        return PrecisionChoice(requested, requested, f"{requested}: asked for")
    path = default_cache_path() if cache_path == "default" else (Path(cache_path) if cache_path else None)
    return _measured_choice(path, measure)


def resolve_precision(requested: str, strategy=None) -> PrecisionChoice:
    """The precision of a training run or a loaded model: as :func:`choose_precision`, with the environment
    override and (given the run's ``strategy``) the multi-worker rule of the module doc."""
    validate_precision(requested)
    if requested == "auto":
        forced = os.environ.get("SEGGAN_PRECISION", "")
        if forced:
            if forced not in _POLICIES:
                raise ValueError(f"SEGGAN_PRECISION must be float32, bfloat16 or float16, not {forced!r}")
            return PrecisionChoice("auto", forced, f"{forced}: set by SEGGAN_PRECISION")
        if strategy is not None and "MultiWorker" in type(strategy).__name__:
            return PrecisionChoice("auto", "float32", "float32: a multi-worker run does not measure per worker "
                                   "(set SEGGAN_PRECISION or --precision to use mixed precision)")
    return choose_precision(requested)

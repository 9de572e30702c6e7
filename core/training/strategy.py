"""Choosing a tf.distribute strategy: one device, mirrored over local devices, or multi-worker (TF_CONFIG)."""

from __future__ import annotations

import json
import os

from core.runtime import tensorflow


def cluster_size() -> int:
    """Workers (chief included) that TF_CONFIG describes; 1 without TF_CONFIG."""
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "") or "{}").get("cluster", {})
    except ValueError:
        raise ValueError("TF_CONFIG is not valid JSON") from None
    return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker")) or 1


def resolve_auto() -> str:
    """What ``auto`` means here, decided without starting TensorFlow's context: MultiWorkerMirroredStrategy
    configures collective ops, which TensorFlow allows only before the context starts, and listing logical
    devices starts it. So the cluster is read from TF_CONFIG first, and GPUs are counted as physical devices
    (listing those does not start the context)."""
    if cluster_size() > 1:
        return "multiworker"
    gpus = tensorflow().config.list_physical_devices("GPU")
    return "mirrored" if len(gpus) > 1 else "one"


def make_strategy(kind: str = "auto"):
    """auto: multi-worker when TF_CONFIG names several workers, mirrored over several GPUs, else one device."""
    if kind == "auto":
        kind = resolve_auto()
    tf = tensorflow()
    if kind == "one":
        # The default strategy: one replica on the default device (the first GPU if any, else the CPU).
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if kind == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("the multiworker strategy needs TF_CONFIG describing the cluster and this task")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {kind!r}")


def is_chief(strategy) -> bool:
    """The worker that writes the run folder: the chief, or worker 0 when there is no chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    if resolver.task_type == "chief":
        return True
    if resolver.task_type == "worker":
        spec = resolver.cluster_spec().as_dict()
        return "chief" not in spec and resolver.task_id == 0
    return False


def describe(strategy) -> str:
    name = type(strategy).__name__
    if name.startswith("_Default"):
        name = "one device"
    elif name == "CollectiveAllReduceStrategy":  # the class behind tf.distribute.MultiWorkerMirroredStrategy
        name = "MultiWorkerMirroredStrategy"
    return f"{name} with {strategy.num_replicas_in_sync} replica{'s' if strategy.num_replicas_in_sync != 1 else ''}"

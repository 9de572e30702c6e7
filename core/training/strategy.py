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


def make_strategy(kind: str = "auto"):
    """auto: multi-worker when TF_CONFIG names several workers, mirrored over several GPUs, else one device."""
    tf = tensorflow()
    if kind == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        if cluster_size() > 1:
            kind = "multiworker"
        elif len(gpus) > 1:
            kind = "mirrored"
        else:
            kind = "one"
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
    return f"{name} with {strategy.num_replicas_in_sync} replica{'s' if strategy.num_replicas_in_sync != 1 else ''}"

"""What the training benchmarks report about speed: counted FLOPs, GFLOP/s, the share of the machine's peak,
and the steady rate from a run's metrics.csv. Kept here so that train_seg.py and train_gan.py each add only a
few lines (``hardware_report`` before training, ``run_throughput`` after it).

``hardware_report`` describes the CPU (core.hardware) with its estimated peak and a measured matrix-product
peak; ``run_throughput`` counts one training step's FLOPs with TensorFlow's profiler (the task's traced
``train_step``, built in the precision the run used) and turns steps and seconds into GFLOP/s and shares of
the peak. The peak used is the larger of the estimate and the measured matrix product (see core/hardware.py).
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path


def hardware_report(measure: bool = True) -> dict:
    from core.hardware import estimate_peak, measure_matmul_peak, read_cpu_info

    info = read_cpu_info()
    measured = measure_matmul_peak() if measure else {}
    peak = estimate_peak(info, measured)
    return {"cpu": info.model_name, "cores": info.cores, "mhz": info.mhz, "mhz_source": info.mhz_source,
            "features": list(info.features), "estimated_peak_gflops": {"float32": peak.float32_gflops,
                                                                       "bfloat16": peak.bfloat16_gflops},
            "measured_matmul_gflops": measured, "basis": peak.basis, "_peak": peak}


def public(report: dict) -> dict:
    """The report without its private objects (for JSON)."""
    return {k: v for k, v in report.items() if not k.startswith("_")}


def resolved_precision(requested: str) -> dict:
    """What a run asking for ``requested`` computes in, and why (the engine resolves the same way: ``auto``
    reads the same cached measurement)."""
    from core.training.precision import resolve_precision

    choice = resolve_precision(requested)
    return {"requested": requested, "precision": choice.precision, "why": choice.reason}


def step_throughput(flops_per_step: int, steps: int, seconds: float, hardware: dict, precision: str) -> dict:
    peak = hardware["_peak"]
    gflops = flops_per_step * steps / max(seconds, 1e-9) / 1e9
    key = "bfloat16" if precision in ("bfloat16", "float16") else "float32"
    estimated = peak.bfloat16_gflops if key == "bfloat16" else peak.float32_gflops
    measured = peak.measured.get(key)
    best = peak.peak(key)
    return {"gflop_per_step": round(flops_per_step / 1e9, 3), "gflops_per_s": round(gflops, 1),
            "peak_precision": key, "peak_gflops": best,
            "share_of_peak": round(gflops / best, 3) if best else None,
            "share_of_estimated_peak": round(gflops / estimated, 3) if estimated else None,
            "share_of_measured_matmul": round(gflops / measured, 3) if measured else None}


def steady_rate(run_dir: Path, column: str = "images_per_s", skip: int = 2) -> float | None:
    """Median of a metrics.csv rate column after its first ``skip`` rows (tracing, first checkpoint)."""
    path = Path(run_dir) / "metrics.csv"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            values = [float(row[column]) for row in csv.DictReader(handle) if row.get(column)]
    except (OSError, ValueError, KeyError):
        return None
    values = values[skip:] or values
    return round(statistics.median(values), 2) if values else None


def step_flops(config, precision: str) -> int:
    """Counted FLOPs of one training step of ``config``'s model, built in ``precision``."""
    from core.training.flops import count_task_step_flops
    from core.training.task import task_class

    task = task_class(config.task)(config.task_params, config.seed)
    task.precision = precision
    task.build(dict(config.learning_rates))
    try:
        return count_task_step_flops(task, config.batch_size).total
    finally:
        quality = getattr(task, "quality", None)  # the GAN task's background scorer
        if quality is not None and hasattr(quality, "wait"):
            quality.wait()


def run_throughput(config, run_dir: Path, steps: int, seconds: float | None, hardware: dict,
                   precision: dict) -> dict:
    """The speed section of a benchmark's JSON for a finished run (``precision`` from resolved_precision;
    ``seconds`` None: the training time the run folder's status records)."""
    if seconds is None:
        from core.training.run_folder import RunFolder

        seconds = float(RunFolder(run_dir).read_status().get("elapsed_s") or 0.0)
    flops = step_flops(config, precision["precision"])
    out = {**precision, **step_throughput(flops, steps, seconds, hardware, precision["precision"])}
    steady = steady_rate(run_dir)  # images/s (the GAN's metrics.csv counts images too: steps x batch)
    if steady is not None:
        out["steady_images_per_s"] = steady
        out["steady_steps_per_s"] = round(steady / config.batch_size, 2)
        out["steady_gflops_per_s"] = round(flops * steady / config.batch_size / 1e9, 1)
    return out

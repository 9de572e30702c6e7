"""What the CPU can do: its vector features, cores and clock, and an estimate of its peak GFLOP/s.

Training benchmarks divide the GFLOP/s a step achieves by this peak, so a change is measured against the
machine's limit rather than against the last number. Two peaks:

- the *estimate* from the instruction set: cores x clock x FLOPs per cycle, where FLOPs per cycle are
  FMA units x vector lanes x 2. The FMA unit count and the real datapath width are not in /proc/cpuinfo;
  ``_fma_layout`` infers them from the vendor and family (documented per case) and says so in ``basis``;
- the *measured* peak (:func:`measure_matmul_peak`): the GFLOP/s of a large matrix product in TensorFlow,
  i.e. what oneDNN actually reaches here. It exceeds the estimate when the cores run above the clock the
  OS reports (a hypervisor often shows only the nominal clock), so reports use the larger of the two.

Only the standard library here; TensorFlow is imported by the measuring function alone.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

FEATURES = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "avx512_vnni",
            "avx_vnni", "amx_tile", "amx_bf16", "amx_fp16", "f16c")


@dataclass(frozen=True)
class CpuInfo:
    vendor: str = ""
    model_name: str = ""
    family: int = 0
    model: int = 0
    cores: int = 1  # logical CPUs this process may run on
    mhz: float | None = None  # the clock the OS reports (max frequency if known, else current / nominal)
    mhz_source: str = ""
    features: tuple[str, ...] = ()  # the members of FEATURES the CPU has

    def has(self, feature: str) -> bool:
        return feature in self.features

    @property
    def bf16_instructions(self) -> str:
        """The fastest bfloat16 matrix instructions: "amx", "avx512_bf16" or "" (none: emulated)."""
        if self.has("amx_bf16") and self.has("amx_tile"):
            return "amx"
        if self.has("avx512_bf16"):
            return "avx512_bf16"
        return ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PeakEstimate:
    float32_gflops: float | None
    bfloat16_gflops: float | None
    float32_flops_per_cycle: int  # per core
    bfloat16_flops_per_cycle: int
    basis: str  # how the numbers were derived, for people reading a benchmark's JSON
    measured: dict = field(default_factory=dict)  # {"float32": GFLOP/s, "bfloat16": GFLOP/s} if measured

    def peak(self, precision: str = "float32") -> float | None:
        """The larger of the estimate and the measured matrix-product rate for ``precision``."""
        key = "bfloat16" if precision in ("bfloat16", "mixed_bfloat16") else "float32"
        estimate = self.bfloat16_gflops if key == "bfloat16" else self.float32_gflops
        values = [v for v in (estimate, self.measured.get(key)) if v]
        return max(values) if values else None

    def to_dict(self) -> dict:
        return asdict(self)


def _parse_cpuinfo(text: str) -> dict:
    """The first processor block of /proc/cpuinfo as a dict (x86 keys; ARM's differ and are kept too)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def _max_mhz() -> tuple[float | None, str]:
    path = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    try:
        return int(path.read_text().strip()) / 1000.0, str(path)
    except (OSError, ValueError):
        return None, ""


def read_cpu_info(cpuinfo_text: str | None = None, cores: int | None = None,
                  max_mhz: float | None = None) -> CpuInfo:
    """Read the CPU's description (Linux /proc/cpuinfo and cpufreq; elsewhere the core count only).

    ``cpuinfo_text``, ``cores`` and ``max_mhz`` replace what would be read (for tests and other machines).
    """
    if cpuinfo_text is None:
        try:
            cpuinfo_text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo_text = ""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    fields = _parse_cpuinfo(cpuinfo_text)
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    mhz, source = (max_mhz, "given") if max_mhz else _max_mhz()
    if mhz is None and fields.get("cpu MHz"):
        try:
            mhz, source = float(fields["cpu MHz"]), "/proc/cpuinfo cpu MHz"
        except ValueError:
            pass
    model_name = fields.get("model name", "")
    if mhz is None:  # "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"
        match = re.search(r"@\s*([\d.]+)\s*GHz", model_name)
        if match:
            mhz, source = float(match.group(1)) * 1000.0, "model name"

    def number(key: str) -> int:
        try:
            return int(fields.get(key, "0"), 0)
        except ValueError:
            return 0

    return CpuInfo(vendor=fields.get("vendor_id", ""), model_name=model_name, family=number("cpu family"),
                   model=number("model"), cores=max(1, int(cores)), mhz=mhz, mhz_source=source,
                   features=tuple(f for f in FEATURES if f in flags))


def _fma_layout(info: CpuInfo) -> tuple[int, int, str]:
    """(FMA units per core, datapath bits, why) for the vector floating-point units."""
    if info.has("avx512f"):
        if info.vendor == "AuthenticAMD" and info.family == 0x19:
            return 2, 256, "Zen 4: AVX-512 executed on two 256-bit FMA pipes"
        if info.vendor == "AuthenticAMD":
            return 2, 512, "AMD with AVX-512 after Zen 4 (Zen 5): two 512-bit FMA pipes"
        return 2, 512, "Intel with AVX-512: assumed two 512-bit FMA units (server cores; clients have one)"
    if info.has("avx2") and info.has("fma"):
        return 2, 256, "AVX2 + FMA: two 256-bit FMA units"
    if info.has("avx"):
        return 1, 256, "AVX without FMA: one 256-bit multiply and one add per cycle"
    return 1, 128, "SSE: one 128-bit multiply and one add per cycle"


def estimate_peak(info: CpuInfo | None = None, measured: dict | None = None) -> PeakEstimate:
    """Peak GFLOP/s from the instruction set (see the module doc), optionally with measured rates."""
    info = info or read_cpu_info()
    units, bits, why = _fma_layout(info)
    f32 = units * (bits // 32) * 2
    bf16_kind = info.bf16_instructions
    if bf16_kind == "amx":
        # AMX TMUL: a 16x32 by 32x16 bf16 tile product (16*16*32 multiply-adds) per 16 cycles per core.
        b16, bf16_why = 1024, "AMX-BF16 tiles: 1024 FLOPs per cycle"
    elif bf16_kind == "avx512_bf16":
        b16, bf16_why = 2 * f32, "AVX512-BF16 dot products: two bf16 multiply-adds per float32 lane"
    else:
        b16, bf16_why = f32, "no bf16 instructions: bf16 is converted and computed as float32"
    if info.mhz:
        ghz = info.mhz / 1000.0
        gflops32 = round(info.cores * ghz * f32, 1)
        gflops16 = round(info.cores * ghz * b16, 1)
        clock = f"{info.cores} cores x {ghz:.2f} GHz ({info.mhz_source})"
    else:
        gflops32 = gflops16 = None
        clock = f"{info.cores} cores, clock unknown"
    basis = f"{clock}; {why} = {f32} float32 FLOPs/cycle/core; {bf16_why}"
    return PeakEstimate(gflops32, gflops16, f32, b16, basis, dict(measured or {}))


def measure_matmul_peak(precisions=("float32", "bfloat16"), n: int = 1536, seconds: float = 1.0) -> dict:
    """GFLOP/s of an n x n matrix product in TensorFlow for each precision (best of a few timed runs)."""
    from core.runtime import tensorflow

    tf = tensorflow()
    results = {}
    for name in precisions:
        dtype = tf.as_dtype(name)
        a = tf.random.stateless_uniform((n, n), seed=(1, 2), dtype=tf.float32)
        b = tf.random.stateless_uniform((n, n), seed=(3, 4), dtype=tf.float32)
        a, b = tf.cast(a, dtype), tf.cast(b, dtype)
        product = tf.function(lambda a=a, b=b: tf.reduce_sum(tf.cast(tf.matmul(a, b)[:1, :1], tf.float32)))
        product().numpy()
        best = float("inf")
        deadline = time.perf_counter() + seconds
        while True:
            start = time.perf_counter()
            product().numpy()
            best = min(best, time.perf_counter() - start)
            if time.perf_counter() > deadline:
                break
        results[name] = round(2.0 * n**3 / best / 1e9, 1)
    return results

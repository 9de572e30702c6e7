"""Reading the CPU's features and estimating its peak GFLOP/s."""

from __future__ import annotations

import pytest

from core.hardware import estimate_peak, read_cpu_info


def cpuinfo(flags: str, vendor: str = "AuthenticAMD", family: int = 25, mhz: str = "2600.000",
            name: str = "AMD EPYC 9R14") -> str:
    block = (f"processor\t: {{i}}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: 17\n"
             f"model name\t: {name}\n" + (f"cpu MHz\t\t: {mhz}\n" if mhz else "") + f"flags\t\t: {flags}\n")
    return "\n".join(block.format(i=i) for i in range(2))


ZEN4 = "fpu sse sse2 sse4_2 avx f16c fma avx2 avx512f avx512dq avx512bw avx512_bf16 avx512_vnni"


def test_features_cores_and_clock_are_read():
    info = read_cpu_info(cpuinfo(ZEN4), cores=2, max_mhz=None)
    assert info.vendor == "AuthenticAMD" and info.family == 25 and info.cores == 2
    assert {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni"} <= set(info.features)
    assert "amx_bf16" not in info.features and info.bf16_instructions == "avx512_bf16"
    assert info.mhz is not None and info.mhz > 0  # /sys max frequency where the OS has it, else cpuinfo's


def test_zen4_peak_is_two_256_bit_fma_pipes_per_core():
    # the machine: 2 Zen 4 cores at 2.6 GHz, two 256-bit FMA pipes each: 166 GFLOP/s float32
    peak = estimate_peak(read_cpu_info(cpuinfo(ZEN4), cores=2, max_mhz=2600.0))
    assert peak.float32_flops_per_cycle == 32
    assert peak.float32_gflops == pytest.approx(166.4)
    assert peak.bfloat16_gflops == pytest.approx(332.8)  # AVX512-BF16 dot products: 2x
    assert "Zen 4" in peak.basis and "2 cores x 2.60 GHz" in peak.basis


def test_other_cpus():
    zen5 = estimate_peak(read_cpu_info(cpuinfo(ZEN4, family=26), cores=4, max_mhz=3000.0))
    assert zen5.float32_gflops == pytest.approx(4 * 3.0 * 64)
    amx = read_cpu_info(cpuinfo(ZEN4 + " amx_tile amx_bf16", vendor="GenuineIntel", family=6), cores=1,
                        max_mhz=2000.0)
    assert amx.bf16_instructions == "amx"
    assert estimate_peak(amx).bfloat16_gflops == pytest.approx(2.0 * 1024)
    avx2 = estimate_peak(read_cpu_info(cpuinfo("sse4_2 avx avx2 fma", vendor="GenuineIntel", family=6), cores=2,
                                       max_mhz=3000.0))
    assert avx2.float32_gflops == pytest.approx(2 * 3.0 * 32)
    assert avx2.bfloat16_gflops == avx2.float32_gflops and "no bf16 instructions" in avx2.basis
    old = estimate_peak(read_cpu_info(cpuinfo("sse sse2 sse4_2", vendor="GenuineIntel", family=6), cores=1,
                                      max_mhz=1000.0))
    assert old.float32_gflops == pytest.approx(8.0)


def test_clock_from_the_model_name_or_unknown(monkeypatch):
    monkeypatch.setattr("core.hardware._max_mhz", lambda: (None, ""))
    named = read_cpu_info(cpuinfo(ZEN4, mhz="", name="Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"), cores=1)
    assert named.mhz == pytest.approx(2400.0) and named.mhz_source == "model name"
    unknown = read_cpu_info(cpuinfo(ZEN4, mhz="", name="Some CPU"), cores=1)
    assert unknown.mhz is None
    peak = estimate_peak(unknown)
    assert peak.float32_gflops is None and "clock unknown" in peak.basis
    assert peak.peak("float32") is None
    assert estimate_peak(unknown, measured={"float32": 100.0}).peak("float32") == 100.0


def test_the_peak_is_the_larger_of_estimate_and_measurement():
    info = read_cpu_info(cpuinfo(ZEN4), cores=2, max_mhz=2600.0)
    assert estimate_peak(info, measured={"float32": 120.0}).peak("float32") == pytest.approx(166.4)
    measured = estimate_peak(info, measured={"float32": 459.0, "bfloat16": 822.0})
    assert measured.peak("float32") == 459.0 and measured.peak("mixed_bfloat16") == 822.0


def test_no_cpuinfo_at_all():
    info = read_cpu_info("", cores=3, max_mhz=None)
    assert info.cores == 3 and info.features == ()


def test_this_machine_and_a_measured_matmul():
    from core.hardware import measure_matmul_peak

    info = read_cpu_info()
    assert info.cores >= 1
    rates = measure_matmul_peak(("float32",), n=256, seconds=0.05)
    assert rates["float32"] > 0.1

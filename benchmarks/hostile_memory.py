"""Peak memory of every hostile-corpus case, each public core call in a fresh process under an address-space
limit (``resource.RLIMIT_AS``, 4 GB by default), the way a user's file meets the studio.

The cases are those of ``tests/core/hostile_corpus.py`` (the same files the tests generate) plus its
``BIG_CASES``: files that are small on disk and decode to huge arrays (a 12000x12000 16-bit PNG, a float32
TIFF, palette+transparency and RGBA PNGs, an EXIF-rotated RGB PNG, an 8000x8000 16-bit PNG, a 35-byte GIF
with a 10000x10000 logical screen, 12000x12000 RGB and 16-bit masks, gzip IDX bombs). Every image case
is also read as a mask (``read_mask``, through ``core.masks``). Everything is generated at run time in a temp folder
and removed afterwards, each case built in a child of its own. Each (case, call) runs in its own child, which
reports its peak RSS as ``VmHWM`` from ``/proc/self/status`` (the high-water mark of the process image it
exec'd; ``wait4``'s ``ru_maxrss`` would carry over the parent's RSS at fork time); the parent kills a child
after ``--timeout`` seconds (a hang) and then reports ``wait4``'s figure, an upper bound.

Prints one JSON object: per case and call the outcome (ok / refused with its kind / raw exception / hang),
whether it is the corpus's expected outcome, peak RSS in MB and seconds; then the maximum peak over all
calls and over the calls that loaded, the interpreter's baseline, and the lists of raw exceptions, hangs
and unexpected outcomes (all three should be empty).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/hostile_memory.py [--only NAME_PART] [--no-big] [--limit-gb 4]

Takes about 3-5 minutes (the big cases dominate; the gzip bomb alone writes 4.7 GB through zlib).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOBODY = 65534


def _child(name: str, call: str, path: str, out: str, limit_bytes: int) -> None:
    """Run one call of one case (in a fresh interpreter) and write what happened to ``out``."""
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    from tests.core.hostile_corpus import BIG_CASES, CASES, Outcome, check, outcome_of

    case = next(c for c in CASES + BIG_CASES if c.name == name)
    if case.needs_non_root and os.geteuid() == 0:
        # import everything first: the interpreter's own files may not be readable by 'nobody'
        from PIL import Image

        import core.gan.data  # noqa: F401
        import core.jobs  # noqa: F401
        import core.maskio  # noqa: F401
        import core.masks.survey  # noqa: F401
        import core.thumbnails  # noqa: F401
        import core.workspace  # noqa: F401

        Image.init()  # every format plugin, imported now

        os.setgid(NOBODY)
        os.setuid(NOBODY)
    os.environ.update(case.env)
    start = time.perf_counter()
    outcome = outcome_of(call, Path(path))
    seconds = time.perf_counter() - start
    problems = check(case, call, Path(path), outcome, {"image": Outcome("not run in this process")})
    result = {"status": outcome.status, "kind": outcome.kind, "message": outcome.message[:300],
              "as_expected": not problems, "problems": problems, "seconds": round(seconds, 2),
              "peak_mb": _own_peak_mb()}
    Path(out).write_text(json.dumps(result))


def _own_peak_mb() -> float:
    # bytes, not text: a child running as 'nobody' may not be able to import a codec module
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _build(name: str, folder: str) -> None:
    """Build one case's files (in a child: a big case's generator may hold gigabytes while it writes)."""
    from tests.core.hostile_corpus import BIG_CASES, CASES

    case = next(c for c in CASES + BIG_CASES if c.name == name)
    os.environ.update(case.env)
    print(os.fsencode(case.build(Path(folder))).hex())  # hex: the name may not be valid UTF-8


def _run_child(name: str, call: str, path: Path, work: Path, limit_bytes: int, timeout: float) -> dict:
    out = work / f"result-{os.getpid()}-{time.monotonic_ns()}.json"
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", os.getcwd())}
    command = [sys.executable, os.path.abspath(__file__), "--child", name, call, str(path), str(out),
               str(limit_bytes)]
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            return {"status": "hang", "as_expected": False, "peak_mb": round(usage.ru_maxrss / 1024, 1),
                    "seconds": timeout}
        time.sleep(0.02)
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    stderr = child.stderr.read().decode("utf-8", "replace")[-400:] if child.stderr else ""
    child.stderr.close()
    if not out.exists():
        return {"status": "crash", "exit_code": child.returncode, "stderr": stderr, "as_expected": False,
                "peak_mb": peak_mb}
    result = json.loads(out.read_text())
    out.unlink()
    return result


def _baseline_mb(limit_bytes: int) -> float:
    """Peak RSS of a child that only imports what the calls import (the floor under every number)."""
    code = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes})); "
            "import tests.core.hostile_corpus, core.imageio, core.gan.data, core.workspace, core.thumbnails, "
            "core.maskio, core.masks.survey, core.unet.dataset; "
            "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0])")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return round(int(output) / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit-gb", type=float, default=4.0, help="address-space limit of each child")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a call counts as a hang")
    parser.add_argument("--only", default="", help="run only cases whose name contains one of these "
                        "(comma-separated)")
    parser.add_argument("--no-big", action="store_true", help="skip the big-but-small-on-disk cases")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        _build(*args.build)
        return 0
    if args.child:
        name, call, path, out, limit = args.child
        _child(name, call, path, out, int(limit))
        return 0

    from tests.core.hostile_corpus import BIG_CASES, CASES, calls_of

    limit_bytes = int(args.limit_gb * (1 << 30))
    cases = CASES + ([] if args.no_big else BIG_CASES)
    cases = [c for c in cases if any(part in c.name for part in args.only.split(","))]
    work = Path(tempfile.mkdtemp(prefix="seggan-hostile-memory-"))
    os.chmod(work, 0o777)  # cases that must run as 'nobody' read their files from here
    results: dict[str, dict] = {}
    started = time.perf_counter()
    try:
        for case in cases:
            folder = work / case.name
            folder.mkdir()
            os.chmod(folder, 0o777)
            built = subprocess.run([sys.executable, os.path.abspath(__file__), "--build", case.name, str(folder)],
                                   capture_output=True, text=True, check=True).stdout.strip()
            path = Path(os.fsdecode(bytes.fromhex(built)))
            for call in calls_of(case):
                result = _run_child(case.name, call, path, work, limit_bytes, args.timeout)
                results[f"{case.name}/{call}"] = result
                print(f"{case.name}/{call}: {result['status']} {result.get('kind', '')} "
                      f"{result['peak_mb']} MB", file=sys.stderr)
            _remove(folder)
    finally:
        _remove(work)
    peaks = {key: r["peak_mb"] for key, r in results.items()}
    loaded = {key: r["peak_mb"] for key, r in results.items() if r["status"] == "ok"}
    worst = max(peaks, key=peaks.get) if peaks else None
    worst_loaded = max(loaded, key=loaded.get) if loaded else None
    print(json.dumps({
        "limit_gb": args.limit_gb,
        "calls": len(results),
        "cases": len(cases),
        "baseline_mb": _baseline_mb(limit_bytes),
        "max_peak_mb": peaks.get(worst), "max_peak_call": worst,
        "max_peak_loaded_mb": loaded.get(worst_loaded), "max_peak_loaded_call": worst_loaded,
        "over_2gb": sorted(key for key, mb in peaks.items() if mb > 2048),
        "raw_exceptions": sorted(key for key, r in results.items() if r["status"] in ("raw", "crash")),
        "hangs": sorted(key for key, r in results.items() if r["status"] == "hang"),
        "unexpected": {key: r.get("problems") or r["status"] for key, r in results.items() if not r["as_expected"]},
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }, indent=1))
    return 0


def _remove(folder: Path) -> None:
    for root, dirs, _files in os.walk(folder):
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o755)
            except OSError:
                pass
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

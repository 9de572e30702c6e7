"""Engine overhead: images/s of the training engine versus a bare ``tf.function`` loop on the same model.

Both sides use the same task (``autoencoder-check``, by default 64x64 images, width 24, batch 32: about
40-50 ms per step on a 2-core CPU), the same dataset and the same ``train_step``:

- engine: ``core.training.engine.train`` on a new run folder in a temp dir, with realistic settings
  (log_every 10, sample_every 100, checkpoint_every 100), so metrics.csv rows, TensorBoard scalars, sample
  grids, checkpoints and status.json writes all count as overhead;
- engine_no_checkpoints: the same with sample_every and checkpoint_every beyond the budget (logging only);
- bare: ``@tf.function def step(iterator): return task.train_step(next(iterator), batch)`` in a plain
  Python loop, no strategy.run, no logging, no reading of the loss.

Each side is warmed up first (``--warmup`` steps, which cover tracing, the first checkpoint and the first
sample grid), then ``--steps`` steps of each are timed. The engine runs in a worker thread, as it does in the
app; its cancel token, which the loop checks once at the top of every step, timestamps every step and, every
``--block`` steps, hands over to the bare loop on the main thread. So the two sides run in alternating blocks
(bare, engine, engine, bare, ...) and a slow patch of a shared machine hits both alike. Setup, tracing,
warm-up and the final save of the run are not timed. Each round is one engine run per variant; the median
over ``--rounds`` is reported. ``overhead_pct`` is the extra wall time per image:
``bare_images_per_s / engine_images_per_s - 1``. With the defaults it takes about 2.5 minutes; on a shared
machine single runs still vary by a few percent (see ``overhead_pct_per_round`` and ``block_overhead_pct``).

Prints one JSON object on stdout (TensorFlow's chatter goes to stderr):

    .venv/bin/python benchmarks/engine_overhead.py [--steps N]
    .venv/bin/python benchmarks/engine_overhead.py --validation [--data DIR] [--validation-minutes M]

``--validation`` measures the validation hook instead: a U-Net run of the app's defaults (on ``DIR/images``
+ ``DIR/masks``, or on generated 512-pixel cell images) for M minutes of training, with every call of the
validation hook timed; ``validation_cost_pct`` is that time over the run's training time (target <= 5 %).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.jobs import CancelToken  # noqa: E402

TARGET_OVERHEAD_PCT = 5
TASK = "autoencoder-check"
NEVER = 10**9  # sample_every / checkpoint_every beyond any budget


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


class HandoverToken(CancelToken):
    """A cancel token that times the engine loop and pauses it at block boundaries.

    The loop reads ``cancelled`` once at the top of every iteration, after everything the previous step
    triggered (metrics row, sample grid, checkpoint, status.json) is done. At a boundary step the token
    reports to the main thread and waits until it is the engine's turn again; the wait is not timed.
    """

    def __init__(self, boundaries: list[int]) -> None:
        super().__init__()
        self.boundaries = set(boundaries)
        self.checks = 0
        self.arrived: dict[int, tuple[float, float]] = {}  # step -> clock when the loop got there
        self.left: dict[int, tuple[float, float]] = {}  # step -> clock when step + 1 started
        self.at_boundary = threading.Semaphore(0)
        self.go = threading.Semaphore(0)

    @property
    def cancelled(self) -> bool:
        step = self.checks  # runs start at step 0 and check once per step
        self.checks += 1
        self.arrived[step] = clock()
        if step in self.boundaries:
            self.at_boundary.release()
            self.go.acquire()
        self.left[step] = clock()
        return super().cancelled


def task_params(args) -> dict:
    return {"size": args.size, "width": args.width, "dataset_size": args.dataset_size}


class BareLoop:
    """The same task, dataset and train_step in a plain tf.function loop, built and traced once."""

    def __init__(self, args):
        import keras

        from core.runtime import tensorflow
        from core.training.task import task_class

        tf = tensorflow()
        keras.utils.set_random_seed(0)
        self.batch = args.batch
        self.task = task_class(TASK)(task_params(args), 0)
        self.task.build({"main": 1e-3})
        self.iterator = iter(self.task.dataset(self.batch, 0))
        task, batch = self.task, self.batch

        @tf.function
        def step(iterator):
            return task.train_step(next(iterator), batch)

        self.step = step
        self.run(args.warmup)

    def run(self, steps: int) -> dict:
        step, iterator = self.step, self.iterator
        values = None
        start, cpu_start = clock()
        for _ in range(steps):
            values = step(iterator)
        if values is not None:
            float(values["loss"])  # tf.function calls are synchronous on CPU; this is only a safeguard
        end, cpu_end = clock()
        return {"steps": steps, "seconds": end - start, "cpu_s": cpu_end - cpu_start}


def run_interleaved(args, bare: BareLoop, run_dir: str, *, sample_every: int, checkpoint_every: int,
                    bare_first: bool) -> dict:
    """One engine run in a worker thread, alternating blocks of timed steps with the bare loop."""
    from core.training.config import Budget, RunConfig
    from core.training.engine import train

    total = args.warmup + args.steps
    boundaries = sorted(set(range(args.warmup, total, args.block)) | {total})
    config = RunConfig(task=TASK, task_params=task_params(args), seed=0, batch_size=args.batch,
                       learning_rates={"main": 1e-3}, budget=Budget(steps=total), log_every=args.log_every,
                       sample_every=sample_every, checkpoint_every=checkpoint_every, strategy="one")
    token = HandoverToken(boundaries)
    outcome: dict = {}

    def worker():
        try:
            outcome["result"] = train(run_dir, config, token=token)
        except BaseException as exc:  # noqa: BLE001 - reported on the main thread
            outcome["error"] = exc
        finally:
            token.at_boundary.release()  # never leave the main thread waiting

    def wait_for_engine():
        token.at_boundary.acquire()
        if "error" in outcome or "result" in outcome:
            raise RuntimeError(f"the engine run ended early: {outcome.get('error') or outcome['result']}")

    thread = threading.Thread(target=worker, name="engine", daemon=True)
    started = time.perf_counter()
    thread.start()
    wait_for_engine()  # setup, tracing and warm-up
    blocks = []
    for index, (begin, end) in enumerate(zip(boundaries, boundaries[1:], strict=False)):
        first_bare = bare_first == (index % 2 == 0)
        if first_bare:
            bare_block = bare.run(end - begin)
        token.go.release()
        wait_for_engine()
        if not first_bare:
            bare_block = bare.run(end - begin)
        (t0, c0), (t1, c1) = token.left[begin], token.arrived[end]
        blocks.append({"steps": end - begin, "engine_s": t1 - t0, "engine_cpu_s": c1 - c0,
                       "bare_s": bare_block["seconds"], "bare_cpu_s": bare_block["cpu_s"],
                       "order": "bare,engine" if first_bare else "engine,bare"})
    token.go.release()  # let it finish: final status, sample and model save (not timed)
    thread.join()
    wall = time.perf_counter() - started
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if result.state != "finished" or result.step != total:
        raise RuntimeError(f"engine run ended {result.state} at step {result.step}: {result.message}")
    shutil.rmtree(run_dir, ignore_errors=True)

    # Per-step durations of the engine (ms), by what the step triggered.
    durations = {s: (token.arrived[s][0] - token.left[s - 1][0]) * 1000 for s in range(args.warmup + 1, total + 1)}

    def median_of(kind):
        values = [d for s, d in durations.items() if kind(s)]
        return (round(statistics.median(values), 3) if values else None), len(values)

    def heavy(step):
        return step % sample_every == 0 or step % checkpoint_every == 0

    def logged(step):
        return step % args.log_every == 0 and not heavy(step)

    def plain(step):
        return step % args.log_every != 0 and not heavy(step)

    n = sum(b["steps"] for b in blocks)
    engine_s = sum(b["engine_s"] for b in blocks)
    bare_s = sum(b["bare_s"] for b in blocks)
    out = {
        "engine_images_per_s": n * args.batch / engine_s,
        "bare_images_per_s": n * args.batch / bare_s,
        "engine_cpu_ms_per_step": 1000 * sum(b["engine_cpu_s"] for b in blocks) / n,
        "bare_cpu_ms_per_step": 1000 * sum(b["bare_cpu_s"] for b in blocks) / n,
        "block_overhead_pct": [round((b["engine_s"] / b["bare_s"] - 1) * 100, 2) for b in blocks],
        "run_wall_s": round(wall, 1),
    }
    for name, kind in (("plain", plain), ("log", logged), ("sample_checkpoint", heavy)):
        out[f"engine_step_ms_median_{name}"], out[f"n_{name}"] = median_of(kind)
    out["engine_first_step_ms"] = round((token.arrived[1][0] - token.left[0][0]) * 1000, 1)  # tracing
    return out


def validation_cost(args) -> dict:
    """Time every call of the validation hook in a real U-Net run (the app's defaults, automatic policy)."""
    from PIL import Image

    from core.training.engine import train
    from core.training.hooks import Validation, default_hooks
    from core.unet.dataset import load_data, scan_folders
    from core.unet.setup import fit_crop, machine_defaults, unet_run_config

    class TimedValidation(Validation):
        seconds = 0.0
        calls = 0

        def on_train_batch_end(self, step, logs):
            start = time.perf_counter()
            super().on_train_batch_end(step, logs)
            TimedValidation.seconds += time.perf_counter() - start
            TimedValidation.calls += 1

        def on_train_end(self):
            start = time.perf_counter()
            super().on_train_end()
            TimedValidation.seconds += time.perf_counter() - start

    root = tempfile.mkdtemp(prefix="seggan-validation-bench-", dir=args.tmpdir)
    try:
        if args.data:
            images, masks = os.path.join(args.data, "images"), os.path.join(args.data, "masks")
        else:
            from core.unet.synthetic import synthetic_cells

            images, masks = os.path.join(root, "images"), os.path.join(root, "masks")
            os.makedirs(images)
            os.makedirs(masks)
            for index in range(12):
                rgb, labels = synthetic_cells(512, 512, seed=index)
                Image.fromarray(rgb).save(os.path.join(images, f"cells{index}.png"))
                Image.fromarray(labels * 255).save(os.path.join(masks, f"cells{index}.png"))
        scan = scan_folders(images, masks)
        data = load_data(scan)
        hp = machine_defaults()
        hp.num_classes, hp.minutes = data.num_classes, args.validation_minutes
        hp.crop = fit_crop(hp.crop, [lab.shape[::-1] for lab in data.labels], 2**hp.depth)
        config = unet_run_config(scan.source, hp, description="validation cost benchmark")
        hooks = [TimedValidation() if isinstance(h, Validation) else h for h in default_hooks(config)]
        run_dir = os.path.join(root, "run")
        result = train(run_dir, config, hooks=hooks)
        from core.training.run_folder import RunFolder

        status = RunFolder(run_dir).read_status()
        validation = status.get("validation") or {}
        from core.training.metrics_log import read_metrics

        measured = [r for r in read_metrics(os.path.join(run_dir, "metrics.csv"))[1]
                    if r.get("validation/loss") is not None]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    elapsed = float(status["elapsed_s"])
    cost = 100 * TimedValidation.seconds / elapsed
    return {
        "benchmark": "engine_overhead --validation", "data": args.data or "generated cells 12 x 512^2",
        "validated_on": validation.get("on"), "policy": validation.get("when"), "steps": result.step,
        "training_s": round(elapsed, 1), "validation_hook_s": round(TimedValidation.seconds, 2),
        "measurements": len(measured),
        "ms_per_measurement": round(1000 * float(validation.get("seconds_spent", 0)) / max(len(measured), 1), 1),
        "validation_cost_pct": round(cost, 2), "target_pct": TARGET_OVERHEAD_PCT,
        "meets_target": bool(cost <= TARGET_OVERHEAD_PCT), "load_avg_1min_after": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="timed steps per side and run (default 300)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="untimed steps first; covers tracing and the first checkpoint (default 100)")
    parser.add_argument("--block", type=int, default=100, help="steps per alternating block (default 100)")
    parser.add_argument("--rounds", type=int, default=2, help="engine runs per variant (default 2)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=64, help="image size of the check task (default 64)")
    parser.add_argument("--width", type=int, default=24, help="conv width of the check task (default 24)")
    parser.add_argument("--dataset-size", type=int, default=512)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--sample-every", type=int, default=100)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--no-variant", action="store_true",
                        help="skip the engine runs without sample grids and checkpoints")
    parser.add_argument("--tmpdir", default=None, help="where the run folders go (default: the system temp dir)")
    parser.add_argument("--validation", action="store_true", help="measure the validation hook's cost instead")
    parser.add_argument("--data", help="with --validation: a folder with images/ and masks/ (default: generated)")
    parser.add_argument("--validation-minutes", type=float, default=3.0)
    args = parser.parse_args()
    if args.validation:
        real_stdout = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            result = validation_cost(args)
        print(json.dumps(result), file=real_stdout)
        return 0
    if min(args.steps, args.warmup, args.block, args.rounds, args.batch) < 1:
        parser.error("--steps, --warmup, --block, --rounds and --batch must be at least 1")

    real_stdout = sys.stdout
    load_before = os.getloadavg()
    root = tempfile.mkdtemp(prefix="seggan-engine-bench-", dir=args.tmpdir)
    variants = {"engine": (args.sample_every, args.checkpoint_every)}
    if not args.no_variant:
        variants["engine_no_checkpoints"] = (NEVER, NEVER)
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON object alone
        from core.runtime import device_report

        report = device_report()
        bare = BareLoop(args)
        try:
            for index in range(args.rounds):
                order = list(variants) if index % 2 == 0 else list(reversed(variants))
                for position, name in enumerate(order):
                    sample_every, checkpoint_every = variants[name]
                    run = run_interleaved(args, bare, os.path.join(root, f"{name}-{index}"),
                                          sample_every=sample_every, checkpoint_every=checkpoint_every,
                                          bare_first=(index + position) % 2 == 0)
                    runs[name].append(run)
                    print(f"round {index + 1} {name}: engine {run['engine_images_per_s']:.1f}, bare "
                          f"{run['bare_images_per_s']:.1f} images/s, blocks {run['block_overhead_pct']} %",
                          file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def median(name, key):
        return statistics.median(run[key] for run in runs[name])

    def overhead(engine_ips, bare_ips):
        return round((bare_ips / engine_ips - 1) * 100, 2)

    engine_ips, bare_ips = median("engine", "engine_images_per_s"), median("engine", "bare_images_per_s")
    overhead_pct = overhead(engine_ips, bare_ips)
    result = {
        "benchmark": "engine_overhead",
        "engine_images_per_s": round(engine_ips, 2),
        "bare_images_per_s": round(bare_ips, 2),
        "overhead_pct": overhead_pct,
        "steps": args.steps,
        "batch": args.batch,
        "step_ms_bare": round(1000 * args.batch / bare_ips, 3),
        "target_overhead_pct": TARGET_OVERHEAD_PCT,
        "meets_target": bool(overhead_pct <= TARGET_OVERHEAD_PCT),
        "step_ms_engine": round(1000 * args.batch / engine_ips, 3),
        "overhead_pct_per_round": [overhead(r["engine_images_per_s"], r["bare_images_per_s"])
                                   for r in runs["engine"]],
        "overhead_pct_block_median": round(statistics.median(
            p for r in runs["engine"] for p in r["block_overhead_pct"]), 2),
        # Process CPU time: less sensitive to other processes, blind to waiting (e.g. on fsync).
        "overhead_cpu_time_pct": round((median("engine", "engine_cpu_ms_per_step")
                                        / median("engine", "bare_cpu_ms_per_step") - 1) * 100, 2),
    }
    if not args.no_variant:
        v_engine = median("engine_no_checkpoints", "engine_images_per_s")
        v_bare = median("engine_no_checkpoints", "bare_images_per_s")
        result["engine_no_checkpoints_images_per_s"] = round(v_engine, 2)
        result["overhead_no_checkpoints_pct"] = overhead(v_engine, v_bare)
    # Where the extra time per step goes. The metrics-row and sample/checkpoint parts come from the engine's
    # own step durations (extra time of those steps over its plain steps, spread over all steps), so other
    # processes hardly affect them; the rest (per-step bookkeeping, status.json) carries the noise.
    plain = median("engine", "engine_step_ms_median_plain")
    first = runs["engine"][0]
    n = first["n_plain"] + first["n_log"] + first["n_sample_checkpoint"]
    parts = {
        "metrics_rows": ((median("engine", "engine_step_ms_median_log") or plain) - plain) * first["n_log"] / n,
        "samples_and_checkpoints": ((median("engine", "engine_step_ms_median_sample_checkpoint") or plain) - plain)
        * first["n_sample_checkpoint"] / n,
    }
    total_extra = 1000 * args.batch / engine_ips - 1000 * args.batch / bare_ips
    parts["rest_per_step_and_status_json_and_noise"] = total_extra - sum(parts.values())
    result["extra_ms_per_step"] = {"total": round(total_extra, 3), **{k: round(v, 3) for k, v in parts.items()}}
    result.update({
        "warmup_steps": args.warmup,
        "block_steps": args.block,
        "rounds": args.rounds,
        "task": {"name": TASK, **task_params(args)},
        "engine_settings": {"log_every": args.log_every, "sample_every": args.sample_every,
                            "checkpoint_every": args.checkpoint_every, "strategy": "one"},
        "tensorflow": report.tensorflow,
        "keras": report.keras,
        "threads": {"intra_op": report.intra_op_threads, "inter_op": report.inter_op_threads,
                    "cpu_count": report.cpu_count},
        "load_avg_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "runs": {name: [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in run.items()}
                        for run in variant_runs] for name, variant_runs in runs.items()},
    })
    print(json.dumps(result), file=real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

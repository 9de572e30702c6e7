"""CLI subcommands for runs and training: ``seggan runs ...`` and ``seggan check-training``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
from pathlib import Path

from core.cli.progress import ProgressBar
from core.jobs import CancelToken
from core.training.config import PRECISIONS, STRATEGIES, Budget, RunConfig
from core.training.run_folder import RunFolderError
from core.training.runs import export_csv, find_runs, summarize


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("budget (the first limit reached stops training)")
    group.add_argument("--steps", type=int, help="stop after this many steps")
    group.add_argument("--epochs", type=float, help="stop after this many passes over the data")
    group.add_argument("--minutes", type=float, help="stop after this many minutes of training")


def add_strategy_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", choices=STRATEGIES, default="auto",
                        help="auto (default): multiworker with TF_CONFIG, mirrored with several GPUs, else one")


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="auto (default): mixed bfloat16 where a measured step shows it faster, else float32; "
                             "or force float32, bfloat16 or float16")


def budget_from(args, default_steps: int | None = None) -> Budget | None:
    if args.steps is None and args.epochs is None and args.minutes is None:
        return Budget(steps=default_steps) if default_steps else None
    return Budget(steps=args.steps, epochs=args.epochs, minutes=args.minutes)


def run_training(run_dir: str, config: RunConfig | None, resume: bool = False, budget: Budget | None = None) -> int:
    """Train in the foreground with a progress bar; Ctrl+C (or SIGTERM) stops cleanly with a checkpoint."""
    from core.training.engine import ResumeError, train

    token = CancelToken()

    def stop(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        print("\nstopping after this step (again to abort)…", file=sys.stderr)
        token.cancel()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = train(run_dir, config, resume=resume, token=token, emit=ProgressBar(), budget=budget)
    except (ResumeError, RunFolderError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in result.last_metrics.items())
    print(f"{result.state} at step {result.step}: {result.message}" + (f" ({metrics})" if metrics else ""))
    return 0 if result.state in ("finished", "stopped") else 1


def _when(timestamp) -> str:
    if not timestamp:
        return "-"
    return dt.datetime.fromtimestamp(float(timestamp)).strftime("%Y-%m-%d %H:%M")


def cmd_runs_list(args) -> int:
    folder = Path(args.dir) if args.dir else _default_runs_dir()
    runs = find_runs(folder)
    if not runs:
        print(f"no runs in {folder}")
        return 0
    print(f"{'run':<28} {'task':<18} {'state':<9} {'step':>12}  {'updated':<16}  last metrics")
    for path in runs:
        s = summarize(path)
        step = f"{s.step}/{s.total_steps}" if s.total_steps else str(s.step)
        metrics = " ".join(f"{k} {v:.4g}" for k, v in list(s.last_metrics.items())[:3])
        print(f"{s.name:<28} {s.task:<18} {s.state:<9} {step:>12}  {_when(s.updated):<16}  {metrics}")
    return 0


def cmd_runs_show(args) -> int:
    from core.training.run_folder import RunFolder

    run = RunFolder(args.run)
    if not run.is_run():
        print(f"error: {run.path}: not a run folder (no config.json)", file=sys.stderr)
        return 2
    summary = summarize(run.path)
    if args.json:
        print(json.dumps(summary.__dict__, indent=2, default=str))
        return 0
    try:
        config = run.read_config()
    except RunFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status = run.read_status()
    print(f"run       {summary.path}")
    print(f"task      {config.task}  {json.dumps(config.task_params)}")
    print(f"state     {summary.state} at step {summary.step}"
          + (f" of {summary.total_steps}" if summary.total_steps else "")
          + (f" — {summary.message}" if summary.message else ""))
    if status.get("eta_s") and summary.state == "running":
        from core.jobs import format_eta

        print(f"ETA       {format_eta(status['eta_s'])}")
    budget = config.budget
    print(f"budget    steps {budget.steps}, epochs {budget.epochs}, minutes {budget.minutes}")
    print(f"training  batch {config.batch_size}, seed {config.seed}, strategy {config.strategy}, "
          f"learning rates {config.learning_rates}")
    print(f"saved     {summary.checkpoints} checkpoints, {summary.samples} sample grids, updated {_when(summary.updated)}")
    if summary.last_metrics:
        print("metrics   " + ", ".join(f"{k} {v:.5g}" for k, v in summary.last_metrics.items()))
    validation = status.get("validation") or {}
    if validation:
        print(f"validated on {validation.get('on')}, {validation.get('when', '')}"
              + (f" — {validation['warning']}" if validation.get("warning") else ""))
    from core.training.weights import describe_variant, read_manifest

    manifest = read_manifest(run.model_dir)
    for name, entry in sorted(manifest["variants"].items()):
        used = " (used by default)" if name == manifest.get("default") else ""
        print(f"weights   {name}: {describe_variant(name, entry)}{used}")
    return 0


def cmd_runs_export(args) -> int:
    try:
        count = export_csv(args.runs, args.csv)
    except RunFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {count} rows from {len(args.runs)} run(s) to {args.csv}")
    return 0


def cmd_runs_resume(args) -> int:
    return run_training(args.run, None, resume=True, budget=budget_from(args))


def cmd_check_training(args) -> int:
    if args.resume:
        return run_training(args.out, None, resume=True, budget=budget_from(args))
    config = RunConfig(
        task="autoencoder-check",
        task_params={"size": args.size, "dataset_size": args.examples, "width": 16},
        seed=args.seed, batch_size=args.batch_size, learning_rates={"main": args.lr},
        budget=budget_from(args, default_steps=200), log_every=args.log_every, sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every, strategy=args.strategy, precision=args.precision,
        data_source="generated shapes",
    )
    return run_training(args.out, config)


def _default_runs_dir() -> Path:
    from core.workspace import default_workspace_dir

    return default_workspace_dir() / "runs"


def add_subcommands(sub) -> None:
    runs = sub.add_parser("runs", help="list, show, export and resume training runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    listing = runs_sub.add_parser("list", help="the runs in a folder (default: the workspace's runs/)")
    listing.add_argument("dir", nargs="?")
    listing.set_defaults(func=cmd_runs_list)
    show = runs_sub.add_parser("show", help="summary, status and last metrics of a run")
    show.add_argument("run")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_runs_show)
    export = runs_sub.add_parser("export", help="the metrics of one or more runs as one CSV")
    export.add_argument("runs", nargs="+")
    export.add_argument("--csv", required=True, help="output file")
    export.set_defaults(func=cmd_runs_export)
    resume = runs_sub.add_parser("resume", help="continue a stopped or crashed run from its last checkpoint")
    resume.add_argument("run")
    add_budget_arguments(resume)
    resume.set_defaults(func=cmd_runs_resume)

    check = sub.add_parser(
        "check-training",
        help="train a tiny autoencoder on generated shapes: checks a machine or cluster can train end to end")
    check.add_argument("--out", required=True, help="run folder to create (or to resume with --resume)")
    check.add_argument("--resume", action="store_true")
    add_budget_arguments(check)
    add_strategy_argument(check)
    add_precision_argument(check)
    check.add_argument("--batch-size", type=int, default=32)
    check.add_argument("--lr", type=float, default=2e-3)
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--size", type=int, default=32, help="image size (multiple of 4)")
    check.add_argument("--examples", type=int, default=512)
    check.add_argument("--log-every", type=int, default=10)
    check.add_argument("--sample-every", type=int, default=50)
    check.add_argument("--checkpoint-every", type=int, default=50)
    check.set_defaults(func=cmd_check_training)

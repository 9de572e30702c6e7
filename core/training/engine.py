"""The training loop: a custom loop over ``tf.distribute`` (Keras 3 ``fit()`` fails under
MultiWorkerMirroredStrategy, keras-team/keras#20585) that every task plugs into.

It runs as a core job (``training_job``) or directly (``train``), writes the run folder as it goes, obeys
pause / resume / stop and learning-rate changes between steps, guards against non-finite losses, and resumes
a stopped or crashed run from its latest checkpoint.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import shutil
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from core.jobs import CancelToken, Emit, Images, Job, Message, Metrics, ProgressReporter
from core.runtime import tensorflow
from core.training.config import RunConfig
from core.training.metrics_log import MetricsWriter
from core.training.precision import resolve_precision
from core.training.run_folder import ACTIVE_STATES, RunFolder, RunFolderError
from core.training.stop_agreement import StopAgreement
from core.training.strategy import describe, is_chief, make_strategy
from core.training.task import Task, task_class

log = logging.getLogger(__name__)

METRIC_EVENT_INTERVAL_S = 0.05  # at most 20 metric events per second
STATUS_INTERVAL_S = 1.0


class ResumeError(Exception):
    """A run cannot be resumed as asked (changed architecture or data, or it is running elsewhere)."""


class TrainingControl:
    """Thread-safe requests to a running loop: learning-rate changes, applied before the next step."""

    def __init__(self) -> None:
        self._rates: queue.SimpleQueue = queue.SimpleQueue()

    def set_learning_rate(self, name: str, value: float) -> None:
        if not value > 0 or not math.isfinite(value):
            raise ValueError(f"a learning rate must be a positive number, got {value}")
        self._rates.put((name, float(value)))

    def pending_rates(self) -> list[tuple[str, float]]:
        items = []
        while True:
            try:
                items.append(self._rates.get_nowait())
            except queue.Empty:
                return items


@dataclass
class TrainResult:
    run_dir: str
    state: str  # finished, stopped, failed
    step: int
    message: str = ""
    last_metrics: dict = field(default_factory=dict)
    images_per_s: float | None = None


def _check_not_running_elsewhere(run: RunFolder) -> None:
    import socket

    status = run.read_status()  # a dead process's run reads as "interrupted"
    if status.get("state") in ACTIVE_STATES and status.get("host") == socket.gethostname():
        pid = int(status.get("pid", 0) or 0)
        if pid and pid != os.getpid():
            raise ResumeError(f"{run.path} is being trained by process {pid}; stop it before resuming")


def _compare(saved: dict, current: dict, what: str, path) -> None:
    if saved != current:
        changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
        raise ResumeError(
            f"cannot resume {path}: the {what} changed ({', '.join(changed) or 'structure'}); saved "
            f"{ {k: saved.get(k) for k in changed} }, now { {k: current.get(k) for k in changed} }. "
            "Start a new run instead.")


class _Loop:
    """One training session (a new run, or one resumption of a run)."""

    def __init__(self, run: RunFolder, config: RunConfig, token: CancelToken, emit: Emit,
                 control: TrainingControl, resume: bool, strategy=None):
        self.run, self.config, self.token, self.emit, self.control = run, config, token, emit, control
        self.resume = resume
        self.tf = tensorflow()
        self.strategy = strategy or make_strategy(config.strategy)
        self.chief = is_chief(self.strategy)
        self.global_batch = int(config.batch_size)
        if self.global_batch % self.strategy.num_replicas_in_sync:
            raise ValueError(f"batch size {self.global_batch} is not divisible by the "
                             f"{self.strategy.num_replicas_in_sync} replicas")

    # setup --------------------------------------------------------------------------------------------
    def setup(self) -> None:
        import keras

        tf = self.tf
        keras.utils.set_random_seed(self.config.seed)
        self.task: Task = task_class(self.config.task)(self.config.task_params, self.config.seed)
        self.precision = resolve_precision(self.config.precision, self.strategy)
        self.task.precision = self.precision.precision  # the task builds its models in it
        self.emit(Message(text=f"precision {self.precision.reason}"))
        with self.strategy.scope():
            self.task.build(self.config.learning_rates)
            self.step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.elapsed_var = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="elapsed_s")
        self.steps_per_epoch = self.task.steps_per_epoch(self.global_batch)
        # The data position is not saved: datasets are a pure function of (seed, step), see Task.dataset.
        self.checkpoint = tf.train.Checkpoint(step=self.step_var, elapsed=self.elapsed_var,
                                              **self.task.checkpoint_objects())
        if self.chief:
            checkpoint_dir = str(self.run.checkpoints_dir)
        else:  # non-chief workers must save too (collectives), but into a throwaway folder
            self._scratch = tempfile.mkdtemp(prefix="seggan-worker-ckpt-")
            checkpoint_dir = self._scratch
        self.manager = tf.train.CheckpointManager(self.checkpoint, checkpoint_dir,
                                                  max_to_keep=self.config.keep_checkpoints,
                                                  checkpoint_name="ckpt")
        self.signature = {"architecture": self.task.architecture(), "data": self.task.data_signature()}
        if self.resume:
            self._restore_for_resume()
        elif self.chief:
            from core.atomic import atomic_write_json

            atomic_write_json(self.run.path / "signature.json", self.signature)
        dataset = self.task.dataset(self.global_batch, self.step)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        options.deterministic = True
        self.iterator = iter(self.strategy.experimental_distribute_dataset(dataset.with_options(options)))
        self.metrics = MetricsWriter(self.run.metrics_path) if self.chief else None
        if self.resume and self.metrics is not None:
            self.metrics.truncate_after(self.step)
        self.writer = (tf.summary.create_file_writer(str(self.run.tensorboard_dir), flush_millis=5000)
                       if self.chief else None)
        self._build_step()
        self.stop_agreement = StopAgreement(self.strategy)
        if self.resume:
            self.emit(Message(text=f"resumed {self.run.name} at step {self.step}"))

    def _restore_for_resume(self) -> None:
        import json

        tf = self.tf
        try:
            saved = json.loads((self.run.path / "signature.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        if saved is not None:
            _compare(saved.get("architecture", {}), self.signature["architecture"], "architecture", self.run.path)
            _compare(saved.get("data", {}), self.signature["data"], "data shape", self.run.path)
        latest = tf.train.latest_checkpoint(str(self.run.checkpoints_dir)) if self.chief else None
        if self.chief and latest is None:
            self.emit(Message(text="no checkpoint yet: starting from step 0", level="warning"))
            return
        if latest is not None:
            self.checkpoint.restore(latest).assert_existing_objects_matched()

    def _build_step(self) -> None:
        tf, strategy, task, batch = self.tf, self.strategy, self.task, self.global_batch
        step_var, writer = self.step_var, self.writer

        # The step counter lives in the graph: assigning it from Python cost 0.4 ms a step (measured).
        @tf.function
        def distributed_step(iterator):
            per_replica = strategy.run(task.train_step, args=(next(iterator), batch))
            step_var.assign_add(1)
            return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                    for name, value in per_replica.items()}

        @tf.function
        def write_scalars(step, row):
            with writer.as_default(step=step):
                for name, value in row.items():
                    tf.summary.scalar(name, value)

        self._step_fn = distributed_step
        self._write_scalars = write_scalars if writer is not None else None

    # state --------------------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return int(self.step_var.numpy())

    def epoch(self, step: int) -> float:
        return step / self.steps_per_epoch if self.steps_per_epoch else 0.0

    def total_steps(self) -> int | None:
        budget = self.config.budget
        totals = []
        if budget.steps is not None:
            totals.append(int(budget.steps))
        if budget.epochs is not None and self.steps_per_epoch:
            totals.append(int(math.ceil(budget.epochs * self.steps_per_epoch)))
        return min(totals) if totals else None

    def learning_rates(self) -> dict[str, float]:
        # float32 variables: round to what was asked for (1e-3, not 0.0010000000474974513)
        return {name: float(f"{float(opt.learning_rate.numpy()):.7g}")
                for name, opt in self.task.optimizers.items()}

    # the loop -----------------------------------------------------------------------------------------
    def train(self) -> TrainResult:
        config = self.config
        total = self.total_steps()
        minutes = config.budget.minutes
        start_step = self.step
        elapsed_before = float(self.elapsed_var.numpy())
        session_start = time.monotonic()
        paused_s = 0.0
        window: dict[str, list[float]] = {}
        reporter = ProgressReporter(self.emit, total, min_interval_s=METRIC_EVENT_INTERVAL_S)
        reporter.done = start_step
        last_metric_event = 0.0
        last_status = 0.0
        last_saved_step = start_step if self.resume else -1
        images_seen_start = time.monotonic()
        images_per_s = None
        last_row: dict = {}
        state, message = "finished", ""
        self._status("running", start_step, total, None, None, "")
        self._rates = self.learning_rates()
        step = start_step

        def elapsed_now() -> float:
            return elapsed_before + (time.monotonic() - session_start - paused_s)

        while True:
            # Workers of a cluster stop together (core/training/stop_agreement.py); one process just asks itself.
            cancelled, out_of_time = self.stop_agreement.agree(
                self.token.cancelled, minutes is not None and elapsed_now() >= minutes * 60)
            if cancelled:
                state, message = "stopped", f"stopped by request at step {step}"
                break
            if self.token.paused:
                self._status("paused", step, total, None, elapsed_now(), "paused")
                self.emit(Message(text=f"paused at step {step}"))
                pause_start = time.monotonic()
                self.token.wait_while_paused()
                paused_s += time.monotonic() - pause_start
                images_seen_start = time.monotonic()
                if self.token.cancelled:
                    continue
                self._status("running", step, total, None, elapsed_now(), "")
                self.emit(Message(text=f"resumed at step {step}"))
            for name, value in self.control.pending_rates():
                if name not in self.task.optimizers:
                    self.emit(Message(text=f"no optimizer named {name!r}; learning rate unchanged", level="warning"))
                    continue
                old = self.learning_rates()[name]
                self.task.optimizers[name].learning_rate.assign(value)
                config.learning_rates[name] = value
                self._rates = self.learning_rates()
                self.emit(Message(text=f"learning rate {name}: {old:.3g} -> {value:.3g} from step {step + 1}"))
            if total is not None and step >= total:
                message = f"reached {total} steps"
                break
            if out_of_time:
                message = f"reached the {minutes:g}-minute budget at step {step}"
                break

            values = self._step_fn(self.iterator)
            step += 1
            host = {name: float(value) for name, value in values.items()}
            if not all(math.isfinite(v) for v in host.values()):
                return self._non_finite(step, host, total, elapsed_now())
            for name, value in host.items():
                window.setdefault(name, []).append(value)
            reporter.advance(1, message=f"epoch {self.epoch(step):.2f}" if self.steps_per_epoch else "")
            now = time.monotonic()

            if step % config.log_every == 0:
                seconds = max(now - images_seen_start, 1e-9)
                images_per_s = config.log_every * self.global_batch / seconds
                images_seen_start = now
                last_row = {name: float(np.mean(vals)) for name, vals in window.items()}
                window = {}
                row = dict(last_row)
                row.update({f"lr_{name}": value for name, value in self._rates.items()})
                row["images_per_s"] = images_per_s
                self._log_row(step, row, elapsed_now())
                emit_time = time.monotonic()  # after logging, which can take a while (first trace)
                if emit_time - last_metric_event >= METRIC_EVENT_INTERVAL_S:
                    self.emit(Metrics(step=step, values=row))
                    last_metric_event = emit_time
            if step % config.sample_every == 0:
                self._sample(step)
            if step % config.checkpoint_every == 0:
                self.elapsed_var.assign(elapsed_now())
                self._save_checkpoint(step)
                last_saved_step = step
            if now - last_status >= STATUS_INTERVAL_S:
                eta = reporter.rate and total and (total - step) / reporter.rate
                if minutes is not None and reporter.rate:
                    left = max(0.0, minutes * 60 - elapsed_now())
                    eta = min(eta, left) if eta else left
                self._status("running", step, total, eta, elapsed_now(), "", images_per_s)
                last_status = now

        step = self.step
        self._status("stopping", step, total, None, elapsed_now(), message)
        if step != last_saved_step:
            self.elapsed_var.assign(elapsed_now())
            self._save_checkpoint(step)
        if step % config.sample_every != 0 and step > start_step:
            self._sample(step)
        if self.chief:
            self.task.save_final(self.run.model_dir)
            self.run.write_config(config)  # learning rates changed while running are kept
        self._status(state, step, total, 0.0, elapsed_now(), message, images_per_s)
        self.emit(Message(text=message or state))
        return TrainResult(str(self.run.path), state, step, message, last_row, images_per_s)

    def _non_finite(self, step: int, values: dict, total, elapsed: float) -> TrainResult:
        bad = ", ".join(f"{k}={v}" for k, v in values.items() if not math.isfinite(v))
        latest = self.manager.latest_checkpoint
        if latest:
            self.checkpoint.restore(latest)
            restored = self.step
            message = (f"non-finite metrics at step {step} ({bad}); stopped and restored the checkpoint of "
                       f"step {restored}. Lower the learning rate and resume.")
        else:
            restored = 0
            message = (f"non-finite metrics at step {step} ({bad}) before any checkpoint; stopped. "
                       "Lower the learning rate and start again.")
        if self.chief and latest:
            self.task.save_final(self.run.model_dir)
        self._status("failed", restored, total, None, elapsed, message)
        self.emit(Message(text=message, level="error"))
        return TrainResult(str(self.run.path), "failed", restored, message)

    # writing ------------------------------------------------------------------------------------------
    def _log_row(self, step: int, row: dict, elapsed: float) -> None:
        if not self.chief:
            return
        self.metrics.append(step, self.epoch(step), time.time(), elapsed, row)
        tf = self.tf
        # One traced call for all scalars (eager summary.scalar cost 0.3-0.5 ms each); flushed every 5 s.
        self._write_scalars(tf.constant(step, tf.int64), {name: tf.constant(value, tf.float32)
                                                         for name, value in row.items()})

    def _sample(self, step: int) -> None:
        grid = self.task.sample_grid(step)
        if grid is None or not self.chief:
            return
        self.run.save_sample(step, grid)
        with self.writer.as_default(step=step):
            self.tf.summary.image("samples", grid[None], max_outputs=1)
        self.writer.flush()
        self.emit(Images(step=step, images=(("samples", grid),)))

    def _save_checkpoint(self, step: int) -> None:
        if self.writer is not None:
            self.writer.flush()
        if self.metrics is not None:
            self.metrics.sync()
        self.manager.save(checkpoint_number=step)

    def _status(self, state, step, total, eta, elapsed, message, images_per_s=None) -> None:
        if not self.chief:
            return
        self.run.write_status(state, step=step, total_steps=total, epoch=self.epoch(step), eta_s=eta,
                              elapsed_s=elapsed, images_per_s=images_per_s, message=message,
                              strategy=describe(self.strategy), learning_rates=self.learning_rates())

    def close(self) -> None:
        if getattr(self, "metrics", None) is not None:
            self.metrics.close()
        if getattr(self, "writer", None) is not None:
            self.writer.close()
        scratch = getattr(self, "_scratch", None)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _prepared_for(run: RunFolder, config: RunConfig) -> bool:
    """True when ``run`` was created for exactly this config and never started (see prepare_run)."""
    if not run.is_run() or run.read_status().get("state") != "created":
        return False
    try:
        return run.read_config().to_dict() == config.to_dict()
    except RunFolderError:
        return False


def prepare_run(run_dir, config: RunConfig) -> RunFolder:
    """Create the run folder now (cheap, no TensorFlow), so it can be listed before training starts."""
    run = RunFolder(run_dir)
    run.create(config)
    return run


def train(run_dir, config: RunConfig | None = None, *, resume: bool = False, token: CancelToken | None = None,
          emit: Emit | None = None, control: TrainingControl | None = None, strategy=None,
          budget=None) -> TrainResult:
    """Train a new run (``config`` given) or resume one (``resume=True``) in ``run_dir``.

    On resume the run's own config is used; ``budget`` (a Budget) may extend or replace its budget.
    """
    run = RunFolder(run_dir)
    token = token or CancelToken()
    emit = emit or (lambda event: None)
    control = control or TrainingControl()
    if resume:
        if not run.is_run():
            raise RunFolderError(f"{run.path}: not a run folder (no config.json)")
        _check_not_running_elsewhere(run)
        run.remove_stale_temp_files()
        config = run.read_config()
        if budget is not None:
            budget.validate()
            config.budget = budget
            run.write_config(config)
    elif config is None:
        raise ValueError("a new run needs a config")
    else:
        config.validate()
    loop = _Loop(run, config, token, emit, control, resume, strategy)
    if not resume and loop.chief and not _prepared_for(run, config):
        run.create(config)
    try:
        loop.setup()
        return loop.train()
    except Exception as exc:
        if loop.chief and run.is_run():
            try:
                step = loop.step if hasattr(loop, "step_var") else 0
            except Exception:  # noqa: BLE001 - the run is failing already; keep the first error
                step = 0
            run.write_status("failed", step=step, message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        loop.close()


def training_job(run_dir, config: RunConfig | None = None, *, resume: bool = False,
                 control: TrainingControl | None = None, budget=None) -> Job:
    """The loop as a core job for the worker bridge: ``job(token, emit) -> TrainResult``."""

    def job(token: CancelToken, emit: Emit) -> TrainResult:
        return train(run_dir, config, resume=resume, token=token, emit=emit, control=control, budget=budget)

    return job

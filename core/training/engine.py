"""The training loop: a custom loop over ``tf.distribute`` (Keras 3 ``fit()`` fails under
MultiWorkerMirroredStrategy, keras-team/keras#20585) that every task plugs into.

It runs as a core job (``training_job``) or directly (``train``), obeys pause / resume / stop, and resumes a
stopped or crashed run from its latest checkpoint. Everything around a step (metrics rows, TensorBoard,
validation, learning-rate schedule and changes, checkpoints, best weights, samples, status, the NaN guard) is
a hook: core/training/hooks/, one small module each.
"""

from __future__ import annotations

import math
import os
import queue
import shutil
import tempfile
import time
from dataclasses import dataclass, field

from core.jobs import CancelToken, Emit, Job, Message
from core.runtime import tensorflow
from core.training.config import RunConfig
from core.training.hooks import Hook, default_hooks
from core.training.metrics_log import MetricsWriter
from core.training.precision import resolve_precision
from core.training.run_folder import RunFolder, RunFolderError
from core.training.run_states import ACTIVE_STATES
from core.training.schedule import budget_progress
from core.training.stop_agreement import StopAgreement
from core.training.strategy import describe, is_chief, make_strategy
from core.training.task import Task, task_class


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
    """One training session (a new run, or one resumption of a run): builds the task, the distributed step,
    the checkpoint and the writers, then runs steps and calls its hooks around them (see hooks/base.py for
    what hooks may read here)."""

    def __init__(self, run: RunFolder, config: RunConfig, token: CancelToken, emit: Emit,
                 control: TrainingControl, resume: bool, strategy=None, hooks: list[Hook] | None = None):
        self.run, self.config, self.token, self.emit, self.control = run, config, token, emit, control
        self.resume = resume
        self.tf = tensorflow()
        self.strategy = strategy or make_strategy(config.strategy)
        self.strategy_name = describe(self.strategy)
        self.chief = is_chief(self.strategy)
        self.hooks = default_hooks(config) if hooks is None else list(hooks)
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

    # state hooks read ---------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return int(self.step_var.numpy())

    def epoch(self, step: int) -> float:
        return step / self.steps_per_epoch if self.steps_per_epoch else 0.0

    def _total_steps(self) -> int | None:
        budget = self.config.budget
        totals = []
        if budget.steps is not None:
            totals.append(int(budget.steps))
        if budget.epochs is not None and self.steps_per_epoch:
            totals.append(int(math.ceil(budget.epochs * self.steps_per_epoch)))
        return min(totals) if totals else None

    def elapsed(self) -> float:
        """Training time of the run so far (all sessions), paused time excluded."""
        return self._elapsed_before + (time.monotonic() - self._session_start - self._paused_s)

    def progress(self, step: int) -> float:
        """The fraction of the budget spent after ``step`` steps (what schedules follow)."""
        return budget_progress(step, self.elapsed(), self.total_steps, self.config.budget.minutes)

    def stop(self, state: str, message: str) -> None:
        """End training after this step (hooks call it; ``state`` is finished, stopped or failed)."""
        if not self.stop_training:
            self.stop_training, self.state, self.message = True, state, message

    def write_scalars(self, step: int, row: dict) -> None:
        tf = self.tf
        # One traced call for all scalars (eager summary.scalar cost 0.3-0.5 ms each); flushed every 5 s.
        self._write_scalars(tf.constant(step, tf.int64), {name: tf.constant(value, tf.float32)
                                                         for name, value in row.items()})

    # the loop -----------------------------------------------------------------------------------------
    def train(self) -> TrainResult:
        """Steps until the budget is spent or a stop is asked for; everything around a step is a hook."""
        self.start_step = step = self.step
        self.total_steps = self._total_steps()
        self._elapsed_before = float(self.elapsed_var.numpy())
        self._session_start, self._paused_s = time.monotonic(), 0.0
        self.stop_training, self.state, self.message = False, "finished", ""
        self.rates: dict[str, float] = {}
        self.rows, self.evaluations, self.status_extras = [], [], {}
        self.images_per_s, self.last_row = None, {}
        hooks = self.hooks
        for hook in hooks:
            hook.set_loop(self)
        for hook in hooks:
            hook.on_train_begin()
        minutes = self.config.budget.minutes
        while not self.stop_training:
            # Workers of a cluster stop together (core/training/stop_agreement.py); one process just asks itself.
            cancelled, out_of_time = self.stop_agreement.agree(
                self.token.cancelled, minutes is not None and self.elapsed() >= minutes * 60)
            if cancelled:
                self.stop("stopped", f"stopped by request at step {step}")
                break
            if self.token.paused:
                self._pause(step)
                continue
            budget_message = self._budget_spent(step, out_of_time)
            if budget_message:
                self.stop("finished", budget_message)
                break
            for hook in hooks:
                hook.on_train_batch_begin(step)
            values = self._step_fn(self.iterator)
            step += 1
            logs = {name: float(value) for name, value in values.items()}
            for hook in hooks:
                hook.on_train_batch_end(step, logs)
                if self.state == "failed":  # the NaN guard: a failed step is not logged
                    break
        for hook in hooks:
            hook.on_stopping()
        for hook in hooks:
            hook.on_train_end()
        return TrainResult(str(self.run.path), self.state, self.step, self.message,
                           {} if self.state == "failed" else self.last_row,
                           None if self.state == "failed" else self.images_per_s)

    def _budget_spent(self, step: int, out_of_time: bool) -> str:
        if self.total_steps is not None and step >= self.total_steps:
            return f"reached {self.total_steps} steps"
        if out_of_time:  # agreed by all workers (see train)
            return f"reached the {self.config.budget.minutes:g}-minute budget at step {step}"
        return ""

    def _pause(self, step: int) -> None:
        for hook in self.hooks:
            hook.on_pause(step)
        pause_start = time.monotonic()
        self.token.wait_while_paused()
        self._paused_s += time.monotonic() - pause_start
        if not self.token.cancelled:
            for hook in self.hooks:
                hook.on_resume(step)

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
          budget=None, hooks: list[Hook] | None = None) -> TrainResult:
    """Train a new run (``config`` given) or resume one (``resume=True``) in ``run_dir``.

    On resume the run's own config is used; ``budget`` (a Budget) may extend or replace its budget.
    ``hooks`` replaces the run's default hooks (``core.training.hooks.default_hooks(config)``).
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
    loop = _Loop(run, config, token, emit, control, resume, strategy, hooks)
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

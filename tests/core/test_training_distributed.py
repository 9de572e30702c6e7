"""The training engine across devices and processes: MirroredStrategy over two logical CPUs,
MultiWorkerMirroredStrategy with two worker processes, and SIGKILL at random moments followed by resumes.

Each test starts fresh Python processes (TensorFlow must see SEGGAN_CPU_DEVICES or TF_CONFIG before it
initialises), so they take tens of seconds: all are marked slow.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from core.training.config import RunConfig
from core.training.metrics_log import FIXED_COLUMNS, read_metrics
from core.training.run_folder import RunFolder
from core.training.run_states import STATES

REPO = Path(__file__).resolve().parents[2]


# helpers ------------------------------------------------------------------------------------------------
def seggan_command() -> list[str]:
    """The installed ``seggan`` script of this interpreter's environment (or ``python -m core.cli``)."""
    script = Path(sys.executable).with_name("seggan")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "core.cli"]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "SEGGAN_CPU_DEVICES")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def losses(run_dir) -> tuple[list[int], list[float]]:
    _, rows = read_metrics(RunFolder(run_dir).metrics_path)
    return [int(r["step"]) for r in rows], [r["loss"] for r in rows]


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"<no {path.name}>"
    keep = [line for line in text.splitlines() if not re.match(r"^[IWE]\d{4} |^WARNING: All log messages", line)]
    return "\n".join(keep[-lines:])


def kill_if_alive(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)


# MirroredStrategy ---------------------------------------------------------------------------------------
MIRRORED_SCRIPT = textwrap.dedent("""
    import json, sys
    from core.runtime import tensorflow
    tf = tensorflow()
    from core.training.config import Budget
    from core.training.engine import train
    from tests.core.training_helpers import tiny_config

    out = sys.argv[1]
    results = {"cpus": [d.name for d in tf.config.list_logical_devices("CPU")]}
    for strategy in ("one", "mirrored"):
        result = train(f"{out}/{strategy}", tiny_config(steps=20, strategy=strategy))
        results[strategy] = [result.state, result.step]
    train(f"{out}/mirrored-split", tiny_config(steps=10, strategy="mirrored"))
    result = train(f"{out}/mirrored-split", resume=True, budget=Budget(steps=20))
    results["mirrored-split"] = [result.state, result.step]
    print("RESULT " + json.dumps(results))
""")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mirrored_over_two_cpu_devices_tracks_the_single_device_loss(tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED_SCRIPT)
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                         timeout=240, cwd=REPO, env=child_env(SEGGAN_CPU_DEVICES="2"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]
    results = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert len(results["cpus"]) == 2, results
    assert results["one"] == ["finished", 20] and results["mirrored"] == ["finished", 20]
    assert results["mirrored-split"] == ["finished", 20]

    one_steps, one_loss = losses(tmp_path / "one")
    mirrored_steps, mirrored_loss = losses(tmp_path / "mirrored")
    assert one_steps == mirrored_steps == [5, 10, 15, 20]
    assert one_loss[-1] < one_loss[0]  # it trains: the comparison below is not between two constants
    np.testing.assert_allclose(mirrored_loss, one_loss, rtol=1e-3)

    # a mirrored run stopped at step 10 and resumed reproduces the uninterrupted mirrored run
    split_steps, split_loss = losses(tmp_path / "mirrored-split")
    assert split_steps == mirrored_steps
    np.testing.assert_allclose(split_loss, mirrored_loss, rtol=1e-4)

    mirrored_status = json.loads((tmp_path / "mirrored" / "status.json").read_text())
    assert mirrored_status["state"] == "finished" and mirrored_status["step"] == 20
    assert "MirroredStrategy" in mirrored_status["strategy"] and "2 replicas" in mirrored_status["strategy"]
    one_status = json.loads((tmp_path / "one" / "status.json").read_text())
    assert one_status["strategy"] == "one device with 1 replica"


# MultiWorkerMirroredStrategy ----------------------------------------------------------------------------
# The documented way (docs/cli.md): the same command on every worker, each with its own TF_CONFIG, default strategy (auto).
AUTO_WITHOUT_CONTEXT = textwrap.dedent("""
    from tensorflow.python.eager import context
    from core.training.strategy import resolve_auto
    kind = resolve_auto()
    print("RESULT", kind, context.context()._context_handle is None)
""")


def test_auto_picks_multiworker_from_tf_config_without_starting_tensorflow(tmp_path):
    """MultiWorkerMirroredStrategy must configure collective ops before TensorFlow's context starts, so
    deciding what "auto" means must not start it (listing logical devices did)."""
    cluster = json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}})
    for env, expected in ((child_env(TF_CONFIG=cluster), "multiworker"), (child_env(), "one")):
        out = subprocess.run([sys.executable, "-c", AUTO_WITHOUT_CONTEXT], capture_output=True, text=True,
                             timeout=120, cwd=REPO, env=env)
        assert out.returncode == 0, out.stderr[-3000:]
        assert out.stdout.split()[-3:] == ["RESULT", expected, "True"], out.stdout


def start_workers(commands: list[list[str]], tmp_path: Path) -> tuple[list[subprocess.Popen], list[Path], list[Path]]:
    """Worker i runs ``commands[i]`` with TF_CONFIG naming two local workers and itself as task i (and its own
    TMPDIR, to see the non-chief's throwaway checkpoints cleaned up)."""
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    temps = [tmp_path / f"tmp{i}" for i in range(2)]
    procs: list[subprocess.Popen] = []
    for index in range(2):
        temps[index].mkdir()
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        with open(logs[index], "wb") as log:
            procs.append(subprocess.Popen(commands[index], stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                          env=child_env(TF_CONFIG=tf_config, TMPDIR=str(temps[index]))))
    return procs, logs, temps


def wait_for_workers(procs: list[subprocess.Popen], logs: list[Path], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    try:
        for index, proc in enumerate(procs):
            try:
                proc.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"worker {index} did not finish in time:\n{tail(logs[0])}\n---\n{tail(logs[1])}")
    finally:
        for proc in procs:
            kill_if_alive(proc)
    for index, proc in enumerate(procs):
        assert proc.returncode == 0, f"worker {index} exited {proc.returncode}:\n{tail(logs[index])}"


def final_lines(logs: list[Path]) -> list[str]:
    """The last line of each worker's output: "<state> at step N: <why> (...)"."""
    lines = []
    for log in logs:
        text = [line for line in log.read_text(errors="replace").splitlines()
                if re.match(r"^(finished|stopped|failed) at step \d+", line)]
        assert text, f"no final line:\n{tail(log)}"
        lines.append(text[-1].split(" (")[0])
    return lines


def assert_trained_by_two_workers(run: RunFolder, state: str, temps: list[Path]) -> dict:
    status = json.loads(run.status_path.read_text())
    assert status["state"] == state, status
    assert status["strategy"] == "MultiWorkerMirroredStrategy with 2 replicas", status["strategy"]
    assert list(temps[1].glob("seggan-worker-ckpt-*")) == []  # the non-chief's checkpoints are cleaned up
    return status


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_multiworker_with_two_worker_processes_on_localhost(tmp_path):
    from core.training.engine import train

    # separate --out folders here, to see that only the chief (worker 0) writes one
    outs = [tmp_path / "chief-run", tmp_path / "worker1-run"]
    procs, logs, temps = start_workers(
        [[*seggan_command(), "check-training", "--out", str(out), "--steps", "20", "--batch-size", "8", "--size",
          "16", "--examples", "64", "--checkpoint-every", "10", "--sample-every", "10", "--log-every", "5"]
         for out in outs], tmp_path)
    wait_for_workers(procs, logs)
    assert final_lines(logs) == ["finished at step 20: reached 20 steps"] * 2

    chief = RunFolder(outs[0])
    status = assert_trained_by_two_workers(chief, "finished", temps)
    assert status["step"] == 20 and status["total_steps"] == 20
    assert sorted(p.name for p in chief.checkpoints_dir.glob("ckpt-*.index")) == ["ckpt-10.index", "ckpt-20.index"]
    steps, chief_loss = losses(chief.path)
    assert steps == [5, 10, 15, 20]
    assert all(np.isfinite(chief_loss))
    assert chief.sample_steps() == [10, 20]
    assert (chief.model_dir / "autoencoder.weights.h5").is_file()
    assert not RunFolder(outs[1]).is_run()  # only the chief writes a run folder

    # two workers with one replica each see the same global batches as one device: same losses
    config = chief.read_config()
    assert config.strategy == "auto"
    config.strategy = "one"
    single = train(tmp_path / "single", RunConfig.from_dict(config.to_dict()))
    assert single.state == "finished" and single.step == 20
    single_steps, single_loss = losses(tmp_path / "single")
    assert single_steps == steps
    np.testing.assert_allclose(chief_loss, single_loss, rtol=1e-3)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_readme_train_seg_on_two_workers_stops_together_at_the_time_budget(tmp_path):
    """`seggan train-seg` as docs/cli.md documents it, the same command on both workers. A time budget is
    measured by each worker on its own clock: without agreeing, one worker left while the other waited in
    the next step's all-reduce, and the chief's run failed."""
    from tests.core.unet_helpers import write_folders

    images, masks = write_folders(tmp_path / "data", count=4, size=(32, 32))
    run = tmp_path / "run"
    command = [*seggan_command(), "train-seg", "--images", str(images), "--masks", str(masks), "--out", str(run),
               "--minutes", "0.1", "--crop", "16", "--batch-size", "4", "--depth", "2", "--width", "4"]
    procs, logs, temps = start_workers([command, command], tmp_path)
    wait_for_workers(procs, logs)
    lines = final_lines(logs)
    assert lines[0] == lines[1] and lines[0].startswith("finished at step "), lines
    assert "0.1-minute budget" in lines[0]
    step = int(lines[0].split()[3].rstrip(":"))
    status = assert_trained_by_two_workers(RunFolder(run), "finished", temps)
    assert status["step"] == step >= 1
    assert (RunFolder(run).model_dir / "unet.weights.h5").is_file()
    assert RunFolder(run).sample_steps()[-1] == step  # a sample grid of the last step


def readme_two_worker_example() -> str:
    """The documented shell block that starts two workers on one machine (docs/cli.md)."""
    blocks = re.findall(r"```sh\n(.*?)```", (REPO / "docs" / "cli.md").read_text(), re.DOTALL)
    examples = [block for block in blocks if "TF_CONFIG=" in block]
    assert len(examples) == 1, examples
    return examples[0]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_readme_two_worker_example_runs_as_written(tmp_path):
    """The documented two-worker lines, run by bash as written (the TF_CONFIG quoting included). Only what a
    test must change is changed: free ports, RUN, a 0.1-minute budget instead of 5 and a small model."""
    example = readme_two_worker_example()
    run = RunFolder(tmp_path / "run")
    ports = free_ports(2)
    small = "--size 28 --batch-size 8 --width 8 --quality-every 0 --sample-every 5"
    edits = {"23456": str(ports[0]), "23457": str(ports[1]), "--out RUN": f"--out {run.path}",
             "--minutes 5": f"--minutes 0.1 {small}"}
    script = example
    for old, new in edits.items():
        assert old in script, f"the documented example changed: {old!r} is gone:\n{example}"
        script = script.replace(old, new)
    assert script.count("seggan train-gan") == 2 and script.count("TF_CONFIG=") == 2, example
    bin_dir = tmp_path / "bin"  # `seggan` on PATH, running this checkout's code (child_env's PYTHONPATH)
    bin_dir.mkdir()
    (bin_dir / "seggan").write_text(f'#!/bin/sh\nexec {sys.executable} -m core.cli "$@"\n')
    (bin_dir / "seggan").chmod(0o755)
    log = tmp_path / "workers.log"
    with open(log, "wb") as out:
        done = subprocess.run(["bash", "-c", script + "\nwait\n"], stdout=out, stderr=subprocess.STDOUT,
                              timeout=240, cwd=tmp_path,
                              env=child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"))
    text = log.read_text(errors="replace")
    assert done.returncode == 0, tail(log)
    finals = [line.split(" (")[0] for line in text.splitlines() if re.match(r"^(finished|stopped|failed) at", line)]
    assert len(finals) == 2 and finals[0] == finals[1], tail(log)  # each worker's last line: the same step
    assert re.fullmatch(r"finished at step \d+: reached the 0\.1-minute budget at step \d+", finals[0]), finals
    step = int(finals[0].split()[3].rstrip(":"))
    status = read_json_strictly(run.status_path)
    assert status["state"] == "finished" and status["step"] == step >= 1, status
    assert status["strategy"] == "MultiWorkerMirroredStrategy with 2 replicas", status["strategy"]
    assert latest_checkpoint_step(run) == step
    assert (run.model_dir / "generator.weights.h5").is_file()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_readme_train_gan_on_two_workers_stops_together_on_ctrl_c_at_either(tmp_path):
    """`seggan train-gan` as docs/cli.md documents it on both workers; Ctrl+C at the non-chief only stops both
    after the same step, each with a checkpoint, and the chief's run reads "stopped"."""
    run = RunFolder(tmp_path / "run")
    command = [*seggan_command(), "train-gan", "--data", "procedural", "--out", str(run.path), "--steps", "100000",
               "--size", "28", "--batch-size", "8", "--width", "8", "--quality-every", "0", "--sample-every", "5"]
    procs, logs, temps = start_workers([command, command], tmp_path)
    try:
        deadline = time.monotonic() + 200
        while not (run.status_path.exists() and read_json_strictly(run.status_path).get("step", 0) >= 3):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                pytest.fail(f"training did not start:\n{tail(logs[0])}\n---\n{tail(logs[1])}")
            time.sleep(0.05)
        os.kill(procs[1].pid, signal.SIGINT)
    except BaseException:
        for proc in procs:
            kill_if_alive(proc)
        raise
    wait_for_workers(procs, logs)
    lines = final_lines(logs)
    assert lines[0] == lines[1] and lines[0].startswith("stopped at step "), lines
    step = int(lines[0].split()[3].rstrip(":"))
    status = assert_trained_by_two_workers(run, "stopped", temps)
    assert status["step"] == step >= 3
    assert latest_checkpoint_step(run) == step
    assert (run.model_dir / "generator.weights.h5").is_file()


# SIGKILL at random moments ------------------------------------------------------------------------------
LOG_EVERY, SAMPLE_EVERY, CHECKPOINT_EVERY = 5, 10, 5
NEVER = 1_000_000  # the budget of the sessions that get killed: they never finish on their own
CHECKPOINT_LINE = re.compile(r'^model_checkpoint_path: "(.+)"$', re.MULTILINE)


def read_json_strictly(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise AssertionError(f"{path.name} is not valid JSON ({exc}): {text!r}") from None


def latest_checkpoint_step(run: RunFolder) -> int:
    """The step of the checkpoint a resume would restore (0 without one); its files must all be there."""
    state = run.checkpoints_dir / "checkpoint"
    if not state.exists():
        assert not list(run.checkpoints_dir.glob("ckpt-*.index")), "checkpoint files without a checkpoint list"
        return 0
    match = CHECKPOINT_LINE.search(state.read_text())
    assert match, f"unreadable checkpoint list: {state.read_text()!r}"
    prefix = run.checkpoints_dir / Path(match.group(1)).name
    assert prefix.with_name(prefix.name + ".index").is_file(), f"{prefix.name}.index is missing"
    assert list(run.checkpoints_dir.glob(prefix.name + ".data-*")), f"{prefix.name}.data-* is missing"
    return int(prefix.name.split("-")[-1])


def assert_run_folder_intact(run: RunFolder) -> int:
    """Everything a reader or a resume needs parses; returns the latest checkpoint's step."""
    RunConfig.from_dict(read_json_strictly(run.config_path)).validate()
    status = read_json_strictly(run.status_path)
    assert status["state"] in STATES, status
    header, rows = read_metrics(run.metrics_path)
    steps = [int(r["step"]) for r in rows]
    if header:
        assert tuple(header[: len(FIXED_COLUMNS)]) == FIXED_COLUMNS, header
        assert "loss" in header or not rows, header  # metric columns arrive with the first row
    assert steps == sorted(set(steps)), f"metrics steps not strictly increasing: {steps}"
    assert all(step % LOG_EVERY == 0 for step in steps), steps
    assert all(r["loss"] is not None and np.isfinite(r["loss"]) for r in rows)
    assert all(step % SAMPLE_EVERY == 0 for step in run.sample_steps())
    return latest_checkpoint_step(run)


def watch(run: RunFolder, proc: subprocess.Popen, log: Path, seconds: float, until=None) -> None:
    """Wait ``seconds`` (or, with ``until``, until ``until(status)`` holds, failing after ``seconds``),
    reading status.json all the while: it must parse every time, and the process must not exit."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"training exited by itself ({proc.returncode}) before it was killed:\n{tail(log)}")
        status = read_json_strictly(run.status_path) if run.status_path.exists() else {}
        if until is not None and until(status):
            return
        if time.monotonic() >= deadline:
            if until is not None:
                pytest.fail(f"training did not start within {seconds} s:\n{tail(log)}")
            return
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_at_random_moments_never_corrupts_the_run_and_resume_completes(tmp_path):
    rng = random.Random(20240611)
    run = RunFolder(tmp_path / "run")
    shape = ["--log-every", str(LOG_EVERY), "--sample-every", str(SAMPLE_EVERY),
             "--checkpoint-every", str(CHECKPOINT_EVERY)]
    start = [*seggan_command(), "check-training", "--out", str(run.path), "--steps", str(NEVER),
             "--batch-size", "8", "--size", "16", "--examples", "64", *shape]
    resume = [*seggan_command(), "runs", "resume", str(run.path)]
    # "training": wait until this process reports running, then a random delay (lands inside the loop:
    # steps, metrics rows, samples, checkpoint saves). "startup": a random delay from the launch (lands in
    # the TensorFlow import, the restore, the metrics truncation or the first steps).
    schedule = ["training", "startup", "training", "training", "startup", "training"]
    restored = 0  # the checkpoint step the next session must resume from
    killed_while_training = 0
    began = time.monotonic()
    for session, when in enumerate(schedule):
        log = tmp_path / f"session{session}.log"
        command = start if session == 0 else [*resume, "--steps", str(NEVER)]
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=child_env())
        try:
            if when == "training":
                watch(run, proc, log, 120, until=lambda s, pid=proc.pid: s.get("pid") == pid and s.get("state") == "running")
                watch(run, proc, log, rng.uniform(0.05, 2.0))
            else:
                watch(run, proc, log, rng.uniform(0.5, 4.0))
            status_at_kill = read_json_strictly(run.status_path) if run.status_path.exists() else {}
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            kill_if_alive(proc)
        assert proc.returncode == -signal.SIGKILL, f"session {session} exited {proc.returncode}:\n{tail(log)}"
        if status_at_kill.get("pid") == proc.pid and status_at_kill.get("state") == "running":
            killed_while_training += 1

        text = log.read_text(errors="replace")
        if session > 0 and when == "training":  # it got past setup, so it said where it resumed
            expected = f"resumed run at step {restored}" if restored else "no checkpoint yet: starting from step 0"
            assert expected in text, f"session {session} should have resumed from {restored}:\n{tail(log)}"
        latest = assert_run_folder_intact(run)
        assert latest >= restored, f"the latest checkpoint went back from {restored} to {latest}"
        restored = latest

    assert killed_while_training >= 4, killed_while_training
    assert restored > 0, "no kill landed after the first checkpoint"

    # the last resume runs to completion at exactly the budget it is given
    total = (restored // 10 + 5) * 10
    out = subprocess.run([*resume, "--steps", str(total)], capture_output=True, text=True, timeout=180, cwd=REPO,
                         env=child_env())
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]
    assert f"resumed run at step {restored}" in out.stderr
    assert f"finished at step {total}: reached {total} steps" in out.stdout

    assert_run_folder_intact(run)
    status = run.read_status()
    assert status["state"] == "finished" and status["step"] == total and status["total_steps"] == total
    _, rows = read_metrics(run.metrics_path)
    assert [int(r["step"]) for r in rows] == list(range(LOG_EVERY, total + 1, LOG_EVERY))
    assert run.sample_steps() == list(range(SAMPLE_EVERY, total + 1, SAMPLE_EVERY))
    assert latest_checkpoint_step(run) == total
    assert run.read_config().budget.steps == total

    # leftovers of interrupted atomic writes (if any) are invisible to the readers of the run folder
    from core.training.runs import summarize

    summary = summarize(run.path)
    assert summary.state == "finished" and summary.step == total and summary.error == ""
    assert summary.checkpoints == 3 and summary.samples == total // SAMPLE_EVERY
    assert (run.model_dir / "autoencoder.weights.h5").is_file()
    leftovers = sorted(str(p.relative_to(run.path)) for p in run.path.rglob("*")
                       if p.name.startswith(".") or "tmp" in p.name or "_temp" in p.name)
    print(f"SIGKILL test: {len(schedule)} kills, {killed_while_training} while training, resumed to {total} "
          f"in {time.monotonic() - began:.0f} s; leftovers: {leftovers or 'none'}")

"""``seggan runs list/show/export/resume`` through core.cli.main, and the metrics.csv reader, tail and writer."""

from __future__ import annotations

import csv
import json
import math

import pytest

from core.cli import main
from core.training.metrics_log import FIXED_COLUMNS, MetricsTail, MetricsWriter, format_value, read_metrics
from core.training.run_folder import RunFolder
from tests.core.training_helpers import tiny_config


# runs made by the real training loop, shared by the CLI tests (they only read them) ---------------------
@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    from core.training.engine import train

    folder = tmp_path_factory.mktemp("runs")
    first = train(folder / "alpha", tiny_config(steps=10))  # rows at 5, 10
    second = train(folder / "beta", tiny_config(steps=10, log_every=2, seed=4))  # rows at 2, 4, ..., 10
    assert first.state == second.state == "finished"
    return folder


def rows_of(run_dir) -> list[dict]:
    return read_metrics(RunFolder(run_dir).metrics_path)[1]


def fake_run(path, metrics: list[tuple[int, dict]], **config) -> RunFolder:
    """A run folder without training: a config, a status and the given metric rows."""
    run = RunFolder(path)
    run.create(tiny_config(**config))
    writer = MetricsWriter(run.metrics_path)
    for step, values in metrics:
        writer.append(step, step / 8, 1000.0 + step, float(step), values)
    writer.close()
    return run


# runs list ----------------------------------------------------------------------------------------------
def test_list_shows_every_run_newest_first_with_task_state_step_and_metrics(runs_dir, capsys):
    assert main(["runs", "list", str(runs_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["run", "task", "state", "step"]
    body = [line.split() for line in lines[1:]]
    assert [fields[0] for fields in body] == ["beta", "alpha"]  # beta was written last
    for fields, name in zip(body, ["beta", "alpha"], strict=True):
        assert fields[1:4] == ["autoencoder-check", "finished", "10/10"]
        loss = rows_of(runs_dir / name)[-1]["loss"]
        assert fields[fields.index("loss") + 1] == f"{loss:.4g}"


def test_list_of_a_run_folder_an_empty_folder_and_a_missing_folder(runs_dir, tmp_path, capsys):
    assert main(["runs", "list", str(runs_dir / "alpha")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].split()[0] == "alpha"
    for folder in (tmp_path, tmp_path / "missing"):
        assert main(["runs", "list", str(folder)]) == 0
        assert capsys.readouterr().out.strip() == f"no runs in {folder}"


def test_list_survives_a_run_with_a_broken_config(tmp_path, capsys):
    fake_run(tmp_path / "good", [(5, {"loss": 0.5})])
    broken = fake_run(tmp_path / "broken", [(5, {"loss": 0.25})])
    broken.config_path.write_text("{ not json")
    assert main(["runs", "list", str(tmp_path)]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert set(rows) == {"good", "broken"}
    assert rows["broken"][1] == "?" and rows["good"][1] == "autoencoder-check"


# runs show ----------------------------------------------------------------------------------------------
def test_show_prints_state_budget_saved_files_and_last_metrics(runs_dir, capsys):
    assert main(["runs", "show", str(runs_dir / "alpha")]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["run"].endswith(str(runs_dir / "alpha"))
    assert lines["task"].split()[1] == "autoencoder-check" and '"size": 16' in lines["task"]
    assert "finished at step 10 of 10" in lines["state"] and "reached 10 steps" in lines["state"]
    assert "steps 10," in lines["budget"]
    assert "batch 8, seed 3, strategy auto" in lines["training"]
    assert "1 checkpoints, 1 sample grids" in lines["saved"]
    last = rows_of(runs_dir / "alpha")[-1]
    assert f"loss {last['loss']:.5g}" in lines["metrics"] and f"psnr {last['psnr']:.5g}" in lines["metrics"]
    assert "step" not in lines["metrics"].split()  # fixed columns are not metrics


def test_show_json_parses_and_matches_the_run_folder(runs_dir, capsys):
    assert main(["runs", "show", str(runs_dir / "beta"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["name"] == "beta" and summary["path"] == str(runs_dir / "beta")
    assert summary["task"] == "autoencoder-check" and summary["error"] == ""
    assert (summary["state"], summary["step"], summary["total_steps"]) == ("finished", 10, 10)
    assert summary["checkpoints"] == 1 and summary["samples"] == 1
    last = rows_of(runs_dir / "beta")[-1]
    assert summary["last_metrics"]["loss"] == last["loss"] and summary["last_metrics"]["lr_main"] == 2e-3
    assert not set(FIXED_COLUMNS) & set(summary["last_metrics"])


def test_show_of_a_run_with_an_unreadable_config_exits_2(tmp_path, capsys):
    run = fake_run(tmp_path / "broken", [(5, {"loss": 0.5})])
    run.config_path.write_text("{ not json")
    assert main(["runs", "show", str(run.path)]) == 2
    assert "config.json" in capsys.readouterr().err


# runs export --------------------------------------------------------------------------------------------
def test_export_writes_one_csv_with_a_leading_run_column(runs_dir, tmp_path, capsys):
    out = tmp_path / "all.csv"
    assert main(["runs", "export", str(runs_dir / "alpha"), str(runs_dir / "beta"), "--csv", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 7 rows from 2 run(s) to {out}"
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    assert header == ["run", *read_metrics(RunFolder(runs_dir / "alpha").metrics_path)[0]]
    assert header[1:5] == list(FIXED_COLUMNS) and "loss" in header
    assert [row[0] for row in body] == ["alpha"] * 2 + ["beta"] * 5
    assert [int(row[1]) for row in body] == [5, 10, 2, 4, 6, 8, 10]
    expected = rows_of(runs_dir / "alpha") + rows_of(runs_dir / "beta")
    loss = header.index("loss")
    assert [float(row[loss]) for row in body] == [r["loss"] for r in expected]


def test_export_takes_the_union_of_the_columns(tmp_path, capsys):
    a = fake_run(tmp_path / "a", [(5, {"loss": 0.5}), (10, {"loss": 0.25})])
    b = fake_run(tmp_path / "b", [(5, {"loss": 0.75, "accuracy": 0.5})])
    out = tmp_path / "out" / "both.csv"
    assert main(["runs", "export", str(a.path), str(b.path), "--csv", str(out)]) == 0
    capsys.readouterr()
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["run", *FIXED_COLUMNS, "loss", "accuracy"]
    assert [(r["run"], r["step"], r["loss"], r["accuracy"]) for r in rows] == [
        ("a", "5", "0.5", ""), ("a", "10", "0.25", ""), ("b", "5", "0.75", "0.5")]


def test_commands_on_a_folder_that_is_not_a_run_exit_2_with_a_clear_message(runs_dir, tmp_path, capsys):
    not_a_run = tmp_path / "not-a-run"
    not_a_run.mkdir()
    (not_a_run / "metrics.csv").write_text("step,loss\n1,0.5\n")
    assert main(["runs", "show", str(not_a_run)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"error: {not_a_run}: not a run folder (no config.json)" in captured.err

    out = tmp_path / "export.csv"
    assert main(["runs", "export", str(runs_dir / "alpha"), str(not_a_run), "--csv", str(out)]) == 2
    assert f"error: {not_a_run}: not a run folder" in capsys.readouterr().err
    assert not out.exists()  # nothing half-written

    assert main(["runs", "show", str(tmp_path / "missing"), "--json"]) == 2
    assert "not a run folder" in capsys.readouterr().err

    assert main(["runs", "resume", str(not_a_run), "--steps", "5"]) == 2
    assert f"error: {not_a_run}: not a run folder" in capsys.readouterr().err
    assert not (not_a_run / "config.json").exists()


def test_runs_without_an_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["runs"])
    assert exit_info.value.code == 2
    assert "ACTION" in capsys.readouterr().err


# metrics_log --------------------------------------------------------------------------------------------
HEADER = "step,epoch,wall_time,elapsed_s,loss\n"


def test_read_metrics_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(HEADER + "5,0.5,100,1,0.5\n10,1,101,2,0.25\n15,1.5,10")
    header, rows = read_metrics(path)
    assert header == [*FIXED_COLUMNS, "loss"]
    assert [(r["step"], r["loss"]) for r in rows] == [(5, 0.5), (10, 0.25)]
    path.write_text(HEADER + "5,0.5,100,1,0.5\n10,1,101,2,0.25\n15,1.5,102,3,0.125")  # torn after the value
    assert [r["step"] for r in read_metrics(path)[1]] == [5, 10]


def test_read_metrics_of_missing_empty_torn_and_damaged_files(tmp_path):
    path = tmp_path / "metrics.csv"
    assert read_metrics(path) == ([], [])
    path.write_text("")
    assert read_metrics(path) == ([], [])
    path.write_text("step,epo")  # torn header
    assert read_metrics(path) == ([], [])
    path.write_text(HEADER)
    assert read_metrics(path) == ([*FIXED_COLUMNS, "loss"], [])
    path.write_text(HEADER + "5,0.5,100,1,0.5\n7,garbage\n,1,2,3,4\n10,1,101,2,\n")
    rows = read_metrics(path)[1]
    assert [r["step"] for r in rows] == [5, 10] and rows[1]["loss"] is None


def test_metrics_tail_returns_only_new_rows(tmp_path):
    path = tmp_path / "metrics.csv"
    tail = MetricsTail(path)
    assert tail.read_new() == ([], False)  # no file yet
    writer = MetricsWriter(path)
    writer.append(5, 0.5, 100.0, 1.0, {"loss": 0.5})
    writer.append(10, 1.0, 101.0, 2.0, {"loss": 0.25})
    rows, restarted = tail.read_new()
    assert [r["step"] for r in rows] == [5, 10] and not restarted
    assert tail.columns == [*FIXED_COLUMNS, "loss"]
    assert tail.read_new() == ([], False)
    writer.append(15, 1.5, 102.0, 3.0, {"loss": 0.125})
    rows, restarted = tail.read_new()
    assert [(r["step"], r["loss"]) for r in rows] == [(15, 0.125)] and not restarted
    writer.close()

    with open(path, "a") as handle:  # a row caught half-written is held back until it is complete
        handle.write("20,2,103")
    assert tail.read_new() == ([], False)
    with open(path, "a") as handle:
        handle.write(",4,0.0625\n")
    rows, restarted = tail.read_new()
    assert [(r["step"], r["loss"]) for r in rows] == [(20, 0.0625)] and not restarted


def test_metrics_tail_signals_a_restart_when_the_file_is_rewritten(tmp_path):
    path = tmp_path / "metrics.csv"
    writer = MetricsWriter(path)
    for step in (5, 10, 15, 20):
        writer.append(step, step / 10, 100.0 + step, float(step), {"loss": 1.0 / step})
    tail = MetricsTail(path)
    assert len(tail.read_new()[0]) == 4

    writer.truncate_after(10)  # what a resume from the checkpoint of step 10 does
    rows, restarted = tail.read_new()
    assert restarted and [r["step"] for r in rows] == [5, 10]  # everything again, from the start
    writer.append(15, 1.5, 200.0, 15.0, {"loss": 0.5})
    rows, restarted = tail.read_new()
    assert not restarted and [(r["step"], r["loss"]) for r in rows] == [(15, 0.5)]

    writer.append(20, 2.0, 201.0, 20.0, {"loss": 0.25, "psnr": 6.0})  # a new metric rewrites the file too
    rows, restarted = tail.read_new()
    assert restarted and [r["step"] for r in rows] == [5, 10, 15, 20]
    assert tail.columns[-1] == "psnr" and rows[-1]["psnr"] == 6.0 and rows[0]["psnr"] is None
    writer.close()

    path.unlink()
    assert tail.read_new() == ([], True)
    assert tail.read_new() == ([], False)


def test_metrics_writer_widens_the_header_when_a_new_metric_appears(tmp_path):
    path = tmp_path / "metrics.csv"
    writer = MetricsWriter(path)
    writer.append(1, 0.125, 100.0, 0.5, {"loss": 0.5})
    writer.append(2, 0.25, 101.0, 1.0, {"loss": 0.25, "accuracy": 0.75})
    writer.append(3, 0.375, 102.0, 1.5, {"accuracy": 0.875})
    writer.close()
    header, rows = read_metrics(path)
    assert header == [*FIXED_COLUMNS, "loss", "accuracy"]
    assert [(r["step"], r["loss"], r["accuracy"]) for r in rows] == [(1, 0.5, None), (2, 0.25, 0.75),
                                                                    (3, None, 0.875)]
    assert path.read_text().splitlines()[1] == "1,0.125,100,0.5,0.5,"

    reopened = MetricsWriter(path)  # a new session keeps the columns and appends
    assert reopened.columns == header
    reopened.append(4, 0.5, 103.0, 2.0, {"loss": 0.125, "accuracy": 1.0})
    reopened.close()
    assert [r["step"] for r in read_metrics(path)[1]] == [1, 2, 3, 4]
    assert len(path.read_text().splitlines()) == 5


def test_metrics_writer_appending_after_a_torn_line_keeps_the_new_row_intact(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(HEADER + "5,0.5,100,1,0.5\n1")  # a crash tore the row of step 10 after its first digit
    writer = MetricsWriter(path)
    writer.append(20, 2.0, 102.0, 3.0, {"loss": 0.125})
    writer.close()
    assert [(r["step"], r["loss"]) for r in read_metrics(path)[1]] == [(5, 0.5), (20, 0.125)]


def test_format_value_round_trips_through_read_metrics(tmp_path):
    assert [format_value(v) for v in (None, "", 3.0, 0.1, float("nan"), float("inf"), -float("inf"), 2e16)] == [
        "", "", "3", "0.1", "nan", "inf", "-inf", "2e+16"]
    path = tmp_path / "metrics.csv"
    writer = MetricsWriter(path)
    values = {"a": 0.1 + 0.2, "b": float("nan"), "c": float("-inf"), "d": 1e-12}
    writer.append(7, 7 / 3, 1.7e9 + 0.123456, 12.5, values)
    writer.close()
    row = read_metrics(path)[1][0]
    assert row["step"] == 7 and row["epoch"] == 7 / 3 and row["wall_time"] == 1.7e9 + 0.123456
    assert row["a"] == 0.1 + 0.2 and math.isnan(row["b"]) and row["c"] == -math.inf and row["d"] == 1e-12


def test_a_killed_run_reads_as_interrupted(tmp_path):
    import subprocess
    import sys

    run = fake_run(tmp_path / "killed", [(5, {"loss": 0.5})])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run.write_status("running", step=5)
    status = json.loads(run.status_path.read_text())
    status["pid"] = dead.pid
    run.status_path.write_text(json.dumps(status))
    assert run.read_status()["state"] == "interrupted"
    assert run.read_status()["recorded_state"] == "running"


def test_stale_temp_files_are_removed(tmp_path):
    run = fake_run(tmp_path / "r", [(5, {"loss": 0.5})])
    (run.samples_dir / ".step_000010.png.abc.tmp").write_bytes(b"x")
    (run.checkpoints_dir / "ckpt-20_temp").mkdir()
    assert run.remove_stale_temp_files() == 2
    assert not list(run.samples_dir.iterdir()) and not list(run.checkpoints_dir.iterdir())


def test_truncating_a_run_that_never_logged_writes_no_bare_header(tmp_path):
    """A run killed before its first metrics row, then resumed: no header-only file that lacks the metrics."""
    writer = MetricsWriter(tmp_path / "metrics.csv")
    writer.truncate_after(0)
    assert not (tmp_path / "metrics.csv").exists()
    writer.append(10, 0.1, 1.0, 1.0, {"loss": 0.5})
    header, rows = read_metrics(tmp_path / "metrics.csv")
    assert "loss" in header and rows[0]["loss"] == 0.5

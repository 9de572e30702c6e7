from __future__ import annotations

import json
import subprocess
import sys

from core.cli import main
from core.runtime import default_thread_settings


def test_thread_settings_leave_the_ui_a_core_on_small_machines(monkeypatch):
    monkeypatch.delenv("SEGGAN_INTRA_OP_THREADS", raising=False)
    monkeypatch.delenv("SEGGAN_INTER_OP_THREADS", raising=False)
    two = default_thread_settings(2)
    assert (two.intra_op, two.inter_op, two.reserved_for_ui) == (1, 1, 1)
    assert default_thread_settings(1).intra_op == 1
    assert default_thread_settings(16).intra_op == 16
    monkeypatch.setenv("SEGGAN_INTRA_OP_THREADS", "3")
    assert default_thread_settings(2).intra_op == 3


def test_info_without_tensorflow_prints_json(capsys):
    assert main(["info", "--json", "--no-tensorflow"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["seggan-studio"] and info["packages"]["numpy"] != "not installed"
    assert "tensorflow" not in info and info["threads"]["intra_op"] >= 1


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "info" in capsys.readouterr().out


def test_seggan_info_runs_headless_and_reports_devices():
    env = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "core.cli", "info", "--json"], capture_output=True, text=True,
                         timeout=180, env=env)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["tensorflow"]["version"].startswith("2.")
    assert any(device["type"] == "CPU" for device in info["tensorflow"]["devices"])
    assert info["tensorflow"]["intra_op_threads"] == info["threads"]["intra_op"]
    # headless: no core is kept free for a UI
    assert info["threads"]["reserved_for_ui"] == 0
    assert info["tensorflow"]["intra_op_threads"] == info["threads"]["cpu_count"]

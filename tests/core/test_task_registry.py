"""The task registry imports a task's module only when its name is asked for; runs are found by task."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.tasks import BUILTIN_TASK_MODULES
from core.training.run_folder import RunFolder
from core.training.runs import find_runs
from tests.core.training_helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_engine_imports_no_task_until_one_is_asked_for():
    result = _run(
        "import sys, json\n"
        "import core.training.engine\n"
        "before = sorted(m for m in sys.modules if m.startswith(('core.gan', 'core.unet')))\n"
        "from core.training.task import task_class\n"
        "cls = task_class('unet')\n"
        "after = sorted(m for m in sys.modules if m.startswith(('core.gan', 'core.unet')))\n"
        "print(json.dumps({'before': before, 'after': after, 'name': cls.name}))")
    assert result["before"] == []
    assert result["name"] == "unet" and "core.unet.task" in result["after"]
    assert not any(m.startswith("core.gan") for m in result["after"])  # only the task asked for


@pytest.mark.parametrize("name", sorted(BUILTIN_TASK_MODULES))
def test_every_builtin_task_registers_under_its_name(name):
    from core.training.task import task_class

    assert task_class(name).name == name


def test_an_unknown_task_names_the_known_ones():
    from core.training.task import task_class

    with pytest.raises(ValueError, match=r"unknown task 'nope' \(known: .*autoencoder-check.*gan.*unet"):
        task_class("nope")


def test_find_runs_filters_by_task_and_skips_unreadable_configs(tmp_path):
    RunFolder(tmp_path / "check").create(tiny_config())
    RunFolder(tmp_path / "gan").create(tiny_config(task="gan", task_params={}))
    broken = tmp_path / "broken"
    RunFolder(broken).create(tiny_config())
    (broken / "config.json").write_text("{not json", encoding="utf-8")

    assert {p.name for p in find_runs(tmp_path)} == {"check", "gan", "broken"}
    assert [p.name for p in find_runs(tmp_path, task="gan")] == ["gan"]
    assert [p.name for p in find_runs(tmp_path, task="autoencoder-check")] == ["check"]
    assert find_runs(tmp_path / "gan", task="unet") == []
    assert find_runs(tmp_path / "missing", task="gan") == []

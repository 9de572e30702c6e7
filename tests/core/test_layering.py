"""The layering contract of DESIGN.md, checked in fresh interpreters."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parents[2]


def _modules_after_import(statements: str) -> set[str]:
    code = statements + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _modules(package) -> list[str]:
    names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."))
    return [name for name in names if not name.endswith("__main__")]


def test_walk_reaches_subpackages():
    import gui

    assert "core.training.engine" in _modules(core)
    assert {"gui.segment.model_tools", "gui.train.curves", "gui.gan.grid_view"} <= set(_modules(gui))


# Qt and the GUI staying out of core, and the task registry importing no task, are import-linter contracts
# (pyproject.toml, run by `make test`). What it cannot see is *when* an import runs: TensorFlow must stay
# behind function calls, so these check it in a fresh interpreter.
def test_core_imports_tensorflow_lazily():
    modules = _modules_after_import("\n".join(f"import {name}" for name in _modules(core)))
    assert "tensorflow" not in modules and "keras" not in modules


def test_gui_never_imports_tensorflow_at_module_level():
    import gui

    modules = _modules_after_import("\n".join(f"import {name}" for name in _modules(gui)))
    assert {"gui.main_window", "gui.train.seg_setup", "gui.segment.object_worker"} <= modules
    assert "tensorflow" not in modules and "keras" not in modules


def test_the_main_window_starts_without_the_heavy_image_libraries():
    """The window is shown within 2 s (benchmarks/ui_responsiveness.py): scipy.signal and scikit-image, which
    only propagation and the click segmenter's worker need, cost ~0.4 s of that when imported at start."""
    modules = _modules_after_import("import gui.main_window")
    assert "gui.segment.propagate_action" in modules
    assert not {"skimage", "scipy.signal", "scipy.interpolate", "scipy.optimize"} & modules


def test_import_contracts_hold():
    """The contracts also run inside the suite, so a plain `pytest` catches a broken layer."""
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr

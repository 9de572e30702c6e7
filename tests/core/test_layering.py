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


def _core_modules() -> list[str]:
    names = sorted(m.name for m in pkgutil.walk_packages(core.__path__, prefix="core."))
    assert "core.training.engine" in names  # subpackages are included
    return names


def test_core_never_imports_qt_or_gui():
    modules = _modules_after_import("\n".join(f"import {name}" for name in _core_modules()))
    forbidden = {"PySide6", "superqt", "pyqtgraph", "gui", "qtpy", "PyQt5", "PyQt6"}
    assert not {m.split(".")[0] for m in modules} & forbidden


def test_core_imports_tensorflow_lazily():
    modules = _modules_after_import("\n".join(f"import {name}" for name in _core_modules()))
    assert "tensorflow" not in modules and "keras" not in modules


def test_gui_never_imports_tensorflow_at_module_level():
    import gui

    names = [f"gui.{m.name}" for m in pkgutil.walk_packages(gui.__path__, prefix="") if m.name != "__main__"]
    names += [f"gui.panels.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "gui" / "panels")])]
    modules = _modules_after_import("\n".join(f"import {name}" for name in names))
    assert "gui.main_window" in modules
    assert "tensorflow" not in modules and "keras" not in modules

# The two commands of the README: `make run` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SHOTS  ?= docs/screenshots

.PHONY: run test lint screenshots bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Bytecode is compiled first (a no-op when current): an editable install has none, and where
# PYTHONDONTWRITEBYTECODE is set Python would compile ~250 modules of ours on every start (~0.6 s).
run: $(STAMP)
	@$(PY) -m compileall -q core gui
	$(VENV)/bin/seggan-studio

# ruff, and the import contracts of pyproject.toml ([tool.importlinter]): DESIGN.md's layering as checks.
lint: $(STAMP)
	$(VENV)/bin/ruff check core gui tests benchmarks tools
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# Renders the main window and each panel in a real X window under Xvfb (needs xvfb-run); tools/screenshots.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m tools.screenshots $(SHOTS)

bench: $(STAMP)
	@$(PY) -m compileall -q core gui
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/ui_responsiveness.py

clean-venv:
	rm -rf $(VENV)

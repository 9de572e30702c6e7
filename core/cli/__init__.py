"""The ``seggan`` command line: ``main`` parses and dispatches; one module per group of subcommands."""

from core.cli.main import main

__all__ = ["main"]

"""The ``seggan`` command line: ``main`` parses and dispatches; one module per group of subcommands."""

from core.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

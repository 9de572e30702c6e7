"""Widgets of the Train panel: curves, sample timeline, run list."""

"""Layout helpers that keep the window the size the user gave it."""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QWidget


def never_widens(widget: QWidget) -> QWidget:
    """Let ``widget`` (typically a word-wrapped label whose text may hold a long path or file name, which
    cannot wrap) take the width its layout gives it instead of asking for its text's width: a long message
    must wrap or clip, not widen the window."""
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    widget.setSizePolicy(policy)
    return widget

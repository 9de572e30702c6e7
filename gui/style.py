"""The app's look, from two files in ``resources/``: ``palette.json`` (every colour the app sets itself, by
role) and ``style.qss`` (every widget style, using the palette's colours as ``@name``), each read once
(``load_style`` at start-up). Widgets opt in with a ``role`` dynamic property (``set_role``); painters ask for
a colour by name (``colour``).

The sheet is given to the widgets that have a role, not to the whole application: an application-wide sheet
switches every widget to Qt's style-sheet style, which changed native size hints where no rule applies
(measured under Xvfb: the GAN panel's minimum height 812 -> 811 px, the Train panel's minimum width 894 ->
910 px, so every screenshot moved by a pixel)."""

from __future__ import annotations

import json
import re
from functools import cache

from PySide6.QtGui import QColor

from gui.resources import resource_path

_REFERENCE = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")


@cache
def palette() -> dict[str, str]:
    """name -> colour (#RRGGBB or #AARRGGBB), read once."""
    data = json.loads(resource_path("palette.json").read_text(encoding="utf-8"))
    return {name: value for name, value in data.items() if not name.startswith("_")}


def colour(name: str) -> QColor:
    """The palette's colour ``name`` (a new QColor each time: callers may change its alpha)."""
    return QColor(palette()[name])


@cache
def style_sheet() -> str:
    """style.qss with every ``@name`` replaced by the palette's colour (an unknown name is an error), read once."""
    text = resource_path("style.qss").read_text(encoding="utf-8")

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in palette():
            raise KeyError(f"style.qss uses @{name}, which palette.json does not define")
        return palette()[name]

    return _REFERENCE.sub(substitute, text)


def load_style() -> None:
    """Read the palette and the style sheet now (start-up): a broken install fails here, naming the file."""
    style_sheet()


def set_role(widget, role: str) -> None:
    """Style ``widget`` by the style sheet's rules for ``role`` (style.qss's ``[role="..."]`` selectors)."""
    widget.setProperty("role", role)
    widget.setStyleSheet(style_sheet())

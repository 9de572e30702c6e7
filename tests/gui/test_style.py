"""One style sheet and palette in resources/: every colour resolves, and widgets get their role's style."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel

from gui.resources import resource_path
from gui.style import colour, palette, style_sheet
from gui.widgets.empty_state import EmptyState


def test_every_palette_colour_is_valid_and_the_sheet_uses_only_palette_colours():
    assert {"canvas_background", "click_positive", "pin_a", "text_error"} <= set(palette())
    for name in palette():
        assert colour(name).isValid(), name
    assert colour("brush_cursor").alpha() == 220  # #AARRGGBB
    sheet = style_sheet()
    assert "@" not in sheet and "#b00020" in sheet  # every @name replaced by its colour
    rules = re.sub(r"/\*.*?\*/", "", resource_path("style.qss").read_text(encoding="utf-8"), flags=re.S)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}", rules)  # the sheet names palette colours, has none of its own


def test_a_role_gets_its_style_from_the_sheet_and_other_widgets_keep_the_native_style(qtbot, qapp):
    assert qapp.styleSheet() == ""  # an application-wide sheet would change every widget's metrics
    empty = EmptyState("No runs", "text")
    qtbot.addWidget(empty)
    empty.show()
    empty.title.ensurePolished()
    empty.text.ensurePolished()
    assert empty.title.font().bold() and empty.title.font().pointSize() == 16
    assert empty.text.font().pointSize() == 11 and not empty.text.font().bold()
    muted = QColor(palette()["text_muted"])
    assert empty.title.palette().color(QPalette.ColorRole.WindowText) == muted
    assert empty.text.palette().color(QPalette.ColorRole.WindowText) == muted
    plain = QLabel("no role")
    qtbot.addWidget(plain)
    plain.ensurePolished()
    assert plain.styleSheet() == "" and not plain.font().bold() and plain.palette().color(
        QPalette.ColorRole.WindowText) != muted

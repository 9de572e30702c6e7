"""An empty panel's page that says what to do next (a title and a few lines of rich text)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.style import set_role
from gui.widgets.layout import never_widens


class EmptyState(QWidget):
    def __init__(self, title: str = "", text: str = "", parent=None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.title, "empty-title")  # resources/style.qss
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        set_role(self.text, "empty-text")
        self.text.setMaximumWidth(560)
        never_widens(self.title)
        row = QHBoxLayout()  # the text column centred, at most 560 px wide, narrower when the panel is
        row.addStretch(1)
        row.addWidget(self.text, 100)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addStretch(3)
        self.set_text(title, text)

    def set_text(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.text.setText(text)

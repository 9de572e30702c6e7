"""A labelled folder field with a Browse… button (remembers the last dataset folder chosen)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from gui.widgets import file_dialogs


class PathRow(QWidget):
    """A labelled folder field with Browse…; ``on_change`` gets the text as it changes."""

    def __init__(self, label: str, on_change, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(label)
        self.label.setMinimumWidth(60)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("choose a folder…")
        self.edit.textChanged.connect(on_change)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        layout.addWidget(self.label)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def _browse(self) -> None:
        title = f"Choose the {self.label.text().lower()} folder"
        if self.edit.text():
            folder = QFileDialog.getExistingDirectory(self, title, self.edit.text())
        else:  # not the working directory: the last dataset folder chosen, else the workspace
            folder = file_dialogs.existing_folder(self, "datasets", title)
        if folder:
            self.edit.setText(folder)

    def text(self) -> str:
        return self.edit.text().strip()

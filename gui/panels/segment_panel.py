"""The Segment panel: a view of the shared image scene with click, brush, eraser and fill tools, labels,
undo/redo and saving. The tools arrive with the click-segmentation issue; until then they are disabled."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.canvas import ImageScene, ImageView
from gui.panels.pending import pending_banner

TOOLS = (
    ("Click", "Left click = object, right click = background"),
    ("Brush", "Paint the current label"),
    ("Eraser", "Erase to background"),
    ("Fill", "Fill a region with the current label"),
)


class SegmentPanel(QWidget):
    def __init__(self, scene: ImageScene, parent=None):
        super().__init__(parent)
        self.scene = scene
        self.banner = pending_banner(
            "Click segmentation is not available yet: the tools below arrive with the click-segmentation "
            "issue. The view shows the current image and its overlay.")

        tools_box = QGroupBox("Tools")
        tools = QVBoxLayout(tools_box)
        self.tool_group = QButtonGroup(self)
        self.tool_buttons = {}
        for index, (name, tip) in enumerate(TOOLS):
            button = QToolButton(text=name)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setMinimumWidth(90)
            self.tool_group.addButton(button, index)
            self.tool_buttons[name] = button
            tools.addWidget(button)
        self.tool_buttons["Click"].setChecked(True)
        tools.addWidget(QLabel("Brush size"))
        self.brush_slider = QSlider(Qt.Orientation.Horizontal)
        self.brush_slider.setRange(1, 100)
        self.brush_slider.setValue(12)
        tools.addWidget(self.brush_slider)
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        tools.addWidget(self.undo_button)
        tools.addWidget(self.redo_button)
        tools.addStretch(1)

        self.view = ImageView(scene, pan_with_left=False)

        labels_box = QGroupBox("Labels")
        labels = QVBoxLayout(labels_box)
        self.label_list = QListWidget()
        self.add_label_button = QPushButton("New label")
        self.accept_button = QPushButton("Accept object (Enter)")
        self.show_probabilities = QPushButton("Show probabilities")
        self.show_probabilities.setCheckable(True)
        self.save_button = QPushButton("Save mask")
        self.export_button = QPushButton("Export…")
        for widget in (self.label_list, self.add_label_button, self.accept_button, self.show_probabilities,
                       self.save_button, self.export_button):
            labels.addWidget(widget)

        self.controls = [*self.tool_buttons.values(), self.brush_slider, self.undo_button, self.redo_button,
                         self.label_list, self.add_label_button, self.accept_button, self.show_probabilities,
                         self.save_button, self.export_button]
        for widget in self.controls:
            widget.setEnabled(False)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(tools_box)
        splitter.addWidget(self.view)
        splitter.addWidget(labels_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([140, 900, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        row = QHBoxLayout()
        row.addWidget(splitter)
        layout.addLayout(row, 1)

"""The Segment panel's widgets and their layout, built Designer-style: ``setup_ui(panel)`` makes the widgets
as attributes of the panel and connects them to its slots. The panel keeps the behaviour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
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

from gui.scene_contrast import SceneContrast
from gui.segment.instance_tools import InstanceTools
from gui.segment.model_tools import ModelTools
from gui.segment.propagate_action import PropagateAction
from gui.segment.segment_view import TOOL_BRUSH, TOOL_CLICK, TOOL_ERASER, TOOL_FILL, SegmentView
from gui.widgets.contrast_box import ContrastBox
from gui.widgets.frame_bar import FrameBar

TOOLS = (
    (TOOL_CLICK, "Click", "C", "Left click = object, right click (or Alt+click) = background"),
    (TOOL_BRUSH, "Brush", "B", "Paint the selected object (right-drag erases)"),
    (TOOL_ERASER, "Eraser", "E", "Erase to background"),
    (TOOL_FILL, "Fill", "F", "Fill a connected region with the selected object"),
)


def setup_ui(panel) -> None:
    """Build the panel's tool column, view, object list, model and instance tools, frame row and keys."""
    tools_box = QGroupBox("Tools")
    tools = QVBoxLayout(tools_box)
    panel.tool_group = QButtonGroup(panel)
    panel.tool_buttons: dict[str, QToolButton] = {}
    for index, (tool, name, key, tip) in enumerate(TOOLS):
        button = QToolButton(text=f"{name}  ({key})")
        button.setCheckable(True)
        button.setToolTip(f"{name} ({key}): {tip}")
        button.setMinimumWidth(110)
        button.clicked.connect(lambda _=False, t=tool: panel.set_tool(t))
        panel.tool_group.addButton(button, index)
        panel.tool_buttons[tool] = button
        tools.addWidget(button)
        QShortcut(QKeySequence(key), panel, activated=lambda t=tool: panel.set_tool(t))
    panel.tool_buttons[TOOL_CLICK].setChecked(True)
    panel.brush_label = QLabel()
    tools.addWidget(panel.brush_label)
    panel.brush_slider = QSlider(Qt.Orientation.Horizontal)
    panel.brush_slider.setRange(1, 200)
    panel.brush_slider.setValue(8)
    panel.brush_slider.valueChanged.connect(panel._on_brush_size)
    tools.addWidget(panel.brush_slider)
    panel.undo_button = QPushButton("Undo")
    panel.undo_button.setToolTip("Undo the last click or edit (Ctrl+Z)")
    panel.undo_button.clicked.connect(panel.undo)
    panel.redo_button = QPushButton("Redo")
    panel.redo_button.setToolTip("Redo (Ctrl+Shift+Z or Ctrl+Y)")
    panel.redo_button.clicked.connect(panel.redo)
    panel.clear_button = QPushButton("Clear clicks (Esc)")
    panel.clear_button.setToolTip("Start the current object again (Esc)")
    panel.clear_button.clicked.connect(panel.clear_object)
    for widget in (panel.undo_button, panel.redo_button, panel.clear_button):
        tools.addWidget(widget)
    tools.addSpacing(12)
    tools.addWidget(QLabel("Overlay opacity"))
    panel.opacity_slider = QSlider(Qt.Orientation.Horizontal)
    panel.opacity_slider.setRange(0, 100)
    panel.opacity_slider.setValue(int(round(panel.scene.overlay_opacity * 100)))
    panel.opacity_slider.valueChanged.connect(lambda v: panel.scene.set_overlay_opacity(v / 100))
    tools.addWidget(panel.opacity_slider)
    panel.probability_check = QCheckBox("Show probabilities")
    panel.probability_check.setToolTip("Red = object, blue = background, yellow = unsure: click there next")
    panel.brush_slider.setToolTip("Brush radius ([ smaller, ] larger)")
    panel.probability_check.toggled.connect(panel._push_style)
    tools.addWidget(panel.probability_check)
    tools.addStretch(1)
    panel.timing_label = QLabel()
    panel.timing_label.setWordWrap(True)
    tools.addWidget(panel.timing_label)

    panel.view = SegmentView(panel.scene)
    panel.view.empty_text = ("No image to segment.\n\nOpen an image (File ▸ Open Images…, Ctrl+O) or pick "
                            "one in the Image panel's list: it appears here, ready for clicks.")
    panel.view.hovered.connect(panel._on_hover)
    panel.view.clicked.connect(panel.add_click)
    panel.view.scribbled.connect(panel.add_scribble)
    panel.view.stroke_started.connect(panel._stroke_start)
    panel.view.stroke_moved.connect(panel._stroke_move)
    panel.view.stroke_finished.connect(panel._stroke_end)
    panel.view.fill_requested.connect(panel.fill)

    labels_box = QGroupBox("Objects")
    labels = QVBoxLayout(labels_box)
    panel.label_list = QListWidget()
    panel.label_list.setToolTip("Select an object to correct it with clicks; double-click to rename; "
                               "Ctrl+click several to merge them")
    panel.label_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    panel.label_list.itemSelectionChanged.connect(panel._on_label_selected)
    panel.label_list.itemChanged.connect(panel._on_label_renamed)
    panel.new_object_button = QPushButton("New object")
    panel.new_object_button.setToolTip("Start a new object (the current one's clicks are dropped)")
    panel.new_object_button.clicked.connect(panel.new_object)
    panel.color_button = QPushButton("Colour…")
    panel.color_button.setToolTip("Change the selected object's colour")
    panel.color_button.clicked.connect(panel._choose_color)
    panel.delete_button = QPushButton("Delete object")
    panel.delete_button.setToolTip("Remove the selected object from the label map (undo with Ctrl+Z)")
    panel.delete_button.clicked.connect(panel.delete_current)
    panel.accept_button = QPushButton("Accept object (Enter)")
    panel.accept_button.setToolTip("Put the clicked object into the label map and start the next one "
                                  "(Enter or Space)")
    panel.accept_button.clicked.connect(panel.accept_object)
    panel.save_button = QPushButton("Save mask (Ctrl+S)")
    panel.save_button.setToolTip("Save now (Ctrl+S); the mask is also saved as you work")
    panel.save_button.clicked.connect(panel.save_now)
    panel.export_button = QPushButton("Export…")
    panel.export_button.setToolTip("Per-object binary PNGs and the overlay picture, into a folder")
    panel.export_button.clicked.connect(panel._export_dialog)
    panel.save_status = QLabel("No image.")
    panel.save_status.setWordWrap(True)
    row = QHBoxLayout()
    row.addWidget(panel.new_object_button)
    row.addWidget(panel.color_button)
    labels.addWidget(panel.label_list, 1)
    labels.addLayout(row)
    for widget in (panel.delete_button, panel.accept_button, panel.save_button, panel.export_button,
                   panel.save_status):
        labels.addWidget(widget)
    panel.model_tools = ModelTools(panel.bridge, panel.workspace)
    panel.model_tools.predicted.connect(panel.adopt_prediction)
    panel.model_tools.message.connect(panel.status_message.emit)
    panel.model_tools.retrain_requested.connect(panel.retrain_requested)
    panel.model_tools.before_retrain = panel.save_now
    right = QWidget()
    right_layout = QVBoxLayout(right)
    right_layout.setContentsMargins(0, 0, 0, 0)
    panel.contrast = SceneContrast.of(panel.scene, panel.bridge)
    panel.contrast_box = ContrastBox(panel.contrast)  # the Image panel's contrast, for high depths only
    right_layout.addWidget(panel.contrast_box)
    right_layout.addWidget(labels_box, 1)
    right_layout.addWidget(panel.model_tools)
    panel.instance_tools = InstanceTools(panel, panel.bridge)
    panel.instance_tools.message.connect(panel.status_message.emit)
    right_layout.addWidget(panel.instance_tools)

    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(tools_box)
    splitter.addWidget(panel.view)
    splitter.addWidget(right)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([170, 900, 250])
    # a stack's frame slider and propagation, under the image (both shown only for a stack)
    panel.frame_bar = FrameBar(panel.frames, keys_on=panel)
    panel.propagate_action = PropagateAction(panel, panel.bridge)
    panel.propagate_action.message.connect(panel.status_message.emit)
    frames_row = QHBoxLayout()
    frames_row.addWidget(panel.frame_bar, 3)
    frames_row.addWidget(panel.propagate_action, 2)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(splitter, 1)
    layout.addLayout(frames_row)

    shortcuts = (
        (QKeySequence.StandardKey.Undo, panel.undo),
        (QKeySequence("Ctrl+Shift+Z"), panel.redo),
        (QKeySequence("Ctrl+Y"), panel.redo),
        (QKeySequence(Qt.Key.Key_Return), panel.accept_object),
        (QKeySequence(Qt.Key.Key_Enter), panel.accept_object),
        (QKeySequence(Qt.Key.Key_Space), panel.accept_object),
        (QKeySequence(Qt.Key.Key_Escape), panel.clear_object),
        (QKeySequence.StandardKey.Save, panel.save_now),
        (QKeySequence("]"), lambda: panel.brush_slider.setValue(int(panel.brush_slider.value() * 1.25) + 1)),
        (QKeySequence("["), lambda: panel.brush_slider.setValue(int(panel.brush_slider.value() / 1.25))),
    )
    for key, slot in shortcuts:
        shortcut = QShortcut(key, panel, activated=slot)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    panel.controls = [*panel.tool_buttons.values(), panel.brush_slider, panel.undo_button, panel.redo_button,
                     panel.clear_button, panel.label_list, panel.new_object_button, panel.color_button,
                     panel.delete_button, panel.accept_button, panel.save_button, panel.export_button,
                     panel.probability_check, *panel.instance_tools.controls]
    panel._on_brush_size(panel.brush_slider.value())

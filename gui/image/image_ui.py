"""The Image panel's widgets and their layout, built Designer-style: ``setup_ui(panel)`` makes the widgets
as attributes of the panel and connects them to its slots. The panel keeps the behaviour."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from gui.image_view import ImageView
from gui.scene_contrast import SceneContrast
from gui.widgets.contrast_box import ContrastBox
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.frame_bar import FrameBar
from gui.widgets.layout import never_widens

THUMB_SIZE = 72


def setup_ui(panel) -> None:
    """Build the image list (left), the view with its zoom bar and frame slider (centre), and the image
    facts, contrast and overlay boxes (right)."""
    style = panel.style()
    panel.source_label = QLabel()  # what the list shows: "Workspace", "Folder (12 images)", "+ 2 opened"
    panel.source_path = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)  # a long path never widens
    panel.workspace_button = QPushButton("Workspace images")
    panel.workspace_button.clicked.connect(panel.show_workspace)
    panel.image_list = QListWidget()
    panel.image_list.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
    panel.image_list.setUniformItemSizes(True)
    panel.image_list.currentItemChanged.connect(panel._on_current_item)
    left = QWidget()
    left_layout = QVBoxLayout(left)
    left_layout.setContentsMargins(0, 0, 0, 0)
    left_layout.addWidget(panel.source_label)
    left_layout.addWidget(panel.source_path)
    left_layout.addWidget(panel.image_list, 1)
    left_layout.addWidget(panel.workspace_button)

    panel.view = ImageView(panel.scene, pan_with_left=True)
    panel.view.empty_text = ("No image open.\n\nFile ▸ Open Images… (Ctrl+O) or Open Folder… (Ctrl+Shift+O), "
                            "or drop pictures on this window.")
    panel.view.hovered.connect(panel._on_hover)
    panel.view.zoom_changed.connect(panel._on_zoom)

    zoom_bar = QHBoxLayout()
    panel.fit_button = QToolButton(text="Fit")
    panel.fit_button.setToolTip("Fit the image to the view (Ctrl+0, or double-click the image)")
    panel.fit_button.clicked.connect(panel.view.fit)
    panel.one_button = QToolButton(text="1:1")
    panel.one_button.setToolTip("Actual pixels (Ctrl+1)")
    panel.one_button.clicked.connect(panel.view.actual_size)
    panel.zoom_in_button = QToolButton(text="+")
    panel.zoom_in_button.setToolTip("Zoom in (Ctrl++, or the mouse wheel)")
    panel.zoom_in_button.clicked.connect(lambda: panel.view.zoom_by(1.25))
    panel.zoom_out_button = QToolButton(text="−")
    panel.zoom_out_button.setToolTip("Zoom out (Ctrl+-, or the mouse wheel)")
    panel.zoom_out_button.clicked.connect(lambda: panel.view.zoom_by(0.8))
    panel.zoom_label = QLabel("100%")
    panel.zoom_label.setMinimumWidth(56)
    for widget in (panel.fit_button, panel.one_button, panel.zoom_out_button, panel.zoom_in_button):
        zoom_bar.addWidget(widget)
    zoom_bar.addWidget(panel.zoom_label)
    zoom_bar.addStretch(1)
    center = QWidget()
    center_layout = QVBoxLayout(center)
    center_layout.setContentsMargins(0, 0, 0, 0)
    center_layout.addLayout(zoom_bar)
    center_layout.addWidget(panel.view, 1)
    panel.frame_bar = FrameBar(panel.frames, keys_on=panel)
    center_layout.addWidget(panel.frame_bar)

    info_box = QGroupBox("Image")
    info = QFormLayout(info_box)
    panel.info_labels = {}
    for key in ("File", "Format", "Mode", "Bit depth", "Size", "Orientation", "Frames", "Notes"):
        label = ElidedLabel("—", mode=Qt.TextElideMode.ElideMiddle) if key == "File" else QLabel("—")
        label.setWordWrap(key != "File")
        never_widens(label)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        panel.info_labels[key] = label
        info.addRow(key, label)

    overlay_box = QGroupBox("Overlay")
    overlay = QVBoxLayout(overlay_box)
    panel.overlay_check = QCheckBox("Show overlay")
    panel.overlay_check.setChecked(True)
    panel.overlay_check.toggled.connect(panel.scene.set_overlay_visible)
    opacity_row = QHBoxLayout()
    opacity_row.addWidget(QLabel("Opacity %"))
    panel.opacity_slider = QLabeledSlider(Qt.Orientation.Horizontal)
    panel.opacity_slider.setRange(0, 100)
    panel.opacity_slider.setValue(int(round(panel.scene.overlay_opacity * 100)))
    panel.opacity_slider.valueChanged.connect(panel._on_opacity)
    opacity_row.addWidget(panel.opacity_slider, 1)
    panel.label_list = QListWidget()
    panel.label_list.setToolTip("Double-click a label to change its colour")
    panel.label_list.itemDoubleClicked.connect(panel._edit_label_color)
    panel.mask_status = QLabel("No mask for this image.")
    panel.mask_status.setWordWrap(True)
    never_widens(panel.mask_status)  # its messages name files
    buttons = QHBoxLayout()
    panel.load_mask_button = QPushButton("Load mask…")
    panel.load_mask_button.setToolTip("Replace this image's labels with a label map (PNG, TIFF); Undo in the "
                                      "Segment panel brings the previous ones back")
    panel.clear_mask_button = QPushButton("Clear labels")
    panel.clear_mask_button.setToolTip("Remove every label of this image (Undo in the Segment panel brings "
                                       "them back)")
    panel.clear_mask_button.clicked.connect(panel.request_clear_labels)
    buttons.addWidget(panel.load_mask_button)
    panel.load_mask_button.clicked.connect(panel.load_mask_requested)
    buttons.addWidget(panel.clear_mask_button)
    overlay.addWidget(panel.overlay_check)
    overlay.addLayout(opacity_row)
    overlay.addWidget(QLabel("Labels"))
    overlay.addWidget(panel.label_list, 1)
    overlay.addWidget(panel.mask_status)
    overlay.addLayout(buttons)

    right = QWidget()
    right_layout = QVBoxLayout(right)
    right_layout.setContentsMargins(0, 0, 0, 0)
    right_layout.addWidget(info_box)
    panel.contrast = SceneContrast.of(panel.scene, panel.bridge)
    panel.contrast_box = ContrastBox(panel.contrast)  # shown for high-depth and float images only
    right_layout.addWidget(panel.contrast_box)
    right_layout.addWidget(overlay_box, 1)

    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(center)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setStretchFactor(2, 0)
    splitter.setSizes([220, 800, 260])
    layout = QHBoxLayout(panel)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(splitter)
    panel._placeholder_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
    panel._error_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

"""The GAN panel: sample grid from seeds, pinning, truncation, class control, interpolation and latent
directions. The GAN task arrives with its own issue; until then the controls are disabled."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.panels.pending import pending_banner


class GanPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.banner = pending_banner(
            "GAN sampling is not available yet: generators are trained and explored here once the GAN "
            "issue lands.")
        self.grid_view = QLabel("No generator loaded")
        self.grid_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid_view.setMinimumSize(400, 400)
        self.grid_view.setStyleSheet("QLabel { background: #202226; color: #aaa; }")

        sampling = QGroupBox("Sampling")
        form = QFormLayout(sampling)
        self.model_button = QPushButton("Open generator run…")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.reroll_button = QPushButton("Re-roll")
        self.truncation = QSlider(Qt.Orientation.Horizontal)
        self.truncation.setRange(0, 100)
        self.truncation.setValue(100)
        self.class_combo = QComboBox()
        self.class_combo.addItem("(unconditional)")
        form.addRow(self.model_button)
        form.addRow("Seed", self.seed_spin)
        form.addRow(self.reroll_button)
        form.addRow("Truncation ψ", self.truncation)
        form.addRow("Class", self.class_combo)

        interp = QGroupBox("Interpolation")
        interp_layout = QVBoxLayout(interp)
        self.interp_slider = QSlider(Qt.Orientation.Horizontal)
        self.play_button = QPushButton("Play")
        self.export_png = QPushButton("Export PNG…")
        self.export_gif = QPushButton("Export GIF…")
        interp_layout.addWidget(QLabel("Pin two samples, then slide between them"))
        interp_layout.addWidget(self.interp_slider)
        row = QHBoxLayout()
        for widget in (self.play_button, self.export_png, self.export_gif):
            row.addWidget(widget)
        interp_layout.addLayout(row)

        directions = QGroupBox("Latent directions (PCA)")
        dir_layout = QVBoxLayout(directions)
        self.direction_sliders = []
        for index in range(4):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-100, 100)
            dir_layout.addWidget(QLabel(f"Component {index + 1}"))
            dir_layout.addWidget(slider)
            self.direction_sliders.append(slider)

        self.controls = [self.model_button, self.seed_spin, self.reroll_button, self.truncation, self.class_combo,
                         self.interp_slider, self.play_button, self.export_png, self.export_gif,
                         *self.direction_sliders]
        for widget in self.controls:
            widget.setEnabled(False)

        side = QVBoxLayout()
        side.addWidget(sampling)
        side.addWidget(interp)
        side.addWidget(directions)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.grid_view, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)

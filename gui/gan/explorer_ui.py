"""The GAN panel's widgets and layout, in the manner of a Qt Designer ``setup_ui``: the sample grid on the
left; on the right the generator (run) picker, sampling controls, the pins and their preview, interpolation
and the PCA direction sliders. Sets them as attributes of the panel and connects them to its slots."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
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

from gui.gan.grid_view import GridView
from gui.widgets.layout import never_widens
from gui.widgets.samples import SampleView

NO_RUN_TEXT = ("No GAN run open.\n\nTrain a GAN in the Train panel (New run ▸ GAN…; the procedural shapes "
               "need no data), or open a run folder (Open run folder… on the right).")
DIRECTIONS = 6
GRID_SIZES = (16, 36, 64)
SLIDER_STEPS = 100  # interpolation slider resolution


def setup_ui(panel) -> None:
    panel.grid_view = GridView()
    panel.grid_view.clear(NO_RUN_TEXT)
    panel.grid_view.clicked.connect(panel.toggle_pin)
    panel.status_label = QLabel("Pick a GAN run: train one in the Train panel (New run ▸ GAN), or open a run folder.")
    panel.status_label.setWordWrap(True)
    never_widens(panel.status_label)  # it names run folders and weight files

    run_box = QGroupBox("Generator")
    run_layout = QVBoxLayout(run_box)
    panel.run_combo = QComboBox()
    panel.run_combo.setToolTip("GAN runs in the workspace's runs/ folder")
    panel.run_combo.activated.connect(panel._on_run_chosen)
    panel.refresh_button = QPushButton("Refresh")
    panel.refresh_button.clicked.connect(panel.refresh_runs)
    panel.model_button = QPushButton("Open run folder…")
    panel.model_button.clicked.connect(panel._open_run_dialog)
    row = QHBoxLayout()
    row.addWidget(panel.run_combo, 1)
    row.addWidget(panel.refresh_button)
    run_layout.addLayout(row)
    run_layout.addWidget(panel.model_button)

    sampling = QGroupBox("Sampling")
    form = QFormLayout(sampling)
    panel.seed_spin = QSpinBox()
    panel.seed_spin.setRange(0, 2**31 - 100)
    panel.seed_spin.setToolTip("The grid shows seeds seed, seed+1, …; a seed always gives the same sample")
    panel.seed_spin.valueChanged.connect(panel.request_grid)
    panel.reroll_button = QPushButton("Re-roll")
    panel.reroll_button.clicked.connect(panel.reroll)
    seed_row = QHBoxLayout()
    seed_row.addWidget(panel.seed_spin, 1)
    seed_row.addWidget(panel.reroll_button)
    panel.count_combo = QComboBox()
    for count in GRID_SIZES:
        panel.count_combo.addItem(f"{count} samples", count)
    panel.count_combo.setCurrentIndex(len(GRID_SIZES) - 1)
    panel.count_combo.currentIndexChanged.connect(panel.request_grid)
    panel.truncation = QSlider(Qt.Orientation.Horizontal)
    panel.truncation.setRange(0, 100)
    panel.truncation.setValue(100)
    panel.truncation.setToolTip("Pull samples toward the average: less variety, fewer odd samples")
    panel.truncation_label = QLabel("ψ 1.00")
    panel.truncation.valueChanged.connect(panel._on_truncation)
    trunc_row = QHBoxLayout()
    trunc_row.addWidget(panel.truncation, 1)
    trunc_row.addWidget(panel.truncation_label)
    panel.class_combo = QComboBox()
    panel.class_combo.addItem("(unconditional)", None)
    panel.class_combo.currentIndexChanged.connect(panel._on_class)
    form.addRow("Seed", seed_row)
    form.addRow("Grid", panel.count_combo)
    form.addRow("Truncation", trunc_row)
    form.addRow("Class", panel.class_combo)
    panel.export_png_button = QPushButton("Export PNG…")
    panel.export_png_button.setToolTip("Save the grid as shown")
    panel.export_png_button.clicked.connect(panel._export_png_dialog)
    form.addRow(panel.export_png_button)

    pinned = QGroupBox("Pinned samples (click the grid)")
    pinned_layout = QVBoxLayout(pinned)
    panel.pin_label = QLabel("A: –   B: –")
    panel.clear_pins_button = QPushButton("Clear pins")
    panel.clear_pins_button.clicked.connect(panel.clear_pins)
    panel.preview = SampleView()
    panel.preview.setMinimumSize(160, 160)
    panel.preview.setText("Click a sample in the grid to pin it as A, another as B")
    pin_row = QHBoxLayout()
    pin_row.addWidget(panel.pin_label, 1)
    pin_row.addWidget(panel.clear_pins_button)
    pinned_layout.addLayout(pin_row)
    pinned_layout.addWidget(panel.preview, 1)

    interp = QGroupBox("Interpolation A → B (slerp)")
    interp_layout = QVBoxLayout(interp)
    panel.interp_slider = QSlider(Qt.Orientation.Horizontal)
    panel.interp_slider.setRange(0, SLIDER_STEPS)
    panel.interp_slider.valueChanged.connect(panel._on_interp)
    panel.play_button = QPushButton("Play")
    panel.play_button.setCheckable(True)
    panel.play_button.toggled.connect(panel._on_play)
    panel.export_gif_button = QPushButton("Export GIF…")
    panel.export_gif_button.clicked.connect(panel._export_gif_dialog)
    interp_layout.addWidget(panel.interp_slider)
    row = QHBoxLayout()
    row.addWidget(panel.play_button)
    row.addWidget(panel.export_gif_button)
    interp_layout.addLayout(row)
    panel._play_timer = QTimer(panel)
    panel._play_timer.setInterval(40)
    panel._play_timer.timeout.connect(panel._advance)
    panel._play_direction = 1

    directions = QGroupBox("Latent directions (PCA) — edit pin A")
    dir_form = QFormLayout(directions)
    panel.direction_sliders: list[QSlider] = []
    panel.direction_labels: list[QLabel] = []
    for index in range(DIRECTIONS):
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(-100, 100)
        slider.valueChanged.connect(panel._on_direction)
        label = QLabel(f"PC{index + 1}")
        dir_form.addRow(label, slider)
        panel.direction_sliders.append(slider)
        panel.direction_labels.append(label)
    panel.reset_directions_button = QPushButton("Reset directions")
    panel.reset_directions_button.clicked.connect(panel.reset_directions)
    dir_form.addRow(panel.reset_directions_button)

    panel.controls = [panel.seed_spin, panel.reroll_button, panel.count_combo, panel.truncation, panel.class_combo,
                     panel.export_png_button, panel.clear_pins_button, panel.interp_slider, panel.play_button,
                     panel.export_gif_button, panel.reset_directions_button, *panel.direction_sliders]

    side = QVBoxLayout()
    for box in (run_box, sampling, pinned, interp, directions):
        side.addWidget(box)
    side_widget = QWidget()
    side_widget.setLayout(side)
    side_widget.setFixedWidth(360)
    left = QVBoxLayout()
    left.addWidget(panel.grid_view, 1)
    left.addWidget(panel.status_label)
    body = QHBoxLayout(panel)
    body.setContentsMargins(4, 4, 4, 4)
    body.addLayout(left, 1)
    body.addWidget(side_widget)

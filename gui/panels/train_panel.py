"""The Train panel: run browser, live curves, progress and controls, sample timeline. The training engine
arrives with its own issue; until then the controls are disabled and no curves are invented."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.workspace import Workspace
from gui.panels.pending import pending_banner


class TrainPanel(QWidget):
    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.banner = pending_banner(
            "Training is not available yet: the training engine and live monitor arrive with the training "
            "issue. Runs already in the workspace are listed on the left.")

        runs_box = QGroupBox("Runs")
        runs = QVBoxLayout(runs_box)
        self.run_list = QListWidget()
        self.open_run_button = QPushButton("Open run folder…")
        self.export_button = QPushButton("Export CSV…")
        runs.addWidget(self.run_list, 1)
        runs.addWidget(self.open_run_button)
        runs.addWidget(self.export_button)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "step")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setTitle("No run selected", color="#444")
        curve_bar = QHBoxLayout()
        curve_bar.addWidget(QLabel("Smoothing"))
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        curve_bar.addWidget(self.smoothing, 1)
        self.log_y = QCheckBox("log y")
        curve_bar.addWidget(self.log_y)

        control_bar = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("step — · ETA —")
        self.progress.setValue(0)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setPrefix("lr ")
        self.lr_spin.setValue(0.001)
        for widget in (self.progress, self.pause_button, self.stop_button, self.lr_spin):
            control_bar.addWidget(widget, 1 if widget is self.progress else 0)

        samples_box = QGroupBox("Samples")
        samples = QVBoxLayout(samples_box)
        self.sample_view = QLabel("No samples")
        self.sample_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample_view.setMinimumSize(240, 240)
        self.sample_slider = QSlider(Qt.Orientation.Horizontal)
        self.play_button = QPushButton("Play")
        samples.addWidget(self.sample_view, 1)
        samples.addWidget(self.sample_slider)
        samples.addWidget(self.play_button)

        self.controls = [self.open_run_button, self.export_button, self.smoothing, self.log_y, self.pause_button,
                         self.stop_button, self.lr_spin, self.sample_slider, self.play_button]
        for widget in self.controls:
            widget.setEnabled(False)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.addLayout(curve_bar)
        center_layout.addWidget(self.plot, 1)
        center_layout.addLayout(control_bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(runs_box)
        splitter.addWidget(center)
        splitter.addWidget(samples_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 800, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.set_workspace(workspace)

    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.run_list.clear()
        for run in workspace.runs():
            self.run_list.addItem(run.name)
        if self.run_list.count() == 0:
            self.run_list.addItem("(no runs in this workspace)")

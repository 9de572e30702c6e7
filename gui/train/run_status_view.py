"""The middle of the Train panel: the selected run's title, progress, live controls (pause, stop, learning
rate), its resource use, and the curves with their smoothing and scale. A view: the panel fills it in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from core.training.run_view import PROGRESS_SCALE, RunDisplay
from gui.style import set_role
from gui.train import best_label
from gui.train.curves import CurvesView
from gui.widgets.elided_label import ElidedLabel

NO_RUNS_TITLE = "No training runs yet"  # the empty state's title and advice, before any run exists
NO_RUNS_TEXT = (
    "<b>New run ▸ Engine check</b> trains a tiny model in under a minute, to see how training "
    "looks here.<br><b>New run ▸ Segmentation model (U-Net)…</b> trains on this workspace's "
    "images and masks.<br><b>New run ▸ GAN…</b> trains an image generator (procedural shapes "
    "need no data).<br><br>A run started from the command line: <b>Open run folder…</b>")
SELECT_RUN_TITLE = "Select a run"
SELECT_RUN_TEXT = ("Click a run on the left to follow its curves and samples (Ctrl+click several "
                   "to compare them), or start another with <b>New run ▸ …</b>")


def empty_state_text(has_runs: bool) -> tuple[str, str]:
    """What to do next while no run is selected: pick one, or start the first."""
    return (SELECT_RUN_TITLE, SELECT_RUN_TEXT) if has_runs else (NO_RUNS_TITLE, NO_RUNS_TEXT)


class RunStatusView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves = CurvesView()
        curve_bar = QHBoxLayout()
        curve_bar.addWidget(QLabel("Smoothing"))
        self.smoothing = QLabeledSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.valueChanged.connect(lambda v: self.curves.set_smoothing(v / 100))
        curve_bar.addWidget(self.smoothing, 1)
        self.log_y = QCheckBox("log y")
        self.log_y.toggled.connect(self.curves.set_log_y)
        curve_bar.addWidget(self.log_y)
        self.hover_label = ElidedLabel(" ")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curves.hovered.connect(lambda text: self.hover_label.setText(text or " "))

        self.run_title = ElidedLabel("No run selected")  # long run names and states never widen the window
        set_role(self.run_title, "heading")
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_SCALE)
        self.rate_label = ElidedLabel("")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Finish the current step, save a checkpoint and stop")
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(7)
        self.lr_spin.setRange(1e-7, 10.0)
        self.lr_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_spin.setPrefix("lr ")
        self.lr_spin.setSpecialValueText("lr —")  # no run trained here: no learning rate to show
        self.lr_spin.setValue(self.lr_spin.minimum())
        self.lr_apply = QPushButton("Set")
        self.lr_apply.setToolTip("Change the learning rate from the next step (logged in metrics.csv)")
        self.resource_label = QLabel("")
        controls = QHBoxLayout()
        controls.addWidget(self.progress, 1)
        for widget in (self.pause_button, self.stop_button, self.lr_spin, self.lr_apply):
            controls.addWidget(widget)
        info = QHBoxLayout()
        info.addWidget(self.rate_label, 1)
        info.addWidget(self.resource_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.run_title)
        layout.addLayout(controls)
        layout.addLayout(info)
        layout.addLayout(curve_bar)
        layout.addWidget(self.curves, 1)
        layout.addWidget(self.hover_label)
        self.clear()

    def clear(self) -> None:
        self.run_title.setText("No run selected")
        self.progress.setValue(0)
        self.progress.setFormat("—")
        self.rate_label.setText("")

    def show_run(self, shown: RunDisplay) -> None:
        self.run_title.setText(shown.title)
        self.progress.setValue(shown.progress)
        self.progress.setFormat(shown.progress_text)
        self.rate_label.setText(shown.details)

    def set_live_controls(self, enabled: bool) -> None:
        for widget in (self.pause_button, self.stop_button, self.lr_spin, self.lr_apply):
            widget.setEnabled(enabled)

    def show_evaluation(self, name: str, status: dict) -> None:
        """The run's validation source in the curves' legend and its best step on the plots."""
        validation = status.get("validation") or {}
        if validation.get("on"):
            self.curves.evaluation_labels[name] = best_label.validation_legend(validation)
        best = status.get("best")
        if best and best.get("step") is not None:
            self.curves.set_best(name, int(best["step"]), best_label.best_marker(best), best.get("metric"))

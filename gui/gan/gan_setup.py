"""The GAN setup dialog of the Train panel: pick the data, check it (in a worker: count, classes, skipped
files, a preview), set the hyperparameters (defaults sized for a laptop CPU) and get a RunConfig."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from core.gan.config import gan_config
from core.jobs import Failed, Finished
from core.training.config import Budget, RunConfig
from gui.gan.grid_view import compose
from gui.qt_image import rgb_to_qimage
from gui.train.precision_combo import precision_combo
from gui.widgets import file_dialogs
from gui.workers import WorkerBridge

SOURCES = (("Procedural shapes (no data needed)", "procedural"), ("Image folder…", "folder"),
           ("MNIST-style IDX file…", "idx"), ("MNIST (Keras download)", "keras:mnist"),
           ("Fashion-MNIST (Keras download)", "keras:fashion_mnist"))


def _check_job(source: str, size: int):
    def job(token, emit):
        from core.gan.data import load_gan_data

        data = load_gan_data(source, size)
        rng = np.random.default_rng(0)
        picked = rng.choice(len(data.images), min(16, len(data.images)), replace=False)
        return data.description, list(data.problems), data.class_names, data.images[np.sort(picked)]

    return job


class GanSetupDialog(QDialog):
    def __init__(self, bridge: WorkerBridge, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New GAN run")
        self.bridge = bridge
        self.checked_source: str | None = None
        self.check_handle = None

        self.source_combo = QComboBox()
        for text, value in SOURCES:
            self.source_combo.addItem(text, value)
        self.source_combo.currentIndexChanged.connect(self._on_source)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("folder or .gz/.idx file")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.check_button = QPushButton("Check data")
        self.check_button.clicked.connect(self.check_data)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(90)
        self.preview = QLabel()
        self.preview.setMinimumHeight(130)

        self.size_combo = QComboBox()
        for size in (28, 32, 64):
            self.size_combo.addItem(f"{size} px", size)
        self.size_combo.setCurrentIndex(1)
        self.loss_combo = QComboBox()
        self.loss_combo.addItems(["nonsaturating", "hinge", "wgan-gp"])
        self.conditional_combo = QComboBox()
        for text, value in (("auto (when the data has classes)", "auto"), ("yes", True), ("no", False)):
            self.conditional_combo.addItem(text, value)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 24 * 60)
        self.minutes.setValue(10.0)
        self.minutes.setSuffix(" min")
        self.batch = QSpinBox()
        self.batch.setRange(8, 1024)
        self.batch.setValue(64)
        self.width_spin = QSpinBox()
        self.width_spin.setRange(8, 256)
        self.width_spin.setValue(32)
        self.lr_g = QDoubleSpinBox()
        self.lr_d = QDoubleSpinBox()
        for spin in (self.lr_g, self.lr_d):
            spin.setDecimals(6)
            spin.setRange(1e-6, 1e-1)
            spin.setSingleStep(1e-4)
            spin.setValue(2e-4)
        self.ema = QDoubleSpinBox()
        self.ema.setDecimals(4)
        self.ema.setRange(0.0, 0.9999)
        self.ema.setValue(0.999)
        self.precision = precision_combo()

        form = QFormLayout()
        form.addRow("Data", self.source_combo)
        form.addRow("", path_row)
        form.addRow("", self.check_button)
        form.addRow("Found", self.report)
        form.addRow("Preview", self.preview)
        form.addRow("Image size", self.size_combo)
        form.addRow("Class-conditional", self.conditional_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Budget", self.minutes)
        form.addRow("Batch size", self.batch)
        form.addRow("Width", self.width_spin)
        form.addRow("Learning rate G", self.lr_g)
        form.addRow("Learning rate D", self.lr_d)
        form.addRow("EMA of G", self.ema)
        form.addRow("Precision", self.precision)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start training")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._on_source()

    # data ------------------------------------------------------------------------------------------------
    def source(self) -> str:
        kind = self.source_combo.currentData()
        return self.path_edit.text().strip() if kind in ("folder", "idx") else kind

    def _on_source(self, *_) -> None:
        needs_path = self.source_combo.currentData() in ("folder", "idx")
        self.path_edit.setEnabled(needs_path)
        self.browse_button.setEnabled(needs_path)
        self._update_ok()

    def _browse(self) -> None:
        if self.source_combo.currentData() == "folder":
            path = file_dialogs.existing_folder(self, "datasets", "Image folder (subfolders = classes)")
        else:
            path = file_dialogs.open_file(self, "datasets", "IDX images file", "IDX (*.gz *ubyte *.idx);;All (*)")
        if path:
            self.path_edit.setText(path)
            self.check_data()

    def check_data(self) -> None:
        source = self.source()
        if not source:
            self.report.setPlainText("Choose a folder or a file first.")
            return
        self.report.setPlainText(f"Reading {source}…")
        self.check_button.setEnabled(False)
        self.check_handle = self.bridge.start(_check_job(source, int(self.size_combo.currentData())),
                                              "check GAN data", report_errors=False)
        self.check_handle.done.connect(lambda event, s=source: self._on_checked(s, event))

    def _on_checked(self, source: str, event) -> None:
        self.check_button.setEnabled(True)
        if isinstance(event, Failed):
            self.checked_source = None
            self.report.setPlainText(f"Cannot train on this: {event.error}")
        elif isinstance(event, Finished) and event.result is not None:
            description, problems, classes, images = event.result
            lines = [description]
            if classes:
                lines.append("classes: " + ", ".join(classes))
            lines += [f"skipped {p}" for p in problems[:50]]
            self.report.setPlainText("\n".join(lines))
            self.preview.setPixmap(QPixmap.fromImage(rgb_to_qimage(compose(images, 8))).scaledToHeight(
                2 * (images.shape[1] + 1) * 2))
            self.checked_source = source
        self._update_ok()

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok) if hasattr(self, "buttons") else None
        if ok is not None:
            ok.setEnabled(bool(self.source()))

    # result -------------------------------------------------------------------------------------------------
    def config(self) -> RunConfig:
        source = self.source()
        if self.source_combo.currentData() in ("folder", "idx"):
            source = str(Path(source).expanduser().resolve())
        return gan_config(source, size=int(self.size_combo.currentData()),
                          conditional=self.conditional_combo.currentData(), width=self.width_spin.value(),
                          loss=self.loss_combo.currentText(), ema=self.ema.value(), batch_size=self.batch.value(),
                          lr_g=self.lr_g.value(), lr_d=self.lr_d.value(), budget=Budget(minutes=self.minutes.value()),
                          precision=self.precision.currentData())

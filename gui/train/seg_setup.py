"""The Train panel's segmentation setup: pick a dataset (workspace, two folders matched by name, or one
folder with NAME_mask.png), see how its masks will be read (surveyed and decided as a dataset on a worker;
the user may set the encoding or the class values), preview its pairs and the problems found, choose
hyperparameters (defaults sized to this machine), and start a U-Net run in the Train panel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Failed, Finished, Progress
from core.masks.classes import MaskOverride, parse_classes
from core.training.run_folder import RunFolder
from core.unet.dataset import scan_folders, scan_mask_suffix, scan_workspace
from core.unet.losses import LOSSES
from core.unet.preview import DatasetPreview, preview_dataset
from core.unet.setup import SegHyperparameters, fit_crop, machine_defaults, unet_run_config
from core.workspace import Workspace
from gui.qt_image import rgb_to_qimage
from gui.style import set_role
from gui.train.precision_combo import precision_combo
from gui.widgets import file_dialogs
from gui.workers import WorkerBridge

MASK_ENCODINGS = (("auto", "decided from all masks"), ("binary", "binary: background / everything else"),
                  ("indexed", "indexed: values are class ids"), ("grey-levels", "grey levels, in order"),
                  ("palette", "palette indices"), ("colours", "colours"))
SOURCES = (("workspace", "This workspace (images/ + masks/)"),
           ("folders", "Two folders: images and masks matched by file name"),
           ("mask_suffix", "One folder: NAME.png with NAME_mask.png"))


class _PathRow(QWidget):
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


class SegSetupDialog(QDialog):
    """Non-blocking (``open()``): ``run_config()`` gives the RunConfig once the user accepts."""

    def __init__(self, workspace: Workspace, bridge: WorkerBridge, parent=None,
                 defaults: SegHyperparameters | None = None):
        super().__init__(parent)
        self.setWindowTitle("New segmentation run (U-Net)")
        self.workspace = workspace
        self.bridge = bridge
        self.preview: DatasetPreview | None = None
        self._scan_handle = None
        self._classes_from_data = True
        self._defaults = defaults or machine_defaults()
        self._scan_timer = QTimer(self)
        self._scan_timer.setSingleShot(True)
        self._scan_timer.setInterval(300)  # rescan once typing stops
        self._scan_timer.timeout.connect(self.rescan)
        self._build()
        self.resize(1100, 700)
        self.rescan()

    # layout --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        data_box = QGroupBox("Data")
        data = QVBoxLayout(data_box)
        self.source = QComboBox()
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.currentIndexChanged.connect(self._on_source)
        self.images_row = _PathRow("Images", self._schedule_scan)
        self.masks_row = _PathRow("Masks", self._schedule_scan)
        self.folder_row = _PathRow("Folder", self._schedule_scan)
        self.workspace_label = QLabel(str(self.workspace.root))
        set_role(self.workspace_label, "hint")
        data.addWidget(self.source)
        for widget in (self.workspace_label, self.images_row, self.masks_row, self.folder_row):
            data.addWidget(widget)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        set_role(self.summary, "heading")
        data.addWidget(self.summary)
        data.addWidget(self._build_masks_box())
        self.pairs = QListWidget()
        self.pairs.setViewMode(QListWidget.ViewMode.IconMode)
        self.pairs.setIconSize(QSize(96, 96))
        self.pairs.setGridSize(QSize(124, 136))
        self.pairs.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.pairs.setMovement(QListWidget.Movement.Static)
        self.pairs.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        pairs_box = QGroupBox("Pairs (image with its mask)")
        QVBoxLayout(pairs_box).addWidget(self.pairs)
        problems_box = QGroupBox("Problems found")
        QVBoxLayout(problems_box).addWidget(self.problems)
        splitter.addWidget(pairs_box)
        splitter.addWidget(problems_box)
        splitter.setSizes([380, 160])
        data.addWidget(splitter, 1)

        hp = self._defaults
        form_box = QGroupBox("Model and training")
        form = QFormLayout(form_box)
        self.run_name = QLineEdit(f"unet-{dt.datetime.now():%Y%m%d-%H%M%S}")
        form.addRow("Run name", self.run_name)
        self.classes = QSpinBox()
        self.classes.setRange(2, 255)
        self.classes.setValue(hp.num_classes)
        self.classes.setToolTip("Classes including background (0); set from the masks found")
        self.classes.valueChanged.connect(self._on_classes_edited)
        form.addRow("Classes", self.classes)
        self.crop = self._spin(32, 1024, hp.crop, 16, "Side of the random full-resolution training crops")
        form.addRow("Crop", self.crop)
        self.batch = self._spin(1, 128, hp.batch_size, 1, "Crops per step")
        form.addRow("Batch", self.batch)
        self.depth = self._spin(1, 6, hp.depth, 1, "Number of poolings (context grows as 2^depth)")
        form.addRow("Depth", self.depth)
        self.width = self._spin(2, 128, hp.base_width, 2, "Filters at full resolution, doubled per level")
        form.addRow("Base width", self.width)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(hp.learning_rate)
        form.addRow("Learning rate", self.lr)
        self.loss = QComboBox()
        self.loss.addItems(list(LOSSES))
        self.loss.setCurrentText(hp.loss)
        form.addRow("Loss", self.loss)
        self.class_weights = QComboBox()
        self.class_weights.addItem("equal", None)
        self.class_weights.addItem("auto (rare classes count more)", "auto")
        form.addRow("Class weights", self.class_weights)
        self.batch_norm = QCheckBox("batch norm")
        self.batch_norm.setChecked(hp.batch_norm)
        self.residual = QCheckBox("residual blocks")
        self.residual.setChecked(hp.residual)
        row = QHBoxLayout()
        row.addWidget(self.batch_norm)
        row.addWidget(self.residual)
        form.addRow("Blocks", row)
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.1)
        self.dropout.setValue(hp.dropout)
        form.addRow("Dropout", self.dropout)
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0.0, 0.5)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(hp.val_fraction)
        self.val_fraction.setToolTip("Pairs kept out of training; their crops are the sample grid")
        form.addRow("Validation", self.val_fraction)
        self.augment = QCheckBox("flips, rotations, brightness/contrast")
        self.augment.setChecked(True)
        form.addRow("Augment", self.augment)
        self.elastic = QDoubleSpinBox()
        self.elastic.setRange(0.0, 1.0)
        self.elastic.setSingleStep(0.1)
        self.elastic.setValue(0.5)
        self.elastic.setToolTip("Probability of an elastic deformation per crop")
        form.addRow("Elastic", self.elastic)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.05, 10000)
        self.minutes.setDecimals(2)
        self.minutes.setValue(hp.minutes or 10.0)
        self.minutes.setSuffix(" min")
        form.addRow("Budget", self.minutes)
        self.init_from = QComboBox()
        self.init_from.addItem("nothing (train from scratch)", "")
        for run in self.workspace.runs():
            try:
                if RunFolder(run).read_config().task == "unet":
                    self.init_from.addItem(run.name, str(run))
            except Exception:  # noqa: BLE001 - unreadable runs are simply not offered
                continue
        self.init_from.setToolTip("Continue from a run's weights: retrain on corrected masks")
        form.addRow("Start from", self.init_from)
        self.precision = precision_combo(hp.precision)
        form.addRow("Precision", self.precision)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        form.addRow(self.error)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start training", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(data_box)
        body.addWidget(form_box)
        body.setStretchFactor(0, 1)
        body.setSizes([700, 380])
        layout = QVBoxLayout(self)
        layout.addWidget(body, 1)
        layout.addWidget(self.buttons)
        self._on_source()

    def _build_masks_box(self) -> QGroupBox:
        """How the masks are read: the decision (encoding, classes with shares, snapped and contradicting
        files) and the two settings that override it."""
        box = QGroupBox("Masks")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.mask_encoding = QComboBox()
        for key, text in MASK_ENCODINGS:
            self.mask_encoding.addItem(text, key)
        self.mask_encoding.setToolTip("How to read the masks; 'decided from all masks' surveys every mask first")
        self.mask_encoding.currentIndexChanged.connect(self._schedule_scan)
        self.class_values = QLineEdit()
        self.class_values.setPlaceholderText("class values: from the masks (or e.g. 0, 255=cell)")
        self.class_values.setToolTip("The class values in id order, background first, optionally named "
                                     "(0=background, 255=cell). Other values snap to the nearest class.")
        self.class_values.textChanged.connect(self._schedule_scan)
        row.addWidget(QLabel("Read as"))
        row.addWidget(self.mask_encoding)
        row.addWidget(self.class_values, 1)
        layout.addLayout(row)
        self.decision = QLabel("")
        self.decision.setWordWrap(True)
        self.decision.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.decision.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.decision)
        return box

    def mask_override(self) -> MaskOverride:
        """The user's mask settings; raises ValueError for class values that do not parse."""
        count, classes = parse_classes(self.class_values.text())
        if count is not None:
            raise ValueError("class values: give the values in id order (e.g. 0, 255); the number of classes "
                             "is set under Model and training")
        return MaskOverride(self.mask_encoding.currentData(), classes)

    @staticmethod
    def _spin(low: int, high: int, value: int, step: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    # data --------------------------------------------------------------------------------------------
    def source_kind(self) -> str:
        return self.source.currentData()

    def set_source(self, kind: str, first: str = "", second: str = "") -> None:
        """Choose a source programmatically (tests, 'train from this folder' actions)."""
        self.source.setCurrentIndex([k for k, _ in SOURCES].index(kind))
        if kind == "folders":
            self.images_row.edit.setText(first)
            self.masks_row.edit.setText(second)
        elif kind == "mask_suffix":
            self.folder_row.edit.setText(first)
        self.rescan()

    def _on_source(self) -> None:
        kind = self.source_kind()
        self.workspace_label.setVisible(kind == "workspace")
        self.images_row.setVisible(kind == "folders")
        self.masks_row.setVisible(kind == "folders")
        self.folder_row.setVisible(kind == "mask_suffix")
        self._schedule_scan()

    def _schedule_scan(self, *_) -> None:
        self.preview = None  # stale until the new scan finishes: Start waits for it
        self._update_start()
        self._scan_timer.start()

    def _scan(self):
        kind = self.source_kind()
        if kind == "workspace":
            return scan_workspace(self.workspace)
        if kind == "folders":
            if not self.images_row.text() or not self.masks_row.text():
                raise ValueError("choose an images folder and a masks folder")
            return scan_folders(self.images_row.text(), self.masks_row.text())
        if not self.folder_row.text():
            raise ValueError("choose a folder holding NAME.png images and NAME_mask.png masks")
        return scan_mask_suffix(self.folder_row.text())

    def rescan(self) -> None:
        """Scan the chosen source on a worker; only the latest scan's result is shown."""
        self._scan_timer.stop()
        if self._scan_handle is not None:
            self._scan_handle.cancel()
        self.preview = None
        self.pairs.clear()
        self.problems.clear()
        self.decision.setText("")
        self._update_start()
        try:
            scan = self._scan()  # names only: cheap, fine on the GUI thread
            override = self.mask_override()
        except (ValueError, OSError) as exc:
            self.summary.setText(str(exc))
            self._scan_handle = None
            return
        self.summary.setText(f"Reading {len(scan.pairs)} pairs…")
        handle = self.bridge.start(lambda token, emit: preview_dataset(scan, token, emit, override=override),
                                   "preview dataset", report_errors=False)
        handle.event.connect(lambda event, h=handle: self._on_scan_event(h, event))
        self._scan_handle = handle

    def _on_scan_event(self, handle, event) -> None:
        if handle is not self._scan_handle:
            return  # a newer scan replaced this one
        if isinstance(event, Progress) and event.total:
            what = event.message.partition(":")[0] or "reading pairs"
            self.summary.setText(f"{what[:1].upper()}{what[1:]}… {event.done} / {event.total}")
        elif isinstance(event, Failed):
            self.summary.setText(f"Could not read the data: {event.error}")
            self._scan_handle = None
        elif isinstance(event, Finished) and not event.cancelled and event.result is not None:
            self._scan_handle = None
            self._show_preview(event.result)

    def _show_preview(self, preview: DatasetPreview) -> None:
        self.preview = preview
        self.summary.setText(preview.summary())
        self.decision.setText("\n".join(preview.masks.lines()) if preview.masks is not None else "")
        for pair in preview.pairs:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(rgb_to_qimage(pair.thumbnail))),
                                   f"{pair.stem}\n{pair.size[0]}×{pair.size[1]}")
            item.setToolTip(f"{pair.image}\n{pair.mask}\nclasses {', '.join(map(str, pair.classes))}")
            self.pairs.addItem(item)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        info = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        for problem in preview.problems:
            item = QListWidgetItem(warn if problem.skipped else info, f"{Path(problem.path).name}: {problem.message}")
            item.setToolTip(problem.path)
            self.problems.addItem(item)
        if not preview.problems:
            self.problems.addItem("none")
        if self._classes_from_data:
            self.classes.blockSignals(True)
            self.classes.setValue(preview.num_classes)
            self.classes.blockSignals(False)
        if preview.pairs and self.crop.value() == self._defaults.crop:  # shrink the default to small images
            self.crop.setValue(fit_crop(self._defaults.crop, [p.size for p in preview.pairs], 2 ** self.depth.value()))
        self._update_start()

    def _on_classes_edited(self) -> None:
        self._classes_from_data = False

    def _update_start(self) -> None:
        self.start_button.setEnabled(bool(self.preview and self.preview.pairs))

    # the result --------------------------------------------------------------------------------------
    def hyperparameters(self) -> SegHyperparameters:
        augment = {} if self.augment.isChecked() else {"flips": False, "rotations": False, "brightness": 0.0,
                                                       "contrast": 0.0}
        augment["elastic"] = float(self.elastic.value())
        return SegHyperparameters(
            num_classes=self.classes.value(), crop=self.crop.value(), batch_size=self.batch.value(),
            depth=self.depth.value(), base_width=self.width.value(), batch_norm=self.batch_norm.isChecked(),
            residual=self.residual.isChecked(), dropout=float(self.dropout.value()), loss=self.loss.currentText(),
            class_weights=self.class_weights.currentData(), learning_rate=float(self.lr.value()),
            val_fraction=float(self.val_fraction.value()), augment=augment, minutes=float(self.minutes.value()),
            init_from=self.init_from.currentData() or "", precision=self.precision.currentData())

    def run_config(self):
        if self.preview is None or not self.preview.pairs:
            raise ValueError("no usable image/mask pairs yet")
        decision = self.preview.masks.decision if self.preview.masks is not None else None
        return unet_run_config(self.preview.scan.source, self.hyperparameters(),
                               class_names=decision.names if decision is not None else None,
                               description=self.preview.scan.describe(),
                               masks=decision.to_params() if decision is not None else None)

    def run_name_text(self) -> str:
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.run_name.text().strip())
        return name.strip(".") or "unet"

    def _on_accept(self) -> None:
        try:
            self.config = self.run_config()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        if (self.workspace.runs_dir / self.run_name_text()).exists():
            self.error.setText(f"a run named {self.run_name_text()!r} exists already: choose another name")
            return
        self.accept()

    def done(self, result: int) -> None:
        if self._scan_handle is not None:
            self._scan_handle.cancel()
        super().done(result)


def open_seg_setup(panel) -> SegSetupDialog:
    """Show the setup next to the Train panel; on Start, the panel trains the run (one call)."""
    dialog = SegSetupDialog(panel.workspace, panel.bridge, panel)

    def start() -> None:
        panel.start_training(panel.workspace.runs_dir / dialog.run_name_text(), dialog.config)

    dialog.accepted.connect(start)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog

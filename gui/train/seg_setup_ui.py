"""The segmentation setup dialog's widgets and layout, built Designer-style: ``setup_ui(dialog)`` makes the
widgets as attributes of the dialog and connects them to its slots; the dialog keeps the behaviour."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
)

from core.training.run_folder import RunFolder
from core.unet.losses import LOSSES
from gui.style import set_role
from gui.train.precision_combo import precision_combo
from gui.widgets.path_row import PathRow

MASK_ENCODINGS = (("auto", "decided from all masks"), ("binary", "binary: background / everything else"),
                  ("indexed", "indexed: values are class ids"), ("grey-levels", "grey levels, in order"),
                  ("palette", "palette indices"), ("colours", "colours"))
SOURCES = (("workspace", "This workspace (images/ + masks/)"),
           ("folders", "Two folders: images and masks matched by file name"),
           ("mask_suffix", "One folder: NAME.png with NAME_mask.png"))


def setup_ui(dialog) -> None:
    """Build the source, masks, preview and hyperparameter boxes and the buttons."""
    data_box = QGroupBox("Data")
    data = QVBoxLayout(data_box)
    dialog.source = QComboBox()
    for key, text in SOURCES:
        dialog.source.addItem(text, key)
    dialog.source.currentIndexChanged.connect(dialog._on_source)
    dialog.images_row = PathRow("Images", dialog._schedule_scan)
    dialog.masks_row = PathRow("Masks", dialog._schedule_scan)
    dialog.folder_row = PathRow("Folder", dialog._schedule_scan)
    dialog.workspace_label = QLabel(str(dialog.workspace.root))
    set_role(dialog.workspace_label, "hint")
    data.addWidget(dialog.source)
    for widget in (dialog.workspace_label, dialog.images_row, dialog.masks_row, dialog.folder_row):
        data.addWidget(widget)
    dialog.summary = QLabel("")
    dialog.summary.setWordWrap(True)
    set_role(dialog.summary, "heading")
    data.addWidget(dialog.summary)
    data.addWidget(_build_masks_box(dialog))
    dialog.pairs = QListWidget()
    dialog.pairs.setViewMode(QListWidget.ViewMode.IconMode)
    dialog.pairs.setIconSize(QSize(96, 96))
    dialog.pairs.setGridSize(QSize(124, 136))
    dialog.pairs.setResizeMode(QListWidget.ResizeMode.Adjust)
    dialog.pairs.setMovement(QListWidget.Movement.Static)
    dialog.pairs.setWordWrap(True)
    dialog.problems = QListWidget()
    dialog.problems.setWordWrap(True)
    splitter = QSplitter(Qt.Orientation.Vertical)
    pairs_box = QGroupBox("Pairs (image with its mask)")
    QVBoxLayout(pairs_box).addWidget(dialog.pairs)
    problems_box = QGroupBox("Problems found")
    QVBoxLayout(problems_box).addWidget(dialog.problems)
    splitter.addWidget(pairs_box)
    splitter.addWidget(problems_box)
    splitter.setSizes([380, 160])
    data.addWidget(splitter, 1)

    hp = dialog._defaults
    form_box = QGroupBox("Model and training")
    form = QFormLayout(form_box)
    dialog.run_name = QLineEdit(f"unet-{dt.datetime.now():%Y%m%d-%H%M%S}")
    form.addRow("Run name", dialog.run_name)
    dialog.classes = QSpinBox()
    dialog.classes.setRange(2, 255)
    dialog.classes.setValue(hp.num_classes)
    dialog.classes.setToolTip("Classes including background (0); set from the masks found")
    dialog.classes.valueChanged.connect(dialog._on_classes_edited)
    form.addRow("Classes", dialog.classes)
    dialog.crop = dialog._spin(32, 1024, hp.crop, 16, "Side of the random full-resolution training crops")
    form.addRow("Crop", dialog.crop)
    dialog.batch = dialog._spin(1, 128, hp.batch_size, 1, "Crops per step")
    form.addRow("Batch", dialog.batch)
    dialog.depth = dialog._spin(1, 6, hp.depth, 1, "Number of poolings (context grows as 2^depth)")
    form.addRow("Depth", dialog.depth)
    dialog.width = dialog._spin(2, 128, hp.base_width, 2, "Filters at full resolution, doubled per level")
    form.addRow("Base width", dialog.width)
    dialog.lr = QDoubleSpinBox()
    dialog.lr.setDecimals(5)
    dialog.lr.setRange(1e-5, 1.0)
    dialog.lr.setSingleStep(1e-4)
    dialog.lr.setValue(hp.learning_rate)
    form.addRow("Learning rate", dialog.lr)
    dialog.loss = QComboBox()
    dialog.loss.addItems(list(LOSSES))
    dialog.loss.setCurrentText(hp.loss)
    form.addRow("Loss", dialog.loss)
    dialog.class_weights = QComboBox()
    dialog.class_weights.addItem("equal", None)
    dialog.class_weights.addItem("auto (rare classes count more)", "auto")
    form.addRow("Class weights", dialog.class_weights)
    dialog.batch_norm = QCheckBox("batch norm")
    dialog.batch_norm.setChecked(hp.batch_norm)
    dialog.residual = QCheckBox("residual blocks")
    dialog.residual.setChecked(hp.residual)
    row = QHBoxLayout()
    row.addWidget(dialog.batch_norm)
    row.addWidget(dialog.residual)
    form.addRow("Blocks", row)
    dialog.dropout = QDoubleSpinBox()
    dialog.dropout.setRange(0.0, 0.9)
    dialog.dropout.setSingleStep(0.1)
    dialog.dropout.setValue(hp.dropout)
    form.addRow("Dropout", dialog.dropout)
    dialog.val_fraction = QDoubleSpinBox()
    dialog.val_fraction.setRange(0.0, 0.5)
    dialog.val_fraction.setSingleStep(0.05)
    dialog.val_fraction.setValue(hp.val_fraction)
    dialog.val_fraction.setToolTip("Pairs kept out of training; their crops are the sample grid")
    form.addRow("Validation", dialog.val_fraction)
    dialog.augment = QCheckBox("flips, rotations, brightness/contrast")
    dialog.augment.setChecked(True)
    form.addRow("Augment", dialog.augment)
    dialog.elastic = QDoubleSpinBox()
    dialog.elastic.setRange(0.0, 1.0)
    dialog.elastic.setSingleStep(0.1)
    dialog.elastic.setValue(0.5)
    dialog.elastic.setToolTip("Probability of an elastic deformation per crop")
    form.addRow("Elastic", dialog.elastic)
    dialog.minutes = QDoubleSpinBox()
    dialog.minutes.setRange(0.05, 10000)
    dialog.minutes.setDecimals(2)
    dialog.minutes.setValue(hp.minutes or 10.0)
    dialog.minutes.setSuffix(" min")
    form.addRow("Budget", dialog.minutes)
    dialog.init_from = QComboBox()
    dialog.init_from.addItem("nothing (train from scratch)", "")
    for run in dialog.workspace.runs():
        try:
            if RunFolder(run).read_config().task == "unet":
                dialog.init_from.addItem(run.name, str(run))
        except Exception:  # noqa: BLE001 - unreadable runs are simply not offered
            continue
    dialog.init_from.setToolTip("Continue from a run's weights: retrain on corrected masks")
    form.addRow("Start from", dialog.init_from)
    dialog.precision = precision_combo(hp.precision)
    form.addRow("Precision", dialog.precision)
    dialog.error = QLabel("")
    dialog.error.setWordWrap(True)
    set_role(dialog.error, "error")
    form.addRow(dialog.error)

    dialog.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    dialog.start_button = dialog.buttons.addButton("Start training", QDialogButtonBox.ButtonRole.AcceptRole)
    dialog.buttons.accepted.connect(dialog._on_accept)
    dialog.buttons.rejected.connect(dialog.reject)

    body = QSplitter(Qt.Orientation.Horizontal)
    body.addWidget(data_box)
    body.addWidget(form_box)
    body.setStretchFactor(0, 1)
    body.setSizes([700, 380])
    layout = QVBoxLayout(dialog)
    layout.addWidget(body, 1)
    layout.addWidget(dialog.buttons)
    dialog._on_source()


def _build_masks_box(dialog) -> QGroupBox:
    """How the masks are read: the decision (encoding, classes with shares, snapped and contradicting
    files) and the two settings that override it."""
    box = QGroupBox("Masks")
    layout = QVBoxLayout(box)
    row = QHBoxLayout()
    dialog.mask_encoding = QComboBox()
    for key, text in MASK_ENCODINGS:
        dialog.mask_encoding.addItem(text, key)
    dialog.mask_encoding.setToolTip("How to read the masks; 'decided from all masks' surveys every mask first")
    dialog.mask_encoding.currentIndexChanged.connect(dialog._schedule_scan)
    dialog.class_values = QLineEdit()
    dialog.class_values.setPlaceholderText("class values: from the masks (or e.g. 0, 255=cell)")
    dialog.class_values.setToolTip("The class values in id order, background first, optionally named "
                                 "(0=background, 255=cell). Other values snap to the nearest class.")
    dialog.class_values.textChanged.connect(dialog._schedule_scan)
    row.addWidget(QLabel("Read as"))
    row.addWidget(dialog.mask_encoding)
    row.addWidget(dialog.class_values, 1)
    layout.addLayout(row)
    dialog.decision = QLabel("")
    dialog.decision.setWordWrap(True)
    dialog.decision.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    dialog.decision.setTextFormat(Qt.TextFormat.PlainText)
    layout.addWidget(dialog.decision)
    return box

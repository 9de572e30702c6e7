"""File › Export Dataset… and Import Dataset…: COCO, YOLO-seg and label TIFFs, run as core jobs on a worker
with progress and Cancel. The dialogs only gather options and show the report; the work is
``core.formats.exporter.export_workspace`` and ``core.formats.importer.import_dataset``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Failed, Finished, Message, Progress
from core.workspace import Workspace
from gui.style import colour
from gui.workers import WorkerBridge

EXPORT_FORMATS = (
    ("coco", "COCO instance segmentation (annotations.json)"),
    ("yolo", "YOLO segmentation (Ultralytics data.yaml)"),
    ("tiff", "Label TIFFs (napari, Fiji, Cellpose)"),
)
INSTANCE_CHOICES = (
    ("labels", "Each label is one object (masks made by clicking)"),
    ("components", "Each label is a class; each separate region is an object"),
    ("watershed", "Each label is a class; separate touching objects (watershed)"),
)
IMPORT_FORMATS = (("auto", "Detect"), ("coco", "COCO JSON"), ("yolo", "YOLO segmentation"), ("tiff", "Label TIFFs"))


def _path_row(edit: QLineEdit, *buttons: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    for button in buttons:
        layout.addWidget(button)
    return row


class _JobDialog(QDialog):
    """What both dialogs share: a progress bar, a report box, Start/Cancel/Close, one job at a time."""

    finished_job = Signal(object)  # the job's report

    def __init__(self, title: str, start_text: str, bridge: WorkerBridge, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.bridge = bridge
        self.handle = None
        self.report = None
        self.before_start = None  # called first (the main window saves the mask being edited)
        self.form = QFormLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(110)
        self.start_button = QPushButton(start_text)
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.start_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)
        layout.addStretch(0)  # takes the spare height while the report box is hidden
        layout.addLayout(buttons)
        self._update_buttons()

    def job(self):  # -> (job, name, total) or raises ValueError with a message for the user
        raise NotImplementedError

    def start(self):
        if self.handle is not None:
            return None
        if self.before_start is not None:
            self.before_start()
        try:
            job, name, total = self.job()
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        self.report = None
        self.details.clear()
        self.details.setVisible(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, total or 0)
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self.handle = self.bridge.start(job, name, on_event=self._on_event, total=total, report_errors=False)
        self._update_buttons()
        return self.handle

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.status.setText("Cancelling…")

    def _update_buttons(self) -> None:
        busy = self.handle is not None
        self.start_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.close_button.setEnabled(not busy)

    def _on_event(self, event) -> None:
        if isinstance(event, Progress) and event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            self.status.setText(f"{event.done} / {event.total}  {event.message}")
        elif isinstance(event, Message) and event.level != "info":
            self.details.setVisible(True)
            self.details.appendPlainText(event.text)
        elif isinstance(event, Finished | Failed):
            self.handle = None
            self.progress.setVisible(False)
            if isinstance(event, Failed):
                self.status.setText(f"Failed: {event.error}")
            elif event.cancelled:
                self.status.setText("Cancelled: nothing was changed." if self.cancel_leaves_nothing
                                    else "Cancelled: what was done so far is kept.")
            else:
                self.report = event.result
                self.show_report(event.result)
                self.finished_job.emit(event.result)
            self._update_buttons()

    cancel_leaves_nothing = True

    def show_report(self, report) -> None:
        self.status.setText(report.summary())
        if report.problems:
            self.details.setVisible(True)
            self.details.setPlainText("\n".join(
                f"{'left out' if p.skipped else 'note'}: {p}" for p in report.problems))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.handle is not None:  # closing the window does not orphan a running job
            self.handle.cancel()
        super().closeEvent(event)


class ExportDialog(_JobDialog):
    def __init__(self, workspace: Workspace, bridge: WorkerBridge, parent=None, current: str | None = None):
        super().__init__("Export dataset", "Export", bridge, parent)
        self.workspace = workspace
        self.resize(620, 560)
        self.format_combo = QComboBox()
        for key, text in EXPORT_FORMATS:
            self.format_combo.addItem(text, key)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("an empty folder (or one a previous export wrote)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.all_radio = QRadioButton("All images")
        self.chosen_radio = QRadioButton("Only the checked images:")
        self.all_radio.setChecked(True)
        self.image_list = QListWidget()
        self.image_list.setMaximumHeight(130)
        for path in workspace.images():
            item = QListWidgetItem(path.name)
            has_mask = workspace.mask_path(path).exists()
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if current in (None, path.name) else Qt.CheckState.Unchecked)
            item.setToolTip("has a mask" if has_mask else "no mask yet: exported as an image without objects")
            if not has_mask:
                item.setForeground(colour("text_disabled"))
            self.image_list.addItem(item)
        images_box = QWidget()
        images_layout = QVBoxLayout(images_box)
        images_layout.setContentsMargins(0, 0, 0, 0)
        images_layout.setSpacing(2)
        images_layout.addWidget(self.all_radio)
        images_layout.addWidget(self.chosen_radio)
        images_layout.addWidget(self.image_list)
        self.instances_combo = QComboBox()
        for key, text in INSTANCE_CHOICES:
            self.instances_combo.addItem(text, key)
        self.min_distance = QDoubleSpinBox()
        self.min_distance.setRange(0, 500)
        self.min_distance.setValue(5)
        self.min_distance.setSuffix(" px")
        self.min_distance.setToolTip("Smallest distance between two objects' centres; raise it when objects are "
                                     "cut in two, lower it when touching objects stay together")
        self.masks_combo = QComboBox()
        self.masks_combo.addItem("Polygons (objects with holes as RLE)", "polygon")
        self.masks_combo.addItem("RLE (exact for every shape)", "rle")
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0, 0.9)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setToolTip("Share of images in the validation split (chosen by file name: stable)")
        self.copy_images = QCheckBox("Copy the images")
        self.copy_images.setChecked(True)
        self.form.addRow("Format", self.format_combo)
        self.form.addRow("Output folder", _path_row(self.out_edit, browse))
        self.form.addRow("Images", images_box)
        self.form.addRow("Objects", self.instances_combo)
        self.form.addRow("Seed distance", self.min_distance)
        self.form.addRow("COCO masks", self.masks_combo)
        self.form.addRow("Validation share", self.val_fraction)
        self.form.addRow("", self.copy_images)
        self.format_combo.currentIndexChanged.connect(self._update_fields)
        self.instances_combo.currentIndexChanged.connect(self._update_fields)
        self.all_radio.toggled.connect(self._update_fields)
        self._update_fields()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder", self.out_edit.text() or
                                                  str(self.workspace.root.parent))
        if folder:
            self.out_edit.setText(folder)

    def _update_fields(self) -> None:
        fmt = self.format_combo.currentData()
        self.form.setRowVisible(self.masks_combo, fmt == "coco")
        self.form.setRowVisible(self.val_fraction, fmt == "yolo")
        self.form.setRowVisible(self.min_distance, self.instances_combo.currentData() == "watershed")
        self.image_list.setEnabled(self.chosen_radio.isChecked())

    def chosen_images(self) -> list[str] | None:
        if self.all_radio.isChecked():
            return None
        return [self.image_list.item(i).text() for i in range(self.image_list.count())
                if self.image_list.item(i).checkState() == Qt.CheckState.Checked]

    def options(self):
        from core.formats.exporter import ExportOptions

        return ExportOptions(format=self.format_combo.currentData(), instances=self.instances_combo.currentData(),
                             min_distance=float(self.min_distance.value()), coco_masks=self.masks_combo.currentData(),
                             copy_images=self.copy_images.isChecked(), val_fraction=float(self.val_fraction.value()))

    def job(self):
        from core.formats.exporter import export_workspace

        out = self.out_edit.text().strip()
        if not out:
            raise ValueError("Choose an output folder.")
        images = self.chosen_images()
        if images == []:
            raise ValueError("Check at least one image (or choose All images).")
        total = len(images) if images is not None else self.image_list.count()
        job = functools.partial(export_workspace, self.workspace, Path(out).expanduser(), self.options(),
                                images=images)
        return job, f"export {self.format_combo.currentData()}", total


class ImportDialog(_JobDialog):
    cancel_leaves_nothing = False  # images imported before Cancel stay, each with its mask

    def __init__(self, workspace: Workspace, bridge: WorkerBridge, parent=None):
        super().__init__("Import dataset", "Import", bridge, parent)
        self.workspace = workspace
        self.resize(620, 420)
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("a COCO .json, a YOLO data.yaml, or a folder")
        file_button = QPushButton("File…")
        file_button.clicked.connect(self._browse_file)
        folder_button = QPushButton("Folder…")
        folder_button.clicked.connect(self._browse_folder)
        self.format_combo = QComboBox()
        for key, text in IMPORT_FORMATS:
            self.format_combo.addItem(text, key)
        self.images_edit = QLineEdit()
        self.images_edit.setPlaceholderText("optional: beside the JSON or in images/ is found by itself")
        images_button = QPushButton("Browse…")
        images_button.clicked.connect(self._browse_images)
        self.overwrite = QCheckBox("Replace masks the workspace already has")
        self.form.addRow("Dataset", _path_row(self.source_edit, file_button, folder_button))
        self.form.addRow("Format", self.format_combo)
        self.form.addRow("COCO images", _path_row(self.images_edit, images_button))
        self.form.addRow("", self.overwrite)
        self.form.addRow("Into workspace", QLabel(str(workspace.root)))

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "COCO JSON or YOLO data.yaml", "",
                                              "Datasets (*.json *.yaml *.yml);;All files (*)")
        if path:
            self.source_edit.setText(path)

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder")
        if folder:
            self.source_edit.setText(folder)

    def _browse_images(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of the COCO images")
        if folder:
            self.images_edit.setText(folder)

    def job(self):
        from core.formats.importer import ImportOptions, import_dataset

        source = self.source_edit.text().strip()
        if not source:
            raise ValueError("Choose a dataset file or folder.")
        options = ImportOptions(format=self.format_combo.currentData(), images_dir=self.images_edit.text().strip()
                                or None, overwrite_masks=self.overwrite.isChecked())
        job = functools.partial(import_dataset, Path(source).expanduser(), self.workspace, options)
        return job, "import dataset", None


def add_format_actions(window, menu) -> tuple[QAction, QAction]:
    """Add Export Dataset… and Import Dataset… to ``menu``; dialogs use the window's workspace and bridge, and
    an import refreshes the Image panel's list."""

    def export():
        current = getattr(window.image_panel, "current_path", None)
        dialog = ExportDialog(window.workspace, window.bridge, window,
                              current=Path(current).name if current else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.before_start = window.segment_panel.save_now  # the last edits (autosaved 0.5 s later) go too
        window.export_dialog = dialog
        dialog.show()

    def import_():
        dialog = ImportDialog(window.workspace, window.bridge, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished_job.connect(lambda report: window.image_panel.show_workspace())
        window.import_dialog = dialog
        dialog.show()

    export_action = QAction("&Export Dataset…", window, triggered=export)
    export_action.setToolTip("COCO, YOLO segmentation or label TIFFs, all images or a selection")
    import_action = QAction("&Import Dataset…", window, triggered=import_)
    import_action.setToolTip("COCO, YOLO segmentation or label TIFFs into this workspace")
    menu.addAction(export_action)
    menu.addAction(import_action)
    return export_action, import_action

"""The Train panel's segmentation setup: pick a dataset (workspace, two folders matched by name, or one
folder with NAME_mask.png), see how its masks will be read (surveyed and decided as a dataset on a worker;
the user may set the encoding or the class values), preview its pairs and the problems found, choose
hyperparameters (defaults sized to this machine), and start a U-Net run in the Train panel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QListWidgetItem,
    QSpinBox,
    QStyle,
)

from core.jobs import Failed, Finished, Progress
from core.masks.classes import MaskOverride, parse_classes
from core.unet.dataset import scan_folders, scan_mask_suffix, scan_workspace
from core.unet.preview import DatasetPreview, preview_dataset
from core.unet.setup import SegHyperparameters, fit_crop, machine_defaults, unet_run_config
from core.workspace import Workspace
from gui.qt_image import rgb_to_qimage
from gui.train.seg_setup_ui import SOURCES, setup_ui
from gui.workers import WorkerBridge


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
        setup_ui(self)
        self.resize(1100, 700)
        self.rescan()

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

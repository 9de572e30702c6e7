"""The Segment panel's model tools: segment with a trained U-Net, correct, retrain from the corrections.

Prediction runs TensorFlow on a worker (loading a run once and keeping it for the next image); the result
becomes the label map the click tools then correct.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from core.jobs import Failed, Finished, Progress
from core.training.runs import find_runs
from core.workspace import Workspace
from gui.widgets import file_dialogs
from gui.widgets.layout import never_widens
from gui.workers import WorkerBridge

NO_RUN_TEXT = ("No segmentation run yet: train one in the Train panel (New run ▸ Segmentation model), or "
               "choose a run folder with …")


class _SegmenterCache:
    """One loaded run at a time, reloaded when its weights change (a run still training)."""

    def __init__(self):
        self.key = None
        self.segmenter = None

    def get(self, run_dir: Path):
        from core.unet.inference import load_segmenter

        key = (str(run_dir), _weights_stamp(run_dir))
        if key != self.key:
            self.segmenter = load_segmenter(run_dir)
            self.key = key
        return self.segmenter


def _weights_stamp(run_dir: Path) -> float:
    files = (list((run_dir / "model").rglob("*.weights.h5")) + list((run_dir / "model").glob("weights.json"))
             + list((run_dir / "checkpoints").glob("*.index")))
    return max((f.stat().st_mtime for f in files), default=0.0)

PREDICTED_TEXT = "The prediction is the label map now"


class ModelTools(QGroupBox):
    predicted = Signal(object, object)  # labels (HxW uint8), names {label: name}
    retrain_requested = Signal(object, object)  # RunConfig, base run dir
    message = Signal(str)

    def __init__(self, bridge: WorkerBridge | None, workspace: Workspace | None, parent=None):
        super().__init__("Model", parent)
        self.bridge = bridge
        self.workspace = workspace
        self.cache = _SegmenterCache()
        self.handle = None
        self.extra_runs: list[Path] = []
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.run_combo = QComboBox()
        self.run_combo.setToolTip("A segmentation (U-Net) run; train one in the Train panel")
        self.run_combo.currentIndexChanged.connect(lambda _index: self._update())
        self.browse_button = QPushButton("…")
        self.browse_button.setToolTip("Choose a run folder")
        self.browse_button.setMaximumWidth(32)
        self.browse_button.clicked.connect(self._browse)
        row.addWidget(self.run_combo, 1)
        row.addWidget(self.browse_button)
        layout.addLayout(row)
        self.segment_button = QPushButton("Segment this image")
        self.segment_button.setToolTip("The model's prediction becomes the label map; correct it with clicks")
        self.segment_all_button = QPushButton("Segment unannotated images")
        self.segment_all_button.setToolTip("Every workspace image without a mask (masks you made are kept)")
        self.retrain_button = QPushButton("Retrain with corrections…")
        self.retrain_button.setToolTip("A new run that starts from this model and trains on the workspace's "
                                       "masks, your corrections included")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        never_widens(self.status)  # it names runs and files
        for widget in (self.segment_button, self.segment_all_button, self.retrain_button, self.progress,
                       self.cancel_button, self.status):
            layout.addWidget(widget)
        self.segment_button.clicked.connect(lambda: self.segment_current())
        self.segment_all_button.clicked.connect(lambda: self.segment_workspace())
        self.retrain_button.clicked.connect(lambda: self.retrain())
        self.cancel_button.clicked.connect(self.cancel)
        self.current_rgb = None
        self.before_retrain = None  # called first, to save the corrections on screen
        self.refresh_runs()

    # runs -------------------------------------------------------------------------------------------
    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.refresh_runs()

    def refresh_runs(self) -> None:
        """List the segmentation runs (called again whenever runs appear or change state)."""
        current = self.run_dir()
        runs = (find_runs(self.workspace.runs_dir, task="unet") if self.workspace else []) + self.extra_runs
        listed = [self.run_combo.itemData(i) for i in range(self.run_combo.count())]
        if listed != [str(run_dir) for run_dir in runs]:  # an unchanged list keeps its popup and selection
            self.run_combo.clear()
            for run_dir in runs:
                self.run_combo.addItem(run_dir.name, str(run_dir))
        if current is not None:
            index = self.run_combo.findData(str(current))
            if index >= 0:
                self.run_combo.setCurrentIndex(index)
        self._update()

    def add_run(self, run_dir: str | Path) -> None:
        run_dir = Path(run_dir)
        if run_dir not in self.extra_runs:
            self.extra_runs.append(run_dir)
        self.refresh_runs()
        self.run_combo.setCurrentIndex(self.run_combo.findData(str(run_dir)))

    def _browse(self) -> None:
        folder = file_dialogs.existing_folder(self, "runs", "Segmentation run folder")
        if folder:
            self.add_run(folder)

    def run_dir(self) -> Path | None:
        data = self.run_combo.currentData() if self.run_combo.count() else None
        return Path(data) if data else None

    def set_image(self, rgb) -> None:
        if rgb is not self.current_rgb and self.handle is None and self.status.text().startswith(PREDICTED_TEXT):
            self.status.setText("")  # it spoke of the previous image
        self.current_rgb = rgb
        self._update()

    def _update(self) -> None:
        busy = self.handle is not None
        has_run = self.run_dir() is not None
        self.segment_button.setEnabled(has_run and not busy and self.current_rgb is not None)
        self.segment_all_button.setEnabled(has_run and not busy and self.workspace is not None)
        self.retrain_button.setEnabled(has_run and not busy and self.workspace is not None)
        self.cancel_button.setEnabled(busy)
        if not has_run and not busy:
            self.status.setText(NO_RUN_TEXT)
        elif has_run and not busy and (self.status.text() in (NO_RUN_TEXT, "")
                                       or self.status.text().startswith("Model: ")):
            # the advice to train one is stale as soon as a run is listed
            self.status.setText(f"Model: {self.run_dir().name}. Segment this image to start from its prediction.")

    # actions ----------------------------------------------------------------------------------------
    def segment_current(self):
        run_dir, rgb, cache = self.run_dir(), self.current_rgb, self.cache
        if run_dir is None or rgb is None or self.bridge is None:
            return None

        def job(token, emit):
            segmenter = cache.get(run_dir)
            labels, _ = segmenter.predict(rgb, token)
            used = segmenter.weights.description if segmenter.weights else ""
            return labels, dict(segmenter.class_names or {}), used

        return self._start(job, f"segment with {run_dir.name}", self._on_predicted)

    def segment_workspace(self):
        run_dir, cache, workspace = self.run_dir(), self.cache, self.workspace
        if run_dir is None or workspace is None or self.bridge is None:
            return None
        paths = workspace.items()  # images, and sequence folders segmented frame by frame

        def job(token, emit):
            from core.unet.inference import segment_images_job

            return segment_images_job(run_dir, paths, workspace.masks_dir, token, emit,
                                      segmenter=cache.get(run_dir), skip_existing=True)

        # progress counts frames (a stack's each), so its total comes with the job's first Progress event
        return self._start(job, f"segment workspace with {run_dir.name}", self._on_workspace_done)

    def retrain(self, minutes: float = 5.0):
        run_dir = self.run_dir()
        if run_dir is None or self.workspace is None:
            return None
        from core.unet.setup import retrain_config

        if self.before_retrain is not None:
            self.before_retrain()
        try:
            config = retrain_config(self.workspace, run_dir, minutes=minutes)
        except (ValueError, OSError) as error:
            self.status.setText(f"Cannot retrain: {error}")
            return None
        self.retrain_requested.emit(config, run_dir)
        return config

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def _start(self, job, name, on_result, total=None):
        self.progress.setVisible(True)
        self.progress.setRange(0, total or 0)
        self.status.setText("Loading the model…" if self.cache.key is None else "Segmenting…")
        self.handle = self.bridge.start(job, name, on_event=lambda event: self._on_event(event, on_result),
                                        total=total)
        self._update()
        return self.handle

    def _on_event(self, event, on_result) -> None:
        if isinstance(event, Progress) and event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            self.status.setText(f"Segmenting {event.done} / {event.total}…")
        elif isinstance(event, (Finished, Failed)):
            self.handle = None
            self.progress.setVisible(False)
            if isinstance(event, Failed):
                self.status.setText(f"Segmentation failed: {event.error}")
            elif event.cancelled:
                self.status.setText("Cancelled.")
            else:
                on_result(event.result)
            self._update()

    def _on_predicted(self, result) -> None:
        labels, names, used = result
        self.status.setText(PREDICTED_TEXT + ": select an object and click to correct it."
                            + (f"\nModel: {used}." if used else ""))
        self.predicted.emit(labels, names)

    def _on_workspace_done(self, result) -> None:
        text = f"Wrote {len(result.written)} masks, kept {len(result.kept)} existing"
        segmenter = self.cache.segmenter
        if segmenter is not None and segmenter.weights is not None:
            text += f" (model: {segmenter.weights.description})"
        if result.failed:
            text += f", skipped {len(result.failed)} unreadable: " + ", ".join(Path(p).name for p, _ in result.failed)
        self.status.setText(text + ".")
        self.message.emit(text)

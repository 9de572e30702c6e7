"""The main window: four panels (Image, Segment, Train, GAN), menus, drag and drop, status bar, errors."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

import core
from core.imageio import IMAGE_SUFFIXES
from core.jobs import Failed, Finished
from core.workspace import DEFAULT_SAMPLE_NAME, Workspace, WorkspaceError
from gui.canvas import ImageScene
from gui.errors import ErrorReporter
from gui.frames_menu import add_frames_menu
from gui.gan.gan_panel import GanPanel
from gui.help.getting_started import GettingStartedDialog
from gui.help.shortcuts import ShortcutsDialog
from gui.image.image_panel import ImagePanel
from gui.recent import RecentPaths
from gui.resources import app_icon
from gui.segment.segment_panel import SegmentPanel
from gui.train.train_panel import TrainPanel
from gui.widgets import file_dialogs
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.frame_bar import FrameState
from gui.workers import WorkerBridge

log = logging.getLogger(__name__)

JOBS_WIDTH = 260  # pixels at most for the running-jobs readout in the status bar
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;All files (*)"


def _tensorflow_job(token, emit):
    from core.runtime import device_report  # imports TensorFlow: only ever on a worker thread

    return device_report()


class MainWindow(QMainWindow):
    tensorflow_ready = Signal(object)  # core.runtime.DeviceReport

    def __init__(self, workspace: Workspace, settings: QSettings | None = None, log_path: str = "",
                 load_tensorflow: bool = True):
        super().__init__()
        self.setWindowTitle("SegGAN Studio")
        self.setWindowIcon(app_icon())
        self.resize(1400, 880)
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("SegGAN", "SegGAN Studio")
        self.recent = RecentPaths(self.settings)
        file_dialogs.configure(self.settings, workspace.root)
        self.workspace = workspace
        self.device_report = None
        self.bridge = WorkerBridge(self)
        self.errors = ErrorReporter(self, log_path)
        self.bridge.job_failed.connect(self._on_job_failed)

        self.scene = ImageScene(self)
        self.frames = FrameState(self)  # a stack's frame slider, in the Image and the Segment panel
        self.image_panel = ImagePanel(self.scene, self.bridge, workspace, frames=self.frames)
        self.segment_panel = SegmentPanel(self.scene, self.bridge, workspace, frames=self.frames)
        self.train_panel = TrainPanel(workspace, self.bridge)
        self.gan_panel = GanPanel(self.bridge, workspace)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for panel, title in ((self.image_panel, "Image"), (self.segment_panel, "Segment"),
                             (self.train_panel, "Train"), (self.gan_panel, "GAN")):
            self.tabs.addTab(panel, title)
        self.setCentralWidget(self.tabs)

        self.status_text = ElidedLabel()  # a long status line is elided, never widens the window
        self.tf_status = QLabel("TensorFlow not loaded")
        self.jobs_status = QLabel()  # at most JOBS_WIDTH wide (see _on_busy)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.jobs_status)
        self.statusBar().addPermanentWidget(self.tf_status)
        self.image_panel.status_message.connect(self.status_text.setText)
        self.train_panel.status_message.connect(self.status_text.setText)
        self.segment_panel.status_message.connect(self.status_text.setText)
        self.image_panel.image_loaded.connect(self._on_image_loaded)
        # the label map is the Segment panel's (its session records every change for undo and saves it):
        # the Image panel reads masks and asks for changes, it never writes the map itself
        self.image_panel.mask_loaded.connect(self._on_mask_loaded)
        self.image_panel.clear_labels_requested.connect(self.segment_panel.clear_labels)
        self.scene.image_changed.connect(self._on_scene_image_changed)
        self.segment_panel.workspace_images_changed.connect(self.image_panel.workspace_images_changed)
        self.segment_panel.retrain_requested.connect(self._retrain)
        self.gan_panel.status_message.connect(self.status_text.setText)
        self.image_panel.load_failed.connect(lambda path, msg: self.errors.report("Could not open", msg))
        self.image_panel.path_opened.connect(self._remember)
        self.bridge.busy_changed.connect(self._on_busy)
        # runs appear and end while other panels show lists of them: the Train panel watches the runs folder
        self.train_panel.runs_changed.connect(self.gan_panel.refresh_runs)
        self.train_panel.runs_changed.connect(self.segment_panel.refresh_runs)
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.getting_started = GettingStartedDialog(self)
        self.getting_started.panel_requested.connect(self.tabs.setCurrentIndex)

        self._build_menus()
        self._update_title()
        if load_tensorflow:
            QTimer.singleShot(0, self.load_tensorflow)

    # menus -------------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open Images…", self, shortcut=QKeySequence.StandardKey.Open,
                                   triggered=self.open_images_dialog)
        self.open_folder_action = QAction("Open &Folder…", self, shortcut=QKeySequence("Ctrl+Shift+O"),
                                          triggered=self.open_folder_dialog)
        self.open_sequence_action = QAction("Open Image &Sequence…", self, triggered=self.open_sequence_dialog)
        self.open_sequence_action.setToolTip("A folder of numbered frames (frame_0001.png, …) as one stack")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.open_workspace_action = QAction("Open &Workspace…", self, triggered=self.open_workspace_dialog)
        self.load_mask_action = QAction("Load &Mask…", self, triggered=self.load_mask_dialog)
        # Ctrl+Q spelled out: QKeySequence.StandardKey.Quit is unbound on some platforms
        quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"), triggered=self.close)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_folder_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_sequence_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_workspace_action)
        file_menu.addAction(self.load_mask_action)
        file_menu.addSeparator()
        from gui.formats_dialogs import add_format_actions

        self.export_dataset_action, self.import_dataset_action = add_format_actions(self, file_menu)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.image_panel.load_mask_requested.connect(self.load_mask_dialog)

        view_menu = self.menuBar().addMenu("&View")
        # the view of the panel on screen (the Segment panel has its own zoom), not always the Image panel's
        for text, shortcut, slot in (
                ("Fit", "Ctrl+0", lambda: self.current_view().fit()),
                ("Actual Pixels", "Ctrl+1", lambda: self.current_view().actual_size()),
                ("Zoom In", QKeySequence.StandardKey.ZoomIn, lambda: self.current_view().zoom_by(1.25)),
                ("Zoom Out", QKeySequence.StandardKey.ZoomOut, lambda: self.current_view().zoom_by(0.8))):
            action = QAction(text, self, triggered=slot)
            action.setShortcut(QKeySequence(shortcut) if isinstance(shortcut, str) else shortcut)
            view_menu.addAction(action)

        self.frame_actions = add_frames_menu(self)
        help_menu = self.menuBar().addMenu("&Help")
        self.getting_started_action = QAction("&Getting Started", self, shortcut=QKeySequence("F1"),
                                              triggered=self.show_getting_started)
        self.shortcuts_action = QAction("&Keyboard Shortcuts", self, shortcut=QKeySequence("?"),
                                        triggered=self.show_shortcuts)
        for action in (self.getting_started_action, self.shortcuts_action):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(QAction("Open Log Folder", self, triggered=self._open_log_folder))
        help_menu.addAction(QAction("About SegGAN Studio", self, triggered=self._about))

    def current_view(self):
        """The image view of the panel on screen (View menu actions act on it)."""
        if self.tabs.currentWidget() is self.segment_panel:
            return self.segment_panel.view
        return self.image_panel.view

    def show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def show_getting_started(self) -> None:
        """The four-page walk through the panels, on the sample scene when the workspace has it."""
        sample = self.workspace.images_dir / DEFAULT_SAMPLE_NAME
        if sample.is_file() and self.image_panel.current_path != sample:
            self.image_panel.show_workspace()
            self.image_panel.select_path(sample)
        geometry = self.geometry()  # bottom right, over the panels' side columns rather than the image
        self.getting_started.move(geometry.right() - self.getting_started.width() - 40,
                                  geometry.bottom() - self.getting_started.height() - 60)
        self.getting_started.start()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        if not paths:
            self.recent_menu.addAction("(empty)").setEnabled(False)
            return
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear", self.recent.clear)

    def _remember(self, path: str) -> None:
        self.recent.add(path)

    # actions -----------------------------------------------------------------------------------------
    def open_images_dialog(self) -> None:
        files = file_dialogs.open_files(self, "images", "Open images", IMAGE_FILTER)
        if files:
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "images", "Open folder of images")
        if folder:
            self.open_paths([folder])

    def open_sequence_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "images", "Open a folder of numbered frames as one stack")
        if folder:
            self.tabs.setCurrentWidget(self.image_panel)
            self.image_panel.open_paths([folder], sequences=True)

    def open_workspace_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "workspace", "Open workspace folder")
        if folder:
            self.set_workspace(folder)

    def load_mask_dialog(self) -> None:
        path = file_dialogs.open_file(self, "masks", "Load mask",
                                      "PNG label maps (*.png);;Images (*.png *.tif *.tiff *.bmp *.gif)")
        if path:
            self.image_panel.load_mask_file(path)

    def open_paths(self, paths: list[str]) -> None:
        self.tabs.setCurrentWidget(self.image_panel)
        self.image_panel.open_paths(paths)
        file_dialogs.remember("images", paths[0])  # dropped and recent files count as chosen too

    def open_recent(self, path: str) -> None:
        if not Path(path).exists():
            self.recent.remove(path)
            self.errors.report("Could not open", f"{path}: no longer exists (removed from the recent list)")
            return
        self.open_paths([path])

    def set_workspace(self, folder: str | Path) -> None:
        try:
            workspace = Workspace.open(folder)
        except WorkspaceError as exc:  # names the path and the problem itself
            self.errors.report("Could not open workspace", str(exc))
            return
        except OSError as exc:
            self.errors.report("Could not open workspace", f"{folder}: {exc}")
            return
        self.workspace = workspace
        self.segment_panel.set_workspace(workspace)
        self.image_panel.set_workspace(workspace)
        self.train_panel.set_workspace(workspace)
        self.gan_panel.set_workspace(workspace)
        self.settings.setValue("workspace/path", str(workspace.root))
        file_dialogs.set_workspace(workspace.root)
        self._update_title()

    def _update_title(self) -> None:
        self.setWindowTitle(f"SegGAN Studio — {self.workspace.root.name}")

    def _open_log_folder(self) -> None:
        if self.errors.log_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.errors.log_path).parent)))

    def _about(self) -> None:
        QMessageBox.about(self, "About SegGAN Studio",
                          f"SegGAN Studio {core.__version__}\n\n"
                          f"{self.tf_status.text()}\nWorkspace: {self.workspace.root}")

    # TensorFlow ---------------------------------------------------------------------------------------
    def load_tensorflow(self) -> None:
        self.tf_status.setText("Loading TensorFlow…")
        self.bridge.start(_tensorflow_job, "load TensorFlow", on_event=self._on_tf_event, report_errors=False)

    def _on_tf_event(self, event) -> None:
        if isinstance(event, Finished) and event.result is not None:
            self.device_report = event.result
            self.tf_status.setText(event.result.summary)
            self.tf_status.setToolTip("\n".join(f"{name} ({kind})" for name, kind in event.result.devices))
            self.tensorflow_ready.emit(event.result)
        elif isinstance(event, Failed):
            self.tf_status.setText("TensorFlow unavailable")
            self.tf_status.setToolTip(event.error)
            self.errors.report("TensorFlow could not be loaded", event.error, event.details)

    # jobs and errors --------------------------------------------------------------------------------
    def _on_job_failed(self, handle, event: Failed) -> None:
        self.errors.report(f"{handle.name} failed", event.error, event.details)

    def _on_busy(self, count: int) -> None:
        working = self.bridge.working
        if len(working) == 1:
            text = f"{working[0].name[:1].upper()}{working[0].name[1:]}…"
        else:
            text = f"{len(working)} jobs running" if working else ""
        # a long job name is elided: the readout never widens the window
        self.jobs_status.setText(self.jobs_status.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                                           JOBS_WIDTH))
        self.jobs_status.setToolTip("\n".join(handle.name for handle in working))

    # drag and drop ----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def _on_image_loaded(self, image) -> None:
        """The Segment panel edits the image the Image panel shows, starting from its mask if it has one."""
        mask = self.image_panel.shown_mask
        names = dict(mask.report.names) if mask is not None and mask.report.names else None
        self.segment_panel.set_image(image.rgb, self.image_panel.current_path,
                                     mask.labels if mask is not None else None, names,
                                     loaded=image, frame=self.image_panel.current_frame)

    def _on_mask_loaded(self, mask) -> None:
        if self.segment_panel.adopt_labels(mask.labels, dict(mask.report.names or {})):
            self.status_text.setText("Mask loaded: Undo in the Segment panel brings the previous labels back.")
        else:
            self.errors.report("Could not show the mask", "The image changed while the mask was read.")

    def _retrain(self, config, base_run_dir) -> None:
        """Retrain from corrections: a new run in the Train panel, started from the chosen model."""
        run_dir = self.train_panel.new_run_dir(f"{Path(base_run_dir).name}-retrain")
        self.train_panel.start_training(run_dir, config)
        self.tabs.setCurrentWidget(self.train_panel)

    def _on_scene_image_changed(self) -> None:
        if self.scene.rgb is None:
            self.segment_panel.set_image(None)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.segment_panel.shutdown()
        self.train_panel.shutdown()
        self.gan_panel.shutdown()
        if not self.bridge.shutdown(timeout_ms=10_000):
            log.warning("some workers did not stop within 10 s")
        self.errors.uninstall_hooks()
        super().closeEvent(event)


def build_window(workspace_path: str | Path | None = None, **kwargs) -> MainWindow:
    from core.workspace import ensure_default_workspace

    return MainWindow(ensure_default_workspace(workspace_path), **kwargs)


__all__ = ["MainWindow", "build_window", "Qt"]

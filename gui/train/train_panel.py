"""The Train panel: start and control training runs, follow any run folder live (this app's, a CLI run, a
run on a shared disk), compare runs' curves, browse every saved sample grid, export metrics."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Failed, Finished, Message, Progress
from core.training.config import Budget, RunConfig
from core.training.engine import TrainingControl, prepare_run, training_job
from core.training.process_usage import ProcessUsage
from core.training.run_folder import RunFolder, RunFolderError
from core.training.run_view import (
    can_resume,
    describe_run,
    engine_check_config,
    list_label,
    new_run_dir,
    resume_budget,
    unique_runs,
)
from core.training.runs import export_csv, find_runs
from core.training.watch import RunUpdate, watch_run_job
from core.workspace import Workspace
from gui.train.run_status_view import RunStatusView, empty_state_text
from gui.train.seg_setup import open_seg_setup
from gui.widgets import file_dialogs
from gui.widgets.empty_state import EmptyState
from gui.widgets.samples import SampleTimeline
from gui.workers import WorkerBridge

PATH_ROLE = Qt.ItemDataRole.UserRole


class TrainPanel(QWidget):
    status_message = Signal(str)
    runs_changed = Signal()  # a run appeared, went away or changed state (other panels list runs too)

    def __init__(self, workspace: Workspace, bridge: WorkerBridge | None = None, parent=None):
        super().__init__(parent)
        self.bridge = bridge or WorkerBridge(self)
        self.workspace = workspace
        self.extra_runs: list[Path] = []  # folders opened by the user, outside the workspace
        self.watchers: dict[str, object] = {}  # run dir -> JobHandle of its watch job
        self.statuses: dict[str, dict] = {}
        self.sample_steps: dict[str, tuple] = {}  # run dir -> saved sample steps, as last seen
        self.primary: str | None = None
        self._runs_seen: tuple = ()  # (run dir, state) of every listed run, to tell others when it changes
        self.live = None  # (JobHandle, TrainingControl, run dir) of a run trained by this app
        self._live_progress: Progress | None = None
        self._usage = ProcessUsage()
        self._build()
        self.set_workspace(workspace)
        self._resource_timer = QTimer(self)
        self._resource_timer.setInterval(1000)
        self._resource_timer.timeout.connect(self._update_resources)
        self._resource_timer.start()
        self._list_timer = QTimer(self)
        self._list_timer.setInterval(3000)
        self._list_timer.timeout.connect(self.refresh_runs)
        self._list_timer.start()

    # layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        runs_box = QGroupBox("Runs")
        runs = QVBoxLayout(runs_box)
        self.run_list = QListWidget()
        self.run_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.run_list.setToolTip("Select several runs (Ctrl/Shift) to compare their curves")
        self.run_list.itemSelectionChanged.connect(self._on_selection)
        self.run_list.currentItemChanged.connect(lambda *_: self._on_selection())
        self.new_button = QToolButton(text="New run")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_button.setToolTip("Start a training run: engine check, segmentation model (U-Net) or GAN")
        self.new_menu = QMenu(self.new_button)
        self.new_menu.addAction("Engine check (tiny autoencoder, under a minute)", self.start_engine_check)
        self.new_menu.addAction("Segmentation model (U-Net)…", lambda: open_seg_setup(self))
        self.new_menu.addAction("GAN (images, IDX files or procedural shapes)…", self.open_gan_setup)
        self.new_button.setMenu(self.new_menu)
        self.open_run_button = QPushButton("Open run folder…")
        self.open_run_button.clicked.connect(self._open_run_dialog)
        self.resume_button = QPushButton("Resume run")
        self.resume_button.setToolTip("Continue the selected stopped or crashed run from its last checkpoint")
        self.resume_button.clicked.connect(self.resume_selected)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._export_dialog)
        runs.addWidget(self.run_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.resume_button)
        runs.addLayout(row)
        runs.addWidget(self.open_run_button)
        runs.addWidget(self.export_button)

        self.status_view = RunStatusView()
        view = self.status_view  # the panel's API (and its tests) name these widgets directly
        self.curves, self.run_title, self.progress, self.rate_label = view.curves, view.run_title, view.progress, \
            view.rate_label
        self.pause_button, self.stop_button, self.lr_spin, self.lr_apply = view.pause_button, view.stop_button, \
            view.lr_spin, view.lr_apply
        self.resource_label = view.resource_label
        self.pause_button.toggled.connect(self._on_pause)
        self.stop_button.clicked.connect(self.stop_live)
        self.lr_apply.clicked.connect(self._apply_lr)
        self.empty_state = EmptyState()
        self.center_stack = QStackedWidget()  # what to do next while no run is selected, else the run
        self.center_stack.addWidget(self.empty_state)
        self.center_stack.addWidget(self.status_view)

        samples_box = QGroupBox("Samples")
        samples = QVBoxLayout(samples_box)
        self.timeline = SampleTimeline(self.bridge)
        samples.addWidget(self.timeline)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(runs_box)
        splitter.addWidget(self.center_stack)
        splitter.addWidget(samples_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 760, 410])  # sample grids are tall: give them room
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self._update_controls()
        self._show_empty_state()

    # the run list ----------------------------------------------------------------------------------
    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.refresh_runs()

    def known_runs(self) -> list[Path]:
        return unique_runs(find_runs(self.workspace.runs_dir) + [p for p in self.extra_runs if RunFolder(p).is_run()])

    def refresh_runs(self) -> None:
        runs = self.known_runs()
        listed = [self.run_list.item(i).data(PATH_ROLE) for i in range(self.run_list.count())]
        wanted = [str(p) for p in runs]
        if listed != wanted:
            selected = set(self.selected_runs())
            self.run_list.blockSignals(True)
            self.run_list.clear()
            for path in runs:
                item = QListWidgetItem(path.name)
                item.setData(PATH_ROLE, str(path))
                item.setToolTip(str(path))
                self.run_list.addItem(item)
                item.setSelected(str(path) in selected)
            self.run_list.blockSignals(False)
        seen = []
        for index in range(self.run_list.count()):
            item = self.run_list.item(index)
            status = RunFolder(item.data(PATH_ROLE)).read_status()
            self._label_item(item, status)
            seen.append((item.data(PATH_ROLE), status.get("state")))
        if tuple(seen) != self._runs_seen:
            self._runs_seen = tuple(seen)
            if self.primary is None:
                self._show_status()  # the empty state's advice depends on whether runs exist
            self.runs_changed.emit()

    @staticmethod
    def _label_item(item: QListWidgetItem, status: dict) -> None:
        item.setText(list_label(Path(item.data(PATH_ROLE)).name, status))

    def selected_runs(self) -> list[str]:
        return [item.data(PATH_ROLE) for item in self.run_list.selectedItems()]

    def select_run(self, run_dir: str | Path, add: bool = False) -> None:
        self.refresh_runs()
        target = str(Path(run_dir).resolve())
        for index in range(self.run_list.count()):
            item = self.run_list.item(index)
            if item.data(PATH_ROLE) == target:
                flag = QItemSelectionModel.SelectionFlag
                self.run_list.setCurrentItem(item, flag.Select if add else flag.ClearAndSelect)
                return

    def open_run_folder(self, folder: str | Path) -> bool:
        folder = Path(folder).resolve()
        if not RunFolder(folder).is_run():
            self.status_message.emit(f"{folder} is not a run folder (no config.json)")
            return False
        if folder not in self.extra_runs:
            self.extra_runs.append(folder)
        self.select_run(folder)
        return True

    def _open_run_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "runs", "Open run folder")
        if folder:
            self.open_run_folder(folder)

    def _on_selection(self) -> None:
        selected = self.selected_runs()
        for run_dir in [r for r in self.watchers if r not in selected]:
            self.watchers.pop(run_dir).cancel()
            self.sample_steps.pop(run_dir, None)
            self.curves.clear_run(Path(run_dir).name)
        for run_dir in selected:
            if run_dir not in self.watchers:
                self.watchers[run_dir] = self.bridge.start(
                    watch_run_job(run_dir), f"follow {Path(run_dir).name}",
                    on_event=lambda event, r=run_dir: self._on_watch_event(r, event), report_errors=False,
                    background=True)
        current = self.run_list.currentItem()
        primary = current.data(PATH_ROLE) if current is not None and current.isSelected() else (
            selected[0] if selected else None)
        if primary != self.primary:
            self.primary = primary
            self._live_progress = None
            self.timeline.set_run(primary)
            if primary in self.sample_steps:
                self.timeline.set_steps(self.sample_steps[primary])
            self._show_status()
        self._update_controls()

    # following ---------------------------------------------------------------------------------------
    def _on_watch_event(self, run_dir: str, event) -> None:
        if not isinstance(event, RunUpdate) or run_dir not in self.watchers:
            return
        name = Path(run_dir).name
        if event.restarted:
            self.curves.clear_run(name)
        if event.rows:
            self.curves.add_rows(name, event.rows)
        if event.status is not None:
            self.statuses[run_dir] = event.status
            self.status_view.show_evaluation(name, event.status)
            for item in self.run_list.findItems(name, Qt.MatchFlag.MatchStartsWith):
                if item.data(PATH_ROLE) == run_dir:
                    self._label_item(item, event.status)
            if run_dir == self.primary:
                self._show_status()
        if event.sample_steps is not None:
            self.sample_steps[run_dir] = event.sample_steps
            if run_dir == self.primary:
                self.timeline.set_steps(event.sample_steps)

    def _show_status(self) -> None:
        if self.primary is None:
            self.status_view.clear()
            self._show_empty_state()
            return
        self.center_stack.setCurrentIndex(1)
        status = self.statuses.get(self.primary, {})
        live = self._is_live(self.primary)
        self.status_view.show_run(describe_run(Path(self.primary).name, status, live, self._live_progress))
        rates = status.get("learning_rates") or {}
        if rates and not self.lr_spin.hasFocus():
            self.lr_spin.setValue(float(next(iter(rates.values()))))
        elif not rates and not live:
            self.lr_spin.setValue(self.lr_spin.minimum())  # shows "lr —", not a rate nobody set
        self._update_controls()

    def _show_empty_state(self) -> None:
        self.center_stack.setCurrentIndex(0)
        self.empty_state.set_text(*empty_state_text(has_runs=self.run_list.count() > 0))

    # training here ---------------------------------------------------------------------------------
    def _is_live(self, run_dir: str | None) -> bool:
        return bool(self.live and run_dir and str(Path(self.live[2]).resolve()) == str(Path(run_dir).resolve()))

    def new_run_dir(self, prefix: str) -> Path:
        return new_run_dir(self.workspace.runs_dir, prefix)

    def start_training(self, run_dir: str | Path, config: RunConfig | None, resume: bool = False,
                       budget: Budget | None = None):
        """Train (or resume) ``run_dir`` on a worker thread; the panel follows it. One run at a time."""
        if self.live is not None:
            self.status_message.emit("A run is already training: stop it first.")
            return None
        control = TrainingControl()
        run_dir = Path(run_dir)
        if config is not None and not resume:
            try:
                prepare_run(run_dir, config)
            except (RunFolderError, ValueError) as exc:
                self.status_message.emit(str(exc))
                return None
        handle = self.bridge.start(training_job(run_dir, config, resume=resume, control=control, budget=budget),
                                   f"train {run_dir.name}", on_event=self._on_live_event)
        self.live = (handle, control, str(run_dir))
        if config is not None and not resume:
            self.lr_spin.setValue(float(next(iter(config.learning_rates.values()))))
        self.select_run(run_dir)
        self._update_controls()
        return handle

    def start_engine_check(self):
        return self.start_training(self.new_run_dir("engine-check"), engine_check_config())

    def open_gan_setup(self):
        """The GAN setup dialog; on OK the run starts here (returns its JobHandle, or None)."""
        from gui.gan.gan_setup import GanSetupDialog

        dialog = GanSetupDialog(self.bridge, self)
        if dialog.exec() != GanSetupDialog.DialogCode.Accepted:
            return None
        return self.start_training(self.new_run_dir("gan"), dialog.config())

    def resume_selected(self) -> None:
        if self.primary is None:
            return
        status = self.statuses.get(self.primary) or RunFolder(self.primary).read_status()
        budget = resume_budget(status, RunFolder(self.primary).read_config())
        self.start_training(self.primary, None, resume=True, budget=budget)

    def _on_live_event(self, event) -> None:
        if self.live is None:
            return
        run_dir = self.live[2]
        if isinstance(event, Progress):
            self._live_progress = event
            if self._is_live(self.primary):
                self._show_status()
        elif isinstance(event, Message):
            self.status_message.emit(event.text)
        elif isinstance(event, Finished | Failed):
            self.live = None
            self._live_progress = None
            self.pause_button.setChecked(False)
            if isinstance(event, Finished) and event.result is not None:
                self.status_message.emit(f"{Path(run_dir).name}: {event.result.state} at step {event.result.step}")
            self._update_controls()

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self.live is None:
            return
        handle = self.live[0]
        if paused:
            handle.pause()
        else:
            handle.resume()

    def stop_live(self) -> None:
        if self.live is not None:
            self.live[0].cancel()
            self.status_message.emit("Stopping after this step…")

    def _apply_lr(self) -> None:
        if self.live is None:
            return
        control: TrainingControl = self.live[1]
        config = RunFolder(self.live[2]).read_config()
        for name in config.learning_rates:
            control.set_learning_rate(name, self.lr_spin.value())

    def _update_controls(self) -> None:
        self.status_view.set_live_controls(self._is_live(self.primary))
        state = self.statuses.get(self.primary, {}).get("state") if self.primary else None
        self.resume_button.setEnabled(self.primary is not None and can_resume(state, self.live is not None))
        self.new_button.setEnabled(self.live is None)
        self.export_button.setEnabled(bool(self.selected_runs()))

    # export and resources ----------------------------------------------------------------------------
    def export_selected(self, out: str | Path):
        runs = self.selected_runs()
        return self.bridge.start(lambda token, emit: export_csv(runs, out), "export CSV",
                                 on_event=lambda e: self.status_message.emit(
                                     f"Exported {e.result} rows to {out}") if isinstance(e, Finished) else None)

    def _export_dialog(self) -> None:
        path = file_dialogs.save_file(self, "exports", "Export metrics", "metrics.csv", "CSV (*.csv)")
        if path:
            self.export_selected(path)

    def _update_resources(self) -> None:
        self.resource_label.setText(self._usage.line(self.statuses.get(self.primary, {}) if self.primary else {}))

    def shutdown(self) -> None:
        for handle in list(self.watchers.values()):
            handle.cancel()
        self.watchers.clear()
        if self.live is not None:
            self.live[0].cancel()

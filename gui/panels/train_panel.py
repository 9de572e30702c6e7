"""The Train panel: start and control training runs, follow any run folder live (this app's, a CLI run, a
run on a shared disk), compare runs' curves, browse every saved sample grid, export metrics."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import psutil
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from core.jobs import Failed, Finished, Message, Progress, format_eta
from core.training.config import Budget, RunConfig
from core.training.engine import TrainingControl, prepare_run, training_job
from core.training.run_folder import RunFolder, RunFolderError
from core.training.run_states import LIVE_STATES
from core.training.runs import export_csv, find_runs
from core.training.watch import RunUpdate, watch_run_job
from core.workspace import Workspace
from gui.train import best_label
from gui.train.curves import CurvesView
from gui.train.samples import SampleTimeline
from gui.train.seg_setup import open_seg_setup
from gui.widgets import file_dialogs
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.empty_state import EmptyState
from gui.workers import WorkerBridge

PATH_ROLE = Qt.ItemDataRole.UserRole


def engine_check_config() -> RunConfig:
    """The built-in quick run: a tiny autoencoder on generated shapes (checks the machine can train)."""
    return RunConfig(task="autoencoder-check", task_params={"size": 32, "dataset_size": 512, "width": 16},
                     seed=0, batch_size=32, learning_rates={"main": 2e-3}, budget=Budget(steps=1500),
                     log_every=10, sample_every=50, checkpoint_every=250, data_source="generated shapes")


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
        self._process = psutil.Process()
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

        self.curves = CurvesView()
        self.curves.hovered.connect(self._on_hover)
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

        self.run_title = ElidedLabel("No run selected")  # long run names and states never widen the window
        self.run_title.setStyleSheet("QLabel { font-weight: bold; }")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("—")
        self.rate_label = ElidedLabel("")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Finish the current step, save a checkpoint and stop")
        self.stop_button.clicked.connect(self.stop_live)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(7)
        self.lr_spin.setRange(1e-7, 10.0)
        self.lr_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_spin.setPrefix("lr ")
        self.lr_spin.setSpecialValueText("lr —")  # no run trained here: no learning rate to show
        self.lr_spin.setValue(self.lr_spin.minimum())
        self.lr_apply = QPushButton("Set")
        self.lr_apply.setToolTip("Change the learning rate from the next step (logged in metrics.csv)")
        self.lr_apply.clicked.connect(self._apply_lr)
        self.resource_label = QLabel("")
        controls = QHBoxLayout()
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.lr_spin)
        controls.addWidget(self.lr_apply)
        info = QHBoxLayout()
        info.addWidget(self.rate_label, 1)
        info.addWidget(self.resource_label)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.addWidget(self.run_title)
        center_layout.addLayout(controls)
        center_layout.addLayout(info)
        center_layout.addLayout(curve_bar)
        center_layout.addWidget(self.curves, 1)
        center_layout.addWidget(self.hover_label)
        self.empty_state = EmptyState()
        self.center_stack = QStackedWidget()  # what to do next while no run is selected, else the run
        self.center_stack.addWidget(self.empty_state)
        self.center_stack.addWidget(center)

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
        runs = find_runs(self.workspace.runs_dir) + [p for p in self.extra_runs if RunFolder(p).is_run()]
        unique, seen = [], set()
        for path in runs:
            key = str(path.resolve())
            if key not in seen:
                seen.add(key)
                unique.append(path.resolve())
        return unique

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
        step = f", step {status['step']}" if status.get("step") else ""
        item.setText(f"{Path(item.data(PATH_ROLE)).name}\n    {status.get('state', 'unknown')}{step}")

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
            self._show_evaluation(name, event.status)
            for item in self.run_list.findItems(name, Qt.MatchFlag.MatchStartsWith):
                if item.data(PATH_ROLE) == run_dir:
                    self._label_item(item, event.status)
            if run_dir == self.primary:
                self._show_status()
        if event.sample_steps is not None:
            self.sample_steps[run_dir] = event.sample_steps
            if run_dir == self.primary:
                self.timeline.set_steps(event.sample_steps)

    def _show_evaluation(self, name: str, status: dict) -> None:
        """The run's validation source in the curves' legend and its best step on the plots."""
        validation = status.get("validation") or {}
        if validation.get("on"):
            self.curves.evaluation_labels[name] = best_label.validation_legend(validation)
        best = status.get("best")
        if best and best.get("step") is not None:
            self.curves.set_best(name, int(best["step"]), best_label.best_marker(best), best.get("metric"))

    def _show_status(self) -> None:
        if self.primary is None:
            self.run_title.setText("No run selected")
            self.progress.setValue(0)
            self.progress.setFormat("—")
            self.rate_label.setText("")
            self._show_empty_state()
            return
        self.center_stack.setCurrentIndex(1)
        status = self.statuses.get(self.primary, {})
        state = status.get("state", "…")
        live = self._is_live(self.primary)
        source = "trained here" if live else (
            "followed" if state in LIVE_STATES else "saved run")
        self.run_title.setText(f"{Path(self.primary).name} — {state} ({source})")
        step = int(status.get("step", 0) or 0)
        total = status.get("total_steps")
        eta = status.get("eta_s")
        rate = None
        progress = self._live_progress if live else None
        if progress is not None:
            step, total = progress.done, progress.total or total
            eta = progress.eta_s if progress.eta_s is not None else eta  # a time budget: the status knows
            rate = progress.rate
        active = state in LIVE_STATES
        eta_text = f" · ETA {format_eta(eta)}" if eta is not None and active else ""
        if total:
            self.progress.setValue(int(1000 * min(1.0, step / total)))
            self.progress.setFormat(f"step {step} / {total}{eta_text}")
        elif eta is not None and active and status.get("elapsed_s") is not None:
            # a time budget: no step total, but the run knows how long it has left
            elapsed = float(status["elapsed_s"])
            self.progress.setValue(int(1000 * elapsed / max(elapsed + float(eta), 1e-9)))
            self.progress.setFormat(f"step {step}{eta_text}")
        else:
            self.progress.setValue(1000 if state == "finished" else 0)
            self.progress.setFormat(f"step {step}{eta_text}")
        parts = [f"epoch {float(status['epoch']):.2f}"] if status.get("epoch") is not None else []
        if status.get("images_per_s"):
            parts.append(f"{float(status['images_per_s']):.0f} images/s")
        if rate:
            parts.append(f"{rate:.1f} steps/s")
        if status.get("elapsed_s") is not None:
            parts.append(f"elapsed {format_eta(float(status['elapsed_s']))}")
        if status.get("strategy"):
            parts.append(str(status["strategy"]))
        if status.get("message"):
            parts.append(str(status["message"]))
        self.rate_label.setText(" · ".join(parts))
        rates = status.get("learning_rates") or {}
        if rates and not self.lr_spin.hasFocus():
            self.lr_spin.setValue(float(next(iter(rates.values()))))
        elif not rates and not live:
            self.lr_spin.setValue(self.lr_spin.minimum())  # shows "lr —", not a rate nobody set
        self._update_controls()

    def _show_empty_state(self) -> None:
        self.center_stack.setCurrentIndex(0)
        if self.run_list.count():
            self.empty_state.set_text(
                "Select a run", "Click a run on the left to follow its curves and samples (Ctrl+click several "
                "to compare them), or start another with <b>New run ▸ …</b>")
        else:
            self.empty_state.set_text(
                "No training runs yet",
                "<b>New run ▸ Engine check</b> trains a tiny model in under a minute, to see how training "
                "looks here.<br><b>New run ▸ Segmentation model (U-Net)…</b> trains on this workspace's "
                "images and masks.<br><b>New run ▸ GAN…</b> trains an image generator (procedural shapes "
                "need no data).<br><br>A run started from the command line: <b>Open run folder…</b>")

    def _on_hover(self, text: str) -> None:
        self.hover_label.setText(text or " ")

    # training here ---------------------------------------------------------------------------------
    def _is_live(self, run_dir: str | None) -> bool:
        return bool(self.live and run_dir and str(Path(self.live[2]).resolve()) == str(Path(run_dir).resolve()))

    def new_run_dir(self, prefix: str) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.workspace.runs_dir / f"{prefix}-{stamp}"
        counter = 1
        while path.exists():
            path = self.workspace.runs_dir / f"{prefix}-{stamp}-{counter}"
            counter += 1
        return path

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
        from gui.train.gan_setup import GanSetupDialog

        dialog = GanSetupDialog(self.bridge, self)
        if dialog.exec() != GanSetupDialog.DialogCode.Accepted:
            return None
        return self.start_training(self.new_run_dir("gan"), dialog.config())

    def resume_selected(self) -> None:
        if self.primary is None:
            return
        status = self.statuses.get(self.primary) or RunFolder(self.primary).read_status()
        budget = None
        config = RunFolder(self.primary).read_config()
        if status.get("state") == "finished" and config.budget.steps:
            budget = Budget(steps=int(config.budget.steps) * 2)  # continue for as long again
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
        live_selected = self._is_live(self.primary)
        for widget in (self.pause_button, self.stop_button, self.lr_spin, self.lr_apply):
            widget.setEnabled(live_selected)
        state = self.statuses.get(self.primary, {}).get("state") if self.primary else None
        self.resume_button.setEnabled(self.primary is not None and self.live is None
                                      and state not in ("running", "paused", "stopping"))
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
        process, whose = self._process, "this app"
        status = self.statuses.get(self.primary, {}) if self.primary else {}
        pid = int(status.get("pid", 0) or 0)
        if pid and pid != os.getpid() and status.get("state") in LIVE_STATES:
            try:
                if pid != getattr(self, "_other_pid", None):
                    self._other = psutil.Process(pid)
                    self._other.cpu_percent(None)
                    self._other_pid = pid
                process, whose = self._other, f"training process {pid}"
            except (psutil.Error, OSError):
                pass
        try:
            cpu = process.cpu_percent(None)
            rss = process.memory_info().rss / 2**20
        except (psutil.Error, OSError):
            self.resource_label.setText("")
            return
        self.resource_label.setText(f"CPU {cpu:.0f}% · memory {rss:.0f} MB ({whose})")

    def shutdown(self) -> None:
        for handle in list(self.watchers.values()):
            handle.cancel()
        self.watchers.clear()
        if self.live is not None:
            self.live[0].cancel()

"""The GAN panel: explore a trained generator live. A sample grid from seeds (click to pin A and B), re-roll,
truncation, class control, slerp between the pins with a slider and animation, PCA latent directions that edit
pin A, PNG and GIF export. All TensorFlow work runs in one render job on a worker thread, fed through a
"latest request wins" mailbox (core.gan.render), so dragging a slider never queues stale renders."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from core.gan.explorer_runs import ended_while_shown, run_choice
from core.gan.pins import Pins
from core.gan.render import (
    Exported,
    GifRequest,
    GridRequest,
    LatestRequests,
    Loaded,
    PreviewRequest,
    Rendered,
    render_job,
)
from core.jobs import Failed, Finished, Message
from core.training.run_states import LIVE_STATES
from core.training.runs import find_runs
from gui.gan.explorer_ui import DIRECTIONS, NO_RUN_TEXT, SLIDER_STEPS, setup_ui
from gui.gan.grid_view import compose
from gui.qt_image import rgb_to_qimage
from gui.widgets import file_dialogs
from gui.workers import WorkerBridge

DIRECTION_RANGE = 3.0  # +- standard deviations


class GanPanel(QWidget):
    status_message = Signal(str)
    rendered = Signal(object)  # the Rendered event, after it is shown
    loaded = Signal(object)  # the Loaded event

    def __init__(self, bridge: WorkerBridge | None = None, workspace=None, parent=None):
        super().__init__(parent)
        self.bridge = bridge or WorkerBridge(self)
        self.workspace = workspace
        self.mailbox: LatestRequests | None = None
        self.handle = None
        self.info: Loaded | None = None
        self.run_dir: str | None = None
        self.pin_set = Pins()  # pin A (and B), and the class each showed ("All classes" grids)
        self.grid_images: np.ndarray | None = None
        self.preview_image: np.ndarray | None = None
        self.render_times: list[float] = []  # perf_counter of each shown grid, for the frame rate readout
        self._generation = 0  # which render job's events are current
        self.rendered_seeds: tuple[int, ...] = ()  # what the grid on screen shows
        self.rendered_class: int | None = None
        self._shown_state: str | None = None  # the state of the run on screen, as last seen
        self._restore_pins: Pins | None = None  # pins to keep across a reload of the same run
        self._build()
        self._set_enabled(False)
        if workspace is not None:
            self.refresh_runs()

    # layout ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        setup_ui(self)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in self.controls:
            widget.setEnabled(enabled)
        if enabled:
            self._update_pin_controls()

    # runs -----------------------------------------------------------------------------------------------
    def set_workspace(self, workspace) -> None:
        self.workspace = workspace
        self.refresh_runs()

    def refresh_runs(self) -> None:
        """List the workspace's GAN runs (called again whenever runs appear or change state)."""
        from core.training.run_folder import RunFolder

        current = self.run_combo.currentData()
        runs = find_runs(self.workspace.runs_dir, task="gan") if self.workspace is not None else []
        entries = [("(choose a GAN run)" if runs else "(no GAN runs yet)", None)]
        for path in runs:
            entries.append((run_choice(path.name, RunFolder(path).read_status().get("state")), str(path)))
        extra = self.run_dir if self.run_dir and all(str(p) != self.run_dir for p in runs) else None
        if extra:
            entries.append((Path(extra).name, extra))
        listed = [(self.run_combo.itemText(i), self.run_combo.itemData(i)) for i in range(self.run_combo.count())]
        if listed != entries:  # rebuilding an unchanged list would close its popup under the user's mouse
            self.run_combo.clear()
            for text, data in entries:
                self.run_combo.addItem(text, data)
        index = self.run_combo.findData(self.run_dir or current)
        self.run_combo.setCurrentIndex(max(0, index))
        if self.run_dir is None:
            self.grid_view.clear(NO_RUN_TEXT if not runs else
                                 "Choose a GAN run above (Generator) to explore its samples.")
        else:
            self._follow_shown_run(RunFolder(self.run_dir).read_status().get("state"))

    def _follow_shown_run(self, state: str | None) -> None:
        """The run on screen was loaded while it trained (from a checkpoint): when it ends, show its final
        generator, keeping the pins, rather than the early one it was loaded with."""
        previous, self._shown_state = self._shown_state, state
        if ended_while_shown(previous, state) and self.info is not None:
            keep = self.pin_set.copy()
            self.load_run(self.run_dir)
            self._restore_pins = keep
            self.status_message.emit(f"{Path(self.run_dir).name} has {state}: showing its final generator")

    def _on_run_chosen(self, index: int) -> None:
        path = self.run_combo.itemData(index)
        if path:
            self.load_run(path)

    def _open_run_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "runs", "Open a GAN run folder")
        if folder:
            self.load_run(folder)

    def load_run(self, run_dir) -> None:
        """Load a run's generator in a new render job (the previous one is stopped)."""
        self.stop()
        self.run_dir = str(Path(run_dir).resolve())
        from core.training.run_folder import RunFolder

        self._shown_state = RunFolder(self.run_dir).read_status().get("state")
        self._restore_pins = None
        self.info = None
        self.pin_set = Pins()
        self._set_enabled(False)
        self.grid_view.clear("Loading the generator…")
        self.preview.set_pixmap(None)
        self.status_label.setText(f"Loading {Path(self.run_dir).name}…")
        self.mailbox = LatestRequests()
        self._generation += 1
        generation = self._generation
        self.handle = self.bridge.start(render_job(self.run_dir, self.mailbox, DIRECTIONS), "GAN explorer",
                                        on_event=lambda event: self._on_event(event, generation),
                                        report_errors=False, background=True)
        self.refresh_runs()

    def stop(self) -> None:
        self.play_button.setChecked(False)
        if self.handle is not None and not self.handle.finished:
            self.handle.cancel()
        self.handle = None

    def shutdown(self) -> None:
        self.stop()

    # requests -------------------------------------------------------------------------------------------
    @property
    def psi(self) -> float:
        return self.truncation.value() / 100.0

    @property
    def class_id(self) -> int | None:
        return self.class_combo.currentData()

    @property
    def seeds(self) -> tuple[int, ...]:
        base = self.seed_spin.value()
        return tuple(range(base, base + int(self.count_combo.currentData())))

    @property
    def columns(self) -> int:
        return int(round(len(self.seeds) ** 0.5))

    @property
    def amounts(self) -> tuple[float, ...]:
        return tuple(s.value() / 100.0 * DIRECTION_RANGE for s in self.direction_sliders)

    def request_grid(self, *_) -> None:
        if self.info is None or self.mailbox is None:
            return
        self.mailbox.post(GridRequest(self.seeds, self.psi, self.class_id))

    @property
    def pins(self) -> list[int]:
        """Seeds of pin A (and B)."""
        return self.pin_set.seeds

    @property
    def preview_class(self) -> int | None:
        return self.pin_set.preview_class(self.class_id)

    def request_preview(self, interpolate: bool = False) -> None:
        if self.info is None or self.mailbox is None or not self.pins:
            return
        if interpolate and self.pin_set.both:
            request = PreviewRequest(self.pin_set.a, self.pin_set.b, t=self.interp_slider.value() / SLIDER_STEPS,
                                     psi=self.psi, class_id=self.preview_class)
        else:
            request = PreviewRequest(self.pin_set.a, psi=self.psi, class_id=self.preview_class, amounts=self.amounts)
        self.mailbox.post(request)

    def reroll(self) -> None:
        self.seed_spin.setValue(random.randrange(0, 1_000_000) * 100)

    # pins -----------------------------------------------------------------------------------------------
    def toggle_pin(self, index: int) -> None:
        classes = len(self.info.class_names) if self.info is not None and self.info.class_names else 0
        self.pin_set.toggle(self.seeds[index], index, classes)
        self._update_pin_controls()
        self.request_preview()

    def clear_pins(self) -> None:
        self.pin_set.clear()
        self.preview.set_pixmap(None)
        self.preview_image = None
        self._update_pin_controls()

    def _update_pin_controls(self) -> None:
        self.pin_label.setText(self.pin_set.label())
        self.grid_view.set_pinned(self.pin_set.marks(self.seeds))
        ready = self.info is not None
        two = ready and self.pin_set.both
        for widget in (self.interp_slider, self.play_button, self.export_gif_button):
            widget.setEnabled(two)
        for widget in (*self.direction_sliders, self.reset_directions_button):
            widget.setEnabled(ready and bool(self.pins))
        self.clear_pins_button.setEnabled(ready and bool(self.pins))
        if not two:
            self.play_button.setChecked(False)

    # control handlers -------------------------------------------------------------------------------------
    def _on_truncation(self, value: int) -> None:
        self.truncation_label.setText(f"ψ {value / 100:.2f}")
        self.request_grid()
        self.request_preview()

    def _on_class(self, *_) -> None:
        self.request_grid()
        self.request_preview()

    def _on_interp(self, *_) -> None:
        self.request_preview(interpolate=True)

    def _on_direction(self, *_) -> None:
        self.request_preview()

    def reset_directions(self) -> None:
        for slider in self.direction_sliders:
            slider.blockSignals(True)
            slider.setValue(0)
            slider.blockSignals(False)
        self.request_preview()

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self._play_timer.start()
        else:
            self._play_timer.stop()

    def _advance(self) -> None:
        value = self.interp_slider.value() + 2 * self._play_direction
        if value >= SLIDER_STEPS or value <= 0:  # bounce between A and B
            self._play_direction *= -1
            value = max(0, min(SLIDER_STEPS, value))
        self.interp_slider.setValue(value)

    # events from the render job -------------------------------------------------------------------------------
    def _on_event(self, event, generation: int) -> None:
        if generation != self._generation or self.handle is None:
            return  # a stopped job's late events
        if isinstance(event, Loaded):
            self._on_loaded(event)
        elif isinstance(event, Rendered):
            self._on_rendered(event)
        elif isinstance(event, Exported):
            self.status_message.emit(f"Wrote {event.frames} frames to {event.path}")
            self.status_label.setText(f"Exported {event.path}")
        elif isinstance(event, Message):
            self.status_message.emit(event.text)
        elif isinstance(event, Failed):
            self.grid_view.clear("Could not load this run")
            self.status_label.setText(f"Could not load the generator: {event.error}")
            self.status_message.emit(event.error)
            self.info = None
        elif isinstance(event, Finished):
            pass

    def _on_loaded(self, info: Loaded) -> None:
        self.info = info
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        if info.class_names:
            self.class_combo.addItem("All classes (cycling)", None)
            for index, name in enumerate(info.class_names):
                self.class_combo.addItem(name, index)
        else:
            self.class_combo.addItem("(unconditional)", None)
        self.class_combo.blockSignals(False)
        for label, share, index in zip(self.direction_labels, list(info.explained) + [0.0] * DIRECTIONS,
                                       range(DIRECTIONS), strict=False):
            label.setText(f"PC{index + 1} ({share * 100:.0f}%)" if index < len(info.explained) else f"PC{index + 1}")
        self._set_enabled(True)
        self.class_combo.setEnabled(bool(info.class_names))
        colour = "colour" if info.channels == 3 else "grayscale"
        classes = f", {len(info.class_names)} classes" if info.class_names else ""
        self.status_label.setText(f"{Path(info.run_dir).name}: {info.size} px {colour}, latent {info.latent_dim}"
                                  f"{classes} — weights {Path(info.source).name}. Click a sample to pin it."
                                  + (" Still training: the final generator loads when the run ends."
                                     if self._shown_state in LIVE_STATES else ""))
        if self._restore_pins is not None:
            self.pin_set, self._restore_pins = self._restore_pins, None
            self._update_pin_controls()
            self.request_preview()
        self.loaded.emit(info)
        self.request_grid()

    def _on_rendered(self, event: Rendered) -> None:
        request = event.request
        if isinstance(request, GridRequest):
            self.grid_images = np.asarray(event.images)
            self.rendered_seeds, self.rendered_class = request.seeds, request.class_id
            self.grid_view.set_images(self.grid_images, int(round(len(request.seeds) ** 0.5)))
            self._update_pin_controls()
            now = time.perf_counter()
            self.render_times = [t for t in self.render_times if now - t < 2.0] + [now]
        else:
            self.preview_image = np.asarray(event.images[0])
            from PySide6.QtGui import QPixmap

            self.preview.set_pixmap(QPixmap.fromImage(rgb_to_qimage(
                np.repeat(self.preview_image, 3, axis=-1) if self.preview_image.shape[-1] == 1
                else self.preview_image)))
        self.rendered.emit(event)

    # export ------------------------------------------------------------------------------------------------
    def export_png(self, path) -> Path | None:
        """Save the grid as rendered (each sample at 2x, crisp pixels)."""
        if self.grid_images is None:
            return None
        from core.gan.explore import save_png

        picture = compose(np.repeat(np.repeat(self.grid_images, 2, axis=1), 2, axis=2), self.columns)
        written = save_png(picture, path)
        self.status_message.emit(f"Saved the grid to {written}")
        return written

    def export_gif(self, path, frames: int = 24) -> bool:
        if not self.pin_set.both or self.mailbox is None:
            return False
        self.mailbox.post(GifRequest(self.pin_set.a, self.pin_set.b, str(path), frames, self.psi, self.preview_class))
        return True

    def _export_png_dialog(self) -> None:
        path = file_dialogs.save_file(self, "exports", "Export grid", "samples.png", "PNG (*.png)")
        if path:
            self.export_png(path)

    def _export_gif_dialog(self) -> None:
        path = file_dialogs.save_file(self, "exports", "Export interpolation", "interpolation.gif", "GIF (*.gif)")
        if path:
            self.export_gif(path)

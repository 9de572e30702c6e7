"""The Segment panel: click segmentation, brush, eraser and fill on a multi-object label map.

A view of a ``core.segmentation.session.SegmentationSession``, which owns the label map, the object being
edited, the one undo/redo history and where the mask is saved. Clicks go to the click segmenter on its own
thread (``ObjectWorker``, latest request wins); every change is autosaved in the background.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QWidget,
)

from core.pixel_readout import describe_pixel
from core.segmentation.autosave import Autosaver
from core.segmentation.export import export_segmentation
from core.segmentation.label_map import Region, fill_region
from core.segmentation.session import SegmentationSession
from core.workspace import Workspace
from gui.canvas import ImageScene
from gui.segment.markers import ClickMarkers
from gui.segment.object_list import ObjectListMixin
from gui.segment.object_worker import AcceptedObject, ObjectResult, ObjectWorker
from gui.segment.segment_ui import setup_ui
from gui.widgets import file_dialogs
from gui.widgets.frame_bar import FrameState
from gui.workers import WorkerBridge

INLINE_FILL_PIXELS = 2_000_000  # larger maps are filled on a worker
SCRIBBLE_RADIUS = 2.0  # image pixels on each side of a scribble that become seeds

class SegmentPanel(ObjectListMixin, QWidget):
    status_message = Signal(str)
    mask_saved = Signal(str)  # path, after each autosave
    workspace_images_changed = Signal()  # an image was copied into the workspace
    image_set = Signal()  # set_image ran: a new image, or another frame of the stack
    retrain_requested = Signal(object, object)  # RunConfig, base run dir: "Retrain with my masks"
    _saved_from_thread = Signal(str)
    _save_failed_from_thread = Signal(str, str)

    def __init__(self, scene: ImageScene, bridge: WorkerBridge | None = None, workspace: Workspace | None = None,
                 parent=None, frames: FrameState | None = None):
        super().__init__(parent)
        # the open stack's frames, shared with the Image panel (which decodes them); this panel's edits are
        # flushed to disk before a frame's mask is read back
        self.frames = frames if frames is not None else FrameState(self)
        self.frames.before_mask = lambda: self.autosaver.flush(10)
        self.scene = scene
        self.bridge = bridge
        self.rgb: np.ndarray | None = None
        self.loaded = None  # the core.imageio.LoadedImage shown, for the pixel readout (stored values)
        self.last_result: ObjectResult | None = None
        self.last_saved: str | None = None
        self._generation = 0
        self.markers = ClickMarkers(scene)
        self.worker = ObjectWorker(self)
        self.worker.result.connect(self._on_result)
        self.worker.accepted.connect(self._on_accepted)
        self.worker.ready.connect(self._on_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.restarted.connect(self._on_worker_restarted)
        self.session = SegmentationSession(self.worker, self.markers, on_labels=self._labels_changed,
                                           on_current=lambda label: self._push_style())
        self.session.workspace = workspace
        self.autosaver = Autosaver(interval=0.5, on_saved=lambda p: self._saved_from_thread.emit(str(p)),
                                   on_error=lambda p, e: self._save_failed_from_thread.emit(str(p), str(e)))
        self._saved_from_thread.connect(self._on_saved)
        self._save_failed_from_thread.connect(self._on_save_failed)
        setup_ui(self)
        scene.opacity_changed.connect(lambda opacity: self.opacity_slider.setValue(round(opacity * 100)))
        scene.label_colors_changed.connect(self._on_label_colors)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in self.controls:
            widget.setEnabled(enabled)
        if enabled:
            self._update_buttons()

    # the session's state, as the panel shows it --------------------------------------------------------
    @property
    def label_map(self):
        return self.session.label_map

    @property
    def current_label(self) -> int:
        return self.session.current_label

    @property
    def image_path(self) -> Path | None:
        return self.session.image_path

    @property
    def workspace(self) -> Workspace | None:
        return self.session.workspace

    # image ------------------------------------------------------------------------------------------
    def set_workspace(self, workspace: Workspace) -> None:
        self.autosaver.flush(5)
        self.session.workspace = workspace
        self.model_tools.set_workspace(workspace)

    def set_image(self, rgb: np.ndarray | None, path: str | Path | None = None, labels: np.ndarray | None = None,
                  names: dict | None = None, loaded=None, frame: int | None = None) -> None:
        """Segment a new image (``labels``/``names``: its existing label map, e.g. the workspace mask;
        ``loaded``: its core.imageio.LoadedImage, so the pixel readout shows stored values; ``frame``: which
        frame of the stack at ``path`` it is, with a mask of its own)."""
        self.rgb = rgb
        self.loaded = loaded if rgb is not None else None
        self.contrast.attach(self.loaded, str(path or ""))
        self.model_tools.set_image(rgb)
        self.instance_tools.forget_report()
        self.session.set_image(rgb.shape[:2] if rgb is not None else None, path, labels, names, frame)
        self.last_result = None
        self.scene.set_object_overlay(None)
        if rgb is None:
            self._generation = self.worker.set_image(None)
            self._set_enabled(False)
            self.save_status.setText("No image.")
            self._refresh_labels()
            self.image_set.emit()
            return
        self.scene.set_labels(self.label_map.labels)  # the scene shows the very array the edits change
        self._generation = self.worker.set_image(rgb)
        self._push_style()
        self._set_enabled(False)
        self.save_status.setText("Preparing the image for click segmentation…")
        self._refresh_labels()
        self.image_set.emit()

    def adopt_labels(self, labels: np.ndarray, names: dict | None = None) -> bool:
        """A label map loaded for this image replaces the current one (one undoable step)."""
        return self.session.adopt_labels(labels, names)

    def clear_labels(self) -> bool:
        """Every label of this image goes (one undoable step); False when there was nothing to clear."""
        if not self.session.clear_labels():
            return False
        self._refresh_labels()
        self.status_message.emit("Labels cleared: Undo (Ctrl+Z) brings them back.")
        return True

    def adopt_prediction(self, labels: np.ndarray, names: dict) -> None:
        """A model's prediction replaces the label map (one undoable step); its first object becomes the
        one the clicks correct."""
        if not self.adopt_labels(labels, names):
            self.status_message.emit("The prediction does not fit this image (it changed meanwhile).")
            return
        present = [int(v) for v in np.unique(labels) if v]
        if present:
            self.select_label(present[0])
            self._refresh_labels()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.model_tools.refresh_runs()  # runs trained since the panel was last shown
        super().showEvent(event)

    def _on_worker_failed(self, message: str) -> None:
        self.status_message.emit(message)
        self.save_status.setText(message)

    def _on_worker_restarted(self, generation: int) -> None:
        if generation == self._generation:
            self.session.drop_object_steps()
            self.last_result = None
            self.scene.set_object_overlay(None)
            self._update_buttons()

    def _on_ready(self, generation: int) -> None:
        if generation != self._generation or self.rgb is None:
            return
        self._set_enabled(True)
        where = self.mask_path()
        self.save_status.setText(f"Masks are saved as you work to {where}." if where else "Masks are not saved.")

    def mask_path(self) -> Path | None:
        return self.session.mask_path()

    # tools ------------------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.tool_buttons[tool].setChecked(True)
        self.view.set_tool(tool)

    def _on_brush_size(self, value: int) -> None:
        self.view.brush_radius = float(value)
        self.brush_label.setText(f"Brush radius: {value} px  ([ and ])")

    def add_click(self, row: float, col: float, positive: bool = True) -> None:
        self.session.click(row, col, positive)
        self._update_buttons()

    def add_scribble(self, points, positive: bool = True) -> None:
        """A scribble with the click tool: every pixel along it is a seed for (or against) the object."""
        self.session.scribble(points, positive, SCRIBBLE_RADIUS)
        self._update_buttons()

    def _stroke_start(self, row: float, col: float, erase: bool) -> None:
        self.session.stroke_start(row, col, self.view.brush_radius, erase)

    def _stroke_move(self, row: float, col: float) -> None:
        self.session.stroke_move(row, col, self.view.brush_radius)

    def _stroke_end(self) -> None:
        self.session.stroke_end()
        self._update_buttons()

    def fill(self, row: int, col: int) -> None:
        """Fill at (row, col): at once on small maps, on a worker on large ones (labelling 12 Mpx takes
        a quarter of a second); an edit made meanwhile is not lost, the fill lands on top of it."""
        if self.label_map is None:
            return
        label = self.current_label
        if self.label_map.labels.size <= INLINE_FILL_PIXELS or self.bridge is None:
            self._apply_fill(*fill_region(self.label_map.labels, row, col), label)
            return
        labels = self.label_map.labels.copy()
        label_map = self.label_map
        self.bridge.start(lambda token, emit: fill_region(labels, row, col), "fill",
                          on_event=lambda event: self._on_fill_event(event, label_map, label))

    def _on_fill_event(self, event, label_map, label) -> None:
        result = getattr(event, "result", None)
        if result is not None and label_map is self.label_map:
            self._apply_fill(*result, label)

    def _apply_fill(self, region, selected, label) -> None:
        self.session.apply_fill(region, selected, label)

    def accept_object(self) -> None:
        if self.label_map is None or self.last_result is None or not self.last_result.has_object:
            self.status_message.emit("Nothing to accept: click on an object first.")
            return
        name = self.label_map.names.get(self.current_label)
        self.worker.submit("accept", self.current_label, name)

    def _on_accepted(self, accepted: AcceptedObject) -> None:
        if accepted.generation != self._generation or self.label_map is None:
            return
        self.session.accepted(accepted.label, accepted.mask, accepted.name, accepted.region, accepted.interactions)
        self.status_message.emit(f"Accepted {self.label_map.names.get(accepted.label)}; "
                                 "click on the next object.")

    def clear_object(self) -> None:
        self.session.clear_object()
        self._update_buttons()

    def undo(self) -> None:
        self.session.undo()
        self._update_buttons()

    def redo(self) -> None:
        self.session.redo()
        self._update_buttons()

    # objects ----------------------------------------------------------------------------------------
    def new_object(self) -> None:
        self.session.new_object()
        self._refresh_labels()

    def delete_current(self) -> None:
        self.session.delete_current()
        self._refresh_labels()

    def select_label(self, label: int) -> None:
        """Make ``label`` the object being edited; an existing object becomes the prior the clicks correct."""
        self.session.select(label)
        self._update_buttons()

    # results and saving -----------------------------------------------------------------------------
    def _on_hover(self, pixel) -> None:
        """The status-bar readout under the mouse, as in the Image panel, with the object's name."""
        if pixel is None or self.rgb is None or self.label_map is None:
            return
        row, col = pixel
        if self.loaded is not None and self.loaded.rgb.shape == self.rgb.shape:
            text = describe_pixel(self.loaded, self.label_map.labels, row, col, self.contrast.shown_rgb(row, col))
        else:
            r, g, b = (int(v) for v in self.rgb[row, col])
            text = f"x {col}, y {row} · RGB ({r}, {g}, {b}) · label {int(self.label_map.labels[row, col])}"
        name = self.label_map.names.get(int(self.label_map.labels[row, col]))
        self.status_message.emit(text + (f" ({name})" if name else ""))

    def _push_style(self) -> None:
        color = self.scene.colors[self.current_label]
        self.worker.set_style(color, self.probability_check.isChecked())

    def _on_result(self, result: ObjectResult) -> None:
        if result.generation != self._generation:
            return
        self.last_result = result
        self.scene.set_object_overlay(result.picture, 1.0 / result.work_scale)
        # no clicks yet (a new object): no update was timed, say nothing rather than "0 ms · 0 clicks"
        self.timing_label.setText(f"Last update {result.seconds * 1000:.0f} ms"
                                  f" · {result.interactions} click{'s' if result.interactions != 1 else ''}"
                                  if result.interactions else "")
        self._update_buttons()

    def _labels_changed(self, region: Region, names_changed: bool) -> None:
        """The session changed the label map: redraw what changed, and save it."""
        if self.scene.labels is not self.label_map.labels:  # a new image dropped the scene's overlay
            self.scene.set_labels(self.label_map.labels)
        elif not region.empty:
            self.scene.update_labels_region(region.top, region.left, region.bottom, region.right)
        if names_changed:
            self._refresh_labels()
        self._update_buttons()
        self._autosave()

    def _autosave(self) -> None:
        path = self.mask_path()
        if path is None or self.label_map is None:
            return
        copied = self.session.ensure_image_in_workspace()
        if copied is not None:
            self.status_message.emit(f"Copied {copied.name} into the workspace so its mask is kept with it.")
            self.workspace_images_changed.emit()
        label_map = self.label_map
        self.autosaver.submit_snapshot(path, lambda: (label_map.labels.copy(), dict(label_map.names)))

    def save_now(self) -> bool:
        self._autosave()
        done = self.autosaver.flush(10)
        return done

    def _on_saved(self, path: str) -> None:
        self.last_saved = path
        self.save_status.setText(f"Saved {time.strftime('%H:%M:%S')} to {path}")
        self.mask_saved.emit(path)

    def _on_save_failed(self, path: str, error: str) -> None:
        self.save_status.setText(f"Could not save {path}: {error}. Your edits are kept; fix the folder and "
                                 "press Save.")
        self.status_message.emit(f"Could not save the mask: {error}")

    def _export_dialog(self) -> None:
        folder = file_dialogs.existing_folder(self, "exports", "Export masks and overlay")
        if folder:
            self.export(folder)

    def export(self, folder: str | Path):
        """Per-object binary PNGs and the overlay picture into ``folder``, written on a worker."""
        if self.label_map is None or self.rgb is None or self.bridge is None:
            return None
        stem = self.image_path.stem if self.image_path else "image"
        labels = self.label_map.labels.copy()
        names = dict(self.label_map.names)
        rgb = self.rgb
        colors = self.scene.colors.copy()
        opacity = self.scene.overlay_opacity
        return self.bridge.start(
            lambda token, emit: export_segmentation(folder, stem, rgb, labels, names, colors, opacity),
            "export masks",
            on_event=lambda event: self._on_export_event(event, folder))

    def _on_export_event(self, event, folder) -> None:
        result = getattr(event, "result", None)
        if result is not None:
            self.status_message.emit(f"Exported {len(result)} files to {folder}")

    def _update_buttons(self) -> None:
        if self.label_map is None:
            return
        self.undo_button.setEnabled(self.session.can_undo)
        self.redo_button.setEnabled(self.session.can_redo)
        has_object = bool(self.last_result and self.last_result.has_object)
        self.accept_button.setEnabled(has_object)
        self.clear_button.setEnabled(bool(self.last_result and self.last_result.interactions))
        self.delete_button.setEnabled(self.current_label in self.label_map.names)

    def shutdown(self) -> None:
        self.worker.close()
        self.autosaver.close()

    def refresh_runs(self) -> None:
        """The runs folder changed: the model tools list the segmentation runs again."""
        self.model_tools.refresh_runs()

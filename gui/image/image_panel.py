"""The Image panel: browse images (workspace, folders, opened files), view them with zoom and pan, inspect
pixels, and show a label overlay with opacity and per-label colours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QListWidgetItem,
    QWidget,
)

from core.image_info import image_info_rows
from core.imageio import LoadedImage, list_images
from core.jobs import Failed, Finished, Images, Message
from core.maskio import LoadedMask, read_mask
from core.pathtext import safe_text
from core.pixel_readout import describe_pixel
from core.thumbnails import StackDepth, thumbnails_job
from core.workspace import Workspace
from gui.canvas import ImageScene
from gui.image.image_ui import THUMB_SIZE, setup_ui
from gui.image.path_roles import path_from_role, path_to_role
from gui.image_loading import LoadResult, load_entry, load_frame
from gui.widgets.frame_bar import FrameState
from gui.widgets.thumbnail_icons import square_thumbnail
from gui.workers import WorkerBridge

PATH_ROLE = Qt.ItemDataRole.UserRole
class ImagePanel(QWidget):
    status_message = Signal(str)  # hover readout and short notices for the status bar
    image_loaded = Signal(object)  # LoadedImage
    path_opened = Signal(str)  # a file or folder the user opened (for the recent list)
    load_failed = Signal(str, str)  # path, message
    mask_loaded = Signal(object)  # LoadedMask the user loaded for the current image ("Load mask…")
    load_mask_requested = Signal()  # "Load mask…" pressed: the window owns the file dialog
    # The label overlay is the Segment panel's: this panel reads masks and asks, it never writes the map.
    clear_labels_requested = Signal()  # "Clear labels" pressed

    def __init__(self, scene: ImageScene, bridge: WorkerBridge, workspace: Workspace, parent=None,
                 frames: FrameState | None = None):
        super().__init__(parent)
        self.scene = scene
        self.bridge = bridge
        self.workspace = workspace
        self.current: LoadedImage | None = None
        self.current_path: Path | None = None
        self.current_frame: int | None = None  # the frame shown, when the image is a stack
        # the open stack's frames (shared with the Segment panel's slider); this panel decodes them
        self.frames = frames if frames is not None else FrameState(self)
        self.frames.decode_requested.connect(self._decode_frame)
        self.stack = None  # the core.stacks.ImageStack shown, if any
        self._depths: dict[str, int] = {}  # frames of the listed stacks, from the thumbnails job
        self.mask_report = None
        self.shown_mask: LoadedMask | None = None  # the mask read with the image shown, or loaded for it
        self._request = 0
        self._thumb_jobs: list = []  # thumbnail jobs of the list shown (the listing, then each Open)
        self._source_folder: Path | None = None
        self._source_title = ""
        self._opened_count = 0  # files opened on top of the listing
        setup_ui(self)
        # the label list follows the map the Segment panel writes: at most every 200 ms, and only when seen
        self._label_list_timer = QTimer(self, singleShot=True, interval=200, timeout=self._update_label_list)
        scene.overlay_changed.connect(lambda: self._label_list_timer.start() if self.isVisible() else None)
        scene.opacity_changed.connect(lambda opacity: self.opacity_slider.setValue(round(opacity * 100)))
        scene.label_colors_changed.connect(self._update_label_list)
        self._update_label_list()
        self.show_workspace()

    # image list --------------------------------------------------------------------------------------
    def show_workspace(self) -> None:
        self._source_folder = None
        self._set_source("Workspace", self.workspace.images_dir)
        self._set_list(self.workspace.items())  # images, and stacks (sequence folders) as one entry
        if not self.image_list.count():
            self.status_message.emit("The workspace has no images yet: File ▸ Open Images… (Ctrl+O) or drop "
                                     "pictures on the window.")

    def workspace_images_changed(self) -> None:
        """Images were added to the workspace (e.g. an opened file copied in when first segmented): list
        them if the list shows the workspace, keeping the selection."""
        if self._source_folder is not None:
            return
        new = [path for path in self.workspace.items() if str(path) not in self._items]
        for path in new:
            self._add_item(path)
        self._start_thumbnails(new)

    def _set_source(self, title: str, path: Path) -> None:
        self._source_title = title
        self._opened_count = 0
        self.source_label.setText(f"<b>{title}</b>")
        self.source_path.setText(str(path))

    def show_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            self.load_failed.emit(str(folder), f"{folder}: not a folder")
            return
        self._source_folder = folder
        images = list_images(folder)
        self._set_source(f"Folder ({len(images)} image{'s' if len(images) != 1 else ''})", folder)
        self.path_opened.emit(str(folder))
        self._set_list(images)
        if images:
            self.image_list.setCurrentRow(0)

    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.show_workspace()

    def list_paths(self) -> list[Path]:
        return [path_from_role(self.image_list.item(i).data(PATH_ROLE)) for i in range(self.image_list.count())]

    def _set_list(self, paths: list[Path]) -> None:
        for job in self._thumb_jobs:
            job.cancel()
        self._thumb_jobs = []
        self.image_list.blockSignals(True)
        self.image_list.clear()
        self.image_list.blockSignals(False)
        self._items: dict[str, QListWidgetItem] = {}
        for path in paths:
            self._add_item(Path(path))
        self._start_thumbnails(paths)

    def _add_item(self, path: Path) -> QListWidgetItem:
        key = str(path)
        if key in getattr(self, "_items", {}):
            return self._items[key]
        item = QListWidgetItem(self._placeholder_icon, safe_text(path.name))
        item.setData(PATH_ROLE, path_to_role(key))
        item.setToolTip(safe_text(key))
        self.image_list.addItem(item)
        self._items[key] = item
        return item

    def _start_thumbnails(self, paths: list[Path]) -> None:
        if not paths:
            return
        handle = self.bridge.start(thumbnails_job(paths, THUMB_SIZE), "thumbnails", report_errors=False)
        handle.event.connect(lambda event, h=handle: self._on_thumbnail_event(event, h))
        self._thumb_jobs.append(handle)

    def _on_thumbnail_event(self, event, handle=None) -> None:
        if handle is not None and handle not in self._thumb_jobs:
            return  # a job of a list that has since been replaced
        if isinstance(event, StackDepth):
            self._depths[event.path] = event.frames  # comes just before the stack's thumbnail
        elif isinstance(event, Images):
            for path, thumb in event.images:
                item = self._items.get(path)
                if item is not None:
                    depth = self._depths.get(path, 1)
                    item.setIcon(QIcon(square_thumbnail(thumb, THUMB_SIZE, depth)))
                    if depth > 1:
                        item.setToolTip(f"{safe_text(path)}\nstack of {depth} frames")
        elif isinstance(event, Message):
            path, _, reason = event.text.partition("\t")
            item = self._items.get(path)
            if item is not None:
                item.setIcon(self._error_icon)
                item.setToolTip(f"{safe_text(path)}\n{reason}")
        elif isinstance(event, Finished | Failed) and handle in self._thumb_jobs:
            self._thumb_jobs.remove(handle)

    def _on_current_item(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.load(path_from_role(item.data(PATH_ROLE)))

    # opening -----------------------------------------------------------------------------------------
    def open_paths(self, paths: list[str | Path], sequences: bool = False) -> None:
        """Open files and folders (from a dialog, drag and drop or the recent list). ``sequences``: a folder
        is a numbered image sequence, opened as one stack, rather than a folder to list."""
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir() and not sequences:
                self.show_folder(path)
                return
            files.append(path)
        if not files:
            return
        new = [path for path in files if str(path) not in self._items]
        for path in new:
            self._add_item(path)
        self._start_thumbnails(new)  # opened files get thumbnails like listed ones
        self._opened_count += len(new)
        count = self._opened_count
        self.source_label.setText(f"<b>{self._source_title}</b> + {count} opened file{'s' if count != 1 else ''}")
        for path in files:
            self.path_opened.emit(str(path))
        self.select_path(files[0])

    def select_path(self, path: Path) -> None:
        item = self._items.get(str(path)) or self._add_item(path)
        if self.image_list.currentItem() is item:
            self.load(path)
        else:
            self.image_list.setCurrentItem(item)

    def load(self, path: Path) -> None:
        """Load in a worker; the latest request wins, stale results are dropped."""
        self._request += 1
        request = self._request
        workspace = self.workspace if self._is_in_workspace(path) else None
        remembered = self.contrast.remembered(str(path))
        self.status_message.emit(f"Loading {safe_text(path.name)}…")
        self.bridge.start(lambda token, emit: load_entry(path, workspace, remembered),
                          f"load {safe_text(path.name)}",
                          on_event=lambda event: self._on_load_event(request, path, event), report_errors=False)

    def _is_in_workspace(self, path: Path) -> bool:
        try:
            return path.resolve().parent == self.workspace.images_dir.resolve()
        except OSError:
            return False

    def _on_load_event(self, request: int, path: Path, event) -> None:
        if request != self._request:
            return
        if isinstance(event, Failed):
            item = self._items.get(str(path))
            if item is not None:
                item.setIcon(self._error_icon)
                item.setToolTip(f"{safe_text(str(path))}\n{event.error}")
            self._show_failure(path, event.error)
            self.status_message.emit(f"Could not open {safe_text(path.name)}")
            self.load_failed.emit(str(path), event.error)
        elif isinstance(event, Finished) and event.result is not None:
            self._show_result(path, event.result)

    def _show_failure(self, path: Path, error: str) -> None:
        """Show nothing rather than a previous image under the wrong name; the reason stays visible."""
        self.current = None
        self.current_path = path
        self.mask_report = None
        self.shown_mask = None
        self.scene.set_image(None)
        for label in self.info_labels.values():
            label.setText("—")
        self.info_labels["File"].setText(safe_text(path.name))
        self.info_labels["Notes"].setText(error.split(": ", 1)[-1])
        self.mask_status.setText("No mask shown.")
        self._update_label_list()
        self.stack, self.current_frame = None, None
        self.frames.navigator.close()

    def _show_result(self, path: Path, result: LoadResult, opened: bool = True) -> None:
        """Show a loaded entry (``opened``) or another frame of the open stack (zoom and pan stay)."""
        self.current = result.image
        self.current_path = path
        self.stack, self.current_frame = result.stack, result.frame
        self.scene.set_image(result.image.rgb, result.qimage, keep_view=not opened)
        self.contrast.adopt(result.image, str(path), result.display)
        if opened:
            stack = result.stack
            self.frames.stack = stack
            self.frames.navigator.open(len(stack) if stack is not None else 1,
                                       stack.frame_name if stack is not None else (), result.frame or 0)
        meta = result.image.meta
        self.info_labels["File"].setText(safe_text(path.name))
        self.info_labels["File"].setToolTip(safe_text(str(path)))
        for row, text in image_info_rows(meta, result.stack, result.frame).items():
            self.info_labels[row].setText(text)
        if result.mask is not None:
            self._note_mask(result.mask)  # shown by the Segment panel, which image_loaded hands it to
        else:
            self.mask_report = None
            self.shown_mask = None
            self.mask_status.setText(result.mask_error or
                                     ("No mask for this frame." if result.stack is not None else "No mask for this image."))
        where = f", {self.frames.navigator.describe(result.frame)}" if result.stack is not None else ""
        self.status_message.emit(f"{path.name}{where}: {meta.width} × {meta.height}, {meta.format} {meta.mode}")
        self.image_loaded.emit(result.image)

    # frames of a stack -------------------------------------------------------------------------------
    def _decode_frame(self, index: int) -> None:
        """Decode frame ``index`` of the open stack and read its mask, on a worker. The navigator asks for
        one frame at a time, the latest wanted: scrolling fast decodes a few frames, not every one."""
        stack, path, request = self.stack, self.current_path, self._request
        if stack is None:
            self.frames.navigator.failed(index)
            return
        workspace = self.workspace if self._is_in_workspace(path) else None
        before_mask, remembered = self.frames.before_mask, self.contrast.remembered(str(path))
        self.bridge.start(lambda token, emit: load_frame(stack, index, workspace, before_mask, remembered),
                          f"frame {index + 1} of {safe_text(path.name)}", report_errors=False,
                          on_event=lambda event: self._on_frame_event(request, path, index, event))

    def _on_frame_event(self, request: int, path: Path, index: int, event) -> None:
        if request != self._request:
            return  # another entry was opened meanwhile (the navigator forgot this decode)
        if isinstance(event, Failed):
            self.frames.navigator.failed(index)
            self.status_message.emit(f"Could not read frame {index + 1} of {safe_text(path.name)}: {event.error}")
        elif isinstance(event, Finished) and event.result is not None and self.frames.navigator.decoded(index):
            self._show_result(path, event.result, opened=False)

    # overlay ----------------------------------------------------------------------------------------
    def load_mask_file(self, path: str | Path) -> None:
        if self.current is None:
            self.load_failed.emit(str(path), "Open an image before loading its mask.")
            return
        size = (self.current.meta.width, self.current.meta.height)
        request = self._request
        self.bridge.start(lambda token, emit: read_mask(path, expected_size=size), "load mask",
                          on_event=lambda event: self._on_mask_event(request, Path(path), event),
                          report_errors=False)

    def _on_mask_event(self, request: int, path: Path, event) -> None:
        if request != self._request:
            return
        if isinstance(event, Failed):
            self.load_failed.emit(str(path), event.error)
        elif isinstance(event, Finished) and event.result is not None:
            self._note_mask(event.result)
            self.mask_loaded.emit(event.result)  # the window hands it to the Segment panel, which shows it

    def _note_mask(self, mask: LoadedMask) -> None:
        self.shown_mask = mask
        self.mask_report = mask.report
        notes = "; ".join(mask.report.notes)
        self.mask_status.setText(f"Mask: {mask.report.kind}, classes {list(mask.report.classes)}"
                                 + (f"\n{notes}" if notes else ""))

    def request_clear_labels(self) -> None:
        if self.scene.labels is None or not self.scene.labels.any():
            return
        self.shown_mask = None
        self.mask_report = None
        self.mask_status.setText("Labels cleared (Undo in the Segment panel brings them back).")
        self.clear_labels_requested.emit()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._update_label_list()  # labels painted in the Segment panel meanwhile
        super().showEvent(event)

    def _update_label_list(self) -> None:
        self.label_list.clear()
        labels = self.scene.labels
        if labels is None:
            return
        # bincount: the tab is refreshed on every visit, and np.unique sorts all 12 Mpx of a large map
        values = np.flatnonzero(np.bincount(labels.ravel())) if labels.dtype.kind == "u" else np.unique(labels)
        present = [int(v) for v in values if v != 0]
        names = self.mask_report.names if self.mask_report else {}
        for label in present:
            pixmap = QPixmap(16, 16)
            pixmap.fill(self.scene.label_color(label))
            item = QListWidgetItem(QIcon(pixmap), f"{label}  {names.get(label, '')}".rstrip())
            item.setData(PATH_ROLE, label)
            self.label_list.addItem(item)

    def _edit_label_color(self, item: QListWidgetItem) -> None:
        label = int(item.data(PATH_ROLE))
        color = QColorDialog.getColor(self.scene.label_color(label), self, f"Colour of label {label}")
        if color.isValid():
            self.set_label_color(label, color)

    def set_label_color(self, label: int, color: QColor) -> None:
        self.scene.set_label_color(label, color)  # the lists of both panels follow label_colors_changed

    def _on_opacity(self, value: int) -> None:
        self.scene.set_overlay_opacity(value / 100)

    # readouts ----------------------------------------------------------------------------------------
    def _on_hover(self, pixel) -> None:
        if pixel is None or self.current is None:
            return
        row, col = pixel
        labels = self.scene.labels
        if labels is not None and self.mask_report is None and not labels[row, col]:
            labels = None  # no mask: "label 0" would be the Segment panel's blank map, not a measurement
        text = describe_pixel(self.current, labels, row, col, self.contrast.shown_rgb(row, col))
        names = self.mask_report.names if self.mask_report is not None and self.mask_report.names else {}
        if labels is not None and int(labels[row, col]) in names:
            text += f" ({names[int(labels[row, col])]})"
        self.status_message.emit(text)

    def _on_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

"""The Segment panel's propagation: carry the accepted objects of the frame shown to the next frame(s) of a
stack, then show the next frame with them as the starting point the user corrects with clicks.

The work is ``core.segmentation.propagation_job.propagate_frames_job`` on a worker (frames decoded one at a
time from the open ``core.stacks.ImageStack``), with progress and Cancel. Each carried label map is saved
as that frame's mask (``masks/<stack>/<frame>.png``) as it is made, so a cancel keeps the frames done. The
next frame then opens with the carried map as one undoable step over the mask it had before (Undo takes
the propagation back on that frame), and its first object is selected: its mask is the click segmenter's
prior (as ``core.segmentation.propagation.start_segmenter`` does), so a click corrects it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.jobs import Failed, Finished, Progress
from core.segmentation.propagation_job import FramePropagated, propagate_frames_job
from gui.widgets.elided_label import ElidedLabel

NEXT_KEY, RANGE_KEY = "P", "Shift+P"


def _names_present(labels: np.ndarray, names: dict[int, str]) -> dict[int, str]:
    present = {int(v) for v in np.unique(labels) if v}
    return {label: name for label, name in names.items() if label in present}


class PropagateAction(QWidget):
    """A row next to the frame slider (shown with it). Works on ``panel.session`` (the frame shown and its
    label map) and ``panel.frames`` (the stack)."""

    message = Signal(str)

    def __init__(self, panel, bridge=None, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.bridge = bridge
        self.handle = None
        self.done: list[int] = []  # frames written by the running (or last) propagation
        self.lost: list[tuple[int, int]] = []  # (frame, label): objects that left the picture
        self._range_stack = None  # the stack the "to frame" box was set for
        self._arrival = None  # (frame, mask it had before, its names): to show once that frame is set
        self.next_button = QPushButton(f"Propagate to next ({NEXT_KEY})")
        self.next_button.setToolTip("Carry every accepted object of this frame to the next one, each by its own "
                                    f"motion, as the start to correct with clicks ({NEXT_KEY})")
        self.next_button.clicked.connect(lambda: self.propagate_next())
        self.to_frame = QSpinBox()
        self.to_frame.setPrefix("to frame ")
        self.to_frame.setToolTip("Last frame (1-based, as the slider counts) the range propagates to")
        self.range_button = QPushButton(f"Propagate range ({RANGE_KEY})")
        self.range_button.setToolTip("Carry the accepted objects frame after frame up to the frame chosen; "
                                     f"each frame's mask is replaced ({RANGE_KEY})")
        self.range_button.clicked.connect(lambda: self.propagate_range())
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the frame being carried; the frames done keep their masks")
        self.cancel_button.clicked.connect(self.cancel)
        self.status = ElidedLabel()  # the whole text is also in the status bar
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        for widget in (self.next_button, self.to_frame, self.range_button, self.progress, self.cancel_button):
            layout.addWidget(widget)
        layout.addWidget(self.status, 1)
        for key, slot in ((NEXT_KEY, self.propagate_next), (RANGE_KEY, self.propagate_range)):
            shortcut = QShortcut(QKeySequence(key), panel, activated=slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.controls = [self.next_button, self.to_frame, self.range_button]
        panel.frames.changed.connect(self.refresh)
        panel.image_set.connect(self._on_image_set)
        self._set_running(False)
        self.refresh()

    # state ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        nav = self.panel.frames.navigator
        self.setVisible(nav.is_stack)
        if not nav.is_stack:
            return
        frame = nav.shown
        self.to_frame.blockSignals(True)
        self.to_frame.setRange(min(frame + 2, nav.count), nav.count)
        if self._range_stack is not self.panel.frames.stack:  # a new stack: up to its end by default
            self._range_stack = self.panel.frames.stack
            self.to_frame.setValue(nav.count)
        self.to_frame.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        nav = self.panel.frames.navigator
        more = nav.is_stack and nav.shown < nav.count - 1 and self.handle is None
        for widget in self.controls:
            widget.setEnabled(more)

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.panel.frames.set_enabled(not running)  # the frames being written must not be opened meanwhile
        self._update_buttons()

    # actions ----------------------------------------------------------------------------------------
    def propagate_next(self):
        frame = self.panel.session.frame
        return None if frame is None else self.propagate(frame + 1)

    def propagate_range(self):
        return self.propagate(self.to_frame.value() - 1)

    def ask_range(self):
        """Propagate to frame…: ask which frame (1-based), then propagate."""
        nav = self.panel.frames.navigator
        if not nav.is_stack or self.panel.session.frame is None:
            return None
        value, ok = QInputDialog.getInt(self.panel, "Propagate to frame", f"Carry the objects up to frame "
                                        f"(of {nav.count}):", self.to_frame.value(), self.to_frame.minimum(),
                                        self.to_frame.maximum())
        return self.propagate(value - 1) if ok else None

    def propagate(self, stop: int):
        """Carry the accepted objects of the frame shown to frames frame+1 .. ``stop`` (0-based)."""
        panel, session, frames = self.panel, self.panel.session, self.panel.frames
        nav = frames.navigator
        if self.handle is not None or self.bridge is None:
            return None
        if not nav.is_stack or session.frame is None or session.label_map is None or frames.stack is None:
            return self._say("Propagation needs a stack (a multi-page TIFF, an animation or a sequence).")
        start, stop = session.frame, min(int(stop), nav.count - 1)
        if stop <= start:
            return self._say("This is the last frame: there is no next frame to propagate to.")
        labels, names = session.label_map.labels.copy(), dict(session.label_map.names)
        if not labels.any():
            return self._say("Nothing to propagate: accept an object on this frame first (click it, then Enter).")
        if session.mask_path() is None:
            return self._say("Propagation writes the frames' masks into the workspace: open a workspace first.")
        copied = session.ensure_image_in_workspace()
        if copied is not None:
            panel.workspace_images_changed.emit()
        from core.stacks.frame_masks import read_frame_mask, write_frame_mask

        workspace, stack_path, stack = session.workspace, session.workspace_image_path(), frames.stack
        size = (labels.shape[1], labels.shape[0])
        before: dict = {}  # filled on the worker before the first frame is written

        def save(index: int, carried: np.ndarray) -> None:
            if index == start + 1:
                mask = read_frame_mask(workspace, stack_path, index, expected_size=size)
                before["mask"] = mask
            write_frame_mask(workspace, stack_path, index, carried, _names_present(carried, names))

        carry = propagate_frames_job(lambda index: stack.frame(index).rgb, labels, start, stop, save=save)

        def job(token, emit):
            panel.autosaver.flush(10)  # the frame's last edits are on disk before its neighbours change
            return carry(token, emit)

        self.done, self.lost = [], []
        alive = {int(v) for v in np.unique(labels) if v}
        self.progress.setRange(0, stop - start)
        self.progress.setValue(0)
        self.progress.setFormat(f"frame %v / %m after frame {start + 1}")

        def on_event(event):
            nonlocal alive
            if isinstance(event, FramePropagated):
                present = {int(v) for v in np.unique(event.labels) if v}
                self.lost += [(event.index, label) for label in sorted(alive - present)]
                alive = present
                self.done.append(event.index)
                self.progress.setValue(len(self.done))
            elif isinstance(event, Progress):
                self.progress.setValue(event.done)
            elif isinstance(event, Finished | Failed):
                self._finished(event, start, before, names)

        self._say(f"Propagating {len(alive)} object{'s' if len(alive) != 1 else ''} from frame {start + 1} "
                  f"to {stop + 1}…")
        self.handle = self.bridge.start(job, f"propagate to frame {stop + 1}", on_event=on_event, total=stop - start)
        self._set_running(True)
        return self.handle

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    # results ----------------------------------------------------------------------------------------
    def _finished(self, event, start: int, before: dict, names: dict) -> None:
        self.handle = None
        self._set_running(False)
        if isinstance(event, Failed):
            kept = f" (frames {self.done[0] + 1}–{self.done[-1] + 1} were written)" if self.done else ""
            self._say(f"Propagation failed: {event.error}{kept}")
            return
        text = self._summary(event.cancelled, names)
        if not self.done:
            self._say(text)
            return
        mask = before.get("mask")
        self._arrival = (start + 1, mask.labels if mask is not None else None,
                         dict(mask.report.names or {}) if mask is not None else {}, text)
        self.panel.frames.go(start + 1)

    def _summary(self, cancelled: bool, names: dict) -> str:
        if not self.done:
            return "Propagation cancelled before the first frame: nothing was changed."
        frames = f"frame {self.done[0] + 1}" if len(self.done) == 1 else \
            f"frames {self.done[0] + 1}–{self.done[-1] + 1}"
        text = (f"Cancelled: {frames} propagated and saved." if cancelled else
                f"Propagated to {frames}: correct with clicks (Ctrl+Z takes it back on this frame).")
        for index, label in self.lost:
            text += f" {names.get(label, f'object {label}')} left the picture at frame {index + 1}."
        return text

    def _on_image_set(self) -> None:
        """The frame the propagation went to is shown: make its carried map one undoable step over what it
        had, and select its first object so clicks correct it."""
        session, arrival = self.panel.session, self._arrival
        self.refresh()
        if arrival is None or session.frame != arrival[0] or session.label_map is None:
            return
        self._arrival = None
        frame, before, before_names, text = arrival
        carried, names = session.label_map.labels.copy(), dict(session.label_map.names)
        if before is None:
            before = np.zeros_like(carried)
        self.panel.session.adopt_labels_over(before, before_names, carried, names)
        present = sorted(int(v) for v in np.unique(carried) if v)
        if present:
            self.panel.select_label(present[0])  # its mask becomes the click segmenter's prior
        self.panel._refresh_labels()
        self._say(text)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.message.emit(text)
        return None

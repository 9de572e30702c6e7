"""The Segment panel's instance tools: split a class map (a U-Net prediction) into one object per instance,
split one object whose parts touch, merge objects. The work is ``core.segmentation.instances`` run on a
worker; the result replaces the label map as one undoable step, and the instances appear in the Objects
list, where selecting one makes it the object the clicks correct.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from core.jobs import Failed, Finished
from core.segmentation.instances import (
    DEFAULT_MIN_DISTANCE,
    InstanceOptions,
    merge_objects,
    split_all,
    split_object,
)


class InstanceTools(QGroupBox):
    """Works on ``panel.label_map`` and ``panel.selected_labels()``; results go to ``panel.adopt_labels``."""

    message = Signal(str)

    def __init__(self, panel, bridge=None, parent=None):
        super().__init__("Instances", parent)
        self.panel = panel
        self.bridge = bridge
        self.handle = None
        self.min_distance = QDoubleSpinBox()
        self.min_distance.setRange(0, 500)
        self.min_distance.setValue(DEFAULT_MIN_DISTANCE)
        self.min_distance.setSuffix(" px")
        self.min_distance.setToolTip("Smallest distance between two objects' centres: raise it when objects are "
                                     "cut in two, lower it when touching objects stay together")
        self.split_all_button = QPushButton("Split into instances")
        self.split_all_button.setToolTip("Treat every label as a class (a model's prediction) and give each "
                                         "object of it its own label, touching objects separated")
        self.split_button = QPushButton("Split")
        self.split_button.setToolTip("Split the selected object where its parts touch")
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Merge the selected objects (Ctrl+click several in the list) into the first")
        self.status = QLabel()
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Seed distance", self.min_distance)
        row = QHBoxLayout()
        row.addWidget(self.split_button)
        row.addWidget(self.merge_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.split_all_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.split_all_button.clicked.connect(lambda: self.split_all())
        self.split_button.clicked.connect(lambda: self.split_selected())
        self.merge_button.clicked.connect(lambda: self.merge_selected())
        self.controls = [self.min_distance, self.split_all_button, self.split_button, self.merge_button]

    def options(self) -> InstanceOptions:
        return InstanceOptions("watershed", float(self.min_distance.value()))

    # actions ------------------------------------------------------------------------------------------
    def split_all(self):
        label_map = self.panel.label_map
        if label_map is None or self.handle is not None:
            return None
        labels, names, options = label_map.labels.copy(), dict(label_map.names), self.options()
        return self._run(lambda token, emit: split_all(labels, names, options, token), "split into instances",
                         self._report_split_all)

    def split_selected(self):
        label_map = self.panel.label_map
        selected = self.panel.selected_labels()
        if label_map is None or self.handle is not None:
            return None
        if len(selected) != 1:
            self._say("Select one object to split.")
            return None
        labels, names, options, label = label_map.labels.copy(), dict(label_map.names), self.options(), selected[0]
        return self._run(lambda token, emit: split_object(labels, names, label, options), "split object",
                         lambda edit: self._report_split(edit, names.get(label, f"object {label}")))

    def merge_selected(self):
        label_map = self.panel.label_map
        selected = self.panel.selected_labels()
        if label_map is None:
            return None
        if len(selected) < 2:
            self._say("Select two or more objects to merge (Ctrl+click in the list).")
            return None
        edit = merge_objects(label_map.labels, label_map.names, selected)  # a lookup: cheap even on 12 Mpx
        self.panel.adopt_labels(edit.labels, edit.names)
        self.panel.select_label(edit.changed[0])
        self.panel._refresh_labels()
        self._say(f"Merged {len(selected)} objects into {edit.names[edit.changed[0]]}.")
        return edit

    # plumbing -----------------------------------------------------------------------------------------
    def _run(self, job, name, describe):
        """Run ``job`` on the bridge (inline without one); apply its result if the map did not change
        meanwhile (an edit made while splitting must not be lost)."""
        label_map = self.panel.label_map
        revision = label_map.revision

        def apply(edit):
            if self.panel.label_map is not label_map or label_map.revision != revision:
                self._say("The objects changed while splitting: nothing was applied, try again.")
                return
            self.panel.adopt_labels(edit.labels, edit.names)
            if edit.changed:
                self.panel.select_label(edit.changed[0])
                self.panel._refresh_labels()
            self._say(describe(edit))

        if self.bridge is None:
            apply(job(None, lambda event: None))
            return None
        self._set_busy(True)
        self._say("Splitting…")

        def on_event(event):
            if isinstance(event, Finished | Failed):
                self.handle = None
                self._set_busy(False)
                if isinstance(event, Failed):
                    self._say(f"Splitting failed: {event.error}")
                elif not event.cancelled:
                    apply(event.result)

        self.handle = self.bridge.start(job, name, on_event=on_event)
        return self.handle

    def _set_busy(self, busy: bool) -> None:
        for widget in self.controls:
            widget.setEnabled(not busy)

    def forget_report(self) -> None:
        """Another image or frame: the last split's report spoke of the previous one."""
        if self.handle is None:
            self.status.setText("")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)

    @staticmethod
    def _report_split_all(edit) -> str:
        text = f"{len(edit.names)} instances: select one in the list to correct it with clicks."
        if edit.dropped:
            text += f" {edit.dropped} more did not fit (a label map holds 255 objects)."
        return text

    @staticmethod
    def _report_split(edit, name: str) -> str:
        if len(edit.changed) <= 1:
            return f"{name} has one part at this seed distance: nothing to split."
        return f"Split {name} into {len(edit.changed)} objects." + (
            f" {edit.dropped} more did not fit (255 objects at most)." if edit.dropped else "")

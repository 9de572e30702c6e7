"""One image's segmentation, without Qt: the label map, the object being edited, its clicks and strokes,
one undo/redo history over all of them, and where the mask is saved.

The Segment panel is a view of a session: it forwards the user's gestures here and redraws when told.
The click segmenter runs elsewhere (a worker thread); the session talks to it through ``segmenter.submit``
(commands: click, stroke, undo, redo, reset, prior, restore) and keeps the on-screen click markers in step
through ``markers`` (click, scribble, undo, redo, take, give_back, clear, drop_redo), so the history of
clicks and the history of map edits are one history.

History entries: ``"object"`` (a click or scribble on the current object), ``"map"`` (an edit of the label
map: stroke, fill, delete, rename, a loaded map) and ``"accept"`` (an object put into the map; undoing it
returns to editing that object with its clicks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.segmentation.label_map import LabelMap, Region
from core.workspace import Workspace

NO_REGION = Region(0, 0, 0, 0)


class Segmenter(Protocol):
    def submit(self, kind: str, *args: Any) -> None: ...


class Markers(Protocol):
    def click(self, row: float, col: float, positive: bool) -> Any: ...
    def scribble(self, points, positive: bool) -> Any: ...
    def undo(self) -> None: ...
    def redo(self) -> None: ...
    def take(self) -> list: ...
    def give_back(self, markers: list) -> None: ...
    def clear(self) -> None: ...
    def drop_redo(self) -> None: ...


@dataclass
class AcceptRecord:
    """What undoing an accepted object needs: its label, its clicks (segmenter and markers), its prior."""

    label: int
    interactions: tuple
    markers: list
    corrected: bool  # it corrected an object already in the map (its old mask is the prior again)


class SegmentationSession:
    """``on_labels(region, names_changed)`` is called after every change of the label map (``region``: the
    pixels that changed); ``on_current(label)`` when the object being edited changes."""

    def __init__(self, segmenter: Segmenter, markers: Markers,
                 on_labels: Callable[[Region, bool], None] = lambda region, names_changed: None,
                 on_current: Callable[[int], None] = lambda label: None):
        self.segmenter = segmenter
        self.markers = markers
        self.on_labels = on_labels
        self.on_current = on_current
        self.workspace: Workspace | None = None
        self.image_path: Path | None = None
        self.frame: int | None = None  # the frame of a stack being segmented (None: a single image)
        self.label_map: LabelMap | None = None
        self.current_label = 1
        self.history: list[str] = []
        self.redo_kinds: list[str] = []  # what undo took back, newest last
        self._accepts: list[AcceptRecord] = []  # one per "accept" in history, newest last
        self._redo_accepts: list[AcceptRecord] = []  # one per "accept" in redo_kinds
        self._stroke: list[tuple[float, float]] = []
        self._stroke_edits = 0
        self._stroke_label = 0

    # image --------------------------------------------------------------------------------------------
    def set_image(self, shape: tuple[int, int] | None, path: str | Path | None = None,
                  labels: np.ndarray | None = None, names: dict | None = None, frame: int | None = None) -> None:
        """A new image (``shape`` None: no image); ``labels``/``names``: its existing label map; ``frame``:
        which frame of the stack at ``path`` it is (each frame has its own mask and its own history)."""
        self.image_path = Path(path) if path else None
        self.frame = None if frame is None else int(frame)
        self.history.clear()
        self.redo_kinds.clear()
        self._accepts.clear()
        self._redo_accepts.clear()
        self._stroke = []
        self.markers.clear()
        if shape is None:
            self.label_map = None
            return
        self.label_map = LabelMap(shape, labels, names)
        self.current_label = self.label_map.next_label()

    @property
    def can_undo(self) -> bool:
        return bool(self.history)

    @property
    def can_redo(self) -> bool:
        return bool(self.redo_kinds)

    # the current object's clicks ------------------------------------------------------------------------
    def click(self, row: float, col: float, positive: bool = True) -> None:
        if self.label_map is None:
            return
        self.segmenter.submit("click", row, col, positive)
        self.markers.click(row, col, positive)
        self._object_step()

    def scribble(self, points, positive: bool, radius: float) -> None:
        """Every pixel within ``radius`` of the scribble is a seed for (or against) the object."""
        if self.label_map is None or not points:
            return
        self.segmenter.submit("stroke", list(points), positive, radius)
        self.markers.scribble(points, positive)
        self._object_step()

    def _object_step(self) -> None:
        self.history.append("object")
        self.redo_kinds.clear()
        self._redo_accepts.clear()
        self.markers.drop_redo()

    def clear_object(self) -> None:
        """Start the current object again: its clicks are dropped (not undoable, like the segmenter's)."""
        if self.label_map is None:
            return
        self.segmenter.submit("reset")
        self.drop_object_steps()

    def drop_object_steps(self) -> None:
        """The segmenter forgot the current object's clicks (reset or restarted): so does the history."""
        self.history = [h for h in self.history if h != "object"]
        self.redo_kinds = [h for h in self.redo_kinds if h != "object"]
        self.markers.clear()

    def accepted(self, label: int, mask: np.ndarray, name: str | None, region, interactions: tuple) -> None:
        """The segmenter's object went into the map as ``label``: its clicks' undo steps become one
        "accept" step, which gives them back if undone, and the next object starts."""
        if self.label_map is None:
            return
        corrected = label in self.label_map.names
        changed = self.label_map.replace_object(mask, label, name, region)
        self.history = [h for h in self.history if h != "object"]
        self.redo_kinds = [h for h in self.redo_kinds if h != "object"]
        self.history.append("accept")
        self._accepts.append(AcceptRecord(label, interactions, self.markers.take(), corrected))
        self._set_current(self.label_map.next_label())
        self._changed(changed, names_changed=True)

    # map edits ------------------------------------------------------------------------------------------
    def stroke_start(self, row: float, col: float, radius: float, erase: bool) -> None:
        if self.label_map is None:
            return
        self._stroke = [(row, col)]
        self._stroke_edits = 0
        self._stroke_label = 0 if erase else self.current_label
        self._paint([(row, col)], radius)

    def stroke_move(self, row: float, col: float, radius: float) -> None:
        if self.label_map is None or not self._stroke:
            return
        last = self._stroke[-1]
        self._stroke.append((row, col))
        self._paint([last, (row, col)], radius)

    def _paint(self, points, radius: float) -> None:
        revision = self.label_map.revision
        new_name = self._stroke_label and self._stroke_label not in self.label_map.names
        region = self.label_map.paint(points, radius, self._stroke_label)
        if self.label_map.revision != revision:
            self._stroke_edits += 1
        self._changed(region, names_changed=bool(new_name))

    def stroke_end(self) -> None:
        """A stroke's dabs become one undo step."""
        if self.label_map is not None and self._stroke_edits:
            self.label_map.group(self._stroke_edits)
            self.history.append("map")
        self._stroke = []
        self._stroke_edits = 0

    def apply_fill(self, region: Region, selected, label: int) -> None:
        revision = self.label_map.revision
        changed = self.label_map.apply_fill(region, selected, label)
        if self.label_map.revision != revision:
            self.history.append("map")
        self._changed(changed, names_changed=True)

    def adopt_labels_over(self, before: np.ndarray, before_names: dict | None, labels: np.ndarray,
                          names: dict | None = None) -> bool:
        """``labels`` arrived for this image from elsewhere (a propagation wrote this frame's mask before the
        frame was shown) while ``before`` is what the image had: show ``labels`` as one undoable step over
        ``before``, so Undo takes the arrival back. Only on a fresh image (no history yet)."""
        if self.label_map is None or self.history or before.shape != self.label_map.shape:
            return False
        self.label_map = LabelMap(self.label_map.shape, before, before_names)
        return self.adopt_labels(labels, names)

    def adopt_labels(self, labels: np.ndarray, names: dict | None = None) -> bool:
        """A label map for this image (loaded, or a model's prediction) replaces the current one, as one
        undoable step. False if it does not fit the image."""
        if self.label_map is None or labels.shape != self.label_map.shape:
            return False
        region = self.label_map.replace(labels, names)  # the whole map: the view repaints all of it
        self.history.append("map")
        self._set_current(self.label_map.next_label())
        self._changed(region, names_changed=True)
        return True

    def clear_labels(self) -> bool:
        """Every label goes, as one undoable step; False when the map is already empty (nothing recorded)."""
        if self.label_map is None or not self.label_map.labels.any():
            return False
        return self.adopt_labels(np.zeros_like(self.label_map.labels), {})

    def rename(self, label: int, name: str) -> None:
        name = name.strip()
        if self.label_map is None or label not in self.label_map.names or not name:
            return
        if name != self.label_map.names[label]:
            self.label_map.rename(label, name)
            self.history.append("map")
            self._changed(NO_REGION, names_changed=False)

    # objects --------------------------------------------------------------------------------------------
    def select(self, label: int) -> None:
        """Make ``label`` the object being edited; an existing object becomes the prior the clicks correct."""
        if self.label_map is None:
            return
        self.segmenter.submit("reset")
        self.drop_object_steps()
        exists = label in self.label_map.names and bool((self.label_map.labels == label).any())
        self.segmenter.submit("prior", self.label_map.object_mask(label) if exists else None)
        self._set_current(label)

    def new_object(self) -> None:
        if self.label_map is None:
            return
        self.segmenter.submit("reset")
        self.segmenter.submit("prior", None)
        self.drop_object_steps()
        self._set_current(self.label_map.next_label())

    def delete_current(self) -> None:
        if self.label_map is None or self.current_label not in self.label_map.names:
            return
        region = self.label_map.remove_label(self.current_label)
        self.history.append("map")
        self._changed(region, names_changed=True)
        self.new_object()

    # undo and redo --------------------------------------------------------------------------------------
    def undo(self) -> None:
        if not self.history or self.label_map is None:
            return
        kind = self.history.pop()
        if kind == "object":
            self.segmenter.submit("undo")
            self.markers.undo()
            self.redo_kinds.append("object")
        elif kind == "accept":
            self._unaccept()
        else:
            region = self.label_map.undo()
            self.redo_kinds.append("map")
            if self.current_label not in self.label_map.names and "object" not in self.history:
                self._set_current(self.label_map.next_label())  # a new object's number follows the map
            self._changed(region or NO_REGION, names_changed=True, record=False)

    def redo(self) -> None:
        if not self.redo_kinds or self.label_map is None:
            return
        kind = self.redo_kinds.pop()
        if kind == "object":
            self.segmenter.submit("redo")
            self.markers.redo()
            self.history.append(kind)
        elif kind == "accept":
            self._reaccept()
        else:
            region = self.label_map.redo()
            self.history.append(kind)
            self._changed(region or NO_REGION, names_changed=True, record=False)

    def _unaccept(self) -> None:
        """Undo an accepted object: out of the map again, and back to editing it with its clicks (each of
        them undoable)."""
        record = self._accepts.pop()
        region = self.label_map.undo()
        self.segmenter.submit("reset")
        self.segmenter.submit("prior", self.label_map.object_mask(record.label) if record.corrected else None)
        self.segmenter.submit("restore", record.interactions)
        self.markers.give_back(record.markers)
        self.history.extend(["object"] * len(record.interactions))
        self.redo_kinds.append("accept")
        self._redo_accepts.append(record)
        self._set_current(record.label)
        self._changed(region or NO_REGION, names_changed=True, record=False)

    def _reaccept(self) -> None:
        record = self._redo_accepts.pop()
        while self.history and self.history[-1] == "object":  # the restored clicks become the accept again
            self.history.pop()
        region = self.label_map.redo()
        self.segmenter.submit("reset")
        self.segmenter.submit("prior", None)
        record.markers = self.markers.take()
        self.history.append("accept")
        self._accepts.append(record)
        self._set_current(self.label_map.next_label())
        self._changed(region or NO_REGION, names_changed=True, record=False)

    # where the mask lives -------------------------------------------------------------------------------
    def mask_path(self) -> Path | None:
        if self.workspace is None or self.image_path is None:
            return None
        if self.frame is not None:  # masks/<stack stem>/<frame>.png
            return self.workspace.frame_mask_path(self.workspace_image_path(), self.frame)
        return self.workspace.mask_path(self.workspace_image_path())

    def workspace_image_path(self) -> Path:
        """The image's path inside the workspace (where it is, or where it will be copied)."""
        images = self.workspace.images_dir.resolve()
        if self.image_path.resolve().parent == images:
            return self.image_path
        return images / self.image_path.name

    def ensure_image_in_workspace(self) -> Path | None:
        """Masks live next to their images in the workspace: an image opened from elsewhere is copied in
        when its first edit is saved. Returns the copy, if one was made."""
        if self.workspace is None or self.image_path is None or self.workspace_image_path().exists():
            return None
        if self.frame is not None:  # a stack: its file, or its sequence folder frame by frame
            from core.stacks.workspace_import import import_stack

            self.image_path = import_stack(self.workspace, self.image_path)
        else:
            self.image_path = self.workspace.add_image(self.image_path)
        return self.image_path

    # ----------------------------------------------------------------------------------------------------
    def _set_current(self, label: int) -> None:
        self.current_label = int(label)
        self.on_current(self.current_label)

    def _changed(self, region: Region, names_changed: bool, record: bool = True) -> None:
        if record:  # a new edit: what undo took back cannot be redone any more
            self.redo_kinds.clear()
            self._redo_accepts.clear()
        self.on_labels(region, names_changed)

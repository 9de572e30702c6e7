"""The segmentation session without Qt: one undo/redo history over clicks, accepts and map edits, and the
image's copy into the workspace."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.segmentation.session import SegmentationSession
from core.workspace import Workspace


class FakeSegmenter:
    def __init__(self):
        self.commands: list[tuple] = []

    def submit(self, kind, *args):
        self.commands.append((kind, *args))

    def kinds(self) -> list[str]:
        return [c[0] for c in self.commands]


class FakeMarkers:
    """Markers as a list of (row, col, positive), with a redo stack, like gui.segment.markers."""

    def __init__(self):
        self.shown: list = []
        self.undone: list = []

    def click(self, row, col, positive):
        self.shown.append((row, col, positive))

    def scribble(self, points, positive):
        self.shown.append((tuple(points), positive))

    def undo(self):
        self.undone.append(self.shown.pop())

    def redo(self):
        self.shown.append(self.undone.pop())

    def drop_redo(self):
        self.undone.clear()

    def take(self):
        taken, self.shown = self.shown, []
        return taken

    def give_back(self, markers):
        self.shown.extend(markers)

    def clear(self):
        self.shown.clear()
        self.undone.clear()


@pytest.fixture
def session():
    changes = []
    currents = []
    s = SegmentationSession(FakeSegmenter(), FakeMarkers(), on_labels=lambda r, n: changes.append((r, n)),
                            on_current=currents.append)
    s.set_image((20, 30))
    s.changes, s.currents = changes, currents
    return s


def square(top, left, size, shape=(20, 30)):
    mask = np.zeros(shape, bool)
    mask[top:top + size, left:left + size] = True
    return mask


def test_clicks_undo_and_redo_through_the_segmenter_and_the_markers(session):
    session.click(3, 4, True)
    session.click(5, 6, False)
    assert session.history == ["object", "object"] and session.markers.shown == [(3, 4, True), (5, 6, False)]
    session.undo()
    assert session.segmenter.kinds() == ["click", "click", "undo"]
    assert session.markers.shown == [(3, 4, True)] and session.can_redo
    session.redo()
    assert session.segmenter.kinds()[-1] == "redo" and session.markers.shown[-1] == (5, 6, False)
    session.undo()
    session.click(7, 7, True)  # a new click: what was undone cannot be redone
    assert not session.can_redo and session.markers.undone == []


def test_an_accepted_object_undoes_back_to_its_clicks_and_redoes_into_the_map(session):
    session.click(3, 4, True)
    session.click(4, 5, True)
    label = session.current_label
    session.accepted(label, square(2, 2, 5), "cell", None, interactions=("i1", "i2"))
    assert session.history == ["accept"] and session.label_map.names == {label: "cell"}
    assert (session.label_map.labels == label).sum() == 25 and session.current_label == label + 1
    assert session.markers.shown == []  # the markers went with the accepted object

    session.undo()
    assert label not in session.label_map.names and not session.label_map.labels.any()
    assert session.current_label == label  # editing it again, in its own colour
    assert session.segmenter.commands[-3:] == [("reset",), ("prior", None), ("restore", ("i1", "i2"))]
    assert session.history == ["object", "object"]
    assert session.markers.shown == [(3, 4, True), (4, 5, True)]

    session.undo()  # its clicks undo one by one
    assert session.segmenter.kinds()[-1] == "undo" and session.history == ["object"]
    session.redo()
    session.redo()  # and the accept comes back
    assert session.history == ["accept"] and session.label_map.names == {label: "cell"}
    assert session.current_label == label + 1


def test_undoing_everything_leaves_the_next_free_label_current(session):
    session.click(1, 1, True)
    session.accepted(1, square(0, 0, 3), None, None, interactions=("i",))
    session.stroke_start(10, 10, 2.0, erase=False)
    session.stroke_move(10, 20, 2.0)
    session.stroke_end()
    assert session.history == ["accept", "map"]
    while session.can_undo:
        session.undo()
    assert not session.label_map.labels.any()
    assert session.current_label == 1


def test_a_stroke_is_one_step_and_a_new_edit_clears_redo(session):
    label = session.current_label
    session.stroke_start(10, 5, 2.0, erase=False)
    for col in range(6, 20):
        session.stroke_move(10, col, 2.0)
    session.stroke_end()
    painted = (session.label_map.labels == label).sum()
    assert painted > 50 and session.history == ["map"]
    assert session.changes[0][1] is True  # the first dab made a new object: the list must show it
    session.undo()
    assert not session.label_map.labels.any() and session.can_redo
    session.stroke_start(2, 2, 1.0, erase=False)
    session.stroke_end()
    assert not session.can_redo


def test_selecting_an_existing_object_makes_its_mask_the_prior(session):
    session.accepted(1, square(2, 2, 4), None, None, interactions=())
    session.select(1)
    kind, prior = session.segmenter.commands[-1]
    assert kind == "prior" and prior.sum() == 16 and session.current_label == 1
    assert session.currents[-1] == 1
    session.new_object()
    assert session.segmenter.commands[-1] == ("prior", None) and session.current_label == 2


def test_delete_rename_and_a_map_that_does_not_fit(session):
    session.accepted(1, square(2, 2, 4), "a", None, interactions=())
    session.rename(1, "  nucleus ")
    assert session.label_map.names[1] == "nucleus"
    session.rename(1, "   ")  # an empty name is no rename
    assert session.history == ["accept", "map"]
    session.select(1)
    session.delete_current()
    assert 1 not in session.label_map.names and session.current_label == 1
    assert session.adopt_labels(np.zeros((5, 5), np.uint16)) is False
    assert session.history == ["accept", "map", "map"]
    session.undo()
    assert session.label_map.names == {1: "nucleus"}


def test_an_image_from_elsewhere_is_copied_into_the_workspace_once(tmp_path, session):
    outside = tmp_path / "elsewhere" / "photo.png"
    outside.parent.mkdir()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(outside)
    session.workspace = Workspace.open(tmp_path / "ws")
    session.set_image((20, 30), outside)
    assert session.mask_path() == session.workspace.masks_dir / "photo.png"
    copied = session.ensure_image_in_workspace()
    assert copied == session.workspace.images_dir.resolve() / "photo.png" and copied.is_file()
    assert session.image_path == copied and session.ensure_image_in_workspace() is None
    assert outside.is_file()  # copied, not moved


def test_a_stack_frame_has_its_own_mask_and_a_sequence_is_copied_as_a_folder(tmp_path, session):
    folder = tmp_path / "elsewhere" / "walk"
    folder.mkdir(parents=True)
    for number in (1, 2, 3):
        Image.fromarray(np.full((20, 30, 3), number * 40, np.uint8)).save(folder / f"walk_{number:04d}.png")
    session.workspace = Workspace.open(tmp_path / "ws")
    session.set_image((20, 30), folder, frame=2)
    assert session.mask_path() == session.workspace.masks_dir / "walk" / "0002.png"
    copied = session.ensure_image_in_workspace()
    assert copied == session.workspace.images_dir / "walk"
    assert sorted(p.name for p in copied.iterdir()) == ["walk_0001.png", "walk_0002.png", "walk_0003.png"]
    session.set_image((20, 30), copied, frame=0)
    assert session.mask_path() == session.workspace.masks_dir / "walk" / "0000.png"
    session.set_image((20, 30), copied)  # not a frame: the single-image layout
    assert session.frame is None and session.mask_path() == session.workspace.masks_dir / "walk.png"


def test_labels_arriving_over_a_fresh_frame_are_one_undoable_step(session):
    before = square(0, 0, 5).astype(np.uint8) * 3
    carried = square(2, 4, 5).astype(np.uint8) * 3
    assert session.adopt_labels_over(before, {3: "cell"}, carried, {3: "cell"})
    assert np.array_equal(session.label_map.labels, carried) and session.history == ["map"]
    assert session.current_label == 1  # the first free number
    session.undo()
    assert np.array_equal(session.label_map.labels, before) and session.label_map.names == {3: "cell"}
    session.redo()
    assert np.array_equal(session.label_map.labels, carried)
    assert not session.adopt_labels_over(before, {}, carried)  # not fresh any more: refused, nothing lost
    assert np.array_equal(session.label_map.labels, carried)


def test_without_an_image_every_gesture_is_ignored():
    s = SegmentationSession(FakeSegmenter(), FakeMarkers())
    s.set_image(None)
    s.click(1, 1)
    s.stroke_start(1, 1, 2.0, erase=False)
    s.undo()
    s.new_object()
    assert s.segmenter.commands == [] and s.history == [] and s.label_map is None


def test_clearing_the_labels_is_one_undoable_step_and_nothing_when_empty(session):
    assert not session.clear_labels()  # an empty map: nothing recorded
    assert session.history == []
    labels = np.zeros((20, 30), np.uint8)
    labels[2:6, 3:9] = 4
    assert session.adopt_labels(labels, {4: "cell"})
    assert session.clear_labels()
    assert not session.label_map.labels.any() and session.label_map.names == {}
    session.undo()
    assert np.array_equal(session.label_map.labels, labels) and session.label_map.names == {4: "cell"}
    session.redo()
    assert not session.label_map.labels.any()

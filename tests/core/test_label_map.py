"""LabelMap edits (brush, eraser, fill, accept, remove, rename), undo/redo and the autosaver."""

import threading
import time

import numpy as np
import pytest

from core.maskio import read_mask
from core.segmentation.autosave import Autosaver
from core.segmentation.label_map import LabelMap, Region, disc_stroke, region_of


def test_brush_paints_a_thick_polyline_and_reports_its_region():
    lm = LabelMap((50, 60))
    region = lm.paint([(10, 10), (10, 40)], radius=3, label=2)
    assert lm.labels[10, 10] == lm.labels[10, 40] == lm.labels[13, 25] == 2
    assert lm.labels[14, 25] == 0 and lm.labels[10, 44] == 0
    assert region == Region(7, 7, 14, 44)
    assert lm.names[2] == "object 2"


def test_eraser_can_be_limited_to_one_object():
    lm = LabelMap((20, 20))
    lm.paint([(10, 5)], 4, 1)
    lm.paint([(10, 12)], 4, 2)
    lm.paint([(10, 2), (10, 12)], 6, 0, only_label=1)
    assert not (lm.labels == 1).any()
    assert (lm.labels == 2).sum() > 30


def test_fill_changes_only_the_connected_region():
    lm = LabelMap((20, 20))
    lm.paint([(0, 10), (19, 10)], 0.5, 1)  # a wall splits the map in two
    lm.fill(5, 2, 3)
    assert (lm.labels[:, :10] == 3).all() and (lm.labels[:, 11:] == 0).all()
    with pytest.raises(ValueError, match="outside"):
        lm.fill(25, 2, 3)


def test_accept_objects_without_overwriting_and_names():
    lm = LabelMap((10, 10))
    first = np.zeros((10, 10), bool)
    first[2:6, 2:6] = True
    lm.set_mask(first, lm.next_label(), name="cat")
    second = np.zeros((10, 10), bool)
    second[4:8, 4:8] = True
    lm.set_mask(second, lm.next_label(), overwrite=False, name="dog")
    assert lm.names == {1: "cat", 2: "dog"}
    assert lm.labels[5, 5] == 1 and lm.labels[7, 7] == 2
    assert lm.next_label() == 3


def test_undo_redo_more_than_a_hundred_steps_and_names():
    lm = LabelMap((40, 40), max_undo=150)
    states = [lm.labels.copy()]
    for k in range(130):
        revision = lm.revision
        lm.paint([((k * 3) % 40, (k * 7) % 40)], 2, (k % 7) + 1)
        if lm.revision != revision:  # an edit that changed nothing is not an undo step
            states.append(lm.labels.copy())
    steps = len(states) - 1
    assert steps > 100
    for k in range(steps, 0, -1):
        assert np.array_equal(lm.labels, states[k])
        lm.undo()
    assert np.array_equal(lm.labels, states[0]) and lm.undo() is None
    for k in range(1, steps + 1):
        lm.redo()
        assert np.array_equal(lm.labels, states[k])
    lm.rename(3, "tree")
    lm.undo()
    assert lm.names[3] == "object 3"
    lm.redo()
    assert lm.names[3] == "tree"
    lm.remove_label(3)
    assert 3 not in lm.names and not (lm.labels == 3).any()
    lm.undo()
    assert lm.names[3] == "tree" and (lm.labels == 3).any()


def test_a_new_edit_clears_redo_and_no_op_edits_are_not_recorded():
    lm = LabelMap((10, 10))
    lm.paint([(5, 5)], 2, 1)
    lm.undo()
    lm.paint([(1, 1)], 1, 2)
    assert not lm.can_redo()
    revision = lm.revision
    lm.paint([(8, 8)], 1, 0)  # erasing background changes nothing
    assert lm.revision == revision


def test_existing_labels_and_shape_checks():
    labels = np.zeros((5, 6), np.uint8)
    labels[1, 1] = 4
    lm = LabelMap((5, 6), labels, {4: "leaf"})
    assert lm.names == {4: "leaf"} and lm.next_label() == 1
    with pytest.raises(ValueError, match="label map is"):
        LabelMap((6, 6), labels)
    with pytest.raises(ValueError, match="label must be"):
        lm.paint([(1, 1)], 1, 300)


def test_disc_stroke_and_region_of_edges():
    mask, region = disc_stroke((10, 10), [(0, 0)], 2)
    assert region == Region(0, 0, 3, 3) and mask[0, 0] and not mask[2, 2]
    assert region_of(np.zeros((4, 4), bool)).empty


def test_autosaver_writes_the_latest_snapshot_atomically(tmp_path):
    saved = []
    saver = Autosaver(interval=0.05, on_saved=saved.append)
    path = tmp_path / "masks" / "a.png"
    path.parent.mkdir()
    labels = np.zeros((30, 40), np.uint8)
    for value in range(1, 6):
        labels[:, :] = value
        saver.submit(path, labels, {value: f"v{value}"})
    labels[:, :] = 99  # editing after submit must not change what gets saved
    assert saver.flush(5)
    loaded = read_mask(path)
    assert (loaded.labels == 5).all() and loaded.report.names == {5: "v5"}
    assert len(saved) <= 2  # the burst coalesced
    assert [p.name for p in path.parent.iterdir()] == ["a.png"]  # no temp files left
    saver.close()
    with pytest.raises(RuntimeError):
        saver.submit(path, labels, {})


def test_autosaver_reports_errors_and_keeps_going(tmp_path):
    errors = []
    saver = Autosaver(interval=0.01, on_error=lambda p, e: errors.append(p))
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    saver.submit(not_a_folder / "x.png", np.zeros((4, 4), np.uint8), {})
    saver.flush(5)
    assert errors
    good = tmp_path / "ok.png"
    saver.submit(good, np.ones((4, 4), np.uint8), {})
    saver.flush(5)
    assert read_mask(good).labels.max() == 1
    saver.close()


def test_autosaver_keeps_at_most_interval_of_edits_unsaved(tmp_path):
    writes = []
    lock = threading.Lock()

    def writer(path, labels, names):
        with lock:
            writes.append((time.monotonic(), int(labels[0, 0])))

    saver = Autosaver(interval=0.2, writer=writer)
    start = time.monotonic()
    for value in range(40):  # 40 edits over ~0.8 s
        saver.submit("x.png", np.full((2, 2), value, np.uint8), {})
        time.sleep(0.02)
    saver.flush(5)
    saver.close()
    assert 3 <= len(writes) <= 8  # spaced by the interval, not one per edit
    assert writes[0][0] - start < 0.4 and writes[-1][1] == 39


def test_group_merges_a_stroke_into_one_undo_step():
    lm = LabelMap((30, 30))
    lm.paint([(5, 5)], 2, 1)
    before = lm.labels.copy()
    for col in range(5, 25, 4):  # a stroke painted segment by segment, as the mouse moves
        lm.paint([(15, col), (15, col + 4)], 2, 2)
    lm.group(5)
    stroke = lm.labels.copy()
    assert lm.undo() is not None and np.array_equal(lm.labels, before)
    lm.redo()
    assert np.array_equal(lm.labels, stroke)
    lm.undo()
    lm.undo()
    assert not lm.labels.any()


def test_replace_object_corrects_one_object_without_eating_neighbours():
    lm = LabelMap((10, 10))
    a = np.zeros((10, 10), bool)
    a[0:5, 0:5] = True
    lm.set_mask(a, 1)
    b = np.zeros((10, 10), bool)
    b[3:8, 3:8] = True
    lm.replace_object(b, 2, name="dog")  # overlaps object 1: object 1 keeps its pixels
    assert lm.labels[4, 4] == 1 and lm.labels[6, 6] == 2 and lm.names[2] == "dog"
    smaller = np.zeros((10, 10), bool)
    smaller[6:8, 6:8] = True
    lm.replace_object(smaller, 2)  # a corrected object 2 drops the pixels it no longer has
    assert lm.labels[5, 5] == 0 and lm.labels[7, 7] == 2 and lm.labels[4, 4] == 1
    lm.undo()
    assert lm.labels[5, 5] == 2

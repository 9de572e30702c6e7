"""Instances from semantic maps (distance transform + watershed) and the Segment panel's split/merge edits."""

from __future__ import annotations

import numpy as np
import pytest

from core.segmentation.instances import (
    InstanceOptions,
    category_of,
    merge_objects,
    split_all,
    split_classes,
    split_mask,
    split_object,
)


def _discs(centres, radius, shape=(80, 140)):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    mask = np.zeros(shape, bool)
    for cy, cx in centres:
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
    return mask


def test_watershed_separates_touching_discs_and_components_do_not():
    mask = _discs([(40, 35), (40, 70)], 20)  # overlapping: one connected region with a waist
    parts, count = split_mask(mask, "watershed", min_distance=5)
    assert count == 2
    assert np.array_equal(parts > 0, mask)
    sizes = sorted(int((parts == i).sum()) for i in (1, 2))
    assert abs(sizes[0] - sizes[1]) <= 0.02 * sum(sizes)  # split at the waist, half and half
    assert parts[40, 35] != parts[40, 70]
    assert split_mask(mask, "components")[1] == 1


def test_min_distance_merges_seeds_closer_than_it():
    mask = _discs([(40, 35), (40, 70)], 20)
    assert split_mask(mask, "watershed", min_distance=34)[1] == 2  # centres are 35 px apart
    assert split_mask(mask, "watershed", min_distance=36)[1] == 1


def test_plateaus_and_single_objects_are_one_instance():
    bar = np.zeros((40, 200), bool)
    bar[10:22, 10:190] = True  # the distance transform's maximum is a long ridge, one seed
    assert split_mask(bar, "watershed", 5)[1] == 1
    assert split_mask(_discs([(40, 40)], 25), "watershed", 0)[1] == 1
    assert split_mask(np.zeros((5, 5), bool), "watershed")[1] == 0


def test_instances_are_numbered_in_raster_order():
    mask = _discs([(60, 20), (15, 100), (60, 110)], 8)
    parts, count = split_mask(mask, "watershed", 5)
    assert count == 3
    assert parts[15, 100] == 1 and parts[60, 20] == 2 and parts[60, 110] == 3


def test_split_classes_names_instances_by_class():
    labels = np.zeros((80, 140), np.uint8)
    labels[_discs([(40, 35), (40, 70)], 20)] = 1
    labels[5:12, 120:135] = 2
    split = split_classes(labels, {1: "cell"}, InstanceOptions("watershed", 5))
    assert split.count == 3
    assert split.classes == [1, 1, 2]
    assert split.names == ["cell 1", "cell 2", "class 2 1"]
    assert np.array_equal(split.instances > 0, labels > 0)


def test_split_all_makes_an_instance_label_map_and_counts_what_does_not_fit():
    labels = np.zeros((64, 64), np.uint8)
    labels[::4, ::4] = 1  # 256 separate single pixels
    edit = split_all(labels, {1: "dot"}, InstanceOptions("components"))
    assert edit.labels.dtype == np.uint8
    assert edit.dropped == 1
    assert len(edit.names) == 255 and edit.names[255] == "dot 255"
    assert int((edit.labels > 0).sum()) == 255


def test_split_object_keeps_the_first_part_and_numbers_the_others():
    labels = np.zeros((80, 140), np.uint8)
    labels[_discs([(40, 35), (40, 70)], 20)] = 3
    labels[0:4, 0:4] = 1
    names = {1: "cell 1", 3: "cell 3"}
    edit = split_object(labels, names, 3, InstanceOptions("watershed", 5))
    assert edit.labels[40, 35] == 3 and edit.names[3] == "cell 3"
    new = int(edit.labels[40, 70])
    assert new not in (0, 1, 3)
    assert edit.names[new] == "cell 2"  # the first number "cell" does not use yet
    assert edit.changed == (3, new)
    assert np.array_equal(edit.labels > 0, labels > 0)
    unchanged = split_object(labels, names, 1)
    assert np.array_equal(unchanged.labels, labels) and unchanged.changed == ()


def test_merge_objects_joins_into_the_first():
    labels = np.array([[1, 2, 0], [3, 3, 2]], np.uint8)
    edit = merge_objects(labels, {1: "a", 2: "b", 3: "c"}, [2, 3])
    assert edit.labels.tolist() == [[1, 2, 0], [2, 2, 2]]
    assert edit.names == {1: "a", 2: "b"}
    with pytest.raises(ValueError):
        merge_objects(labels, {}, [1])


@pytest.mark.parametrize("name, category", [("cell 3", "cell"), ("cell #12", "cell"), ("object 4", "object"),
                                            ("tumour", "tumour"), ("R2D2", "R2D2"), ("class 1 2", "class 1"),
                                            ("42", "42"), ("  big cell  7 ", "big cell")])
def test_category_of(name, category):
    assert category_of(name) == category


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="instance method"):
        InstanceOptions("magic")
    with pytest.raises(ValueError, match="min_distance"):
        InstanceOptions("watershed", -1)


def test_ripples_on_the_ridge_between_touching_objects_are_not_seeds():
    # a disc and an offset ellipse: the pixel grid leaves small local maxima of the distance transform
    # along the ridge between them; plain regional maxima cut a sliver there (3 instances), h-maxima do not
    yy, xx = np.mgrid[:90, :140]
    mask = ((yy - 45) ** 2 + (xx - 40) ** 2 < 22**2) | (((yy - 48) / 18) ** 2 + ((xx - 70) / 19.8) ** 2 < 1)
    parts, count = split_mask(mask, "watershed", min_distance=5)
    assert count == 2
    assert min(int((parts == i).sum()) for i in (1, 2)) > 600

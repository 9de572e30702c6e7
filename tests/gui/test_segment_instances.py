"""The Segment panel's instance tools: a class map split into objects listed for correction, merge, split,
undo, and the result saved as the workspace mask."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from core.maskio import read_mask, write_mask


def cells(h=90, w=150):
    yy, xx = np.mgrid[:h, :w]
    touching = ((yy - 45) ** 2 + (xx - 40) ** 2 < 22**2) | ((yy - 45) ** 2 + (xx - 78) ** 2 < 22**2)
    labels = np.zeros((h, w), np.uint8)
    labels[touching] = 1
    labels[8:20, 115:140] = 1
    rgb = np.full((h, w, 3), 60, np.uint8)
    rgb[labels > 0] = (200, 170, 120)
    return rgb, labels


@pytest.fixture
def panel(qtbot, window, workspace):
    rgb, labels = cells()
    Image.fromarray(rgb).save(workspace.images_dir / "cells.png")
    write_mask(workspace.masks_dir / "cells.png", labels, {1: "cell"})  # a U-Net class map
    window.image_panel.show_workspace()
    window.image_panel.select_path(workspace.images_dir / "cells.png")
    window.tabs.setCurrentWidget(window.segment_panel)
    seg = window.segment_panel
    qtbot.waitUntil(lambda: seg.rgb is not None and seg.rgb.shape == rgb.shape
                    and seg.instance_tools.split_all_button.isEnabled() and 1 in seg.label_map.names,
                    timeout=10000)
    return seg


def _listed(seg):
    return [seg.label_list.item(i).text() for i in range(seg.label_list.count())]


def _select(seg, labels):
    seg.label_list.clearSelection()
    for i in range(seg.label_list.count()):
        item = seg.label_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in labels:
            item.setSelected(True)


def test_split_merge_and_split_again(qtbot, panel, workspace):
    tools = panel.instance_tools
    tools.split_all_button.click()
    qtbot.waitUntil(lambda: tools.handle is None and "instances" in tools.status.text(), timeout=10000)
    assert tools.status.text().startswith("3 instances")
    assert {"cell 1", "cell 2", "cell 3"} <= set(_listed(panel))
    labels = panel.label_map.labels
    assert labels[45, 40] != labels[45, 78] and labels[12, 120] not in (0, labels[45, 40], labels[45, 78])
    assert panel.scene.labels is panel.label_map.labels  # the overlay shows the instances
    first = int(labels[45, 40])
    assert panel.current_label == 1  # the first instance is the one the clicks correct now
    qtbot.waitUntil(lambda: np.array_equal(read_mask(workspace.masks_dir / "cells.png").labels, labels),
                    timeout=5000)  # autosaved

    two = sorted({int(labels[45, 40]), int(labels[45, 78])})
    _select(panel, two)
    assert panel.selected_labels() == two
    tools.merge_button.click()
    assert len(np.unique(panel.label_map.labels)) == 3
    assert panel.label_map.labels[45, 78] == first
    assert tools.status.text() == f"Merged 2 objects into {panel.label_map.names[first]}."

    _select(panel, [first])
    tools.split_button.click()
    qtbot.waitUntil(lambda: tools.handle is None and "Split" in tools.status.text(), timeout=10000)
    assert tools.status.text().startswith(f"Split {panel.label_map.names[first]} into 2 objects")
    assert panel.label_map.labels[45, 40] != panel.label_map.labels[45, 78]

    panel.undo()  # each tool is one undoable step
    assert panel.label_map.labels[45, 40] == panel.label_map.labels[45, 78]
    panel.undo()
    panel.undo()
    assert set(np.unique(panel.label_map.labels).tolist()) == {0, 1}
    assert panel.label_map.names == {1: "cell"}


def test_merge_needs_two_and_split_needs_one(qtbot, panel):
    tools = panel.instance_tools
    _select(panel, [1])
    tools.merge_button.click()
    assert "two or more" in tools.status.text()
    panel.label_list.clearSelection()
    tools.split_button.click()
    assert tools.status.text() == "Select one object to split."


def test_the_seed_distance_decides_what_counts_as_one_object(qtbot, panel):
    tools = panel.instance_tools
    tools.min_distance.setValue(60)  # the touching cells' centres are 38 px apart: one object
    tools.split_all_button.click()
    qtbot.waitUntil(lambda: tools.handle is None and "instances" in tools.status.text(), timeout=10000)
    assert tools.status.text().startswith("2 instances")


def test_clicking_an_instance_in_the_list_makes_it_the_object_to_correct(qtbot, panel):
    tools = panel.instance_tools
    tools.split_all_button.click()
    qtbot.waitUntil(lambda: tools.handle is None and "instances" in tools.status.text(), timeout=10000)
    labels = panel.label_map.labels
    target = int(labels[45, 78])  # the right-hand disc, not the first instance (the box, top of the image)
    assert target != panel.current_label
    row = next(i for i in range(panel.label_list.count())
               if panel.label_list.item(i).data(Qt.ItemDataRole.UserRole) == target)
    rect = panel.label_list.visualItemRect(panel.label_list.item(row))
    qtbot.mouseClick(panel.label_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current_label == target
    assert panel.selected_labels() == [target]

"""File › Export Dataset… / Import Dataset…: the dialogs run the core jobs on a worker, show progress and the
report, and Cancel leaves the output folder as it was."""

from __future__ import annotations

import json
import threading

import numpy as np
from PySide6.QtCore import Qt

import core.formats.exporter as exporter
from core.maskio import read_mask
from core.workspace import Workspace
from gui.formats_dialogs import ExportDialog, ImportDialog
from tests.core.formats_helpers import assert_same_masks, make_workspace, masks_of


def _menu_texts(window):
    return [a.text() for a in window.menuBar().actions()[0].menu().actions()]


def test_file_menu_opens_export_and_import(qtbot, window):
    texts = _menu_texts(window)
    assert "&Export Dataset…" in texts and "&Import Dataset…" in texts
    window.export_dataset_action.trigger()
    qtbot.waitExposed(window.export_dialog)
    assert window.export_dialog.workspace is window.workspace
    assert window.export_dialog.image_list.count() == len(window.workspace.images())
    window.export_dialog.close()
    window.import_dataset_action.trigger()
    qtbot.waitExposed(window.import_dialog)
    window.import_dialog.close()


def test_export_dialog_writes_the_chosen_images_as_coco(qtbot, window, tmp_path):
    workspace = make_workspace(tmp_path / "ws", 4)
    dialog = ExportDialog(workspace, window.bridge, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.form.isRowVisible(dialog.val_fraction) and dialog.form.isRowVisible(dialog.masks_combo)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("yolo"))
    assert dialog.form.isRowVisible(dialog.val_fraction) and not dialog.form.isRowVisible(dialog.masks_combo)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("coco"))
    assert not dialog.form.isRowVisible(dialog.min_distance)
    dialog.instances_combo.setCurrentIndex(dialog.instances_combo.findData("watershed"))
    assert dialog.form.isRowVisible(dialog.min_distance)
    dialog.instances_combo.setCurrentIndex(dialog.instances_combo.findData("labels"))

    dialog.start_button.click()
    assert "output folder" in dialog.status.text()  # nothing chosen yet: said, nothing started
    dialog.out_edit.setText(str(tmp_path / "out"))
    dialog.chosen_radio.setChecked(True)
    for row in range(dialog.image_list.count()):
        item = dialog.image_list.item(row)
        item.setCheckState(Qt.CheckState.Checked if item.text() in ("img001.png", "img003.png")
                           else Qt.CheckState.Unchecked)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert sorted(i["file_name"] for i in data["images"]) == ["img001.png", "img003.png"]
    assert dialog.status.text().startswith("2 image(s) (2 with masks)")


def test_cancel_leaves_the_output_folder_untouched(qtbot, window, tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path / "ws", 3)
    gate = threading.Event()
    real = exporter.map_objects

    def slow_map_objects(*args, **kwargs):  # hold the job on its worker until the test has pressed Cancel
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporter, "map_objects", slow_map_objects)
    dialog = ExportDialog(workspace, window.bridge, window)
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(tmp_path / "out"))
    dialog.start_button.click()
    assert dialog.handle is not None and dialog.cancel_button.isEnabled() and not dialog.close_button.isEnabled()
    dialog.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: dialog.handle is None, timeout=20000)
    assert dialog.status.text() == "Cancelled: nothing was changed."
    assert list((tmp_path / "out").iterdir()) == []


def test_import_dialog_fills_the_workspace_and_refreshes_the_image_list(qtbot, window, tmp_path):
    source = make_workspace(tmp_path / "source", 3)
    from core.formats.exporter import ExportOptions, export_workspace
    from core.jobs import CancelToken

    export_workspace(source, tmp_path / "yolo", ExportOptions("yolo"), CancelToken(), lambda e: None)
    workspace = window.workspace
    dialog = ImportDialog(workspace, window.bridge, window)
    qtbot.addWidget(dialog)
    dialog.finished_job.connect(lambda report: window.image_panel.show_workspace())
    dialog.source_edit.setText(str(tmp_path / "yolo" / "data.yaml"))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.report.format == "yolo" and dialog.report.images == 3
    names = [p.name for p in window.image_panel.list_paths()]
    assert {"img000.png", "img001.png", "img002.png"} <= set(names)
    target = {k: v for k, v in masks_of(Workspace(workspace.root)).items() if k.startswith("img")}
    assert_same_masks(target, masks_of(source), renumbered=True)
    assert read_mask(workspace.masks_dir / "img000.png").labels.dtype == np.uint8


def test_import_of_nothing_says_why(qtbot, window, tmp_path):
    (tmp_path / "empty").mkdir()
    dialog = ImportDialog(window.workspace, window.bridge, window)
    qtbot.addWidget(dialog)
    dialog.source_edit.setText(str(tmp_path / "empty"))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.handle is None and dialog.status.text().startswith("Failed"), timeout=20000)
    assert "found no COCO JSON" in dialog.status.text()


def test_export_from_the_menu_includes_the_edit_just_made(qtbot, window, workspace, tmp_path):
    from core.segmentation.label_map import LabelMap
    from tests.gui.conftest import make_image

    panel = window.segment_panel
    image = workspace.images_dir / "a.png"
    make_image(image, 40, 50)
    panel.session.image_path = image
    panel.session.label_map = LabelMap((40, 50))  # an edit the autosaver has not been asked to write yet
    panel.label_map.set_mask(np.pad(np.ones((10, 10), bool), ((5, 25), (5, 35))), 1, name="cell 1")
    assert not workspace.mask_path(image).exists()
    window.export_dataset_action.trigger()
    dialog = window.export_dialog
    dialog.out_edit.setText(str(tmp_path / "out"))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    image_id = next(i["id"] for i in data["images"] if i["file_name"] == "a.png")
    assert [a["attributes"]["name"] for a in data["annotations"] if a["image_id"] == image_id] == ["cell 1"]
    dialog.close()

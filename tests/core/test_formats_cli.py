"""``seggan export``, ``seggan import`` and ``seggan segment --instances`` end to end."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.maskio import read_mask
from core.workspace import Workspace
from tests.core.formats_helpers import assert_same_masks, make_workspace, masks_of


def test_export_then_import_through_the_cli(tmp_path, capsys):
    workspace = make_workspace(tmp_path / "ws", 4, unannotated=1)
    assert main(["export", "--workspace", str(workspace.root), "--format", "coco", "--out", str(tmp_path / "out"),
                 "--masks", "rle", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 5 and report["annotated"] == 4 and report["problems"] == []
    assert main(["import", str(tmp_path / "out"), "--workspace", str(tmp_path / "back"), "--json"]) == 0
    back = json.loads(capsys.readouterr().out)
    assert back["format"] == "coco" and back["images"] == 5 and back["masks"] == 4
    assert_same_masks(masks_of(Workspace(tmp_path / "back")), masks_of(workspace))


def test_export_selection_and_fixed_categories(tmp_path, capsys):
    workspace = make_workspace(tmp_path / "ws", 4)
    assert main(["export", "--workspace", str(workspace.root), "--format", "yolo", "--out", str(tmp_path / "out"),
                 "--images", "img001.png", "img002", "--categories", "nucleus,cell,debris,virus"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("exported 2 image(s)")
    import yaml

    names = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())["names"]
    assert names == {0: "nucleus", 1: "cell", 2: "debris", 3: "virus"}
    assert sorted(p.name for p in (tmp_path / "out" / "labels" / "train").iterdir()) == ["img001.txt", "img002.txt"]


def test_cli_errors_are_clear(tmp_path, capsys):
    workspace = make_workspace(tmp_path / "ws", 1)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    assert main(["export", "--workspace", str(workspace.root), "--format", "coco", "--out",
                 str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["export", "--workspace", str(tmp_path / "nowhere"), "--format", "coco", "--out",
                 str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.json"), "--workspace", str(tmp_path / "w2")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--workspace", str(workspace.root), "--format", "coco", "--out", str(tmp_path / "o"),
              "--min-distance", "-3"])


@dataclass
class _ClassMapSegmenter:
    """Stands in for a trained U-Net: predicts two touching discs and a square as class 1, like a U-Net
    that merged touching cells (what --instances is for)."""

    class_names: dict = field(default_factory=lambda: {1: "cell"})
    weights: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(description="stand-in weights"))

    def predict(self, rgb, token=None):
        h, w = rgb.shape[:2]
        yy, xx = np.mgrid[:h, :w]
        labels = (((yy - 40) ** 2 + (xx - 35) ** 2 < 400) | ((yy - 40) ** 2 + (xx - 70) ** 2 < 400)).astype(np.uint8)
        labels[2:10, 110:130] = 1
        return labels, np.zeros((h, w, 2), np.float32)


def test_segment_with_instances_writes_one_label_per_object(tmp_path, capsys, monkeypatch):
    import core.unet.inference as inference

    monkeypatch.setattr(inference, "load_segmenter", lambda run, tile=512, overlap=64, weights="default", tta=1: _ClassMapSegmenter())
    (tmp_path / "in").mkdir()
    Image.fromarray(np.zeros((80, 140, 3), np.uint8)).save(tmp_path / "in" / "a.png")
    for extra, expected in (([], {1: "cell"}), (["--instances"], {1: "cell 1", 2: "cell 2", 3: "cell 3"}),
                            (["--instances", "components"], {1: "cell 1", 2: "cell 2"}),
                            (["--instances", "--min-distance", "40"], {1: "cell 1", 2: "cell 2"})):
        out = tmp_path / ("out" + "".join(extra))
        assert main(["segment", "--run", str(tmp_path), "--input", str(tmp_path / "in"), "--output", str(out),
                     *extra]) == 0, capsys.readouterr().err
        loaded = read_mask(out / "a.png")
        assert loaded.report.names == expected, extra
        assert sorted(np.unique(loaded.labels).tolist()) == [0, *expected]
    split = read_mask(tmp_path / "out--instances" / "a.png").labels
    assert split[40, 35] != split[40, 70]  # the touching discs are two cells

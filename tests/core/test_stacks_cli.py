"""``seggan stack-info``, ``export-stack`` and ``import-stack`` on generated stacks."""

from __future__ import annotations

import numpy as np

from core.cli import main
from core.stacks.frame_masks import masked_frames, read_frame_mask, write_frame_mask
from core.stacks.label_stack import read_label_stack
from core.workspace import Workspace
from tests.core.stack_helpers import gray_stack, write_sequence, write_tiff_stack


def test_stack_info_names_frames_and_gaps(tmp_path, capsys):
    write_sequence(tmp_path / "seq", [1, 2, 5])
    assert main(["stack-info", str(tmp_path / "seq"), "--frames"]) == 0
    out = capsys.readouterr().out
    assert "sequence, 3 frame(s) of 10x8" in out and "2 missing number(s) in the sequence: 3, 4" in out
    assert "   2  frame_0005.png" in out
    assert main(["stack-info", str(tmp_path / "none")]) == 2
    assert "none: file not found" in capsys.readouterr().err


def test_export_then_import_a_label_stack(tmp_path, capsys):
    workspace = Workspace.open(tmp_path / "ws")
    stack = workspace.add_image(write_tiff_stack(tmp_path / "cells.tif", gray_stack(3)))
    labels = np.zeros((8, 10), np.uint8)
    labels[2:5, 3:7] = 4
    write_frame_mask(workspace, stack, 2, labels, names={4: "nucleus"})
    out = tmp_path / "cells_labels.tif"
    assert main(["export-stack", "--workspace", str(workspace.root), "cells.tif", "-o", str(out)]) == 0
    assert "1 annotated frame(s)" in capsys.readouterr().out
    back, names = read_label_stack(out)
    assert back.shape == (3, 8, 10) and np.array_equal(back[2], labels) and names == {4: "nucleus"}
    other = Workspace.open(tmp_path / "other")
    copy = other.add_image(stack)
    assert main(["import-stack", "--workspace", str(other.root), str(copy), str(out)]) == 0
    assert masked_frames(other, copy) == [2]
    assert np.array_equal(read_frame_mask(other, copy, 2).labels, labels)
    big = write_tiff_stack(tmp_path / "big_ids.tif", gray_stack(3, np.uint16))
    assert main(["import-stack", "--workspace", str(other.root), str(copy), str(big)]) == 2
    assert "ids up to 2079, a label map holds 0..255" in capsys.readouterr().err
    assert masked_frames(other, copy) == [2]  # nothing changed

"""``seggan train-seg`` and ``seggan segment`` end to end on generated data."""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.cli import main
from core.maskio import read_mask
from tests.core.unet_helpers import synthetic_pair, write_folders


def test_train_then_segment(tmp_path, capsys):
    images, masks = write_folders(tmp_path / "data", count=4, mask_form="L255")
    Image.fromarray(np.zeros((9, 9, 3), np.uint8)).save(images / "unlabelled.png")
    run = tmp_path / "run"
    code = main(["train-seg", "--images", str(images), "--masks", str(masks), "--out", str(run), "--steps", "12",
                 "--crop", "32", "--depth", "2", "--width", "4", "--batch-size", "4"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "4 usable pairs, 2 classes, 1 skipped" in captured.err
    assert "unlabelled.png: no mask with this name; skipped" in captured.err
    assert "finished at step 12" in captured.out
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(synthetic_pair(37, 61, seed=5)[0]).save(inputs / "photo.jpg")
    code = main(["segment", "--run", str(run), "--input", str(inputs), "--output", str(tmp_path / "out"),
                 "--overlay"])
    assert code == 0
    assert "wrote 1 label map(s)" in capsys.readouterr().out
    written = Image.open(tmp_path / "out" / "photo.png")
    assert written.mode == "P" and written.size == (61, 37)
    assert set(np.unique(read_mask(tmp_path / "out" / "photo.png").labels)) <= {0, 1}
    assert Image.open(tmp_path / "out" / "photo_overlay.png").size == (61, 37)


def test_bad_arguments_give_clear_messages(tmp_path, capsys):
    assert main(["train-seg", "--out", str(tmp_path / "r")]) == 2
    assert "give the data as --images DIR --masks DIR" in capsys.readouterr().err
    assert main(["train-seg", "--images", str(tmp_path), "--masks", str(tmp_path / "no"),
                 "--out", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err
    images, masks = write_folders(tmp_path / "d", count=2)
    assert main(["train-seg", "--images", str(images), "--masks", str(masks), "--out", str(tmp_path / "r"),
                 "--crop", "30", "--steps", "1"]) == 2
    assert "multiple of 16" in capsys.readouterr().err
    assert main(["segment", "--run", str(tmp_path), "--input", str(images), "--output", str(tmp_path / "o")]) == 2
    assert "not a run folder" in capsys.readouterr().err

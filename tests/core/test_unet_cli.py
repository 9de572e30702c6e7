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
    captured = capsys.readouterr()
    assert "wrote 1 label map(s)" in captured.out
    assert "using the best validated weights (step " in captured.err  # validated on 1 image of 4
    written = Image.open(tmp_path / "out" / "photo.png")
    assert written.mode == "P" and written.size == (61, 37)
    assert set(np.unique(read_mask(tmp_path / "out" / "photo.png").labels)) <= {0, 1}
    assert Image.open(tmp_path / "out" / "photo_overlay.png").size == (61, 37)
    assert main(["segment", "--run", str(run), "--input", str(inputs), "--output", str(tmp_path / "final"),
                 "--weights", "final"]) == 0
    assert "using the final weights" in capsys.readouterr().err
    assert main(["segment", "--run", str(run), "--input", str(inputs), "--output", str(tmp_path / "tta"),
                 "--tta", "8"]) == 0  # test-time augmentation: 8 views of each image averaged
    assert read_mask(tmp_path / "tta" / "photo.png").labels.shape == (37, 61)
    capsys.readouterr()
    assert main(["runs", "show", str(run)]) == 0
    shown = capsys.readouterr().out
    assert "validated on 1 validation image, whole" in shown
    assert "weights   best: best validated weights (step" in shown and "(used by default)" in shown
    assert "weights   ema: averaged (EMA) weights at the end (step 12)" in shown


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


def _grey_level_folders(root):
    from tests.core.mask_datasets import write_dataset

    images, masks = root / "images", root / "masks"
    paths, truths = write_dataset(masks, "grey-levels", count=4, size=48, classes=3)
    images.mkdir(parents=True)
    for path, truth in zip(paths, truths, strict=True):
        Image.fromarray(np.stack([truth * 80 + 40] * 3, axis=-1).astype(np.uint8)).save(images / path.name)
    return images, masks


def test_train_seg_prints_the_mask_decision_and_obeys_overrides(tmp_path, capsys):
    import json

    images, masks = _grey_level_folders(tmp_path / "data")
    common = ["--images", str(images), "--masks", str(masks), "--steps", "1", "--crop", "32", "--depth", "2",
              "--width", "4", "--batch-size", "2"]
    code = main(["train-seg", *common, "--out", str(tmp_path / "named"),
                 "--classes", "0=background,128=cell,255=nucleus"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "masks read as grey levels (in order) (as you set it)" in err
    assert "class 1 'cell': 128; " in err and "4 masks surveyed" in err
    params = json.loads((tmp_path / "named" / "config.json").read_text())["task_params"]
    assert params["num_classes"] == 3 and params["class_names"] == {"0": "background", "1": "cell", "2": "nucleus"}
    assert [c["values"] for c in params["masks"]["classes"]] == [[0], [128], [255]]

    code = main(["train-seg", *common, "--out", str(tmp_path / "binary"), "--mask-encoding", "binary"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "masks read as binary (0 / everything else) (as you set it)" in err and "2 classes" in err
    assert json.loads((tmp_path / "binary" / "config.json").read_text())["task_params"]["num_classes"] == 2


def test_train_seg_refuses_class_values_it_cannot_read(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["train-seg", "--images", str(tmp_path), "--masks", str(tmp_path), "--out", str(tmp_path / "r"),
              "--classes", "0,cell"])
    assert "class value 'cell'" in capsys.readouterr().err

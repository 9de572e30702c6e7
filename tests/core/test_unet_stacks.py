"""The U-Net segments whole stacks: one label map per frame (or one label TIFF stack), frame by frame."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from core.cli import main
from core.jobs import CancelToken, JobCancelled, Message, Progress
from core.maskio import read_mask
from core.stacks import open_stack
from core.stacks.label_stack import read_label_stack
from core.unet.inference import load_segmenter, segment_images_job
from tests.core.stack_helpers import corrupt_tiff_page
from tests.core.unet_helpers import synthetic_pair, write_folders

SIZE = (40, 48)  # height, width of the frames


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny U-Net trained for a few steps by the CLI (its quality does not matter here: every test compares
    a stack's frames with the same model on the same pictures)."""
    root = tmp_path_factory.mktemp("unet_stacks")
    images, masks = write_folders(root / "data", count=4, size=(32, 32))
    run = root / "run"
    assert main(["train-seg", "--images", str(images), "--masks", str(masks), "--out", str(run), "--steps", "6",
                 "--crop", "32", "--depth", "2", "--width", "4", "--batch-size", "4"]) == 0
    return run


def _frames(count: int) -> np.ndarray:
    return np.stack([synthetic_pair(*SIZE, seed=40 + i)[0] for i in range(count)])


def test_a_stack_gets_one_label_map_per_frame(run_dir, tmp_path):
    frames = _frames(4)
    tiff = tmp_path / "in" / "movie.tif"
    tiff.parent.mkdir()
    tifffile.imwrite(tiff, frames, photometric="rgb", compression="zlib")
    single = tmp_path / "in" / "photo.png"
    Image.fromarray(frames[0]).save(single)
    segmenter = load_segmenter(run_dir)
    events = []
    result = segment_images_job(run_dir, [tiff, single], tmp_path / "out", CancelToken(), events.append,
                                segmenter=segmenter)
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "movie/0000.png", "movie/0001.png", "movie/0002.png", "movie/0003.png", "photo.png"]
    assert len(result.written) == 5 and result.failed == []
    for index in range(4):  # each frame's map is what the model makes of that frame alone
        expected, _ = segmenter.predict(frames[index])
        assert np.array_equal(read_mask(out / "movie" / f"{index:04d}.png").labels, expected)
    assert np.array_equal(read_mask(out / "photo.png").labels, segmenter.predict(frames[0])[0])
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].total == 5 and progress[-1].done == 5  # frames, not files
    # skip_existing keeps frames that already have a map
    (out / "movie" / "0002.png").unlink()
    again = segment_images_job(run_dir, [tiff], out, CancelToken(), events.append, segmenter=segmenter,
                               skip_existing=True)
    assert [p.rsplit("/", 1)[-1] for p in again.written] == ["0002.png"] and len(again.kept) == 3


def test_a_stack_into_one_label_tiff_with_a_broken_frame(run_dir, tmp_path):
    tiff = tmp_path / "cells.tif"
    frames = _frames(3)
    tifffile.imwrite(tiff, frames, photometric="rgb", compression="zlib")
    corrupt_tiff_page(tiff, 1)
    segmenter = load_segmenter(run_dir)
    events = []
    result = segment_images_job(run_dir, [tiff], tmp_path / "out", CancelToken(), events.append,
                                segmenter=segmenter, stack_tiff=True)
    labels, _ = read_label_stack(tmp_path / "out" / "cells.tif")
    assert labels.shape == (3, *SIZE)
    assert np.array_equal(labels[0], segmenter.predict(frames[0])[0])
    assert np.array_equal(labels[2], segmenter.predict(frames[2])[0])
    assert not labels[1].any()  # the broken frame is left empty, so page i stays frame i
    assert [name for name, _ in result.failed] == [f"{tiff} frame 1"]
    assert any(isinstance(e, Message) and "frame 1" in e.text for e in events)


def test_a_sequence_folder_on_the_command_line(run_dir, tmp_path, capsys):
    folder = tmp_path / "walk"
    folder.mkdir()
    frames = _frames(3)
    for number, frame in zip((1, 2, 4), frames, strict=True):
        Image.fromarray(frame).save(folder / f"walk_{number:03d}.png")
    code = main(["segment", "--run", str(run_dir), "--input", str(folder), "--sequence",
                 "--output", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert "wrote 3 label map(s)" in capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "out" / "walk").iterdir())
    assert written == ["0000.png", "0001.png", "0002.png"]
    code = main(["segment", "--run", str(run_dir), "--input", str(folder), "--sequence", "--stack-tiff",
                 "--output", str(tmp_path / "tiff")])
    assert code == 0
    with open_stack(folder) as stack:
        labels, _ = read_label_stack(tmp_path / "tiff" / "walk.tif")
        assert labels.shape == (stack.n_frames, *SIZE)
    assert main(["segment", "--run", str(run_dir), "--input", str(folder / "walk_001.png"), "--sequence",
                 "--output", str(tmp_path / "x")]) == 2
    assert "--sequence takes the folder" in capsys.readouterr().err


def test_cancelling_a_stack_stops_between_frames(run_dir, tmp_path):
    tiff = tmp_path / "long.tif"
    tifffile.imwrite(tiff, _frames(6), photometric="rgb")
    token = CancelToken()
    segmenter = load_segmenter(run_dir)

    class CancelsAfterTwo:  # the user presses Cancel while frame 1 is being segmented
        class_names = segmenter.class_names
        calls = 0

        def predict(self, rgb, token_seen):
            CancelsAfterTwo.calls += 1
            if CancelsAfterTwo.calls == 2:
                token.cancel()
            return segmenter.predict(rgb)

    with pytest.raises(JobCancelled):
        segment_images_job(run_dir, [tiff], tmp_path / "out", token, lambda event: None,
                           segmenter=CancelsAfterTwo())
    assert sorted(p.name for p in (tmp_path / "out" / "long").iterdir()) == ["0000.png", "0001.png"]
    assert CancelsAfterTwo.calls == 2  # no frame after the cancel was decoded or predicted

"""Propagation: objects carried from frame to frame on small generated moving-object sequences."""

from __future__ import annotations

import numpy as np
import pytest

from core.jobs import CancelToken, Finished, Progress, run_job
from core.segmentation import ClickSegmenter
from core.segmentation.propagation import (
    PropagationParams,
    propagate_labels,
    propagate_object,
    start_segmenter,
)
from core.segmentation.propagation_job import FramePropagated, PropagationResult, propagate_frames_job

H, W = 96, 128


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _scene(objects, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured grey background with textured coloured rectangles; objects = [(label, top, left, h, w, rgb)]."""
    rng = np.random.default_rng(seed)
    # The background texture is fixed (the camera is still); only the objects move.
    image = (rng.integers(60, 140, (H, W, 1)) + np.zeros((1, 1, 3), int)).astype(np.float64)
    labels = np.zeros((H, W), np.uint8)
    for label, top, left, h, w, rgb in objects:
        rows = slice(min(H, max(0, top)), min(H, max(0, top + h)))
        cols = slice(min(W, max(0, left)), min(W, max(0, left + w)))
        patch = image[rows, cols]
        yy, xx = np.mgrid[rows, cols]
        # The object's own texture moves with it (stripes in its own coordinates).
        stripes = 25 * np.sin((yy - top) * 0.9 + (xx - left) * 0.5)[..., None]
        patch[...] = np.asarray(rgb, float) + stripes
        labels[rows, cols] = label
    return np.clip(image, 0, 255).astype(np.uint8), labels


def _sequence(count: int, velocity=(3, 7), size=(26, 30), start=(30, 10)):
    frames, masks = [], []
    for t in range(count):
        top, left = start[0] + velocity[0] * t, start[1] + velocity[1] * t
        rgb, labels = _scene([(1, top, left, size[0], size[1], (200, 60, 40))])
        frames.append(rgb)
        masks.append(labels)
    return frames, masks


def test_object_shift_found_and_mask_carried():
    frames, masks = _sequence(2)
    carried = propagate_object(frames[0], masks[0] == 1, frames[1])
    assert carried.shift == pytest.approx((3, 7), abs=0.75)
    assert _iou(carried.mask, masks[1] == 1) > 0.9
    # Without the motion search the object is left where it was: much worse (so the search is what helps).
    still = propagate_object(frames[0], masks[0] == 1, frames[1], params=PropagationParams(motion="none"))
    assert still.shift == (0.0, 0.0)
    assert _iou(still.mask, masks[1] == 1) < 0.6


def test_empty_mask_propagates_to_nothing():
    frames, _ = _sequence(2)
    carried = propagate_object(frames[0], np.zeros((H, W), bool), frames[1])
    assert not carried.mask.any() and carried.shift == (0.0, 0.0)


def test_propagated_prior_is_the_click_segmenters_starting_point():
    frames, masks = _sequence(2)
    truth = masks[1] == 1
    seg = ClickSegmenter(frames[1])
    assert not seg.mask().any()  # from scratch there is nothing to correct yet
    start_segmenter(seg, propagate_object(frames[0], masks[0] == 1, frames[1]))
    assert _iou(seg.mask(), truth) > 0.9
    # The user still corrects with clicks: a negative click inside the object removes that part.
    seg.add_click(30 + 3 + 13, 10 + 7 + 15, positive=False)
    assert _iou(seg.mask(), truth) < 0.9


def test_each_object_moves_with_its_own_motion():
    a = [(1, 20, 10, 24, 24, (200, 60, 40)), (2, 50, 90, 24, 24, (40, 80, 220))]
    b = [(1, 22, 16, 24, 24, (200, 60, 40)), (2, 48, 84, 24, 24, (40, 80, 220))]
    rgb0, labels0 = _scene(a)
    rgb1, labels1 = _scene(b)
    carried, objects = propagate_labels(rgb0, labels0, rgb1)
    assert objects[1].shift == pytest.approx((2, 6), abs=0.75)
    assert objects[2].shift == pytest.approx((-2, -6), abs=0.75)
    for label in (1, 2):
        assert _iou(carried == label, labels1 == label) > 0.9
    assert set(np.unique(carried).tolist()) == {0, 1, 2}


def test_frames_of_another_size_are_refused():
    frames, masks = _sequence(1)
    with pytest.raises(ValueError, match="one size"):
        propagate_labels(frames[0], masks[0], frames[0][:50])


def _run(job, token=None):
    events = []
    result = run_job(job, token or CancelToken(), events.append, name="propagate")
    return result, events


def test_job_carries_an_object_through_a_range_and_saves_each_frame():
    frames, masks = _sequence(6)
    saved = {}
    job = propagate_frames_job(lambda i: frames[i], masks[0], 0, 5, save=lambda i, labels: saved.update({i: labels}))
    result, events = _run(job)
    assert isinstance(result, PropagationResult) and result.frames == (1, 2, 3, 4, 5) and result.lost == ()
    assert sorted(saved) == [1, 2, 3, 4, 5]
    for index in saved:  # errors do not pile up over the range
        assert _iou(saved[index] == 1, masks[index] == 1) > 0.85, index
    done = [e for e in events if isinstance(e, FramePropagated)]
    assert [e.index for e in done] == [1, 2, 3, 4, 5]
    assert not done[0].labels.flags.writeable
    assert dict(done[-1].shifts)[1] == pytest.approx((3, 7), abs=0.75)
    assert [e for e in events if isinstance(e, Progress)][-1].done == 5


def test_job_without_motion_search_drifts_off_the_object():
    frames, masks = _sequence(6)
    saved = {}
    job = propagate_frames_job(lambda i: frames[i], masks[0], 0, 5, params=PropagationParams(motion="none"),
                               save=lambda i, labels: saved.update({i: labels}))
    _run(job)
    assert _iou(saved[5] == 1, masks[5] == 1) < 0.2


def test_job_cancel_keeps_the_frames_done():
    frames, masks = _sequence(6)
    token = CancelToken()
    saved = {}

    def save(index, labels):
        saved[index] = labels
        if index == 2:
            token.cancel()

    result, events = _run(propagate_frames_job(lambda i: frames[i], masks[0], 0, 5, save=save), token)
    assert result is None and events[-1] == Finished(result=None, elapsed_s=events[-1].elapsed_s, cancelled=True,
                                                    time=events[-1].time)
    assert sorted(saved) == [1, 2]


def test_job_refuses_nothing_to_propagate():
    frames, masks = _sequence(2)
    with pytest.raises(ValueError, match="no accepted object"):
        propagate_frames_job(lambda i: frames[i], np.zeros((H, W), np.uint8), 0, 1)
    with pytest.raises(ValueError, match="must come after"):
        propagate_frames_job(lambda i: frames[i], masks[0], 3, 3)


def test_cli_propagates_a_numbered_frame_folder(tmp_path):
    from PIL import Image

    from core.cli import main
    from core.maskio import read_mask, write_mask

    frames, masks = _sequence(5)
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / f"frame_{t + 1:04d}.png")
    write_mask(tmp_path / "first.png", masks[1])
    out = tmp_path / "out"
    assert main(["propagate", str(folder), "--mask", str(tmp_path / "first.png"), "-o", str(out),
                 "--start", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["frame_0003.png", "frame_0004.png", "frame_0005.png"]
    for t in (2, 3, 4):
        carried = read_mask(out / f"frame_{t + 1:04d}.png").labels
        assert _iou(carried == 1, masks[t] == 1) > 0.85


def test_cli_names_the_bad_input(tmp_path, capsys):
    from PIL import Image

    from core.cli import main

    folder = tmp_path / "frames"
    folder.mkdir()
    frames, _ = _sequence(2)
    for t, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / f"f{t}.png")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    assert main(["propagate", str(folder), "--mask", str(tmp_path / "small.png"), "-o", str(tmp_path / "o")]) == 2
    assert "small.png" in capsys.readouterr().err
    assert main(["propagate", str(folder), "--mask", str(tmp_path / "small.png"), "-o", str(tmp_path / "o"),
                 "--stop", "5"]) == 2
    assert "frames 0..1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_propagates_through_a_tiff_stack_and_a_chosen_frame_file(tmp_path):
    import tifffile
    from PIL import Image

    from core.cli import main
    from core.maskio import read_mask, write_mask

    frames, masks = _sequence(4)
    tifffile.imwrite(tmp_path / "movie.tif", np.stack(frames), photometric="rgb")
    write_mask(tmp_path / "first.png", masks[0])
    out = tmp_path / "out"
    assert main(["propagate", str(tmp_path / "movie.tif"), "--mask", str(tmp_path / "first.png"), "-o",
                 str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["0001.png", "0002.png", "0003.png"]
    for t in (1, 2, 3):
        assert _iou(read_mask(out / f"{t:04d}.png").labels == 1, masks[t] == 1) > 0.85
    folder = tmp_path / "seq"
    folder.mkdir()
    for t, rgb in enumerate(frames):  # natural order: f9 before f10
        Image.fromarray(rgb).save(folder / f"f{t + 8}.png")
    out2 = tmp_path / "out2"
    assert main(["propagate", str(folder / "f9.png"), "--mask", str(tmp_path / "first.png"), "-o", str(out2),
                 "--stop", "2"]) == 0
    assert sorted(p.name for p in out2.iterdir()) == ["f10.png", "f9.png"]
    assert _iou(read_mask(out2 / "f10.png").labels == 1, masks[2] == 1) > 0.85


def _textured_disc(radius_rows: float, radius_cols: float, shape=(120, 160)):
    """A textured ellipse on a plain background, centred: the object of a frame, and its mask."""
    rng = np.random.default_rng(7)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    inside = ((rows - 60) / radius_rows) ** 2 + ((cols - 80) / radius_cols) ** 2 <= 1
    texture = (rng.random((shape[0] // 4 + 1, shape[1] // 4 + 1)) * 120 + 100).repeat(4, 0).repeat(4, 1)
    # the texture is stretched with the object, as a turning or growing body's surface is
    stretch = radius_cols / 30.0
    src_cols = np.clip(((cols - 80) / stretch + 80).astype(int), 0, shape[1] - 1)
    grey = np.where(inside, texture[rows, src_cols], 30).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2), inside


def _iou_of(a, b) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize(("before_cols", "after_cols", "at_least"), [(36, 30, 0.95), (30, 24, 0.95), (30, 36, 0.86)])
def test_flow_follows_an_object_that_deforms_where_a_shift_cannot(before_cols, after_cols, at_least):
    """The object narrows or widens about its centre: no translation explains it, the flow does."""
    before, mask = _textured_disc(30, before_cols)
    after, truth = _textured_disc(30, after_cols)
    shift_only = propagate_object(before, mask, after, params=PropagationParams(motion="shift"))
    flowed = propagate_object(before, mask, after, params=PropagationParams(motion="shift+flow"))
    assert _iou_of(flowed.mask, truth) > _iou_of(shift_only.mask, truth) + 0.04
    assert _iou_of(flowed.mask, truth) >= at_least


def test_unknown_motion_is_refused():
    frame, mask = _textured_disc(20, 20)
    with pytest.raises(ValueError, match="unknown motion"):
        propagate_object(frame, mask, frame, params=PropagationParams(motion="affine"))

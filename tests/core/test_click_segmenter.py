"""ClickSegmenter on synthetic images: the standard click protocol reaches the IoU targets in a few clicks."""

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from core.segmentation import ClickSegmenter, Params


def iou(a, b):
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


def next_click(gt, pred):
    """The benchmark's click: the most interior pixel of the larger error region (positive if missed)."""
    fn = distance_transform_edt(np.pad(gt & ~pred, 1))[1:-1, 1:-1]
    fp = distance_transform_edt(np.pad(~gt & pred, 1))[1:-1, 1:-1]
    positive = fn.max() > fp.max()
    dt = fn if positive else fp
    row, col = np.unravel_index(int(np.argmax(dt)), dt.shape)
    return int(row), int(col), bool(positive)


def clicks_to_reach(image, gt, target, max_clicks=10):
    seg = ClickSegmenter(image)
    pred = np.zeros_like(gt)
    for n in range(1, max_clicks + 1):
        seg.add_click(*next_click(gt, pred))
        pred = seg.mask()
        if iou(gt, pred) >= target:
            return n
    return None


def disc_on_noise(seed=0, h=160, w=220):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    gt = (yy - 80) ** 2 + (xx - 120) ** 2 < 45**2
    image = rng.normal(100, 25, (h, w, 3)) + gt[..., None] * np.array([60, 40, -30])
    return image.clip(0, 255).astype(np.uint8), gt


def two_touching_objects(h=160, w=240):
    """A red square and a blue disc that touch, on grey; the object is the disc."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:h, :w]
    square = (np.abs(yy - 80) < 40) & (xx >= 40) & (xx < 120)
    disc = ((yy - 80) ** 2 + (xx - 160) ** 2 < 40**2) & ~square
    image = np.full((h, w, 3), 128.0)
    image[square] = (200, 40, 40)
    image[disc] = (40, 60, 200)
    image += rng.normal(0, 8, image.shape)
    return image.clip(0, 255).astype(np.uint8), disc


def textured_object(h=180, w=240):
    """Object and background are both fine random textures of two colours each, of similar brightness."""
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[:h, :w]
    gt = ((yy - 90) / 55.0) ** 2 + ((xx - 120) / 75.0) ** 2 < 1
    pick = rng.random((h, w)) < 0.5
    background = np.where(pick[..., None], [[110, 140, 90]], [[150, 120, 100]])
    foreground = np.where(pick[..., None], [[90, 110, 170]], [[170, 100, 150]])
    image = np.where(gt[..., None], foreground, background) + rng.normal(0, 6, (h, w, 3))
    return image.clip(0, 255).astype(np.uint8), gt


@pytest.mark.parametrize("make, target, max_clicks", [
    (disc_on_noise, 0.9, 3),
    (two_touching_objects, 0.9, 3),
    (textured_object, 0.85, 5),
])
def test_protocol_reaches_target(make, target, max_clicks):
    image, gt = make()
    assert clicks_to_reach(image, gt, target, max_clicks) is not None


def test_probabilities_shape_range_and_mask_agree():
    image, gt = disc_on_noise()
    seg = ClickSegmenter(image)
    assert not seg.mask().any()  # nothing before the first click
    seg.add_click(80, 120)
    prob = seg.probabilities()
    assert prob.shape == gt.shape and prob.dtype == np.float32
    assert prob.min() >= 0 and prob.max() <= 1
    assert np.array_equal(seg.mask(), prob > 0.49)


def test_greyscale_and_large_images_are_scaled_back():
    image, gt = disc_on_noise(h=900, w=1300)
    grey = image.mean(axis=2).astype(np.uint8)
    seg = ClickSegmenter(grey)
    assert seg.scale < 1  # worked on at a reduced size ...
    seg.add_click(80, 120)
    assert seg.mask().shape == (900, 1300)  # ... but answered at full size
    assert seg.mask()[80, 120]


def test_negative_click_removes_a_false_region():
    image, disc = two_touching_objects()
    seg = ClickSegmenter(image)
    seg.add_click(80, 160)
    seg.add_click(80, 80, positive=True)  # the square too
    assert seg.mask()[80, 80]
    seg.add_click(80, 80, positive=False)  # changed my mind: not the square
    mask = seg.mask()
    assert not mask[80, 80] and mask[80, 160]
    assert iou(mask, disc) > 0.85


def test_undo_redo_reset():
    image, gt = disc_on_noise()
    seg = ClickSegmenter(image)
    seg.add_click(80, 120)
    one = seg.mask().copy()
    seg.add_click(10, 10, positive=False)
    assert seg.can_undo()
    assert seg.undo() and np.array_equal(seg.mask(), one)
    assert seg.redo() and len(seg.clicks) == 2
    assert not seg.redo()
    seg.reset()
    assert not seg.mask().any() and not seg.can_undo()


def test_restored_clicks_give_the_same_mask_and_undo_one_by_one():
    """Undoing an accepted object gives its clicks back to the segmenter (the Segment panel's undo)."""
    image, gt = disc_on_noise()
    seg = ClickSegmenter(image)
    seg.add_click(80, 120)
    one = seg.mask().copy()
    seg.add_click(10, 10, positive=False)
    two = seg.mask().copy()
    kept = list(seg.interactions)
    seg.reset()
    assert not seg.mask().any()
    seg.restore(kept)
    assert seg.interactions == kept and np.array_equal(seg.mask(), two)
    assert seg.undo() and np.array_equal(seg.mask(), one)
    assert seg.undo() and not seg.mask().any() and not seg.can_undo()
    assert seg.redo() and seg.redo() and np.array_equal(seg.mask(), two)


def test_strokes_seed_the_object_and_the_background():
    image, disc = two_touching_objects()
    seg = ClickSegmenter(image)
    seg.add_stroke([(60, 150), (100, 170)], positive=True, radius=3)
    seg.add_stroke([(20, 20), (20, 220)], positive=False, radius=3)
    assert iou(seg.mask(), disc) > 0.85
    assert not seg.mask()[20, 100]
    with pytest.raises(ValueError):
        seg.add_stroke([], positive=True)


def test_prior_mask_is_the_starting_point_and_clicks_correct_it():
    image, disc = two_touching_objects()
    square_and_disc = disc.copy()
    square_and_disc[50:110, 45:115] = True  # a model that wrongly took the square as well
    seg = ClickSegmenter(image, prior=square_and_disc)
    assert np.array_equal(seg.mask(), square_and_disc)  # before any click: the prior itself
    seg.add_click(80, 80, positive=False)
    assert iou(seg.mask(), disc) > 0.85
    with pytest.raises(ValueError, match="shape"):
        seg.set_prior(np.zeros((5, 5), bool))


@pytest.mark.parametrize("bad", [np.zeros((10, 10, 2), np.uint8), np.zeros((10, 10, 3), np.float32),
                                 np.zeros((10,), np.uint8)])
def test_bad_images_are_refused(bad):
    with pytest.raises(ValueError):
        ClickSegmenter(bad)


def test_clicks_outside_the_image_are_refused():
    image, _ = disc_on_noise()
    seg = ClickSegmenter(image)
    for row, col in [(-5, 10), (10, 5000), (float("nan"), 3)]:
        with pytest.raises(ValueError, match="outside"):
            seg.add_click(row, col)
    assert not seg.clicks


def test_boundaries_are_refined_at_work_resolution():
    """The global solve runs on a coarse grid; a band around its boundary is re-cut at full resolution."""
    rng = np.random.default_rng(3)
    h, w = 300, 400
    yy, xx = np.mgrid[:h, :w]
    gt = ((yy - 150) ** 2 + (xx - 200) ** 2 < 70**2) | ((np.abs(yy - 150) < 5) & (xx > 40) & (xx < 360))
    image = (rng.normal(90, 12, (h, w, 3)) + gt[..., None] * np.array([70, 50, -40])).clip(0, 255).astype(np.uint8)
    results = {}
    for work in (20_000, 200_000):  # answered on the coarse grid, or refined at full resolution
        seg = ClickSegmenter(image, params=Params(coarse_pixels=20_000, max_work_pixels=work))
        seg.add_click(150, 200)
        seg.add_click(150, 320)
        assert seg.mask().shape == (h, w)
        results[work] = iou(seg.mask(), gt)
    assert results[200_000] > 0.95
    assert results[200_000] > results[20_000] + 0.02


def test_memory_keeps_an_earlier_correction():
    """Each answer starts from the previous one: a later click elsewhere does not undo a correction."""
    image, disc = two_touching_objects()
    seg = ClickSegmenter(image)
    seg.add_click(80, 160)
    seg.add_click(80, 80, positive=True)
    seg.add_click(80, 80, positive=False)
    seg.add_click(60, 175, positive=True)
    mask = seg.mask()
    assert not mask[80, 80] and iou(mask, disc) > 0.85
    assert seg.undo() and seg.undo()
    again = seg.mask()
    seg.redo()
    seg.redo()
    assert np.array_equal(seg.mask(), mask)  # undo/redo give back exactly the answers seen before
    assert again[80, 80]


def test_a_click_inside_the_last_change_reverts_it_in_the_memory():
    """A negative click in what the last positive click added says that addition was wrong: the whole added
    region is remembered as it was before it, not just the clicked spot."""
    image, disc = two_touching_objects()
    yy, xx = np.mgrid[: disc.shape[0], : disc.shape[1]]
    square = (np.abs(yy - 80) < 40) & (xx >= 40) & (xx < 120)
    seg = ClickSegmenter(image)
    seg.add_click(80, 160)
    before = seg.mask()
    seg.add_click(80, 80, positive=True)  # the square joins the object
    assert seg.mask()[square].mean() > 0.9
    seg.add_click(60, 50, positive=False)
    grid = seg.coarse_shape
    previous = seg._history[tuple(seg.interactions[:-1])]
    memory = seg._revert(previous)
    changed = (previous > 0.5) != (seg._history[tuple(seg.interactions[:-2])] > 0.5)
    assert changed.sum() > 0.2 * grid[0] * grid[1] * square.mean()
    assert not (memory[changed] > 0.5).any()  # all of the addition, not only around the click
    assert iou(seg.mask(), before) > 0.95 and iou(seg.mask(), disc) > 0.9
    seg.add_click(100, 160, positive=False)  # a click outside the last change keeps the memory as it was
    previous = seg._history[tuple(seg.interactions[:-1])]
    assert np.array_equal(seg._revert(previous), previous)


def test_a_click_in_texture_still_speaks_for_a_region():
    """In strong texture every geodesic step is expensive; the click's region is then its nearest pixels."""
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    flat = np.full((120, 160, 3), 120, dtype=np.uint8)
    flat[:, 80:] = 30
    sizes = {}
    for name, image in (("noise", noise), ("flat", flat)):
        seg = ClickSegmenter(image)
        index, dist = seg._local_region(60, 40)
        assert dist.size == index.size and (dist >= 0).all() and (dist < seg.params.local_limit).all()
        sizes[name] = index.size
        region = np.zeros(seg.coarse_shape, dtype=bool).ravel()
        region[index] = True
        sizes[name + "_right"] = region.reshape(seg.coarse_shape)[:, 82:].sum()
    assert seg.params.local_count <= sizes["noise"] < 4 * seg.params.local_count
    assert sizes["flat"] > 1000 and sizes["flat_right"] == 0  # a flat region is taken whole, up to its edge

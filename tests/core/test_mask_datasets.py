"""A folder of masks is read as one dataset: one encoding, the same class ids in every file, noise snapped and
counted, contradicting files named, the user's overrides obeyed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.masks.classes import MaskClass, MaskDecision, MaskOverride
from core.masks.reading import read_labels
from core.masks.survey import survey_masks
from core.masks.values import pack
from core.unet.dataset import load_data, scan_folders
from tests.core.mask_datasets import COLOURS, agreement, shapes, write_dataset


def read_all(paths, survey):
    return [read_labels(p, survey.decision)[0] for p in paths]


def test_binary_masks_with_a_few_antialiased_files_stay_two_classes(tmp_path):
    paths, truths = write_dataset(tmp_path, "binary-aa")
    survey = survey_masks(paths)
    decision = survey.decision
    assert decision.encoding == "binary" and decision.num_classes == 2
    assert [c.values[0] for c in decision.classes] == [0, 255]
    for i, (labels, truth) in enumerate(zip(read_all(paths, survey), truths, strict=True)):
        if i % 3:
            assert np.array_equal(labels, truth)  # clean files read exactly
        else:
            assert agreement(labels, truth) > 0.97  # only boundary pixels may differ
    snapped = {p.name for p in paths if survey.verdicts[str(p)].snapped}
    assert snapped == {"m0.png", "m3.png", "m6.png"}  # exactly the antialiased files, and they are named
    text = "\n".join(survey.lines())
    assert "binary (0/255)" in text and "m0.png" in text and "snapped to the nearest class" in text


def test_jpeg_compressed_binary_masks(tmp_path):
    paths, truths = write_dataset(tmp_path, "binary-jpeg")
    survey = survey_masks(paths)
    assert survey.decision.encoding == "binary" and survey.decision.num_classes == 2
    for labels, truth in zip(read_all(paths, survey), truths, strict=True):
        assert set(np.unique(labels)) <= {0, 1} and agreement(labels, truth) > 0.97
    assert all(v.snapped for v in survey.verdicts.values())


def test_zero_one_masks(tmp_path):
    paths, truths = write_dataset(tmp_path, "zero-one")
    survey = survey_masks(paths)
    assert survey.decision.encoding == "binary" and [c.values for c in survey.decision.classes] == [(0,), (1,)]
    assert all(np.array_equal(a, b) for a, b in zip(read_all(paths, survey), truths, strict=True))


def test_palette_masks_keep_their_indices_and_names(tmp_path):
    paths, truths = write_dataset(tmp_path, "palette-named", classes=3)
    survey = survey_masks(paths)
    assert survey.decision.encoding == "palette" and survey.decision.num_classes == 3
    assert survey.decision.names == {1: "cell", 2: "nucleus"}
    assert all(np.array_equal(a, b) for a, b in zip(read_all(paths, survey), truths, strict=True))


@pytest.mark.parametrize("form", ["colour", "colour-jpeg", "colour-aa"])
def test_colour_masks_read_as_four_classes_with_one_id_per_colour(tmp_path, form):
    paths, truths = write_dataset(tmp_path, form, classes=4)
    survey = survey_masks(paths)
    decision = survey.decision
    assert decision.encoding == "colours" and decision.num_classes == 4, survey.lines()
    ids = dict(enumerate(decision.ids_of(pack(COLOURS))[0].tolist()))
    assert ids[0] == 0 and sorted(ids.values()) == [0, 1, 2, 3]  # black is background; one id per colour
    for labels, truth in zip(read_all(paths, survey), truths, strict=True):
        assert agreement(labels, truth, ids) > (0.999 if form == "colour" else 0.95)


def test_jpeg_colour_masks_get_the_same_ids_as_their_png_originals(tmp_path):
    png, _ = write_dataset(tmp_path / "png", "colour", classes=4)
    jpeg, _ = write_dataset(tmp_path / "jpeg", "colour-jpeg", classes=4)
    png_ids = survey_masks(png).decision.ids_of(pack(COLOURS))[0]
    jpeg_ids = survey_masks(jpeg).decision.ids_of(pack(COLOURS))[0]
    assert np.array_equal(png_ids, jpeg_ids)


def test_one_rgb_jpeg_mask_of_three_colours_is_three_classes_not_dozens(tmp_path):
    from core.maskio import read_mask

    truth = shapes(128, 3, classes=3)
    Image.fromarray(COLOURS[truth]).save(tmp_path / "m.jpg", quality=70)
    with Image.open(tmp_path / "m.jpg") as image:
        assert len(image.getcolors(1 << 16)) > 29  # what the old reader made classes of
    loaded = read_mask(tmp_path / "m.jpg")
    assert loaded.report.kind == "colours" and len(loaded.report.classes) == 3
    assert any("snapped" in note for note in loaded.report.notes)


def test_large_palette_with_far_apart_indices_is_not_256_classes(tmp_path):
    paths, truths = write_dataset(tmp_path, "large-palette", classes=4)
    with Image.open(paths[0]) as image:
        assert len(image.getpalette()) == 768 and np.asarray(image).max() > 150  # indices far apart
    survey = survey_masks(paths)
    assert survey.decision.num_classes == 4, survey.lines()
    labels = read_all(paths, survey)
    assert max(int(lab.max()) for lab in labels) == 3


def test_void_index_255_of_a_palette_dataset_is_one_more_class(tmp_path):
    truth = shapes(64, 1, classes=3)
    for i in range(3):
        labels = truth.copy()
        labels[:2] = 255  # the usual 'void' border
        image = Image.fromarray(labels, "P")
        image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0, 0, 0] * 252 + [224, 224, 192])
        image.save(tmp_path / f"v{i}.png")
    survey = survey_masks(sorted(tmp_path.glob("v*.png")))
    assert survey.decision.encoding == "palette" and survey.decision.num_classes == 4
    assert [c.values[0] for c in survey.decision.classes] == [0, 1, 2, 255]


def test_a_contradicting_mask_is_named_and_skipped(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    paths, truths = write_dataset(masks, "binary", count=6)
    odd = np.asarray(Image.open(paths[4])).copy()
    odd[10:60, 10:60] = 128  # a large region of a value no other mask has
    Image.fromarray(odd).save(paths[4])
    images.mkdir()
    for p in paths:
        Image.fromarray(np.full((96, 96, 3), 90, np.uint8)).save(images / p.name)
    data = load_data(scan_folders(images, masks))
    assert data.masks.decision.encoding == "binary" and data.num_classes == 2
    assert "m4" not in data.stems and len(data) == 5
    (problem,) = [p for p in data.problems if p.kind == "contradicts_dataset"]
    assert problem.path.endswith("m4.png") and problem.skipped
    assert "128 (" in problem.message and "no class of this dataset" in problem.message
    assert any("m4.png: contradicts" in line for line in data.masks.lines())


def test_a_zero_one_mask_among_zero_255_masks_contradicts(tmp_path):
    paths, truths = write_dataset(tmp_path, "binary", count=5)
    Image.fromarray(truths[2], "L").save(paths[2])  # this one says 0/1
    survey = survey_masks(paths)
    assert [c.values[0] for c in survey.decision.classes] == [0, 255]
    assert survey.problem(paths[2])[0] == "contradicts_dataset"
    assert all(survey.problem(p) is None for i, p in enumerate(paths) if i != 2)


def test_overrides_set_the_encoding_or_the_classes(tmp_path):
    paths, truths = write_dataset(tmp_path, "grey-levels", classes=3)
    auto = survey_masks(paths).decision
    assert auto.encoding == "grey-levels" and auto.num_classes == 3
    binary = survey_masks(paths, override=MaskOverride("binary")).decision
    assert binary.encoding == "binary" and binary.num_classes == 2
    labels = read_labels(paths[0], binary)[0]
    assert np.array_equal(labels, (truths[0] > 0).astype(np.uint8))
    given = MaskOverride(classes=(MaskClass(0, (0,), "background"), MaskClass(1, (255,), "bright")))
    survey = survey_masks(paths, override=given)
    assert survey.decision.names == {0: "background", 1: "bright"}
    # 128 covers a lot of some masks and is no class now: those masks contradict the classes given
    assert any(v.problem for v in survey.verdicts.values())
    palette, _ = write_dataset(tmp_path / "p", "palette-named", classes=3)
    as_colours = survey_masks(palette, override=MaskOverride("colours")).decision
    assert as_colours.encoding == "colours" and as_colours.num_classes == 3


def test_the_decision_round_trips_through_a_run_config(tmp_path):
    paths, _ = write_dataset(tmp_path, "colour-jpeg", classes=4)
    decision = survey_masks(paths).decision
    again = MaskDecision.from_params(decision.to_params())
    assert again.classes == decision.classes and again.encoding == decision.encoding
    survey = survey_masks(paths, override=MaskOverride.of(again))
    assert survey.decision.classes == decision.classes


def test_an_unreadable_mask_is_listed_and_the_rest_decide(tmp_path):
    paths, _ = write_dataset(tmp_path, "binary", count=4)
    paths[1].write_bytes(b"not a png at all")
    survey = survey_masks(paths)
    assert survey.decision.encoding == "binary"
    assert survey.problem(paths[1])[0] == "unreadable_mask"


def test_a_large_colour_mask_is_counted_in_bounded_memory(tmp_path):
    import tracemalloc

    from core.maskio import read_mask

    side = 4000
    image = Image.new("RGB", (side, side))
    image.paste((255, 0, 0), (500, 500, 2500, 3000))
    image.paste((0, 0, 255), (2000, 2000, 3900, 3900))
    image.save(tmp_path / "big.png")
    del image
    tracemalloc.start()
    loaded = read_mask(tmp_path / "big.png")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded.report.classes == (0, 1, 2) and loaded.labels[3500, 3500] == 1
    # the labels themselves are 16 MB; a packed uint32 copy of the image alone would be 64 MB
    assert peak < 60e6, f"numpy peak {peak / 1e6:.0f} MB"


def test_class_names_of_palette_masks_become_the_datasets_class_names(tmp_path):
    from tests.core.unet_helpers import synthetic_pair

    images = tmp_path / "images"
    paths, _ = write_dataset(tmp_path / "masks", "palette-named", count=3, size=48, classes=3)
    images.mkdir()
    for path in paths:
        Image.fromarray(synthetic_pair(48, 48, seed=1)[0]).save(images / path.name)
    data = load_data(scan_folders(images, tmp_path / "masks"))
    assert data.class_names == {1: "cell", 2: "nucleus"} and data.num_classes == 3

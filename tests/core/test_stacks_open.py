"""Opening stacks: multi-page TIFFs, animated GIF/APNG/WebP, numbered sequences, single images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.imageio import ImageLoadError, load_image
from core.stacks import FrameLoadError, StackError, find_sequence, is_stack, open_stack, stack_depth
from tests.core.stack_helpers import (
    corrupt_tiff_page,
    gray_stack,
    write_animation,
    write_sequence,
    write_tiff_stack,
)


def test_an_8_bit_tiff_stack_has_its_frames_and_values(tmp_path):
    array = gray_stack(5, np.uint8)
    with open_stack(write_tiff_stack(tmp_path / "cells.tif", array)) as stack:
        assert (stack.kind, stack.n_frames, len(stack), stack.frame_size) == ("tiff", 5, 5, (10, 8))
        for index in (3, 0, 4):
            frame = stack.frame(index)
            assert frame.raw is None and frame.meta.frames == 5
            assert np.array_equal(frame.rgb, np.repeat(array[index][..., None], 3, axis=2))
        assert stack.frame_name(3) == "cells [4/5]"


def test_a_16_bit_tiff_stack_keeps_its_stored_values(tmp_path):
    array = gray_stack(3, np.uint16)
    with open_stack(write_tiff_stack(tmp_path / "em.tif", array)) as stack:
        frame = stack.frame(2)
        assert frame.raw.dtype == np.uint16 and np.array_equal(frame.raw, array[2])
        assert frame.meta.bit_depth == 16 and frame.meta.value_range == (2000.0, 2079.0)
        assert frame.rgb[0, 0, 0] == 0 and frame.rgb[-1, -1, 0] == 255  # stretched per frame for display
        assert frame.value_at(1, 2) == (2012,)


def test_a_float_multichannel_tiff_folds_its_axes_into_frames(tmp_path):
    array = np.random.default_rng(0).random((2, 3, 8, 10)).astype(np.float32)
    path = write_tiff_stack(tmp_path / "tc.tif", array, imagej=True, metadata={"axes": "TCYX"}, photometric=None)
    with open_stack(path) as stack:
        assert stack.n_frames == 6
        assert np.array_equal(stack.frame(4).raw, array[1, 1])
        assert stack.frame_name(4).endswith("t=1 c=1")
        assert any("folded" in note for note in stack.notes)


def test_an_rgb_tiff_stack_gives_rgb_frames(tmp_path):
    array = np.random.default_rng(1).integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)
    with open_stack(write_tiff_stack(tmp_path / "rgb.tif", array, photometric="rgb")) as stack:
        assert stack.n_frames == 3 and np.array_equal(stack.frame(1).rgb, array[1])


@pytest.mark.parametrize(("suffix", "kind", "options"), [(".gif", "gif", {}), (".png", "apng", {}),
                                                        (".webp", "webp", {"lossless": True})])
def test_animations_decode_each_frame(tmp_path, suffix, kind, options):
    path = write_animation(tmp_path / f"anim{suffix}", count=5, **options)
    with open_stack(path) as stack:
        assert (stack.kind, stack.n_frames) == (kind, 5)
        for index in (4, 1, 3, 0):  # backwards too: Pillow re-seeks from the start
            frame = stack.frame(index)
            assert frame.meta.frames == 5
            red, _, blue = frame.rgb[0, 0]
            assert abs(int(red) - 30 * index) <= 2
            assert frame.rgb[0, index, 2] > 240 and frame.rgb[0, (index + 1) % 10, 2] < 15


def test_a_gif_with_partial_frames_is_composited(tmp_path):
    base = Image.new("RGB", (12, 12), (0, 0, 255))
    patch = Image.new("RGB", (12, 12), (0, 0, 255))
    patch.paste((255, 0, 0), (0, 0, 4, 4))
    path = tmp_path / "partial.gif"
    base.save(path, save_all=True, append_images=[patch], duration=40, disposal=1, optimize=True)
    with open_stack(path) as stack:
        second = stack.frame(1).rgb
    assert tuple(second[1, 1]) == (255, 0, 0) and tuple(second[10, 10]) == (0, 0, 255)


def test_a_numbered_sequence_is_in_natural_order_and_reports_gaps(tmp_path):
    folder = tmp_path / "walk"
    write_sequence(folder, [1, 2, 3, 5, 10], digits=1)  # frame_10 after frame_5, not after frame_1
    (folder / "notes.txt").write_text("not a frame")
    with open_stack(folder) as stack:
        assert stack.kind == "sequence" and stack.n_frames == 5
        assert [stack.frame_name(i) for i in range(5)] == ["frame_1.png", "frame_2.png", "frame_3.png",
                                                          "frame_5.png", "frame_10.png"]
        assert stack.gaps == (4, 6, 7, 8, 9) and "5 missing" in stack.notes[0]
        assert stack.frame(4).rgb[0, 0, 0] == 120 and stack.frame(4).meta.frames == 5
    sequence = find_sequence(folder / "frame_3.png")
    assert sequence.pattern == "frame_#.png" and sequence.numbers == (1, 2, 3, 5, 10)


def test_a_chosen_frame_file_opens_its_siblings_only_when_asked(tmp_path):
    write_sequence(tmp_path, [7, 8, 9])
    write_sequence(tmp_path, [1, 2], prefix="other_")
    chosen = tmp_path / "frame_0008.png"
    assert open_stack(chosen).n_frames == 1 and open_stack(chosen).kind == "single"
    with open_stack(chosen, as_sequence=True) as stack:
        assert [stack.frame_file(i).name for i in range(3)] == ["frame_0007.png", "frame_0008.png",
                                                                 "frame_0009.png"]
    assert stack_depth(chosen, as_sequence=True) == 3 and is_stack(tmp_path) and not is_stack(chosen)


def test_a_single_image_is_a_stack_of_depth_one(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(np.full((5, 6, 3), 77, np.uint8)).save(path)
    with open_stack(path) as stack:
        assert (stack.kind, stack.n_frames, stack.frame_name(0)) == ("single", 1, "photo.png")
        assert np.array_equal(stack.frame(0).rgb, load_image(path).rgb)
        with pytest.raises(IndexError):
            stack.frame(1)


def test_a_corrupt_tiff_page_fails_alone(tmp_path):
    path = write_tiff_stack(tmp_path / "broken.tif", gray_stack(4, np.uint16), compression="zlib")
    corrupt_tiff_page(path, 2)
    with open_stack(path) as stack:
        with pytest.raises(FrameLoadError) as caught:
            stack.frame(2)
        assert caught.value.index == 2 and "frame 2" in str(caught.value) and "broken.tif" in str(caught.value)
        assert isinstance(caught.value, ImageLoadError) and caught.value.kind == "corrupt"
        assert stack.frame(3).raw[0, 0] == 3000 and stack.frame(1).raw[0, 0] == 1000


def test_a_corrupt_frame_of_a_sequence_names_its_file(tmp_path):
    paths = write_sequence(tmp_path / "seq", [1, 2, 3])
    paths[1].write_bytes(paths[1].read_bytes()[:60])  # truncated
    with open_stack(tmp_path / "seq") as stack:
        with pytest.raises(FrameLoadError) as caught:
            stack.frame(1)
        assert caught.value.index == 1 and "frame_0002.png" in str(caught.value)
        assert stack.frame(2).rgb[0, 0, 0] == 60


def test_a_truncated_animation_fails_on_its_late_frames_only(tmp_path):
    path = write_animation(tmp_path / "cut.gif", count=6, size=(40, 30))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    with open_stack(path) as stack:
        assert stack.frame(0).rgb[0, 0, 0] == 0
        with pytest.raises(FrameLoadError):
            for index in range(stack.n_frames):
                stack.frame(index)


def test_unusable_sources_are_stack_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(StackError, match="no images"):
        open_stack(tmp_path / "empty")
    with pytest.raises(StackError, match="not found"):
        open_stack(tmp_path / "missing.tif")
    (tmp_path / "text.gif").write_text("not a picture")
    with pytest.raises(ImageLoadError):
        open_stack(tmp_path / "text.gif")


def test_the_pixel_limit_and_decode_budget_hold_per_frame(tmp_path, monkeypatch):
    tiff = write_tiff_stack(tmp_path / "big.tif", gray_stack(3, np.uint16, size=(400, 500)))
    gif = write_animation(tmp_path / "big.gif", count=3, size=(800, 700))
    with open_stack(tiff) as stack:  # headers are read whatever the limits
        monkeypatch.setenv("SEGGAN_MAX_PIXELS", "100000")
        with pytest.raises(FrameLoadError) as caught:
            stack.frame(1)
        assert caught.value.kind == "too_large" and "frame 1: image too large" in str(caught.value)
        monkeypatch.delenv("SEGGAN_MAX_PIXELS")
        monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "1")  # 400x500 uint16 needs about 1.4 MB
        with pytest.raises(FrameLoadError, match="SEGGAN_MAX_DECODE_MB"):
            stack.frame(1)
        monkeypatch.delenv("SEGGAN_MAX_DECODE_MB")
        assert stack.frame(1).raw.shape == (400, 500)
    monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "1")
    with open_stack(gif) as stack, pytest.raises(FrameLoadError) as caught:
        stack.frame(2)
    assert caught.value.kind == "too_large"

"""What the corpus cannot show case by case: saves killed mid-write leave nothing behind after the next
start (and a live writer's temp file is never touched), a failure of any type in one file never stops a
folder load, and conversion really works in strips."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from PIL import Image

import core.image_strips
from core import atomic
from core.gan.data import load_folder
from core.imageio import ImageLoadError, load_image
from core.jobs import CancelToken, Images, Message
from core.pathtext import display_path, safe_text
from core.segmentation.autosave import Autosaver
from core.thumbnails import thumbnails_job
from core.workspace import Workspace
from tests.core.hostile import gradient_rgb, png_streamed

SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from core.atomic import atomic_open
    with atomic_open(sys.argv[1], "wb") as handle:
        handle.write(b"half a mask")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
""")


def _start_writer(target) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], stdout=subprocess.PIPE, env=env)
    assert writer.stdout.readline().strip() == b"writing"
    return writer


def _temps(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_save_killed_mid_write_leaves_nothing_after_the_next_start(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    target = workspace.masks_dir / "cat.png"
    target.write_bytes(b"the old mask")
    for _ in range(3):
        writer = _start_writer(target)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert len(_temps(workspace.masks_dir)) == 3, "each kill left a partial temp file"
    Workspace.open(tmp_path / "ws")  # the next start
    assert _temps(workspace.masks_dir) == []
    assert target.read_bytes() == b"the old mask"


def test_a_live_writers_temp_file_is_kept(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    writer = _start_writer(workspace.masks_dir / "cat.png")
    try:
        Workspace.open(tmp_path / "ws")
        assert len(_temps(workspace.masks_dir)) == 1, "a save in progress in another process is not touched"
    finally:
        writer.kill()
        writer.wait()
    assert atomic.remove_stale_temp_files(workspace.masks_dir) and _temps(workspace.masks_dir) == []


def test_own_process_temp_files_are_stale_unless_being_written(tmp_path):
    """A temp file with our own pid (a previous process that had this pid) is stale; one we are writing
    right now (another thread) is not."""
    leftover = tmp_path / f".a.png.{atomic._HOST_TAG}-{os.getpid()}.abcdefgh.tmp"
    leftover.write_bytes(b"x")
    with atomic.atomic_open(tmp_path / "b.png") as handle:
        handle.write(b"y")
        live = [n for n in _temps(tmp_path) if n.startswith(".b.png")]
        removed = atomic.remove_stale_temp_files(tmp_path)
        assert removed == [leftover] and _temps(tmp_path) == live
    assert (tmp_path / "b.png").read_bytes() == b"y" and _temps(tmp_path) == []


def test_only_atomic_temp_names_are_removed(tmp_path):
    for name in (".notes.tmp", "mask.tmp", ".a.png.ABCDEFGH.tmp", ".a.png.abcdefgh.tmp.bak"):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (1, 1))
    recent_legacy = tmp_path / ".b.png.abcdefgh.tmp"
    recent_legacy.write_bytes(b"x")  # an older version of the app may be writing it right now
    old_legacy = tmp_path / ".c.png.abcdefgh.tmp"
    old_legacy.write_bytes(b"x")
    os.utime(old_legacy, (1, 1))
    assert atomic.remove_stale_temp_files(tmp_path) == [old_legacy]


def test_autosave_removes_stale_temp_files_when_it_starts_writing_into_a_folder(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    writer = _start_writer(masks / "cat.png")
    writer.kill()
    writer.wait()
    assert len(_temps(masks)) == 1
    saver = Autosaver(interval=0.0)
    try:
        saver.submit(masks / "dog.png", np.zeros((4, 4), np.uint8), {})
        assert saver.flush(10)
    finally:
        saver.close()
    assert _temps(masks) == [] and (masks / "dog.png").is_file()


# ---- one file failing in any way never stops the rest ------------------------------------------------------
def _folder_with_a_file_that_breaks_the_decoder(tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("a.png", "boom.png", "c.png"):
        Image.fromarray(gradient_rgb()).save(folder / name)
    real = core.image_strips.rgb_rows

    def explode(image, top, bottom, *args, **kwargs):
        if os.path.basename(getattr(image, "filename", "")) == "boom.png":
            raise KeyError("a bug nobody expected")
        return real(image, top, bottom, *args, **kwargs)

    monkeypatch.setattr(core.image_strips, "rgb_rows", explode)
    return folder


def test_unexpected_decoder_failures_become_a_message_for_that_file(tmp_path, monkeypatch):
    folder = _folder_with_a_file_that_breaks_the_decoder(tmp_path, monkeypatch)
    with pytest.raises(ImageLoadError, match="boom.png: corrupt or unreadable image data .KeyError"):
        load_image(folder / "boom.png")
    data = load_folder(folder, 8)
    assert len(data.images) == 2 and len(data.problems) == 1 and "boom.png" in data.problems[0]


def test_gan_folder_and_thumbnails_survive_any_exception_type(tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("a.png", "boom.png", "c.png"):
        Image.fromarray(gradient_rgb()).save(folder / name)
    import core.gan.data
    import core.thumbnails

    real_load, real_thumb = core.gan.data.load_image, core.thumbnails.load_thumbnail

    def load(path, *args):
        if str(path).endswith("boom.png"):
            raise MemoryError("out of memory in a library")
        return real_load(path, *args)

    def thumb(path, *args):
        if str(path).endswith("boom.png"):
            raise RuntimeError("a bug")
        return real_thumb(path, *args)

    monkeypatch.setattr(core.gan.data, "load_image", load)
    monkeypatch.setattr(core.thumbnails, "load_thumbnail", thumb)
    data = load_folder(folder, 8)
    assert len(data.images) == 2 and data.problems == [f"{folder / 'boom.png'}: unexpected error (MemoryError: "
                                                        "out of memory in a library)"]
    events = []
    made = thumbnails_job(sorted(folder.iterdir()), 16)(CancelToken(), events.append)
    assert made == 2 and sum(isinstance(e, Images) for e in events) == 2
    (warning,) = [e for e in events if isinstance(e, Message)]
    assert warning.text == f"{folder / 'boom.png'}\tunexpected error (RuntimeError: a bug)"


# ---- conversion in strips --------------------------------------------------------------------------------
def test_rgba_conversion_allocates_little_beyond_its_result(tmp_path, monkeypatch):
    """numpy allocations are traced: with strips, the peak is the RGB8 result plus one small strip (the
    whole-image conversion this replaced peaked above 5x the result in numpy alone)."""
    path = png_streamed(tmp_path / "rgba.png", 1500, 1000, (np.arange(6000) % 251).astype(np.uint8).tobytes(), 8, 6)
    monkeypatch.setattr(core.image_strips, "STRIP_PIXELS", 1 << 14)
    tracemalloc.start()
    try:
        loaded = load_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loaded.rgb.shape == (1000, 1500, 3)
    assert peak < 1.25 * loaded.rgb.nbytes, (peak, loaded.rgb.nbytes)


def test_16bit_conversion_keeps_values_and_allocates_only_them_and_the_result(tmp_path, monkeypatch):
    row = (np.arange(1500) * 40).astype(">u2")
    path = png_streamed(tmp_path / "deep.png", 1500, 1000, row.tobytes(), 16, 0)
    monkeypatch.setattr(core.image_strips, "STRIP_PIXELS", 1 << 14)
    tracemalloc.start()
    try:
        loaded = load_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(loaded.raw[500], row.astype(np.uint16))
    assert loaded.rgb[0, -1, 0] == 255 and loaded.rgb[0, 0, 0] == 0
    assert peak < 1.25 * (loaded.rgb.nbytes + loaded.raw.nbytes), peak


def test_orientation_is_applied_through_a_view_for_every_tag(tmp_path, monkeypatch):
    """Strips written into the stored-layout view of the output give the EXIF spec's result, also when a
    strip boundary falls inside the image."""
    from tests.core.hostile import expected_orientation, with_exif_orientation

    monkeypatch.setattr(core.image_strips, "STRIP_PIXELS", 64)
    stored = gradient_rgb(21, 37)
    for orientation in range(1, 9):
        path = with_exif_orientation(tmp_path / f"o{orientation}.png", stored, orientation)
        np.testing.assert_array_equal(load_image(path).rgb, expected_orientation(stored, orientation))


# ---- text --------------------------------------------------------------------------------------------------
def test_messages_are_encodable_for_any_file_name(tmp_path):
    name = os.fsdecode(b"scan \xff\xfe.png")
    (tmp_path / name).write_text("not an image")
    with pytest.raises(ImageLoadError) as info:
        load_image(tmp_path / name)
    text = str(info.value)
    text.encode("utf-8")
    assert "scan \\xff\\xfe.png: not an image: the file is a text file" in text
    assert info.value.path == str(tmp_path / name)  # the real name, to open the file with
    assert display_path(b"a\xffb") == "a\\xffb" and safe_text("\ud800x") == "\\ud800x"


def test_budget_environment_variable(monkeypatch):
    from core.image_budget import DEFAULT_MAX_DECODE_MB, decode_budget_bytes

    monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "100")
    assert decode_budget_bytes() == 100 << 20
    monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "lots")
    assert decode_budget_bytes() == DEFAULT_MAX_DECODE_MB << 20


@pytest.mark.parametrize("subsampling,coefficients_per_pixel", [(0, 6), (2, 3)])
def test_estimate_counts_what_each_decode_holds(tmp_path, subsampling, coefficients_per_pixel):
    from core.image_budget import STRIP_BYTES_PER_PIXEL, estimate_decode

    for progressive in (False, True):
        Image.new("RGB", (64, 32)).save(tmp_path / "a.jpg", progressive=progressive, subsampling=subsampling)
        with Image.open(tmp_path / "a.jpg") as image:
            parts = dict(estimate_decode(image).parts)
        expected_buffers = 64 * 32 * coefficients_per_pixel if progressive else 0
        assert parts == {"decoded": 64 * 32 * 4, "decoder buffers": expected_buffers, "stored values": 0,
                         "display copy": 64 * 32 * 3, "conversion strip": 64 * 32 * STRIP_BYTES_PER_PIXEL}
    Image.fromarray(np.zeros((32, 64), np.uint16)).save(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as image:
        estimate = estimate_decode(image)
    assert dict(estimate.parts)["stored values"] == 64 * 32 * 2 and dict(estimate.parts)["decoded"] == 64 * 32 * 2
    assert estimate.peak == 64 * 32 * (2 + 3) + 64 * 32 * STRIP_BYTES_PER_PIXEL  # values + display copy

"""Every hostile file, opened in the app one after another: each is shown or gets an error dialog, and the
app keeps working afterwards."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from core.pathtext import display_path
from core.pixel_readout import describe_pixel
from tests.core.hostile import (
    PNG_SIGNATURE,
    cmyk_jpeg_bytes,
    gradient_rgb,
    png_chunk,
    png_header_only,
    png_streamed,
    tiff_bytes,
    truncated_copy,
    with_exif_orientation,
)
from tests.gui.conftest import make_image, wait_for_image


def build_corpus(folder):
    folder.mkdir()
    good = make_image(folder / "00_good.png", seed=9)
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "full.png")
    truncated_copy(folder / "full.png", folder / "01_truncated.png")
    (folder / "full.png").unlink()
    (folder / "02_empty.png").write_bytes(b"")
    (folder / "03_text.png").write_text("hello")
    (folder / "04_page.jpg").write_text("<html><body>not found</body></html>")
    png_header_only(folder / "05_bomb.png", 30000, 30000)
    (folder / "06_folder.png").mkdir()
    Image.fromarray(np.array([[0, 65535]], np.uint16)).save(folder / "07_deep.png")
    (folder / "08_cmyk.jpg").write_bytes(cmyk_jpeg_bytes((0, 0, 255, 0)))
    with_exif_orientation(folder / "09_rotated.png", gradient_rgb(10, 20), 6)
    Image.new("LA", (5, 5), (10, 20)).save(folder / "10_la.png")
    (folder / "11_cut_after_header.png").write_bytes(
        PNG_SIGNATURE + png_chunk(b"IHDR", bytes.fromhex("00000004000000040802000000")))
    (folder / "12_float64.tif").write_bytes(tiff_bytes(np.zeros((2, 2), np.float64), 3))
    os.mkfifo(folder / "13_fifo.png")
    os.symlink("gone.png", folder / "14_broken_link.png")
    png_streamed(folder / "15_over_budget.png", 1500, 1500, bytes(3000), 16, 0)
    (folder / "16_uint32.tif").write_bytes(tiff_bytes(np.full((4, 4), 3_150_000_000, np.uint32), 1))
    (folder / NON_UTF8).write_text("not an image")
    return good


NON_UTF8 = os.fsdecode(b"17_caf\xe9.png")  # a Latin-1 name on a UTF-8 system
EXPECTED_ERRORS = {
    "01_truncated.png": "truncated image data",
    "02_empty.png": "empty file (0 bytes)",
    "03_text.png": "not an image: the file is a text file",
    "04_page.jpg": "not an image: the file is an HTML page",
    "05_bomb.png": "image too large: 30000x30000",
    "11_cut_after_header.png": "truncated PNG: the file ends after the IHDR chunk",
    "12_float64.tif": "64-bit floating-point samples",
    "13_fifo.png": "not a regular file: it is a named pipe (FIFO)",
    "14_broken_link.png": "broken symbolic link",
    "15_over_budget.png": "above the memory budget of 8 MB",
    NON_UTF8: "not an image: the file is a text file",  # the dialog names it 17_caf\xe9.png
}
EXPECTED_SHAPES = {"07_deep.png": (1, 2, 3), "08_cmyk.jpg": (16, 16, 3), "09_rotated.png": (20, 10, 3),
                   "10_la.png": (5, 5, 3), "16_uint32.tif": (4, 4, 3)}


def test_every_hostile_file_is_shown_or_explained_and_the_app_survives(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("SEGGAN_MAX_DECODE_MB", "8")
    good = build_corpus(tmp_path / "corpus")
    window.open_paths([str(tmp_path / "corpus")])
    panel = window.image_panel
    names = [p.name for p in panel.list_paths()]
    assert "06_folder.png" not in names, "a folder named like an image is not listed as an image"
    assert set(EXPECTED_ERRORS) | set(EXPECTED_SHAPES) | {"00_good.png"} == set(names)
    wait_for_image(qtbot, window, good)
    # every unreadable file gets the warning icon and its reason as tooltip from the thumbnails job
    for row, name in enumerate(names):
        if name in EXPECTED_ERRORS:
            item = panel.image_list.item(row)
            qtbot.waitUntil(lambda i=item, n=name: EXPECTED_ERRORS[n] in i.toolTip(), timeout=5000)
            assert item.icon().cacheKey() == panel._error_icon.cacheKey()
    for row, name in enumerate(names):
        if name == "00_good.png":
            continue
        panel.image_list.setCurrentRow(row)
        if name in EXPECTED_ERRORS:
            qtbot.waitUntil(lambda: len(window.errors.dialogs) == 1, timeout=5000)
            dialog = window.errors.dialogs[0]
            assert display_path(name) in dialog.text() and EXPECTED_ERRORS[name] in dialog.text(), dialog.text()
            assert window.scene.rgb is None
            dialog.accept()
            qtbot.waitUntil(lambda: not window.errors.dialogs)
        else:
            qtbot.waitUntil(lambda n=name: panel.current_path is not None and panel.current_path.name == n
                            and window.scene.rgb is not None, timeout=5000)
            assert window.scene.rgb.shape == EXPECTED_SHAPES[name]
            assert not window.errors.dialogs
            if name == "16_uint32.tif":  # the hover readout shows the stored value, not its signed bits
                assert "value 3150000000 (32-bit)" in describe_pixel(panel.current, None, 1, 1)
    window.open_paths([str(tmp_path / "corpus" / "06_folder.png")])  # a folder named x.png opens as a folder
    assert panel.list_paths() == []
    window.open_paths([str(tmp_path / "corpus" / "00_good.png")])
    wait_for_image(qtbot, window, good)

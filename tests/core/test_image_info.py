"""The Image panel's information rows, without Qt."""

from __future__ import annotations

from core.image_info import image_info_rows
from core.imageio import ImageMeta


def test_a_16_bit_multichannel_tiff_misnamed_rotated_and_transparent():
    meta = ImageMeta(path="a.png", format="TIFF", mode="I;16", bit_depth=16, stored_size=(30, 20), width=20,
                     height=30, orientation=6, frames=3, has_alpha=True, value_range=(12.0, 4000.0),
                     file_size=4096, extension_mismatch=True, notes=("EXIF tag 274 repaired",), channels=2)
    rows = image_info_rows(meta)
    assert rows["Format"] == "TIFF (named otherwise)"
    assert rows["Mode"] == "I;16 with alpha"
    assert rows["Bit depth"] == "16-bit, values 12..4000, 2 channels"
    assert rows["Size"] == "20 × 30 px, 4 KiB"
    assert rows["Orientation"] == "EXIF 6 applied"
    assert rows["Frames"] == "3 (showing the first)"
    assert rows["Notes"] == "EXIF tag 274 repaired; transparent areas shown on white"


def test_a_frame_of_a_stack_says_which_and_a_plain_image_says_little():
    meta = ImageMeta(path="f.png", format="PNG", mode="L", bit_depth=8, stored_size=(8, 8), width=8, height=8)
    stack = type("Stack", (), {"kind": "sequence", "__len__": lambda self: 40})()
    assert image_info_rows(meta, stack, 4)["Frames"] == "40 (sequence; frame 5 shown: PgUp / PgDown)"
    plain = image_info_rows(meta)
    assert (plain["Orientation"], plain["Frames"], plain["Notes"], plain["Bit depth"]) == ("as stored", "1", "—",
                                                                                          "8-bit")

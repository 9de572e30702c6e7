"""The frame navigator (no Qt): which frame is shown, which is wanted, and latest-request-wins decoding."""

from __future__ import annotations

from core.segmentation.frame_navigation import FrameNavigator


def navigator(count=10, names=None):
    decodes, changes = [], []
    nav = FrameNavigator(decode=decodes.append, on_changed=lambda: changes.append((nav.wanted, nav.shown)))
    nav.open(count, names or [f"f{i:02d}.png" for i in range(count)])
    return nav, decodes, changes


def test_a_single_image_is_not_a_stack_and_ignores_requests():
    nav, decodes, _ = navigator(1)
    assert not nav.is_stack
    nav.go(3)
    nav.step(1)
    assert (nav.wanted, nav.shown, decodes) == (0, 0, [])


def test_a_request_decodes_that_frame_and_shows_it_when_done():
    nav, decodes, changes = navigator()
    assert nav.is_stack and nav.describe() == "frame 1 / 10 · f00.png"
    nav.step(1)
    assert decodes == [1] and nav.busy and nav.shown == 0 and nav.wanted == 1
    assert nav.describe() == "frame 2 / 10 · f01.png"  # the label follows the request at once
    assert nav.decoded(1) is True
    assert (nav.shown, nav.busy) == (1, False)
    assert changes[-1] == (1, 1)


def test_requests_are_clamped_to_the_stack():
    nav, decodes, _ = navigator(5)
    nav.last()
    assert nav.wanted == 4
    nav.decoded(4)
    nav.step(3)
    assert nav.wanted == 4 and decodes == [4]  # already there: nothing to decode
    nav.go(-7)
    assert nav.wanted == 0 and decodes == [4, 0]


def test_fast_requests_coalesce_into_the_latest():
    nav, decodes, _ = navigator(100)
    for _ in range(60):  # a person holding PageDown while frame 1 decodes
        nav.step(1)
    assert decodes == [1]  # one decode in flight at a time
    assert nav.decoded(1) is False  # stale: frame 60 is wanted now, and its decode starts
    assert decodes == [1, 60] and nav.shown == 0
    assert nav.decoded(60) is True
    assert nav.shown == 60 and nav.decodes == 2


def test_going_back_to_the_shown_frame_cancels_the_pending_one():
    nav, decodes, _ = navigator()
    nav.go(5)
    nav.go(0)
    assert nav.decoded(5) is False
    assert decodes == [5] and nav.shown == 0 and not nav.busy


def test_a_failed_decode_keeps_the_shown_frame_and_serves_newer_requests():
    nav, decodes, _ = navigator()
    nav.go(3)
    nav.failed(3)
    assert (nav.wanted, nav.shown, nav.busy) == (0, 0, False)
    nav.go(3)
    nav.go(4)
    nav.failed(3)  # 4 was asked for meanwhile: it decodes now
    assert decodes == [3, 3, 4] and nav.wanted == 4


def test_opening_another_image_forgets_the_running_decode():
    nav, decodes, _ = navigator()
    nav.go(7)
    nav.open(3, ["a", "b", "c"])
    assert nav.decoded(7) is False and nav.shown == 0 and decodes == [7]
    nav.close()
    assert not nav.is_stack and nav.count == 0


def test_names_may_come_from_a_function():
    asked = []
    nav = FrameNavigator()
    nav.open(10_000, lambda index: asked.append(index) or f"frame_{index:05d}.png")
    nav.last()
    assert nav.describe() == "frame 10000 / 10000 · frame_09999.png" and asked == [9999]
    assert nav.name(10_000) == ""

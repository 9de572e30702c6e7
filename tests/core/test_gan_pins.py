"""The GAN explorer's pin rules and run list, without Qt."""

from __future__ import annotations

from core.gan.explorer_runs import ended_while_shown, run_choice
from core.gan.pins import Pins


def test_pins_toggle_and_a_third_replaces_the_oldest():
    pins = Pins()
    assert pins.label() == "A: –   B: –" and pins.a is None and not pins.both
    pins.toggle(3, 0)
    pins.toggle(10, 7)
    assert pins.seeds == [3, 10] and pins.both and (pins.a, pins.b) == (3, 10)
    assert pins.label() == "A: seed 3   B: seed 10"
    pins.toggle(12, 9)
    assert pins.seeds == [10, 12]  # 3 was the oldest
    pins.toggle(10, 7)
    assert pins.seeds == [12] and pins.b is None and pins.label() == "A: seed 12"
    pins.clear()
    assert pins.seeds == []


def test_pins_remember_the_class_their_cell_showed():
    pins = Pins()
    pins.toggle(105, 5, class_count=4)  # cell 5 of a grid cycling through 4 classes shows class 1
    assert pins.classes == {105: 1}
    assert pins.preview_class(None) == 1  # "All classes": the class pin A showed
    assert pins.preview_class(3) == 3  # a chosen class wins
    pins.toggle(200, 2)  # an unconditional grid records no class
    assert pins.classes == {105: 1}
    assert Pins().preview_class(None) is None


def test_marks_name_the_cells_of_the_pins_the_grid_shows():
    pins = Pins([14, 3])
    assert pins.marks((10, 11, 12, 13, 14, 15)) == {4: 0}  # pin B (3) is not on this grid
    assert pins.marks((0, 1, 2, 3, 4, 14)) == {5: 0, 3: 1}


def test_a_copy_is_independent():
    pins = Pins([1], {1: 0})
    kept = pins.copy()
    pins.toggle(2, 5, class_count=2)
    assert kept == Pins([1], {1: 0})


def test_run_choices_and_reload_when_a_shown_run_ends():
    assert run_choice("gan-1", "running") == "gan-1 (training…)"
    assert run_choice("gan-1", "created") == "gan-1 (starting)"
    assert run_choice("gan-1", "finished") == "gan-1" and run_choice("gan-1", None) == "gan-1"
    assert ended_while_shown("running", "finished") and ended_while_shown("paused", "stopped")
    assert not ended_while_shown("finished", "finished")
    assert not ended_while_shown("created", "running")
    assert not ended_while_shown(None, "finished")

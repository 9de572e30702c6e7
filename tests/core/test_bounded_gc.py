"""BoundedCollector: cyclic garbage is still collected, but no collection traverses a bulk of long-lived objects
(what TensorFlow's import or a built model leaves behind): those are frozen instead."""

from __future__ import annotations

import gc

import pytest

from core.bounded_gc import BoundedCollector

finalized: list[int] = []


class Cycle:
    """Cyclic garbage with a finalizer: only the cyclic collector frees it, and we see when."""

    def __init__(self, tag: int):
        self.tag = tag
        self.me = self

    def __del__(self):
        finalized.append(self.tag)


@pytest.fixture
def manual_gc():
    """Automatic collection off (as under the GUI), and the process's collector state restored after."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    finalized.clear()
    yield
    gc.unfreeze()
    gc.collect()
    if was_enabled:
        gc.enable()


def long_lived(count: int) -> list:
    return [[i] for i in range(count)]  # tracked containers that stay alive


def test_garbage_cycles_are_collected_in_young_collections(manual_gc):
    collector = BoundedCollector()
    for round_ in range(30):
        for i in range(100):
            Cycle(round_ * 100 + i)
        collector.tick()
    # all but those made since the last collection (which runs once there are young_threshold new objects)
    assert 3000 - collector.young_threshold <= len(finalized) < 3000
    assert collector.stats.collections[0] > 0 and collector.stats.freezes == 0


def test_a_bulk_of_new_long_lived_objects_is_frozen_not_traversed(manual_gc):
    bulk = long_lived(300_000)
    more = long_lived(300_000)  # and again, now for the bounded collector

    collector = BoundedCollector()
    collector.tick()
    assert collector.stats.freezes == 1 and collector.stats.collections == [0, 0, 0]
    assert gc.get_freeze_count() >= 600_000

    # later garbage is still found, and no collection comes near the cost of traversing the bulk
    for round_ in range(3000):
        for i in range(10):
            Cycle(round_ * 10 + i)
        collector.tick()
    assert 30_000 - collector.young_threshold <= len(finalized) < 30_000
    assert sum(collector.stats.collections[1:]) > 0  # the older generations were collected too
    # what a collection costs is what its generations hold: the bulk is in none of them (a count, not a
    # timing, so the test holds on a loaded machine)
    assert max(len(gc.get_objects(generation)) for generation in range(3)) < 300_000 // 5
    del bulk, more


def test_long_lived_objects_arriving_in_pieces_are_frozen_once_they_add_up(manual_gc):
    """A model being built: each piece is small enough for a young collection, but the survivors would make
    every later collection of the older generations slow."""
    collector = BoundedCollector(max_objects=10_000)
    kept = []
    for _ in range(5):
        kept.append(long_lived(3_000))
        collector.tick()
    assert collector.stats.freezes == 1  # after ~4 pieces: 12,000 survivors > 10,000
    assert collector.older + collector.oldest < 10_000
    assert collector.stats.collections[1] == collector.stats.collections[2] == 0


def test_a_collection_slower_than_the_bound_is_followed_by_a_freeze(manual_gc):
    collector = BoundedCollector(max_ms=0.0)  # every collection is "too slow"
    for i in range(1000):
        Cycle(i)
    collector.tick()
    assert len(finalized) == 1000  # the collection itself ran
    assert collector.stats.freezes == 1 and collector.older == 0

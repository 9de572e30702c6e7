"""Cyclic garbage collection in short, bounded steps, for a process that turned automatic collection off.

A GUI collects cyclic garbage on its own thread only (gui/gc_guard.py: a Qt object destroyed by a worker
thread's collection deadlocks). Every collection then pauses the GUI for as long as it takes to traverse the
generations it collects, and after TensorFlow and Keras are imported those hold ~300,000 long-lived objects
(module dicts, op definitions, Keras layers, traced graphs): collecting generation 1 or 2 took 190-730 ms
(measured with benchmarks/ui_responsiveness.py --diagnose). The garbage itself is small: a training step makes
no cyclic garbage at all, importing TensorFlow and Keras ~1,700 objects, tracing a model ~1,200.

So this collector keeps every collection short. It collects the young generation often (each collection is
small), and when objects pile up in the older generations (a bulk of long-lived objects: TensorFlow imported,
a model built or traced), or arrive faster than a young collection could keep up with (more than
``max_young`` between two ticks), it calls ``gc.freeze()`` instead of collecting them:
the frozen objects are left out of every later collection. Freezing is O(1) and costs nothing but this: cyclic
garbage that is among the frozen objects is never freed (a few thousand objects per bulk). Objects freed by
reference counting, which is nearly all of them, are freed as always, frozen or not.

The object counts are estimates from ``gc.get_count()`` and what each collection reports (counting a
generation with ``gc.get_objects`` is unsafe while other threads run: it exposes tuples under construction);
a collection that took longer than ``max_ms`` all the same is followed by a freeze, so it is not repeated.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass


@dataclass
class CollectorStats:
    collections: list[int]  # per generation
    freezes: int = 0
    slowest_ms: float = 0.0  # the longest collection


class BoundedCollector:
    """Call :meth:`tick` often (every 20-100 ms) on the one thread that may collect."""

    def __init__(self, young_threshold: int = 700, older_every: int = 10, max_young: int = 25_000,
                 max_objects: int = 10_000, max_ms: float = 15.0):
        self.young_threshold = young_threshold  # collect the young generation above this many new objects
        self.older_every = older_every  # young collections per generation-1 collection, and so on
        self.max_young = max_young  # more new objects than this are frozen, not collected
        self.max_objects = max_objects  # at most this many in generations 1 and 2 together
        self.max_ms = max_ms
        self.older = 0  # estimated objects in generation 1 (survivors of young collections)
        self.oldest = 0  # estimated objects in generation 2 (not counting frozen ones)
        self._young_runs = 0
        self._older_runs = 0
        self.stats = CollectorStats(collections=[0, 0, 0])

    def tick(self) -> None:
        young = gc.get_count()[0]
        if young > self.max_young:  # a bulk of new objects: too many to traverse in one go
            self.freeze()
            return
        if young <= self.young_threshold:
            return
        found = self._collect(0)
        if found is None:
            return
        self.older += max(0, young - found)
        self._young_runs += 1
        if self.older + self.oldest > self.max_objects:  # a bulk survived: collecting it later would be slow
            self.freeze()
            return
        if self._young_runs < self.older_every:
            return
        self._young_runs = 0
        found = self._collect(1)
        if found is None:
            return
        self.oldest += max(0, self.older - found)
        self.older = 0
        self._older_runs += 1
        if self._older_runs < self.older_every:
            return
        self._older_runs = 0
        found = self._collect(2)
        if found is not None:
            self.oldest = max(0, self.oldest - found)

    def freeze(self) -> None:
        """Leave every object alive now out of all later collections (they stay alive or die by refcount)."""
        gc.freeze()
        self.older = self.oldest = 0
        self._young_runs = self._older_runs = 0
        self.stats.freezes += 1

    def _collect(self, generation: int) -> int | None:
        """Objects found unreachable; None when it took longer than ``max_ms`` and was followed by a freeze
        (the estimates were low: objects freed elsewhere hide new ones in ``gc.get_count()``)."""
        start = time.perf_counter()
        found = gc.collect(generation)
        ms = (time.perf_counter() - start) * 1000
        self.stats.collections[generation] += 1
        self.stats.slowest_ms = max(self.stats.slowest_ms, ms)
        if ms > self.max_ms:
            self.freeze()
            return None
        return found

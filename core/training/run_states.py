"""The states a run's status.json can hold, in one place.

``created`` is written when the folder is made and a process is about to train it; ``running``, ``paused``
and ``stopping`` mean a process is driving the run now; the rest are final. Readers that poll a run (the
watcher, the panels) treat ``created`` as live too: training is about to start.
"""

from __future__ import annotations

STATES = ("created", "running", "paused", "stopping", "finished", "stopped", "failed")
ACTIVE_STATES = frozenset({"running", "paused", "stopping"})  # a process holds the run
LIVE_STATES = ACTIVE_STATES | {"created"}  # held, or about to be
FINAL_STATES = frozenset({"finished", "stopped", "failed"})

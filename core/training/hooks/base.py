"""The base of the engine's hooks, in the style of Keras callbacks (``keras/src/callbacks/callback.py``).

A hook sees the running loop (``self.loop``: the run folder, config, task, optimizers, writers, the step
counter and training time) and is called around every step. Hooks run in the order given; each one does one
job. To end training a hook calls ``self.loop.stop(state, message)`` (the loop's ``stop_training`` flag,
as Keras's ``model.stop_training``); the loop finishes the step it is in and then calls ``on_train_end``.

``logs`` are the step's metrics as Python floats (means over the global batch); a hook may add values to
them (validation adds ``validation/...``) for the hooks after it. Hooks do no TensorFlow work at import
time: the GUI builds run configs without loading TensorFlow.
"""

from __future__ import annotations


class Hook:
    """Override what you need; every method is optional."""

    loop = None

    def set_loop(self, loop) -> None:
        self.loop = loop

    def on_train_begin(self) -> None:
        """The loop is built (and restored when resuming); no step has run in this session yet."""

    def on_train_batch_begin(self, step: int) -> None:
        """Step ``step + 1`` is about to run (``step`` steps are done)."""

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        """Step ``step`` ran and returned ``logs``."""

    def on_pause(self, step: int) -> None:
        """The user paused after step ``step``."""

    def on_resume(self, step: int) -> None:
        """The user resumed a pause."""

    def on_stopping(self) -> None:
        """The loop left its steps (budget reached, stop asked, a hook stopped it); final saves follow."""

    def on_train_end(self) -> None:
        """The session ends: ``self.loop.state`` is finished, stopped or failed (in ``self.loop.message``)."""

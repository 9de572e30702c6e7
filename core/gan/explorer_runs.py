"""Which GAN runs the explorer lists and when it reloads the one it shows, without Qt."""

from __future__ import annotations

from core.training.run_states import LIVE_STATES

STATE_SUFFIXES = {"created": " (starting)", "running": " (training…)", "paused": " (paused)"}


def run_choice(name: str, state: str | None) -> str:
    """A run's entry in the explorer's run list: its name, and what it is doing if it is not done."""
    return name + STATE_SUFFIXES.get(state, "")


def ended_while_shown(previous: str | None, state: str | None) -> bool:
    """The shown run was loaded while it trained (from a checkpoint) and has ended since: load its final
    generator."""
    return previous in LIVE_STATES and state not in LIVE_STATES

"""The Frames menu: move through a stack and propagate objects, the menu face of the frame bars' keys and
the Segment panel's propagation buttons (the keys themselves are bound in the panels; the menu shows them)."""

from __future__ import annotations

from PySide6.QtGui import QAction

from gui.segment.propagate_action import NEXT_KEY, RANGE_KEY


def add_frames_menu(window) -> list[QAction]:
    """Adds "Frames" to ``window``'s menu bar; its actions are enabled while a stack is open."""
    frames, segment = window.frames, window.segment_panel
    menu = window.menuBar().addMenu("F&rames")

    def propagate(slot):
        window.tabs.setCurrentWidget(segment)
        slot()

    entries = (
        ("Next Frame\tPgDown", lambda: frames.step(1)),
        ("Previous Frame\tPgUp", lambda: frames.step(-1)),
        ("First Frame\tHome", lambda: frames.go(0)),
        ("Last Frame\tEnd", lambda: frames.go(frames.navigator.count - 1)),
        None,
        (f"Propagate to Next Frame\t{NEXT_KEY}", lambda: propagate(segment.propagate_action.propagate_next)),
        (f"Propagate to Frame…\t{RANGE_KEY}", lambda: propagate(segment.propagate_action.ask_range)),
    )
    actions = []
    for entry in entries:
        if entry is None:
            menu.addSeparator()
            continue
        text, slot = entry
        action = QAction(text, window, triggered=slot)  # "\t" shows the panel's key without binding it twice
        menu.addAction(action)
        actions.append(action)

    def refresh() -> None:
        for action in actions:
            action.setEnabled(frames.navigator.is_stack and frames.enabled)

    frames.changed.connect(refresh)
    refresh()
    return actions

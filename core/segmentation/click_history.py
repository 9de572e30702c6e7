"""The clicks and strokes of the object being segmented, with undo and redo over them. Each state is a list
of immutable interactions, so an undo is a list swap and an answer can be remembered by its interactions."""

from __future__ import annotations


class InteractionHistory:
    def __init__(self):
        self.interactions: list = []
        self._undo: list[list] = []
        self._redo: list[list] = []

    def push(self, interactions: list) -> None:
        self._undo.append(self.interactions)
        self._redo.clear()
        self.interactions = interactions

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.interactions)
        self.interactions = self._undo.pop()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.interactions)
        self.interactions = self._redo.pop()
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def restore(self, interactions) -> None:
        """These interactions, each undoable again (undo steps back through their prefixes)."""
        interactions = list(interactions)
        self._undo = [interactions[:count] for count in range(len(interactions))]
        self._redo.clear()
        self.interactions = interactions

    def reset(self) -> None:
        self.interactions = []
        self._undo.clear()
        self._redo.clear()

"""Markers for the current object's clicks (green = object, red = background) and scribbles, kept in step
with the segmenter's undo and redo."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QBrush, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from gui.style import colour

POSITIVE, NEGATIVE = colour("click_positive"), colour("click_negative")
MARKER_RADIUS = 5.0  # screen pixels at any zoom


class ClickMarkers:
    def __init__(self, scene: QGraphicsScene):
        self.scene = scene
        self.items: list[QGraphicsItem] = []
        self._redo: list[QGraphicsItem] = []

    def click(self, row: float, col: float, positive: bool) -> QGraphicsItem:
        r = MARKER_RADIUS
        item = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
        item.setPos(QPointF(col + 0.5, row + 0.5))
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # same size at every zoom
        item.setBrush(QBrush(POSITIVE if positive else NEGATIVE))
        item.setPen(QPen(colour("marker_outline"), 1.5))
        return self._add(item)

    def scribble(self, points, positive: bool) -> QGraphicsItem:
        path = QPainterPath(QPointF(points[0][1] + 0.5, points[0][0] + 0.5))
        for row, col in points[1:]:
            path.lineTo(QPointF(col + 0.5, row + 0.5))
        item = QGraphicsPathItem(path)
        pen = QPen(POSITIVE if positive else NEGATIVE, 3)
        pen.setCosmetic(True)  # 3 screen pixels wide at every zoom
        item.setPen(pen)
        return self._add(item)

    def _add(self, item: QGraphicsItem) -> QGraphicsItem:
        item.setZValue(5)
        self.scene.addItem(item)
        self.items.append(item)
        return item

    def undo(self) -> None:
        if self.items:
            item = self.items.pop()
            item.setVisible(False)
            self._redo.append(item)

    def redo(self) -> None:
        if self._redo:
            item = self._redo.pop()
            item.setVisible(True)
            self.items.append(item)

    def drop_redo(self) -> None:
        for item in self._redo:
            self._remove(item)
        self._redo.clear()

    def take(self) -> list[QGraphicsItem]:
        """Take the current markers off the scene (an accepted object's clicks), to give back if its
        acceptance is undone."""
        self.drop_redo()
        items, self.items = self.items, []
        for item in items:
            self._remove(item)
        return items

    def give_back(self, items: list[QGraphicsItem]) -> None:
        self.clear()
        for item in items:
            item.setVisible(True)
            self.scene.addItem(item)
            self.items.append(item)

    def clear(self) -> None:
        for item in [*self.items, *self._redo]:
            self._remove(item)
        self.items.clear()
        self._redo.clear()

    def _remove(self, item: QGraphicsItem) -> None:
        if item.scene() is self.scene:
            self.scene.removeItem(item)

"""The Segment panel's view: turns mouse input into tool actions (the actions themselves live in core)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsEllipseItem

from gui.canvas import ImageScene
from gui.image_view import ImageView
from gui.style import colour

TOOL_CLICK, TOOL_BRUSH, TOOL_ERASER, TOOL_FILL = "click", "brush", "eraser", "fill"


class SegmentView(ImageView):
    """Click tool: left = object, right or Alt+left = background; dragging draws a scribble instead. Brush/eraser: drag paints (right-drag with
    the brush erases). Fill: left click. Middle-drag pans and the wheel zooms in every tool."""

    clicked = Signal(float, float, bool)  # row, col, positive
    scribbled = Signal(object, bool)  # [(row, col), ...], positive: a drag with the click tool
    stroke_started = Signal(float, float, bool)  # row, col, erase
    stroke_moved = Signal(float, float)
    stroke_finished = Signal()
    fill_requested = Signal(int, int)

    def __init__(self, scene: ImageScene, parent=None):
        super().__init__(scene, parent, pan_with_left=False)
        self.tool = TOOL_CLICK
        self.brush_radius = 8.0
        self._stroking = False
        self._press: tuple[QPointF, bool, list] | None = None  # click tool: start, positive, points
        self._cursor = QGraphicsEllipseItem()
        self._cursor.setPen(QPen(colour("brush_cursor"), 0))
        self._cursor.setZValue(10)
        self._cursor.setVisible(False)
        scene.addItem(self._cursor)

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self._cursor.setVisible(False)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if tool in (TOOL_CLICK, TOOL_FILL)
                                  else Qt.CursorShape.BlankCursor)

    def _image_point(self, event) -> tuple[float, float] | None:
        pos: QPointF = self.mapToScene(event.position().toPoint())
        size = self._scene.image_size
        if size is None:
            return None
        width, height = size
        col, row = pos.x() - 0.5, pos.y() - 0.5  # pixel centres are at integer coordinates
        if not (-0.5 <= row <= height - 0.5 and -0.5 <= col <= width - 0.5):
            return None
        return row, col

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        button = event.button()
        point = self._image_point(event)
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) or point is None:
            super().mousePressEvent(event)
            return
        row, col = point
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if self.tool == TOOL_CLICK:
            # decided on release: a click, or a scribble if the mouse moved while pressed
            self._press = (event.position(), button == Qt.MouseButton.LeftButton and not alt, [(row, col)])
        elif self.tool == TOOL_FILL:
            self.fill_requested.emit(int(round(row)), int(round(col)))
        else:
            self._stroking = True
            erase = self.tool == TOOL_ERASER or button == Qt.MouseButton.RightButton
            self.stroke_started.emit(row, col, erase)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        point = self._image_point(event)
        if self.tool in (TOOL_BRUSH, TOOL_ERASER) and point is not None:
            r = self.brush_radius
            self._cursor.setRect(point[1] + 0.5 - r, point[0] + 0.5 - r, 2 * r, 2 * r)
            self._cursor.setVisible(True)
        else:
            self._cursor.setVisible(False)
        if self._stroking and point is not None:
            self.stroke_moved.emit(*point)
            event.accept()
        if self._press is not None and point is not None:
            self._press[2].append(point)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._press is not None and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            start, positive, points = self._press
            self._press = None
            moved = (event.position() - start).manhattanLength()
            if moved > 6 and len(points) > 1:
                self.scribbled.emit(points, positive)
            else:
                self.clicked.emit(points[0][0], points[0][1], positive)
            event.accept()
            return
        if self._stroking and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._stroking = False
            self.stroke_finished.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._cursor.setVisible(False)
        super().leaveEvent(event)
